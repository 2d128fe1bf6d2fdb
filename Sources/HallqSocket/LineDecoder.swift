import NIOCore

/// A request line, or the news that the client sent more than the limit without a newline.
enum Frame: Sendable, Equatable {
    case line(ByteBuffer)
    case tooLong
}

/// Splits the byte stream at "\n" (a trailing "\r" is dropped). Never buffers more than
/// `maxLength` + one read: an over-long line becomes `.tooLong` at once, not after the client
/// finally sends a newline, so a hostile client cannot make the daemon hold megabytes. The rest
/// of an over-long line, up to its newline, is discarded, so how the bytes happen to be split
/// into reads never changes what comes out.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame
    let maxLength: Int
    /// Inside an over-long line already reported: drop bytes up to its newline.
    private var discarding = false

    init(maxLength: Int) { self.maxLength = maxLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if discarding {
            guard let nl = view.firstIndex(of: UInt8(ascii: "\n")) else {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return .needMoreData
            }
            buffer.moveReaderIndex(forwardBy: nl - view.startIndex + 1)
            discarding = false
            return .continue
        }
        if let nl = view.firstIndex(of: UInt8(ascii: "\n")) {
            let length = nl - view.startIndex
            if length > maxLength {
                buffer.moveReaderIndex(forwardBy: length + 1)
                context.fireChannelRead(wrapInboundOut(.tooLong))
                return .continue
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        if buffer.readableBytes > maxLength {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            discarding = true
            context.fireChannelRead(wrapInboundOut(.tooLong))
        }
        return .needMoreData
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without a newline still counts as a request (not the tail of an over-long one).
        if buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes), !discarding {
            context.fireChannelRead(wrapInboundOut(.line(rest)))
        }
        return .needMoreData
    }
}
