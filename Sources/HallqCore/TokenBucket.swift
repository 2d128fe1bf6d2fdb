/// A token bucket: up to `burst` requests at once, refilled at `perMinute`. Pure: the caller
/// passes a monotonic time in seconds, so a wall-clock step cannot open or shut it.
public struct TokenBucket: Sendable, Equatable {
    public let burst: Double
    public let perSecond: Double
    private var tokens: Double
    private var last: Double?

    public init(burst: Int, perMinute: Int) {
        self.burst = Double(max(1, burst))
        self.perSecond = Double(max(1, perMinute)) / 60
        tokens = self.burst
    }

    /// Takes one token: nil when allowed, else the seconds until one is available.
    public mutating func take(at now: Double) -> Double? {
        if let last { tokens = min(burst, tokens + max(0, now - last) * perSecond) }
        last = now
        guard tokens >= 1 else { return (1 - tokens) / perSecond }
        tokens -= 1
        return nil
    }
}
