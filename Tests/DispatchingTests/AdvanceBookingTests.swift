import Billing
import Dispatching
import Domain
import DomainTestSupport
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

/// Bookings made days ahead, on a real database with the clock given: matched within the match
/// clock to a crew held for the whole window, re-planned when that crew can no longer serve,
/// and counted in the month they are served.
@Suite struct AdvanceBookingTests {
    let logger = TestPostgres.logger

    @Test func aBookingThreeDaysAheadIsMatchedAtOnceAndReplannedWhenItsCarGoesIntoRepair() async throws {
        try await TestPostgres.withDatabase { client, url in
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(now)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let crews = try await TestFleet.fleet(client)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市发改委")
            // Three days ahead, for two days.
            var request = DispatchServicesTests.request(agency, pickupIn: 3 * 86_400, from: now)
            request.serviceEnd = request.pickupTime.addingTimeInterval(2 * 86_400)
            let booking = try await dispatch.bookings.book(request, agencyID: agency, by: .engine, audit: nil)
            clock.set(now.addingTimeInterval(60))
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            clock.set(now.addingTimeInterval(90))
            #expect(try await dispatch.rounds.run().matched == [booking.id])
            let matched = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(matched.vehicleID == crews[0].vehicleID, "the nearer saloon")
            #expect(dispatch.bookings.clocks(matched).first { $0.clock == .match }?.state == .met)

            // The crew is held for both days: a booking on the second day gets the other saloon.
            var secondDay = DispatchServicesTests.request(agency, pickupIn: 4 * 86_400, from: now)
            secondDay.serviceEnd = secondDay.pickupTime.addingTimeInterval(3600)
            let other = try await dispatch.bookings.book(secondDay, agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(other.id, to: .confirmed, by: .engine)
            #expect(try await dispatch.rounds.run().matched == [other.id])
            #expect(try await dispatch.bookings.booking(id: other.id)?.vehicleID == crews[1].vehicleID)

            // The first saloon goes into repair. The other saloon is held on day 2 and the SUV is
            // not the class booked: nothing can serve it, so it keeps its crew until one can.
            clock.set(now.addingTimeInterval(3600))
            _ = try await dispatch.files.addMaintenance(
                vehicleID: crews[0].vehicleID, MaintenanceRecord(kind: .repair, startedAt: clock.now, description: "电池故障"), audit: nil)
            let stuck = try await dispatch.rounds.run()
            #expect(stuck.replanned.isEmpty && stuck.matched.isEmpty && stuck.stranded.map(\.bookingID) == [booking.id], "\(stuck)")
            #expect(stuck.stranded.first?.reason.hasPrefix("cannot serve: in repair") == true)
            // The dispatcher is alerted once, however many rounds find it stranded.
            try await dispatch.sweeper.alert(stuck.stranded)
            try await dispatch.sweeper.alert(try await dispatch.rounds.run().stranded)
            let alerts = try await dispatch.alerts.slaAlerts(agencyID: agency, since: now, limit: 10)
            #expect(alerts.map(\.clock) == [.crewLost] && alerts.first?.bookingID == booking.id)
            #expect(try await dispatch.bookings.booking(id: booking.id)?.vehicleID == crews[0].vehicleID)
            // The second-day booking is cancelled: the other saloon is free, and takes it over.
            try await dispatch.bookings.move(other.id, to: .cancelled, by: .engine, note: "meeting moved")
            let replanned = try await dispatch.rounds.run()
            #expect(replanned.replanned == [booking.id] && replanned.matched == [booking.id])
            let moved = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(moved.vehicleID == crews[1].vehicleID && moved.driverID == crews[1].driverID)
            let note = try #require(moved.transitions.last { $0.state == .matched }?.note)
            #expect(note.hasPrefix("re-planned, the crew before cannot serve: in repair"), "\(note)")
            // Re-planning is not a new match clock: it was met once.
            #expect(dispatch.bookings.clocks(moved).filter { $0.clock == .match }.map(\.state) == [.met])
        }
    }

    @Test func aBookingReceivedSixtyDaysAheadCountsInTheMonthItIsServed() async throws {
        try await TestPostgres.withDatabase { client, url in
            // Received on 2026-10-02 10:00 for 2026-12-01 10:00 (China time).
            let received = Date(timeIntervalSince1970: TimeInterval(CivilDate(year: 2026, month: 10, day: 2)!.chinaMidnight + 10 * 3600))
            let clock = ManualClock(received)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            _ = try await TestFleet.fleet(client)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市外事办")
            let booking = try await dispatch.bookings.book(
                DispatchServicesTests.request(agency, pickupIn: 60 * 86_400, from: received), agencyID: agency, by: .engine, audit: nil)
            for (minute, state) in [(1, BookingState.confirmed), (2, .matched), (3, .notified)] {
                clock.set(received.addingTimeInterval(TimeInterval(minute * 60)))
                let crew = state == .matched ? try await DispatchFacts(client: client, logger: logger).pairs().first.map { ($0.vehicle, $0.driver) } : nil
                try await dispatch.bookings.move(booking.id, to: state, by: .engine, crew: crew)
            }
            // On site 15 minutes before the pick-up, in December.
            let pickup = booking.request.pickupTime
            for (before, state) in [(3600.0, BookingState.enRoute), (900, .onSite)] {
                clock.set(pickup.addingTimeInterval(-before))
                try await dispatch.bookings.move(booking.id, to: state, by: .engine)
            }
            let assessment = MonthlyAssessment(client: client, contractTotalFen: 0, terms: ZonesAndCalendar(zones: .ningbo, calendar: .china), logger: logger)
            let december = try await assessment.report(month: CivilDate(year: 2026, month: 12, day: 1)!, now: pickup)
            func measured(_ report: MonthlyAssessment.Report, _ item: String) -> Observation? {
                report.assessment.sections.flatMap(\.items).first { $0.id == item }?.measured
            }
            #expect(measured(december, "onTime") == .rate(10_000), "\(december.unmeasured)")
            #expect(!december.unmeasured.contains("onTime"))
            // October holds its confirm and match clocks, not the service.
            let october = try await assessment.report(month: CivilDate(year: 2026, month: 10, day: 1)!, now: pickup)
            #expect(measured(october, "matchedInTime") == .rate(10_000))
            #expect(october.unmeasured.contains("onTime"))
        }
    }

    @Test func theContractPresetsAreFedWithWhatTheFleetMeasures() async throws {
        try await TestPostgres.withDatabase { client, url in
            let december = CivilDate(year: 2026, month: 12, day: 1)!
            let start = Date(timeIntervalSince1970: TimeInterval(december.chinaMidnight + 8 * 3600))
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            _ = try await TestFleet.fleet(client)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市文旅局")
            let crew = try #require(try await DispatchFacts(client: client, logger: logger).pairs().first.map { ($0.vehicle, $0.driver) })
            // Two trips picked up at 10:00: one crew on site 15 minutes early, the other 5 minutes late.
            var ids: [Int64] = []
            for (index, early) in [900.0, -300].enumerated() {
                clock.set(start.addingTimeInterval(Double(index)))
                let booking = try await dispatch.bookings.book(
                    DispatchServicesTests.request(agency, pickupIn: 7200, from: start), agencyID: agency, by: .engine, audit: nil)
                for state in [BookingState.confirmed, .matched, .notified, .enRoute] {
                    try await dispatch.bookings.move(booking.id, to: state, by: .engine, crew: state == .matched ? crew : nil)
                }
                clock.set(booking.request.pickupTime.addingTimeInterval(-early))
                try await dispatch.bookings.move(booking.id, to: .onSite, by: .engine)
                ids.append(booking.id)
            }
            // A complaint about the late one, found substantiated.
            let care = CustomerCare(client: client, logger: logger)
            let complaint = try await care.file(agencyID: agency, bookingID: ids[1], text: "司机迟到", at: clock.now)
            _ = try await care.resolved(complaint.id, at: clock.now.addingTimeInterval(3600), result: "属实", substantiated: true, review: (2, 90 * 86_400))
            let assessment = MonthlyAssessment(client: client, contractTotalFen: 0, terms: ZonesAndCalendar(zones: .ningbo, calendar: .china), logger: logger)
            let now = clock.now.addingTimeInterval(7200)
            func measured(_ report: MonthlyAssessment.Report, _ item: String) -> Observation? {
                report.assessment.sections.flatMap(\.items).first { $0.id == item }?.measured
            }
            let fleet = try await assessment.report(month: december, now: now)
            #expect(measured(fleet, "onTime") == .rate(5000) && fleet.evidence["onTime"] == [ids[1]])
            let deduction = try await assessment.report(month: december, scheme: .deduction, now: now)
            #expect(measured(deduction, "lateArrival") == .incidents(1) && deduction.evidence["lateArrival"] == [ids[1]])
            #expect(measured(deduction, "complaint") == .incidents(1) && deduction.evidence["complaint"] == [complaint.id])
            // Not on site in time −2, a justified complaint −2.
            #expect(deduction.assessment.score == 100 - 2 - 2, "\(deduction.assessment)")
            #expect(deduction.unmeasured.contains("late") && deduction.unmeasured.contains("uniform"))
            let kpi = try await assessment.report(month: december, scheme: .kpi, now: now)
            #expect(Set(kpi.unmeasured).isSuperset(of: ["answer", "turnover", "satisfaction", "sms"]), "no text message sent without a provider")
            // Text messages of the month: three delivered, one undeliverable, one still tried.
            for state in ["delivered", "delivered", "delivered", "failed", "queued"] {
                try await client.query(
                    """
                    INSERT INTO notices (booking_id, kind, recipient_role, recipient_name, recipient_phone, channel, body, state, next_attempt_at, created_at)
                    VALUES (\(ids[0]), 'matched', 'agency', '李主任', '13905740001', 'sms', '已派车', \(state), \(start), \(start))
                    """, logger: logger)
            }
            let texts = try await assessment.report(month: december, scheme: .kpi, now: now)
            #expect(measured(texts, "sms") == .rate(7500), "\(texts.unmeasured)")
        }
    }

    @Test func aRequestNeverApprovedBeforeItsPickupEndsRefused() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let accounts = Accounts(client: client, logger: logger)
            let agency = try await accounts.createAgency(name: "市审计局")
            try await accounts.setRequiresApproval(agencyID: agency, true, audit: nil)
            let booking = try await dispatch.bookings.book(
                DispatchServicesTests.request(agency, pickupIn: 3600, from: start), agencyID: agency, byAgency: true, by: Actor(userID: nil, name: "agency"),
                audit: nil)
            #expect(booking.state == .awaitingApproval)
            // Still waiting a minute before the pick-up; no clock runs against the operator.
            clock.set(booking.request.pickupTime.addingTimeInterval(-60))
            try await dispatch.sweeper.sweep()
            #expect(try await dispatch.bookings.booking(id: booking.id)?.state == .awaitingApproval)
            // Past it: too late to approve, and the sweep ends it.
            clock.set(booking.request.pickupTime.addingTimeInterval(60))
            await #expect(throws: Conflict.self) { try await dispatch.bookings.approve(booking.id, by: Actor(userID: nil, name: "approver"), audit: nil) }
            try await dispatch.sweeper.sweep()
            let ended = try #require(try await dispatch.bookings.booking(id: booking.id))
            #expect(
                ended.state == .refused && ended.transitions.last?.by == "sweeper" && ended.transitions.last?.note == "not approved before the pick-up time")
            #expect(try await dispatch.alerts.slaAlerts(agencyID: agency, since: start, limit: 10).isEmpty)
        }
    }
}
