import Dispatching
import Logging
import ServiceLifecycle

/// The outbox's loop: notices sent as soon as a change queued them (the notifier's `due`
/// signal), and every `interval` those whose next attempt has come.
struct NoticeService: Service {
    let notifier: Notifier
    let readiness: Readiness
    var interval: Duration = .seconds(2)
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await notifier.deliverDue()
            } catch {
                // The messages stay queued (or claimed until their lease ends): the next round sends them.
                logger.warning("sending notices failed; trying again in \(interval)", metadata: ["error": "\(String(reflecting: error))"])
            }
            await cancelWhenGracefulShutdown { await notifier.due.wait(upTo: interval) }
        }
    }
}
