import Dispatch

/// Seconds on the monotonic clock, for rate limits that a wall-clock step must not open or shut
/// (the take limiter here, the sockets' per-connection bounds).
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
