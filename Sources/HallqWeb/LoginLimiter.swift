import Foundation

/// Who may try a password, and when. Every limit is per client address, so a stranger in the
/// lobby can neither lock a clerk out from the clerk's own machine (clerks' names are on the
/// window terminals) nor hold the password checks for everyone:
///
/// - a name from one address: after 5 wrong passwords within a minute, that name from that
///   address waits a minute (the clerk at their own terminal is not affected by another host);
/// - an address: after 10 wrong passwords in a row (any names) it waits 1 s, doubling with each
///   further failure up to 5 minutes; a right password from it starts over;
/// - checks: at most 4 at once in all and 1 at a time per address (further ones get 503
///   BUSY); a browser that logged in before as that account (its `hallq_device` cookie) is not
///   held back by either, so a flood from elsewhere never keeps staff out.
///
/// Refused logins are counted and reported once a minute (`report`), not logged one by one.
public final class LoginLimiter: @unchecked Sendable {
    public static let failures = 5
    public static let window = 60.0
    public static let addressFailures = 10
    public static let maxBackoff = 300.0
    public static let concurrentChecks = 4
    public static let checksPerAddress = 1
    /// Addresses and names remembered at most; the oldest quiet ones are forgotten beyond.
    static let remembered = 10_000

    private struct NameAtAddress {
        var recent: [Double] = []
        var blockedUntil: Double?
    }
    private struct Address {
        var streak = 0
        var blockedUntil: Double?
        var checking = 0
        var lastSeen: Double
    }

    private let lock = NSLock()
    private var names: [String: NameAtAddress] = [:]
    private var addresses: [String: Address] = [:]
    private var checking = 0
    private var refused = 0
    private var refusedFrom = Set<String>()
    private var lastReport: Double?
    private let now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) { self.now = now }

    private static func key(_ name: String, _ address: String) -> String { name + "\u{0}" + address }

    /// Seconds until `name` from `address` may try again, or nil. A known device skips the
    /// address's backoff (a flood from its address is not its doing), not its name's limit.
    public func wait(name: String, address: String, knownDevice: Bool = false) -> Double? {
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        var left = 0.0
        if let until = names[Self.key(name, address)]?.blockedUntil { left = max(left, until - t) }
        if !knownDevice, let until = addresses[address]?.blockedUntil { left = max(left, until - t) }
        return left > 0 ? left : nil
    }

    /// Whether a password check may start now (then `endCheck`).
    public func startCheck(address: String, knownDevice: Bool = false) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var a = addresses[address] ?? Address(lastSeen: now())
        if !knownDevice {
            guard checking < Self.concurrentChecks, a.checking < Self.checksPerAddress else { return false }
        }
        checking += 1
        a.checking += 1
        a.lastSeen = now()
        addresses[address] = a
        forgetQuiet()
        return true
    }

    public func endCheck(address: String) {
        lock.lock()
        checking -= 1
        addresses[address]?.checking -= 1
        lock.unlock()
    }

    public func failed(name: String, address: String) {
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        let k = Self.key(name, address)
        var n = names[k] ?? NameAtAddress()
        n.recent = n.recent.filter { t - $0 < Self.window } + [t]
        if n.recent.count >= Self.failures {
            n.blockedUntil = t + Self.window
            n.recent = []
        }
        names[k] = n
        var a = addresses[address] ?? Address(lastSeen: t)
        a.streak += 1
        a.lastSeen = t
        if a.streak >= Self.addressFailures {
            a.blockedUntil = t + min(Self.maxBackoff, pow(2, Double(a.streak - Self.addressFailures)))
        }
        addresses[address] = a
    }

    public func succeeded(name: String, address: String) {
        lock.lock()
        names[Self.key(name, address)] = nil
        addresses[address]?.streak = 0
        addresses[address]?.blockedUntil = nil
        lock.unlock()
    }

    /// Counts a refused login (wrong password, rate-limited or busy). Returns what to log when a
    /// minute has passed since the last report (the first refusal after a quiet minute at once):
    /// how many were refused since and from how many addresses.
    public func report(refusedFrom address: String) -> (count: Int, addresses: Int)? {
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        refused += 1
        refusedFrom.insert(address)
        if let last = lastReport, t - last < Self.window { return nil }
        defer {
            refused = 0
            refusedFrom = []
            lastReport = t
        }
        return (refused, refusedFrom.count)
    }

    /// Keeps the tables bounded: beyond `remembered`, entries with nothing pending go.
    private func forgetQuiet() {
        let t = now()
        if addresses.count > Self.remembered {
            addresses = addresses.filter {
                $0.value.checking > 0 || ($0.value.blockedUntil ?? 0) > t || t - $0.value.lastSeen < Self.window
            }
        }
        if names.count > Self.remembered {
            names = names.filter { ($0.value.blockedUntil ?? 0) > t || !$0.value.recent.isEmpty }
        }
    }
}
