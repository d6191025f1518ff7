import Domain
import DomainTestSupport
import Testing

@testable import Matching

/// Bookings made days ahead are judged on the crew as it will be then: where its previous job
/// leaves it, the charge it will have gained, the driving of that day; and the night limit and a
/// driver's review hold whenever the trip is.
@Suite struct AdvanceMatchingTests {
    let matcher = Matcher()

    func problems(_ booking: Booking, _ crew: Crew) -> [Ineligibility] {
        if case .failure(let judgement) = matcher.judge(booking, crew, crewIndex: 0, now: Fixture.now) { judgement.problems } else { [] }
    }

    @Test func aCrewAsleepInTheDepotTodayServesABookingThreeDaysAhead() {
        var parked = Fixture.crew(1)
        parked.vehicle.positionTime = Fixture.now - 10 * 3600  // the terminal sleeps
        parked.vehicle.charge = ChargeReading(percent: 10, at: Fixture.now, source: .hand)  // read off the display this morning
        parked.vehicle.rangeKm = 100
        parked.driver.drivingLast24h = 7 * 3600 + 50 * 60
        let ahead = Fixture.booking(1, pickupIn: 3 * Fixture.day)
        #expect(problems(ahead, parked).isEmpty)
        // The same crew for a trip within the hour: silent, flat and tired.
        let soon = Fixture.booking(2, pickupIn: 40 * 60)
        let now = problems(soon, parked)
        #expect(now.contains(.terminalSilent(seconds: 10 * 3600)))
        // 10% now and about 24 minutes parked at 14% an hour: 15%, below the 19% the trip needs.
        #expect(now.contains(.chargeTooLow(stateOfCharge: 15, neededPercent: 19)))
        #expect(now.contains { if case .dailyDriving = $0 { true } else { false } })
    }

    @Test func theChargeGainedParkedIsCountedAndTheJobsBeforeSpendIt() {
        var crew = Fixture.crew(1)
        crew.vehicle.charge?.percent = 5
        crew.vehicle.rangeKm = 100
        // 2 km empty and 10 km of trip at 1.3 x with a 20% margin need 19% of 100 km.
        let inTwoHours = Fixture.booking(1, pickupIn: 2 * 3600)
        // Parked about 1 h 50 min before leaving at 14% an hour: 5 + 25 = 30%.
        #expect(problems(inTwoHours, crew).isEmpty)
        // A job in between takes the hours it could have charged and spends its drive.
        let job = TimeWindow(start: Fixture.now + 10 * 60, end: Fixture.now + 90 * 60)
        crew.commitments = [Commitment(window: job, pickup: Fixture.station, destination: Fixture.near(north: 20_000))]
        #expect(problems(inTwoHours, crew).contains { if case .chargeTooLow = $0 { true } else { false } })
    }

    @Test func theCrewSetsOffFromWhereItsPreviousJobEnds() {
        var crew = Fixture.crew(1)
        // A job that ends 60 km away, 30 minutes before this pick-up's on-site time.
        let far = Fixture.near(north: 60_000)
        let pickupIn: Int64 = 2 * Fixture.day
        let end = Fixture.now + pickupIn - 40 * 60
        crew.commitments = [Commitment(window: TimeWindow(start: end - 3 * 3600, end: end), pickup: Fixture.station, destination: far)]
        let booking = Fixture.booking(1, pickupIn: pickupIn)
        #expect(problems(booking, crew).contains { if case .cannotArriveInTime = $0 { true } else { false } })
        // Ending by the pick-up instead, the crew is in time.
        crew.commitments[0].destination = Fixture.near(east: 2500)
        #expect(problems(booking, crew).isEmpty)
    }

    @Test func aMultiDayBookingHoldsTheCrewForEveryDay() {
        var crew = Fixture.crew(1)
        let threeDays = Fixture.booking(1, pickupIn: Fixture.day)
        let held = TimeWindow(start: threeDays.pickupTime - 2400, end: threeDays.pickupTime + 3 * Fixture.day)
        crew.commitments = [Commitment(window: held, pickup: threeDays.pickup, destination: threeDays.destination, bookingID: 1)]
        let secondDay = Fixture.booking(2, pickupIn: 2 * Fixture.day)
        #expect(problems(secondDay, crew) == [.busy(held)])
        #expect(problems(Fixture.booking(3, pickupIn: 5 * Fixture.day), crew).isEmpty)
    }

    @Test func atNightNoMoreThanTwoHoursAtTheWheel() {
        // 70 km north: 91 km of road, 3 h 39 min at 25 km/h: within the 4 hours by day.
        func trip(_ id: Int64, pickupIn: Int64) -> Booking {
            var booking = Fixture.booking(id, pickupIn: pickupIn)
            booking.destination = Fixture.near(east: 2000, north: 70_000)
            booking.serviceEnd = booking.pickupTime + 5 * 3600
            return booking
        }
        let crew = Fixture.crew(1)
        #expect(problems(trip(1, pickupIn: 2 * 3600), crew).isEmpty)  // 10:00
        let late = problems(trip(2, pickupIn: 15 * 3600), crew)  // 23:00
        #expect(late.contains { if case .nightDriving(let s) = $0 { s > 2 * 3600 } else { false } }, "\(late)")
    }

    @Test func aDriverHeldForReviewIsNotMatched() {
        var crew = Fixture.crew(1)
        crew.driver.review = "2 complaints substantiated since 2026-08-25"
        let why = problems(Fixture.booking(1), crew)
        #expect(why == [.underReview("2 complaints substantiated since 2026-08-25")])
        #expect(why[0].description == "held for review: 2 complaints substantiated since 2026-08-25" && why[0].isLasting)
        #expect(!Ineligibility.terminalSilent(seconds: 3600).isLasting)
    }

    @Test func aBatteryIsFullOnceAndTheJobBeforeSpendsFromThere() {
        var crew = Fixture.crew(1)
        crew.vehicle.rangeKm = 100
        // Tomorrow 08:00 to 10:00 China time, 60 km north: 78 km of road, 78% of 100 km.
        let jobStart = Fixture.now + Fixture.day
        let job = Commitment(
            window: TimeWindow(start: jobStart - 2400, end: jobStart + 2 * 3600), pickup: Fixture.station, destination: Fixture.near(north: 60_000))
        crew.commitments = [job]
        // A booking at 11:00 from where that job ended, 30 km further: 39 km of road and the 20%
        // margin need 47%. Charged full overnight (not beyond), 22% is left after the job, and
        // the 50 minutes parked before leaving give 11% more: too little.
        var booking = Fixture.booking(1, at: Fixture.near(north: 60_000), pickupIn: Fixture.day + 3 * 3600)
        booking.destination = Fixture.near(north: 90_000)
        let problems = problems(booking, crew)
        let tooLow = problems.contains {
            if case .chargeTooLow(let charge, let needed) = $0 { (25...40).contains(charge) && (46...48).contains(needed) } else { false }
        }
        #expect(tooLow, "\(problems)")
    }

    @Test func filesAreJudgedForTheNextDayAheadOfAnAdvanceBookingAndForItsWholeWindowFromTheDayBefore() {
        var crew = Fixture.crew(1)
        // The monthly inspection of 10 days ago runs out in 21 days.
        let inSixtyDays = Fixture.booking(1, pickupIn: 60 * Fixture.day)
        #expect(problems(inSixtyDays, crew).isEmpty, "renewed by then, and re-planned if not")
        // A booking starting tomorrow morning for three days: the lapse on its third day counts.
        crew.vehicle.inspections[0].date = Fixture.now - 30 * Fixture.day
        var threeDays = Fixture.booking(2, pickupIn: 20 * 3600)
        threeDays.serviceEnd = threeDays.pickupTime + 3 * Fixture.day
        #expect(problems(threeDays, crew) == [.inspectionOverdue(.monthly)])
    }
}
