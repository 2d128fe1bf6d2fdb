import HallqCore

/// Where a sign's text goes on its panel, in pixels, and how it is aligned there. Window signs are
/// one-line strips; the lobby screen is larger. Line protocols (Alpha, plain) ignore it.
public struct SignGeometry: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var align: SignAlign
    public init(width: Int, height: Int, align: SignAlign = .center) {
        self.width = width
        self.height = height
        self.align = align
    }
}

/// What a sign answered to the frame just sent.
public enum SignReply: Sendable, Equatable {
    case ack
    /// The sign refused the frame, or its answer was unreadable: the reason, for `devices`.
    case refused(String)
}

/// One sign protocol: content for an address in, the frames to send out. Pure.
/// Adding a vendor is one new file with one type conforming to this (its name, how it reads its
/// bus's options, its frames), plus its line in `SignEncoders.all`; the config check, the device
/// layer and the docs check all read that list.
public protocol SignEncoder: Sendable {
    /// The `protocol` a `[[bus]]` names to get this encoder.
    static var protocolName: String { get }
    /// The encoder with this bus's protocol options.
    init(bus: BusConfig)
    func frames(for content: SignContent, address: Int, geometry: SignGeometry) -> [[UInt8]]
    /// Why this text cannot be shown, or nil: checked at config load.
    func problem(with text: String) -> String?
    /// Whether every frame is answered by the sign (the bus then waits for that answer).
    var expectsReply: Bool { get }
    /// The sign's answer in the bytes read so far, or nil while it is not complete.
    func reply(in bytes: [UInt8]) -> SignReply?
}

extension SignEncoder {
    public var expectsReply: Bool { false }
    public func reply(in bytes: [UInt8]) -> SignReply? { nil }
}

public enum SignEncoders {
    /// Every sign protocol hallq speaks: the only list (config check, device layer, docs check).
    public static let all: [any SignEncoder.Type] = [OnbonEncoder.self, AlphaEncoder.self, PlainEncoder.self]

    /// Their names, for the config check and its message.
    public static var names: [String] { all.map { $0.protocolName } }

    /// The encoder for a bus, with that bus's protocol options; nil for a name not in `all`.
    public static func make(for bus: BusConfig) -> (any SignEncoder)? {
        all.first { $0.protocolName == bus.proto }.map { $0.init(bus: bus) }
    }
}
