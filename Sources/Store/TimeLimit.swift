import Synchronization

/// `operation`'s result, or `timedOut` thrown once `limit` has passed, whichever comes first.
/// The operation runs in a task of its own, abandoned at the limit rather than awaited:
/// PostgresNIO 1.33 never completes a query written to a connection the server has just closed
/// (seen when PostgreSQL stops), and a task group would wait for it forever. An abandoned query
/// holds nothing but its connection.
public func answer<R: Sendable>(
    within limit: Duration, else timedOut: any Error, _ operation: @escaping @Sendable () async throws -> R
) async throws -> R {
    try await withCheckedThrowingContinuation { continuation in
        let first = FirstAnswer(continuation)
        let timer = Task {
            try await Task.sleep(for: limit)
            first.resume(with: .failure(timedOut))
        }
        Task {
            do { first.resume(with: .success(try await operation())) } catch { first.resume(with: .failure(error)) }
            timer.cancel()
        }
    }
}

/// A continuation resumed by whichever answer comes first; the later ones are dropped.
private final class FirstAnswer<R: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<R, any Error>?>

    init(_ continuation: CheckedContinuation<R, any Error>) { self.continuation = Mutex(continuation) }

    func resume(with result: Result<R, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}
