import Billing
import BenchmarkSupport
import Dispatching
import Domain
import Foundation
import Logging
import PostgresNIO
import Store

// Billing at the size of a month, on a database of its own:
//
//   statement   an agency's month of 2,000 confirmed trips (6 lines and 3 events each; another
//               agency's 2,000 beside them): Settlements.statement, then rendered as JSON, CSV
//               and HTML, against fetching the same rows raw (the database's share)
//   assessment  the month of a 200-vehicle fleet (3 trips a vehicle a day: 18,000 bookings,
//               144,000 transitions, callbacks): MonthlyAssessment.report, against fetching the
//               same bookings and transitions raw
//
// Usage: Benchmarks/run.sh billing [TRIPS] [RUNS]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let trips = arguments.first ?? 2_000
let runs = arguments.dropFirst().first ?? 20
let vehicles = 200, tripsPerVehicleDay = 3
var logger = Logger(label: "billing-benchmark")
logger.logLevel = .warning
let october = CivilDate(year: 2026, month: 10, day: 1)!

@MainActor func median(_ runs: Int, _ body: () async throws -> Void) async throws -> Double {
    try await medians(runs, body, {}).0
}

/// The medians in milliseconds of two measurements taken in turn, so that whatever else the
/// machine does weighs on both alike.
@MainActor func medians(_ runs: Int, _ a: () async throws -> Void, _ b: () async throws -> Void) async throws -> (Double, Double) {
    var samples: ([Double], [Double]) = ([], [])
    for _ in 0..<runs {
        var started = ContinuousClock.now
        try await a()
        samples.0.append(seconds(.now - started) * 1000)
        started = .now
        try await b()
        samples.1.append(seconds(.now - started) * 1000)
    }
    return (samples.0.sorted()[runs / 2], samples.1.sorted()[runs / 2])
}

/// `count` completed bookings of `agency` received from `start`, `spacing` seconds apart, with
/// their eight signed transitions (every 50th notified late) and callbacks (every 10th missing).
func bookings(_ client: PostgresClient, agency: Int64, count: Int, start: Int64, spacing: Int64) async throws {
    try await client.query("""
        INSERT INTO bookings (agency_id, channel, contact_name, contact_phone, passengers, vehicle_class, pickup_time, pickup_lat_e6, pickup_lon_e6, pickup_address,
            destination_lat_e6, destination_lon_e6, destination_address, service_end, received_at, urgent, state)
        SELECT \(agency), 'platform', '李主任', '0574-87000000', 2, 'sedan', to_timestamp(\(start) + g * \(spacing) + 5400), 29868300, 121544000, '天一广场',
            29826000, 121461000, '栎社国际机场', to_timestamp(\(start) + g * \(spacing) + 12600), to_timestamp(\(start) + g * \(spacing)), false, 'completed'
        FROM generate_series(0, \(count - 1)) AS g
        """, logger: logger)
    try await client.query("""
        INSERT INTO booking_transitions (booking_id, state, at, by_name)
        SELECT b.id, t.state, b.received_at + (t.after + CASE WHEN t.state = 'notified' AND b.id % 50 = 0 THEN 400 ELSE 0 END) * interval '1 second', 'benchmark'
        FROM bookings b CROSS JOIN (VALUES ('received', 0), ('confirmed', 120), ('matched', 360), ('notified', 420), ('enRoute', 3000), ('onSite', 4800),
                                          ('inService', 5400), ('completed', 9000)) AS t(state, after)
        WHERE b.agency_id = \(agency)
        ORDER BY b.id, t.after
        """, logger: logger)
    try await client.query("""
        INSERT INTO callbacks (booking_id, called_at, satisfaction)
        SELECT id, received_at + interval '4 hours', CASE WHEN id % 7 = 0 THEN 3 ELSE 5 END FROM bookings WHERE agency_id = \(agency) AND id % 10 <> 0
        """, logger: logger)
}

// The baselines' queries, outside the main actor as the code they are compared with is (rows
// read on the main actor would each hop over to it).

/// The same three queries the statement makes, their rows read and not decoded.
func rawStatementRows(_ client: PostgresClient, agency: Int64, start: Date, end: Date) async throws {
    var sheetIDs: [Int64] = []
    for try await row in try await client.query("""
        SELECT s.id, s.* FROM settlement_sheets s WHERE s.agency_id = \(agency) AND s.confirmed_at >= \(start) AND s.confirmed_at < \(end) ORDER BY s.confirmed_at, s.id
        """, logger: logger) { sheetIDs.append(try row.decode(Int64.self)) }
    for try await _ in try await client.query("""
        SELECT l.sheet_id, l.kind, l.detail, l.amount_fen, l.evidence, l.adjusting, l.reason, l.added_at, l.by_name FROM settlement_lines l
        WHERE l.sheet_id = ANY(\(sheetIDs)) AND l.added_at < \(end) ORDER BY l.id
        """, logger: logger) {}
    for try await _ in try await client.query("SELECT sheet_id, at, kind, by_name, note FROM settlement_events WHERE sheet_id = ANY(\(sheetIDs)) AND at < \(end) ORDER BY id",
                                               logger: logger) {}
}

/// The bookings and their transitions as the assessment reads them, not decoded.
func rawAssessmentRows(_ client: PostgresClient, start: Date, end: Date) async throws {
    let from = start.addingTimeInterval(-7 * 86_400)
    var ids: [Int64] = []
    for try await row in try await client.query("SELECT id, * FROM bookings WHERE received_at >= \(from) AND received_at < \(end) ORDER BY id", logger: logger) {
        ids.append(try row.decode(Int64.self))
    }
    for try await _ in try await client.query("""
        SELECT booking_id, state, at, by_name, vehicle_id, driver_id, note FROM booking_transitions WHERE booking_id = ANY(\(ids)) ORDER BY id
        """, logger: logger) {}
}

try await withBenchmarkDatabase("billing", logger: logger) { client, _ in
    let accounts = Accounts(client: client, logger: logger)
    let (agency, neighbour, fleetAgency) = (try await accounts.createAgency(name: "市机关事务管理局"), try await accounts.createAgency(name: "市财政局"),
                                            try await accounts.createAgency(name: "全市"))

    // A realistic sheet: 8 h 30 min, 120.3 km, tolls and parking, drawn up by the drafter.
    let nine = october.chinaMidnight + 9 * 3600
    let template = TripFacts(
        bookingID: 0, agencyID: agency, vehicleClass: .sedan, pickupTime: ChinaTime(nine), pickupAddress: "天一广场", destinationAddress: "栎社国际机场",
        plates: ["浙B12345D"], drivers: ["王师傅"], window: ServiceWindow(marks: [(.crew(vehicleID: 1), nine - 3600), (.serviceStarts, nine), (.completed, nine + 30_600)]),
        metres: 120_300, distanceSource: "odometer", tollsFen: 2_500, parkingFen: 1_000, receipts: ["ETC-0001", "P-77"]
    )
    let drafter = SheetDrafter(calculator: FareCalculator(book: .standard, agreement: .framework))
    let lines = try drafter.draft(template, at: ChinaTime(nine + 40_000)).lines

    print("writing \(trips) settled trips for each of two agencies, and \(vehicles * tripsPerVehicleDay * 31) bookings of a \(vehicles)-vehicle month...")
    // Received over the first 30 days: each is confirmed 4 hours later, still in October.
    let spacing = Int64(30 * 86_400 / trips)
    for id in [agency, neighbour] {
        try await bookings(client, agency: id, count: trips, start: october.chinaMidnight, spacing: spacing)
        try await client.query("""
            INSERT INTO settlement_sheets (booking_id, agency_id, vehicle_class, pickup_time, pickup_address, destination_address, plates, drivers,
                segment_vehicles, segment_starts, segment_ends, metres, distance_source, tolls_fen, parking_fen, receipts,
                state, issued_at, confirmed_at, confirmed_by, invoice_due)
            SELECT b.id, b.agency_id, 'sedan', b.pickup_time, b.pickup_address, b.destination_address, \(template.plates), \(template.drivers),
                ARRAY[1::int8], ARRAY[extract(epoch FROM b.pickup_time)::int8], ARRAY[extract(epoch FROM b.pickup_time)::int8 + 30600], \(template.metres),
                \(template.distanceSource), \(template.tollsFen), \(template.parkingFen), \(template.receipts),
                'confirmed', b.received_at + interval '3 hours', b.received_at + interval '4 hours', '李主任', (b.received_at + interval '5 days')::date
            FROM bookings b WHERE b.agency_id = \(id) ORDER BY b.id
            """, logger: logger)
    }
    try await client.query("""
        INSERT INTO settlement_lines (sheet_id, kind, detail, amount_fen, evidence, adjusting, added_at, by_name)
        SELECT s.id, l.kind, l.detail, l.amount, l.evidence, false, s.issued_at, 'billing'
        FROM settlement_sheets s CROSS JOIN unnest(\(lines.map(\.kind.rawValue)), \(lines.map(\.detail)), \(lines.map(\.amountFen)), \(lines.map(\.evidence)))
            WITH ORDINALITY AS l(kind, detail, amount, evidence, n)
        ORDER BY s.id, l.n
        """, logger: logger)
    try await client.query("""
        INSERT INTO settlement_events (sheet_id, at, kind, by_name, note)
        SELECT s.id, s.issued_at + e.after * interval '1 minute', e.kind, e.by, '' FROM settlement_sheets s
        CROSS JOIN (VALUES (0, 'issued', 'billing'), (30, 'confirmed', '李主任')) AS e(after, kind, by) ORDER BY s.id, e.after
        """, logger: logger)
    try await bookings(client, agency: fleetAgency, count: vehicles * tripsPerVehicleDay * 31 - 2 * trips, start: october.chinaMidnight,
                       spacing: Int64(31 * 86_400 / (vehicles * tripsPerVehicleDay * 31 - 2 * trips)))
    // The fleet's terminals and their days, and the platform's minutes (down one hour a week).
    let registry = PostgresTerminalRegistry(client: client, logger: logger)
    for v in 1...vehicles {
        try await registry.bind(phone: String(format: "0139%08d", v), plate: String(format: "浙BD%05d", v), terminalID: String(format: "%07d", v))
    }
    try await client.query("""
        INSERT INTO terminal_days (day, terminal_id, reports, missing)
        SELECT d::date, t.id, CASE WHEN t.id % 40 = 0 AND extract(day FROM d) < 4 THEN 0 ELSE 2800 END, t.id % 13
        FROM generate_series(\(october.description)::date, \(october.description)::date + 30, interval '1 day') AS d, terminals t
        """, logger: logger)
    try await client.query("""
        INSERT INTO platform_minutes (minute)
        SELECT m FROM generate_series(to_timestamp(\(october.chinaMidnight)), to_timestamp(\(october.nextMonth.chinaMidnight - 60)), interval '1 minute') AS m
        WHERE extract(dow FROM m) <> 0 OR extract(hour FROM m) <> 3
        """, logger: logger)
    try await client.query("VACUUM ANALYZE", logger: logger)
    try await client.query("CHECKPOINT", logger: logger)

    // The statement.
    let sheets = Settlements(client: client, logger: logger)
    let through = CivilDate(year: 2026, month: 10, day: 31)!
    let start = Date(timeIntervalSince1970: TimeInterval(october.chinaMidnight)), end = Date(timeIntervalSince1970: TimeInterval(october.nextMonth.chinaMidnight))
    let party = Agency(id: agency, name: "市机关事务管理局")
    var statement: Statement?
    let (raw, read) = try await medians(runs, {
        try await rawStatementRows(client, agency: agency, start: start, end: end)
    }, { statement = try await sheets.statement(agency: party, from: october, through: through) })
    guard let statement, statement.trips == trips else { fatalError("the statement has \(statement?.trips ?? 0) trips, not \(trips)") }
    let jsonEncoder = JSONEncoder()
    jsonEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var sizes: [String: Int] = [:]
    let renders: [(String, () throws -> Int)] = [
        ("JSON", { StatementJSON.render(statement).count }), ("CSV", { StatementCSV.render(statement).count }), ("HTML", { StatementHTML.render(statement).utf8.count }),
        ("JSON by JSONEncoder, for comparison", { try jsonEncoder.encode(statement).count }),
    ]
    print(String(format: "statement of %d trips (total %@), median of %d runs:", trips, Money.yuan(statement.totalFen, grouped: true), runs))
    print(String(format: "  the three queries' rows, undecoded (baseline)  %7.1f ms", raw))
    print(String(format: "  read (Settlements.statement)                   %7.1f ms  %5.2fx the baseline", read, read / raw))
    for (name, render) in renders {
        let ms = try await median(runs) { sizes[name] = try render() }
        print(String(format: "  %@ rendered: %d bytes in %.1f ms; read + render %.1f ms, %.2fx the baseline", name, sizes[name] ?? 0, ms, read + ms, (read + ms) / raw))
    }

    // The assessment.
    let assessments = MonthlyAssessment(client: client, contractTotalFen: 36_000_000_00, logger: logger)
    let assessmentRuns = max(3, runs / 4)
    var report: MonthlyAssessment.Report?
    let (bookingsRaw, assessed) = try await medians(assessmentRuns, {
        try await rawAssessmentRows(client, start: start, end: end)
    }, { report = try await assessments.report(month: october, now: Date()) })
    let booked = try await count(client, "SELECT count(*) FROM bookings", logger: logger)
    let service = report?.service
    print(String(format: "assessment of a %d-vehicle month (%d bookings, %d terminal-days, %d platform minutes; score %d, coefficient %d‰), median of %d runs:",
                 vehicles, booked, service?.terminalDays ?? 0, service?.minutesServed ?? 0, report?.assessment.score ?? -1,
                 report?.assessment.coefficientPermille ?? -1, assessmentRuns))
    print(String(format: "  the bookings' and transitions' rows, undecoded (baseline)  %7.1f ms", bookingsRaw))
    print(String(format: "  MonthlyAssessment.report                                  %7.1f ms  %5.2fx the baseline", assessed, assessed / bookingsRaw))
}
