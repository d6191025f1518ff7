import Domain
import Foundation
import Logging
import PostgresNIO

/// The outbox of notices (Sql/0017_notices.sql): written by `Bookings.move` in the change's
/// transaction, claimed by the notifier when due, each outcome recorded with its audit line.
public struct Outbox: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Queues `notices` of booking `bookingID`, due at `time`, on the connection of the change
    /// that owes them: they stand or fall with it.
    static func enqueue(_ notices: [Notice], bookingID: Int64, at time: Date, on connection: PostgresConnection, logger: Logger) async throws {
        for n in notices {
            try await connection.query(
                """
                INSERT INTO notices (booking_id, kind, recipient_role, recipient_name, recipient_phone, recipient_email, channel, body, next_attempt_at, created_at)
                VALUES (\(bookingID), \(n.kind.rawValue), \(n.recipient.role.rawValue), \(clipped(n.recipient.name, 200)), \(clipped(n.recipient.phone, 40)),
                    \(n.recipient.email), \(n.channel.rawValue), \(clipped(n.text, 2000)), \(time), \(time))
                """, logger: logger)
        }
    }

    /// Text messages queued in [from, to) with an outcome: delivered, and failed (undeliverable);
    /// those still being tried wait for theirs. The KPI scheme's SMS delivery rate.
    public func smsOutcomes(from: Date, to: Date) async throws -> (delivered: Int, failed: Int) {
        let rows = try await client.query(
            """
            SELECT count(*) FILTER (WHERE state = 'delivered'), count(*) FILTER (WHERE state = 'failed') FROM notices
            WHERE channel = 'sms' AND created_at >= \(from) AND created_at < \(to)
            """, logger: logger)
        for try await (delivered, failed) in rows.decode((Int64, Int64).self) { return (Int(delivered), Int(failed)) }
        return (0, 0)
    }

    /// At most `limit` messages due at `now`, claimed for `lease` seconds (another notifier skips
    /// them; a notifier that dies lets them go when it ends), each with its attempt counted.
    public func claim(now: Date, lease: Int64, limit: Int) async throws -> [OutboxMessage] {
        let rows = try await client.query(
            """
            WITH due AS (
                SELECT id FROM notices WHERE state IN ('queued', 'sending') AND next_attempt_at <= \(now)
                ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE notices n SET state = 'sending', attempts = n.attempts + 1, next_attempt_at = \(now.addingTimeInterval(TimeInterval(lease)))
            FROM due, bookings b WHERE n.id = due.id AND b.id = n.booking_id
            RETURNING n.id, n.booking_id, b.agency_id, n.kind, n.recipient_role, n.recipient_name, n.recipient_phone, n.recipient_email, n.channel, n.body,
                n.attempts, n.created_at
            """, logger: logger)
        var messages: [OutboxMessage] = []
        for try await (id, booking, agency, kind, role, name, phone, email, channel, body, attempts, created) in rows.decode(
            (Int64, Int64, Int64, String, String, String, String, String?, String, String, Int32, Date).self)
        {
            guard let kind = Notice.Kind(rawValue: kind), let role = Notice.Recipient.Role(rawValue: role), let channel = Notice.Channel(rawValue: channel)
            else { continue }
            let notice = Notice(kind: kind, recipient: .init(role: role, name: name, phone: phone, email: email), channel: channel, text: body)
            messages.append(OutboxMessage(id: id, bookingID: booking, agencyID: agency, notice: notice, attempts: Int(attempts), createdAt: created))
        }
        return messages.sorted { $0.id < $1.id }
    }

    /// A message its channel confirmed delivered at `time`; false if it was not this sender's to
    /// record (no longer being sent).
    @discardableResult
    public func delivered(_ id: Int64, at time: Date, providerMessageID: String?, audit: AuditLine?) async throws -> Bool {
        try await client.audited({ $0 ? audit : nil }, logger: logger) { connection in
            try await connection.touchedRow(
                """
                UPDATE notices SET state = 'delivered', delivered_at = \(time), provider_message_id = \(providerMessageID.map { clipped($0, 200) }),
                    last_error = NULL WHERE id = \(id) AND state = 'sending' RETURNING id
                """, logger: logger)
        }
    }

    /// A failed attempt: tried again at `next`, or, for nil, undeliverable.
    @discardableResult
    public func failed(_ id: Int64, error: String, next: Date?, audit: AuditLine?) async throws -> Bool {
        try await client.audited({ $0 ? audit : nil }, logger: logger) { connection in
            try await connection.touchedRow(
                """
                UPDATE notices SET state = \(next == nil ? "failed" : "queued"), next_attempt_at = coalesce(\(next), next_attempt_at),
                    last_error = \(clipped(error, 2000)) WHERE id = \(id) AND state = 'sending' RETURNING id
                """, logger: logger)
        }
    }

    /// The plate of a vehicle and the name and phone of a driver, as a notice names the crew.
    public func crew(vehicleID: Int64, driverID: Int64) async throws -> (plate: String, driverName: String, driverPhone: String)? {
        let rows = try await client.query(
            "SELECT v.plate, d.name, d.phone FROM vehicles v, drivers d WHERE v.id = \(vehicleID) AND d.id = \(driverID)", logger: logger)
        for try await crew in rows.decode((String, String, String).self) { return crew }
        return nil
    }
}

/// At most `limit` Unicode scalars of `text` (PostgreSQL's `length` of it): what the columns hold.
func clipped(_ text: String, _ limit: Int) -> String {
    text.unicodeScalars.count <= limit ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit)))
}
