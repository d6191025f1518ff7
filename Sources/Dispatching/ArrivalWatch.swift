import Domain
import Foundation
import Store
import Synchronization

/// Watches the crews on their way: "on site" is the first fix within 150 m of the pick-up after
/// the driver was notified (the track decides, not the driver's button), and an accident alarm
/// from the vehicle's terminal replaces the crew.
///
/// Positions and events are judged as ingest stores them (`heard`, from an `IngestFeed`), against
/// the jobs the dispatch tick lists (`watch`); a track is read only for a job newly watched, or
/// when the feed dropped something (`WatchedCrews`).
public final class ArrivalWatch: Sendable {
    let bookings: BookingService
    let facts: DispatchFacts
    let positions: PositionQueries
    let alarms: VehicleAlarms
    let clock: any WallClock
    private let crews = Mutex(WatchedCrews())

    init(bookings: BookingService, facts: DispatchFacts, positions: PositionQueries, alarms: VehicleAlarms, clock: any WallClock) {
        (self.bookings, self.facts, self.positions, self.alarms, self.clock) = (bookings, facts, positions, alarms, clock)
    }

    /// The jobs watched now, by booking.
    public var jobs: [Int64: WatchedCrews.Job] { crews.withLock { $0.jobs } }

    /// The watch list set from the open bookings; jobs new to it read back since they were
    /// notified (fixes stored before, or while the server was down).
    public func watch() async throws {
        let open = try await bookings.open()
        let terminals = try await facts.terminals(ofVehicles: Array(Set(open.compactMap(\.vehicleID))))
        try await perform(crews.withLock { $0.refresh(open: open, terminals: terminals) })
    }

    /// What ingest just made durable, judged against the watched jobs.
    public func heard(_ delivery: IngestFeed.Delivery) async throws {
        let now = clock.now.epochSeconds
        let actions = crews.withLock { crews in
            switch delivery {
            case .positions(let positions): crews.stored(positions, now: now)
            case .events(let events): crews.recorded(events)
            case .missed: crews.missed()
            }
        }
        try await perform(actions)
    }

    /// The booking after looking at its crew's track for the arrival (the driver says they are
    /// there: the track decides).
    public func checkArrival(_ id: Int64) async throws -> BookingRecord {
        guard let record = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        guard let job = WatchedCrews.Job(record), WatchedCrews.arrivalStates.contains(record.state),
            let at = WatchedCrews.arrival(of: job, track: try await track(of: job))
        else { return record }
        return try await arrive(record, at: at)
    }

    /// Each action in turn; one that fails leaves its job to be watched afresh at the next tick,
    /// and the others are still done.
    private func perform(_ actions: [WatchedCrews.Action]) async throws {
        var failure: (any Error)?
        for action in actions {
            do {
                try await perform(action)
            } catch {
                crews.withLock { $0.forget(action.job.bookingID) }
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    private func perform(_ action: WatchedCrews.Action) async throws {
        switch action {
        case .readBack(let job):
            let track = try await track(of: job)
            let accident = try await alarms.first(
                of: Array(WatchedCrews.accidentAlarms), vehicleID: job.vehicleID, since: Date(timeIntervalSince1970: TimeInterval(job.notifiedAt)))
            try await perform(crews.withLock { $0.readBack(job, track: track, accident: accident) })
        case .arrived(let job, let at):
            // The booking as it is now: moved on by someone else, or given another crew, it is left alone.
            guard let record = try await bookings.booking(id: job.bookingID), WatchedCrews.Job(record) == job,
                WatchedCrews.arrivalStates.contains(record.state)
            else { return }
            try await arrive(record, at: at)
        case .replace(let job, let alarm):
            guard let record = try await bookings.booking(id: job.bookingID), WatchedCrews.Job(record) == job else { return }
            // Matched again by the dispatch loop, which the move wakes (`crewWanted`): rounds
            // stay one at a time.
            try await bookings.move(record.id, to: .replaced, by: .gnss, note: "terminal alarm \(alarm)")
        }
    }

    /// The job's track since its crew was notified.
    private func track(of job: WatchedCrews.Job) async throws -> [PositionRecord] {
        try await positions.track(vehicleID: job.vehicleID, from: job.notifiedAt, to: clock.now.epochSeconds + WatchedCrews.lead)
    }

    /// The booking moved on site at `arrival` (seconds since 1970).
    @discardableResult
    private func arrive(_ record: BookingRecord, at arrival: Int64) async throws -> BookingRecord {
        let at = Date(timeIntervalSince1970: TimeInterval(arrival))
        if record.state == .notified {
            // The driver did not say they set off; the track says they did.
            try await bookings.move(record.id, to: .enRoute, at: at, by: .gnss, note: "seen driving to the pick-up")
        }
        return try await bookings.move(record.id, to: .onSite, at: at, by: .gnss, note: "within 150 m of the pick-up")
    }
}
