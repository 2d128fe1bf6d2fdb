import HallqApp
import HallqCore
import ServiceLifecycle
import UnixSignals

/// SIGHUP reloads the config (as the `reload` op does); the queue stays as it is. The signal
/// arrives through swift-service-lifecycle's `UnixSignalsSequence`, the same machinery that
/// turns SIGTERM into the graceful shutdown.
struct ReloadOnHangup: Service {
    let reload: @Sendable () async -> Result<Void, HallError>
    let notifier: SystemdNotifier

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        // Not `cancelOnGracefulShutdown()`: that is swift-async-algorithms' `merge`, which in
        // 1.1.4 can deadlock against the cancellation a shutdown brings (WebServer.run says how).
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                notifier.send("RELOADING=1")
                _ = await reload()
                notifier.send("READY=1")
            }
        }
    }
}
