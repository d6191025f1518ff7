import Synchronization

/// Lets one matching decision at a time read the crews and write its matches: a round of the
/// dispatch loop, a round a replacement asks for, a dispatcher's override. Two at once would
/// each see a crew free and could give it two bookings. Waiters enter in the order they came.
final class OneAtATime: Sendable {
    private let state = Mutex<(busy: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (turn: CheckedContinuation<Void, Never>) in
            let entered = state.withLock { state in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiting.append(turn)
                return false
            }
            if entered { turn.resume() }
        }
    }

    /// Hands the gate to the next waiter, still busy, or leaves it free.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
