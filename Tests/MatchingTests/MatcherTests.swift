import Domain
import DomainTestSupport
import Foundation
import Testing

@testable import Matching

/// A fleet around Ningbo on 2026-11-23 (a Monday), every file in order unless a test spoils it.
extension Fixture {
    static func policies(expiry: Int64 = now + 200 * day) -> [InsurancePolicy] {
        [
            InsurancePolicy(kind: .compulsoryTraffic, insurer: "PICC", amountFen: 20_000_000, start: now - 100 * day, expiry: expiry),
            InsurancePolicy(kind: .thirdPartyLiability, insurer: "PICC", amountFen: 100_000_000, start: now - 100 * day, expiry: expiry),
            InsurancePolicy(kind: .vehicleDamage, insurer: "PICC", amountFen: 15_000_000, start: now - 100 * day, expiry: expiry),
            InsurancePolicy(kind: .seat, insurer: "PICC", amountFen: 50_000_000, start: now - 100 * day, expiry: expiry),
            InsurancePolicy(kind: .carrierLiability, insurer: "PICC", amountFen: 50_000_000, start: now - 100 * day, expiry: expiry),
        ]
    }

    static let inspections = [Inspection(kind: .monthly, date: now - 10 * day, passed: true), Inspection(kind: .quarterly, date: now - 40 * day, passed: true)]

    static func vehicle(_ id: Int64, at position: GeoPoint = station, class vehicleClass: VehicleClass = .sedan, reserve: Bool = false) -> Vehicle {
        Vehicle(
            id: id, plate: "浙B\(10000 + id)D", vehicleClass: vehicleClass, seats: vehicleClass == .sedan ? 5 : 7, policies: policies(),
            inspections: inspections, charge: ChargeReading(percent: 100, at: now), position: position, positionTime: now - 30, reserve: reserve
        )
    }

    static func driver(_ id: Int64, reserve: Bool = false) -> Driver {
        Driver(id: id, name: "司机\(id)", birthDate: now - 40 * year, serviceSince: now - 10 * year, licenceExpiry: now + 2000 * day, reserve: reserve)
    }

    static func crew(_ id: Int64, at position: GeoPoint = station, reserve: Bool = false) -> Crew {
        Crew(vehicle: vehicle(id, at: position, reserve: reserve), driver: driver(100 + id))
    }

    /// A half-day sedan booking picked up at `pickupIn` seconds from now, at `at`, going 10 km.
    static func booking(_ id: Int64, at pickup: GeoPoint = near(east: 2000), pickupIn: Int64 = 3 * 3600, receivedBefore: Int64 = 0) -> Booking {
        Booking(
            id: id, agencyID: 1, vehicleClass: .sedan, passengers: 2, pickupTime: now + pickupIn, pickup: pickup,
            destination: GeoPoint(latitudeE6: pickup.latitudeE6 + 90_000, longitudeE6: pickup.longitudeE6),
            serviceEnd: now + pickupIn + 4 * 3600, receivedAt: now - receivedBefore
        )
    }
}

@Suite struct MatcherTests {
    let matcher = Matcher()

    /// The explanation of one booking of the last batch, by vehicle.
    func verdicts(_ plan: Matcher.Plan, _ booking: Booking, _ crews: [Crew]) -> [Int64: Matcher.Explanation.Verdict] {
        Dictionary(uniqueKeysWithValues: matcher.explain(booking, in: plan, crews: crews, now: Fixture.now).crews.map { ($0.vehicleID, $0.verdict) })
    }

    @Test func onlyAnEligibleCrewIsChosenAndEveryOtherSaysWhyNot() {
        var lapsed = Fixture.crew(1)
        lapsed.vehicle.policies = Fixture.policies(expiry: Fixture.now + 4 * 3600)  // ends before the booking does
        var repairing = Fixture.crew(2)
        repairing.vehicle.inRepair = true
        var failed = Fixture.crew(3)
        failed.vehicle.inspections.append(Inspection(kind: .monthly, date: Fixture.now - Fixture.day, passed: false, findings: "brakes"))
        var petrol = Fixture.crew(4)
        petrol.vehicle.energy = .petrol
        var silent = Fixture.crew(5)
        silent.vehicle.positionTime = Fixture.now - 3600
        let good = Fixture.crew(6, at: Fixture.near(east: 5000))
        let crews = [lapsed, repairing, failed, petrol, silent, good]
        let plan = matcher.match([Fixture.booking(1)], crews: crews, now: Fixture.now)
        #expect(plan.assignments.map(\.vehicleID) == [6] && plan.unmatched.isEmpty)
        let why = verdicts(plan, Fixture.booking(1), crews)
        #expect(why[6] == .chosen)
        #expect(
            why[1]
                == .ineligible([
                    .insuranceLapses(.compulsoryTraffic, expiry: Fixture.now + 4 * 3600),
                    .insuranceLapses(.thirdPartyLiability, expiry: Fixture.now + 4 * 3600),
                    .insuranceLapses(.vehicleDamage, expiry: Fixture.now + 4 * 3600), .insuranceLapses(.seat, expiry: Fixture.now + 4 * 3600),
                    .insuranceLapses(.carrierLiability, expiry: Fixture.now + 4 * 3600),
                ]))
        #expect(why[2] == .ineligible([.inRepair]))
        #expect(why[3] == .ineligible([.inspectionFailed(.monthly, date: Fixture.now - Fixture.day)]))
        #expect(why[4] == .ineligible([.notNewEnergy]))
        #expect(why[5] == .ineligible([.terminalSilent(seconds: 3600)]))
    }

    @Test func insufficientCoverAndDriverFilesAreReasonsToo() {
        var crew = Fixture.crew(1)
        crew.vehicle.policies[3].amountFen = 20_000_000  // seat cover CNY 200,000 < 500,000
        crew.driver.birthDate = Fixture.now - 61 * Fixture.year
        crew.driver.serviceSince = Fixture.now - 2 * Fixture.year
        crew.driver.points = 12
        crew.driver.criminalRecord = true
        crew.driver.preDutyTrainingDays = 2
        crew.driver.lastMajorAccident = Fixture.now - Fixture.year
        let plan = matcher.match([Fixture.booking(1)], crews: [crew], now: Fixture.now)
        #expect(plan.unmatched == [1])
        #expect(
            verdicts(plan, Fixture.booking(1), [crew])[1]
                == .ineligible([
                    .insuranceInsufficient(.seat, amountFen: 20_000_000), .tooOld(age: 61), .tooLittleExperience(years: 2), .fullPoints(12),
                    .recentMajorAccident(Fixture.now - Fixture.year), .criminalRecord, .untrained(days: 2),
                ]))
    }

    @Test func aVehicleWithoutAPositionStillHearsEveryOtherReason() {
        var crew = Fixture.crew(1)
        crew.vehicle.position = nil
        crew.driver.criminalRecord = true
        let plan = matcher.match([Fixture.booking(1)], crews: [crew], now: Fixture.now)
        #expect(verdicts(plan, Fixture.booking(1), [crew])[1] == .ineligible([.noPosition, .criminalRecord]))
    }

    @Test func theAssignmentIsOptimalNotGreedy() {
        // Booking 1 at 2 km east, booking 2 at 6 km east; crew A at 3 km east, crew B at the
        // station. Greedy gives A (1 km) to booking 1, leaving B 6 km from booking 2: 7 km.
        // The optimum: B to booking 1 (2 km), A to booking 2 (3 km): 5 km.
        let a = Fixture.crew(1, at: Fixture.near(east: 3000)), b = Fixture.crew(2)
        let bookings = [Fixture.booking(1, at: Fixture.near(east: 2000)), Fixture.booking(2, at: Fixture.near(east: 6000))]
        let plan = matcher.match(bookings, crews: [a, b], now: Fixture.now)
        #expect(Set(plan.assignments.map { [$0.bookingID, $0.vehicleID] }) == [[1, 2], [2, 1]])
        #expect(verdicts(plan, bookings[0], [a, b])[1] == .servesAnother(bookingID: 2))
        let emptyKm = plan.assignments.map(\.candidate.emptyMetres).reduce(0, +)
        #expect((6495...6505).contains(emptyKm), "5 km of straight line, 1.3 times on roads: \(emptyKm) m")
    }

    @Test func urgentBookingsComeFirstAndMayUseTheReserve() {
        // One crew, a spare one; an urgent booking (pick-up in 40 minutes) and a regular one.
        let regular = Fixture.booking(1, pickupIn: 50 * 60, receivedBefore: 3 * 3600)
        let urgent = Fixture.booking(2, pickupIn: 40 * 60)
        #expect(urgent.isUrgent && !regular.isUrgent)
        let plan = matcher.match([regular, urgent], crews: [Fixture.crew(1)], now: Fixture.now)
        #expect(plan.assignments.map(\.bookingID) == [2] && plan.unmatched == [1])
        let withReserve = matcher.match([urgent], crews: [Fixture.crew(1, reserve: true)], now: Fixture.now)
        #expect(withReserve.assignments.map(\.bookingID) == [2], "the reserve is for urgent requests")
    }

    @Test func theReserveIsKeptUnlessNothingElseCanServe() {
        let spare = Fixture.crew(1, reserve: true), regular = Fixture.crew(2, at: Fixture.near(east: 8000))
        let plan = matcher.match([Fixture.booking(1)], crews: [spare, regular], now: Fixture.now)
        #expect(plan.assignments.map(\.vehicleID) == [2], "farther, but not the spare")
        #expect(verdicts(plan, Fixture.booking(1), [spare, regular])[1] == .keptInReserve)
        // Two bookings: the spare serves the one nothing else can.
        let both = matcher.match([Fixture.booking(1), Fixture.booking(2)], crews: [spare, regular], now: Fixture.now)
        #expect(both.assignments.count == 2 && both.unmatched.isEmpty)
    }

    @Test func busyCrewsTiredDriversAndFlatBatteriesAreRefused() {
        var busy = Fixture.crew(1)
        let job = TimeWindow(start: Fixture.now + 4 * 3600, end: Fixture.now + 6 * 3600)
        busy.commitments = [Commitment(window: job, pickup: Fixture.station, destination: Fixture.near(north: 5000))]
        var tired = Fixture.crew(2, at: Fixture.near(east: 1900))
        tired.driver.continuousDriving = 3 * 3600 + 50 * 60
        tired.driver.drivingLast24h = 7 * 3600 + 50 * 60
        var flat = Fixture.crew(3)
        flat.vehicle.charge?.percent = 5
        flat.vehicle.rangeKm = 300
        // Picked up in 15 minutes: the tired driver cannot rest 20 minutes before it.
        let booking = Fixture.booking(1, pickupIn: 15 * 60)
        let plan = matcher.match([booking], crews: [busy, tired, flat], now: Fixture.now)
        #expect(plan.unmatched == [1])
        let why = verdicts(plan, booking, [busy, tired, flat])
        #expect(why[1] == .ineligible([.busy(job)]))
        guard case .ineligible(let fatigue)? = why[2] else {
            Issue.record("the tired driver was not refused")
            return
        }
        #expect(fatigue.contains { if case .continuousDriving = $0 { true } else { false } })
        #expect(fatigue.contains { if case .dailyDriving = $0 { true } else { false } })
        // 2 km empty + 10 km trip, 1.3 x on roads = 15.6 km; with a 20% margin 18.7 km of 300: 7%.
        #expect(why[3] == .ineligible([.chargeTooLow(stateOfCharge: 5, neededPercent: 7)]))
        // With time to rest on site, the 3 h 50 min of driving are history.
        var rested = tired
        rested.driver.drivingLast24h = 0
        let restedPlan = matcher.match([Fixture.booking(1, pickupIn: 2 * 3600)], crews: [rested], now: Fixture.now)
        #expect(restedPlan.assignments.count == 1, "\(verdicts(restedPlan, Fixture.booking(1, pickupIn: 2 * 3600), [rested]))")
    }

    @Test func lateCrewsCostMoreAndTooLateOnesAreRefused() {
        // Pick-up in 20 minutes, 20 km away at the 25 km/h fallback: 62 minutes of driving.
        let far = Fixture.crew(1, at: Fixture.near(east: -18_000))
        let near = Fixture.crew(2, at: Fixture.near(east: 1000))
        let plan = matcher.match([Fixture.booking(1, pickupIn: 20 * 60)], crews: [far, near], now: Fixture.now)
        #expect(plan.assignments.map(\.vehicleID) == [2])
        guard case .ineligible(let reasons)? = verdicts(plan, Fixture.booking(1, pickupIn: 20 * 60), [far, near])[1],
            case .cannotArriveInTime(let late)? = reasons.first
        else {
            Issue.record("the far crew was not refused")
            return
        }
        #expect(late > 30 * 60)
        // On site 10 minutes early: a crew 2 km away leaving now is on time for a pick-up in 20.
        #expect(plan.assignments[0].candidate.lateSeconds == 0)
    }

    /// Random fleets and batches: no assignment breaks a rule, double-books, or leaves a booking
    /// open while an eligible crew stays free.
    @Test(arguments: 0..<40) func noAssignmentEverBreaksARule(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 1000)
        func pick(_ n: UInt64) -> Int { Int(random.next() % n) }
        let crews = (0..<(pick(12) + 1)).map { i -> Crew in
            var crew = Fixture.crew(
                Int64(i + 1), at: Fixture.near(east: Int32(pick(20_000)) - 10_000, north: Int32(pick(20_000)) - 10_000), reserve: pick(5) == 0)
            if pick(6) == 0 { crew.vehicle.inRepair = true }
            if pick(6) == 0 { crew.driver.points = 12 }
            if pick(5) == 0 { crew.vehicle.charge?.percent = pick(20) }
            if pick(4) == 0 {
                let start = Fixture.now + Int64(pick(8 * 3600))
                crew.commitments = [
                    Commitment(
                        window: TimeWindow(start: start, end: start + Int64(pick(8 * 3600)) + 3600), pickup: Fixture.station,
                        destination: Fixture.near(east: 3000))
                ]
            }
            crew.driver.continuousDriving = Int64(pick(4 * 3600))
            if pick(3) == 0 {
                crew.vehicle.vehicleClass = .suv
                crew.vehicle.seats = 7
            }
            return crew
        }
        let bookings = (0..<(pick(12) + 1)).map { i in
            var booking = Fixture.booking(
                Int64(i + 1), at: Fixture.near(east: Int32(pick(20_000)) - 10_000), pickupIn: Int64(20 * 60 + pick(6 * 3600)),
                receivedBefore: Int64(pick(2 * 3600)))
            booking.vehicleClass = pick(3) == 0 ? .suv : .sedan
            booking.passengers = 1 + pick(6)
            return booking
        }
        let plan = matcher.match(bookings, crews: crews, now: Fixture.now)
        #expect(Set(plan.assignments.map(\.vehicleID)).count == plan.assignments.count, "a vehicle booked twice")
        #expect(Set(plan.assignments.map(\.bookingID)).count == plan.assignments.count)
        #expect(plan.assignments.count + plan.unmatched.count == bookings.count)
        for assignment in plan.assignments {
            let booking = bookings.first { $0.id == assignment.bookingID }!
            let crew = crews[assignment.candidate.crew]
            guard case .success = matcher.judge(booking, crew, crewIndex: 0, now: Fixture.now) else {
                Issue.record("booking \(booking.id) got an ineligible crew")
                continue
            }
        }
        // The hot path and the full judgement agree on every pair.
        for booking in bookings {
            for (c, crew) in crews.enumerated() {
                let fast = matcher.candidate(booking, CrewFacts(crew, rules: matcher.rules, now: Fixture.now), crewIndex: c, now: Fixture.now)
                let full = matcher.judge(booking, crew, crewIndex: c, now: Fixture.now)
                if case .success(let candidate) = full { #expect(fast == candidate) } else { #expect(fast == nil) }
            }
        }
        let taken = Set(plan.assignments.map(\.candidate.crew))
        for id in plan.unmatched {
            let booking = bookings.first { $0.id == id }!
            for (c, crew) in crews.enumerated() where !taken.contains(c) {
                if case .success = matcher.judge(booking, crew, crewIndex: c, now: Fixture.now) {
                    Issue.record("booking \(id) left open while crew \(c) was free and eligible")
                }
            }
        }
    }
}

@Suite struct StandingTests {
    @Test func aVehicleAndADriverAreJudgedOnTheirOwnFiles() {
        let matcher = Matcher()
        let good = Fixture.crew(1)
        #expect(matcher.standing(of: good.vehicle, now: Fixture.now).isEmpty)
        #expect(matcher.standing(of: good.driver, for: .sedan, now: Fixture.now).isEmpty)

        var vehicle = good.vehicle
        vehicle.inRepair = true
        vehicle.charge?.percent = 15
        vehicle.positionTime = Fixture.now - 3600
        vehicle.policies.removeAll { $0.kind == .seat }
        let problems = matcher.standing(of: vehicle, now: Fixture.now)
        #expect(problems.contains(.inRepair) && problems.contains(.insuranceMissing(.seat)))
        #expect(problems.contains(.terminalSilent(seconds: 3600)) && problems.contains(.chargeTooLow(stateOfCharge: 15, neededPercent: 20)))
        #expect(problems.count == 4)

        var driver = good.driver
        driver.points = 12
        driver.continuousDriving = 4 * 3600 + 60
        let driverProblems = matcher.standing(of: driver, for: .sedan, now: Fixture.now)
        #expect(driverProblems == [.fullPoints(12), .continuousDriving(seconds: 4 * 3600 + 60)])
    }
}

@Suite struct IneligibilityTextTests {
    @Test func timesReadAsChinaTime() {
        // 2026-11-22 00:30 UTC is 08:30 in China.
        let epoch: Int64 = 1_795_307_400
        #expect(Ineligibility.licenceExpires(epoch).description == "licence expires 2026-11-22 08:30, before the booking ends")
        #expect(Ineligibility.busy(TimeWindow(start: epoch, end: epoch + 5400)).description == "busy from 2026-11-22 08:30 to 2026-11-22 10:00")
        #expect(Ineligibility.recentMajorAccident(epoch - 8 * 3600 - 1800 - 1).description == "major accident on 2026-11-21, within 3 years")
    }
}
