import Domain
import Foundation
import Logging
import PostgresNIO

/// Bookings in PostgreSQL. Every change of state goes through `move`, which checks it against
/// the lifecycle (`BookingState.next`) under a row lock and signs it in `booking_transitions`.
public struct Bookings: BookingRepository {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// A new booking, received (or awaiting its agency's approval); `audit` names its line by
    /// the booking's id.
    public func create(
        _ r: BookingRequest, agencyID: Int64, receivedAt: Date, state: BookingState = .received, by actor: Actor, audit: Audit<Int64>? = nil
    ) async throws -> BookingRecord {
        let urgent = r.isUrgent(receivedAt: receivedAt)
        let (p, d, stops) = (r.pickup.point, r.destination.point, r.stops ?? [])
        let id = try await constrained {
            try await client.audited(audit, logger: logger) { connection -> Int64 in
                let rows = try await connection.query(
                    """
                    INSERT INTO bookings (agency_id, channel, contact_name, contact_phone, passengers, vehicle_class, pickup_time, pickup_lat_e6, pickup_lon_e6,
                        pickup_address, destination_lat_e6, destination_lon_e6, destination_address, route_notes, service_end, special_needs, received_at, urgent, state,
                        transfer, stop_lat_e6, stop_lon_e6, stop_addresses, contact_email)
                    VALUES (\(agencyID), \(r.channel.rawValue), \(r.contactName), \(r.contactPhone), \(Int16(r.passengers)), \(r.vehicleClass.rawValue), \(r.pickupTime),
                        \(p.latitudeE6), \(p.longitudeE6), \(r.pickup.address), \(d.latitudeE6), \(d.longitudeE6), \(r.destination.address), \(r.routeNotes ?? ""),
                        \(r.serviceEnd), \(r.specialNeeds ?? ""), \(receivedAt), \(urgent), \(state.rawValue),
                        \(r.transfer ?? false), \(stops.map(\.point.latitudeE6)), \(stops.map(\.point.longitudeE6)), \(stops.map(\.address)), \(r.contactEmail))
                    RETURNING id
                    """, logger: logger)
                for try await id in rows.decode(Int64.self) {
                    try await connection.query(
                        """
                        INSERT INTO booking_transitions (booking_id, state, at, by_user, by_name) VALUES (\(id), \(state.rawValue), \(receivedAt), \(actor.userID), \(actor.name))
                        """, logger: logger)
                    return id
                }
                throw NoRowReturned(statement: "INSERT INTO bookings")
            }
        }
        guard let record = try await booking(id: id) else { throw NoSuchRecord() }
        return record
    }

    /// Whether the agency's approver approves its users' bookings before the operator receives
    /// them (false for an unknown agency: creating its booking fails anyway).
    public func requiresApproval(agencyID: Int64) async throws -> Bool {
        for try await required in try await client.query("SELECT requires_approval FROM agencies WHERE id = \(agencyID)", logger: logger).decode(Bool.self) {
            return required
        }
        return false
    }

    /// Moves a booking to `state`, signed by `actor`; `crew` for a match, `completion` for the
    /// end of a trip, `stop` for where a replaced crew's car stopped. Throws `InvalidTransition`
    /// if the lifecycle does not allow it from where the booking is now, and `NoSuchRecord`.
    /// `audit` and the `notices` owed are written in the move's transaction.
    @discardableResult
    public func move(
        _ id: Int64, to state: BookingState, at time: Date, by actor: Actor, crew: (vehicleID: Int64, driverID: Int64)? = nil,
        completion: Completion? = nil, note: String = "", stop: Place? = nil, audit: AuditLine? = nil, notices: [Notice] = []
    ) async throws -> BookingRecord {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            var current: BookingState?
            for try await state in try await connection.query("SELECT state FROM bookings WHERE id = \(id) FOR UPDATE", logger: logger).decode(String.self) {
                current = BookingState(rawValue: state)
            }
            guard let current else { throw NoSuchRecord() }
            try current.check(stepTo: state)
            try await connection.query(
                """
                UPDATE bookings SET state = \(state.rawValue), version = version + 1, updated_at = now(),
                    vehicle_id = coalesce(\(crew?.vehicleID), vehicle_id), driver_id = coalesce(\(crew?.driverID), driver_id),
                    tolls_fen = coalesce(\(completion?.tollsFen), tolls_fen), parking_fen = coalesce(\(completion?.parkingFen), parking_fen),
                    receipts = coalesce(\(completion?.receipts), receipts),
                    reported_metres = coalesce(\(completion?.reportedMetres), reported_metres),
                    reported_seconds = coalesce(\(completion?.reportedSeconds), reported_seconds)
                WHERE id = \(id)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO booking_transitions (booking_id, state, at, by_user, by_name, vehicle_id, driver_id, note, stop_lat_e6, stop_lon_e6, stop_address)
                VALUES (\(id), \(state.rawValue), \(time), \(actor.userID), \(actor.name), \(crew?.vehicleID), \(crew?.driverID), \(note),
                    \(stop?.point.latitudeE6), \(stop?.point.longitudeE6), \(stop?.address))
                """, logger: logger)
            try await Outbox.enqueue(notices, bookingID: id, at: time, on: connection, logger: logger)
        }
        guard let record = try await booking(id: id) else { throw NoSuchRecord() }
        return record
    }

    /// Records a change of route its agency agreed to, with `audit`, and bumps the booking's
    /// version; `Conflict` once the trip is over.
    @discardableResult
    public func changeRoute(_ id: Int64, to change: RouteChange, by actor: Actor, audit: AuditLine?) async throws -> BookingRecord {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            var current: BookingState?
            for try await state in try await connection.query("SELECT state FROM bookings WHERE id = \(id) FOR UPDATE", logger: logger).decode(String.self) {
                current = BookingState(rawValue: state)
            }
            guard let current else { throw NoSuchRecord() }
            guard RouteChange.allowed(in: current) else { throw Conflict("the booking is \(current.rawValue): its route is kept") }
            let (stops, destination) = (change.stops, change.destination)
            try await connection.query(
                """
                INSERT INTO booking_route_changes (booking_id, at, by_user, by_name, note, stop_lat_e6, stop_lon_e6, stop_addresses, destination_lat_e6,
                    destination_lon_e6, destination_address)
                VALUES (\(id), \(change.at), \(actor.userID), \(actor.name), \(change.note), \(stops.map(\.point.latitudeE6)), \(stops.map(\.point.longitudeE6)),
                    \(stops.map(\.address)), \(destination.point.latitudeE6), \(destination.point.longitudeE6), \(destination.address))
                """, logger: logger)
            try await connection.query("UPDATE bookings SET version = version + 1, updated_at = now() WHERE id = \(id)", logger: logger)
        }
        guard let record = try await booking(id: id) else { throw NoSuchRecord() }
        return record
    }

    public func booking(id: Int64) async throws -> BookingRecord? {
        try await bookings("SELECT \(unescaped: Self.bookingColumns) WHERE b.id = \(id)").first
    }

    /// A page of bookings, newest pick-up first: an agency's own (or all, for nil), optionally
    /// in some states, changed since a time, before a cursor (the last id of the previous page).
    public func list(agencyID: Int64?, states: [BookingState]?, updatedSince: Date?, before cursor: Int64?, limit: Int) async throws -> [BookingRecord] {
        try await bookings(
            """
            SELECT \(unescaped: Self.bookingColumns)
            WHERE (\(agencyID)::bigint IS NULL OR b.agency_id = \(agencyID)) AND (\(states?.map(\.rawValue))::text[] IS NULL OR b.state = ANY(\(states?.map(\.rawValue))))
              AND (\(updatedSince)::timestamptz IS NULL OR b.updated_at > \(updatedSince)) AND (\(cursor)::bigint IS NULL OR b.id < \(cursor))
            ORDER BY b.id DESC LIMIT \(limit)
            """)
    }

    /// Bookings the engine still has to do something with: confirmed (or replaced) and not yet
    /// matched, and those under way, for the SLA clocks and the on-site check.
    public func open() async throws -> [BookingRecord] {
        try await bookings("SELECT \(unescaped: Self.bookingColumns) WHERE b.state NOT IN ('completed', 'settled', 'cancelled', 'refused') ORDER BY b.id")
    }

    /// Every booking that lives in [from, to), with its transitions: received in it, served in
    /// it, or moved in it (a clock started), however early it was received (advance bookings
    /// are made up to 90 days ahead). An assessment's or a report's bookings.
    public func active(from: Date, to: Date) async throws -> [BookingRecord] {
        try await bookings(
            """
            SELECT \(unescaped: Self.bookingColumns)
            WHERE (b.received_at >= \(from) AND b.received_at < \(to)) OR (b.pickup_time < \(to) AND b.service_end >= \(from))
                OR EXISTS (SELECT 1 FROM booking_transitions t WHERE t.booking_id = b.id AND t.at >= \(from) AND t.at < \(to))
            ORDER BY b.id
            """)
    }

    /// Jobs of a driver, upcoming and under way.
    public func jobs(driverID: Int64) async throws -> [BookingRecord] {
        try await bookings(
            "SELECT \(unescaped: Self.bookingColumns) WHERE b.driver_id = \(driverID) AND b.state IN ('matched', 'notified', 'enRoute', 'onSite', 'inService') ORDER BY b.pickup_time"
        )
    }

    static let bookingColumns = """
        b.id, b.agency_id, b.channel, b.contact_name, b.contact_phone, b.passengers, b.vehicle_class, b.pickup_time, b.pickup_lat_e6, b.pickup_lon_e6,
        b.pickup_address, b.destination_lat_e6, b.destination_lon_e6, b.destination_address, b.route_notes, b.service_end, b.special_needs,
        b.received_at, b.urgent, b.state, b.vehicle_id, b.driver_id, b.tolls_fen, b.parking_fen, b.receipts, b.reported_metres, b.reported_seconds, b.version, b.updated_at,
        b.transfer, b.contact_email
        FROM bookings b
        """

    /// The bookings a query of the form `SELECT \(unescaped: Self.bookingColumns) WHERE ...` selects.
    func bookings(_ query: PostgresQuery) async throws -> [BookingRecord] {
        var records: [BookingRecord] = []
        var index: [Int64: Int] = [:]
        for try await row in try await client.query(query, logger: logger) {
            let (
                id, agency, channel, contactName, contactPhone, passengers, vehicleClass, pickupTime, pLat, pLon, pAddress, dLat, dLon, dAddress, notes, end,
                needs,
                received, urgent, state, vehicle, driver, tolls, parking, receipts, reportedMetres, reportedSeconds, version, updated, transfer,
                contactEmail
            ) = try row.decode(
                (
                    Int64, Int64, String, String, String, Int16, String, Date, Int32, Int32, String, Int32, Int32, String, String, Date, String,
                    Date, Bool, String, Int64?, Int64?, Int64?, Int64?, [String], Int64?, Int64?, Int32, Date, Bool, String?
                ).self)
            var request = BookingRequest(
                channel: .init(rawValue: channel) ?? .platform, agencyID: agency, contactName: contactName, contactPhone: contactPhone,
                passengers: Int(passengers),
                vehicleClass: VehicleClass(rawValue: vehicleClass) ?? .sedan, pickupTime: pickupTime,
                pickup: Place(latitudeE6: pLat, longitudeE6: pLon, address: pAddress),
                destination: Place(latitudeE6: dLat, longitudeE6: dLon, address: dAddress),
                serviceEnd: end
            )
            (request.routeNotes, request.specialNeeds, request.transfer) = (notes, needs, transfer ? true : nil)
            request.contactEmail = contactEmail
            index[id] = records.count
            records.append(
                BookingRecord(
                    id: id, request: request, agencyID: agency, receivedAt: received, urgent: urgent, state: BookingState(rawValue: state) ?? .received,
                    vehicleID: vehicle, driverID: driver, tollsFen: tolls, parkingFen: parking, receipts: receipts, reportedMetres: reportedMetres,
                    reportedSeconds: reportedSeconds, version: Int(version), updatedAt: updated, transitions: []
                ))
        }
        guard !records.isEmpty else { return [] }
        let ids = records.map(\.id)
        let rows = try await client.query(
            """
            SELECT booking_id, state, at, by_name, vehicle_id, driver_id, note, stop_lat_e6, stop_lon_e6, stop_address FROM booking_transitions
            WHERE booking_id = ANY(\(ids)) ORDER BY id
            """, logger: logger)
        for try await (booking, state, at, by, vehicle, driver, note, stopLat, stopLon, stopAddress) in rows.decode(
            (Int64, String, Date, String, Int64?, Int64?, String, Int32?, Int32?, String?).self)
        {
            guard let i = index[booking], let state = BookingState(rawValue: state) else { continue }
            let stop = stopLat.flatMap { lat in stopLon.map { Place(latitudeE6: lat, longitudeE6: $0, address: stopAddress ?? "") } }
            records[i].transitions.append(.init(state: state, at: at, by: by, vehicleID: vehicle, driverID: driver, note: note, stop: stop))
        }
        try await readRoutes(into: &records, index: index)
        return records
    }

    /// The stops booked and the changes of route agreed since, of the bookings read.
    private func readRoutes(into records: inout [BookingRecord], index: [Int64: Int]) async throws {
        let ids = records.map(\.id)
        let stops = try await client.query(
            "SELECT id, stop_lat_e6, stop_lon_e6, stop_addresses FROM bookings WHERE id = ANY(\(ids)) AND cardinality(stop_lat_e6) > 0", logger: logger)
        for try await (booking, lat, lon, addresses) in stops.decode((Int64, [Int32], [Int32], [String]).self) {
            guard let i = index[booking] else { continue }
            records[i].request.stops = Self.places(lat, lon, addresses)
        }
        let changes = try await client.query(
            """
            SELECT booking_id, at, by_name, note, stop_lat_e6, stop_lon_e6, stop_addresses, destination_lat_e6, destination_lon_e6, destination_address
            FROM booking_route_changes WHERE booking_id = ANY(\(ids)) ORDER BY id
            """, logger: logger)
        for try await (booking, at, by, note, lat, lon, addresses, dLat, dLon, dAddress) in changes.decode(
            (Int64, Date, String, String, [Int32], [Int32], [String], Int32, Int32, String).self)
        {
            guard let i = index[booking] else { continue }
            records[i].routeChanges.append(
                RouteChange(
                    at: at, by: by, note: note, stops: Self.places(lat, lon, addresses),
                    destination: Place(latitudeE6: dLat, longitudeE6: dLon, address: dAddress)))
        }
    }

    static func places(_ latitudes: [Int32], _ longitudes: [Int32], _ addresses: [String]) -> [Place] {
        zip(zip(latitudes, longitudes), addresses).map { Place(latitudeE6: $0.0, longitudeE6: $0.1, address: $1) }
    }

    // MARK: SLA alerts

    /// What a clock belongs to.
    public enum ClockOwner: Sendable, Hashable {
        case booking(Int64)
        case complaint(Int64)
    }

    /// Records an alert once per clock start and state; true if it is new (to be published).
    public func raise(_ owner: ClockOwner, _ status: ServiceLevels.Status) async throws -> Bool {
        try await raise(owner, status, notices: [], at: Date(timeIntervalSince1970: TimeInterval(status.started)))
    }

    /// `raise`, with the notices a new alert of a booking owes queued at `time` in its transaction.
    public func raise(_ owner: ClockOwner, _ status: ServiceLevels.Status, notices: [Notice], at time: Date) async throws -> Bool {
        let (booking, complaint): (Int64?, Int64?) =
            switch owner {
            case .booking(let id): (id, nil)
            case .complaint(let id): (nil, id)
            }
        return try await client.transaction(logger: logger) { connection in
            let raised = try await connection.touchedRow(
                """
                INSERT INTO sla_alerts (booking_id, complaint_id, clock, state, started_at, due_at)
                VALUES (\(booking), \(complaint), \(status.clock.rawValue), \(status.state.rawValue), \(Date(timeIntervalSince1970: TimeInterval(status.started))),
                    \(Date(timeIntervalSince1970: TimeInterval(status.due))))
                ON CONFLICT DO NOTHING RETURNING id
                """, logger: logger)
            if raised, let booking { try await Outbox.enqueue(notices, bookingID: booking, at: time, on: connection, logger: logger) }
            return raised
        }
    }

    /// Alerts raised since a time, newest first; an agency's only, or all for nil.
    public func alerts(agencyID: Int64?, since: Date, limit: Int) async throws -> [SLAAlert] {
        let rows = try await client.query(
            """
            SELECT a.booking_id, a.complaint_id, coalesce(b.agency_id, c.agency_id), a.clock, a.state, a.started_at, a.due_at, a.raised_at
            FROM sla_alerts a LEFT JOIN bookings b ON b.id = a.booking_id LEFT JOIN complaints c ON c.id = a.complaint_id
            WHERE a.raised_at >= \(since) AND (\(agencyID)::bigint IS NULL OR coalesce(b.agency_id, c.agency_id) = \(agencyID)) ORDER BY a.id DESC LIMIT \(limit)
            """, logger: logger)
        var alerts: [SLAAlert] = []
        for try await (booking, complaint, agency, clock, state, started, due, raised) in rows.decode(
            (Int64?, Int64?, Int64, String, String, Date, Date, Date).self)
        {
            guard let clock = ServiceLevels.Clock(rawValue: clock), let state = ServiceLevels.Status.State(rawValue: state) else { continue }
            alerts.append(
                SLAAlert(
                    bookingID: booking, complaintID: complaint, agencyID: agency, clock: clock, state: state, startedAt: started, dueAt: due, raisedAt: raised))
        }
        return alerts
    }

    /// Trips completed since `since` and not called back yet: the callback clocks to watch.
    public func awaitingCallback(since: Date) async throws -> [(bookingID: Int64, agencyID: Int64, completedAt: Date)] {
        let rows = try await client.query(
            """
            SELECT b.id, b.agency_id, t.at FROM bookings b JOIN booking_transitions t ON t.booking_id = b.id AND t.state = 'completed'
            WHERE t.at >= \(since) AND NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.booking_id = b.id) ORDER BY b.id
            """, logger: logger)
        var out: [(Int64, Int64, Date)] = []
        for try await row in rows.decode((Int64, Int64, Date).self) { out.append(row) }
        return out
    }
}
