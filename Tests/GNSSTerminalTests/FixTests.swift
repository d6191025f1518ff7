import Foundation
import JT808
import Testing

@testable import GNSSTerminal

@Suite struct FixTests {
    /// 2010-04-11 16:57:44 UTC, the first fix of the Regensburg log.
    static let regensburgStart: Int64 = 1_271_005_064

    @Test func gpsdsWeekRolloverIsUndoneAndTheShiftApplied() {
        let now: Int64 = 1_795_305_600  // 2026-11-22
        // gpsd 3.22 dates the 2010 log 1024 weeks later (2029-11-25).
        let fromGPSD = Self.regensburgStart + 619_315_200
        #expect(FixClock().reportTime(of: fromGPSD, now: now) == Self.regensburgStart)
        #expect(FixClock(shift: 100).reportTime(of: fromGPSD, now: now) == Self.regensburgStart + 100)
        // A real fix, even a few hours ahead of a wrong wall clock, is left alone.
        #expect(FixClock().reportTime(of: now + 3600, now: now) == now + 3600)
        #expect(FixClock().reportTime(of: now - 5, now: now) == now - 5)
    }

    @Test func invalidFixesAreNeverPositions() {
        let good = GNSSFix(time: 1, mode: .threeDimensional, latitude: 49.0, longitude: 12.0)
        #expect(good.isPositioned)
        #expect(!GNSSFix(time: 1, mode: .noFix, latitude: 49.0, longitude: 12.0).isPositioned)
        #expect(!GNSSFix(time: 1, mode: .notSeen, latitude: 49.0, longitude: 12.0).isPositioned)
        #expect(!GNSSFix(time: 1, mode: .twoDimensional, latitude: .nan, longitude: 12.0).isPositioned)
        #expect(!GNSSFix(time: 1, mode: .twoDimensional, latitude: 49.0, longitude: .infinity).isPositioned)
        #expect(!GNSSFix(time: 1, mode: .twoDimensional, latitude: 91, longitude: 12.0).isPositioned)
        #expect(GNSSFix(time: 1, mode: .twoDimensional, latitude: 49.0, longitude: 12.0).isPositioned)
    }

    /// The 0x0200 body of one fix, byte for byte, worked by hand.
    @Test func aFixBecomesTheStandardsReportBody() {
        let fix = GNSSFix(
            time: Self.regensburgStart, mode: .threeDimensional, latitude: 49.026567, longitude: -12.065272, altitudeMSL: 336.7,
            speed: 10.0, track: 359.6, satellitesUsed: 7
        )
        let report = fix.report(mileageMeters: 12_345.6)
        let body = Message.location(report).encodeBody(version: .v2013)
        // alarm 0; status: positioned (bit 1) + west (bit 3) + GPS (bit 18) = 0x0004000A;
        // lat 49.026567 -> 49026567 = 0x02EC1607; lon 12.065272 -> 12065272 = 0x00B819F8;
        // altitude 336.7 -> 337 = 0x0151; speed 10 m/s = 36 km/h -> 360 = 0x0168;
        // course 359.6 -> 360 -> 0 (mod 360); time 2010-04-12 00:57:44 China time, BCD;
        // extras: 0x01 mileage 123 (0.1 km) = 0x0000007B, 0x31 satellites 7.
        let expected: [UInt8] = [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0A, 0x02, 0xEC, 0x16, 0x07, 0x00, 0xB8, 0x19, 0xF8,
            0x01, 0x51, 0x01, 0x68, 0x00, 0x00, 0x10, 0x04, 0x12, 0x00, 0x57, 0x44,
            0x01, 0x04, 0x00, 0x00, 0x00, 0x7B, 0x31, 0x01, 0x07,
        ]
        #expect(body == expected, "\(body.map { String(format: "%02X", $0) })")
        #expect(report.latitudeE6 == 49_026_567 && report.longitudeE6 == -12_065_272)
    }

    @Test func missingValuesAreSentAsZeroNotATrap() {
        let report = GNSSFix(time: 0, mode: .twoDimensional, latitude: -33.5, longitude: 151.2).report(mileageMeters: 0)
        #expect(report.altitude == 0 && report.speed == 0 && report.course == 0)
        #expect(report.status.contains(.southLatitude) && !report.status.contains(.westLongitude) && report.status.contains(.positioned))
    }

    @Test func theOdometerCountsDrivingOnly() {
        var odometer = Odometer(meters: 1000)
        // 0.001 degree of latitude is 111.1951 m, 0.0009 degree 100.0756 m (mean Earth radius 6371.0088 km).
        func fix(_ t: Int64, _ lat: Double, speed: Double) -> GNSSFix {
            GNSSFix(time: t, mode: .threeDimensional, latitude: lat, longitude: 12.0, speed: speed)
        }
        odometer.add(fix(0, 49.000, speed: 10))
        odometer.add(fix(10, 49.001, speed: 10))
        #expect(abs(odometer.meters - 1111.1951) < 0.001)
        // Standing: the receiver's wander is not distance.
        odometer.add(fix(20, 49.00102, speed: 0.1))
        #expect(abs(odometer.meters - 1111.1951) < 0.001)
        // A jump of 11 km in 1 s is a bad fix.
        odometer.add(fix(21, 49.1, speed: 10))
        #expect(abs(odometer.meters - 1111.1951) < 0.001)
        // Invalid fixes neither count nor move the reference.
        odometer.add(GNSSFix(time: 22, mode: .noFix, latitude: .nan, longitude: .nan))
        odometer.add(fix(31, 49.1009, speed: 10))
        #expect(abs(odometer.meters - 1211.2707) < 0.001)
    }
}

@Suite struct ReportPolicyTests {
    func fix(_ t: Int64, course: Double = 90, speed: Double = 10, mode: GNSSFix.Mode = .threeDimensional) -> GNSSFix {
        GNSSFix(time: t, mode: mode, latitude: 30, longitude: 120, speed: speed, track: course)
    }

    @Test func reportsOnTheIntervalOfFixTime() {
        var policy = ReportPolicy(interval: 10, cornerAngle: 30)
        #expect(policy.consider(fix(100)) == .first)
        #expect(policy.consider(fix(105)) == nil)
        #expect(policy.consider(fix(110)) == .interval)
        #expect(policy.consider(fix(110)) == nil, "one report per fix second")
        #expect(policy.consider(fix(125, mode: .noFix)) == nil, "no fix, no report")
        #expect(policy.consider(fix(126)) == .interval)
    }

    @Test func aCornerIsReportedAtOnceButNotWhenStanding() {
        var policy = ReportPolicy(interval: 60, cornerAngle: 30)
        _ = policy.consider(fix(0, course: 350))
        #expect(policy.consider(fix(1, course: 15)) == nil, "25 degrees across north is no corner")
        #expect(policy.consider(fix(2, course: 25)) == .corner, "35 degrees from the last report")
        #expect(policy.consider(fix(3, course: 90, speed: 0.5)) == nil, "standing: the course is noise")
        #expect(policy.consider(fix(4, course: .nan)) == nil)
        #expect(policy.consider(fix(5, course: 300)) == .corner, "85 degrees the other way")
    }

    @Test func temporaryTrackingOverridesTheIntervalUntilItExpires() {
        var policy = ReportPolicy(interval: 60, cornerAngle: 30)
        _ = policy.consider(fix(0))
        policy.track(interval: 2, validity: 6, from: 0)
        #expect(policy.consider(fix(1)) == nil)
        #expect(policy.consider(fix(2)) == .tracking)
        #expect(policy.consider(fix(4)) == .tracking)
        #expect(policy.consider(fix(6)) == nil, "tracking ended at 6")
        #expect(policy.tracking == nil)
        policy.track(interval: 1, validity: 100, from: 6)
        policy.track(interval: 0, validity: 100, from: 6)
        #expect(policy.consider(fix(7)) == nil, "interval 0 stops tracking")
    }
}
