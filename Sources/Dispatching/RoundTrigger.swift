import Synchronization

/// Wakes the dispatch loop early: a booking confirmed or a crew freed wants a matching round
/// now, not at the next tick. Signals while the loop is busy are kept as one (a round serves
/// them all); rounds stay one at a time, so two can never match one booking to two crews.
public final class RoundTrigger: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    public init() {}

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when signalled (at once if a signal came since the last wait) or after `timeout`.
    public func wait(upTo timeout: Duration) async {
        if state.withLock({ state in
            defer { state.pending = false }; return state.pending
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.signalled() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Suspends until `signal`, or until the task is cancelled.
    private func signalled() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let early = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if early { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }; return state.waiter
            }
            waiter?.resume()
        }
    }
}
