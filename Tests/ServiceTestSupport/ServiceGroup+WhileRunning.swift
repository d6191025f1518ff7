import ServiceLifecycle

extension ServiceGroup {
    /// Runs the group for the duration of `body`, then shuts it down gracefully, also when `body`
    /// throws. Never by cancellation: a server on `NIOAsyncChannel` cancelled with a connection
    /// accepted but not yet served traps ("Deinited NIOAsyncWriter without calling finish()",
    /// swift-nio #3481), which takes the whole test process down with it.
    public func whileRunning<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await self.run() }
            let outcome: Result<R, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            await triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }
}
