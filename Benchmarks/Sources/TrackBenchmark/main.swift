import BenchmarkSupport
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import Store

// Reading tracks back, and dropping old days, at the size the fleet reaches: 200 vehicles
// reporting every 10 s for 30 days (51.8 M positions, 8,640 a vehicle a day) in day partitions,
// written in arrival order (all vehicles' reports of one moment together, so one vehicle's day
// is spread over the whole partition, as it is in production).
//
//   track    PositionQueries.track for one vehicle and one whole day (8,640 points), at random;
//            median and p95 over the runs, against the floor of a one-row primary-key query
//   thinned  the same with thinnedTo: 60 (1,440 points), as a map of a day asks
//   drop     fleet_maintain_positions dropping a full day (1.7 M rows) and dropping an empty one
//
// Usage: Benchmarks/run.sh track [DAYS] [QUERIES]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let days = arguments.first ?? 30
let queries = arguments.dropFirst().first ?? 200
let vehicles = 200
let pointsPerDay = 8_640
var logger = Logger(label: "track-benchmark")
logger.logLevel = .warning
func since(_ started: ContinuousClock.Instant) -> Double { seconds(.now - started) }

func summary(_ samples: [Double]) -> (median: Double, p95: Double) {
    let sorted = samples.sorted()
    return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 95 / 100)])
}

try await withBenchmarkDatabase("track", logger: logger) { client, running in
    let registry = PostgresTerminalRegistry(client: client, logger: logger)
    for v in 1...vehicles {
        try await registry.bind(phone: String(format: "0139%08d", v), plate: String(format: "浙BD%05d", v), terminalID: String(format: "%07d", v))
    }
    var vehicleIDs: [Int64] = []
    for try await id in try await client.query("SELECT vehicle_id FROM terminals ORDER BY id", logger: logger).decode(Int64.self) { vehicleIDs.append(id) }

    // The partitions cover the `days` days before today (and today, and one ahead).
    let now = Date()
    let retention = PositionRetention(retentionDays: days, aheadDays: 1)
    _ = try await retention.maintain(client: client, today: PositionRetention.chinaDay(now), logger: logger)
    let firstDay = retention.window(now: now).lowerBound
    print("writing \(days) days x \(vehicles) vehicles x \(pointsPerDay) points = \(days * vehicles * pointsPerDay) positions...")
    let loadingStarted = ContinuousClock.now
    do {
        for day in 0..<days {
            let start = firstDay + Int64(day) * 86_400
            try await client.query("""
                INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, extras, backfill)
                SELECT t, to_timestamp(\(start) + s * 10), to_timestamp(\(start) + s * 10 + 1),
                       29868336 + ((s * 37 + t * 101) % 20000), 121543990 + ((s * 53 + t * 89) % 20000), 12, (s * 7) % 1200, (s * 3) % 360, 0, 3,
                       \(Int64(day) * 2_000) + s / 10,
                       '{"0x01":{"mileageKm":120000.5},"0x30":{"rssi":25},"0x31":{"satellites":14}}'::jsonb, false
                FROM generate_series(0, \(pointsPerDay - 1)) AS s, generate_series(1, \(vehicles)) AS t
                ORDER BY s, t
                """, logger: logger)
            print("  day \(day + 1)/\(days)")
        }
    }
    let loading = since(loadingStarted)
    try await client.query("VACUUM ANALYZE positions", logger: logger)
    print(String(format: "loaded in %.0f s (%.0f rows/s, by INSERT ... SELECT generate_series)", loading, Double(days * vehicles * pointsPerDay) / loading))
    // The finished days covered for tracks, as the hourly maintenance does.
    let coveringStarted = ContinuousClock.now
    let covered = try await retention.coverFinishedDays(client: client, today: PositionRetention.chinaDay(now), logger: logger)
    let covering = since(coveringStarted)
    print(String(format: "%d finished days covered for tracks in %.0f s (%.1f s a day of %d rows, index built concurrently and the day vacuumed)",
                 covered.count, covering, covering / Double(max(1, covered.count)), vehicles * pointsPerDay))
    try await client.query("CHECKPOINT", logger: logger)

    let positions = PositionQueries(client: client, database: try DatabaseURL(running.url), logger: logger)
    var random = SystemRandomNumberGenerator()
    var floor: [Double] = [], track: [Double] = [], thinned: [Double] = []
    for _ in 0..<queries {
        let vehicle = vehicleIDs.randomElement(using: &random)!
        let dayStart = firstDay + Int64(Int.random(in: 0..<days, using: &random)) * 86_400
        var started = ContinuousClock.now
        for try await _ in try await client.query("SELECT plate FROM vehicles WHERE id = \(vehicle)", logger: logger) {}
        floor.append(since(started))
        started = .now
        var points = try await positions.track(vehicleID: vehicle, from: dayStart, to: dayStart + 86_399).count
        track.append(since(started))
        guard points == pointsPerDay else { throw EmbeddedPostgres.Failure(description: "a day's track had \(points) points, not \(pointsPerDay)") }
        started = .now
        points = try await positions.track(vehicleID: vehicle, from: dayStart, to: dayStart + 86_399, thinnedTo: 60).count
        thinned.append(since(started))
        guard points == 1_440 else { throw EmbeddedPostgres.Failure(description: "a thinned day had \(points) points, not 1,440") }
    }

    // The server's share of one day's track (the rest is the wire and decoding the rows).
    var plan: [String] = []
    let someDay = firstDay + Int64(days / 2) * 86_400
    for try await line in try await client.query(PostgresQuery(unsafeSQL: """
        EXPLAIN (ANALYZE, BUFFERS) SELECT terminal_id, gnss_time, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill
        FROM positions WHERE terminal_id = 1 AND gnss_time BETWEEN to_timestamp(\(someDay)) AND to_timestamp(\(someDay + 86_399)) ORDER BY gnss_time
        """), logger: logger).decode(String.self) { plan.append(line) }

    // Dropping through the maintenance function: first an empty day partition, then (the window
    // one day shorter) the oldest full one; nothing is created either time.
    try await client.query("CREATE TABLE positions_19990101 PARTITION OF positions FOR VALUES FROM ('1999-01-01') TO ('1999-01-02')", logger: logger)
    let today = PositionRetention.chinaDay(now)
    var started = ContinuousClock.now
    let droppedEmpty = try await retention.maintain(client: client, today: today, logger: logger)
    let dropEmpty = since(started)
    started = .now
    let droppedFull = try await PositionRetention(retentionDays: days - 1, aheadDays: 1).maintain(client: client, today: today, logger: logger)
    let dropFull = since(started)
    guard droppedEmpty.dropped == ["positions_19990101"], droppedEmpty.created.isEmpty, droppedFull.dropped.count == 1, droppedFull.created.isEmpty else {
        throw EmbeddedPostgres.Failure(description: "maintenance did something else: \(droppedEmpty), \(droppedFull)")
    }

    let f = summary(floor), t = summary(track), th = summary(thinned)
    print("\n\(days * vehicles * pointsPerDay) positions, \(vehicles) vehicles, \(days) days; \(queries) random vehicle-days:\n")
    print("| query | median ms | p95 ms | x floor (median) |")
    print("| --- | ---: | ---: | ---: |")
    print(String(format: "| floor: one row by primary key | %.2f | %.2f | 1.0 |", f.median * 1e3, f.p95 * 1e3))
    print(String(format: "| a day's track, 8,640 points | %.2f | %.2f | %.1f |", t.median * 1e3, t.p95 * 1e3, t.median / f.median))
    print(String(format: "| a day's track thinned to 1/min, 1,440 points | %.2f | %.2f | %.1f |", th.median * 1e3, th.p95 * 1e3, th.median / f.median))
    print("\nthe server's part of one day's track (EXPLAIN ANALYZE):")
    for line in plan where line.contains("Execution Time") || line.contains("Buffers") || line.contains("Index") { print("    " + line.trimmingCharacters(in: .whitespaces)) }
    print("\ndropping a day partition through fleet_maintain_positions: full (\(droppedFull.dropped[0]), \(vehicles * pointsPerDay) rows) "
          + String(format: "%.1f ms; empty %.1f ms", dropFull * 1e3, dropEmpty * 1e3))
}
