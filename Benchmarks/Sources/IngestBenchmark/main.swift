import BenchmarkSupport
import Domain
import EmbeddedPostgres
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Store

// How fast can positions go into PostgreSQL, and which bulk path is the fastest? Every way is
// measured on the same rows, into the same empty day partition with its unique index, on a
// cluster with durable commits (fsync on, the defaults), one writer at a time:
//
//   ceiling       server-side COPY of the rows from a file: no client, no network
//   nio-text      PostgresNIO `copyFrom`, text format (PositionCopyText), a transaction per batch
//   unnest        INSERT ... SELECT FROM unnest($1::int4[], ...) ON CONFLICT DO NOTHING, per batch
//   sink          PostgresPositionSink.store, what the server runs: binary COPY through libpq,
//                 a transaction per batch
// and, apart, the sink's flushLatest of every terminal's newest position (once a second in the
// server) against the cost of updating latest_positions in every batch.
//
// Usage: Benchmarks/run.sh ingest [ROWS] [BATCH]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let rowCount = arguments.first ?? 1_000_000
let batchSize = arguments.dropFirst().first ?? 5_000
let terminals = 10_000
var logger = Logger(label: "ingest-benchmark")
logger.logLevel = .warning

/// Rows as terminals send them in real time: every terminal once a second, interleaved.
func makeRows(base: Int64) -> [PositionRecord] {
    (0..<rowCount).map { i in
        let terminal = Int32(i % terminals + 1)
        let second = Int64(i / terminals)
        return PositionRecord(
            terminalID: terminal, gnssTime: base + second, latitudeE6: 29_868_336 + Int32(i % 9_973) * 7, longitudeE6: 121_543_990 + Int32(i % 7_919) * 5,
            altitude: 12, speed: UInt16(i % 1_200), course: UInt16(i % 360), alarm: 0, status: 3, mileage: UInt32(1_200_000 + i / terminals),
            backfill: false, extras: #"{"0x01":{"mileageKm":120000.5},"0x30":{"rssi":25},"0x31":{"satellites":14}}"#
        )
    }
}

// MARK: - The run

struct Measurement {
    var name: String
    var seconds: Double
    var rowsPerSecond: Double { Double(rowCount) / seconds }
}


/// The sink's path with latest positions flushed after every `flushEvery` batches.
func timedLatest(batches: [ArraySlice<PositionRecord>], flushEvery: Int, sink: PostgresPositionSink, client: PostgresClient) async throws -> Double {
    try await client.query("TRUNCATE positions, latest_positions", logger: logger)
    try await client.query("CHECKPOINT", logger: logger)
    print("the sink with flushLatest every \(flushEvery) batches...", terminator: " ")
    let started = ContinuousClock.now
    for (i, batch) in batches.enumerated() {
        try await sink.store(Array(batch))
        if (i + 1) % flushEvery == 0 { try await sink.flushLatest() }
    }
    try await sink.flushLatest()
    let elapsed = seconds(ContinuousClock.now - started)
    print(String(format: "%.2f s", elapsed))
    return elapsed
}


try await withBenchmarkDatabase("ingest", logger: logger) { client, running in
    let url = try DatabaseURL(running.url)
    let retention = PositionRetention()
    _ = try await retention.maintain(client: client, today: PositionRetention.chinaDay(Date()), logger: logger)
    // Rows start at the beginning of today (China time): they all land in today's partition.
    let now = Int64(Date().timeIntervalSince1970)
    let dayStart = (now + 28_800) / 86_400 * 86_400 - 28_800
    print("generating \(rowCount) rows of \(terminals) terminals, batches of \(batchSize)...")
    let rows = makeRows(base: dayStart)
    let batches = stride(from: 0, to: rows.count, by: batchSize).map { rows[$0..<min($0 + batchSize, rows.count)] }

    // The file for the ceiling, readable by the server (which runs as postgres).
    let file = running.dataDirectory.appendingPathComponent("positions.copy")
    var text = ByteBuffer()
    for row in rows { PositionCopyText.append(row, to: &text) }
    FileManager.default.createFile(atPath: file.path, contents: Data(text.readableBytesView), attributes: [.posixPermissions: 0o644])
    print("COPY text file: \(text.readableBytes / rowCount) bytes a row")

    let sink = PostgresPositionSink(client: client, database: url, retention: retention, logger: logger)
    let columns = PositionCopyText.columns.joined(separator: ", ")
    let ways: [(String, () async throws -> Void)] = [
        ("ceiling: server-side COPY from a file (text)", {
            try await client.query(PostgresQuery(unsafeSQL: "COPY positions (\(columns)) FROM '\(file.path)'"), logger: logger)
        }),
        ("PostgresNIO copyFrom, text", {
            for batch in batches {
                var buffer = ByteBuffer()
                for row in batch { PositionCopyText.append(row, to: &buffer) }
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.copyFrom(table: "positions", columns: PositionCopyText.columns, logger: logger) { try await $0.write(buffer) }
                }
            }
        }),
        ("INSERT ... unnest(arrays) ON CONFLICT DO NOTHING", {
            for batch in batches {
                let r = Array(batch)
                try await client.query("""
                    INSERT INTO positions (\(unescaped: columns))
                    SELECT terminal_id, to_timestamp(epoch), lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, extras::jsonb, backfill
                    FROM unnest(\(r.map(\.terminalID))::int4[], \(r.map(\.gnssTime))::int8[], \(r.map(\.latitudeE6))::int4[], \(r.map(\.longitudeE6))::int4[],
                                \(r.map(\.altitude))::int2[], \(r.map { Int32($0.speed) })::int4[], \(r.map { Int16(truncatingIfNeeded: $0.course) })::int2[],
                                \(r.map { Int32(bitPattern: $0.alarm) })::int4[], \(r.map { Int32(bitPattern: $0.status) })::int4[],
                                \(r.map { Int64($0.mileage ?? 0) })::int8[], \(r.map { $0.extras ?? "{}" })::text[], \(r.map(\.backfill))::bool[])
                        AS t(terminal_id, epoch, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, extras, backfill)
                    ON CONFLICT (terminal_id, gnss_time) DO NOTHING
                    """, logger: logger)
            }
        }),
        ("PostgresPositionSink.store: libpq, binary COPY (the server's path)", {
            for batch in batches { try await sink.store(Array(batch)) }
        }),
    ]
    var results: [String: [Double]] = [:]
    let rounds = 2
    for round in 1...rounds {
        for (name, run) in ways {
            try await client.query("TRUNCATE positions, latest_positions", logger: logger)
            try await client.query("CHECKPOINT", logger: logger)
            print("round \(round)/\(rounds): \(name)...", terminator: " ")
            fflush(nil)  // all streams: `stdout` itself is a global var Swift 6 refuses
            let started = ContinuousClock.now
            try await run()
            let seconds = seconds(ContinuousClock.now - started)
            let stored = try await count(client, "SELECT count(*)::int8 FROM positions", logger: logger)
            guard stored == rowCount else { throw EmbeddedPostgres.Failure(description: "\(name) stored \(stored) of \(rowCount) rows") }
            print(String(format: "%.2f s", seconds))
            results[name, default: []].append(seconds)
        }
    }
    // What updating latest_positions costs: once per batch (as the first version did), or once a second.
    let perBatch = try await timedLatest(batches: batches, flushEvery: 1, sink: sink, client: client)
    let perSecond = try await timedLatest(batches: batches, flushEvery: max(1, 130_000 / batchSize), sink: sink, client: client)

    let best = ways.map { name, _ in Measurement(name: name, seconds: results[name]!.min()!) }
    let ceiling = best[0].rowsPerSecond
    print("\n\(rowCount) rows, \(terminals) terminals, batches of \(batchSize), best of \(rounds):\n")
    print("| way | rows/s | x ceiling |")
    print("| --- | ---: | ---: |")
    for m in best {
        print("| \(m.name) | " + String(format: "%.0f | %.2f |", m.rowsPerSecond, m.rowsPerSecond / ceiling))
    }
    print("\nthe sink with flushLatest after every batch: " + String(format: "%.0f rows/s", Double(rowCount) / perBatch)
          + "; after every \(max(1, 130_000 / batchSize)) batches (about once a second at full speed): " + String(format: "%.0f rows/s", Double(rowCount) / perSecond))
}
