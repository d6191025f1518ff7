import Domain
import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@Suite struct TerminalRegistryTests {
    let logger = TestPostgres.logger

    @Test func onlyTerminalsOnFileAndBoundToAVehicleRegister() async throws {
        try await TestPostgres.withDatabase { client, _ in
            try await client.query("INSERT INTO vehicles (plate) VALUES ('浙B12345D')", logger: logger)
            try await client.query("INSERT INTO terminals (phone, vehicle_id) SELECT '013912345678', id FROM vehicles", logger: logger)
            try await client.query("INSERT INTO terminals (phone) VALUES ('013900000000')", logger: logger)
            let registry = PostgresTerminalRegistry(client: client, logger: logger)
            func identity(_ phone: String) -> TerminalIdentity {
                TerminalIdentity(phone: phone, manufacturer: "70111", model: "M1", terminalID: "T1", plate: "浙B12345D", plateColor: 5)
            }
            #expect(try await registry.register(identity("013811111111")) == .terminalUnknown)
            #expect(try await registry.register(identity("013900000000")) == .vehicleUnknown)
            guard case .accepted(let code) = try await registry.register(identity("013912345678")) else { Issue.record("not accepted"); return }
            #expect(code.count == 16)
            let terminal = try await registry.authenticate(phone: "013912345678", authCode: code)
            #expect(terminal?.phone == "013912345678" && terminal?.id != nil)
            #expect(try await registry.authenticate(phone: "013912345678", authCode: "wrong") == nil)
            // Registering again issues a new code; the old one stops working.
            guard case .accepted(let second) = try await registry.register(identity("013912345678")) else { Issue.record("not accepted"); return }
            #expect(second != code)
            #expect(try await registry.authenticate(phone: "013912345678", authCode: code) == nil)
        }
    }
}

@Suite struct PositionSinkTests {
    let logger = TestPostgres.logger
    /// 2026-11-22T08:00:00+08:00.
    static let morning: Int64 = 1_795_305_600

    func record(_ terminal: Int32, _ time: Int64, backfill: Bool = false) -> PositionRecord {
        PositionRecord(terminalID: terminal, gnssTime: time, latitudeE6: 29_868_336, longitudeE6: -121_543_990, altitude: -5, speed: 452, course: 359,
                       alarm: 1 << 31, status: 3, mileage: time == Self.morning ? 123_456 : nil, backfill: backfill)
    }

    func count(_ client: PostgresClient, _ sql: PostgresQuery) async throws -> Int {
        for try await n in try await client.query(sql, logger: logger).decode(Int.self) { return n }
        return -1
    }

    @Test func storesExactlyOnceAndKeepsTheLatest() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let retention = PositionRetention(retentionDays: 2, aheadDays: 1)
            _ = try await retention.maintain(client: client, today: "2026-11-22", logger: logger)
            let sink = PostgresPositionSink(client: client, retention: retention, logger: logger, now: { Date(timeIntervalSince1970: TimeInterval(Self.morning)) })
            let batch = [record(7, Self.morning), record(7, Self.morning + 10), record(8, Self.morning - 86_400, backfill: true)]
            try await sink.store(batch)
            // A retransmission of the same reports changes nothing.
            try await sink.store(batch)
            #expect(try await count(client, "SELECT count(*) FROM positions") == 3)
            let rows = try await client.query("""
                SELECT extract(epoch FROM gnss_time)::int8, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill
                FROM positions WHERE terminal_id = 7 ORDER BY gnss_time
                """, logger: logger)
            var stored: [PositionRecord] = []
            for try await (epoch, lat, lon, alt, speed, course, alarm, status, mileage, backfill) in rows.decode((Int64, Int32, Int32, Int16, Int32, Int16, Int32, Int32, Int64?, Bool).self) {
                stored.append(PositionRecord(terminalID: 7, gnssTime: epoch, latitudeE6: lat, longitudeE6: lon, altitude: alt, speed: UInt16(speed), course: UInt16(course),
                                             alarm: UInt32(bitPattern: alarm), status: UInt32(bitPattern: status), mileage: mileage.map { UInt32($0) }, backfill: backfill))
            }
            #expect(stored == Array(batch.prefix(2)))
            // The latest position of terminal 7 is its newest report, and an older one never replaces it.
            try await sink.store([record(7, Self.morning - 3600)])
            #expect(try await count(client, "SELECT extract(epoch FROM gnss_time)::int8 FROM latest_positions WHERE terminal_id = 7") == Int(Self.morning + 10))
        }
    }

    @Test func absurdTimesGoToQuarantine() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let retention = PositionRetention(retentionDays: 2, aheadDays: 1)
            _ = try await retention.maintain(client: client, today: "2026-11-22", logger: logger)
            let sink = PostgresPositionSink(client: client, retention: retention, logger: logger, now: { Date(timeIntervalSince1970: TimeInterval(Self.morning)) })
            // Years ahead (a clock reset to 2030) and long before retention.
            try await sink.store([record(7, Self.morning), record(7, 1_900_000_000), record(7, 1_600_000_000)])
            #expect(try await count(client, "SELECT count(*) FROM positions") == 1)
            #expect(try await count(client, "SELECT count(*) FROM positions_quarantine") == 2)
            #expect(try await count(client, "SELECT count(*) FROM positions_quarantine WHERE reason = 'in the future'") == 1)
        }
    }
}
