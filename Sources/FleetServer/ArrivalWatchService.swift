import Dispatching
import Domain
import Logging
import ServiceLifecycle

/// Arrivals and accidents as ingest stores them: each of the feed's deliveries judged against the
/// crews the dispatch loop watches, so a booking is on site a moment after the position that
/// shows it is durable, not at the next tick.
struct ArrivalWatchService: Service {
    let arrivals: ArrivalWatch
    let feed: IngestFeed
    let readiness: Readiness
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        await cancelWhenGracefulShutdown {
            for await delivery in feed {
                do {
                    try await arrivals.heard(delivery)
                } catch {
                    // The booking is watched afresh at the next tick and its track read back then.
                    logger.warning("arrival watch failed; reading back at the next tick", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
    }
}
