import Domain
import Foundation
import Logging
import PostgresNIO

/// A stretch of road between two neighbouring cells the fleet drove through.
public struct RoadSegment: Sendable, Hashable {
    public var from: GeoPoint
    public var to: GeoPoint
}

/// What the rest of the system asks of the stored positions: a vehicle's track, the fleet's
/// latest positions, mileage.
public struct PositionQueries: Sendable {
    let client: PostgresClient
    /// Tracks are read through libpq: PostgresNIO decodes a row in about 4 µs, which for a
    /// day's 8,640 points is most of the time (BENCHMARKS.md, "Track").
    let tracks: LibPQPool
    let logger: Logger

    public init(client: PostgresClient, database: DatabaseURL, logger: Logger) {
        self.client = client
        self.tracks = LibPQPool(connectionString: database.libpqConnectionString)
        self.logger = logger
    }

    /// The vehicle with this plate, if there is one.
    public func vehicleID(plate: String) async throws -> Int64? {
        let rows = try await client.query("SELECT id FROM vehicles WHERE plate = \(plate)", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    /// A vehicle's positions from `from` to `to` (epoch seconds, inclusive), oldest first, from
    /// every terminal it has had. With `thinnedTo`, at most one point per that many seconds (the
    /// first of each interval).
    public func track(vehicleID: Int64, from: Int64, to: Int64, thinnedTo interval: Int? = nil) async throws -> [PositionRecord] {
        // Thinned: the first point of each interval. Unthinned, the index on (terminal, GNSS
        // time) gives the order and nothing is sorted. The time goes out as the timestamp it is
        // stored as: converting it to epoch seconds on the server (numeric arithmetic) cost
        // more than the rest of the row.
        let (thinning, ordering, step): (String, String, [String]) =
            switch interval {
            case let step? where step > 1:
                (
                    "DISTINCT ON (date_bin($4::int * interval '1 second', gnss_time, timestamptz 'epoch'))",
                    "date_bin($4::int * interval '1 second', gnss_time, timestamptz 'epoch'), gnss_time", ["\(step)"]
                )
            default: ("", "gnss_time", [])
            }
        let sql = """
            SELECT \(thinning)
                   terminal_id, gnss_time, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill
            FROM positions
            WHERE terminal_id IN (SELECT id FROM terminals WHERE vehicle_id = $1::int8)
              AND gnss_time BETWEEN to_timestamp($2::int8) AND to_timestamp($3::int8)
            ORDER BY \(ordering)
            """
        let parameters = ["\(vehicleID)", "\(from)", "\(to)"] + step
        var track = try await tracks.withConnection { connection in
            try connection.query(sql, parameters) { rows in
                try rows.expect(widths: [4, 8, 4, 4, 2, 4, 2, 4, 4, 8, 1])
                return (0..<rows.count).map { i in
                    Self.record(
                        (
                            rows.integer(i, 0), rows.epochSeconds(i, 1), rows.integer(i, 2), rows.integer(i, 3), rows.integer(i, 4),
                            rows.integer(i, 5), rows.integer(i, 6), rows.integer(i, 7), rows.integer(i, 8),
                            rows.isNull(i, 9) ? nil : rows.integer(i, 9), rows.integer(i, 10, as: UInt8.self) != 0
                        ))
                }
            }
        }
        if zip(track, track.dropFirst()).contains(where: { $0.gnssTime > $1.gnssTime }) {
            track.sort { $0.gnssTime < $1.gnssTime }
        }
        return track
    }

    /// The newest position of every vehicle that has one, with its plate.
    public func latest() async throws -> [(vehicleID: Int64, plate: String, position: PositionRecord)] {
        let rows = try await client.query(
            """
            SELECT DISTINCT ON (v.id) v.id, v.plate, l.terminal_id, extract(epoch FROM l.gnss_time)::int8, l.lat_e6, l.lon_e6, l.speed_dkmh, l.course, l.alarm, l.status
            FROM latest_positions l JOIN terminals t ON t.id = l.terminal_id JOIN vehicles v ON v.id = t.vehicle_id
            ORDER BY v.id, l.gnss_time DESC
            """, logger: logger)
        var out: [(Int64, String, PositionRecord)] = []
        for try await (vehicle, plate, terminal, epoch, lat, lon, speed, course, alarm, status) in rows.decode(
            (Int64, String, Int32, Int64, Int32, Int32, Int32, Int16, Int32, Int32).self)
        {
            out.append(
                (
                    vehicle, plate,
                    PositionRecord(
                        terminalID: terminal, gnssTime: epoch, latitudeE6: lat, longitudeE6: lon, altitude: 0, speed: UInt16(clamping: speed),
                        course: UInt16(clamping: course), alarm: UInt32(bitPattern: alarm), status: UInt32(bitPattern: status), mileage: nil, backfill: false
                    )
                ))
        }
        return out
    }

    /// The roads the fleet has driven since `since` (epoch seconds), as segments between
    /// neighbouring cells of `cellE6` millionths of a degree (about 110 m for 1,000): each
    /// vehicle's consecutive reports, at most `maximumGap` seconds apart and not a jump, joined
    /// cell to cell, each pair once. The console draws them as its map when no tile server is
    /// reachable. At most `limit` segments, the most driven first.
    public func drivenRoads(since: Int64, cellE6: Int32 = 1_000, maximumGap: Int = 60, limit: Int = 50_000) async throws -> [RoadSegment] {
        let rows = try await client.query(
            """
            WITH steps AS (
                SELECT round(p.lat_e6 / \(cellE6)::float8)::int4 AS y, round(p.lon_e6 / \(cellE6)::float8)::int4 AS x,
                       lag(round(p.lat_e6 / \(cellE6)::float8)::int4) OVER w AS py, lag(round(p.lon_e6 / \(cellE6)::float8)::int4) OVER w AS px,
                       p.gnss_time - lag(p.gnss_time) OVER w AS gap
                FROM positions p
                WHERE p.gnss_time >= to_timestamp(\(since)) AND p.lat_e6 <> 0
                WINDOW w AS (PARTITION BY p.terminal_id ORDER BY p.gnss_time)
            )
            SELECT least(y * 100000000::int8 + x, py * 100000000::int8 + px) AS a, greatest(y * 100000000::int8 + x, py * 100000000::int8 + px) AS b, count(*)
            FROM steps
            WHERE py IS NOT NULL AND (y, x) <> (py, px) AND gap <= make_interval(secs => \(maximumGap))
              AND abs(y - py) <= 3 AND abs(x - px) <= 3
            GROUP BY 1, 2 ORDER BY 3 DESC LIMIT \(limit)
            """, logger: logger)
        var segments: [RoadSegment] = []
        for try await (a, b, _) in rows.decode((Int64, Int64, Int64).self) {
            segments.append(RoadSegment(from: Self.cellCentre(a, cellE6), to: Self.cellCentre(b, cellE6)))
        }
        return segments
    }

    /// A cell's key (y * 10^8 + x, in cells) back to its centre.
    static func cellCentre(_ key: Int64, _ cellE6: Int32) -> GeoPoint {
        // |x| is far below half of 10^8 cells, so rounding the quotient recovers y on either side of zero.
        let y = Int64((Double(key) / 100_000_000).rounded()), x = key - y * 100_000_000
        return GeoPoint(latitudeE6: Int32(clamping: y * Int64(cellE6)), longitudeE6: Int32(clamping: x * Int64(cellE6)))
    }

    /// Where a mileage figure came from.
    public enum MileageSource: String, Sendable { case odometer, track }

    /// Kilometres driven from `from` to `to`, in metres: the odometer's (extra 0x01) difference
    /// when the terminal reports one, else the length of the track.
    public func mileage(vehicleID: Int64, from: Int64, to: Int64) async throws -> (meters: Double, source: MileageSource) {
        let track = try await track(vehicleID: vehicleID, from: from, to: to)
        let odometer = track.compactMap(\.mileage)
        if odometer.count >= 2, let first = odometer.first, let last = odometer.last, last >= first {
            return (Double(last - first) * 100, .odometer)
        }
        return (TrackDistance.meters(track), .track)
    }

    /// A stored row back as the record it was written from: the exact inverse of how the sink
    /// stores each column (the unsigned values in signed columns of their width).
    static func record(_ row: (Int32, Int64, Int32, Int32, Int16, Int32, Int16, Int32, Int32, Int64?, Bool)) -> PositionRecord {
        PositionRecord(
            terminalID: row.0, gnssTime: row.1, latitudeE6: row.2, longitudeE6: row.3, altitude: row.4, speed: UInt16(truncatingIfNeeded: row.5),
            course: UInt16(bitPattern: row.6), alarm: UInt32(bitPattern: row.7), status: UInt32(bitPattern: row.8),
            mileage: row.9.map { UInt32(truncatingIfNeeded: $0) }, backfill: row.10
        )
    }
}
