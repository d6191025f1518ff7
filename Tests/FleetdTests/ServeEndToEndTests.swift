import EmbeddedPostgres
import Foundation
import JT808
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import Store
import TerminalTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `fleetd serve` as a process, a terminal over TCP, PostgreSQL underneath: nothing mocked.
@Suite struct ServeEndToEndTests {
    @Test func aReportFromATerminalLandsInPostgreSQLBeforeItsAck() async throws {
        try await TestPostgres.withDatabase { client, url in
            let logger = TestPostgres.logger
            try await client.query("INSERT INTO vehicles (plate) VALUES ('浙B12345D')", logger: logger)
            // Bound with the terminal ID it registers with, as `fleetd terminal bind --terminal-id` records it.
            try await client.query("INSERT INTO terminals (phone, vehicle_id, terminal_id) SELECT '013912345678', id, 'T7' FROM vehicles", logger: logger)

            let port = try EmbeddedPostgres.freePort()
            let metricsPort = try EmbeddedPostgres.freePort()
            let server = try Fleetd.serve(url, gatewayPort: port, metricsPort: metricsPort)
            defer { server.killIfRunning() }
            try await Fleetd.waitUntilListening(port)

            let position = LocationReport(
                status: [.accOn, .positioned], latitudeMicrodegrees: 29_868_336, longitudeMicrodegrees: 121_543_990, speed: 452, course: 90,
                time: DeviceTime(epochSeconds: Int64(Date().timeIntervalSince1970) - 60)
            )
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal("13912345678")
                try await send(
                    terminal.frame(
                        .registration(
                            Registration(province: 33, city: 200, manufacturer: "70111", model: "M1", terminalID: "T7", plateColor: 5, plate: "浙B12345D"))))
                guard case .registrationResponse(let registered)? = try await receive(), let code = registered.authCode else {
                    Issue.record("registration refused")
                    return
                }
                try await send(terminal.frame(.authentication(Authentication(authCode: code))))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0102, result: .success)))
                try await send(terminal.frame(.location(position)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0200, result: .success)))
            }
            // Acknowledged means committed: the row is there.
            let rows = try await client.query(
                "SELECT lat_e6, extract(epoch FROM gnss_time)::int8 FROM positions p JOIN terminals t ON t.id = p.terminal_id WHERE t.phone = '013912345678'",
                logger: logger
            )
            var found: [(Int32, Int64)] = []
            for try await row in rows.decode((Int32, Int64).self) { found.append(row) }
            #expect(found.count == 1 && found.first?.0 == 29_868_336 && found.first?.1 == position.time.epochSeconds)

            // The metrics endpoint counts what happened.
            let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
            let metrics = String(decoding: body, as: UTF8.self)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(metrics.contains(#"fleet_gateway_frames_total{msg_id="0x0200"} 1"#), "\(metrics)")
            #expect(metrics.contains("fleet_ingest_positions_written_total 1"))

            // fleetd's work runs as the app role (Sql/0015_records.sql), not as the owner.
            var roles: Set<String> = []
            let sessions = try await client.query(
                """
                SELECT usename::text FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename IS NOT NULL
                """, logger: logger)
            for try await name in sessions.decode(String.self) { roles.insert(name) }
            #expect(roles.contains("fleet_app"), "\(roles)")

            #expect(await server.stop() == 0, "fleetd stops when interrupted")
        }
    }

    /// Issue 14, attack 1, against `fleetd serve` on PostgreSQL: a stranger with the vehicle's
    /// phone number and another terminal ID registers five times while the genuine terminal is
    /// online, then while it is not, guesses a code; the genuine terminal's code keeps working;
    /// its report dated 2099 with the collision bit is no event and not its latest position.
    @Test func theTakeoverOfIssue14FailsAgainstTheServer() async throws {
        try await TestPostgres.withDatabase { client, url in
            let logger = TestPostgres.logger
            let bind = try await Fleetd.run([
                "terminal", "bind", "--phone", "013912345678", "--plate", "浙B12345D", "--terminal-id", "T7", "--database-url", url.urlWithPassword,
            ])
            #expect(bind.status == 0, "\(bind)")
            let port = try EmbeddedPostgres.freePort(), metricsPort = try EmbeddedPostgres.freePort()
            let server = try Fleetd.serve(url, gatewayPort: port, metricsPort: metricsPort)
            defer { server.killIfRunning() }
            try await Fleetd.waitUntilListening(port)
            func registration(_ terminalID: String) -> Message {
                .registration(
                    Registration(province: 33, city: 200, manufacturer: "70111", model: "M1", terminalID: terminalID, plateColor: 5, plate: "浙B12345D"))
            }
            func authCode() async throws -> String? {
                for try await code in try await client.query("SELECT auth_code FROM terminals WHERE phone = '013912345678'", logger: logger).decode(
                    String?.self)
                {
                    return code
                }
                return nil
            }
            var code = ""
            try await withTerminalConnection(port: port) { sendGenuine, receiveGenuine in
                var genuine = TestTerminal("13912345678")
                try await sendGenuine(genuine.frame(registration("T7")))
                guard case .registrationResponse(let registered)? = try await receiveGenuine(), let issued = registered.authCode else {
                    Issue.record("the genuine terminal was refused")
                    return
                }
                code = issued
                try await sendGenuine(genuine.frame(.authentication(Authentication(authCode: code))))
                #expect(try await receiveGenuine() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0102, result: .success)))
                try await withTerminalConnection(port: port) { send, receive in
                    var stranger = TestTerminal("13912345678")
                    var five = ByteBuffer()
                    for _ in 0..<5 { five.writeImmutableBuffer(stranger.frame(registration("EVIL"))) }
                    try await send(five)
                    for serial: UInt16 in 0..<3 {
                        #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: serial, result: .terminalAlreadyRegistered)))
                    }
                }
            }
            try await withTerminalConnection(port: port) { send, receive in
                var stranger = TestTerminal("13912345678")
                try await send(stranger.frame(registration("EVIL")))
                #expect(try await receive() == .registrationResponse(RegistrationResponse(replySerial: 0, result: .terminalUnknown)))
                try await send(stranger.frame(.authentication(Authentication(authCode: "0000000000000000"))))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0102, result: .failure)))
            }
            #expect(try await authCode() == code, "the genuine terminal's code is unchanged")
            let now = Int64(Date().timeIntervalSince1970)
            try await withTerminalConnection(port: port) { send, receive in
                var genuine = TestTerminal("13912345678")
                try await send(genuine.frame(.authentication(Authentication(authCode: code))))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 0, replyID: 0x0102, result: .success)))
                let forged = LocationReport(
                    alarm: .collisionWarning, status: [.accOn, .positioned], latitudeMicrodegrees: 39_904_200, longitudeMicrodegrees: 116_407_400,
                    time: DeviceTime(year: 2099, month: 12, day: 31, hour: 8, minute: 0, second: 0)
                )
                try await send(genuine.frame(.location(forged)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 1, replyID: 0x0200, result: .success)))
                let real = LocationReport(
                    status: [.accOn, .positioned], latitudeMicrodegrees: 29_868_336, longitudeMicrodegrees: 121_543_990,
                    time: DeviceTime(epochSeconds: now - 30)
                )
                try await send(genuine.frame(.location(real)))
                #expect(try await receive() == .platformResponse(GeneralResponse(replySerial: 2, replyID: 0x0200, result: .success)))
            }
            func count(_ query: PostgresQuery) async throws -> Int {
                for try await n in try await client.query(query, logger: logger).decode(Int.self) { return n }
                return -1
            }
            #expect(try await count("SELECT count(*)::int8 FROM events") == 0, "no collision event")
            #expect(try await count("SELECT count(*)::int8 FROM positions") == 1)
            #expect(try await count("SELECT count(*)::int8 FROM positions_quarantine WHERE gnss_time > '2099-01-01'") == 1)
            // The latest position (flushed every second) is the real report: the 2099 one would
            // have won, being newer.
            var latest: Int?
            for _ in 0..<100 where latest == nil {
                for try await t in try await client.query("SELECT extract(epoch FROM gnss_time)::int8 FROM latest_positions", logger: logger).decode(Int.self) {
                    latest = t
                }
                if latest == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(latest == Int(now - 30))
            let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
            let metrics = String(decoding: body, as: UTF8.self)
            #expect(metrics.contains(#"fleet_gateway_refused_attempts_total{reason="registration_3"} 3"#), "\(metrics)")
            #expect(metrics.contains(#"fleet_gateway_refused_attempts_total{reason="registration_4"} 1"#))
            #expect(metrics.contains(#"fleet_gateway_refused_attempts_total{reason="authentication"} 1"#))
            #expect(await server.stop() == 0, "fleetd stops when interrupted")
        }
    }
}

/// `fleetd simulate` against `fleetd serve`: what the simulator says was acknowledged is stored.
@Suite struct SimulateEndToEndTests {
    @Test func aFleetAtAFixedRateIsStoredExactlyAsAcknowledged() async throws {
        try await TestPostgres.withDatabase { client, url in
            let port = try EmbeddedPostgres.freePort()
            let server = try Fleetd.serve(url, gatewayPort: port)
            defer { server.killIfRunning() }
            try await Fleetd.waitUntilListening(port)
            // 5 terminals, 20 reports a second together: 4 a second each, faster than GNSS
            // seconds, so their clocks run ahead and no second repeats.
            let run = try await Fleetd.run([
                "simulate", "--terminals", "5", "--rate", "20", "--duration", "4", "--port", "\(port)", "--database-url", url.urlWithPassword,
            ])
            #expect(run.status == 0, "\(run.err)")
            let done = try #require(run.out.split(separator: "\n").last { $0.hasPrefix("done:") })
            let numbers = done.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let acknowledged = numbers[1]
            #expect(acknowledged >= 40, "\(done)")
            var counts: [Int] = []
            for query: PostgresQuery in [
                "SELECT count(*)::int8 FROM positions", "SELECT count(*)::int8 FROM positions_quarantine",
                "SELECT count(DISTINCT terminal_id)::int8 FROM positions",
            ] {
                for try await n in try await client.query(query, logger: TestPostgres.logger).decode(Int.self) { counts.append(n) }
            }
            // Everything acknowledged is stored (a report sent just before the end may be stored
            // without its ack having been read), nothing quarantined.
            #expect(counts[0] >= acknowledged && counts[0] <= numbers[0], "\(done), stored \(counts[0])")
            #expect(counts[1] == 0 && counts[2] == 5)
            #expect(try await Fleetd.run(["simulate", "--rate", "0"]).err.contains("--rate must be a positive number"))
        }
    }
}

/// The first administrator from `fleetd user add`, signing in to `fleetd serve`'s HTTP API.
@Suite struct UserEndToEndTests {
    @Test func anAdministratorFromTheCommandLineSignsInOverHTTP() async throws {
        try await TestPostgres.withDatabase { _, url in
            let add = try await Fleetd.run(
                ["user", "add", "--username", "chief", "--role", "administrator", "--database-url", url.urlWithPassword], stdin: "correct horse battery\n")
            #expect(add.status == 0 && add.out.hasPrefix("user chief (administrator) created"), "\(add)")
            let short = try await Fleetd.run(
                ["user", "add", "--username", "other", "--role", "dispatcher", "--database-url", url.urlWithPassword], stdin: "short\n")
            #expect(short.status != 0 && short.err.contains("at least 12 characters"), "\(short)")
            let common = try await Fleetd.run(
                ["user", "add", "--username", "other", "--role", "dispatcher", "--database-url", url.urlWithPassword], stdin: "Password2026!\n"
            )
            #expect(common.status != 0 && common.err.contains("not a common password"), "\(common)")

            let gatewayPort = try EmbeddedPostgres.freePort(), httpPort = try EmbeddedPostgres.freePort()
            let server = try Fleetd.serve(url, gatewayPort: gatewayPort, httpPort: httpPort)
            defer { server.killIfRunning() }
            try await Fleetd.waitUntilListening(gatewayPort)
            var signIn = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)/api/v1/sessions")!)
            signIn.httpMethod = "POST"
            signIn.setValue("application/json", forHTTPHeaderField: "Content-Type")
            signIn.httpBody = Data(#"{"username": "chief", "password": "correct horse battery"}"#.utf8)
            let (body, response) = try await URLSession.shared.data(for: signIn)
            #expect((response as? HTTPURLResponse)?.statusCode == 201, "\(String(decoding: body, as: UTF8.self))")
            let token = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["token"] as? String)
            var me = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)/api/v1/me")!)
            me.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (meBody, _) = try await URLSession.shared.data(for: me)
            #expect(String(decoding: meBody, as: UTF8.self).contains(#""role":"administrator""#))
            #expect(await server.stop() == 0, "fleetd stops when interrupted")
        }
    }
}

/// `fleetd demo` as the README runs it: its own database, simulated cars, agencies booking, the
/// engine dispatching; watched through the API as its users would.
@Suite struct DemoEndToEndTests {
    static func json(_ port: Int, _ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> (status: Int, value: Any?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONSerialization.jsonObject(with: data))
    }

    static func signIn(_ port: Int, _ username: String, _ password: String) async throws -> String {
        let reply = try await json(port, "POST", "/api/v1/sessions", body: #"{"username": "\#(username)", "password": "\#(password)"}"#)
        return try #require((reply.value as? [String: Any])?["token"] as? String, "\(username): \(reply)")
    }

    @Test func theDemosBookingsAreDispatchedAndEachAgencySeesItsOwn() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let (gateway, http, metrics) = (try EmbeddedPostgres.freePort(), try EmbeddedPostgres.freePort(), try EmbeddedPostgres.freePort())
        let demo = Process()
        demo.executableURL = Fleetd.binary
        demo.arguments = ["demo", "--data-dir", dataDir.path, "--vehicles", "6"]
        demo.currentDirectoryURL = TestPostgres.repository
        demo.environment = ProcessInfo.processInfo.environment.merging([
            "FLEET_GATEWAY_HOST": "127.0.0.1", "FLEET_GATEWAY_PORT": "\(gateway)", "FLEET_METRICS_PORT": "\(metrics)", "FLEET_HTTP_PORT": "\(http)",
            "LOG_LEVEL": "notice",
        ]) { $1 }
        // The log says when the demo's users exist: signing in earlier would count as failures
        // and lock the username out.
        let log = dataDir.appendingPathExtension("log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        demo.standardOutput = FileHandle.nullDevice
        demo.standardError = try FileHandle(forWritingTo: log)
        try demo.run()
        defer { demo.killIfRunning() }
        for _ in 0..<600 where !(String(data: (try? Data(contentsOf: log)) ?? Data(), encoding: .utf8) ?? "").contains("demo accounts") {
            try await Task.sleep(for: .milliseconds(100))
        }
        // The password was generated for this data directory, printed once, and kept for its owner only.
        let passwordFile = dataDir.appendingPathComponent("demo-password")
        let password = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(password.count == 16 && password != "fleet-demo-password")
        #expect((try FileManager.default.attributesOfItem(atPath: passwordFile.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!(String(data: (try? Data(contentsOf: log)) ?? Data(), encoding: .utf8) ?? "").contains(password), "the password is in the log")
        let dispatcher = try await Self.signIn(http, "dispatcher", password)

        // The first booking arrives at once; the dispatcher confirms it and the engine matches
        // and notifies within a few rounds.
        var booking: [String: Any]?
        for _ in 0..<120 where booking == nil {
            try await Task.sleep(for: .milliseconds(500))
            let page = try await Self.json(http, "GET", "/api/v1/bookings?state=notified,enRoute,onSite,inService", token: dispatcher)
            booking = ((page.value as? [String: Any])?["items"] as? [[String: Any]])?.first
        }
        let served = try #require(booking, "no booking dispatched within a minute")
        let agencyID = try #require(served["agencyID"] as? Int), id = try #require(served["id"] as? Int)
        #expect(served["vehicleID"] is Int && served["driverID"] is Int)
        let states = (served["transitions"] as? [[String: Any]])?.compactMap { $0["state"] as? String }
        // The third agency's bookings wait for its approver first (the demo's approver approves).
        let afterApproval = states?.drop { $0 == "awaitingApproval" }.prefix(4)
        #expect(Array(afterApproval ?? []) == ["received", "confirmed", "matched", "notified"], "\(String(describing: states))")
        // Matched on charge its car reported: every car's battery comes through its device profile.
        let cars = try await Self.json(http, "GET", "/api/v1/vehicles", token: dispatcher).value as? [[String: Any]]
        let charges = cars?.compactMap { ($0["file"] as? [String: Any])?["stateOfCharge"] as? Int }
        #expect(charges?.count == 6 && charges?.allSatisfy { (0...100).contains($0) } == true, "\(String(describing: cars))")

        // The agency whose booking it is sees it; the others do not.
        for n in 1...3 {
            let token = try await Self.signIn(http, "agency\(n)", password)
            let me = try await Self.json(http, "GET", "/api/v1/me", token: token)
            let own = (me.value as? [String: Any])?["agencyID"] as? Int == agencyID
            #expect(try await Self.json(http, "GET", "/api/v1/bookings/\(id)", token: token).status == (own ? 200 : 404))
        }

        // The demo's past trips are settled: their sheets drawn up and signed by the agencies'
        // contacts. A sheet's agency pulls the month's statement with it; another agency cannot.
        var signed: [String: Any]?
        for _ in 0..<120 where signed == nil {
            try await Task.sleep(for: .milliseconds(500))
            signed = (try await Self.json(http, "GET", "/api/v1/settlements?state=confirmed", token: dispatcher).value as? [[String: Any]])?.first
        }
        let sheet = try #require(signed, "no settlement sheet signed within a minute")
        let facts = try #require(sheet["facts"] as? [String: Any])
        let sheetAgency = try #require(facts["agencyID"] as? Int)
        let month = String(try #require(sheet["confirmedAt"] as? String).prefix(7))
        for n in 1...3 {
            let token = try await Self.signIn(http, "agency\(n)", password)
            let me = try await Self.json(http, "GET", "/api/v1/me", token: token)
            let own = (me.value as? [String: Any])?["agencyID"] as? Int == sheetAgency
            let statement = try await Self.json(http, "GET", "/api/v1/agencies/\(sheetAgency)/statements?month=\(month)", token: token)
            #expect(statement.status == (own ? 200 : 404))
            if own {
                let ids = ((statement.value as? [String: Any])?["sheets"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }
                #expect(ids?.contains(sheet["id"] as? Int ?? -1) == true, "\(String(describing: statement.value))")
            }
        }
        #expect(await demo.stop() == 0, "fleetd stops when interrupted")
    }
}
