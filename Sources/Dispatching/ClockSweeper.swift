import Domain
import Foundation
import Store

/// Every SLA clock in one sweep: each open booking's (confirm, match, notify, on site,
/// replacement), the callback after a trip, a complaint's contact and result, a confirmed sheet's
/// invoice. A clock at risk or breached is raised once (`sla_alerts`) and published the first
/// time. A new clock is a case of `ServiceLevels.Clock` and a line here.
public struct ClockSweeper: Sendable {
    let bookings: BookingService
    let store: Bookings
    let care: CustomerCare
    let sheets: Settlements
    let levels: ServiceLevels
    let terms: ZonesAndCalendar
    let feed: LiveFeed
    let clock: any WallClock

    public func sweep() async throws {
        let now = clock.now, epoch = now.epochSeconds, levels = terms.levels(self.levels)
        for record in try await bookings.open() {
            // A request its agency never approved before its pick-up can no longer be served: it
            // ends, refused, rather than wait for ever (a moved booking is left as it stands).
            if record.approvalLapsed(at: now) {
                do {
                    _ = try await bookings.refuse(
                        record.id, reason: "not approved before the pick-up time", by: Actor(userID: nil, name: "sweeper"), audit: nil)
                } catch is BookingHistory.InvalidTransition {}
                continue
            }
            for status in bookings.statuses(record) {
                try await alert(.booking(record.id), agencyID: record.agencyID, status, notices: try await bookings.notices(owedBy: status, record))
            }
        }
        for trip in try await store.awaitingCallback(since: now.addingTimeInterval(-3 * 86_400)) {
            try await alert(
                .booking(trip.bookingID), agencyID: trip.agencyID, levels.callbackClock(completedAt: trip.completedAt.epochSeconds, calledAt: nil, now: epoch))
        }
        for complaint in try await care.unresolved() {
            let clocks = levels.complaintClocks(
                receivedAt: complaint.receivedAt.epochSeconds, contactedAt: complaint.contactedAt.map(\.epochSeconds), resolvedAt: nil, now: epoch
            )
            for status in clocks { try await alert(.complaint(complaint.id), agencyID: complaint.agencyID, status) }
        }
        // An invoice's clock is at risk from 80% of its time: within the last day or two before it is due.
        for sheet in try await sheets.awaitingInvoice(dueBy: CivilDate(daysSince1970: CivilDate(chinaDayOf: epoch).daysSince1970 + 2)) {
            guard let confirmed = sheet.confirmedAt else { continue }
            let status = levels.invoiceClock(confirmedAt: confirmed.epochSeconds, invoicedAt: nil, now: epoch)
            try await alert(.booking(sheet.facts.bookingID), agencyID: sheet.facts.agencyID, status)
        }
        // Drivers' cards: unknown, expired, or not the crew of the booking being served.
        for card in try await store.raiseDriverCardAlerts(since: now.addingTimeInterval(-86_400), today: CivilDate(chinaDayOf: epoch), at: now) {
            feed.publish(FeedEvent(kind: .alert, agencyID: nil, DriverCardAlertBody(driverCard: card)))
        }
    }

    struct DriverCardAlertBody: Encodable {
        var driverCard: DriverCardAlert
    }

    /// A dispatcher alerted to each booking stranded by a round: once per crew that can no
    /// longer serve it (`crewLost`), or per crew whose charge will not cover it (`lowCharge`).
    public func alert(_ stranded: [MatchingRounds.Stranded]) async throws {
        for booking in stranded {
            let at = booking.matchedAt.epochSeconds
            try await alert(
                .booking(booking.bookingID), agencyID: booking.agencyID,
                ServiceLevels.Status(clock: booking.alert, started: at, due: at, stopped: nil, state: .breached))
        }
    }

    /// A clock at risk or breached: recorded once, with the `notices` it owes, and published the
    /// first time.
    func alert(_ owner: Bookings.ClockOwner, agencyID: Int64, _ status: ServiceLevels.Status, notices: [Notice] = []) async throws {
        guard status.state == .atRisk || status.state == .breached, status.stopped == nil,
            try await store.raise(owner, status, notices: notices, at: clock.now)
        else { return }
        if !notices.isEmpty { bookings.composer?.due.signal() }
        let (booking, complaint): (Int64?, Int64?) =
            switch owner {
            case .booking(let id): (id, nil)
            case .complaint(let id): (nil, id)
            }
        feed.publish(FeedEvent(kind: .alert, agencyID: agencyID, AlertBody(bookingID: booking, complaintID: complaint, clock: ClockBody(status))))
    }

    struct AlertBody: Encodable {
        var bookingID: Int64?
        var complaintID: Int64?
        var clock: ClockBody
    }
}
