import HallqCore
import HallqProtocol
import NIOCore

/// Closes a connection whose request line does not end within `timeout` of its first byte, with
/// TOO-SLOW: a client sending a byte a second must not hold a slot for as long as it likes.
/// Sits before the line decoder and only watches the bytes go by.
final class LineTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let timeout: TimeAmount
    private var pending: Scheduled<Void>?

    init(seconds: Int) { timeout = .seconds(Int64(seconds)) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let view = unwrapInboundIn(data).readableBytesView
        if let last = view.last {
            if last == UInt8(ascii: "\n") {
                cancel()  // every line in this chunk is complete
            } else if view.contains(UInt8(ascii: "\n")) || pending == nil {
                start(context.channel)  // a new line began in this chunk
            }  // else: the same line goes on, same deadline
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancel() }

    private func cancel() {
        pending?.cancel()
        pending = nil
    }

    private func start(_ channel: any Channel) {
        cancel()
        let seconds = timeout.nanoseconds / 1_000_000_000
        pending = channel.eventLoop.scheduleTask(in: timeout) {
            SocketServer.refuse(
                channel, HallError(.tooSlow, "a request line must end within \(seconds) s of its first byte; closing"))
        }
    }
}
