import HallqCore

/// Where a sign's text goes on its panel, in pixels. Window signs are one-line strips; the lobby
/// screen is larger. Only the Onbon encoder uses geometry; line protocols ignore it.
public struct SignGeometry: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
}

/// One sign protocol: content for an address in, the frames to send out. Pure.
/// Adding a vendor is one new file with one type conforming to this.
public protocol SignEncoder: Sendable {
    var name: String { get }
    func frames(for content: SignContent, address: Int, geometry: SignGeometry) -> [[UInt8]]
    /// Why this text cannot be shown, or nil: checked at config load.
    func problem(with text: String) -> String?
}

public enum SignEncoders {
    public static func named(_ name: String) -> (any SignEncoder)? {
        switch name {
        case "onbon": return OnbonEncoder()
        case "alpha": return AlphaEncoder()
        case "plain": return PlainEncoder()
        default: return nil
        }
    }
}
