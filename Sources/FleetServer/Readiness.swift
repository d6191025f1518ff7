import Synchronization

/// Opens once the schema is migrated and today's partitions exist; services that need the
/// database (the gateway, the demo fleet) wait for it before they start.
final class Readiness: Sendable {
    private let opened = Mutex(false)

    func open() { opened.withLock { $0 = true } }

    /// Returns once open; throws if the task is cancelled first. Polls: this happens once, at start.
    func wait() async throws {
        while !opened.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
    }
}
