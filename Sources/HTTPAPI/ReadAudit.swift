import Domain
import Synchronization

/// Reads of personal data and of the fleet's live positions, on record once per user, what was
/// read and window: a dispatcher's map polls the positions every second, and the trail should
/// say who looked at what and when, not repeat it thousands of times an hour.
final class ReadAudit: Sendable {
    let window: Duration
    let capacity: Int
    private let recorded = Mutex<[String: ContinuousClock.Instant]>([:])

    init(window: Duration = .seconds(600), capacity: Int = 10_000) {
        self.window = window
        self.capacity = capacity
    }

    /// Whether this read opens a new window for `key` (and so is written to the trail).
    func opensWindow(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        recorded.withLock { recorded in
            if let last = recorded[key], now - last < window { return false }
            // Bounded: closed windows go first; if all are open, a read is recorded again
            // sooner than its window, never later.
            if recorded.count >= capacity { recorded = recorded.filter { now - $0.value < window } }
            if recorded.count >= capacity { recorded.removeAll() }
            recorded[key] = now
            return true
        }
    }
}
