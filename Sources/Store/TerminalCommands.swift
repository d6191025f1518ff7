import Domain
import Foundation
import Logging
import PostgresNIO

/// Commands to terminals in PostgreSQL (Sql/0023): the callers (the API, `fleetd terminal send`)
/// queue them with their audit line and NOTIFY; the gateway a terminal is connected to claims
/// them, sends them and records what came of it. Times are the database's `now()`: callers and
/// gateways in several processes agree on one clock.
public struct PostgresTerminalCommands: TerminalCommandQueue {
    let client: PostgresClient
    let logger: Logger

    /// The channel NOTIFY and LISTEN meet on; its payload is the terminal's phone.
    static let channel = "terminal_commands"
    /// A terminal counts as online while its gateway renewed its presence this recently
    /// (gateways renew every 10 s: `CommandRelay`).
    static let presenceWindow = "30 seconds"

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: the callers' side

    /// A command accepted: its id, and whether its terminal was online when it was queued.
    public struct Queued: Sendable, Hashable {
        public var id: Int64
        public var online: Bool
    }

    /// Queues `request` for the terminal of the vehicle `plate`, with `audit`'s line, in one
    /// transaction, and wakes the gateways. A terminal offline with no time to live refuses it
    /// (`Conflict`): nothing is queued. A command for a terminal online that no gateway took
    /// expires a second after its caller stopped waiting (the caller's "timed out" comes first,
    /// and a caller that died leaves nothing queued); one for a terminal offline when its time
    /// to live ends.
    public func queue(
        _ request: TerminalCommandRequest, plate: String, userID: Int64?, requestedBy: String, audit: Audit<Int64>? = nil
    ) async throws -> Queued {
        let json = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        return try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT t.phone, v.id, EXISTS (SELECT 1 FROM terminal_presence p WHERE p.terminal_phone = t.phone
                    AND p.seen_at > now() - \(Self.presenceWindow)::interval)
                FROM vehicles v LEFT JOIN terminals t ON t.vehicle_id = v.id WHERE v.plate = \(plate)
                """, logger: logger)
            var found: (String?, Int64, Bool)?
            for try await row in rows.decode((String?, Int64, Bool).self) { found = row }
            guard let (phone, vehicleID, online) = found else { throw NoSuchRecord() }
            guard let phone else { throw Conflict("vehicle \(plate) has no terminal bound: fleetd terminal bind", field: "plate") }
            if !online, request.ttl == 0 {
                throw Conflict("the terminal of \(plate) is not connected; retry with ttlSeconds to queue the command until it connects")
            }
            let lifetime = online && request.ttl == 0 ? request.wait + 1 : request.ttl
            let id = try await connection.returningID(
                """
                INSERT INTO terminal_commands (vehicle_id, terminal_phone, kind, request, user_id, requested_by, expires_at)
                VALUES (\(vehicleID), \(phone), \(request.command.rawValue), \(json)::jsonb, \(userID), \(requestedBy),
                        now() + make_interval(secs => \(Double(lifetime))))
                RETURNING id
                """, logger: logger)
            if let line = audit?(id) { try await connection.query(line.insertion, logger: logger) }
            // Delivered at COMMIT: a gateway never sees the command before it is there.
            try await connection.query("SELECT pg_notify(\(Self.channel), \(phone))", logger: logger)
            return Queued(id: id, online: online)
        }
    }

    /// Tells the gateways again of a command still queued: a notification is lost when no
    /// gateway was listening at that moment (one starting, or reconnecting to the database).
    /// False when it is no longer queued.
    @discardableResult
    public func renotify(_ id: Int64) async throws -> Bool {
        try await client.touchedRow(
            """
            WITH told AS (SELECT id, pg_notify(\(Self.channel), terminal_phone) FROM terminal_commands WHERE id = \(id) AND state = 'queued')
            SELECT id FROM told
            """, logger: logger)
    }

    /// The command `id`; nil when there is none.
    public func command(_ id: Int64) async throws -> TerminalCommandRecord? {
        try await records(id: id, limit: 1).first
    }

    /// The vehicle's commands, newest first; nil when there is no such vehicle.
    public func commands(plate: String, limit: Int) async throws -> [TerminalCommandRecord]? {
        let rows = try await client.query("SELECT id FROM vehicles WHERE plate = \(plate)", logger: logger)
        var vehicleID: Int64?
        for try await id in rows.decode(Int64.self) { vehicleID = id }
        guard let vehicleID else { return nil }
        return try await records(vehicleID: vehicleID, limit: limit)
    }

    /// A command whose caller gave up waiting and that is still unanswered: timed out; one
    /// still queued stays queued when `keepingQueued` (it has a time to live of its own: the
    /// terminal's presence was stale, or it is busy with earlier commands). False when it had
    /// its outcome meanwhile, or stays queued.
    public func giveUp(_ id: Int64, keepingQueued: Bool) async throws -> Bool {
        try await client.touchedRow(
            """
            UPDATE terminal_commands SET state = 'timedOut'
            WHERE id = \(id) AND (state = 'sent' OR (state = 'queued' AND NOT \(keepingQueued))) RETURNING id
            """, logger: logger)
    }

    /// The command `id`, or the vehicle's, newest first.
    private func records(id: Int64? = nil, vehicleID: Int64? = nil, limit: Int) async throws -> [TerminalCommandRecord] {
        let rows = try await client.query(
            """
            SELECT c.id, v.plate, c.request::text, c.requested_by, c.requested_at, c.expires_at, c.state, c.sent_at, c.answered_at,
                   c.result_code, c.answer::text, c.failure
            FROM terminal_commands c JOIN vehicles v ON v.id = c.vehicle_id
            WHERE (\(id)::bigint IS NULL OR c.id = \(id)) AND (\(vehicleID)::bigint IS NULL OR c.vehicle_id = \(vehicleID))
            ORDER BY c.id DESC LIMIT \(limit)
            """, logger: logger)
        var out: [TerminalCommandRecord] = []
        for try await (id, plate, request, by, at, expires, state, sent, answered, result, answer, failure) in rows.decode(
            (Int64, String, String, String, Date, Date, String, Date?, Date?, Int16?, String?, String?).self)
        {
            let request = try JSONDecoder().decode(TerminalCommandRequest.self, from: Data(request.utf8))
            out.append(
                TerminalCommandRecord(
                    id: id, plate: plate, command: request.command, request: request, requestedBy: by, requestedAt: at, expiresAt: expires,
                    state: TerminalCommandState(rawValue: state) ?? .failed, sentAt: sent, answeredAt: answered, resultCode: result.map(Int.init),
                    answer: answer, failure: failure))
        }
        return out
    }

    // MARK: the gateways' side

    public func connected(_ phone: String, gateway: String) async throws {
        try await client.query(
            """
            INSERT INTO terminal_presence (terminal_phone, gateway) VALUES (\(phone), \(gateway))
            ON CONFLICT (terminal_phone) DO UPDATE SET gateway = EXCLUDED.gateway, connected_at = now(), seen_at = now()
            """, logger: logger)
    }

    public func disconnected(_ phone: String, gateway: String) async throws {
        // Only this gateway's row: the terminal may already be on another one.
        try await client.query("DELETE FROM terminal_presence WHERE terminal_phone = \(phone) AND gateway = \(gateway)", logger: logger)
    }

    public func renew(_ phones: [String], gateway: String) async throws -> [String] {
        // Written, not only touched: a row lost to a failed write or to another gateway's late
        // disconnect comes back while the terminal is here.
        try await client.query(
            """
            INSERT INTO terminal_presence (terminal_phone, gateway)
            SELECT phone, \(gateway) FROM unnest(\(phones)::text[]) AS p(phone) WHERE EXISTS (SELECT 1 FROM terminals t WHERE t.phone = p.phone)
            ON CONFLICT (terminal_phone) DO UPDATE SET gateway = EXCLUDED.gateway, seen_at = now()
            """, logger: logger)
        try await client.query("UPDATE terminal_commands SET state = 'expired' WHERE state = 'queued' AND expires_at <= now()", logger: logger)
        try await timeOutUnrecorded()
        let rows = try await client.query(
            "SELECT DISTINCT terminal_phone FROM terminal_commands WHERE state = 'queued' AND terminal_phone = ANY(\(phones))", logger: logger)
        var waiting: [String] = []
        for try await phone in rows.decode(String.self) { waiting.append(phone) }
        return waiting
    }

    /// Commands sent whose outcome never came on record (the gateway that sent them died, or
    /// could not write it) a minute past their answer time: timed out, each with its audit line.
    private func timeOutUnrecorded() async throws {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE terminal_commands SET state = 'timedOut', failure = 'no outcome from the gateway that sent it'
                WHERE state = 'sent' AND sent_at < now() - make_interval(secs => coalesce((request->>'timeoutSeconds')::int, \(TerminalCommandRequest.defaultTimeoutSeconds)) + 60)
                RETURNING id, kind
                """, logger: logger)
            var unrecorded: [(Int64, String)] = []
            for try await row in rows.decode((Int64, String).self) { unrecorded.append(row) }
            for (id, kind) in unrecorded {
                let detail = "{\"command\": \(Self.quoted(kind)), \"state\": \"timedOut\", \"failure\": \"no outcome from the gateway that sent it\"}"
                try await connection.query(
                    AuditLine(userID: nil, action: "command-timedOut", resource: "command:\(id)", detail: detail).insertion, logger: logger)
            }
        }
    }

    public func claimNext(for phone: String) async throws -> ClaimedTerminalCommand? {
        try await client.query(
            "UPDATE terminal_commands SET state = 'expired' WHERE terminal_phone = \(phone) AND state = 'queued' AND expires_at <= now()",
            logger: logger)
        // SKIP LOCKED and the state test: two gateways (a terminal's old and new one) never
        // both take a command.
        let rows = try await client.query(
            """
            UPDATE terminal_commands SET state = 'sent', sent_at = now()
            WHERE id = (SELECT id FROM terminal_commands WHERE terminal_phone = \(phone) AND state = 'queued' AND expires_at > now()
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
              AND state = 'queued'
            RETURNING id, request::text
            """, logger: logger)
        for try await (id, request) in rows.decode((Int64, String).self) {
            return ClaimedTerminalCommand(id: id, request: try JSONDecoder().decode(TerminalCommandRequest.self, from: Data(request.utf8)))
        }
        return nil
    }

    public func requeue(_ id: Int64) async throws -> Bool {
        try await client.touchedRow(
            "UPDATE terminal_commands SET state = 'queued', sent_at = NULL WHERE id = \(id) AND state = 'sent' AND expires_at > now() RETURNING id",
            logger: logger)
    }

    public func record(_ outcome: TerminalCommandOutcome, of id: Int64) async throws {
        let (state, result, answer, failure): (String, Int16?, String?, String?)
        switch outcome {
        // jsonb takes no NUL, which a terminal may put inside a text field: it becomes U+FFFD.
        case .answered(let code, let json):
            (state, result, answer, failure) = ("answered", Int16(clamping: code), json.replacingOccurrences(of: "\\u0000", with: "\\uFFFD"), nil)
        case .timedOut: (state, result, answer, failure) = ("timedOut", nil, nil, nil)
        case .failed(let why): (state, result, answer, failure) = ("failed", nil, nil, why)
        }
        try await client.transaction(logger: logger) { connection in
            // A command its caller gave up on stays timed out; a late answer is still on record
            // in the audit line.
            let rows = try await connection.query(
                """
                UPDATE terminal_commands SET state = CASE WHEN state = 'sent' THEN \(state) ELSE state END,
                    answered_at = CASE WHEN \(answer)::text IS NULL THEN NULL ELSE now() END, result_code = \(result), answer = \(answer)::jsonb,
                    failure = \(failure)
                WHERE id = \(id) AND state IN ('sent', 'timedOut') RETURNING kind
                """, logger: logger)
            var kind: String?
            for try await k in rows.decode(String.self) { kind = k }
            guard let kind else { return }
            let detail =
                "{\"command\": \(Self.quoted(kind)), \"state\": \(Self.quoted(state))"
                + (result.map { ", \"result\": \($0)" } ?? "") + (answer.map { ", \"answer\": \($0)" } ?? "") + "}"
            try await connection.query(
                AuditLine(userID: nil, action: "command-\(state)", resource: "command:\(id)", detail: detail).insertion, logger: logger)
        }
    }

    public func watch(_ body: @escaping @Sendable (String) async -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.channel) { notifications in
                for try await notification in notifications { await body(notification.payload) }
            }
        }
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
