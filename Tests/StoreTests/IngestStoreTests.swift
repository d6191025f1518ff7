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
            try await client.query("INSERT INTO terminals (phone, vehicle_id, terminal_id) SELECT '013912345678', id, 'T1' FROM vehicles", logger: logger)
            try await client.query("INSERT INTO terminals (phone, terminal_id) VALUES ('013900000000', 'T1')", logger: logger)
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

    /// Issue 14, attack 1, against the registry itself: a stranger who knows the phone number
    /// but not the terminal ID (or claims another vehicle) gets no auth code, the genuine
    /// terminal's code keeps working, and nothing the stranger claimed is written.
    @Test func registrationMustMatchTheTerminalAndVehicleOnFile() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let registry = PostgresTerminalRegistry(client: client, logger: logger)
            try await registry.bind(phone: "013900000007", plate: "浙BD00007", terminalID: "7000007")
            try await client.query("UPDATE vehicles SET vin = 'LSVAU2180N2183294' WHERE plate = '浙BD00007'", logger: logger)
            func identity(terminalID: String, plate: String) -> TerminalIdentity {
                TerminalIdentity(phone: "013900000007", manufacturer: "70111", model: "M1", terminalID: terminalID, plate: plate, plateColor: 5)
            }
            guard case .accepted(let code) = try await registry.register(identity(terminalID: "7000007", plate: "浙BD00007")) else {
                Issue.record("the genuine terminal was not accepted")
                return
            }
            let stranger = TerminalIdentity(phone: "013900000007", manufacturer: "EVIL", model: "X1", terminalID: "9999999", plate: "浙BD00007", plateColor: 5)
            for _ in 0..<5 { #expect(try await registry.register(stranger) == .terminalUnknown) }
            #expect(try await registry.register(identity(terminalID: "7000007", plate: "京A00001")) == .vehicleUnknown)
            #expect(try await registry.authenticate(phone: "013900000007", authCode: code) != nil, "the genuine code still works")
            for try await (manufacturer, model, terminalID) in try await client.query(
                "SELECT manufacturer, model, terminal_id FROM terminals WHERE phone = '013900000007'", logger: logger
            ).decode((String?, String?, String?).self) {
                #expect(manufacturer == nil && model == nil && terminalID == "7000007", "nothing the stranger claimed is written")
            }
            // Padded fields, and the VIN in the plate field (a vehicle without plates), match.
            guard case .accepted = try await registry.register(identity(terminalID: "7000007\0\0", plate: "lsvau2180n2183294 ")) else {
                Issue.record("the VIN was not accepted")
                return
            }
            // The device replaced: bound with its new terminal ID, the old code stops working.
            guard case .accepted(let current) = try await registry.register(identity(terminalID: "7000007", plate: "浙BD00007")) else { return }
            try await registry.bind(phone: "013900000007", plate: "浙BD00007", terminalID: "8000008")
            #expect(try await registry.authenticate(phone: "013900000007", authCode: current) == nil)
            #expect(try await registry.register(identity(terminalID: "7000007", plate: "浙BD00007")) == .terminalUnknown)
        }
    }

    @Test func authenticationCarriesTheAlarmsOfTheNewestStoredReport() async throws {
        try await TestPostgres.withDatabase { client, url in
            let registry = PostgresTerminalRegistry(client: client, logger: logger)
            try await registry.bind(phone: "013900000007", plate: "浙BD00007", terminalID: "T7")
            let identity = TerminalIdentity(phone: "013900000007", manufacturer: "70111", model: "M1", terminalID: "T7", plate: "浙BD00007", plateColor: 5)
            guard case .accepted(let code) = try await registry.register(identity) else { Issue.record("not accepted"); return }
            let terminal = try #require(try await registry.authenticate(phone: "013900000007", authCode: code))
            #expect(terminal.alarm == 0)
            let sink = try await PositionSinkTests().sink(client, url)
            // Its newest report has alarm bit 31 (illegal door opening) on.
            try await sink.store([PositionSinkTests().record(terminal.id, PositionSinkTests.morning)])
            try await sink.flushLatest()
            #expect(try await registry.authenticate(phone: "013900000007", authCode: code)?.alarm == 1 << 31)
        }
    }
}

@Suite struct PositionSinkTests {
    let logger = TestPostgres.logger
    /// 2026-11-22T08:00:00+08:00.
    static let morning: Int64 = 1_795_305_600

    func record(_ terminal: Int32, _ time: Int64, backfill: Bool = false) -> PositionRecord {
        PositionRecord(
            terminalID: terminal, gnssTime: time, latitudeE6: 29_868_336, longitudeE6: -121_543_990, altitude: -5, speed: 452, course: 359,
            alarm: 1 << 31, status: 3, mileage: time == Self.morning ? 123_456 : nil, backfill: backfill)
    }

    func count(_ client: PostgresClient, _ sql: PostgresQuery) async throws -> Int {
        for try await n in try await client.query(sql, logger: logger).decode(Int.self) { return n }
        return -1
    }

    /// A vehicle with a terminal bound to it: (vehicle id, terminal id).
    func vehicle(_ client: PostgresClient, plate: String, phone: String) async throws -> (Int64, Int32) {
        try await PostgresTerminalRegistry(client: client, logger: logger).bind(phone: phone, plate: plate, terminalID: String(phone.suffix(7)))
        let rows = try await client.query("SELECT v.id, t.id FROM vehicles v JOIN terminals t ON t.vehicle_id = v.id WHERE t.phone = \(phone)", logger: logger)
        var found: (Int64, Int32)?
        for try await ids in rows.decode((Int64, Int32).self) { found = ids }
        return try #require(found)
    }

    /// A sink whose clock says `now` (by default that evening, 20:00: the day's reports are not ahead of it).
    func sink(_ client: PostgresClient, _ url: DatabaseURL, now: Int64 = Self.morning + 12 * 3600) async throws -> PostgresPositionSink {
        let retention = PositionRetention(retentionDays: 2, aheadDays: 1)
        _ = try await retention.maintain(client: client, today: "2026-11-22", logger: logger)
        let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: TimeInterval(now)) }
        return PostgresPositionSink(client: client, database: url, retention: retention, logger: logger, now: clock)
    }

    @Test func storesExactlyOnceAndKeepsTheLatest() async throws {
        try await TestPostgres.withDatabase { client, url in
            let (car, terminal) = try await vehicle(client, plate: "浙BD00007", phone: "013900000007")
            let (_, other) = try await vehicle(client, plate: "浙BD00008", phone: "013900000008")
            let sink = try await sink(client, url)
            let batch = [record(terminal, Self.morning), record(terminal, Self.morning + 10), record(other, Self.morning - 86_400, backfill: true)]
            try await sink.store(batch)
            // A retransmission of the same reports changes nothing.
            try await sink.store(batch)
            #expect(try await count(client, "SELECT count(*) FROM positions") == 3)
            // Every field comes back as it went in.
            let queries = PositionQueries(client: client, database: url, logger: logger)
            #expect(try await queries.track(vehicleID: car, from: Self.morning - 3600, to: Self.morning + 3600) == Array(batch.prefix(2)))
            // A range with no point is an empty track, not an error (the aggregate is NULL).
            #expect(try await queries.track(vehicleID: car, from: Self.morning + 7200, to: Self.morning + 9000).isEmpty)
            // The latest position is the newest report, and an older one never replaces it.
            try await sink.store([record(terminal, Self.morning - 3600)])
            // Written by the flush the server runs every second.
            #expect(try await queries.latest().isEmpty)
            try await sink.flushLatest()
            let latest = try await queries.latest()
            #expect(latest.first { $0.vehicleID == car }?.position.gnssTime == Self.morning + 10)
            #expect(latest.first { $0.vehicleID == car }?.plate == "浙BD00007")
        }
    }

    @Test func absurdTimesGoToQuarantine() async throws {
        try await TestPostgres.withDatabase { client, url in
            let sink = try await sink(client, url)
            // Years ahead (a clock reset to 2030) and long before retention.
            try await sink.store([record(7, Self.morning), record(7, 1_900_000_000), record(7, 1_600_000_000)])
            #expect(try await count(client, "SELECT count(*) FROM positions") == 1)
            #expect(try await count(client, "SELECT count(*) FROM positions_quarantine") == 2)
            #expect(try await count(client, "SELECT count(*) FROM positions_quarantine WHERE reason = 'in the future'") == 1)
        }
    }

    /// Issue 14: a report more than ten minutes ahead of the server's clock (a forged 2099
    /// collision, a broken clock) is quarantined: not in the track, never the latest position.
    @Test func reportsAheadOfTheServersClockAreQuarantined() async throws {
        try await TestPostgres.withDatabase { client, url in
            let (car, terminal) = try await vehicle(client, plate: "浙BD00008", phone: "013900000008")
            let sink = try await sink(client, url, now: Self.morning)
            try await sink.store([record(terminal, Self.morning)])
            try await sink.flushLatest()
            // Nine minutes ahead is a clock's drift: stored. Eleven, or 2099: quarantined.
            try await sink.store([record(terminal, Self.morning + 540), record(terminal, Self.morning + 660), record(terminal, 4_102_358_400)])
            try await sink.flushLatest()
            #expect(try await count(client, "SELECT count(*) FROM positions") == 2)
            let ahead: PostgresQuery = "SELECT count(*) FROM positions_quarantine WHERE reason = 'more than 10 minutes ahead of the server''s clock'"
            #expect(try await count(client, ahead) == 1)
            #expect(try await count(client, "SELECT count(*) FROM positions_quarantine WHERE reason = 'in the future'") == 1)
            let latest = try await PositionQueries(client: client, database: url, logger: logger).latest()
            #expect(latest.first { $0.vehicleID == car }?.position.gnssTime == Self.morning + 540)
        }
    }

    @Test func trackThinningAndMileage() async throws {
        try await TestPostgres.withDatabase { client, url in
            let (car, terminal) = try await vehicle(client, plate: "浙BD00009", phone: "013900000009")
            let sink = try await sink(client, url)
            // Due north at 36 km/h: 0.0001 degree of latitude (11.1 m) every 10 s... every second
            // 10 m, so 10 s apart is 100 m: 0.000899 degrees.
            let points = (0..<60).map { i in
                PositionRecord(
                    terminalID: terminal, gnssTime: Self.morning + Int64(i) * 10, latitudeE6: 29_868_336 + Int32(i) * 899, longitudeE6: 121_543_990,
                    altitude: 5, speed: 360, course: 0, alarm: 0, status: 3, mileage: nil, backfill: false)
            }
            try await sink.store(points)
            let queries = PositionQueries(client: client, database: url, logger: logger)
            let thinned = try await queries.track(vehicleID: car, from: Self.morning, to: Self.morning + 600, thinnedTo: 60)
            #expect(thinned.map(\.gnssTime) == (0..<10).map { Self.morning + Int64($0) * 60 })
            // No odometer: the track's length, 59 x ~100 m.
            let fromTrack = try await queries.mileage(vehicleID: car, from: Self.morning, to: Self.morning + 600)
            #expect(fromTrack.source == .track && abs(fromTrack.meters - 5_900) < 60)
            // With an odometer (0.1 km), its difference wins.
            try await sink.store([
                PositionRecord(
                    terminalID: terminal, gnssTime: Self.morning + 3600, latitudeE6: 0, longitudeE6: 0, altitude: 0, speed: 0, course: 0, alarm: 0, status: 0,
                    mileage: 10_000, backfill: false),
                PositionRecord(
                    terminalID: terminal, gnssTime: Self.morning + 7200, latitudeE6: 0, longitudeE6: 0, altitude: 0, speed: 0, course: 0, alarm: 0, status: 0,
                    mileage: 10_123, backfill: false),
            ])
            let fromOdometer = try await queries.mileage(vehicleID: car, from: Self.morning + 3000, to: Self.morning + 8000)
            #expect(fromOdometer.source == .odometer && fromOdometer.meters == 12_300)
        }
    }
}

@Suite struct EventSinkTests {
    let logger = TestPostgres.logger

    @Test func eventsAreKeptOnceAndPurgedAfterThreeYears() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let sink = PostgresEventSink(client: client, logger: logger)
            let now = Int64(Date().timeIntervalSince1970)
            let sos = VehicleEvent(terminalID: 7, kind: "emergency", occurredAt: now - 60, latitudeE6: 29_868_336, longitudeE6: 121_543_990, speed: 0)
            let old = VehicleEvent(terminalID: 7, kind: "overspeed", occurredAt: now - 4 * 365 * 86_400, latitudeE6: 0, longitudeE6: 0, speed: 1_300)
            let recent = VehicleEvent(terminalID: 7, kind: "fatigueDriving", occurredAt: now - 2 * 365 * 86_400, latitudeE6: 0, longitudeE6: 0, speed: 800)
            try await sink.record([sos, old, recent])
            try await sink.record([sos])  // a reconnecting terminal reports it again
            var kinds: [String] = []
            for try await kind in try await client.query("SELECT kind FROM events ORDER BY occurred_at", logger: logger).decode(String.self) {
                kinds.append(kind)
            }
            #expect(kinds == ["overspeed", "fatigueDriving", "emergency"])
            #expect(try await sink.purge() == 1)
            kinds = []
            for try await kind in try await client.query("SELECT kind FROM events ORDER BY occurred_at", logger: logger).decode(String.self) {
                kinds.append(kind)
            }
            #expect(kinds == ["fatigueDriving", "emergency"])
        }
    }
}

@Suite struct PositionExactlyOnceTests {
    let logger = TestPostgres.logger
    let base = PositionSinkTests()

    func moved(_ r: PositionRecord, by delta: Int32) -> PositionRecord {
        var r = r
        r.latitudeE6 += delta
        return r
    }

    func strings(_ client: PostgresClient, _ sql: PostgresQuery) async throws -> [String] {
        var out: [String] = []
        for try await s in try await client.query(sql, logger: logger).decode(String.self) { out.append(s) }
        return out
    }

    @Test func aDifferentReportForAStoredSecondIsQuarantinedNotStoredOrLost() async throws {
        try await TestPostgres.withDatabase { client, url in
            let sink = try await base.sink(client, url)
            let first = base.record(7, PositionSinkTests.morning)
            try await sink.store([first])
            // Later: the same second again but somewhere else, with a new report beside it. The
            // batch takes the retransmission path; the new one is stored, the other quarantined.
            let next = base.record(7, PositionSinkTests.morning + 10)
            try await sink.store([moved(first, by: 500), next])
            #expect(try await base.count(client, "SELECT count(*) FROM positions") == 2)
            #expect(try await base.count(client, "SELECT count(*) FROM positions WHERE lat_e6 = \(first.latitudeE6)") == 2)
            #expect(try await strings(client, "SELECT reason FROM positions_quarantine") == ["differs from the report stored for the same terminal and second"])
            #expect(try await base.count(client, "SELECT (report->>'lat_e6')::int FROM positions_quarantine") == Int(first.latitudeE6 + 500))
        }
    }

    @Test func withinOneBatchIdenticalCopiesCollapseAndConflictsAreQuarantined() async throws {
        try await TestPostgres.withDatabase { client, url in
            let sink = try await base.sink(client, url)
            let report = base.record(7, PositionSinkTests.morning)
            try await sink.store([report, report, moved(report, by: -1)])
            #expect(try await base.count(client, "SELECT count(*) FROM positions") == 1)
            #expect(try await base.count(client, "SELECT count(*) FROM positions_quarantine") == 1)
        }
    }

    @Test func aReportPostgreSQLRefusesIsQuarantinedAndTheRestOfItsBatchStored() async throws {
        try await TestPostgres.withDatabase { client, url in
            let sink = try await base.sink(client, url)
            // jsonb refuses \u0000 (a vendor text with a NUL in it): that report alone is set aside.
            var poisoned = base.record(8, PositionSinkTests.morning)
            poisoned.extras = #"{"0xE1":{"note":"a\u0000b"}}"#
            let batch = [base.record(7, PositionSinkTests.morning), poisoned, base.record(9, PositionSinkTests.morning)]
            try await sink.store(batch)
            try await sink.flushLatest()
            #expect(try await base.count(client, "SELECT count(*) FROM positions") == 2)
            #expect(try await base.count(client, "SELECT count(*) FROM latest_positions") == 2)
            let reasons = try await strings(client, "SELECT reason FROM positions_quarantine")
            #expect(reasons.count == 1 && reasons[0].hasPrefix("refused by the database: "), "\(reasons)")
            // Kept as it came, as text.
            #expect(try await strings(client, "SELECT report->>'extras' FROM positions_quarantine") == [poisoned.extras!])
            // Sent again (its terminal got the acknowledgement... or not): nothing changes.
            try await sink.store(batch)
            #expect(try await base.count(client, "SELECT count(*) FROM positions") == 2)
        }
    }

    @Test func extrasAreStoredAsJSONEvenWithCharactersCOPYEscapes() async throws {
        try await TestPostgres.withDatabase { client, url in
            let sink = try await base.sink(client, url)
            var report = base.record(7, PositionSinkTests.morning)
            // JSON escapes (backslashes) and Chinese text pass through COPY's own escaping.
            report.extras = #"{"0x01":{"mileageKm":12345.6},"0xE1":{"note":"C:\\tmp \"q\"\tline\nnext 浙B"}}"#
            var plain = base.record(7, PositionSinkTests.morning + 10)
            plain.extras = nil
            try await sink.store([report, plain])
            #expect(try await strings(client, "SELECT extras->'0xE1'->>'note' FROM positions WHERE extras IS NOT NULL") == ["C:\\tmp \"q\"\tline\nnext 浙B"])
            #expect(try await strings(client, "SELECT (extras->'0x01'->>'mileageKm') FROM positions WHERE extras IS NOT NULL") == ["12345.6"])
            #expect(try await base.count(client, "SELECT count(*) FROM positions WHERE extras IS NULL") == 1)
        }
    }
}

@Suite struct MediaSinkTests {
    let logger = TestPostgres.logger

    @Test func mediaIsStoredOnceWithItsBytesAndPurgedAfterThreeYears() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let sink = PostgresMediaSink(client: client, logger: logger)
            let photo = MediaRecord(
                terminalID: 7, mediaID: 77, kind: 0, format: 0, event: 3, channel: 2, takenAt: 1_795_305_600,
                latitudeE6: 29_868_336, longitudeE6: 121_543_990, data: (0..<5_000).map { UInt8(truncatingIfNeeded: $0 * 13) })
            try await sink.store(photo)
            try await sink.store(photo)  // uploaded again: the 0x8800 was lost
            // The same id with other bytes (a terminal reset its counter) is kept beside it; no taken time (2011).
            var reused = photo
            reused.data = [0xFF, 0xD8, 0xFF]
            reused.takenAt = nil
            reused.latitudeE6 = nil
            reused.longitudeE6 = nil
            try await sink.store(reused)
            var rows: [(Int64, Int64?, ByteBuffer)] = []
            for try await row in try await client.query("SELECT media_id, extract(epoch FROM taken_at)::int8, data FROM media ORDER BY id", logger: logger)
                .decode((Int64, Int64?, ByteBuffer).self)
            {
                rows.append(row)
            }
            #expect(rows.count == 2)
            #expect(rows.first.map { Array($0.2.readableBytesView) } == photo.data)
            #expect(rows.first?.1 == 1_795_305_600 && rows.last?.1 == nil)
            #expect(try await sink.purge() == 0)
            try await client.query("UPDATE media SET received_at = now() - interval '1100 days' WHERE taken_at IS NULL", logger: logger)
            #expect(try await sink.purge() == 1)
        }
    }
}
