import Synchronization

/// How many failed registrations and authentications a phone and an address get, per window.
public struct AttemptLimits: Sendable {
    public var failuresPerPhone: Int
    public var failuresPerAddress: Int
    public var window: Duration
    public var maximumKeys: Int

    public init(failuresPerPhone: Int = 5, failuresPerAddress: Int = 100, window: Duration = .seconds(600), maximumKeys: Int = 10_000) {
        self.failuresPerPhone = failuresPerPhone
        self.failuresPerAddress = failuresPerAddress
        self.window = window
        self.maximumKeys = maximumKeys
    }
}

/// Failed registrations and authentications, counted per terminal phone and per source address,
/// across connections: a stranger who guesses phone numbers or auth codes gets a few tries, then
/// its connections are closed at once for a while.
///
/// Only failures count: behind a carrier NAT thousands of honest terminals share an address and
/// their successes must cost them nothing. A phone's limit holds only against addresses that
/// failed too: a stranger who fails with a known phone number must not lock the genuine
/// terminal, whose address has a clean record, out of its own account. A key is blocked when its
/// failures in the current window reach the limit; the window restarts `window` after its first
/// failure. Memory is bounded: at most `maximumKeys` keys of each kind, the oldest forgotten
/// first. Time comes in as an argument, so the rules are tested without a clock.
public final class AttemptLimiter<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    private struct Count {
        var failures: Int
        var since: Instant
    }

    /// One kind of key's counts, with the order they were first seen in (for forgetting the oldest).
    private struct Table {
        var counts: [String: Count] = [:]
        var order: [String] = []
        var head = 0

        func failures(_ key: String, now: Instant, window: Duration) -> Int {
            guard let count = counts[key], now < count.since.advanced(by: window) else { return 0 }
            return count.failures
        }

        mutating func fail(_ key: String, now: Instant, window: Duration, maximumKeys: Int) {
            if let count = counts[key], now < count.since.advanced(by: window) {
                counts[key]?.failures = count.failures + 1
                return
            }
            if counts[key] == nil {
                while counts.count >= maximumKeys, head < order.count {
                    counts[order[head]] = nil
                    head += 1
                }
                order.append(key)
                // The order's forgotten front is cut off now and then, not at every key.
                if head > maximumKeys {
                    order.removeFirst(head)
                    head = 0
                }
            }
            counts[key] = Count(failures: 1, since: now)
        }
    }

    private struct State {
        var phones = Table()
        var addresses = Table()
    }

    public let limits: AttemptLimits
    private let state = Mutex(State())

    public init(limits: AttemptLimits = AttemptLimits()) { self.limits = limits }

    /// Whether attempts for `phone` (when known) or from `address` are refused for now.
    public func isBlocked(phone: String?, address: String, now: Instant) -> Bool {
        state.withLock { s in
            if s.addresses.failures(address, now: now, window: limits.window) >= limits.failuresPerAddress { return true }
            guard let phone, s.addresses.failures(address, now: now, window: limits.window) > 0 else { return false }
            return s.phones.failures(phone, now: now, window: limits.window) >= limits.failuresPerPhone
        }
    }

    /// A registration or authentication for `phone` from `address` failed.
    public func recordFailure(phone: String, address: String, now: Instant) {
        state.withLock { s in
            s.phones.fail(phone, now: now, window: limits.window, maximumKeys: limits.maximumKeys)
            s.addresses.fail(address, now: now, window: limits.window, maximumKeys: limits.maximumKeys)
        }
    }

    /// Keys remembered, of each kind (for tests of the bound).
    public var rememberedKeys: (phones: Int, addresses: Int) { state.withLock { ($0.phones.counts.count, $0.addresses.counts.count) } }
}
