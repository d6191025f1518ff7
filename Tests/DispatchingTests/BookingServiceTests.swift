import Dispatching
import Domain
import DomainTestSupport
import Foundation
import Synchronization
import Testing

/// The booking service's rules against bookings in memory: no database, the clock given.
@Suite struct BookingServiceTests {
    let start = Date(timeIntervalSince1970: 1_795_392_000)  // 2026-11-23 08:00 China time

    func request(pickupIn seconds: TimeInterval, lasting hours: TimeInterval = 2) -> BookingRequest {
        let pickup = Place(latitude: 29.8683, longitude: 121.5440, address: "天一广场")
        return BookingRequest(
            channel: .platform, agencyID: 7, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
            pickupTime: start.addingTimeInterval(seconds), pickup: pickup, destination: Place(latitude: 29.875, longitude: 121.552, address: "宁波市政府"),
            serviceEnd: start.addingTimeInterval(seconds + hours * 3600)
        )
    }

    @Test func aBookingIsTakenOnlyForTheNext90DaysAndNeverInThePast() async throws {
        let repository = InMemoryBookings(), clock = ManualClock(start)
        let service = BookingService(repository: repository, feed: LiveFeed(), clock: clock)
        let audit: Audit<Int64> = { AuditLine(userID: 1, action: "booking-create", resource: "booking:\($0)") }
        for (seconds, hours, field) in [
            (-3600.0, 2.0, "pickupTime"), (91 * 86_400.0, 2, "pickupTime"), (3600, -1, "serviceEnd"), (3600, 31 * 24, "serviceEnd"),
        ] {
            await #expect(throws: Refused.self) {
                try await service.book(request(pickupIn: seconds, lasting: hours), agencyID: 7, by: .engine, audit: audit)
            }
            do { _ = try await service.book(request(pickupIn: seconds, lasting: hours), agencyID: 7, by: .engine, audit: audit) } catch let refused
                as Refused
            {
                #expect(refused.field == field)
            }
        }
        #expect(repository.trail.isEmpty, "a refused booking is neither stored nor audited")
        let advance = try await service.book(request(pickupIn: 89 * 86_400), agencyID: 7, by: .engine, audit: audit)
        #expect(advance.receivedAt == start && !advance.urgent && repository.trail.map(\.resource) == ["booking:\(advance.id)"])
    }

    @Test func everyChangeFollowsTheLifecycleAndIsPublished() async throws {
        let repository = InMemoryBookings(), feed = LiveFeed(), clock = ManualClock(start)
        let service = BookingService(repository: repository, feed: feed, clock: clock)
        var events = feed.subscribe().makeAsyncIterator()
        let booking = try await service.book(request(pickupIn: 1800), agencyID: 7, by: .engine, audit: nil)
        #expect(booking.urgent)
        let created = try #require(await events.next())
        #expect(created.kind == .booking && created.agencyID == 7 && created.json.contains(#""state":"received""#))

        // Completed straight from received: refused, nothing published.
        await #expect(throws: BookingHistory.InvalidTransition.self) { try await service.move(booking.id, to: .completed, by: .engine) }
        clock.advance(by: 120)
        let confirmed = try await service.move(booking.id, to: .confirmed, by: Actor(userID: 2, name: "dispatcher"))
        #expect(confirmed.transitions.last?.at == start.addingTimeInterval(120))
        let next = try #require(await events.next())
        #expect(next.json.contains(#""state":"confirmed""#) && next.json.contains(#""by":"dispatcher""#))
        // Confirmed in 2 minutes: the confirm clock is met; the match clock runs.
        let clocks = service.clocks(confirmed)
        #expect(clocks.first { $0.clock == .confirm }?.state == .met && clocks.first { $0.clock == .match }?.state == .running)
    }

    /// Billing says a sheet was confirmed; the booking side settles a completed booking, and
    /// leaves a cancelled one cancelled.
    @Test func aConfirmedSheetSettlesItsCompletedBookingOnly() async throws {
        let repository = InMemoryBookings(), events = ServiceEvents(), clock = ManualClock(start)
        let service = BookingService(repository: repository, feed: LiveFeed(), events: events, clock: clock)
        let said = SaidEvents()
        events.on { event in
            said.append(event)
            if case .sheetConfirmed(let id) = event { try await service.settle(id) }
        }
        let trip = try await service.book(request(pickupIn: 1800), agencyID: 7, by: .engine, audit: nil)
        for state in [BookingState.confirmed, .matched, .notified, .enRoute, .onSite, .inService, .completed] {
            try await service.move(trip.id, to: state, by: .engine, crew: state == .matched ? (vehicleID: 1, driverID: 1) : nil)
        }
        let cancelled = try await service.book(request(pickupIn: 7200), agencyID: 7, by: .engine, audit: nil)
        try await service.move(cancelled.id, to: .cancelled, by: .engine, note: "plans changed")
        try await events.publish(.sheetConfirmed(bookingID: trip.id))
        try await events.publish(.sheetConfirmed(bookingID: cancelled.id))
        // Said again after a crash: nothing moves twice.
        try await events.publish(.sheetConfirmed(bookingID: trip.id))
        #expect(try await service.booking(id: trip.id)?.state == .settled)
        #expect(try await service.booking(id: trip.id)?.transitions.filter { $0.state == .settled }.count == 1)
        #expect(try await service.booking(id: cancelled.id)?.state == .cancelled)
        // Confirming asked for a crew at once and completing freed one; a booking cancelled
        // before it was confirmed did neither.
        #expect(
            said.events.filter { if case .sheetConfirmed = $0 { false } else { true } } == [.crewWanted(bookingID: trip.id), .crewFreed(bookingID: trip.id)])
    }

    /// An agency that approves its bookings: its own user's booking waits for the approver, one
    /// made on its behalf (`byAgency` false: the dispatcher on the phone) and one of an agency
    /// that does not approve are received at once; the approval and the refusal are signed steps.
    @Test func anApprovingAgencysOwnBookingsWaitForItsApprover() async throws {
        let repository = InMemoryBookings(approvingAgencies: [7]), clock = ManualClock(start)
        let service = BookingService(repository: repository, feed: LiveFeed(), clock: clock)
        let agencyUser = Actor(userID: 3, name: "agency"), approver = Actor(userID: 4, name: "approver")
        let waiting = try await service.book(request(pickupIn: 7200), agencyID: 7, byAgency: true, by: agencyUser, audit: nil)
        let byPhone = try await service.book(request(pickupIn: 7200), agencyID: 7, by: .engine, audit: nil)
        let elsewhere = try await service.book(request(pickupIn: 7200), agencyID: 8, byAgency: true, by: agencyUser, audit: nil)
        #expect(waiting.state == .awaitingApproval && byPhone.state == .received && elsewhere.state == .received)
        #expect(service.clocks(waiting).isEmpty && service.clocks(byPhone).map(\.clock) == [.confirm])

        clock.advance(by: 900)
        let approved = try await service.approve(waiting.id, by: approver, audit: AuditLine(userID: 4, action: "booking-approve", resource: "booking:1"))
        #expect(approved.state == .received && approved.transitions.last?.by == "approver")
        #expect(service.clocks(approved).first.map { ($0.clock, $0.startedAt) } ?? (.callback, start) == (.confirm, clock.now))
        let other = try await service.book(request(pickupIn: 7200), agencyID: 7, byAgency: true, by: agencyUser, audit: nil)
        let refused = try await service.refuse(other.id, reason: "预算不足", by: approver, audit: nil)
        #expect(refused.state == .refused && refused.transitions.last?.note == "预算不足")
        await #expect(throws: BookingHistory.InvalidTransition.self) { try await service.approve(byPhone.id, by: approver, audit: nil) }
        #expect(repository.trail.map(\.action) == ["booking-approve"])
    }
}

/// The events a test's handler saw, in order.
final class SaidEvents: Sendable {
    private let said = Mutex<[ServiceEvent]>([])
    func append(_ event: ServiceEvent) { said.withLock { $0.append(event) } }
    var events: [ServiceEvent] { said.withLock { $0 } }
}
