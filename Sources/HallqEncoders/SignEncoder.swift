import HallqCore

/// Where a sign's text goes on its panel, in pixels, and how it is aligned there. Window signs are
/// one-line strips; the lobby screen is larger. Line protocols (Alpha, plain) ignore it.
public struct SignGeometry: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var align: SignAlign
    public init(width: Int, height: Int, align: SignAlign = .center) {
        self.width = width; self.height = height; self.align = align
    }
}

/// What a sign answered to the frame just sent.
public enum SignReply: Sendable, Equatable {
    case ack
    /// The sign refused the frame, or its answer was unreadable: the reason, for `devices`.
    case refused(String)
}

/// One sign protocol: content for an address in, the frames to send out. Pure.
/// Adding a vendor is one new file with one type conforming to this, plus its line in `SignEncoders`.
public protocol SignEncoder: Sendable {
    var name: String { get }
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
    /// Every protocol a bus may name, for the config check.
    public static let names = ["onbon", "alpha", "plain"]

    /// The encoder for a bus, with that bus's protocol options.
    public static func make(for bus: BusConfig) -> (any SignEncoder)? {
        switch bus.proto {
        case "onbon":
            return OnbonEncoder(options: .init(replies: bus.replies, dynamicPriority: bus.displayMode == "dynamic",
                                               pixelUnits: bus.pixelUnits))
        case "alpha": return AlphaEncoder()
        case "plain": return PlainEncoder()
        default: return nil
        }
    }

    public static func named(_ name: String) -> (any SignEncoder)? {
        make(for: BusConfig(name: "", proto: name))
    }
}
