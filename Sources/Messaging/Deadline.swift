/// A channel's exchange that did not finish in time: it may pass later.
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// What `body` returns, unless `timeout` passes first: then `TimedOut` saying `what`, and
/// `body` is cancelled (its connection closed).
func within<R: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: R.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimedOut(description: "\(what) within \(timeout)")
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw CancellationError() }
        return result
    }
}
