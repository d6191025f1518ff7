import Domain
import Logging
import ServiceLifecycle
import Store

/// Writes each vehicle's newest position to `latest_positions` every `interval` (the bulk path
/// leaves that table out of its batches), and once more when the server stops, after the
/// gateway and the group commit have written their last batch. Five times a second: the rows
/// are the same in all (one a terminal that reported), in smaller statements; at 19,000
/// terminals a second's upsert held a PostgreSQL backend for 55 to 125 ms, a burst on the cores
/// ingest shares, where a fifth of it takes about 20 (BENCHMARKS.md, "2026-12-05").
struct LatestPositionsWriter: Service {
    let sink: PostgresPositionSink
    let readiness: Readiness
    var interval: Duration = .milliseconds(200)
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await flush()
        }
    }

    private func flush() async {
        do {
            try await sink.flushLatest()
        } catch {
            logger.warning("latest positions not written; kept for the next try", metadata: ["error": "\(error)"])
        }
    }
}
