import Domain

/// The crews on a job that dispatch watches, in memory: those on their way to the pick-up (is
/// the crew there yet?) and those notified up to in service (did the vehicle have an accident?).
/// The open bookings set the list; stored positions and recorded events are matched against it
/// as they come, by terminal, without reading any track. What was stored before a job was
/// watched, or dropped from the feed, is read back once (`readBack`).
///
/// Pure: it decides, `ArrivalWatch` reads and moves the bookings. Each job's arrival and
/// accident are decided once; a job whose booking could not be moved is forgotten and watched
/// afresh from the next open bookings.
public struct WatchedCrews: Sendable {
    /// A booking's crew on its way to or at a job: the vehicle, where it is to be on site (the
    /// pick-up, or where the car it replaces stopped) and when the crew was told. A booking given
    /// another crew, notified again or sent elsewhere is another job.
    public struct Job: Sendable, Hashable {
        public var bookingID: Int64
        public var vehicleID: Int64
        public var pickup: GeoPoint
        /// Seconds since 1970: fixes and alarms count from then.
        public var notifiedAt: Int64

        /// The booking's job, if it has a crew notified of it and not yet done with it.
        public init?(_ record: BookingRecord) {
            guard let vehicle = record.vehicleID, WatchedCrews.accidentStates.contains(record.state),
                let notified = record.transitions.last(where: { $0.state == .notified })?.at
            else { return nil }
            self.init(bookingID: record.id, vehicleID: vehicle, pickup: record.site.point, notifiedAt: notified.epochSeconds)
        }

        public init(bookingID: Int64, vehicleID: Int64, pickup: GeoPoint, notifiedAt: Int64) {
            (self.bookingID, self.vehicleID, self.pickup, self.notifiedAt) = (bookingID, vehicleID, pickup, notifiedAt)
        }
    }

    public enum Action: Sendable, Hashable {
        /// Read the job's track and alarms since it was notified, and hand them to `readBack`.
        case readBack(Job)
        /// The crew came within 150 m of the pick-up at `at` (seconds since 1970).
        case arrived(Job, at: Int64)
        /// The crew's vehicle raised an accident alarm: another crew is needed.
        case replace(Job, alarm: String)

        public var job: Job {
            switch self {
            case .readBack(let job), .arrived(let job, _), .replace(let job, _): job
            }
        }
    }

    /// Terminal alarms that replace the crew (`AlarmKind` names; FLEET_REPLACING_ALARMS):
    /// by default an accident.
    public let replacingAlarms: Set<String>
    /// States a crew's arrival is looked for in.
    static let arrivalStates: Set<BookingState> = [.notified, .enRoute]
    /// States a crew's accident is looked for in.
    static let accidentStates: Set<BookingState> = [.notified, .enRoute, .onSite, .inService]
    /// A fix dated up to a minute ahead of the server's clock counts (terminals' clocks drift by
    /// seconds); one further ahead is not believed yet.
    static let lead: Int64 = 60

    private struct Watched {
        var job: Job
        var seekingArrival: Bool
    }

    /// By booking.
    private var watched: [Int64: Watched] = [:]
    /// The watched vehicles' terminals: a stored position names its terminal, not its vehicle.
    private var vehicleOfTerminal: [Int32: Int64] = [:]

    public init(replacingAlarms: Set<String> = AlarmKind.replacingByDefault) { self.replacingAlarms = replacingAlarms }

    /// The jobs watched now, by booking.
    public var jobs: [Int64: Job] { watched.mapValues(\.job) }

    /// The list set from the open bookings and the terminals of their vehicles: a job not watched
    /// yet is read back once; a job watched already is not (the feed brought its fixes), unless
    /// its vehicle reports through a terminal it did not have (bound since).
    public mutating func refresh(open: [BookingRecord], terminals: [Int32: Int64]) -> [Action] {
        var next: [Int64: Watched] = [:]
        for record in open {
            guard let job = Job(record) else { continue }
            // Never looked for again once found: the booking is being moved, or was. Another job
            // of the booking (a replacement's crew) is looked for afresh.
            let known = watched[job.bookingID].flatMap { $0.job == job ? $0 : nil }
            let seeking = (known?.seekingArrival ?? true) && Self.arrivalStates.contains(record.state)
            next[job.bookingID] = Watched(job: job, seekingArrival: seeking)
        }
        let vehicles = Set(next.values.map(\.job.vehicleID))
        let kept = terminals.filter { vehicles.contains($0.value) }
        let gained = Set(kept.filter { vehicleOfTerminal[$0.key] != $0.value }.values)
        let actions = next.values.filter { watched[$0.job.bookingID]?.job != $0.job || gained.contains($0.job.vehicleID) }
            .sorted { $0.job.bookingID < $1.job.bookingID }.map { Action.readBack($0.job) }
        (watched, vehicleOfTerminal) = (next, kept)
        return actions
    }

    /// Positions just stored, `now` seconds since 1970, of the watched vehicles: by vehicle,
    /// oldest first, without those dated too far ahead.
    public func tracks(_ positions: [PositionRecord], now: Int64) -> [Int64: [PositionRecord]] {
        var fixes: [Int64: [PositionRecord]] = [:]
        for position in positions where position.gnssTime <= now + Self.lead {
            guard let vehicle = vehicleOfTerminal[position.terminalID] else { continue }
            fixes[vehicle, default: []].append(position)
        }
        // A batch holds many terminals' reports in the order they came, not by time.
        return fixes.mapValues { $0.sorted { $0.gnssTime < $1.gnssTime } }
    }

    /// Positions just stored, `now` seconds since 1970: the crews they show at their pick-up.
    public mutating func stored(_ positions: [PositionRecord], now: Int64) -> [Action] {
        stored(tracks: tracks(positions, now: now))
    }

    /// The watched vehicles' fixes just stored (`tracks`): the crews they show at their pick-up.
    public mutating func stored(tracks: [Int64: [PositionRecord]]) -> [Action] {
        guard !tracks.isEmpty else { return [] }
        return watched.keys.sorted().compactMap { id in
            watched[id].flatMap { tracks[$0.job.vehicleID] }.flatMap { arrival(id, track: $0) }
        }
    }

    /// Events just recorded: the crews whose vehicle raised a replacing alarm since they were
    /// notified (an alarm going off replaces no one).
    public mutating func recorded(_ events: [VehicleEvent]) -> [Action] {
        var actions: [Action] = []
        for event in events.sorted(by: { $0.occurredAt < $1.occurredAt }) where !event.cleared && replacingAlarms.contains(event.kind) {
            guard let vehicle = vehicleOfTerminal[event.terminalID] else { continue }
            for id in watched.keys.sorted() where watched[id].map({ $0.job.vehicleID == vehicle && $0.job.notifiedAt <= event.occurredAt }) ?? false {
                actions += accident(id, alarm: event.kind)
            }
        }
        return actions
    }

    /// The feed dropped records: every job is read back.
    public func missed() -> [Action] {
        watched.values.map(\.job).sorted { $0.bookingID < $1.bookingID }.map(Action.readBack)
    }

    /// What was read back for `job`: its vehicle's track since it was notified (oldest first) and
    /// the first accident alarm since then.
    public mutating func readBack(_ job: Job, track: [PositionRecord], accident alarm: String?) -> [Action] {
        guard watched[job.bookingID]?.job == job else { return [] }
        return (arrival(job.bookingID, track: track).map { [$0] } ?? []) + (alarm.map { accident(job.bookingID, alarm: $0) } ?? [])
    }

    /// A booking whose move failed: watched afresh (and read back) from the next open bookings.
    public mutating func forget(_ bookingID: Int64) { watched[bookingID] = nil }

    /// When a track shows the crew on site: the first fix within 150 m of the pick-up since it
    /// was notified (`OnSiteDetector`).
    static func arrival(of job: Job, track: [PositionRecord]) -> Int64? {
        OnSiteDetector.arrival(
            track: track.map { (time: $0.gnssTime, point: GeoPoint(latitudeE6: $0.latitudeE6, longitudeE6: $0.longitudeE6)) }, pickup: job.pickup,
            after: job.notifiedAt)
    }

    private mutating func arrival(_ id: Int64, track: [PositionRecord]) -> Action? {
        guard let entry = watched[id], entry.seekingArrival, let at = Self.arrival(of: entry.job, track: track) else { return nil }
        watched[id]?.seekingArrival = false
        return .arrived(entry.job, at: at)
    }

    /// Once per job: the booking is given another crew, which is another job.
    private mutating func accident(_ id: Int64, alarm: String) -> [Action] {
        guard let entry = watched.removeValue(forKey: id) else { return [] }
        return [.replace(entry.job, alarm: alarm)]
    }
}
