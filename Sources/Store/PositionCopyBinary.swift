import Domain

/// Rows of `positions` in PostgreSQL's binary COPY format: a header, then per row a field count
/// and each field as its length and its value in network byte order. The server parses it with
/// less work than text (BENCHMARKS.md, "ingest").
enum PositionCopyBinary {
    /// The columns, in the order `append` writes them; `received_at` takes its default, `now()`.
    static let columns = [
        "terminal_id", "gnss_time", "lat_e6", "lon_e6", "altitude_m", "speed_dkmh", "course", "alarm", "status", "mileage_hm", "extras", "backfill",
    ]

    /// Signature, flags (no OIDs), header extension length.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xff, 0x0d, 0x0a, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// A field count of -1 ends the data.
    static let trailer: [UInt8] = [0xff, 0xff]
    /// Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01: timestamptz is microseconds from there.
    static let postgresEpoch: Int64 = 946_684_800

    static func append(_ r: PositionRecord, to bytes: inout [UInt8]) {
        func field<T: FixedWidthInteger>(_ value: T) {
            integer(Int32(MemoryLayout<T>.size), &bytes)
            integer(value, &bytes)
        }
        integer(Int16(columns.count), &bytes)
        field(r.terminalID)
        field((r.gnssTime - postgresEpoch) * 1_000_000)
        field(r.latitudeE6)
        field(r.longitudeE6)
        field(r.altitude)
        field(Int32(r.speed))
        field(Int16(truncatingIfNeeded: r.course))
        field(Int32(bitPattern: r.alarm))
        field(Int32(bitPattern: r.status))
        if let mileage = r.mileage { field(Int64(mileage)) } else { integer(Int32(-1), &bytes) }
        if let extras = r.extras {
            // jsonb's binary form: a version byte (1), then the JSON text.
            integer(Int32(extras.utf8.count + 1), &bytes)
            bytes.append(1)
            bytes.append(contentsOf: extras.utf8)
        } else {
            integer(Int32(-1), &bytes)
        }
        field(UInt8(r.backfill ? 1 : 0))
    }

    static func integer<T: FixedWidthInteger>(_ value: T, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
