import ArgumentParser
import Foundation
import HallqClient
import HallqProtocol

/// Shell completion of window numbers and service ids, asked of the running hallqd through the
/// kiosk socket's `services` op (allowed to everyone who may use the kiosk). Nothing is offered
/// when hallqd cannot be reached: completion must never hang or print errors into the shell.
enum Completion {
    static func services() -> [JSONValue] {
        let dir = ProcessInfo.processInfo.environment["HALLQ_RUNTIME_DIR"] ?? "/run/hallq"
        guard let c = try? LineClient(path: dir + "/kiosk.sock", timeout: 1),
            let r = try? c.request(["op": "services"])
        else { return [] }
        return r["services"]?.arrayValue ?? []
    }

    static let windows: CompletionKind = .custom { _, _, _ in
        Array(Set(services().flatMap { $0["windows"]?.arrayValue ?? [] }.compactMap { $0.intValue })).sorted().map(
            String.init)
    }

    static let serviceIDs: CompletionKind = .custom { _, _, _ in
        services().compactMap { $0["id"]?.stringValue }
    }
}
