import Foundation
import HallqCore
import Logging

/// The seam every sign bus sits behind: show this content on the sign at this address.
/// Drivers own the scheduling of their bus; callers never wait for a sign.
public protocol SignBus: Sendable {
    var name: String { get }
    func show(_ content: SignContent, address: Int) async
    /// The bus itself, for `devices`.
    func health() async -> DeviceHealth
    /// Each sign's own health where the bus can tell (signs that answer): ok or degraded.
    /// Buses whose signs never answer report none.
    func signHealth() async -> [Int: DeviceHealth]
    /// Ends the driver's own thread, if it has one (at shutdown).
    func stop()
}

extension SignBus {
    public func signHealth() async -> [Int: DeviceHealth] { [:] }
    public func stop() {}
}

/// Writes each sign's current content to `<state>/signs/<bus>-<address>.txt` (replaced on every
/// change) and logs it.
public actor VirtualSignBus: SignBus {
    public nonisolated let name: String
    let directory: URL
    let logger: Logger
    private var shown: [Int: SignContent] = [:]

    public init(name: String, directory: URL, logger: Logger) throws {
        self.name = name
        self.directory = directory
        self.logger = logger
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func show(_ content: SignContent, address: Int) async {
        guard shown[address] != content else { return }
        shown[address] = content
        let text = "[\(content.effect.rawValue)]\n" + content.lines.joined(separator: "\n") + "\n"
        let url = directory.appendingPathComponent("\(name)-\(address).txt")
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            logger.warning(
                "virtual sign: cannot write", metadata: ["file": .string(url.path), "error": .string("\(error)")])
        }
        logger.debug(
            "sign",
            metadata: [
                "bus": .string(name), "address": .stringConvertible(address),
                "text": .string(content.lines.joined(separator: " | ")),
            ])
    }

    public func health() async -> DeviceHealth { .ok }
}
