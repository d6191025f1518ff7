import Domain
import NIOCore
import Store

/// Rows of `positions` in COPY's text format, written straight into a `ByteBuffer` (digits
/// without intermediate strings), for the ceiling's file and for PostgresNIO's text COPY. The
/// server COPYs in binary format instead (Store's PositionCopyBinary): this benchmark says why.
enum PositionCopyText {
    /// The columns, in the order `append` writes them; `received_at` takes its default, `now()`.
    static let columns = [
        "terminal_id", "gnss_time", "lat_e6", "lon_e6", "altitude_m", "speed_dkmh", "course", "alarm", "status", "mileage_hm", "extras", "backfill",
    ]

    static func append(_ r: PositionRecord, to buffer: inout ByteBuffer) {
        integer(Int64(r.terminalID), &buffer)
        buffer.writeInteger(UInt8(ascii: "\t"))
        timestamp(r.gnssTime, &buffer)
        for value in [Int64(r.latitudeE6), Int64(r.longitudeE6), Int64(r.altitude), Int64(r.speed), Int64(Int16(truncatingIfNeeded: r.course)),
                      Int64(Int32(bitPattern: r.alarm)), Int64(Int32(bitPattern: r.status))] {
            buffer.writeInteger(UInt8(ascii: "\t"))
            integer(value, &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "\t"))
        if let mileage = r.mileage { integer(Int64(mileage), &buffer) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(UInt8(ascii: "\t"))
        if let extras = r.extras { escaped(extras, &buffer) } else { buffer.writeStaticString("\\N") }
        buffer.writeStaticString(r.backfill ? "\tt\n" : "\tf\n")
    }

    static func integer(_ value: Int64, _ buffer: inout ByteBuffer) {
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.writeBytes(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// `YYYY-MM-DD hh:mm:ss+00`: the GNSS time in UTC, which PostgreSQL reads as a timestamptz.
    static func timestamp(_ epoch: Int64, _ buffer: inout ByteBuffer) {
        let days = CivilTime.floorDivide(epoch, 86_400)
        let second = epoch - days * 86_400
        let (year, month, day) = CivilTime.civil(fromDays: days)
        func digits(_ v: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                buffer.writeInteger(UInt8(ascii: "0") &+ UInt8((v / divisor) % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        buffer.writeInteger(UInt8(ascii: "-"))
        digits(month, 2)
        buffer.writeInteger(UInt8(ascii: "-"))
        digits(day, 2)
        buffer.writeInteger(UInt8(ascii: " "))
        digits(second / 3600, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(second / 60 % 60, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(second % 60, 2)
        buffer.writeStaticString("+00")
    }

    /// Text as COPY reads it: backslash, tab, newline and carriage return escaped.
    static func escaped(_ text: String, _ buffer: inout ByteBuffer) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}
