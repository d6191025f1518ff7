import Domain
import Foundation
import Logging
import Store

/// Notices delivered, not just written: the notices a change owes are queued by the change's own
/// transaction (`BookingService.move`, `NoticeComposer`); `deliverDue` then claims the due
/// ones, sends each on its channel and records the outcome. A failed attempt is tried again
/// after `retry`'s back-off; a message refused for good, or still undelivered after its last
/// attempt, raises an `undeliverable` alert for a dispatcher to phone. The notify clock is met
/// by delivery: the agency's delivered notice of a crew moves its booking to `notified`, signed
/// "notifier", at the time the channel confirmed it.
public struct Notifier: Sendable {
    let outbox: Outbox
    let composer: NoticeComposer
    let bookings: BookingService
    let sweeper: ClockSweeper
    let senders: [Notice.Channel: any NoticeSender]
    let retry: NoticeRetry
    let clock: any WallClock
    let logger: Logger
    /// A claimed message is another notifier's for this long (a sender's timeout is shorter).
    static let lease: Int64 = 120
    static let actor = Actor(userID: nil, name: "notifier")

    init(
        outbox: Outbox, composer: NoticeComposer, bookings: BookingService, sweeper: ClockSweeper, senders: [any NoticeSender], retry: NoticeRetry,
        feed: LiveFeed, clock: any WallClock, logger: Logger
    ) {
        (self.outbox, self.composer, self.bookings, self.sweeper, self.retry, self.clock, self.logger) = (
            outbox, composer, bookings, sweeper, retry, clock, logger
        )
        var senders = Dictionary(senders.map { ($0.channel, $0) }, uniquingKeysWith: { first, _ in first })
        senders[.live] = LiveNoticeSender(feed: feed)
        self.senders = senders
    }

    /// Signalled when a change queued notices: the notifier's loop sends them at once.
    public var due: RoundTrigger { composer.due }

    /// Sends every message due now, `batch` at a time until none is left; returns how many were
    /// delivered.
    @discardableResult
    public func deliverDue(batch: Int = 50) async throws -> Int {
        var delivered = 0
        while true {
            let claimed = try await outbox.claim(now: clock.now, lease: Self.lease, limit: batch)
            for message in claimed where try await deliver(message) { delivered += 1 }
            if claimed.count < batch { return delivered }
        }
    }

    /// One attempt at one message, its outcome recorded.
    func deliver(_ message: OutboxMessage) async throws -> Bool {
        let resource = "notice:\(message.id)"
        guard let sender = senders[message.notice.channel] else {
            // Queued while a provider was configured that is not any more.
            try await undeliverable(message, error: "no \(message.notice.channel.rawValue) channel is configured")
            return false
        }
        let providerID: String?
        do {
            providerID = try await sender.send(message)
        } catch let refused as NoticeRefused {
            try await undeliverable(message, error: refused.reason)
            return false
        } catch {
            let reason = String(describing: error)
            guard let delay = retry.delay(after: message.attempts) else {
                try await undeliverable(message, error: reason)
                return false
            }
            let next = clock.now.addingTimeInterval(TimeInterval(delay))
            try await outbox.failed(
                message.id, error: reason, next: next,
                audit: AuditLine(userID: nil, action: "notice-retry", resource: resource, fields: ["attempt": "\(message.attempts)", "error": reason]))
            logger.info("notice not delivered; trying again", metadata: ["notice": "\(message.id)", "in": "\(delay) s", "error": "\(reason)"])
            return false
        }
        let at = clock.now
        // The booking first: should recording the delivery fail, the message is sent again once
        // its claim lapses and the booking, notified already, stays as it is; the other way
        // round, a booking could stay matched after its notice was delivered. Of the agency's
        // notices of one crew on several channels (a text and an e-mail), the first confirmed
        // notifies the booking at its time; the others, later, find it notified and leave it.
        if message.notice.kind.notifiesMatch && message.notice.recipient.role == .agency, try await isNewestMatch(message) {
            do {
                try await bookings.move(
                    message.bookingID, to: .notified, at: at, by: Self.actor,
                    note: "agency notified by \(message.notice.channel.rawValue) (notice \(message.id)); job sent to the driver",
                    audit: AuditLine(userID: nil, action: "booking-notified", resource: "booking:\(message.bookingID)", fields: ["notice": "\(message.id)"]))
            } catch is BookingHistory.InvalidTransition {
                // Notified already by an earlier notice, matched again or cancelled since: the
                // delivery stands, the booking's state is what happened later.
            }
        }
        let fields = ["channel": message.notice.channel.rawValue, "attempt": "\(message.attempts)"]
        return try await outbox.delivered(
            message.id, at: at, providerMessageID: providerID, audit: AuditLine(userID: nil, action: "notice-delivered", resource: resource, fields: fields))
    }

    /// Whether the notice tells of the booking's crew as it stands: one queued by an earlier
    /// match, delivered after the crew changed again, does not notify the booking.
    func isNewestMatch(_ message: OutboxMessage) async throws -> Bool {
        guard let record = try await bookings.booking(id: message.bookingID), let matched = record.transitions.last(where: { $0.state == .matched })
        else { return false }
        return matched.at <= message.createdAt
    }

    /// A message no channel will deliver: recorded as failed, and an alert raised for the
    /// dispatcher to phone (once per change that owed it; on the alerts and the live stream).
    func undeliverable(_ message: OutboxMessage, error: String) async throws {
        let now = clock.now.epochSeconds
        let alert = ServiceLevels.Status(clock: .undeliverable, started: message.createdAt.epochSeconds, due: now, stopped: nil, state: .breached)
        try await sweeper.alert(.booking(message.bookingID), agencyID: message.agencyID, alert)
        try await outbox.failed(
            message.id, error: error, next: nil,
            audit: AuditLine(
                userID: nil, action: "notice-undeliverable", resource: "notice:\(message.id)", fields: ["attempts": "\(message.attempts)", "error": error]))
        logger.warning(
            "notice undeliverable: phone the recipient",
            metadata: [
                "notice": "\(message.id)", "booking": "\(message.bookingID)", "recipient": "\(message.notice.recipient.role.rawValue)", "error": "\(error)",
            ])
    }
}

/// What a booking's changes owe whom, on the channel notices go by: text messages when a
/// provider is configured; without one (the default `fleetd serve`) the live stream is the
/// channel that delivers, and its delivery notifies the booking, so a server with nothing
/// configured keeps dispatching as before. With SMTP configured, the agency's notices go by
/// e-mail as well to a contact who gave an address: one row per channel, each delivered on
/// its own, the first to be confirmed notifying the booking (`Notifier.deliver`).
public struct NoticeComposer: Sendable {
    let outbox: Outbox
    let channel: Notice.Channel
    /// Whether the agency's notices are e-mailed too.
    let mails: Bool
    /// Signalled when notices were queued (shared by the copies of this struct).
    let due = RoundTrigger()

    init(outbox: Outbox, senders: [any NoticeSender]) {
        self.outbox = outbox
        channel = senders.contains { $0.channel == .sms } ? .sms : .live
        mails = senders.contains { $0.channel == .email }
    }

    /// The notices a booking's `kind` of change owes, naming `crew` (the booking's own if nil);
    /// none without a crew on file.
    func owed(_ kind: Notice.Kind, _ record: BookingRecord, crew: (vehicleID: Int64, driverID: Int64)?) async throws -> [Notice] {
        guard let vehicleID = crew?.vehicleID ?? record.vehicleID, let driverID = crew?.driverID ?? record.driverID,
            let names = try await outbox.crew(vehicleID: vehicleID, driverID: driverID)
        else { return [] }
        let r = record.request
        var facts = NoticeFacts(
            bookingID: record.id, contactName: r.contactName, contactPhone: r.contactPhone, pickupTime: r.pickupTime.epochSeconds,
            pickupAddress: r.pickup.address, destinationAddress: r.destination.address, plate: names.plate, driverName: names.driverName,
            driverPhone: names.driverPhone)
        facts.contactEmail = r.contactEmail
        return Notice.owed(kind, facts, channel: channel) + (mails ? Notice.owed(kind, facts, channel: .email) : [])
    }
}

/// The live stream as a channel: the notice goes to the booking's agency's users (and the
/// operator's) as an event of kind `notice`; publishing is its delivery.
struct LiveNoticeSender: NoticeSender {
    let feed: LiveFeed
    var channel: Notice.Channel { .live }

    struct Body: Encodable {
        var noticeID: Int64
        var bookingID: Int64
        var kind: Notice.Kind
        var recipient: String
        var text: String
    }

    func send(_ message: OutboxMessage) async throws -> String? {
        let n = message.notice
        feed.publish(
            FeedEvent(
                kind: .notice, agencyID: message.agencyID,
                Body(noticeID: message.id, bookingID: message.bookingID, kind: n.kind, recipient: n.recipient.name, text: n.text)))
        return nil
    }
}
