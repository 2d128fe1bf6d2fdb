/// The latest calls, newest first, as the lobby screen and the web board list them. A recall
/// moves its call to the top rather than listing it twice.
public struct RecentCalls: Sendable, Equatable {
    public struct Call: Sendable, Equatable {
        public var label: String
        public var window: Int
        public var service: String?
        public var at: Millis
        public var recall: Bool
        /// The event stream's sequence number of this call (0 when it came from the log at start).
        public var seq: Int64
        public init(label: String, window: Int, service: String?, at: Millis, recall: Bool, seq: Int64 = 0) {
            self.label = label
            self.window = window
            self.service = service
            self.at = at
            self.recall = recall
            self.seq = seq
        }
    }

    public private(set) var calls: [Call]
    public let limit: Int

    /// `calls` newest first, as the log returns them.
    public init(_ calls: [Call] = [], limit: Int) {
        self.limit = max(1, limit)
        self.calls = Array(calls.prefix(self.limit))
    }

    public mutating func add(_ c: Call) {
        calls.removeAll { $0.label == c.label && $0.window == c.window }
        calls.insert(c, at: 0)
        if calls.count > limit { calls.removeLast(calls.count - limit) }
    }

    /// The call of a call or recall event, or nil for any other event.
    public static func call(_ e: HallEvent, seq: Int64 = 0) -> Call? {
        guard e.type.isCall, let label = e.label, let w = e.window else { return nil }
        return Call(label: label, window: w, service: e.service, at: e.at, recall: e.type == .recall, seq: seq)
    }
}
