import Domain
import Foundation
import Logging
import PostgresNIO

/// Drivers' card reports (0x0702) in PostgreSQL: each kept once per terminal, time and status,
/// with the vehicle the terminal is bound to and the driver whose file holds the certificate.
public struct PostgresDriverCardSink: DriverCardSink {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func record(_ card: DriverCardRecord) async throws {
        try await client.query(
            """
            INSERT INTO driver_sign_ins (terminal_id, vehicle_id, card_status, occurred_at, read_result, driver_name, certificate, authority,
                valid_until, id_number, driver_id)
            SELECT t.id, t.vehicle_id, \(card.status.rawValue), to_timestamp(\(card.occurredAt)), \(card.readResult.map(Int16.init)), \(card.name),
                \(card.certificate), \(card.authority), \(card.validUntil?.description)::date, \(card.idNumber),
                (SELECT d.id FROM drivers d WHERE d.certificate_number = \(card.certificate))
            FROM terminals t WHERE t.id = \(card.terminalID)
            -- Timed by the server, a report sent again (unanswered) comes with a new time: the
            -- terminal's last report, the same card in the same state under 5 minutes ago, is
            -- that report again.
            AND NOT (\(card.timedByServer) AND EXISTS (
                SELECT 1 FROM (SELECT card_status, certificate, occurred_at FROM driver_sign_ins s WHERE s.terminal_id = t.id
                               ORDER BY occurred_at DESC, id DESC LIMIT 1) last
                WHERE last.card_status = \(card.status.rawValue) AND last.certificate IS NOT DISTINCT FROM \(card.certificate)
                    AND last.occurred_at > to_timestamp(\(card.occurredAt)) - interval '5 minutes'))
            ON CONFLICT (terminal_id, occurred_at, card_status) DO NOTHING
            """, logger: logger)
    }
}

extension DispatchFacts {
    /// Who was signed in on each vehicle at some time in [from, to): a card going in starts a
    /// stretch, the vehicle's next card report (out, or another card in) ends it. Reports of the
    /// 30 days before are read, no further: a card left in longer is no sign-in worth crediting.
    public func signIns(from: Int64, to: Int64) async throws -> [SignInStretch] {
        var stretches: [SignInStretch] = []
        let rows = try await client.query(
            """
            SELECT vehicle_id, driver_id, at, until FROM (
                SELECT vehicle_id, driver_id, card_status, read_result, extract(epoch FROM occurred_at)::int8 AS at,
                    lead(extract(epoch FROM occurred_at)::int8) OVER (PARTITION BY vehicle_id ORDER BY occurred_at, id) AS until
                FROM driver_sign_ins
                WHERE vehicle_id IS NOT NULL AND occurred_at < to_timestamp(\(to)) AND occurred_at > to_timestamp(\(from)) - interval '30 days'
            ) s
            -- A card the terminal could not read (read_result 1-4) signs nobody in.
            WHERE card_status = 'inserted' AND read_result = 0 AND (until IS NULL OR until > \(from))
            ORDER BY vehicle_id, at
            """, logger: logger)
        for try await (vehicle, driver, at, until) in rows.decode((Int64, Int64?, Int64, Int64?).self) {
            stretches.append(SignInStretch(vehicleID: vehicle, driverID: driver, from: at, until: until))
        }
        return stretches
    }
}

extension Bookings {
    /// Raises the alerts of the card reports received since `since` and of the cards in vehicles
    /// serving a booking now, each once; returns the new ones (to be published). `today`: the
    /// day a certificate must still be valid on.
    public func raiseDriverCardAlerts(since: Date, today: CivilDate, at now: Date) async throws -> [DriverCardAlert] {
        let rows = try await client.query(
            """
            WITH latest AS (
                SELECT DISTINCT ON (vehicle_id) id, vehicle_id, driver_id, card_status FROM driver_sign_ins
                WHERE vehicle_id IS NOT NULL ORDER BY vehicle_id, occurred_at DESC, id DESC
            ), candidates AS (
                SELECT s.id AS sign_in_id, 'unknownCard' AS kind, NULL::bigint AS booking_id FROM driver_sign_ins s
                WHERE s.received_at >= \(since) AND s.card_status = 'inserted' AND s.read_result = 0 AND s.driver_id IS NULL
                UNION ALL
                SELECT s.id, 'expiredCard', NULL FROM driver_sign_ins s
                WHERE s.received_at >= \(since) AND s.card_status = 'inserted' AND s.read_result = 0 AND s.valid_until < \(today.description)::date
                UNION ALL
                SELECT l.id, 'notTheCrew', b.id FROM latest l JOIN bookings b ON b.vehicle_id = l.vehicle_id
                WHERE l.card_status = 'inserted' AND b.state IN ('enRoute', 'onSite', 'inService') AND b.driver_id IS DISTINCT FROM l.driver_id
            ), raised AS (
                INSERT INTO driver_card_alerts (sign_in_id, kind, booking_id, raised_at)
                SELECT sign_in_id, kind, booking_id, \(now) FROM candidates ON CONFLICT DO NOTHING
                RETURNING sign_in_id, kind, booking_id
            )
            SELECT r.kind, v.plate, s.driver_name, s.certificate, s.valid_until::text, r.booking_id, s.occurred_at, \(now)::timestamptz
            FROM raised r JOIN driver_sign_ins s ON s.id = r.sign_in_id LEFT JOIN vehicles v ON v.id = s.vehicle_id
            ORDER BY s.occurred_at, r.kind
            """, logger: logger)
        return try await Self.cardAlerts(rows)
    }

    /// The card alerts raised since `since`, newest first, for the dispatchers who were not
    /// watching the live stream when they were raised.
    public func driverCardAlerts(since: Date, limit: Int) async throws -> [DriverCardAlert] {
        let rows = try await client.query(
            """
            SELECT a.kind, v.plate, s.driver_name, s.certificate, s.valid_until::text, a.booking_id, s.occurred_at, a.raised_at
            FROM driver_card_alerts a JOIN driver_sign_ins s ON s.id = a.sign_in_id LEFT JOIN vehicles v ON v.id = s.vehicle_id
            WHERE a.raised_at >= \(since) ORDER BY a.raised_at DESC, a.id DESC LIMIT \(limit)
            """, logger: logger)
        return try await Self.cardAlerts(rows)
    }

    private static func cardAlerts(_ rows: PostgresRowSequence) async throws -> [DriverCardAlert] {
        var alerts: [DriverCardAlert] = []
        for try await (kind, plate, name, certificate, validUntil, booking, at, raised) in rows.decode(
            (String, String?, String?, String?, String?, Int64?, Date, Date).self)
        {
            guard let kind = DriverCardAlert.Kind(rawValue: kind) else { continue }
            alerts.append(
                DriverCardAlert(
                    kind: kind, plate: plate, driverName: name, certificate: certificate, validUntil: validUntil, bookingID: booking, signedInAt: at,
                    raisedAt: raised))
        }
        return alerts
    }
}
