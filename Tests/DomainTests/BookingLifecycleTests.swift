import DomainTestSupport
import Testing

@testable import Domain

@Suite struct BookingLifecycleTests {
    let t0 = Fixture.now
    let levels = ServiceLevels()

    @Test func aBookingMovesOnlyAlongItsLifecycle() throws {
        var history = BookingHistory(receivedAt: t0, by: "agency:7")
        try history.move(to: .confirmed, at: t0 + 60, by: "dispatcher:1")
        try history.move(to: .matched, at: t0 + 120, by: "engine")
        try history.move(to: .matched, at: t0 + 130, by: "dispatcher:1")  // an override
        #expect(history.state == .matched && history.transitions.map(\.by) == ["agency:7", "dispatcher:1", "engine", "dispatcher:1"])
        #expect(throws: BookingHistory.InvalidTransition(from: .matched, to: .completed)) {
            try history.move(to: .completed, at: t0 + 200, by: "driver:3")
        }
        #expect("\(BookingHistory.InvalidTransition(from: .matched, to: .completed))".contains("cancelled, matched, notified"))
        // A clock running backwards does not reorder the history.
        try history.move(to: .notified, at: t0 + 100, by: "engine")
        #expect(history.transitions.last?.at == t0 + 130)
        try history.move(to: .cancelled, at: t0 + 300, by: "agency:7")
        #expect(history.state.next.isEmpty)
    }

    /// A round is wanted when a booking wants a crew, and a crew is free when its trip ends or is
    /// called off; every other step sets nothing off.
    @Test func whatEachStepSetsOff() {
        var wanted: [BookingState] = [], freed: [BookingState] = []
        for state in BookingState.allCases {
            if state.consequences(withCrew: true).contains(.crewWanted) { wanted.append(state) }
            if state.consequences(withCrew: true).contains(.crewFreed) { freed.append(state) }
        }
        #expect(wanted == [.confirmed, .replaced] && freed == [.completed, .cancelled])
        #expect(BookingState.cancelled.consequences(withCrew: false).isEmpty, "a booking cancelled before its match frees no crew")
        #expect(throws: BookingHistory.InvalidTransition(from: .settled, to: .cancelled)) { try BookingState.settled.check(stepTo: .cancelled) }
    }

    @Test func responseClocksAreMetAtRiskOrBreached() throws {
        let pickup = t0 + 3 * 3600
        var history = BookingHistory(receivedAt: t0, by: "agency:7")
        // Nothing done for 3 min: running; at 4 min (80% of 5): at risk; at 5 min 1 s: breached.
        #expect(levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: t0 + 180).map(\.state) == [.running])
        #expect(levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: t0 + 240).map(\.state) == [.atRisk])
        #expect(levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: t0 + 301).map(\.state) == [.breached])
        try history.move(to: .confirmed, at: t0 + 300, by: "dispatcher:1")  // exactly 5 min: met
        try history.move(to: .matched, at: t0 + 300 + 601, by: "engine")  // 10 min 1 s: breached
        try history.move(to: .notified, at: t0 + 901 + 60, by: "engine")
        try history.move(to: .enRoute, at: pickup - 3600, by: "driver:3")
        try history.move(to: .onSite, at: pickup - 11 * 60, by: "gnss")  // 11 minutes early: met
        let clocks = levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: pickup)
        #expect(clocks.map(\.clock) == [.confirm, .match, .notify, .onSite])
        #expect(clocks.map(\.state) == [.met, .breached, .met, .met])
        #expect(clocks[3].due == pickup - 600)
    }

    @Test func aReplacementRunsItsOwnClocksByZone() throws {
        let pickup = t0 + 3600
        var history = BookingHistory(receivedAt: t0, by: "agency:7")
        for (state, at) in [
            (BookingState.confirmed, t0 + 60), (.matched, t0 + 120), (.notified, t0 + 180), (.enRoute, t0 + 600), (.onSite, pickup - 900), (.inService, pickup),
        ] {
            try history.move(to: state, at: at, by: "engine")
        }
        let breakdown = pickup + 1800
        try history.move(to: .replaced, at: breakdown, by: "gnss")
        try history.move(to: .matched, at: breakdown + 14 * 60, by: "engine")  // started in 14 min: met
        try history.move(to: .notified, at: breakdown + 15 * 60, by: "engine")
        try history.move(to: .enRoute, at: breakdown + 16 * 60, by: "driver:4")
        try history.move(to: .onSite, at: breakdown + 45 * 60, by: "gnss")  // 45 min
        let city = levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: breakdown + 50 * 60)
        let suburb = levels.clocks(for: history, pickupTime: pickup, pickupZone: .suburb, now: breakdown + 50 * 60)
        #expect(city.filter { $0.clock == .replacementStart }.map(\.state) == [.met])
        #expect(city.filter { $0.clock == .replacementArrival }.map(\.state) == [.breached], "45 min > 30 in the city")
        #expect(suburb.filter { $0.clock == .replacementArrival }.map(\.state) == [.met], "45 min <= 60 in the suburbs")
    }

    @Test func cityAndSuburbsAreTellsApartByPolygon() {
        let p = Fixture.station
        let square = [(-1000, -1000), (1000, -1000), (1000, 1000), (-1000, 1000)].map {
            GeoPoint(latitudeE6: p.latitudeE6 + Int32($0.1), longitudeE6: p.longitudeE6 + Int32($0.0))
        }
        let zones = ServiceZones(city: [ServiceZones.Area(name: "centre", boundary: square)])
        #expect(zones.kind(of: p) == .city)
        #expect(zones.kind(of: GeoPoint(latitudeE6: p.latitudeE6 + 1500, longitudeE6: p.longitudeE6)) == .suburb)
        #expect(ServiceZones(city: []).kind(of: p) == .suburb)
    }

    /// A request its agency approves first: no clock runs until the approver approves it, the
    /// confirm clock from then; a refusal ends it, and only an approval or a refusal (or the
    /// agency's own cancellation) may follow.
    @Test func approvalComesBeforeTheOperatorsClocks() throws {
        let pickup = t0 + 6 * 3600
        var history = BookingHistory(startingIn: .awaitingApproval, at: t0, by: "agency:7")
        #expect(levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: t0 + 3600).isEmpty, "an hour waiting: nothing runs")
        #expect(throws: BookingHistory.InvalidTransition(from: .awaitingApproval, to: .confirmed)) {
            try history.move(to: .confirmed, at: t0 + 60, by: "dispatcher:1")
        }
        try history.move(to: .received, at: t0 + 3600, by: "approver:9")
        let clocks = levels.clocks(for: history, pickupTime: pickup, pickupZone: .city, now: t0 + 3600 + 240)
        #expect(clocks.map(\.clock) == [.confirm] && clocks[0].started == t0 + 3600 && clocks[0].state == .atRisk, "from the approval")

        var refused = BookingHistory(startingIn: .awaitingApproval, at: t0, by: "agency:7")
        try refused.move(to: .refused, at: t0 + 60, by: "approver:9")
        #expect(refused.state.next.isEmpty && levels.clocks(for: refused, pickupTime: pickup, pickupZone: .city, now: t0 + 600).isEmpty)
        #expect(BookingState.awaitingApproval.next == [.received, .refused, .cancelled])
        #expect(BookingState.allCases.filter { $0.next.contains(.refused) } == [.awaitingApproval], "only a request awaiting approval is refused")
        #expect(BookingState.allCases.filter { $0.next.contains(.awaitingApproval) }.isEmpty, "nothing goes back to the approver")
        #expect(BookingState.awaitingApproval.consequences(withCrew: false).isEmpty && BookingState.refused.consequences(withCrew: false).isEmpty)
    }

    /// What an administrator may set as the city: named areas of 3 to 1,000 points on the
    /// globe that enclose an area; each fault named.
    @Test func cityAreasAreCheckedBeforeTheyAreKept() throws {
        func area(_ name: String, _ points: [(Int32, Int32)]) -> ServiceZones.Area {
            ServiceZones.Area(name: name, boundary: points.map { GeoPoint(latitudeE6: $0.0, longitudeE6: $0.1) })
        }
        let square: [(Int32, Int32)] = [(29_800_000, 121_500_000), (29_900_000, 121_500_000), (29_900_000, 121_600_000), (29_800_000, 121_600_000)]
        try ServiceZones.ningbo.check()
        try ServiceZones(city: [area("a", square), area("b", square)]).check()
        let refusals: [(ServiceZones, String)] = [
            (ServiceZones(city: []), "city"),
            (ServiceZones(city: [area("a", Array(square.prefix(2)))]), "city.0.points"),
            (ServiceZones(city: [area("a", square), area("a", square)]), "city.1.name"),
            (ServiceZones(city: [area("", square)]), "city.0.name"),
            (ServiceZones(city: [area("a", square + [(90_000_001, 0)])]), "city.0.points.4"),
            (ServiceZones(city: [area("a", [(0, 0), (1000, 1000), (2000, 2000), (0, 0)])]), "city.0.points"),
            (ServiceZones(city: [area("a", Array(repeating: square, count: 251).flatMap { $0 })]), "city.0.points"),
            (ServiceZones(city: Array(repeating: area("a", square), count: 51)), "city"),
        ]
        for (zones, field) in refusals {
            do {
                try zones.check()
                Issue.record("accepted, though \(field) is wrong")
            } catch { #expect(error.field == field, "\(error)") }
        }
    }

    @Test func onSiteIsTheFirstFixInsideTheRadius() {
        let pickup = Fixture.station
        // Approaching from 1 km east in 200 m steps, one fix a minute.
        let track = (0...5).map { (time: t0 + Int64($0) * 60, point: Fixture.near(east: Int32(1000 - $0 * 200))) }
        #expect(OnSiteDetector.arrival(track: track, pickup: pickup, radiusMetres: 150, after: t0) == t0 + 300)
        #expect(OnSiteDetector.arrival(track: track, pickup: pickup, radiusMetres: 250, after: t0) == t0 + 240)
        #expect(OnSiteDetector.arrival(track: track, pickup: pickup, after: t0 + 400) == nil)
    }
}

@Suite struct ComplaintClockTests {
    @Test func theResultIsDueByTheThirdWorkingDayAndTheContactIn12Hours() {
        let levels = ServiceLevels()
        // Wednesday 30 September 2026, 10:00 in China: the National Day holiday follows.
        let received = CivilDate("2026-09-30")!.chinaMidnight + 10 * 3600
        let due = CivilDate("2026-10-11")!.chinaMidnight
        let early = levels.complaintClocks(receivedAt: received, contactedAt: received + 13 * 3600, resolvedAt: nil, now: received + 14 * 3600)
        #expect(early.map(\.clock) == [.complaintContact, .complaintResult])
        #expect(early[0].state == .breached && early[0].due == received + 12 * 3600)
        #expect(early[1].state == .running && early[1].due == due)
        #expect(levels.complaintClocks(receivedAt: received, contactedAt: nil, resolvedAt: nil, now: due - 4 * 3600)[1].state == .atRisk)
        #expect(levels.complaintClocks(receivedAt: received, contactedAt: nil, resolvedAt: nil, now: due + 60)[1].state == .breached)
        // Resolved in time: both stop, and a result given at once counts as the contact too.
        let resolved = levels.complaintClocks(receivedAt: received, contactedAt: nil, resolvedAt: received + 3600, now: due + 86_400)
        #expect(resolved.map(\.state) == [.met, .met])
    }
}
