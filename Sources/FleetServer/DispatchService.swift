import Dispatching
import Domain
import Foundation
import Logging
import ServiceLifecycle

/// The dispatch engine's heartbeat: a matching round over the open bookings as soon as a booking
/// wants a crew or a crew is freed, and every `interval` as a safety net; each time the crews
/// watched for their arrivals and accidents (which `ArrivalWatchService` hears of as ingest
/// stores them) and every SLA clock; every few minutes, speeds and drivers' driving time learnt
/// again from the tracks; every vehicle's position on the live feed.
struct DispatchService: Service {
    let dispatch: DispatchServices
    let readiness: Readiness
    var interval: Duration = .seconds(5)
    var learningInterval: Duration = .seconds(300)
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        var learnt: ContinuousClock.Instant?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if learnt.map({ ContinuousClock.now - $0 >= learningInterval }) ?? true {
                    try await dispatch.learning.refreshSpeeds()
                    try await dispatch.learning.refreshDrivingTimes()
                    learnt = .now
                }
                try await dispatch.sweeper.alert(try await dispatch.rounds.run().stranded)
                // The watch list first: a crew newly watched whose track shows it on site stops
                // its clock before the clocks are judged.
                try await dispatch.arrivals.watch()
                try await dispatch.sweeper.sweep()
            } catch {
                // The next round tries again; bookings stay open meanwhile and their clocks run.
                logger.warning("dispatch round failed; trying again in \(interval)", metadata: ["error": "\(String(reflecting: error))"])
            }
            await cancelWhenGracefulShutdown { await dispatch.roundDue.wait(upTo: interval) }
        }
    }
}

/// Work done again every `interval` once the server is ready (billing's sweep, the platform's
/// minute): a failed round is logged with what happens next, and the next round tries again.
struct RecurringService: Service {
    let name: String
    let interval: Duration
    let readiness: Readiness
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await work()
            } catch {
                logger.warning("\(name) failed; trying again in \(interval)", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
