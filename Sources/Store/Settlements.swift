import Domain
import Foundation
import Logging
import PostgresNIO

/// Settlement sheets in PostgreSQL: drawn up once per finished booking, moved through their
/// states under a row lock, every step in `settlement_events`. Lines are only ever added (the
/// table refuses updates and deletes).
public struct Settlements: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Finished bookings without a sheet yet, oldest first.
    public func bookingsAwaitingSheets(limit: Int, excluding skipped: [Int64] = []) async throws -> [BookingRecord] {
        try await Bookings(client: client, logger: logger).bookings(
            """
            SELECT \(unescaped: Bookings.bookingColumns)
            WHERE b.state IN ('completed', 'cancelled') AND NOT EXISTS (SELECT 1 FROM settlement_sheets s WHERE s.booking_id = b.id)
              AND NOT b.id = ANY(\(skipped))
            ORDER BY b.id LIMIT \(limit)
            """)
    }

    /// Draws up a booking's sheet; nil if it already has one (another server got there first).
    public func issue(
        _ facts: TripFacts, lines: [SheetLine], flags: [UsageReview.Difference], state: SettlementSheet.State, at time: Date
    ) async throws -> Int64? {
        let f = facts, segments = facts.window.segments
        return try await client.transaction(logger: logger) { connection -> Int64? in
            var sheetID: Int64?
            for try await id in try await connection.query(
                """
                INSERT INTO settlement_sheets (booking_id, agency_id, vehicle_class, pickup_time, pickup_address, destination_address, plates, drivers,
                    segment_vehicles, segment_starts, segment_ends, metres, distance_source, tolls_fen, parking_fen, receipts, reported_metres, reported_seconds,
                    cancelled_at, crew_on_site, flag_fields, flag_system, flag_reported, state, issued_at, transfer)
                VALUES (\(f.bookingID), \(f.agencyID), \(f.vehicleClass.rawValue), to_timestamp(\(Double(f.pickupTime.epochSeconds))), \(f.pickupAddress),
                    \(f.destinationAddress), \(f.plates), \(f.drivers), \(segments.map(\.vehicleID)), \(segments.map(\.start.epochSeconds)), \(segments.map(\.end.epochSeconds)),
                    \(f.metres), \(f.distanceSource), \(f.tollsFen), \(f.parkingFen), \(f.receipts), \(f.reportedMetres), \(f.reportedSeconds),
                    to_timestamp(\(f.cancellation.map { Double($0.at.epochSeconds) })), \(f.cancellation?.crewOnSite), \(flags.map(\.field)), \(flags.map(\.system)),
                    \(flags.map(\.reported)), \(state.rawValue), \(time), \(f.transfer))
                ON CONFLICT (booking_id) DO NOTHING RETURNING id
                """, logger: logger
            ).decode(Int64.self) { sheetID = id }
            guard let sheetID else { return nil }
            try await Self.insert(lines, sheetID: sheetID, userID: nil, connection: connection, logger: logger)
            let note = flags.map { "\($0.field): driver \($0.reported), system \($0.system)" }.joined(separator: "; ")
            try await Self.event(
                sheetID, at: time, state == .review ? "flagged" : state == .void ? "void" : "issued", Actor(userID: nil, name: "billing"), note, connection,
                logger)
            return sheetID
        }
    }

    /// The agency contact signs: the sheet is confirmed and the invoice falls due.
    public func confirm(_ id: Int64, signedBy name: String, actor: Actor, at time: Date, invoiceDue: CivilDate, audit: AuditLine? = nil) async throws {
        try await change(id, .sign, actor: actor, at: time, note: "signed by \(name)", audit: audit) { connection in
            try await connection.query(
                """
                UPDATE settlement_sheets SET state = 'confirmed', confirmed_at = \(time), confirmed_by = \(name), confirmed_by_user = \(actor.userID),
                    invoice_due = \(invoiceDue.description)::date WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// The agency contests the sheet, with its reason.
    public func dispute(_ id: Int64, reason: String, actor: Actor, at time: Date, audit: AuditLine? = nil) async throws {
        try await change(id, .dispute, actor: actor, at: time, note: reason, audit: audit) { _ in }
    }

    /// A dispatcher settles a dispute or a flagged difference, with adjusting lines if the
    /// sheet was wrong; it goes back to the agency for signature.
    public func resolve(_ id: Int64, note: String, adjustments: [SheetLine], actor: Actor, at time: Date, audit: AuditLine? = nil) async throws {
        try await change(id, .resolve, actor: actor, at: time, note: note, audit: audit) { connection in
            try await Self.insert(adjustments, sheetID: id, userID: actor.userID, connection: connection, logger: logger)
        }
    }

    /// A correction: a new adjusting line (the sheet's own lines stay as they were).
    public func adjust(_ id: Int64, line: SheetLine, actor: Actor, at time: Date, audit: AuditLine? = nil) async throws {
        let note = line.reason ?? ""
        try await change(id, .adjust, actor: actor, at: time, note: note, audit: audit) { connection in
            try await Self.insert([line], sheetID: id, userID: actor.userID, connection: connection, logger: logger)
        }
    }

    /// The VAT invoice for a confirmed sheet was issued.
    public func invoice(_ id: Int64, number: String, issuedAt: Date, actor: Actor, at time: Date, audit: AuditLine? = nil) async throws {
        try await change(id, .invoice, actor: actor, at: time, note: number, audit: audit) { connection in
            let rows = try await connection.query(
                """
                UPDATE settlement_sheets SET invoice_number = \(number), invoiced_at = \(issuedAt) WHERE id = \(id) AND invoice_number IS NULL RETURNING id
                """, logger: logger)
            for try await _ in rows.decode(Int64.self) { return }
            throw SettlementSheet.StateConflict(state: .confirmed, action: "invoiced again", allowed: [.confirmed])
        }
    }

    /// Runs `body` on the sheet under a row lock if its state allows `action`, moves it to the
    /// state the action leads to, and records the event and the audit line, all in one
    /// transaction.
    func change(
        _ id: Int64, _ action: SettlementSheet.Action, actor: Actor, at time: Date, note: String, audit: AuditLine?,
        _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        try await client.transaction(logger: logger) { connection in
            var current: SettlementSheet.State?
            for try await state in try await connection.query("SELECT state FROM settlement_sheets WHERE id = \(id) FOR UPDATE", logger: logger).decode(
                String.self)
            {
                current = SettlementSheet.State(rawValue: state)
            }
            guard let current else { throw NoSuchRecord("no settlement sheet \(id)") }
            let next = try current.after(action)
            try await body(connection)
            // A body may have moved it already, where its CHECKs tie the state to the columns it sets.
            if next != current {
                try await connection.query(
                    "UPDATE settlement_sheets SET state = \(next.rawValue) WHERE id = \(id) AND state <> \(next.rawValue)", logger: logger)
            }
            try await Self.event(id, at: time, action.event, actor, note, connection, logger)
            if let audit { try await connection.query(audit.insertion, logger: logger) }
        }
    }

    // MARK: reading

    public func sheet(id: Int64) async throws -> SettlementSheet? {
        try await sheets("SELECT \(unescaped: Self.sheetColumns) WHERE s.id = \(id)", linesBefore: nil).first
    }

    /// The sheets of these bookings.
    public func sheets(bookingIDs: [Int64]) async throws -> [SettlementSheet] {
        try await sheets("SELECT \(unescaped: Self.sheetColumns) WHERE s.booking_id = ANY(\(bookingIDs)) ORDER BY s.id", linesBefore: nil)
    }

    /// A page of sheets, newest first: an agency's own (or all, for nil), optionally in some states.
    public func list(agencyID: Int64?, states: [SettlementSheet.State]?, before cursor: Int64?, limit: Int) async throws -> [SettlementSheet] {
        try await sheets(
            """
            SELECT \(unescaped: Self.sheetColumns)
            WHERE (\(agencyID)::bigint IS NULL OR s.agency_id = \(agencyID)) AND (\(states?.map(\.rawValue))::text[] IS NULL OR s.state = ANY(\(states?.map(\.rawValue))))
              AND (\(cursor)::bigint IS NULL OR s.id < \(cursor))
            ORDER BY s.id DESC LIMIT \(limit)
            """, linesBefore: nil)
    }

    /// Confirmed sheets without an invoice that is due by `day`.
    public func awaitingInvoice(dueBy day: CivilDate) async throws -> [SettlementSheet] {
        try await sheets(
            """
            SELECT \(unescaped: Self.sheetColumns) WHERE s.state = 'confirmed' AND s.invoice_number IS NULL AND s.invoice_due <= \(day.description)::date ORDER BY s.id
            """, linesBefore: nil)
    }

    /// Completed bookings whose sheet is confirmed: to be settled.
    public func bookingsToSettle() async throws -> [Int64] {
        var ids: [Int64] = []
        for try await id in try await client.query(
            """
            SELECT b.id FROM bookings b JOIN settlement_sheets s ON s.booking_id = b.id WHERE b.state = 'completed' AND s.state = 'confirmed' ORDER BY b.id
            """, logger: logger
        ).decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// An agency's statement for [from, to): the sheets confirmed in it with the lines written
    /// before `to`, and the adjusting lines written in it to sheets confirmed before `from`.
    public func statement(agency: Agency, from: CivilDate, through: CivilDate) async throws -> Statement {
        let start = Date(timeIntervalSince1970: TimeInterval(from.chinaMidnight))
        let end = Date(timeIntervalSince1970: TimeInterval(through.chinaMidnight + 86_400))
        let sheets = try await sheets(
            """
            SELECT \(unescaped: Self.sheetColumns)
            WHERE s.agency_id = \(agency.id) AND s.confirmed_at >= \(start) AND s.confirmed_at < \(end) ORDER BY s.confirmed_at, s.id
            """, linesBefore: end)
        var late: [Statement.LateAdjustment] = []
        let rows = try await client.query(
            """
            SELECT s.id, s.booking_id, \(unescaped: Self.lineColumns) FROM settlement_lines l JOIN settlement_sheets s ON s.id = l.sheet_id
            WHERE l.adjusting AND s.agency_id = \(agency.id) AND l.added_at >= \(start) AND l.added_at < \(end) AND s.confirmed_at < \(start)
            ORDER BY l.added_at, l.id
            """, logger: logger)
        for try await row in rows {
            let (sheetID, bookingID, kind, detail, amount, evidence, adjusting, reason, added, by) = try row.decode(
                (Int64, Int64, String, String, Int64, String, Bool, String?, Date, String).self)
            late.append(.init(sheetID: sheetID, bookingID: bookingID, line: Self.line(kind, detail, amount, evidence, adjusting, reason, added, by)))
        }
        return Statement(agency: agency, from: from, through: through, sheets: sheets, lateAdjustments: late)
    }

    static let lineColumns = "l.kind, l.detail, l.amount_fen, l.evidence, l.adjusting, l.reason, l.added_at, l.by_name"

    static let sheetColumns = """
        s.id, s.booking_id, s.agency_id, s.vehicle_class, extract(epoch FROM s.pickup_time)::int8, s.pickup_address, s.destination_address, s.plates, s.drivers,
        s.segment_vehicles, s.segment_starts, s.segment_ends, s.metres, s.distance_source, s.tolls_fen, s.parking_fen, s.receipts, s.reported_metres,
        s.reported_seconds, extract(epoch FROM s.cancelled_at)::int8, s.crew_on_site, s.flag_fields, s.flag_system, s.flag_reported, s.state,
        extract(epoch FROM s.issued_at)::int8, extract(epoch FROM s.confirmed_at)::int8, s.confirmed_by, s.invoice_due::text, s.invoice_number,
        extract(epoch FROM s.invoiced_at)::int8, s.transfer
        FROM settlement_sheets s
        """

    /// The sheets a query of the form `SELECT \(unescaped: Self.sheetColumns) WHERE ...` selects,
    /// with their lines (those written before `linesBefore`, if given) and history.
    func sheets(_ query: PostgresQuery, linesBefore: Date?) async throws -> [SettlementSheet] {
        var sheets: [SettlementSheet] = []
        var index: [Int64: Int] = [:]
        for try await row in try await client.query(query, logger: logger) {
            let (
                id, booking, agency, vehicleClass, pickup, from, to, plates, drivers, vehicles, starts, ends, metres, source, tolls, parking, receipts,
                reportedMetres, reportedSeconds, cancelledAt, crewOnSite, flagFields, flagSystem, flagReported, state, issued, confirmed, confirmedBy, due,
                number, invoiced, transfer
            ) = try row.decode(
                (
                    Int64, Int64, Int64, String, Int64, String, String, [String], [String], [Int64], [Int64], [Int64], Int64, String, Int64, Int64, [String],
                    Int64?, Int64?, Int64?, Bool?, [String], [Int64], [Int64], String, Int64, Int64?, String?, String?, String?, Int64?, Bool
                ).self)
            let window = ServiceWindow(
                segments: vehicles.indices.map { .init(vehicleID: vehicles[$0], start: ChinaTime(starts[$0]), end: ChinaTime(ends[$0])) })
            let facts = TripFacts(
                bookingID: booking, agencyID: agency, vehicleClass: VehicleClass(rawValue: vehicleClass) ?? .sedan, pickupTime: ChinaTime(pickup),
                pickupAddress: from,
                destinationAddress: to, plates: plates, drivers: drivers, window: window, metres: metres, distanceSource: source, tollsFen: tolls,
                parkingFen: parking,
                receipts: receipts, reportedMetres: reportedMetres, reportedSeconds: reportedSeconds,
                cancellation: cancelledAt.map { .init(at: ChinaTime($0), crewOnSite: crewOnSite ?? false) }, transfer: transfer
            )
            let flags = flagFields.indices.map { UsageReview.Difference(field: flagFields[$0], system: flagSystem[$0], reported: flagReported[$0]) }
            index[id] = sheets.count
            sheets.append(
                SettlementSheet(
                    id: id, facts: facts, state: SettlementSheet.State(rawValue: state) ?? .issued, flags: flags, lines: [], issuedAt: ChinaTime(issued),
                    confirmedAt: confirmed.map(ChinaTime.init), confirmedBy: confirmedBy, invoiceDue: due.flatMap { CivilDate($0) },
                    invoice: number.map { SettlementSheet.Invoice(number: $0, issuedAt: ChinaTime(invoiced ?? issued)) }
                ))
        }
        guard !sheets.isEmpty else { return [] }
        // Lines and history are read at once, on two connections: a month's statement has
        // thousands of each.
        let ids = sheets.map(\.id)
        async let lines = lines(of: ids, before: linesBefore)
        async let events = events(of: ids, before: linesBefore)
        var linesBySheet = [[SheetLine]](repeating: [], count: sheets.count), eventsBySheet = [[SettlementSheet.Event]](repeating: [], count: sheets.count)
        for (sheet, line) in try await lines { if let i = index[sheet] { linesBySheet[i].append(line) } }
        for (sheet, event) in try await events { if let i = index[sheet] { eventsBySheet[i].append(event) } }
        return sheets.indices.map { i in
            let s = sheets[i]
            return SettlementSheet(
                id: s.id, facts: s.facts, state: s.state, flags: s.flags, lines: linesBySheet[i], issuedAt: s.issuedAt, confirmedAt: s.confirmedAt,
                confirmedBy: s.confirmedBy, invoiceDue: s.invoiceDue, invoice: s.invoice, history: eventsBySheet[i]
            )
        }
    }

    func lines(of ids: [Int64], before: Date?) async throws -> [(Int64, SheetLine)] {
        var out: [(Int64, SheetLine)] = []
        let rows = try await client.query(
            """
            SELECT l.sheet_id, \(unescaped: Self.lineColumns) FROM settlement_lines l
            WHERE l.sheet_id = ANY(\(ids)) AND (\(before)::timestamptz IS NULL OR l.added_at < \(before)) ORDER BY l.id
            """, logger: logger)
        for try await row in rows {
            let (sheet, kind, detail, amount, evidence, adjusting, reason, added, by) = try row.decode(
                (Int64, String, String, Int64, String, Bool, String?, Date, String).self)
            out.append((sheet, Self.line(kind, detail, amount, evidence, adjusting, reason, added, by)))
        }
        return out
    }

    func events(of ids: [Int64], before: Date?) async throws -> [(Int64, SettlementSheet.Event)] {
        var out: [(Int64, SettlementSheet.Event)] = []
        let rows = try await client.query(
            """
            SELECT sheet_id, at, kind, by_name, note FROM settlement_events
            WHERE sheet_id = ANY(\(ids)) AND (\(before)::timestamptz IS NULL OR at < \(before)) ORDER BY id
            """, logger: logger)
        for try await (sheet, at, kind, by, note) in rows.decode((Int64, Date, String, String, String).self) {
            out.append((sheet, .init(at: ChinaTime(at.epochSeconds), kind: kind, by: by, note: note)))
        }
        return out
    }

    static func line(_ kind: String, _ detail: String, _ amount: Int64, _ evidence: String, _ adjusting: Bool, _ reason: String?, _ added: Date, _ by: String)
        -> SheetLine
    {
        SheetLine(
            kind: FareLine.Kind(rawValue: kind) ?? .adjustment, detail: detail, amountFen: amount, evidence: evidence, adjusting: adjusting, reason: reason,
            addedAt: ChinaTime(added.epochSeconds), by: by
        )
    }

    static func insert(_ lines: [SheetLine], sheetID: Int64, userID: Int64?, connection: PostgresConnection, logger: Logger) async throws {
        for line in lines {
            try await connection.query(
                """
                INSERT INTO settlement_lines (sheet_id, kind, detail, amount_fen, evidence, adjusting, reason, added_at, by_name, by_user)
                VALUES (\(sheetID), \(line.kind.rawValue), \(line.detail), \(line.amountFen), \(line.evidence), \(line.adjusting), \(line.reason),
                        to_timestamp(\(Double(line.addedAt.epochSeconds))), \(line.by), \(userID))
                """, logger: logger)
        }
    }

    static func event(_ sheetID: Int64, at time: Date, _ kind: String, _ actor: Actor, _ note: String, _ connection: PostgresConnection, _ logger: Logger)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO settlement_events (sheet_id, at, kind, by_name, by_user, note) VALUES (\(sheetID), \(time), \(kind), \(actor.name), \(actor.userID), \(note))
            """, logger: logger)
    }
}
