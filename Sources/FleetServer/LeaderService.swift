import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Store
import Synchronization

/// Runs a duty's services while this process leads it, for as long as it does: campaigns every
/// `campaignInterval` on a connection of its own (`LeaderLock`), then runs what `term` builds
/// until shutdown, a failure, or the connection no longer answering within `confirmTimeout`
/// (the lock then goes with the connection, and another process takes over); then campaigns
/// again. Each term gets services built afresh: a stream a term's services consumed is not
/// handed to the next.
struct LeaderService: Service {
    let lock: LeaderLock
    let database: DatabaseURL
    let readiness: Readiness
    var campaignInterval: Duration = .seconds(1)
    var confirmTimeout: Duration = .seconds(3)
    /// The term's services, built when it begins.
    let term: @Sendable () -> [any Service]
    /// When the term ends, however it ended.
    let resign: @Sendable () -> Void
    let logger: Logger

    struct LostTheDatabase: Error, CustomStringConvertible {
        let after: Duration
        var description: String { "the leader's connection gave no answer in \(after)" }
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let connection = try await LeaderLock.connect(database, logger: logger)
                var failure: (any Error)?
                do { try await serve(on: connection) } catch { failure = error }
                // Closing the connection lets the lock go at once, for the next leader.
                try? await connection.close()
                if let failure { throw failure }
            } catch {
                logger.warning(
                    "not leading \(lock.duty.rawValue); campaigning again in \(campaignInterval)", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: campaignInterval) }
        }
    }

    /// A campaign, then the term if it was won: returns at shutdown, throws when the term failed.
    private func serve(on connection: PostgresConnection) async throws {
        guard try await campaign(on: connection) else { return }
        logger.notice("leading \(lock.duty.rawValue)", metadata: ["holder": "\(lock.holder)"])
        defer { resign() }
        try await lead(on: connection)
    }

    /// Waits for the lock; false when shutting down first.
    private func campaign(on connection: PostgresConnection) async throws -> Bool {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if try await answered(on: connection, { try await lock.tryAcquire(on: connection, logger: logger) }) { return true }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: campaignInterval) }
        }
        return false
    }

    /// The term: its services, and the connection checked every `campaignInterval`. Returns at
    /// shutdown; throws when a service failed or the connection stopped answering.
    private func lead(on connection: PostgresConnection) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in term() { group.addTask { try await service.run() } }
            group.addTask {
                while !Task.isShuttingDownGracefully, !Task.isCancelled {
                    try await confirm(on: connection)
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: campaignInterval) }
                }
            }
            // The first to end ends the term: at shutdown they all do.
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func confirm(on connection: PostgresConnection) async throws {
        try await answered(on: connection) { try await lock.confirm(on: connection, logger: logger) }
    }

    /// `query`'s result, or `LostTheDatabase` after `confirmTimeout`. PostgresNIO 1.33 never
    /// completes a query written to a connection the server has just closed (seen when
    /// PostgreSQL stops), and a task group would wait for it forever: the query runs in a task
    /// of its own, which is abandoned then and holds nothing but the closed connection.
    private func answered<R: Sendable>(on connection: PostgresConnection, _ query: @escaping @Sendable () async throws -> R) async throws -> R {
        guard !connection.isClosed else { throw LostTheDatabase(after: .zero) }
        let limit = confirmTimeout
        return try await withCheckedThrowingContinuation { continuation in
            let first = FirstAnswer(continuation)
            let timer = Task {
                try await Task.sleep(for: limit)
                first.resume(with: .failure(LostTheDatabase(after: limit)))
            }
            Task {
                do { first.resume(with: .success(try await query())) } catch { first.resume(with: .failure(error)) }
                timer.cancel()
            }
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
