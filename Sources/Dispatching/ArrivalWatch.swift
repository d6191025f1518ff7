import Domain
import Foundation
import Store
import Synchronization

/// Watches the crews on their way: "on site" is the first fix within 150 m of where the crew is
/// to be (the pick-up, or where the car it replaces stopped) after the driver was notified (the
/// track decides, not the driver's button), and an accident alarm (or another of the configured
/// replacing alarms) from the vehicle's terminal replaces the crew. And the trips in service: a
/// track leaving the corridor of the agreed route, or entering a restricted zone (`ZoneWatch`,
/// which keeps every vehicle's zone entries and exits), raises the `route` alert to the
/// dispatcher and the agency, once per excursion or entry.
///
/// Positions and events are judged as ingest stores them (`heard`, from an `IngestFeed`), against
/// the jobs the dispatch tick lists (`watch`); a track is read only for a job newly watched, or
/// when the feed dropped something (`WatchedCrews`, `CorridorWatch`).
public final class ArrivalWatch: Sendable {
    let bookings: BookingService
    let facts: DispatchFacts
    let positions: PositionQueries
    let alarms: VehicleAlarms
    let sweeper: ClockSweeper
    let zones: ZoneWatch
    let clock: any WallClock
    /// Alarms that replace a crew (also read back from the stored events).
    let replacingAlarms: Set<String>
    private let crews: Mutex<WatchedCrews>
    private let corridors: Mutex<CorridorWatch>

    init(
        bookings: BookingService, facts: DispatchFacts, positions: PositionQueries, alarms: VehicleAlarms, sweeper: ClockSweeper, zones: ZoneWatch,
        corridorMetres: Int, replacingAlarms: Set<String>, clock: any WallClock
    ) {
        (self.bookings, self.facts, self.positions, self.alarms, self.sweeper, self.clock) = (bookings, facts, positions, alarms, sweeper, clock)
        self.zones = zones
        self.replacingAlarms = replacingAlarms
        crews = Mutex(WatchedCrews(replacingAlarms: replacingAlarms))
        corridors = Mutex(CorridorWatch(widthMetres: Double(corridorMetres)))
    }

    /// The jobs watched now, by booking.
    public var jobs: [Int64: WatchedCrews.Job] { crews.withLock { $0.jobs } }

    /// The trips in service held to their route now, by booking.
    public var trips: [Int64: CorridorWatch.Trip] { corridors.withLock { $0.trips } }

    /// The watch list set from the open bookings; jobs and trips new to it read back since they
    /// were notified or their service began (fixes stored before, or while the server was down).
    public func watch() async throws {
        let open = try await bookings.open()
        let terminals = try await facts.terminals(ofVehicles: Array(Set(open.compactMap(\.vehicleID))))
        let actions = crews.withLock { $0.refresh(open: open, terminals: terminals) }
        let trips = corridors.withLock { $0.refresh(open: open) }
        try await perform(actions, readingBack: trips)
    }

    /// What ingest just made durable, judged against the watched jobs and trips.
    public func heard(_ delivery: IngestFeed.Delivery) async throws {
        let now = clock.now.epochSeconds
        switch delivery {
        case .positions(let stored):
            let (actions, tracks) = crews.withLock { crews in
                let tracks = crews.tracks(stored, now: now)
                return (crews.stored(tracks: tracks), tracks)
            }
            var departures = corridors.withLock { $0.stored(tracks) }.map { (trip: $0.trip, at: $0.at) }
            // Zones failing to be stored hold back no arrival: told after the rest is done.
            var zonesFailed: (any Error)?
            do {
                departures += restrictedEntries(try await zones.heard(stored), tracks: tracks)
            } catch {
                zonesFailed = error
            }
            try await perform(actions, readingBack: [], departures: departures)
            if let zonesFailed { throw zonesFailed }
        case .events(let events):
            try await perform(crews.withLock { $0.recorded(events) }, readingBack: [])
        case .missed:
            zones.missed()
            let trips = corridors.withLock { $0.trips.values.sorted { $0.bookingID < $1.bookingID } }
            try await perform(crews.withLock { $0.missed() }, readingBack: trips)
        }
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

    /// Each action in turn, each trip's track read back and each departure from its route (an
    /// excursion from the corridor, an entry into a restricted zone) alerted; one that
    /// fails leaves its job or trip to be watched afresh at the next tick, and the others are
    /// still done.
    private func perform(
        _ actions: [WatchedCrews.Action], readingBack trips: [CorridorWatch.Trip], departures: [(trip: CorridorWatch.Trip, at: Int64)] = []
    ) async throws {
        var failure: (any Error)?
        for action in actions {
            do {
                try await perform(action)
            } catch {
                crews.withLock { $0.forget(action.job.bookingID) }
                failure = failure ?? error
            }
        }
        var departures = departures
        for trip in trips {
            do {
                let track = try await positions.track(vehicleID: trip.vehicleID, from: trip.since, to: clock.now.epochSeconds + WatchedCrews.lead)
                departures += corridors.withLock { $0.readBack(trip, track: track) }.map { (trip: $0.trip, at: $0.at) }
            } catch {
                corridors.withLock { $0.forget(trip.bookingID) }
                failure = failure ?? error
            }
        }
        for departure in departures {
            do {
                try await alert(departure.trip, at: departure.at)
            } catch {
                corridors.withLock { $0.forget(departure.trip.bookingID) }
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// Trips in service whose vehicle entered a restricted zone: each entry a departure from the
    /// agreed route.
    private func restrictedEntries(_ crossings: [(ZoneCrossing, NamedZone)], tracks: [Int64: [PositionRecord]]) -> [(trip: CorridorWatch.Trip, at: Int64)] {
        let entries = crossings.filter { $0.0.direction == .entry && $0.1.kind == .restricted }
        guard !entries.isEmpty else { return [] }
        let vehicleOfTerminal = Dictionary(tracks.flatMap { vehicle, track in track.map { ($0.terminalID, vehicle) } }, uniquingKeysWith: { a, _ in a })
        let trips = corridors.withLock { Array($0.trips.values) }
        return entries.flatMap { crossing, _ in
            trips.filter { $0.vehicleID == vehicleOfTerminal[crossing.terminalID] && $0.since <= crossing.at }.map { (trip: $0, at: crossing.at) }
        }
    }

    /// The track left the agreed route (its corridor, or into a restricted zone): the `route` alert, once per departure (by
    /// when it began), unless the booking moved on or its route changed meanwhile.
    private func alert(_ trip: CorridorWatch.Trip, at: Int64) async throws {
        guard let record = try await bookings.booking(id: trip.bookingID), CorridorWatch.Trip(record) == trip else { return }
        let status = ServiceLevels.Status(clock: .route, started: at, due: at, stopped: nil, state: .breached)
        try await sweeper.alert(.booking(record.id), agencyID: record.agencyID, status)
    }

    private func perform(_ action: WatchedCrews.Action) async throws {
        switch action {
        case .readBack(let job):
            let track = try await track(of: job)
            let accident = try await alarms.first(
                of: Array(replacingAlarms), vehicleID: job.vehicleID, since: Date(timeIntervalSince1970: TimeInterval(job.notifiedAt)))
            try await perform(crews.withLock { $0.readBack(job, track: track, accident: accident) }, readingBack: [])
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
            try await bookings.move(record.id, to: .replaced, by: .gnss, note: "terminal alarm \(alarm)", stop: try await facts.stop(of: job.vehicleID))
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
        let site = record.replacementSites.isEmpty ? "the pick-up" : record.site.address
        return try await bookings.move(record.id, to: .onSite, at: at, by: .gnss, note: "within 150 m of \(site)")
    }
}
