import Testing

@testable import Domain

@Suite struct DrivingTimeTests {
    /// A fix every 30 s from `start` for `seconds`, at `dkmh`.
    static func leg(from start: Int64, seconds: Int64, dkmh: Int) -> [(time: Int64, speedDkmh: Int)] {
        stride(from: start, to: start + seconds, by: 30).map { ($0, dkmh) }
    }

    @Test func aTwentyMinuteStopIsARestAndAShorterOneIsNot() {
        let now: Int64 = 100_000
        // 2 h driving, 15 min standing, 1 h driving, ending now: no rest, 3 h 15 min less the stop.
        var track = Self.leg(from: now - 3 * 3600 - 900, seconds: 7200, dkmh: 600)
        track += Self.leg(from: now - 3600 - 900, seconds: 900, dkmh: 0)
        track += Self.leg(from: now - 3600, seconds: 3600, dkmh: 600)
        let unrested = DrivingTime.measure(track, now: now)
        // Each leg's last interval runs into the next leg's first fix: 7200 + 3570.
        #expect(unrested.continuous == 7200 + 3570)
        #expect(unrested.last24h == 7200 + 3570)

        // The same with a 20-minute stop: only the last hour counts as continuous.
        var rested = Self.leg(from: now - 3 * 3600 - 1200, seconds: 7200, dkmh: 600)
        rested += Self.leg(from: now - 3600 - 1200, seconds: 1200, dkmh: 0)
        rested += Self.leg(from: now - 3600, seconds: 3600, dkmh: 600)
        let measured = DrivingTime.measure(rested, now: now)
        #expect(measured.continuous == 3570)
        #expect(measured.last24h == 7200 + 3570)
    }

    @Test func parkedSinceLongEnoughIsRestedAndOldDrivingLeavesTheDay() {
        let now: Int64 = 200_000
        // Driven 3 h ending 25 h ago, then 1 h ending 30 min ago.
        var track = Self.leg(from: now - 28 * 3600, seconds: 3 * 3600, dkmh: 400)
        track += Self.leg(from: now - 5400, seconds: 3600, dkmh: 400)
        let measured = DrivingTime.measure(track, now: now)
        // The last fix is 30 min old: a rest since.
        #expect(measured.continuous == 0)
        // The 25-hour-old drive is outside the day; the gap between the legs is not driving.
        #expect(measured.last24h == 3570)
    }

    @Test func gapsAndCrawlingAreNotDriving() {
        // A terminal asleep for 2 h between two moving fixes, and 3 km/h jitter.
        let track: [(time: Int64, speedDkmh: Int)] = [(0, 600), (7200, 600), (7230, 30), (7260, 30), (7290, 600), (7320, 600)]
        let measured = DrivingTime.measure(track, now: 7330)
        #expect(measured.continuous == 30 + 30)
        #expect(measured.last24h == 60)
        #expect(DrivingTime.measure([], now: 0) == DrivingTime(continuous: 0, last24h: 0))
    }
}

@Suite struct NightTests {
    let evening = CivilDate(year: 2026, month: 11, day: 23)!.chinaMidnight + 21 * 3600  // 21:00 China time

    @Test func onlyTheHoursFromTenToSixCount() {
        #expect(Night.seconds(from: evening, to: evening + 2 * 3600) == 3600)
        #expect(Night.seconds(from: evening + 8 * 3600, to: evening + 10 * 3600) == 3600)  // 05:00-07:00
        #expect(Night.seconds(from: evening - 12 * 3600, to: evening + 12 * 3600) == 8 * 3600)
        #expect(Night.seconds(from: evening + 3 * 3600, to: evening + 3 * 3600) == 0)
        #expect(Night.seconds(from: evening, to: evening - 1) == 0)
    }

    @Test func theTrackMeasuresTheNightPartOfTheContinuousDriving() {
        // Driving from 21:00 to 23:30, a fix a minute.
        let track = (0...150).map { (time: evening + Int64($0) * 60, speedDkmh: 500) }
        let measured = DrivingTime.measure(track, now: evening + 150 * 60)
        #expect(measured.continuous == 150 * 60 && measured.nightContinuous == 90 * 60)
        // After 20 minutes parked, both start again.
        #expect(DrivingTime.measure(track, now: evening + 171 * 60).nightContinuous == 0)
    }

    @Test func drivingIsCreditedToWhoeverWasSignedInElseThePairedDriver() {
        let now: Int64 = 200_000
        // Vehicle 1 (paired with driver 10): an hour with no card in, later driver 20 signed in for
        // the last hour; vehicle 2 (paired with 30): driver 20 the hour before that, then a card
        // no file holds (driver nil) for the last half hour.
        let early = DrivingTimeTests.leg(from: now - 4 * 3600, seconds: 3600, dkmh: 600)
        let late = DrivingTimeTests.leg(from: now - 3600, seconds: 3600, dkmh: 600)
        let second = DrivingTimeTests.leg(from: now - 2 * 3600, seconds: 3600, dkmh: 600) + DrivingTimeTests.leg(from: now - 1800, seconds: 1800, dkmh: 600)
        let signIns = [
            SignInStretch(vehicleID: 1, driverID: 20, from: now - 3600, until: nil),
            SignInStretch(vehicleID: 2, driverID: 20, from: now - 2 * 3600 - 10, until: now - 3600),
            SignInStretch(vehicleID: 2, driverID: nil, from: now - 1800, until: nil),
        ]
        let credited = DrivingTime.credited(tracks: [1: early + late, 2: second], signIns: signIns, pairedDriver: [1: 10, 2: 30], now: now)
        // Driver 10: the hour without a card; 20: both vehicles' hours, back to back and still
        // going (3570 + 30 + 3570); 30, vehicle 2's paired driver, the half hour of the card no
        // file holds: unknown driving counts against the paired driver's limits, never nobody's.
        #expect(credited[10]?.last24h == 3570 && credited[10]?.continuous == 0)
        #expect(credited[20]?.last24h == 3570 + 30 + 3570 && credited[20]?.continuous == 3570 + 30 + 3570)
        #expect(credited[30] == DrivingTime(continuous: 1770, last24h: 1770))
        #expect(credited.count == 3)
    }
}
