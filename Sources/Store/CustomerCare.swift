import Domain
import Foundation
import Logging
import PostgresNIO

/// Complaints and callbacks (docs/DOMAIN.md, "Customer care"): the agency is contacted within 12
/// hours of a complaint and given a result within 3 working days; every trip gets a callback
/// within 24 hours. The times are kept so the monthly assessment can measure them.
public struct CustomerCare: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func file(agencyID: Int64, bookingID: Int64?, text: String, at: Date, audit: Audit<Int64>? = nil) async throws -> Complaint {
        let id = try await client.audited(audit, logger: logger) { connection in
            try await connection.returningID(
                "INSERT INTO complaints (agency_id, booking_id, received_at, text) VALUES (\(agencyID), \(bookingID), \(at), \(text)) RETURNING id",
                logger: logger
            )
        }
        guard let complaint = try await complaints(agencyID: nil, id: id).first else { throw NoSuchRecord() }
        return complaint
    }

    /// Records the first contact with the agency, or the result; false if already recorded.
    public func contacted(_ id: Int64, at: Date, audit: Audit<Bool>? = nil) async throws -> Bool {
        try await client.audited(audit, logger: logger) { connection in
            try await connection.touchedRow("UPDATE complaints SET contacted_at = \(at) WHERE id = \(id) AND contacted_at IS NULL RETURNING id", logger: logger)
        }
    }

    /// What resolving a complaint did: nothing (none open with that id), or resolved it, holding
    /// the trip's driver for review if it was the last substantiated complaint the rule allows.
    public enum Resolved: Sendable, Hashable {
        case none
        case resolved(heldForReview: Int64?)
    }

    /// Records the result; a substantiated complaint about a trip counts against its driver (the
    /// one named, else the booking's last), and
    /// the `review` rule's count of them within its window holds the driver out of matching, in
    /// the same transaction (a dispatcher or administrator clears it).
    public func resolved(
        _ id: Int64, at: Date, result: String, substantiated: Bool, driverID: Int64? = nil, review: (count: Int, window: Int64),
        audit: Audit<Resolved>? = nil
    ) async throws -> Resolved {
        try await client.audited(audit, logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE complaints c SET resolved_at = \(at), result = \(result), contacted_at = coalesce(contacted_at, \(at)),
                    substantiated = \(substantiated), driver_id = coalesce(\(driverID), (SELECT b.driver_id FROM bookings b WHERE b.id = c.booking_id))
                WHERE c.id = \(id) AND c.resolved_at IS NULL RETURNING c.driver_id
                """,
                logger: logger)
            var found: Int64?? = nil
            for try await driver in rows.decode(Int64?.self) { found = .some(driver) }
            guard let driver = found else { return .none }
            guard substantiated, let driver else { return .resolved(heldForReview: nil) }
            let since = at.addingTimeInterval(-TimeInterval(review.window))
            // The driver's row locked first: two complaints resolved at once count each other.
            _ = try await connection.touchedRow("SELECT id FROM drivers WHERE id = \(driver) FOR UPDATE", logger: logger)
            let held = try await connection.touchedRow(
                """
                UPDATE drivers SET review_reason = \(review.count) || ' complaints substantiated since ' || to_char(\(since) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                    review_since = \(at), updated_at = now()
                WHERE id = \(driver) AND review_reason IS NULL
                    AND (SELECT count(*) FROM complaints WHERE driver_id = \(driver) AND substantiated AND resolved_at > \(since)) >= \(review.count)
                RETURNING id
                """,
                logger: logger)
            return .resolved(heldForReview: held ? driver : nil)
        }
    }

    /// An agency's complaints (all for nil), newest first; or the one with `id`.
    public func complaints(agencyID: Int64?, id: Int64? = nil, limit: Int = 100) async throws -> [Complaint] {
        try await complaints(
            """
            SELECT \(unescaped: Self.complaintColumns)
            WHERE (\(agencyID)::bigint IS NULL OR agency_id = \(agencyID)) AND (\(id)::bigint IS NULL OR id = \(id)) ORDER BY id DESC LIMIT \(limit)
            """)
    }

    /// Complaints that live in [from, to): received before its end and not resolved before its
    /// start (a result is due 3 working days on, which a holiday week stretches).
    public func complaints(from: Date, to: Date) async throws -> [Complaint] {
        try await complaints(
            "SELECT \(unescaped: Self.complaintColumns) WHERE received_at < \(to) AND (resolved_at IS NULL OR resolved_at >= \(from) OR received_at >= \(from)) ORDER BY id"
        )
    }

    /// The callbacks of these bookings: when, and the satisfaction given.
    public func callbacks(bookingIDs: [Int64]) async throws -> [Int64: (calledAt: Date, satisfaction: Int)] {
        var out: [Int64: (Date, Int)] = [:]
        let rows = try await client.query("SELECT booking_id, called_at, satisfaction FROM callbacks WHERE booking_id = ANY(\(bookingIDs))", logger: logger)
        for try await (booking, at, satisfaction) in rows.decode((Int64, Date, Int16).self) { out[booking] = (at, Int(satisfaction)) }
        return out
    }

    /// Complaints without their result yet: the clocks to watch.
    public func unresolved() async throws -> [Complaint] {
        try await complaints("SELECT \(unescaped: Self.complaintColumns) WHERE resolved_at IS NULL ORDER BY id")
    }

    static let complaintColumns = "id, agency_id, booking_id, received_at, text, contacted_at, resolved_at, result, substantiated, driver_id FROM complaints"

    /// The complaints a query of the form `SELECT \(unescaped: Self.complaintColumns) WHERE ...` selects.
    func complaints(_ query: PostgresQuery) async throws -> [Complaint] {
        var out: [Complaint] = []
        for try await (id, agency, booking, received, text, contacted, resolved, result, substantiated, driver) in try await client.query(query, logger: logger)
            .decode((Int64, Int64, Int64?, Date, String, Date?, Date?, String?, Bool?, Int64?).self)
        {
            out.append(
                Complaint(
                    id: id, agencyID: agency, bookingID: booking, receivedAt: received, text: text, contactedAt: contacted, resolvedAt: resolved,
                    result: result,
                    substantiated: substantiated, driverID: driver
                ))
        }
        return out
    }

    /// The trip's callback; false if it already had one.
    public func callback(bookingID: Int64, at: Date, satisfaction: Int, note: String, by userID: Int64?, audit: Audit<Bool>? = nil) async throws -> Bool {
        try await client.audited(audit, logger: logger) { connection in
            try await connection.touchedRow(
                """
                INSERT INTO callbacks (booking_id, called_at, satisfaction, note, by_user) VALUES (\(bookingID), \(at), \(Int16(satisfaction)), \(note), \(userID))
                ON CONFLICT (booking_id) DO NOTHING RETURNING booking_id
                """, logger: logger)
        }
    }
}
