import ArgumentParser
import Dispatching
import Domain
import Drawing
import FleetServer
import Foundation
import HTTPAPI
import JT808
import Logging
import Metrics
import PostgresNIO
import Prometheus
import Store
import TerminalSimulator

@main
struct Fleetd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleetd",
        abstract: "Fleet: an electric official-trip car fleet, from GNSS terminals to monthly statements.",
        subcommands: [Serve.self, Demo.self, Migrate.self, Decode.self, Simulate.self, Terminal.self, Track.self, User.self]
    )
}

/// Where the database is: shared by the commands that need one.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (postgres://user:pass@host:port/db?sslmode=...). Default: $DATABASE_URL, else a private cluster in --data-dir.")
    var databaseURL: String?

    @Option(help: "Folder for the private PostgreSQL cluster and other state. Default: $FLEET_DATA_DIR or .fleet")
    var dataDir: String?

    /// Every setting, these options and the environment's, checked (README, "Configuration").
    func fleetConfiguration(roles: String? = nil) throws -> FleetConfiguration {
        try FleetConfiguration(databaseURL: databaseURL, dataDirectory: dataDir, roles: roles)
    }
}

/// The process's logger; with `.json`, every log line of the process as a JSON object (swift-log
/// takes one backend per process, so this is called once).
func makeLogger(_ configuration: FleetConfiguration) -> Logger {
    makeLogger(configuration.logLevel, format: configuration.logFormat)
}

func makeLogger(_ level: Logger.Level, format: LogFormat = .text) -> Logger {
    if format == .json { LoggingSystem.bootstrap { JSONLogHandler(label: $0) } }
    var logger = Logger(label: "fleetd")
    logger.logLevel = level
    return logger
}

/// The process's metrics backend, Prometheus, into the registry the server's endpoint serves.
/// swift-metrics takes one backend per process, so the executable chooses it, once.
func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the fleet server until SIGTERM or SIGINT.",
        discussion: """
            Each role may run in its own processes (docs/OPERATIONS.md): any number of gateways and APIs, and the dispatch and \
            maintenance duties led by one process at a time, another taking over within seconds of its end.
            """)
    @OptionGroup var database: DatabaseOptions

    @Option(help: "The roles this process runs, separated by commas: gateway, api, dispatch, maintenance. Default: $FLEET_ROLES, else all four.")
    var roles: String?

    func run() async throws {
        let configuration = try database.fleetConfiguration(roles: roles)
        let logger = makeLogger(configuration)
        let server = FleetServer(configuration: configuration, clock: SystemClock(), metrics: bootstrapMetrics(), logger: logger)
        try await server.run()
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server on its own private database with a simulated fleet, nothing to configure.")
    @Option(help: "Folder for the demo's private database. Default: .fleet")
    var dataDir: String?

    @Option(help: "Simulated vehicles reporting every 10 s around Ningbo.")
    var vehicles = 20

    func run() async throws {
        // The demo never touches a configured database: it always runs its own.
        let configuration = try FleetConfiguration.demo(dataDirectory: dataDir)
        let logger = makeLogger(configuration)
        let server = FleetServer(configuration: configuration, clock: SystemClock(), metrics: bootstrapMetrics(), logger: logger)
        try await server.run(demoFleet: vehicles)
    }
}

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive simulated terminals against a JT/T 808 server and report what was acknowledged.",
        discussion:
            "The terminals must be known to the server: pass --database-url to provision them (vehicles 浙BD00001…, terminals 013900000001…) in its database first."
    )
    @Option(help: "Number of terminals.") var terminals = 20
    @Option(help: "Seconds between two reports of one terminal.") var interval = 10
    @Option(help: "Reports per second from all the terminals together (instead of --interval); above one a second per terminal, their GNSS clocks run ahead.")
    var rate: Double?
    @Option(help: "Gateway host.") var host = "127.0.0.1"
    @Option(help: "Gateway port.") var port = 6808
    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).") var duration: Int?
    @Option(help: "Provision the simulated vehicles and terminals in this database first.") var databaseURL: String?

    func run() async throws {
        let logger = makeLogger(try FleetConfiguration.logLevel())
        if let rate, !(rate > 0) { throw ValidationError("--rate must be a positive number of reports per second") }
        let reportInterval: Duration = rate.map { .nanoseconds(Int64(Double(terminals) / $0 * 1e9)) } ?? .seconds(interval)
        let fleet = FleetSimulator(count: terminals, reportInterval: reportInterval)
        if let databaseURL { try await FleetServer.provision(fleet, databaseURL: databaseURL, logger: logger) }
        let statistics = SimulationStatistics()
        print("simulating \(terminals) terminals against \(host):\(port), a report every \(reportInterval) each...")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await fleet.run(host: host, port: port, clock: SystemClock(), statistics: statistics, logger: logger) }
            group.addTask {
                let end = duration.map { ContinuousClock.now.advanced(by: .seconds($0)) }
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    let s = statistics.snapshot
                    print("sent \(s.sent), acknowledged \(s.acknowledged), retransmitted \(s.retransmitted), connections \(s.connections)")
                    if let end, ContinuousClock.now >= end { return }
                }
            }
            await group.next()
            group.cancelAll()
        }
        let s = statistics.snapshot
        print("done: sent \(s.sent), acknowledged \(s.acknowledged), retransmitted \(s.retransmitted)")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the Sql/ migrations that are missing, each once, in order.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try database.fleetConfiguration()
        try await FleetServer.migrateOnly(configuration, logger: makeLogger(configuration))
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode JT/T 808 frames given in hex into one JSON object per line.",
        discussion: "Frames starting with 7e are taken as sent on the wire (escaped); without delimiters, as unescaped content. Exits 1 if any frame failed."
    )

    @Option(help: "One frame in hex (spaces ignored).")
    var hex: String?

    @Option(help: "A file with one hex frame per line ('-' for standard input).")
    var file: String?

    @Option(help: "Device profile name (a file in DeviceProfiles/ without .json).")
    var profile: String?

    @Option(help: "Device profiles folder. Default: $FLEET_DEVICE_PROFILES, ./DeviceProfiles, or the installed share/fleet/DeviceProfiles.")
    var profiles: String?

    func validate() throws {
        guard (hex == nil) != (file == nil) else { throw ValidationError("give exactly one of --hex or --file") }
    }

    func run() throws {
        var deviceProfile: DeviceProfile?
        if let name = profile {
            guard let dir = try profiles.map({ URL(fileURLWithPath: $0) }) ?? FleetConfiguration.deviceProfilesDirectory() else {
                throw ValidationError("no DeviceProfiles folder found; pass --profiles DIR")
            }
            let catalog = try ResourceDirectory.deviceProfileCatalog(at: dir)
            guard let found = catalog[name] else {
                throw ValidationError("no profile named \(name) in \(dir.path); known: \(catalog.profiles.keys.sorted().joined(separator: ", "))")
            }
            deviceProfile = found
        }
        var lines: [String] = []
        if let hex { lines = [hex] }
        if let file {
            // Read through a file handle, not String(contentsOfFile:): that refuses what is not a
            // regular file, and `--file /dev/stdin` on a pipe must work like `-`.
            let handle = file == "-" ? FileHandle.standardInput : try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
            let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
        }
        var session = DecodeSession(profile: deviceProfile)
        var failed = false
        for line in lines {
            let result = session.decode(hex: line)
            print(result.json)
            failed = failed || !result.ok
        }
        if failed { throw ExitCode(1) }
    }
}

struct Terminal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the terminals the gateway accepts, and send them commands.",
        subcommands: [Bind.self, Send.self]
    )

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a command to a vehicle's terminal through the database, to whichever gateway it is connected to, and print its answer.",
            discussion: """
                COMMAND is one of \(TerminalCommandKind.allCases.map(\.rawValue).joined(separator: ", ")). The answer is printed as JSON \
                (docs/JT808-JSON.md); a command queued for a terminal offline (--ttl) prints its id and state. Exits 1 when the \
                command is refused (a terminal offline without --ttl, a bad value) or not answered in time. On the audit trail \
                with the shell's user as its actor.
                """
        )
        @Argument(help: "What to ask: locate, queryParameters, setParameters, tracking, text, attributes, photo, confirmAlarm.") var command: String
        @Option(help: "The vehicle's plate.") var plate: String
        @Option(help: "Seconds to queue the command for a terminal offline (0: refuse it). Default 0.") var ttl: Int?
        @Option(help: "Seconds the terminal has to answer. Default 30.") var timeout: Int?
        @Option(help: "queryParameters: a parameter id to ask for (repeat it), e.g. 0x0029; none: all.") var parameterID: [String] = []
        @Option(help: "setParameters: name=value (repeat it), names as the API's TerminalSettingsRequest, e.g. reportIntervalSeconds=10.")
        var set: [String] = []
        @Option(help: "tracking: seconds between reports.") var interval: Int?
        @Option(help: "tracking: seconds to keep tracking.") var validity: Int?
        @Option(help: "text: what to show the driver.") var text: String?
        @Flag(help: "text: speak it (TTS).") var tts = false
        @Flag(help: "text: mark it urgent.") var urgent = false
        @Option(help: "photo: the camera's channel. Default 1.") var channel: Int?
        @Option(help: "confirmAlarm: the serial of the report that raised the alarms. Default 0: every report.") var alarmSerial: Int?
        @Option(help: "confirmAlarm: the alarm bits to confirm, e.g. 0x1 (emergency) or 0x8 (danger warning).") var alarms: String?
        @OptionGroup var database: DatabaseOptions

        func request() throws -> TerminalCommandRequest {
            guard let kind = TerminalCommandKind(rawValue: command) else {
                throw ValidationError("COMMAND must be one of \(TerminalCommandKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let ids = try parameterID.map { try Self.number($0, "--parameter-id", example: "0x0029 or 41") }
            let alarmBits = try alarms.map { try Self.number($0, "--alarms", example: "0x1 or 1") }
            var settings: [String: Any] = [:]
            for pair in set {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                let names = TerminalSettingsRequest.integers.map(\.name) + ["serverAddress"]
                guard parts.count == 2, names.contains(parts[0]) else {
                    throw ValidationError("--set takes name=value, the name one of \(names.joined(separator: ", "))")
                }
                if parts[0] == "serverAddress" {
                    settings[parts[0]] = parts[1]
                } else {
                    guard let value = Int(parts[1]) else { throw ValidationError("--set \(parts[0]) takes a whole number") }
                    settings[parts[0]] = value
                }
            }
            return TerminalCommandRequest(
                command: kind, ttlSeconds: ttl, timeoutSeconds: timeout, parameterIDs: ids.isEmpty ? nil : ids,
                settings: settings.isEmpty
                    ? nil : try JSONDecoder().decode(TerminalSettingsRequest.self, from: JSONSerialization.data(withJSONObject: settings)),
                intervalSeconds: interval, validitySeconds: validity, text: text, tts: tts ? true : nil, urgent: urgent ? true : nil, channel: channel,
                alarmSerial: alarmSerial, alarms: alarmBits)
        }

        func validate() throws { _ = try request() }

        /// A number in decimal or in hex with 0x, as the standard writes ids and bits.
        static func number(_ text: String, _ option: String, example: String) throws -> Int {
            guard let value = text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text) else {
                throw ValidationError("\(option) must be a number, e.g. \(example)")
            }
            return value
        }

        func run() async throws {
            let configuration = try database.fleetConfiguration()
            let logger = makeLogger(configuration)
            let (request, plate) = (try request(), plate)
            let actor = "shell:" + (getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())")
            let outcome: TerminalCommandService.Outcome
            do {
                outcome = try await FleetServer.withDatabase(configuration, logger: logger) { client, _ in
                    try await TerminalCommandService(client: client, logger: logger).send(request, plate: plate, userID: nil, requestedBy: actor) { id in
                        AuditLine(
                            userID: nil, action: "terminal-command", resource: "command:\(id)",
                            fields: ["plate": plate, "command": request.command.rawValue, "actor": actor, "by": "fleetd terminal send"])
                    }
                }
            } catch let refused as Refused {
                throw Self.failure("refused: \(refused.field) must be \(refused.expected)")
            } catch let conflict as Conflict {
                throw Self.failure("refused: \(conflict.detail) (here: --ttl SECONDS)")
            } catch is NoSuchRecord {
                throw Self.failure("refused: no vehicle with plate \(plate)")
            }
            switch outcome {
            case .answered(let record):
                print(Self.json(record))
                // 1 failure, 2 bad message, 3 unsupported: a script must not read success.
                if let code = record.resultCode, code != 0 { throw Self.failure("the terminal answered result \(code): not done") }
            case .queued(let record):
                print(Self.json(record))
            case .unanswered(let record):
                print(Self.json(record))
                throw Self.failure(record.failure ?? "no answer within \(request.timeout) s")
            }
        }

        /// Says why on standard error; fleetd exits 1.
        static func failure(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("fleetd terminal send: \(message)\n".utf8))
            return .failure
        }

        /// The command's id, state and result, and the answer as the terminal's JSON.
        static func json(_ record: TerminalCommandRecord) -> String {
            "{\"id\":\(record.id),\"state\":\"\(record.state.rawValue)\"" + (record.resultCode.map { ",\"resultCode\":\($0)" } ?? "")
                + (record.answer.map { ",\"answer\":\($0)" } ?? "") + "}"
        }
    }

    struct Bind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bind a terminal (its phone number and terminal ID) to a vehicle (its plate), creating the vehicle if it is new.",
            discussion: """
                A terminal may register once it is bound, and only with this terminal ID and the vehicle's plate (or VIN): \
                knowing the phone number is not enough. Binding it to another plate moves it; binding another terminal ID \
                (a replaced device) makes the new one register afresh.
                """
        )
        @Option(help: "The terminal's phone number (JT/T 808 id), e.g. 013912345678.") var phone: String
        @Option(help: "The vehicle's plate, e.g. 浙B12345D.") var plate: String
        @Option(help: "The terminal ID it registers with (0x0100; on its label or in its settings), e.g. 2345678.") var terminalID: String
        @Option(help: "The device profile its frames are read by (a file in DeviceProfiles/ without .json), e.g. huabao-ev.") var deviceProfile: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard TerminalPhone(digits: phone, version: .v2013) != nil else { throw ValidationError("--phone must be 1 to 12 digits, e.g. 013912345678") }
            guard !plate.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--plate must not be empty") }
            guard (1...30).contains(terminalID.count), terminalID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw ValidationError("--terminal-id must be 1 to 30 letters and digits, e.g. 2345678")
            }
            if let name = deviceProfile, !(1...64).contains(name.count) || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                throw ValidationError("--device-profile must be a profile's name, letters, digits and hyphens, e.g. huabao-ev")
            }
        }

        func run() async throws {
            let configuration = try database.fleetConfiguration()
            let logger = makeLogger(configuration)
            let phone = TerminalPhone(digits: phone, version: .v2013)!.description
            try await FleetServer.withDatabase(configuration, logger: logger) { client, _ in
                try await PostgresTerminalRegistry(client: client, logger: logger).bind(
                    phone: phone, plate: plate, terminalID: terminalID, deviceProfile: deviceProfile)
            }
            print("terminal \(phone) bound to \(plate)")
        }
    }
}

struct Track: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A vehicle's stored track for a time range: a summary, and optionally a map as SVG."
    )
    @Option(help: "The vehicle's plate.") var plate: String
    @Option(help: "Start, ISO 8601 (e.g. 2026-11-22T08:00:00+08:00). Default: 24 hours before --to.") var from: String?
    @Option(help: "End, ISO 8601. Default: now.") var to: String?
    @Option(help: "At most one point per this many seconds.") var thin: Int?
    @Option(help: "Write the track as an SVG map to this file.") var svg: String?
    @OptionGroup var database: DatabaseOptions

    static func parse(_ text: String, _ option: String) throws -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else {
            throw ValidationError("\(option) must be an ISO 8601 time with its offset, e.g. 2026-11-22T08:00:00+08:00")
        }
        return date
    }

    func run() async throws {
        let end = try to.map { try Self.parse($0, "--to") } ?? Date()
        let start = try from.map { try Self.parse($0, "--from") } ?? end.addingTimeInterval(-86_400)
        guard start <= end else { throw ValidationError("--from must not be after --to") }
        let configuration = try database.fleetConfiguration()
        let logger = makeLogger(configuration)
        let (plate, thin) = (plate, thin)
        let track = try await FleetServer.withDatabase(configuration, logger: logger) { client, url -> [PositionRecord] in
            let queries = PositionQueries(client: client, database: url, logger: logger)
            guard let vehicle = try await queries.vehicleID(plate: plate) else {
                throw ValidationError("no vehicle with plate \(plate); bind its terminal first (fleetd terminal bind)")
            }
            return try await queries.track(
                vehicleID: vehicle, from: Int64(start.timeIntervalSince1970), to: Int64(end.timeIntervalSince1970), thinnedTo: thin
            )
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        let span = "\(formatter.string(from: start)) - \(formatter.string(from: end))"
        let kilometres = TrackDistance.meters(track) / 1000
        print("\(plate): \(track.count) positions, \(String(format: "%.1f", kilometres)) km, \(span)")
        if let svg {
            let subtitle = "\(track.count) positions, \(String(format: "%.1f", kilometres)) km, \(span)"
            try TrackSVG.render(track, title: plate, subtitle: subtitle).write(toFile: svg, atomically: true, encoding: .utf8)
            print("map written to \(svg)")
        }
    }
}

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the HTTP API's users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user; the password is read from standard input (one line), and stored as bcrypt.",
            discussion: "The first administrator comes from here; administrators create the others with POST /api/v1/users."
        )
        @Option(help: "Sign-in name, 3 to 64 characters.") var username: String
        @Option(help: "administrator, dispatcher, agency, approver, driver or auditor.") var role: String
        @Option(help: "The agency's name, for an agency user or approver (created if new).") var agency: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            let length = AccountRules.usernameLength
            guard length.contains(username.count) else { throw ValidationError("--username must be \(length.lowerBound) to \(length.upperBound) characters") }
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard AccountRules.agencyMatches(role: role, hasAgency: agency != nil) else {
                throw ValidationError("an agency user or approver needs --agency, and only they have one")
            }
        }

        func run() async throws {
            let configuration = try database.fleetConfiguration()
            guard let password = readLine(strippingNewline: true) else {
                throw ValidationError("give the password on standard input (e.g. printf '%s\\n' \"$PASSWORD\" | fleetd user add ...)")
            }
            // The API's policy: at least 12 characters, not the username, not a common password.
            if let problem = AccountRules.passwordProblem(password, username: username) { throw ValidationError("password refused: it must be \(problem)") }
            let logger = makeLogger(configuration)
            let (username, role, agency) = (username, role, agency)
            let hash = await PasswordHash.hash(password)
            let user = try await FleetServer.withDatabase(configuration, logger: logger) { client, _ -> Accounts.User in
                let accounts = Accounts(client: client, logger: logger)
                var agencyID: Int64?
                if let agency { agencyID = try await accounts.createAgency(name: agency) }
                let user = try await accounts.createUser(username: username, passwordHash: hash, role: role, agencyID: agencyID)
                try await accounts.audit(userID: nil, action: "user-create", resource: "user:\(user.id)", detail: #"{"by": "fleetd user add"}"#)
                return user
            }
            print("user \(user.username) (\(user.role)) created with id \(user.id)")
        }
    }
}
