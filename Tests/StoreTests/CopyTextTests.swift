import Domain
import Foundation
import NIOCore
import Testing

@testable import Store

@Suite struct CopyTextTests {
    @Test func aRowIsTabSeparatedWithNullsAndUTCTimes() {
        var buffer = ByteBuffer()
        // 2026-11-22T08:00:00+08:00 is 00:00:00 UTC; negative coordinates and a top alarm bit.
        let record = PositionRecord(terminalID: 42, gnssTime: 1_795_305_600, latitudeE6: -29_868_336, longitudeE6: 121_543_990, altitude: -5,
                                    speed: 452, course: 359, alarm: 1 << 31, status: 3, mileage: nil, backfill: true, extras: #"{"a":"\\"}"#)
        PositionCopyText.append(record, to: &buffer)
        #expect(String(buffer: buffer) == "42\t2026-11-22 00:00:00+00\t-29868336\t121543990\t-5\t452\t359\t-2147483648\t3\t\\N\t{\"a\":\"\\\\\\\\\"}\tt\n")
    }

    @Test func integersAtTheirLimits() {
        for value in [Int64.min + 1, -1, 0, 9, 10, 4_294_967_295, Int64.max] {
            var buffer = ByteBuffer()
            PositionCopyText.integer(value, &buffer)
            #expect(String(buffer: buffer) == String(value))
        }
    }

    /// The calendar arithmetic agrees with Foundation's calendar in China time, across leap
    /// years and the century. (From 1992 on: China kept daylight saving time until 1991, which
    /// no GNSS time we store reaches back to; the arithmetic itself holds before 1970 as well.)
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
