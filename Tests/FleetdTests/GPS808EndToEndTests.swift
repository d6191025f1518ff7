import EmbeddedPostgres
import Foundation
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import Store
import Testing

/// A real NMEA drive through gpsd (fed by gpsfake) into gps808, over JT/T 808 into `fleetd serve`
/// and PostgreSQL: every fix of the log is stored, at the log's position.
@Suite(.serialized) struct GPS808EndToEndTests {
    static let log = Bundle.module.url(forResource: "genivi_20100411_Geko_Regensburg", withExtension: "nmea", subdirectory: "NMEA")!
    static let phone = "013912340808"
    static let plate = "浙B80808D"

    /// The RMC fixes with status A of an NMEA log, read here independently of gpsd.
    struct NMEAFix: Equatable {
        var time: Int64
        var latitudeE6: Int32
        var longitudeE6: Int32
        var knots: Double

        static func all(in text: String) -> [NMEAFix] {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return text.split(whereSeparator: \.isNewline).compactMap { line -> NMEAFix? in
                guard let start = line.range(of: "$GPRMC,") else { return nil }
                let f = line[start.upperBound...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard f.count >= 9, f[1] == "A", f[0].count >= 6, f[8].count == 6 else { return nil }
                func int(_ s: String, _ range: Range<Int>) -> Int { Int(s.dropFirst(range.lowerBound).prefix(range.count))! }
                let date = DateComponents(
                    year: 2000 + int(f[8], 4..<6), month: int(f[8], 2..<4), day: int(f[8], 0..<2),
                    hour: int(f[0], 0..<2), minute: int(f[0], 2..<4), second: int(f[0], 4..<6)
                )
                // ddmm.mmmm and dddmm.mmmm: degrees, then minutes.
                func degrees(_ s: String, _ width: Int, _ negative: Bool) -> Int32 {
                    let value = Double(s.prefix(width))! + Double(s.dropFirst(width))! / 60
                    return Int32(((negative ? -value : value) * 1e6).rounded())
                }
                return NMEAFix(
                    time: Int64(calendar.date(from: date)!.timeIntervalSince1970),
                    latitudeE6: degrees(f[2], 2, f[3] == "S"), longitudeE6: degrees(f[4], 3, f[5] == "W"), knots: Double(f[6]) ?? 0
                )
            }
        }
    }

    struct StoredPoint {
        var time: Int64
        var latitudeE6: Int32
        var longitudeE6: Int32
        var speed: Int32
        var mileage: Int64?
        var backfill: Bool
    }

    static func stored(_ url: DatabaseURL) async throws -> [StoredPoint] {
        try await TestPostgres.withClient(url) { client in
            let rows = try await client.query(
                """
                SELECT extract(epoch FROM gnss_time)::int8, lat_e6, lon_e6, speed_dkmh, mileage_hm, backfill
                FROM positions p JOIN terminals t ON t.id = p.terminal_id WHERE t.phone = \(phone) ORDER BY gnss_time
                """,
                logger: TestPostgres.logger
            )
            var points: [StoredPoint] = []
            for try await (time, lat, lon, speed, mileage, backfill) in rows.decode((Int64, Int32, Int32, Int32, Int64?, Bool).self) {
                points.append(StoredPoint(time: time, latitudeE6: lat, longitudeE6: lon, speed: speed, mileage: mileage, backfill: backfill))
            }
            return points
        }
    }

    static func quarantined(_ url: DatabaseURL) async throws -> Int64 {
        try await TestPostgres.withClient(url) { client in
            let rows = try await client.query("SELECT count(*)::int8 FROM positions_quarantine", logger: TestPostgres.logger)
            for try await count in rows.decode(Int64.self) { return count }
            return 0
        }
    }

    /// gpsd replaying `log` through gpsfake on `port`, as fast as it loses nothing (docs/GPSD.md,
    /// "Replaying a drive with gpsfake").
    static func gpsfake(port: Int, pause: String = "0.002") throws -> Process {
        let fake = Process()
        // The test process blocks SIGCHLD, SIGTERM and others on its threads, and a spawned process
        // inherits the mask: gpsfake would then neither end with its log nor stop when told to.
        // A Python shim clears the mask and becomes gpsfake.
        fake.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        fake.arguments = [
            "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            "/usr/bin/gpsfake", "-1", "-q", "-t", "-W", "3", "-P", "\(port)", "-c", pause, log.path,
        ]
        fake.standardOutput = FileHandle.nullDevice
        fake.standardError = FileHandle.nullDevice
        try fake.run()
        return fake
    }

    static func gps808(gpsdPort: Int, serverPort: Int, state: URL, shift: Int64) throws -> Process {
        let process = Process()
        process.executableURL = builtProduct("gps808")
        // An answer later than its timeout sends the report again from the journal, as backfill: 5 s,
        // as the whole suite's load has delayed one past 2 s.
        process.arguments = [
            "--phone", phone, "--plate", plate, "--server", "127.0.0.1:\(serverPort)", "--gpsd", "127.0.0.1:\(gpsdPort)",
            "--report-interval", "1", "--answer-timeout", "5", "--state-dir", state.path, "--time-shift", "\(shift)",
        ]
        // A file, not a pipe: a pipe nobody reads would block the process once full.
        if !FileManager.default.fileExists(atPath: state.path + ".log") { _ = FileManager.default.createFile(atPath: state.path + ".log", contents: nil) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: state.path + ".log"))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// As an operator provisions a vehicle box: `fleetd terminal bind`.
    static func provision(_ url: DatabaseURL) async throws {
        let bind = try await Fleetd.run([
            "terminal", "bind", "--phone", String(phone.dropFirst()), "--plate", plate, "--terminal-id", String(phone.suffix(7)),
            "--database-url", url.urlWithPassword,
        ])
        #expect(bind.status == 0 && bind.out == "terminal \(phone) bound to \(plate)\n", "\(bind)")
    }

    /// Every stored point is a fix of the log at its time and position (within 1e-6 degrees after
    /// the standard's scaling), and from the first stored fix on none is missing.
    static func expectTrack(_ points: [StoredPoint], matches fixes: [NMEAFix], shift: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        let byTime = Dictionary(uniqueKeysWithValues: fixes.map { ($0.time, $0) })
        for point in points {
            guard let fix = byTime[point.time - shift] else {
                Issue.record("stored a position at \(point.time - shift) that is no fix of the log", sourceLocation: sourceLocation)
                continue
            }
            #expect(
                abs(point.latitudeE6 - fix.latitudeE6) <= 1 && abs(point.longitudeE6 - fix.longitudeE6) <= 1, "\(point) vs \(fix)",
                sourceLocation: sourceLocation)
            // Knots to 0.1 km/h, within the rounding of gpsd's m/s.
            #expect(abs(Double(point.speed) - fix.knots * 18.52) <= 1, "speed \(point.speed) vs \(fix.knots) kn", sourceLocation: sourceLocation)
        }
        guard let first = points.first, let start = fixes.firstIndex(where: { $0.time == first.time - shift }) else { return }
        #expect(points.map { $0.time - shift } == fixes[start...].map(\.time), "fixes missing after the first stored one", sourceLocation: sourceLocation)
    }

    /// One replay on a fresh database: `fleetd serve`, gpsfake playing the log, gps808 between
    /// them, reporting every fix; the drive shifted to start two hours ago (inside the retention
    /// window, never in the future). Whatever still runs at the end is stopped.
    final class Replay {
        let url: DatabaseURL
        let fixes: [NMEAFix]
        let serverPort: Int, gpsdPort: Int
        let shift: Int64
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("gps808-\(UUID().uuidString.prefix(8))")
        var server: Process
        let fake: Process
        var terminal: Process

        init(url: DatabaseURL) async throws {
            self.url = url
            fixes = NMEAFix.all(in: try String(contentsOf: GPS808EndToEndTests.log, encoding: .utf8))
            try await GPS808EndToEndTests.provision(url)
            serverPort = try EmbeddedPostgres.freePort()
            gpsdPort = try EmbeddedPostgres.freePort()
            server = try Fleetd.serve(url, gatewayPort: serverPort)
            try await Fleetd.waitUntilListening(serverPort)
            shift = Int64(Date().timeIntervalSince1970) - 7200 - fixes[0].time
            // gps808 first: it keeps trying gpsd every 0.1 s, so it connects as soon as gpsfake's
            // gpsd listens, and gpsd streams only to connected clients.
            terminal = try GPS808EndToEndTests.gps808(gpsdPort: gpsdPort, serverPort: serverPort, state: state, shift: shift)
            fake = try GPS808EndToEndTests.gpsfake(port: gpsdPort)
        }

        func startTerminal() throws { terminal = try GPS808EndToEndTests.gps808(gpsdPort: gpsdPort, serverPort: serverPort, state: state, shift: shift) }
        func startServer() async throws {
            server = try Fleetd.serve(url, gatewayPort: serverPort)
            try await Fleetd.waitUntilListening(serverPort)
        }

        func stored() async throws -> [StoredPoint] { try await GPS808EndToEndTests.stored(url) }

        /// gps808's log (both runs, when it was restarted).
        var log: String { (try? String(contentsOf: URL(fileURLWithPath: state.path + ".log"), encoding: .utf8)) ?? "" }

        /// Waits until the stored count is above `minimum`, `also` holds, and both stay so for
        /// six polls in a row (3 s), up to 2 minutes.
        func waitUntilStored(moreThan minimum: Int = -1, also: () -> Bool = { true }) async throws {
            let end = ContinuousClock.now + .seconds(120)
            var last = -1, streak = 0
            while ContinuousClock.now < end && streak < 6 {
                let count = try await stored().count
                streak = also() && count == last && count > minimum ? streak + 1 : 0
                last = count
                try await Task.sleep(for: .milliseconds(500))
            }
        }

        func stop() {
            for process in [terminal, fake, server] { process.killIfRunning() }
            try? FileManager.default.removeItem(at: state)
            try? FileManager.default.removeItem(atPath: state.path + ".log")
            try? FileManager.default.removeItem(atPath: state.path + ".svg")
        }
    }

    static func withReplay(_ body: @Sendable (Replay) async throws -> Void) async throws {
        try await TestPostgres.withDatabase { _, url in
            let replay = try await Replay(url: url)
            defer { replay.stop() }
            try await body(replay)
        }
    }

    @Test func aReplayedDriveIsStoredFixForFix() async throws {
        try await Self.withReplay { replay in
            let fixes = replay.fixes
            #expect(fixes.count == 774, "the log's README counts 774 RMC fixes with status A")
            try await replay.waitUntilStored(also: { !replay.fake.isRunning })

            // Issue 17: the operator's commands at a shell, through the database to the gateway
            // in `fleetd serve`, answered by gps808 and printed as JSON (the answer as PostgreSQL's
            // jsonb writes it).
            func send(_ arguments: [String]) async throws -> ChildOutput {
                try await Fleetd.run(["terminal", "send"] + arguments + ["--plate", Self.plate, "--database-url", replay.url.urlWithPassword])
            }
            for (arguments, answer) in [
                (["locate"], #""msgId": "0x0201""#), (["queryParameters"], #""reportIntervalSeconds": 1"#),
                (["setParameters", "--set", "reportIntervalSeconds=1", "--set", "heartbeatSeconds=30"], #""replyId": "0x8103""#),
                (["queryParameters", "--parameter-id", "0x0001"], #""settings": {"heartbeatSeconds": 30}"#),
                (["tracking", "--interval", "1", "--validity", "60"], #""replyId": "0x8202""#),
                (["text", "--text", "请回场充电", "--tts"], #""replyId": "0x8300""#),
                (["attributes"], #""firmwareVersion": "gps808""#), (["photo"], #""mediaIds": [1]"#),
            ] {
                let sent = try await send(arguments)
                #expect(sent.status == 0 && sent.out.contains(#""state":"answered""#) && sent.out.contains(answer), "\(arguments): \(sent)")
                #expect(arguments[0] == "locate" || sent.out.contains(#""resultCode":0"#), "\(arguments): \(sent.out)")
            }
            // The photo followed the answer, in sub-packages, into the vehicle's media: the JPEG gps808 carries.
            let photos = try await TestPostgres.withClient(replay.url) { client -> [(Int64, String)] in
                for _ in 0..<50 {
                    var found: [(Int64, String)] = []
                    let rows = try await client.query(
                        "SELECT length(data)::int8, encode(substring(data FROM 1 FOR 2), 'hex') FROM media", logger: TestPostgres.logger)
                    for try await row in rows.decode((Int64, String).self) { found.append(row) }
                    if !found.isEmpty { return found }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return []
            }
            #expect(photos.count == 1 && photos.first?.1 == "ffd8" && (photos.first?.0 ?? 0) > 2_048, "\(photos)")
            #expect(await replay.terminal.stop() == 0, "gps808 stops when interrupted")
            // gps808 gone: refused (exit 1, saying what to do), or queued with a time to live.
            var offline = try await send(["locate"])
            for _ in 0..<20 where offline.status == 0 {
                try await Task.sleep(for: .milliseconds(200))
                offline = try await send(["locate", "--timeout", "1"])
            }
            #expect(offline.status == 1 && offline.err.contains("ttlSeconds"), "\(offline)")
            let queued = try await send(["attributes", "--ttl", "60"])
            #expect(queued.status == 0 && queued.out.contains(#""state":"queued""#), "\(queued)")
            #expect(try await send(["selfDestruct"]).status != 0)

            let points = try await replay.stored()
            // gpsd streams only to connected clients: the first fixes may go by before gps808 is
            // (it is a race: docs/GPSD.md, "Replaying a drive with gpsfake"). From the first stored
            // fix on, none may be missing.
            #expect(points.count >= fixes.count - 25 && points.count <= fixes.count, "\(points.count) of \(fixes.count) fixes stored")
            Self.expectTrack(points, matches: fixes, shift: replay.shift)
            // The server was up: only fixes read before gps808 had authenticated wait for the
            // connection, and go up as its first 0x0704 batch.
            let backfilled = points.prefix { $0.backfill }
            #expect(backfilled.count <= 10 && points.dropFirst(backfilled.count).allSatisfy { !$0.backfill }, "\(backfilled.count) backfilled")
            // The odometer (extra 0x01) only grows, and ends near the drive's 18.0 km.
            let mileage = points.compactMap(\.mileage)
            #expect(mileage.count == points.count && zip(mileage, mileage.dropFirst()).allSatisfy { $0 <= $1 })
            #expect((170...185).contains(mileage.last ?? 0), "odometer \(mileage.last ?? 0) hm")
            #expect(try await Self.quarantined(replay.url) == 0)

            // The stored track as the operator sees it: a summary, and the map.
            let svg = replay.state.path + ".svg"
            let from = Date(timeIntervalSince1970: TimeInterval(fixes[0].time + replay.shift - 60)), to = Date()
            let track = try await Fleetd.run([
                "track", "--plate", Self.plate, "--from", ISO8601DateFormatter().string(from: from), "--to", ISO8601DateFormatter().string(from: to),
                "--svg", svg, "--database-url", replay.url.urlWithPassword,
            ])
            #expect(track.status == 0 && track.out.hasPrefix("\(Self.plate): \(points.count) positions, 1"), "\(track)")
            let map = try String(contentsOfFile: svg, encoding: .utf8)
            #expect(map.hasPrefix("<?xml") && map.contains("<polyline") && map.contains(Self.plate))
        }
    }

    /// The server goes away mid-drive; the drive ends while it is away, and gps808 is killed and
    /// started again: once the server is back, the stored reports go up from the blind zone.
    @Test func aServerOutageMidDriveIsBackfilledAfterARestartOfGps808() async throws {
        try await Self.withReplay { replay in
            let fixes = replay.fixes
            // A third of the drive live, then the server goes away until the replay is over.
            let deadline = ContinuousClock.now + .seconds(60)
            while try await replay.stored().count < fixes.count / 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(await replay.server.stop() == 0, "fleetd stops when interrupted")
            let beforeOutage = try await replay.stored().count
            #expect(beforeOutage < fixes.count * 2 / 3, "the outage came too late to test anything")
            for _ in 0..<600 where replay.fake.isRunning { try await Task.sleep(for: .milliseconds(200)) }
            #expect(!replay.fake.isRunning, "gpsfake did not finish its log within 2 minutes")

            // Killed without warning, started again: the journal on disk is all that carries over.
            #expect(await replay.terminal.stop(SIGKILL) != nil)
            try replay.startTerminal()
            try await replay.startServer()
            try await replay.waitUntilStored(moreThan: beforeOutage)
            #expect(await replay.terminal.stop() == 0, "gps808 stops when interrupted")

            let points = try await replay.stored()
            #expect(points.count >= fixes.count - 25 && points.count > beforeOutage, "\(points.count) of \(fixes.count) fixes stored")
            Self.expectTrack(points, matches: fixes, shift: replay.shift)
            let backfilled = points.filter(\.backfill)
            #expect(backfilled.count >= fixes.count - beforeOutage - 40, "\(backfilled.count) backfilled after \(beforeOutage) live")
            // Backfilled reports are the ones after the live ones: blind zone first, nothing re-sent.
            // (The first batch may be the fixes read before the first authentication.)
            let afterLive = points.drop(while: { $0.backfill }).drop(while: { !$0.backfill })
            #expect(afterLive.allSatisfy { $0.backfill })
            #expect(try await Self.quarantined(replay.url) == 0, "a report was sent twice with different content")
            #expect(replay.log.contains("from the blind zone first"), "\(replay.log.suffix(2000))")
        }
    }

    @Test func badCommandLinesAreExplained() async throws {
        let phone = try await Fleetd.run(["terminal", "bind", "--phone", "13x", "--plate", "浙B1", "--terminal-id", "T1"])
        #expect(phone.status != 0 && phone.err.contains("--phone must be 1 to 12 digits"), "\(phone)")
        let time = try await Fleetd.run(["track", "--plate", "浙B1", "--from", "yesterday", "--database-url", "postgres://nobody@127.0.0.1:1/none"])
        #expect(time.status != 0 && time.err.contains("ISO 8601"), "\(time)")
        let profile = try await Fleetd.run(["terminal", "bind", "--phone", "13", "--plate", "浙B1", "--terminal-id", "T1", "--device-profile", "../x"])
        #expect(profile.status != 0 && profile.err.contains("--device-profile must be a profile's name"), "\(profile)")
        try await TestPostgres.withDatabase { client, url in
            let unknown = try await Fleetd.run(["track", "--plate", "浙Z99999", "--database-url", url.urlWithPassword])
            #expect(unknown.status != 0 && unknown.err.contains("fleetd terminal bind"), "\(unknown)")
            // A terminal bound with its device profile keeps it when bound again without one.
            for extra in [["--device-profile", "huabao-ev"], []] {
                let bind = try await Fleetd.run(
                    ["terminal", "bind", "--phone", "013900000077", "--plate", "浙BD00077", "--terminal-id", "0000077", "--database-url", url.urlWithPassword]
                        + extra)
                #expect(bind.status == 0, "\(bind)")
                let rows = try await client.query("SELECT device_profile FROM terminals WHERE phone = '013900000077'", logger: TestPostgres.logger)
                var names: [String?] = []
                for try await name in rows.decode(String?.self) { names.append(name) }
                #expect(names == ["huabao-ev"])
            }
        }
        let gps808 = try await ChildOutput.run(builtProduct("gps808"), ["--phone", "12345678901234", "--plate", "浙B1"])
        let message = gps808.err
        #expect(gps808.status != 0 && message.contains("--phone must be 1 to 12 digits"), "\(message)")
    }
}
