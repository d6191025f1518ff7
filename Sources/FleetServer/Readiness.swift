import Domain
import ServiceLifecycle
import Synchronization

/// Opens once the schema is migrated and today's partitions exist; services that need the
/// database (the gateway, the API, the demo fleet) wait for it before they start.
final class Readiness: Sendable {
    private let opened = Mutex(false)

    func open() { opened.withLock { $0 = true } }

    /// Returns once open; throws if the task is cancelled first. Polls: this happens once, at start.
    func wait() async throws {
        while !opened.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
    }
}

/// Runs `service` once the schema is in place, so that its port opens only then, as the
/// gateway's does: before, a client would meet errors of tables not yet created.
struct OnceReady<Inner: Service>: Service {
    let service: Inner
    let readiness: Readiness

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        try await service.run()
    }
}
