import NIOCore

/// Knows when every byte written into a connection has been handed to the kernel, so a
/// connection can wait for the replies it owes before it closes.
///
/// NIO's `close` fails the writes still pending in the channel (those the kernel's socket buffer
/// had no room for yet): a client that half-closed after pipelining requests, or whose line was
/// refused `TOO-LONG`, lost the last replies when it read slowly or the machine was busy. The
/// connection loop therefore asks `drained` before it returns, and closes only then.
///
/// Lives on the channel's event loop: every method runs there.
final class WriteDrain: ChannelOutboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending = 0
    private var waiters: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pending += 1
        let done = promise ?? context.eventLoop.makePromise()
        done.futureResult.whenComplete { _ in
            self.pending -= 1
            if self.pending == 0 { self.wake() }
        }
        context.write(data, promise: done)
    }

    private func wake() {
        let w = waiters
        waiters = []
        for p in w { p.succeed() }
    }

    /// Succeeds once every write that reached this handler before the call has been done or has
    /// failed (a hang-up fails them), or after `limit`: a client that never reads again must not
    /// hold its connection forever.
    static func drained(_ channel: any Channel, limit: TimeAmount) async {
        let el = channel.eventLoop
        let f: EventLoopFuture<Void> = el.flatSubmit {
            guard let drain = try? channel.pipeline.syncOperations.handler(type: WriteDrain.self), drain.pending > 0
            else { return el.makeSucceededVoidFuture() }
            let p = el.makePromise(of: Void.self)
            drain.waiters.append(p)
            el.scheduleTask(in: limit) {
                // Still waiting (not woken by the last write): give up on the rest.
                guard let i = drain.waiters.firstIndex(where: { $0.futureResult === p.futureResult }) else { return }
                drain.waiters.remove(at: i)
                p.succeed()
            }
            return p.futureResult
        }
        try? await f.get()
    }
}
