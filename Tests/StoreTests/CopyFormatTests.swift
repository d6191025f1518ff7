import Domain
import Foundation
import Testing

@testable import Store

@Suite struct CopyFormatTests {
    /// One row of binary COPY, byte by byte, as PostgreSQL's COPY documentation lays it out:
    /// a 16-bit field count, then each field's 32-bit length (-1 for NULL) and value.
    @Test func aBinaryRowByHand() {
        // 2026-11-22T00:00:00Z; south latitude; the top alarm bit; no odometer; extras; backfill.
        let record = PositionRecord(
            terminalID: 42, gnssTime: 1_795_305_600, latitudeE6: -29_868_336, longitudeE6: 121_543_990, altitude: -5,
            speed: 452, course: 359, alarm: 1 << 31, status: 3, mileage: nil, backfill: true, extras: #"{"a":1}"#)
        var bytes: [UInt8] = []
        PositionCopyBinary.append(record, to: &bytes)
        let expected: [UInt8] =
            [0x00, 0x0c]  // 12 fields
            + [0, 0, 0, 4, 0x00, 0x00, 0x00, 0x2a]  // terminal 42
            // (1_795_305_600 - 946_684_800) s after 2000-01-01, in microseconds: 0x000303d0ed554000
            + [0, 0, 0, 8, 0x00, 0x03, 0x03, 0xd0, 0xed, 0x55, 0x40, 0x00]
            + [0, 0, 0, 4, 0xfe, 0x38, 0x3e, 0xd0]  // -29,868,336
            + [0, 0, 0, 4, 0x07, 0x3e, 0x9d, 0x36]  // 121,543,990
            + [0, 0, 0, 2, 0xff, 0xfb]  // -5 m
            + [0, 0, 0, 4, 0x00, 0x00, 0x01, 0xc4]  // 45.2 km/h
            + [0, 0, 0, 2, 0x01, 0x67]  // 359 degrees
            + [0, 0, 0, 4, 0x80, 0x00, 0x00, 0x00]  // alarm bit 31
            + [0, 0, 0, 4, 0x00, 0x00, 0x00, 0x03]  // status
            + [0xff, 0xff, 0xff, 0xff]  // no odometer: NULL
            + [0, 0, 0, 8, 0x01] + Array(#"{"a":1}"#.utf8)  // jsonb: version 1, then the text
            + [0, 0, 0, 1, 0x01]  // backfill
        #expect(bytes == expected)
        #expect(PositionCopyBinary.header == Array("PGCOPY\n\u{ff}\r\n\0".unicodeScalars.map { UInt8($0.value) }) + [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func libpqConnectionStringsQuoteTheirValues() throws {
        let url = try DatabaseURL("postgres://fleet:it's%5Csecret@db.example:5433/fleet?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(
            url.libpqConnectionString
                == #"host='db.example' port='5433' user='fleet' dbname='fleet' sslmode='verify-full' password='it\'s\\secret' sslrootcert='/etc/ca.pem'"#)
    }

    /// The calendar arithmetic agrees with Foundation's calendar in China time, across leap
    /// years and the century. (From 1992 on: China kept daylight saving time until 1991, which
    /// no GNSS time we store reaches back to.)
    @Test func civilDaysAgreeWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [951_782_400, 951_868_800, 4_107_542_400 - 28_800, 1_795_276_800, 1_795_276_799]
        let samples: [Int64] = edges + (0..<2_000).map { _ in Int64.random(in: 700_000_000...4_102_444_800, using: &generator) }
        for epoch in samples {
            let c = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(epoch)))
            let expected = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            #expect(CivilTime.chinaDay(of: epoch) == expected, "epoch \(epoch)")
            let start = CivilTime.chinaDayStart(of: epoch)
            #expect(start <= epoch && epoch - start < 86_400 && (start + 28_800) % 86_400 == 0)
        }
    }
}
