import Domain
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Stores positions in PostgreSQL, durably, exactly once per terminal and GNSS time; returns
/// when the transaction has committed.
///
/// The fast path COPYs a batch straight into `positions` in binary format through libpq
/// (BENCHMARKS.md compares it with text COPY through PostgresNIO and with INSERT). A
/// retransmitted report already stored makes the unique index refuse the whole COPY; the batch
/// is then inserted again skipping what is stored. Retransmissions are rare (a lost
/// acknowledgement, a restart), so the common batch pays nothing for exactly-once but the index
/// it needs anyway for the tracks.
///
/// What does not go into `positions` goes to `positions_quarantine` with its reason: reports
/// outside the partitions' window (absurd clocks) or more than ten minutes ahead of the server's
/// clock (`GNSSTimeSanity`: never the vehicle's latest position), a second, different report of
/// a terminal for a second already stored (the first one stays; nothing is overwritten), and a
/// report whose values PostgreSQL refuses (its extras are kept there as text).
///
/// `latest_positions` is not written with every batch (updating a row per terminal per batch
/// costs as much as the COPY): the newest position of each terminal is kept here and written by
/// `flushLatest()`, which the server runs five times a second.
public struct PostgresPositionSink: PositionSink {
    let client: PostgresClient
    let copying: LibPQPool
    let retention: PositionRetention
    let logger: Logger
    let now: @Sendable () -> Date
    /// Each terminal's newest position not yet in `latest_positions`.
    private let unflushed = PendingLatestPositions()

    public init(client: PostgresClient, database: DatabaseURL, retention: PositionRetention, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.copying = LibPQPool(connectionString: database.libpqConnectionString)
        self.retention = retention
        self.logger = logger
        self.now = now
    }

    /// A report that is not stored in `positions`, and why.
    struct Quarantined {
        var record: PositionRecord
        var reason: String
    }

    public func store(_ positions: [PositionRecord]) async throws {
        guard !positions.isEmpty else { return }
        let now = self.now()
        let window = retention.window(now: now)
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        var kept: [PositionRecord] = []
        var quarantined: [Quarantined] = []
        var seen: [PositionKey: PositionRecord] = [:]
        kept.reserveCapacity(positions.count)
        for record in positions {
            if !window.contains(record.gnssTime) {
                let reason = record.gnssTime < window.lowerBound ? "before the retention window" : "in the future"
                quarantined.append(Quarantined(record: record, reason: reason))
            } else if GNSSTimeSanity.isAhead(record.gnssTime, now: seconds) {
                quarantined.append(Quarantined(record: record, reason: Self.ahead))
            } else if let first = seen[PositionKey(record)] {
                if !first.isSameReport(as: record) { quarantined.append(Quarantined(record: record, reason: Self.conflict)) }
            } else {
                seen[PositionKey(record)] = record
                kept.append(record)
            }
        }
        do {
            if !kept.isEmpty { try await copy(kept) }
            if !quarantined.isEmpty { try await client.withConnection { try await quarantine(quarantined, on: $0) } }
            unflushed.offer(kept)
        } catch let error as LibPQConnection.Failure where Self.isRecoverable(error.sqlState) {
            // Some of these are stored already (23505), or PostgreSQL refuses one of them (class
            // 22, e.g. a vendor text with a NUL in its JSON): insert the others, compare the
            // stored ones, quarantine the refused ones. One bad report must not hold back the
            // batch of every terminal it shares with.
            let stored = try await client.withTransaction(logger: logger) { connection in
                let (skipped, refused) = try await insertCarefully(kept, on: connection)
                quarantined += refused
                for (record, stored) in try await storedReports(for: skipped, on: connection) where !stored.isSameReport(as: record) {
                    quarantined.append(Quarantined(record: record, reason: Self.conflict))
                }
                try await quarantine(quarantined, on: connection)
                let refusedKeys = Set(refused.map { PositionKey($0.record) })
                return kept.filter { !refusedKeys.contains(PositionKey($0)) }
            }
            unflushed.offer(stored)
        }
        if !quarantined.isEmpty {
            logger.warning("positions quarantined", metadata: ["count": "\(quarantined.count)", "reason": "\(quarantined[0].reason)"])
        }
    }

    static let ahead = "more than \(GNSSTimeSanity.maximumLead / 60) minutes ahead of the server's clock"
    static let conflict = "differs from the report stored for the same terminal and second"

    struct PositionKey: Hashable {
        var terminal: Int32
        var time: Int64
        init(terminal: Int32, time: Int64) {
            self.terminal = terminal
            self.time = time
        }
        init(_ record: PositionRecord) { self.init(terminal: record.terminalID, time: record.gnssTime) }
    }

    /// One transaction: the records by binary COPY (rolled back, and the connection kept, when it fails).
    private func copy(_ records: [PositionRecord]) async throws {
        var data = PositionCopyBinary.header
        data.reserveCapacity(records.count * 128)
        for record in records { PositionCopyBinary.append(record, to: &data) }
        data += PositionCopyBinary.trailer
        try await copying.withConnection { [data] connection in
            try connection.execute("BEGIN")
            do {
                try connection.copyBinary(into: "positions", columns: PositionCopyBinary.columns, data: data)
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Writes each terminal's newest position stored since the last flush to `latest_positions`,
    /// and its newest state of charge to its vehicle's `vehicle_charge` (never replacing a newer
    /// one). On failure they are kept for the next flush.
    public func flushLatest() async throws {
        let (newest, charges) = unflushed.take()
        guard !newest.isEmpty || !charges.isEmpty else { return }
        do {
            try await client.withConnection { connection in
                if !newest.isEmpty { try await updateLatest(newest, on: connection) }
                if !charges.isEmpty { try await updateCharge(charges, on: connection) }
            }
        } catch {
            unflushed.offer(newest + charges)
            throw error
        }
    }

    /// A duplicate key (a retransmission) or a data exception (a value PostgreSQL refuses).
    static func isRecoverable(_ sqlState: String?) -> Bool {
        sqlState == "23505" || isDataException(sqlState)
    }

    /// SQLSTATE class 22: PostgreSQL refuses a value.
    static func isDataException(_ sqlState: String?) -> Bool {
        sqlState?.hasPrefix("22") == true
    }

    /// Inserts what is not stored yet, all at once, or one by one when PostgreSQL refuses some
    /// of it: returns the records stored already and those refused, with the database's reason.
    private func insertCarefully(_ records: [PositionRecord], on connection: PostgresConnection) async throws -> (
        skipped: [PositionRecord], refused: [Quarantined]
    ) {
        if case .success(let skipped) = try await inSavepoint(on: connection, { try await insertMissing(records, on: connection) }) {
            return (skipped, [])
        }
        var skipped: [PositionRecord] = []
        var refused: [Quarantined] = []
        for record in records {
            switch try await inSavepoint(on: connection, { try await insertMissing([record], on: connection) }) {
            case .success(let one): skipped += one
            case .failure(let reason): refused.append(Quarantined(record: record, reason: "refused by the database: \(reason.message)"))
            }
        }
        return (skipped, refused)
    }

    struct Refused: Error {
        var message: String
    }

    /// Runs `body` in a savepoint; when PostgreSQL refuses its data, rolls back to the savepoint
    /// and says why.
    private func inSavepoint<T>(on connection: PostgresConnection, _ body: () async throws -> T) async throws -> Result<T, Refused> {
        try await connection.query("SAVEPOINT careful", logger: logger)
        do {
            let result = try await body()
            try await connection.query("RELEASE SAVEPOINT careful", logger: logger)
            return .success(result)
        } catch let error as PSQLError where Self.isDataException(error.serverInfo?[.sqlState]) {
            try await connection.query("ROLLBACK TO SAVEPOINT careful", logger: logger)
            return .failure(Refused(message: error.serverInfo?[.message] ?? "data exception"))
        }
    }

    /// Inserts the records not stored yet; returns the others.
    private func insertMissing(_ records: [PositionRecord], on connection: PostgresConnection) async throws -> [PositionRecord] {
        guard !records.isEmpty else { return [] }
        let c = Columns(records)
        let rows = try await connection.query(
            """
            INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, extras, backfill)
            SELECT terminal_id, to_timestamp(epoch), now(), lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, NULLIF(mileage_hm, -1), NULLIF(extras, '')::jsonb, backfill
            FROM unnest(\(c.terminal)::int4[], \(c.epoch)::int8[], \(c.lat)::int4[], \(c.lon)::int4[], \(c.altitude)::int2[], \(c.speed)::int4[],
                        \(c.course)::int2[], \(c.alarm)::int4[], \(c.status)::int4[], \(c.mileage)::int8[], \(c.extras)::text[], \(c.backfill)::bool[])
                AS t(terminal_id, epoch, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, extras, backfill)
            ON CONFLICT (terminal_id, gnss_time) DO NOTHING
            RETURNING terminal_id, extract(epoch FROM gnss_time)::int8
            """, logger: logger)
        var inserted = Set<PositionKey>()
        for try await (terminal, epoch) in rows.decode((Int32, Int64).self) {
            inserted.insert(PositionKey(terminal: terminal, time: epoch))
        }
        return records.filter { !inserted.contains(PositionKey($0)) }
    }

    /// The stored report for each of `records`' terminal and second.
    private func storedReports(for records: [PositionRecord], on connection: PostgresConnection) async throws -> [(PositionRecord, PositionRecord)] {
        guard !records.isEmpty else { return [] }
        let terminal = records.map(\.terminalID)
        let epoch = records.map(\.gnssTime)
        let rows = try await connection.query(
            """
            SELECT p.terminal_id, extract(epoch FROM p.gnss_time)::int8, p.lat_e6, p.lon_e6, p.altitude_m, p.speed_dkmh, p.course, p.alarm, p.status, p.mileage_hm
            FROM unnest(\(terminal)::int4[], \(epoch)::int8[]) AS k(terminal_id, epoch)
            JOIN positions p ON p.terminal_id = k.terminal_id AND p.gnss_time = to_timestamp(k.epoch)
            """, logger: logger)
        var stored: [PositionKey: PositionRecord] = [:]
        for try await (t, e, lat, lon, alt, speed, course, alarm, status, mileage) in rows.decode(
            (Int32, Int64, Int32, Int32, Int16, Int32, Int16, Int32, Int32, Int64?).self)
        {
            stored[PositionKey(terminal: t, time: e)] = PositionQueries.record((t, e, lat, lon, alt, speed, course, alarm, status, mileage, false))
        }
        return records.compactMap { record in stored[PositionKey(record)].map { (record, $0) } }
    }

    /// Moves each terminal's latest position forward to `newest` (one per terminal, as
    /// `PendingLatestPositions` keeps them), never back.
    private func updateLatest(_ newest: [PositionRecord], on connection: PostgresConnection) async throws {
        let c = Columns(newest)
        try await connection.query(
            """
            INSERT INTO latest_positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, speed_dkmh, course, alarm, status)
            SELECT terminal_id, to_timestamp(epoch), now(), lat_e6, lon_e6, speed_dkmh, course, alarm, status
            FROM unnest(\(c.terminal)::int4[], \(c.epoch)::int8[], \(c.lat)::int4[], \(c.lon)::int4[], \(c.speed)::int4[], \(c.course)::int2[],
                        \(c.alarm)::int4[], \(c.status)::int4[]) AS t(terminal_id, epoch, lat_e6, lon_e6, speed_dkmh, course, alarm, status)
            ON CONFLICT (terminal_id) DO UPDATE SET
                gnss_time = EXCLUDED.gnss_time, received_at = EXCLUDED.received_at, lat_e6 = EXCLUDED.lat_e6, lon_e6 = EXCLUDED.lon_e6,
                speed_dkmh = EXCLUDED.speed_dkmh, course = EXCLUDED.course, alarm = EXCLUDED.alarm, status = EXCLUDED.status
            WHERE latest_positions.gnss_time < EXCLUDED.gnss_time
            """, logger: logger)
    }

    /// Moves each reporting vehicle's state of charge forward to its terminal's newest reading
    /// (one per terminal), never back, nor over a later one entered by hand.
    private func updateCharge(_ newest: [PositionRecord], on connection: PostgresConnection) async throws {
        let readings = newest.compactMap { record in record.charge.map { (record.terminalID, $0) } }
        let terminals = readings.map(\.0), epochs = readings.map(\.1.at), percents = readings.map { Int16(clamping: $0.1.percent) }
        // -1 stands for "not reported" (arrays of optionals cannot be bound).
        let ranges = readings.map { Int32(clamping: $0.1.rangeKm ?? -1) }
        let charging = readings.map { $0.1.charging.map { Int16($0 ? 1 : 0) } ?? -1 }
        try await connection.query(
            """
            INSERT INTO vehicle_charge (vehicle_id, percent, range_km, charging, reported_at, source)
            SELECT t.vehicle_id, r.percent, NULLIF(r.range_km, -1), CASE r.charging WHEN -1 THEN NULL ELSE r.charging = 1 END, to_timestamp(r.epoch), 'terminal'
            FROM unnest(\(terminals)::int4[], \(epochs)::int8[], \(percents)::int2[], \(ranges)::int4[], \(charging)::int2[])
                AS r(terminal_id, epoch, percent, range_km, charging)
            JOIN terminals t ON t.id = r.terminal_id AND t.vehicle_id IS NOT NULL
            ON CONFLICT (vehicle_id) DO UPDATE SET percent = EXCLUDED.percent, range_km = EXCLUDED.range_km, charging = EXCLUDED.charging,
                reported_at = EXCLUDED.reported_at, source = 'terminal', entered_by = NULL, received_at = now()
            WHERE vehicle_charge.reported_at < EXCLUDED.reported_at
            """, logger: logger)
    }

    private func quarantine(_ reports: [Quarantined], on connection: PostgresConnection) async throws {
        guard !reports.isEmpty else { return }
        let c = Columns(reports.map(\.record))
        let reasons = reports.map(\.reason)
        try await connection.query(
            """
            INSERT INTO positions_quarantine (terminal_id, gnss_time, received_at, reason, report)
            SELECT terminal_id, to_timestamp(epoch), now(), reason, jsonb_build_object(
                'lat_e6', lat_e6, 'lon_e6', lon_e6, 'altitude_m', altitude_m, 'speed_dkmh', speed_dkmh, 'course', course,
                'alarm', alarm, 'status', status, 'mileage_hm', NULLIF(mileage_hm, -1), 'extras', to_jsonb(NULLIF(extras, '')), 'backfill', backfill)
            FROM unnest(\(c.terminal)::int4[], \(c.epoch)::int8[], \(reasons)::text[], \(c.lat)::int4[], \(c.lon)::int4[], \(c.altitude)::int2[],
                        \(c.speed)::int4[], \(c.course)::int2[], \(c.alarm)::int4[], \(c.status)::int4[], \(c.mileage)::int8[], \(c.extras)::text[],
                        \(c.backfill)::bool[])
                AS t(terminal_id, epoch, reason, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, extras, backfill)
            """, logger: logger)
    }

    /// Records as one array per column, to bind as parameters (`unnest`).
    struct Columns {
        var terminal: [Int32], epoch: [Int64], lat: [Int32], lon: [Int32], altitude: [Int16], speed: [Int32], course: [Int16]
        var alarm: [Int32], status: [Int32], mileage: [Int64], extras: [String], backfill: [Bool]

        init(_ records: [PositionRecord]) {
            terminal = records.map(\.terminalID)
            epoch = records.map(\.gnssTime)
            lat = records.map(\.latitudeE6)
            lon = records.map(\.longitudeE6)
            altitude = records.map(\.altitude)
            speed = records.map { Int32($0.speed) }
            course = records.map { Int16(truncatingIfNeeded: $0.course) }
            alarm = records.map { Int32(bitPattern: $0.alarm) }
            status = records.map { Int32(bitPattern: $0.status) }
            // -1 stands for "no odometer" (the odometer is never negative).
            mileage = records.map { $0.mileage.map(Int64.init) ?? -1 }
            // "" stands for "no extras" (arrays of optionals cannot be bound).
            extras = records.map { $0.extras ?? "" }
            backfill = records.map(\.backfill)
        }
    }
}

/// The newest position of each terminal, waiting to be written to `latest_positions`, and its
/// newest report with a state of charge (not every report carries one), for `vehicle_charge`.
final class PendingLatestPositions: Sendable {
    private let newest = Mutex<(positions: [Int32: PositionRecord], charges: [Int32: PositionRecord])>(([:], [:]))

    func offer(_ records: [PositionRecord]) {
        newest.withLock { newest in
            for record in records {
                if (newest.positions[record.terminalID]?.gnssTime ?? .min) < record.gnssTime { newest.positions[record.terminalID] = record }
                if record.charge != nil, (newest.charges[record.terminalID]?.gnssTime ?? .min) < record.gnssTime {
                    newest.charges[record.terminalID] = record
                }
            }
        }
    }

    func take() -> (positions: [PositionRecord], charges: [PositionRecord]) {
        newest.withLock { newest in
            defer { newest = ([:], [:]) }
            return (Array(newest.positions.values), Array(newest.charges.values))
        }
    }
}
