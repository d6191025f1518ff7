import Domain
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import PostgresTestSupport
import Store
import Synchronization
import Testing

/// Issue 14, attack 5 ("open database") and the records: the private PostgreSQL asks everyone
/// for its password, fleetd's role cannot change the audit trail or the settlement lines (nor can
/// the owner truncate them), and an action's audit line is written in the action's transaction.
@Suite struct RecordsRoleTests {
    let logger = TestPostgres.logger

    /// PostgreSQL's SQLSTATE and message of a refused statement; nil when it was not refused.
    static func refusal(_ client: PostgresClient, _ sql: String) async -> (state: String, message: String)? {
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
            return nil
        } catch let error as PSQLError {
            return (error.serverInfo?[.sqlState] ?? "?", error.serverInfo?[.message] ?? "\(error)")
        } catch {
            return ("?", "\(error)")
        }
    }

    @Test func theAppRoleCannotChangeRemoveOrTruncateTheRecords() async throws {
        try await TestPostgres.withDatabase { owner, url in
            try await Accounts(client: owner, logger: logger).audit(userID: nil, action: "sign-in", resource: "user:chief")
            try await TestPostgres.withClient(try TestPostgres.app(url)) { app in
                for sql in [
                    "UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                    "UPDATE settlement_lines SET amount_fen = 0", "DELETE FROM settlement_lines", "TRUNCATE settlement_lines",
                    // Nor around the triggers, nor its own tables, nor the schema's history.
                    "ALTER TABLE audit_log DISABLE TRIGGER USER", "DROP TRIGGER audit_log_unchangeable ON audit_log", "CREATE TABLE forged (id int)",
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'forged', 'x')",
                ] {
                    let refused = await Self.refusal(app, sql)
                    #expect(refused?.state == "42501", "\(sql): \(String(describing: refused))")
                }
                // What it is there for still works: adding to the trail and reading it.
                let accounts = Accounts(client: app, logger: logger)
                try await accounts.audit(userID: nil, action: "track-read", resource: "vehicle:1")
                #expect(try await accounts.auditTrail().map(\.action) == ["track-read", "sign-in"])
            }
        }
    }

    @Test func evenTheOwnerCannotChangeTheAuditTrailOrTruncateTheRecords() async throws {
        try await TestPostgres.withDatabase { owner, _ in
            try await Accounts(client: owner, logger: logger).audit(userID: nil, action: "sign-in", resource: "user:chief")
            for sql in ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
                let refused = await Self.refusal(owner, sql)
                #expect(refused?.message.contains("append-only") == true, "\(sql): \(String(describing: refused))")
            }
            for sql in ["TRUNCATE settlement_lines", "TRUNCATE settlement_sheets CASCADE"] {
                let refused = await Self.refusal(owner, sql)
                #expect(refused?.message.contains("never changed or removed") == true, "\(sql): \(String(describing: refused))")
            }
            // Through the users they point at, too.
            #expect(await Self.refusal(owner, "TRUNCATE users CASCADE") != nil)
            #expect(try await Accounts(client: owner, logger: logger).auditTrail().count == 1)
        }
    }

    @Test func anAuditLineStandsOrFallsWithItsWrite() async throws {
        try await TestPostgres.withDatabase { owner, url in
            try await TestPostgres.withClient(try TestPostgres.app(url)) { app in
                let files = FleetFiles(client: app, logger: logger), accounts = Accounts(client: owner, logger: logger)
                let saved = try await files.saveVehicle(
                    VehicleFile(plate: "浙B00001D", vehicleClass: .sedan, seats: 5),
                    audit: { id in
                        AuditLine(userID: nil, action: "vehicle-save", resource: "vehicle:\(id)", fields: ["plate": "浙B00001D"])
                    })
                let vehicleID = try #require(saved.id)
                let trail = try await accounts.auditTrail()
                #expect(trail.count == 1 && trail.first?.resource == "vehicle:\(vehicleID)" && trail.first?.detail?.contains("浙B00001D") == true)

                // An audit line that cannot be written (its user does not exist) takes its write with it.
                let ghost = AuditLine(userID: 987_654, action: "inspection-add", resource: "vehicle:\(vehicleID)")
                let inspection = InspectionRecord(kind: .monthly, inspectedAt: Date(), passed: true)
                await #expect(throws: (any Error).self) { try await files.addInspection(vehicleID: vehicleID, inspection, audit: { _ in ghost }) }
                #expect(try await files.inspections(vehicleID: vehicleID).isEmpty)
                // A write that did nothing leaves no line.
                let finish = AuditLine(userID: nil, action: "maintenance-finish", resource: "vehicle:\(vehicleID)")
                #expect(try await files.finishMaintenance(id: 42, vehicleID: vehicleID, at: Date(), audit: finish) == false)
                let repair = try await files.addMaintenance(vehicleID: vehicleID, MaintenanceRecord(kind: .repair, startedAt: Date(), description: "brakes"))
                #expect(try await files.finishMaintenance(id: repair, vehicleID: vehicleID, at: Date(), audit: finish))
                #expect(try await accounts.auditTrail().map(\.action) == ["maintenance-finish", "vehicle-save"])
            }
        }
    }

    /// The writes that used to audit after the fact (accounts, sessions, customer care, terms,
    /// alarms, assessment incidents) now write their line in their own transaction: a refused
    /// write leaves none, and a line that cannot be written takes its write with it.
    @Test func accountsCareAndTermsAuditInTheWritesTransaction() async throws {
        try await TestPostgres.withDatabase { owner, url in
            try await TestPostgres.withClient(try TestPostgres.app(url)) { app in
                let accounts = Accounts(client: app, logger: logger), care = CustomerCare(client: app, logger: logger)
                let terms = BillingTerms(client: app, logger: logger)
                let line: (String) -> Audit<Int64> = { action in { id in AuditLine(userID: nil, action: action, resource: "agency:\(id)") } }
                let agency = try await accounts.saveAgency(name: "市财政局", contactName: "王", contactPhone: "13800000000", audit: line("agency-save"))
                #expect(try await accounts.agencies().first?.contactPhone == "13800000000")
                let user = try await accounts.createUser(username: "chief", passwordHash: "x", role: "dispatcher", agencyID: nil) { user in
                    AuditLine(userID: nil, action: "user-create", resource: "user:\(user.id)")
                }
                // Refused: the name is taken, the user unknown, the agency unknown. No line for any.
                await #expect(throws: Accounts.UsernameTaken.self) {
                    try await accounts.createUser(username: "chief", passwordHash: "x", role: "dispatcher", agencyID: nil) { _ in
                        AuditLine(userID: nil, action: "user-create-again", resource: "user:chief")
                    }
                }
                let nobody = try await accounts.setDisabled(userID: 987_654, true) { ended in
                    ended.map { _ in AuditLine(userID: nil, action: "user-disable", resource: "user:987654") }
                }
                #expect(nobody == nil)
                await #expect(throws: NoSuchRecord.self) {
                    try await terms.set(
                        .framework, agencyID: 987_654, by: nil, audit: AuditLine(userID: nil, action: "agreement-set", resource: "agency:987654"))
                }
                // Done: disabling ends the user's sessions in the same transaction, and says how many.
                try await accounts.storeToken(sha256: Array(repeating: 7, count: 32), userID: user.id, expiresAt: Date().addingTimeInterval(600))
                let ended = try await accounts.setDisabled(userID: user.id, true) { ended in
                    AuditLine(userID: nil, action: "user-disable", resource: "user:\(user.id)", fields: ["sessions": "\(ended ?? -1)"])
                }
                #expect(ended == 1)
                // A line that cannot be written (no such user) takes the complaint with it.
                let ghost: Audit<Int64> = { id in AuditLine(userID: 987_654, action: "complaint-file", resource: "complaint:\(id)") }
                await #expect(throws: (any Error).self) { try await care.file(agencyID: agency, bookingID: nil, text: "迟到", at: Date(), audit: ghost) }
                #expect(try await care.complaints(agencyID: agency).isEmpty)

                let trail = try await Accounts(client: owner, logger: logger).auditTrail()
                #expect(trail.map(\.action) == ["user-disable", "user-create", "agency-save"], "\(trail.map(\.action))")
                #expect(trail.first?.detail?.replacingOccurrences(of: " ", with: "") == #"{"sessions":"1"}"#)
            }
        }
    }
}

@Suite struct DatabaseURLTests {
    @Test func aHostBeyondThisMachineIsVerifiedUnlessPlainTextIsAskedFor() throws {
        #expect(try DatabaseURL("postgres://fleet:pw@db.example/fleet").sslMode == "verify-full")
        #expect(try DatabaseURL("postgres://fleet:pw@10.0.0.5:5433/fleet").sslMode == "verify-full")
        #expect(try DatabaseURL("postgres://fleet:pw@db.example/fleet?sslmode=disable").sslMode == "disable")
        #expect(try DatabaseURL("postgres://fleet:pw@db.example/fleet?sslmode=require").sslMode == "require")
        for local in ["127.0.0.1", "127.0.1.1", "localhost", "[::1]"] {
            #expect(try DatabaseURL("postgres://fleet:pw@\(local)/fleet").sslMode == "disable", "\(local)")
        }
        // Look-alikes of loopback are not loopback.
        for remote in ["127.0.0.1.example", "localhost.example", "1127.0.0.1"] {
            #expect(try DatabaseURL("postgres://fleet:pw@\(remote)/fleet").sslMode == "verify-full", "\(remote)")
        }
        let socket = try DatabaseURL("postgres://fleet:pw@/fleet?host=/run/postgresql")
        #expect(socket.sslMode == "disable" && socket.host == "/run/postgresql")
        #expect(try socket.clientConfiguration().unixSocketPath == "/run/postgresql/.s.PGSQL.5432")
    }

    @Test func noPasswordInADescriptionOrAnError() throws {
        let url = try DatabaseURL("postgres://fleet:Sekr3t%2Fpw@db.example:6543/fleet?sslrootcert=/etc/ca.pem")
        #expect(url.password == "Sekr3t/pw" && !url.description.contains("Sekr3t"))
        // The full URL, for a child process, says the same.
        let again = try DatabaseURL(url.urlWithPassword)
        #expect(again.password == url.password && again.host == url.host && again.port == 6543)
        #expect(again.sslMode == "verify-full" && again.sslRootCertificate == "/etc/ca.pem")
        let bad = [
            "mysql://fleet:Sekr3t@db/fleet", "postgres://fleet:Sekr3t@db/fleet?sslmode=bogus", "postgres://fleet:Sekr3t@/fleet",
            "postgres://fleet:Sekr3t@db:port/fleet",
        ]
        for bad in bad {
            #expect {
                try DatabaseURL(bad)
            } throws: { error in
                !"\(error)".contains("Sekr3t") && !String(reflecting: error).contains("Sekr3t")
            }
        }
    }

    @Test func theAppRolesPasswordIsDerivedFromTheOwnersUnlessGiven() throws {
        let owner = try DatabaseURL("postgres://fleet:owner-secret@db.example/fleet")
        let roles = try DatabaseRoles(owner: owner)
        #expect(roles.app.user == "fleet_app" && roles.app.host == "db.example" && roles.app.database == "fleet" && roles.app.sslMode == "verify-full")
        let password = try #require(roles.app.password)
        #expect(password.count == 64 && password != "owner-secret" && password.allSatisfy(\.isHexDigit))
        #expect(try DatabaseRoles(owner: owner).app.password == password)
        #expect(try DatabaseRoles(owner: try DatabaseURL("postgres://fleet:other@db.example/fleet")).app.password != password)
        let given = try DatabaseURL("postgres://web:chosen@db.example/fleet")
        #expect(try DatabaseRoles(owner: owner, app: given).app.password == "chosen")
        #expect(throws: MigrationError.self) { try DatabaseRoles(owner: try DatabaseURL("postgres://fleet@db.example/fleet")) }
    }
}

/// Log lines, kept for a test to read.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(lines: self) }
    }

    struct Handler: LogHandler {
        let lines: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            lines.lines.withLock { $0.append("\(event.message) \(all)") }
        }
    }
}

@Suite struct PrivatePostgresTests {
    func rules(_ running: EmbeddedPostgres.Running) throws -> [String] {
        let text = try String(contentsOf: running.dataDirectory.appendingPathComponent("pg_hba.conf"), encoding: .utf8)
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    func connects(_ url: DatabaseURL) async -> Bool {
        do {
            let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 1, logger: TestPostgres.logger)
            try await connection.close()
            return true
        } catch {
            return false
        }
    }

    func permissions(_ file: URL) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
    }

    func expectPasswordOnly(_ running: EmbeddedPostgres.Running) async throws {
        let secret = running.dataDirectory.appendingPathComponent(EmbeddedPostgres.passwordFile)
        #expect(try String(contentsOf: secret, encoding: .utf8) == running.password && running.password.count == 64)
        #expect(try permissions(secret) == 0o600)
        let rules = try rules(running)
        #expect(!rules.isEmpty && rules.allSatisfy { $0.hasSuffix("scram-sha-256") }, "\(rules)")
        let url = try DatabaseURL(running.url)
        #expect(await connects(url))
        var stranger = url
        stranger.password = nil
        #expect(await connects(stranger) == false)
        stranger.password = "guess"
        #expect(await connects(stranger) == false)
        // The socket, in the data folder, asks for the password too.
        var socket = try DatabaseURL("postgres://postgres@/postgres?host=\(running.dataDirectory.path)")
        socket.port = running.port
        #expect(await connects(socket) == false)
        socket.password = running.password
        #expect(await connects(socket))
        let settings = try await TestPostgres.withClient(url) { client in
            var settings: [String] = []
            for name in ["listen_addresses", "unix_socket_directories", "unix_socket_permissions"] {
                for try await value in try await client.query(PostgresQuery(unsafeSQL: "SHOW \(name)"), logger: TestPostgres.logger).decode(String.self) {
                    settings.append(value)
                }
            }
            return settings
        }
        #expect(settings == ["127.0.0.1", running.dataDirectory.path, "0700"])
    }

    @Test func aNewClusterAsksEveryoneForItsPasswordAndNeverLogsIt() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-private-\(UUID().uuidString.prefix(8))")
        let log = LogLines()
        let cluster = EmbeddedPostgres(configuration: .init(dataDirectory: dir, database: "fleet", settings: ["fsync": "off"]), logger: log.logger)
        let running = try cluster.start()
        defer { cluster.destroy() }
        try await expectPasswordOnly(running)
        #expect(!log.all.isEmpty && !log.all.contains { $0.contains(running.password) }, "\(log.all)")
    }

    @Test func aClusterOfAnEarlierVersionThatTrustedEveryoneGetsAPassword() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-trusting-\(UUID().uuidString.prefix(8))")
        let log = LogLines()
        let cluster = EmbeddedPostgres(configuration: .init(dataDirectory: dir, database: "fleet", settings: ["fsync": "off"]), logger: log.logger)
        let first = try cluster.start()
        defer { cluster.destroy() }
        try await TestPostgres.withClient(try DatabaseURL(first.url)) { client in
            try await client.query("CREATE TABLE kept (note text)", logger: TestPostgres.logger)
            try await client.query("INSERT INTO kept VALUES ('from before')", logger: TestPostgres.logger)
        }
        try cluster.stop()
        // What `initdb -A trust` and an earlier fleetd left: trust everywhere, no password kept.
        try Data("local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n".utf8)
            .write(to: dir.appendingPathComponent("pg_hba.conf"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent(EmbeddedPostgres.passwordFile))

        let upgraded = try cluster.start()
        #expect(upgraded.password != first.password)
        try await expectPasswordOnly(upgraded)
        let kept = try await TestPostgres.withClient(try DatabaseURL(upgraded.url)) { client in
            var notes: [String] = []
            for try await note in try await client.query("SELECT note FROM kept", logger: TestPostgres.logger).decode(String.self) { notes.append(note) }
            return notes
        }
        #expect(kept == ["from before"])
        #expect(log.all.contains { $0.contains("trust") } && !log.all.contains { $0.contains(upgraded.password) || $0.contains(first.password) })
    }
}
