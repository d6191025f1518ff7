import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import Store
import TerminalTestSupport
import Testing

/// An executable of this package, from the build products folder (the test bundle sits in it).
func builtProduct(_ name: String) -> URL {
    var dir = Bundle.main.bundleURL
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), dir.path != "/" {
        dir.deleteLastPathComponent()
    }
    return dir.appendingPathComponent(name)
}

/// The fleetd executable as users run it.
struct Fleetd {
    static let binary = builtProduct("fleetd")

    /// `fleetd` with `arguments` (and `stdin`), run to its end: up to 2 minutes.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> ChildOutput {
        try await ChildOutput.run(binary, arguments, stdin: stdin, directory: TestPostgres.repository, environment: environment)
    }
}

extension Fleetd {
    /// `fleetd serve` on `url`, its gateway (if it runs one) on loopback `gatewayPort`, with
    /// `roles` (all by default) and `environment` besides, quiet; the caller stops it.
    static func serve(
        _ url: DatabaseURL, gatewayPort: Int?, metricsPort: Int? = nil, httpPort: Int? = nil, roles: String? = nil, environment: [String: String] = [:]
    ) throws -> Process {
        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--database-url", url.urlWithPassword] + (roles.map { ["--roles", $0] } ?? [])
        server.currentDirectoryURL = TestPostgres.repository
        // Metrics on a port of their own: tests run servers side by side.
        var settings = [
            "FLEET_GATEWAY_HOST": "127.0.0.1", "FLEET_METRICS_PORT": "\(try metricsPort ?? EmbeddedPostgres.freePort())", "LOG_LEVEL": "error",
            "FLEET_HTTP_PORT": "\(try httpPort ?? EmbeddedPostgres.freePort())",
        ]
        if let gatewayPort { settings["FLEET_GATEWAY_PORT"] = "\(gatewayPort)" }
        server.environment = ProcessInfo.processInfo.environment.merging(settings.merging(environment) { $1 }) { $1 }
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        return server
    }

    /// Waits for a server (a gateway, gpsd) to accept connections (a cold start may take a while): up to 60 s.
    static func waitUntilListening(_ port: Int) async throws {
        for _ in 0..<600 {
            if (try? await withTerminalConnection(port: port) { _, _ in }) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("nothing listened on \(port) within 60 s")
    }
}

@Suite struct FleetdDecodeTests {
    @Test func decodesOneFrameToTheDocumentedJSON() async throws {
        let r = try await Fleetd.run(["decode", "--hex", "7e 0002 0000 0123 4567 8900 000a 81 7e"])
        #expect(r.status == 0)
        #expect(r.out == #"{"msgId":"0x0002","version":"2013","phone":"012345678900","serial":10,"encrypted":false,"body":{}}"# + "\n")
    }

    @Test func everyVectorLineIsJSONAndFailuresSetTheExitCode() async throws {
        let anchors = TestPostgres.repository.appendingPathComponent("Tests/JT808Tests/Vectors/anchors.json")
        struct File: Decodable { struct V: Decodable { let hex: String }; let vectors: [V] }
        let hexes = try JSONDecoder().decode(File.self, from: Data(contentsOf: anchors)).vectors.map(\.hex)
        let r = try await Fleetd.run(["decode", "--file", "-"], stdin: hexes.joined(separator: "\n"))
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == hexes.count)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msgId"] != nil || object?["error"] != nil, "\(line)")
        }
        // Some vectors are malformed on purpose: the command says so with its exit code.
        #expect(r.status == 1)
        #expect(lines.contains { $0.contains(#""code":"badChecksum""#) })
    }

    @Test func decodeReadsDevStdinFromAPipe() async throws {
        // Issue 17: `--file /dev/stdin` on a pipe was refused ("permission denied") while `-` worked.
        let good = "7e00020000012345678900000a817e"
        let badCheckCode = "7e00020000012345678900000a827e"
        let r = try await Fleetd.run(["decode", "--file", "/dev/stdin"], stdin: good + "\n" + badCheckCode + "\n")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == #"{"msgId":"0x0002","version":"2013","phone":"012345678900","serial":10,"encrypted":false,"body":{}}"#)
        #expect(lines.last?.contains(#""code":"badChecksum""#) == true)
        #expect(r.status == 1 && !r.err.contains("ermission"))
    }

    @Test func profilesDecodeVendorItems() async throws {
        let frame = "7e02000032000000000000022500000000000c0002000000000000000000710000014626061510572501040000006430011f31010ce10200722b04ab560000487e"
        let r = try await Fleetd.run(["decode", "--profile", "huabao", "--hex", frame])
        #expect(r.status == 0 && r.out.contains(#""0xE1":{"powerV":11.4}"#))
        let unknown = try await Fleetd.run(["decode", "--profile", "nope", "--hex", frame])
        #expect(unknown.status != 0 && unknown.err.contains("no profile named nope"))
    }

    @Test func usageErrorsSayWhatToDo() async throws {
        let r = try await Fleetd.run(["decode"])
        #expect(r.status != 0 && r.err.contains("give exactly one of --hex or --file"))
    }
}

@Suite struct FleetdMigrateTests {
    @Test func migrateAppliesTheSchemaToTheGivenDatabase() async throws {
        try await TestPostgres.withDatabase(migrated: false) { client, url in
            let r = try await Fleetd.run(["migrate", "--database-url", url.urlWithPassword])
            #expect(r.status == 0, "\(r.err)")
            // Its log names the database, never the password (its own or the app role's).
            let secrets = [try #require(url.password), try #require(try TestPostgres.app(url).password)]
            #expect(!(r.out + r.err).isEmpty && !secrets.contains { (r.out + r.err).contains($0) }, "\(r.err)")
            let applied = try await Migrator(client: client, logger: TestPostgres.logger).appliedVersions()
            let known = try Migration.load(directory: TestPostgres.repository.appendingPathComponent("Sql")).map(\.version)
            #expect(applied == known)
            // Running it again changes nothing and succeeds.
            #expect(try await Fleetd.run(["migrate", "--database-url", url.urlWithPassword]).status == 0)
        }
    }

    /// `FLEET_LOG_FORMAT=json`: every line on standard error one JSON object, for a collector.
    @Test func logsAreJSONLinesWhenAsked() async throws {
        try await TestPostgres.withDatabase(migrated: false) { _, url in
            let r = try await Fleetd.run(["migrate", "--database-url", url.urlWithPassword], environment: ["FLEET_LOG_FORMAT": "json"])
            #expect(r.status == 0, "\(r.err)")
            let lines = r.err.split(separator: "\n")
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            #expect(lines.count > 5 && objects.count == lines.count, "\(r.err)")
            let applied = objects.filter { $0["message"] == "applied migration" }
            #expect(applied.count > 20 && applied.allSatisfy { $0["level"] == "info" && $0["version"] != nil && $0["time"]?.hasSuffix("Z") == true })
        }
    }

    @Test func aBadDatabaseURLIsExplained() async throws {
        let r = try await Fleetd.run(["migrate", "--database-url", "mysql://nope"])
        #expect(r.status != 0 && r.err.contains("DATABASE_URL must look like postgres://"))
        // Refused, the password is not repeated.
        let refused = try await Fleetd.run(["migrate", "--database-url", "postgres://fleet:Sekr3t@db/fleet?sslmode=bogus"])
        #expect(refused.status != 0 && refused.err.contains("sslmode bogus") && !(refused.out + refused.err).contains("Sekr3t"), "\(refused)")
    }
}

@Suite struct FleetdConfigurationTests {
    /// A VAT rate nobody meant is refused before anything starts, saying what is expected.
    @Test func aMalformedVATRateStopsTheServerWithTheReason() async throws {
        let serve = try await Fleetd.run(["serve", "--database-url", "postgres://nobody@127.0.0.1:1/none"], environment: ["FLEET_VAT_RATES": "package=9%"])
        #expect(serve.status != 0 && serve.err.contains("FLEET_VAT_RATES") && serve.err.contains("kind=basisPoints"), "\(serve)")
    }

    /// Issue 15: every bad setting is reported at once, each by name with what it got and what
    /// it takes, and nothing starts: not even the private cluster's folder is made.
    @Test func everyBadSettingIsReportedAtOnceAndNothingStarts() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("fleetd-settings-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let serve = try await Fleetd.run(
            ["serve", "--data-dir", data.path],
            environment: [
                "DATABASE_URL": "", "FLEET_HTTP_PORT": "http", "FLEET_SESSION_IDLE_MINUTES": "0", "LOG_LEVEL": "verbose",
                "FLEET_APP_DATABASE_URL": "postgres://fleet_app:Sekr3t@db/fleet",
            ])
        #expect(serve.status != 0)
        #expect(serve.err.contains("4 settings refused"), "\(serve)")
        #expect(serve.err.contains("FLEET_HTTP_PORT=http refused: a TCP port, 1 to 65535"), "\(serve)")
        #expect(serve.err.contains("FLEET_SESSION_IDLE_MINUTES=0 refused: minutes, 1 to 720"), "\(serve)")
        #expect(serve.err.contains("LOG_LEVEL=verbose refused: trace, debug, info, notice, warning, error, critical"), "\(serve)")
        // A database URL is named, not repeated: it may hold a password.
        #expect(serve.err.contains("FLEET_APP_DATABASE_URL refused: set only with DATABASE_URL or --database-url"), "\(serve)")
        #expect(!(serve.out + serve.err).contains("Sekr3t"), "\(serve)")
        #expect(!FileManager.default.fileExists(atPath: data.path), "the private cluster was started")
    }

    /// Issue 14: a retention shorter than the 180 days tracks must be kept is refused at start.
    @Test func aShortRetentionStopsTheServerWithTheReason() async throws {
        let serve = try await Fleetd.run(["serve", "--database-url", "postgres://nobody@127.0.0.1:1/none"], environment: ["FLEET_RETENTION_DAYS": "30"])
        #expect(serve.status != 0 && serve.err.contains("FLEET_RETENTION_DAYS=30 refused") && serve.err.contains("at least 180 days"), "\(serve)")
    }
}
