import Domain
import DomainTestSupport
import Testing

@testable import Matching

/// Issue 17: the charge is judged from the newest reading at its own time; never reported, or
/// too old for a departure soon, it is a reason of its own, never a full battery.
@Suite struct ChargeReportTests {
    let matcher = Matcher()

    func problems(_ booking: Booking, _ crew: Crew) -> [Ineligibility] {
        if case .failure(let judgement) = matcher.judge(booking, crew, crewIndex: 0, now: Fixture.now) { judgement.problems } else { [] }
    }

    func short(_ problems: [Ineligibility]) -> Bool { problems.contains { if case .chargeTooLow = $0 { true } else { false } } }

    @Test func aChargeNeverReportedIsAReasonNotAFullBattery() {
        var crew = Fixture.crew(1)
        crew.vehicle.charge = nil
        #expect(problems(Fixture.booking(1), crew) == [.chargeUnknown])
        #expect(problems(Fixture.booking(2, pickupIn: 3 * Fixture.day), crew) == [.chargeUnknown])
        #expect(matcher.standing(of: crew.vehicle, now: Fixture.now) == [.chargeUnknown])
        #expect(Ineligibility.chargeUnknown.description == "state of charge never reported" && !Ineligibility.chargeUnknown.isLasting)
    }

    @Test func aReadingOlderThanTheHorizonIsStaleForADepartureSoon() {
        var crew = Fixture.crew(1)
        crew.vehicle.charge = ChargeReading(percent: 90, at: Fixture.now - 3 * 3600)
        #expect(problems(Fixture.booking(1, pickupIn: 3600), crew) == [.chargeStale(seconds: 3 * 3600)])
        #expect(matcher.standing(of: crew.vehicle, now: Fixture.now) == [.chargeStale(seconds: 3 * 3600)])
        #expect(Ineligibility.chargeStale(seconds: 3 * 3600).description == "state of charge last reported 180 minutes ago")
        // Days ahead, the car will have charged in the depot whatever it said this morning.
        #expect(problems(Fixture.booking(2, pickupIn: 3 * Fixture.day), crew).isEmpty)
        // At the horizon itself the reading still holds.
        crew.vehicle.charge?.at = Fixture.now - matcher.rules.chargeReportHorizon
        #expect(problems(Fixture.booking(1, pickupIn: 3600), crew).isEmpty)
    }

    @Test func theProjectionGainsFromTheReadingsTimeOnlyIfTheCarWasCharging() {
        var crew = Fixture.crew(1)
        crew.vehicle.rangeKm = 100
        // 2 km empty and 10 km of trip at 1.3 x with a 20% margin need 19% of 100 km; leaving in
        // under half an hour, 5% read now gains about 6%: short.
        crew.vehicle.charge = ChargeReading(percent: 5, at: Fixture.now)
        let soon = Fixture.booking(1, pickupIn: 40 * 60)
        #expect(short(problems(soon, crew)))
        // The same 5% read 100 minutes ago on the charger: 23% more by now, enough.
        crew.vehicle.charge = ChargeReading(percent: 5, at: Fixture.now - 100 * 60, charging: true)
        #expect(problems(soon, crew).isEmpty)
        // Read 100 minutes ago, not charging: the car may have driven since; nothing is gained
        // before now, and it is as short as a reading taken now.
        crew.vehicle.charge = ChargeReading(percent: 5, at: Fixture.now - 100 * 60, charging: false)
        #expect(short(problems(soon, crew)))
    }
}
