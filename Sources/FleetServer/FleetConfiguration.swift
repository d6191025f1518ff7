import Billing
import Domain
import Foundation
import Gateway
import HTTPAPI
import Logging
import Messaging
import NIOCore
import Store

/// fleetd's settings, read once at start from its command line and its environment (README,
/// "Configuration"): the one place the process environment is read. Every value is checked
/// before anything starts, and every bad one is reported, by name, with what it got and what it
/// expects, all in one `ConfigurationProblems`.
///
/// The command line (fleetd's ArgumentParser options) gives what an operator types, the database
/// and the data folder, and wins over their variables; the rest comes from the environment, as
/// systemd's `EnvironmentFile=` or a container sets it. An empty variable counts as unset.
public struct FleetConfiguration: Sendable {
    /// The configured database's roles: the owner from `--database-url` / `DATABASE_URL`, the app
    /// role from `FLEET_APP_DATABASE_URL` or derived from the owner's (DatabaseRoles); nil runs a
    /// private cluster in `dataDirectory`.
    public var database: DatabaseRoles?
    /// Where the private cluster and the demo's state live (`--data-dir` / `FLEET_DATA_DIR`, `.fleet`).
    public var dataDirectory: URL
    /// The migrations (`FLEET_SQL_DIR`, else `./Sql` or the installed `share/fleet/Sql`); nil when none is found.
    public var sqlDirectory: URL?
    /// The device profiles (`FLEET_DEVICE_PROFILES`, else `./DeviceProfiles` or the installed copy).
    public var deviceProfilesDirectory: URL?
    /// How long positions are kept (`FLEET_RETENTION_DAYS`, at least 180) and how many day
    /// partitions one run may drop (`FLEET_RETENTION_MAX_DROP_DAYS`).
    public var retention = PositionRetention()
    /// The JT/T 808 listener and its limits (`FLEET_GATEWAY_*`).
    public var gateway = GatewayServer.Configuration()
    /// Prometheus metrics at http://HOST:PORT/metrics (`FLEET_METRICS_HOST`, `FLEET_METRICS_PORT`).
    public var metricsHost = "127.0.0.1"
    public var metricsPort = 9808
    /// The HTTP API (`FLEET_HTTP_HOST`, `FLEET_HTTP_PORT`): loopback, as outside the box it belongs
    /// behind a TLS-terminating proxy.
    public var httpHost = "127.0.0.1"
    public var httpPort = 8808
    /// The API's requests from loopback come through HAProxy, which names the client in
    /// X-Forwarded-For (`FLEET_TRUST_PROXY`): the sign-in throttle and the audit count clients.
    public var trustsProxy = false
    /// Dispatch's rules, with the fatigue limits of `FLEET_MAX_CONTINUOUS_DRIVING_MINUTES` and
    /// `FLEET_MAX_DAILY_DRIVING_MINUTES`: labour rules and platforms differ.
    public var dispatchRules = DispatchRules()
    /// The contract's total for its whole term in fen (`FLEET_CONTRACT_TOTAL_FEN`), of which the
    /// monthly assessment pays a 36th times its coefficient.
    public var contractTotalFen: Int64 = 0
    /// The terminals' reporting interval while moving (`FLEET_REPORT_INTERVAL_SECONDS`): the
    /// tracks' completeness is measured against it.
    public var reportIntervalSeconds = 30
    /// VAT rates by line kind (`FLEET_VAT_RATES`).
    public var vatRates = VATRates.transportService
    /// An API session unused this long ends (`FLEET_SESSION_IDLE_MINUTES`), besides its 12 h expiry.
    public var sessionIdleMinutes = 30
    /// How far a track in service may stray from its agreed route before the dispatcher and the
    /// agency are told (`FLEET_ROUTE_CORRIDOR_METRES`): roads and detours differ by region.
    public var routeCorridorMetres = RouteCorridor.defaultWidthMetres
    /// The terminal alarms that replace a crew on its way or in service
    /// (`FLEET_REPLACING_ALARMS`, `AlarmKind` names): by default collision and rollover.
    public var replacingAlarms = AlarmKind.replacingByDefault
    /// The SMS provider's webhook (`FLEET_SMS_URL`, `FLEET_SMS_SECRET`, `FLEET_SMS_SIGN`,
    /// `FLEET_SMS_CA_FILE`); nil: none, and notices go by the live stream.
    public var sms: SMSWebhook.Configuration?
    /// The SMTP server the agency's notices are e-mailed through, to a contact who gave an
    /// address (`FLEET_SMTP_HOST`, `FLEET_SMTP_PORT`, `FLEET_SMTP_FROM`, `FLEET_SMTP_USER`,
    /// `FLEET_SMTP_PASSWORD`, `FLEET_SMTP_STARTTLS`, `FLEET_SMTP_CA_FILE`); nil: no e-mail channel.
    public var smtp: SMTPMail.Configuration?
    /// When undelivered notices are tried again (`FLEET_NOTICE_RETRY_SECONDS`, doubling) and how
    /// many times (`FLEET_NOTICE_ATTEMPTS`) before the dispatcher is alerted.
    public var noticeRetry = NoticeRetry()
    /// The browser console (`FLEET_WEB_DIR`, default `Web/` found as `Sql/` is; `FLEET_LEAFLET_DIR`,
    /// default Debian's) and its map's tiles (`FLEET_MAP_TILES` a URL template, `FLEET_MAP_CRS`
    /// wgs84 or gcj02, `FLEET_MAP_ATTRIBUTION`, `FLEET_MAP_SUBDOMAINS`; unset: the console draws
    /// its own base, no tile server needed).
    public var console = ConsoleConfiguration()
    /// `LOG_LEVEL`.
    public var logLevel = Logger.Level.info
    /// Logs as text, or as one JSON object a line for a log collector (`FLEET_LOG_FORMAT=json`).
    public var logFormat = LogFormat.text
    /// The parts of the fleet this process runs (`--roles` / `FLEET_ROLES`, separated by commas;
    /// all four by default): any number of processes may run the gateway and the API, and the
    /// dispatch and maintenance duties go to one of those running them at a time.
    public var roles = Set(ServerRole.allCases)

    /// The settings of `fleetd serve` and of the commands that open the database: the options
    /// given on the command line (nil when not), the rest from `environment`.
    public init(
        databaseURL: String?, dataDirectory: String?, roles: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationProblems) {
        try self.init(databaseURL: databaseURL, dataDirectory: dataDirectory, roles: roles, readsDatabaseVariables: true, environment: environment)
    }

    /// The demo's settings: as `init`'s, but always on a private cluster, whatever
    /// `DATABASE_URL` and `FLEET_APP_DATABASE_URL` say (they are not even read).
    public static func demo(
        dataDirectory: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationProblems) -> FleetConfiguration {
        try FleetConfiguration(databaseURL: nil, dataDirectory: dataDirectory, roles: nil, readsDatabaseVariables: false, environment: environment)
    }

    private init(
        databaseURL option: String?, dataDirectory: String?, roles: String?, readsDatabaseVariables: Bool, environment: [String: String]
    ) throws(ConfigurationProblems) {
        var settings = EnvironmentSettings(environment)
        // The demo is the whole fleet in one process, whatever FLEET_ROLES says.
        if readsDatabaseVariables { self.roles = settings.roles(option: roles) }
        if readsDatabaseVariables { database = settings.databaseRoles(option: option) }
        let directory = dataDirectory.flatMap { $0.isEmpty ? nil : $0 } ?? settings.text("FLEET_DATA_DIR") ?? ".fleet"
        self.dataDirectory = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardized
        sqlDirectory = settings.folder("FLEET_SQL_DIR", holding: "the migrations (Sql/)", otherwise: ResourceDirectory.find("Sql"))
        deviceProfilesDirectory = settings.deviceProfilesDirectory()
        let minimumDays = PositionRetention.minimumRetentionDays
        retention = PositionRetention(
            retentionDays: settings.integer(
                "FLEET_RETENTION_DAYS", in: minimumDays...36_500, default: retention.retentionDays,
                expected: "whole days, \(minimumDays) to 36500: positions must be kept at least \(minimumDays) days"
            ),
            maximumDropDays: settings.integer(
                "FLEET_RETENTION_MAX_DROP_DAYS", in: 0...36_500, default: retention.maximumDropDays, expected: "day partitions, 0 to 36500"
            )
        )
        gateway.host = settings.text("FLEET_GATEWAY_HOST") ?? gateway.host
        gateway.port = settings.port("FLEET_GATEWAY_PORT", default: gateway.port)
        gateway.maximumConnectionsPerAddress = settings.integer(
            "FLEET_GATEWAY_MAX_PER_ADDRESS", in: 1...1_000_000, default: gateway.maximumConnectionsPerAddress, expected: "connections, 1 to 1000000"
        )
        gateway.authenticationTimeout = .seconds(
            settings.integer(
                "FLEET_GATEWAY_AUTH_TIMEOUT_SECONDS", in: 1...3600, default: gateway.authenticationTimeout.nanoseconds / 1_000_000_000,
                expected: "seconds, 1 to 3600"
            ))
        gateway.attemptLimits.failuresPerAddress = settings.integer(
            "FLEET_GATEWAY_MAX_FAILURES_PER_ADDRESS", in: 1...1_000_000, default: gateway.attemptLimits.failuresPerAddress,
            expected: "failed attempts, 1 to 1000000"
        )
        console.webDirectory = settings.folder("FLEET_WEB_DIR", holding: "the console (Web/)", otherwise: ResourceDirectory.find("Web"))
        console.leafletDirectory =
            settings.folder("FLEET_LEAFLET_DIR", holding: "Leaflet (Debian's libjs-leaflet)", otherwise: console.leafletDirectory) ?? console.leafletDirectory
        console.tiles = settings.mapTiles()
        metricsHost = settings.text("FLEET_METRICS_HOST") ?? metricsHost
        metricsPort = settings.port("FLEET_METRICS_PORT", default: metricsPort)
        httpHost = settings.text("FLEET_HTTP_HOST") ?? httpHost
        httpPort = settings.port("FLEET_HTTP_PORT", default: httpPort)
        trustsProxy = settings.value("FLEET_TRUST_PROXY", default: false, expected: "true or false") { ["true": true, "false": false][$0.lowercased()] }
        dispatchRules.maximumContinuousDriving =
            60
            * settings.integer(
                "FLEET_MAX_CONTINUOUS_DRIVING_MINUTES", in: 1...1440, default: dispatchRules.maximumContinuousDriving / 60, expected: "minutes, 1 to 1440"
            )
        dispatchRules.maximumDailyDriving =
            60
            * settings.integer(
                "FLEET_MAX_DAILY_DRIVING_MINUTES", in: 1...1440, default: dispatchRules.maximumDailyDriving / 60, expected: "minutes, 1 to 1440"
            )
        contractTotalFen = settings.integer(
            "FLEET_CONTRACT_TOTAL_FEN", in: 0...Int64.max, default: contractTotalFen, expected: "an amount in fen (1 yuan is 100), 0 or more"
        )
        reportIntervalSeconds = settings.integer(
            "FLEET_REPORT_INTERVAL_SECONDS", in: 1...86_400, default: reportIntervalSeconds, expected: "seconds, 1 to 86400"
        )
        vatRates = settings.value("FLEET_VAT_RATES", default: vatRates) { text throws(VATRates.InvalidRates) in try VATRates(parsing: text) }
        sessionIdleMinutes = settings.integer("FLEET_SESSION_IDLE_MINUTES", in: 1...720, default: sessionIdleMinutes, expected: "minutes, 1 to 720")
        routeCorridorMetres = settings.integer(
            "FLEET_ROUTE_CORRIDOR_METRES", in: 100...100_000, default: routeCorridorMetres, expected: "metres, 100 to 100000")
        replacingAlarms = settings.value(
            "FLEET_REPLACING_ALARMS", default: replacingAlarms, expected: "alarm names separated by commas (JT/T 808 table 24, e.g. collisionWarning)"
        ) { text in
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return names.allSatisfy { AlarmKind.named($0) != nil } ? Set(names) : nil
        }
        sms = settings.smsWebhook()
        smtp = settings.smtpServer()
        noticeRetry = NoticeRetry(
            firstDelay: settings.integer("FLEET_NOTICE_RETRY_SECONDS", in: 1...3600, default: noticeRetry.firstDelay, expected: "seconds, 1 to 3600"),
            attempts: settings.integer("FLEET_NOTICE_ATTEMPTS", in: 1...20, default: noticeRetry.attempts, expected: "attempts, 1 to 20"))
        logLevel = settings.logLevel()
        logFormat = settings.logFormat()
        try settings.finish()
    }

    /// `LOG_LEVEL` alone, for the commands that need no other setting.
    public static func logLevel(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationProblems) -> Logger.Level {
        var settings = EnvironmentSettings(environment)
        let level = settings.logLevel()
        try settings.finish()
        return level
    }

    /// `FLEET_DEVICE_PROFILES` alone (else the folder found beside fleetd), for `fleetd decode`.
    public static func deviceProfilesDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationProblems) -> URL? {
        var settings = EnvironmentSettings(environment)
        let directory = settings.deviceProfilesDirectory()
        try settings.finish()
        return directory
    }
}

/// A part of the fleet a process runs.
public enum ServerRole: String, Sendable, CaseIterable, Comparable {
    /// Terminals' connections (JT/T 808), their reports and the commands to them.
    case gateway
    /// The HTTP API, the console and the live stream.
    case api
    /// Matching rounds, SLA clocks, arrivals, notices: one leader at a time.
    case dispatch
    /// Partitions and retention, the finished days, billing's sweep: one leader at a time.
    case maintenance

    public static func < (a: ServerRole, b: ServerRole) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// How fleetd writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// A setting fleetd cannot start with.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// The variable or the option, e.g. `FLEET_HTTP_PORT` or `--database-url`.
    public var setting: String
    /// What it was given; nil when it is not to be repeated (a database URL may hold a password).
    public var value: String?
    /// What it takes.
    public var expected: String

    /// A huge value is cut: the operator needs to see which one, not all of it again.
    public var description: String {
        let shown = value.map { $0.count > 120 ? "=\($0.prefix(120))… (\($0.count) characters)" : "=\($0)" }
        return "\(setting)\(shown ?? "") refused: \(expected)"
    }
}

/// Every bad setting at once, so that one restart fixes them all.
public struct ConfigurationProblems: Error, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    public var description: String {
        let count = problems.count == 1 ? "a setting" : "\(problems.count) settings"
        return "\(count) refused (README, Configuration):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Reads variables from an environment, each checked, noting a problem for each bad one rather
/// than stopping at the first.
private struct EnvironmentSettings {
    let environment: [String: String]
    var problems: [ConfigurationProblem] = []

    init(_ environment: [String: String]) { self.environment = environment }

    /// The variable's value; nil when unset or empty.
    func text(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

    /// The variable as `parse` reads it, `fallback` when unset; a problem, saying what `parse`
    /// threw, when it cannot.
    mutating func value<Value, Failure: Error>(_ name: String, default fallback: Value, parse: (String) throws(Failure) -> Value) -> Value {
        guard let text = text(name) else { return fallback }
        do {
            return try parse(text)
        } catch {
            problems.append(ConfigurationProblem(setting: name, value: text, expected: "\(error)"))
            return fallback
        }
    }

    /// The variable as `parse` reads it, `fallback` when unset; a problem saying `expected` when
    /// `parse` cannot.
    mutating func value<Value>(_ name: String, default fallback: Value, expected: String, parse: (String) -> Value?) -> Value {
        value(name, default: fallback) { text throws(Expectation) in
            guard let value = parse(text) else { throw Expectation(description: expected) }
            return value
        }
    }

    /// What a setting takes, said when it was given something else.
    struct Expectation: Error, CustomStringConvertible {
        var description: String
    }

    /// The variable as a whole number in `range`, `fallback` when unset.
    mutating func integer<Number: FixedWidthInteger>(
        _ name: String, in range: ClosedRange<Number>, default fallback: Number, expected: String
    ) -> Number {
        value(name, default: fallback, expected: expected) { Number($0).flatMap { range.contains($0) ? $0 : nil } }
    }

    /// A TCP port to listen on.
    mutating func port(_ name: String, default fallback: Int) -> Int {
        integer(name, in: 1...65_535, default: fallback, expected: "a TCP port, 1 to 65535")
    }

    /// The folder the variable names, which must exist; `otherwise` when unset.
    mutating func folder(_ name: String, holding contents: String, otherwise: URL?) -> URL? {
        guard let path = text(name) else { return otherwise }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            problems.append(ConfigurationProblem(setting: name, value: path, expected: "an existing folder with \(contents)"))
            return otherwise
        }
        return URL(fileURLWithPath: path)
    }

    /// The console's tile server, if `FLEET_MAP_TILES` is set: an http(s) template with {z}, {x}
    /// and {y}, in the datum `FLEET_MAP_CRS` names (required: a wrong datum puts every car
    /// hundreds of metres off its road).
    mutating func mapTiles() -> MapTiles? {
        guard text("FLEET_MAP_TILES") != nil else { return nil }
        let url = value(
            "FLEET_MAP_TILES", default: String?.none, expected: "an http(s) URL template with {z}, {x} and {y}, e.g. https://t{s}.example.cn/{z}/{x}/{y}.png"
        ) {
            text -> String?? in
            ["{z}", "{x}", "{y}"].allSatisfy(text.contains) && MapTiles(url: text, crs: .wgs84).imageSource != nil ? .some(text) : nil
        }
        guard let crsText = text("FLEET_MAP_CRS") else {
            problems.append(ConfigurationProblem(setting: "FLEET_MAP_CRS", expected: "wgs84 or gcj02: the datum of FLEET_MAP_TILES's tiles"))
            return nil
        }
        guard let url, let crs = MapTiles.CoordinateSystem(rawValue: crsText) else {
            if url != nil { problems.append(ConfigurationProblem(setting: "FLEET_MAP_CRS", value: crsText, expected: "wgs84 or gcj02")) }
            return nil
        }
        return MapTiles(url: url, crs: crs, attribution: text("FLEET_MAP_ATTRIBUTION"), subdomains: text("FLEET_MAP_SUBDOMAINS"))
    }

    mutating func deviceProfilesDirectory() -> URL? {
        folder("FLEET_DEVICE_PROFILES", holding: "the device profiles (DeviceProfiles/)", otherwise: ResourceDirectory.find("DeviceProfiles"))
    }

    /// The SMS provider's webhook, if `FLEET_SMS_URL` is set: with its secret, over https (the
    /// texts carry phone numbers and names; plain http only to this machine, as the demo's
    /// provider); the secret is never repeated.
    mutating func smsWebhook() -> SMSWebhook.Configuration? {
        let secret = text("FLEET_SMS_SECRET")
        guard text("FLEET_SMS_URL") != nil else {
            if secret != nil { problems.append(ConfigurationProblem(setting: "FLEET_SMS_SECRET", expected: "set only with FLEET_SMS_URL")) }
            return nil
        }
        let url = value("FLEET_SMS_URL", default: URL?.none, expected: "an https URL (http only to 127.0.0.1 or localhost)") { text -> URL?? in
            guard let url = URL(string: text), let host = url.host,
                url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host))
            else { return nil }
            return url
        }
        if secret == nil {
            problems.append(ConfigurationProblem(setting: "FLEET_SMS_SECRET", expected: "the HMAC-SHA256 secret shared with the provider of FLEET_SMS_URL"))
        }
        let trustRoots = text("FLEET_SMS_CA_FILE")
        if let trustRoots, !FileManager.default.isReadableFile(atPath: trustRoots) {
            problems.append(ConfigurationProblem(setting: "FLEET_SMS_CA_FILE", value: trustRoots, expected: "a readable PEM file of CA certificates"))
        }
        guard let url, let secret else { return nil }
        return SMSWebhook.Configuration(url: url, secret: secret, signName: text("FLEET_SMS_SIGN") ?? "公务用车", trustRoots: trustRoots)
    }

    /// The SMTP server, if `FLEET_SMTP_HOST` is set: with the sender's address, STARTTLS unless
    /// `FLEET_SMTP_STARTTLS=false`, credentials both or neither and never to be sent in the clear
    /// off this machine; the password is never repeated.
    mutating func smtpServer() -> SMTPMail.Configuration? {
        let dependent = ["FLEET_SMTP_PORT", "FLEET_SMTP_FROM", "FLEET_SMTP_USER", "FLEET_SMTP_PASSWORD", "FLEET_SMTP_STARTTLS", "FLEET_SMTP_CA_FILE"]
        guard let hostText = text("FLEET_SMTP_HOST") else {
            for name in dependent where text(name) != nil { problems.append(ConfigurationProblem(setting: name, expected: "set only with FLEET_SMTP_HOST")) }
            return nil
        }
        let host = value("FLEET_SMTP_HOST", default: String?.none, expected: "a host name or an address, without scheme, port or spaces") { text -> String?? in
            guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && !"/@:".unicodeScalars.contains($0) }) || SMTPMail.isLoopback(text)
            else { return nil }
            return text
        }
        let port = self.port("FLEET_SMTP_PORT", default: 587)
        let from = value("FLEET_SMTP_FROM", default: String?.none, expected: "an e-mail address, the notices' sender") { text -> String?? in
            guard EmailAddress.isPlausible(text) else { return nil }
            return text
        }
        if text("FLEET_SMTP_FROM") == nil {
            problems.append(ConfigurationProblem(setting: "FLEET_SMTP_FROM", expected: "the notices' sender address, with FLEET_SMTP_HOST"))
        }
        let startTLS = value("FLEET_SMTP_STARTTLS", default: true, expected: "true or false") { ["true": true, "false": false][$0.lowercased()] }
        let (user, password) = (text("FLEET_SMTP_USER"), text("FLEET_SMTP_PASSWORD"))
        if (user == nil) != (password == nil) {
            problems.append(
                ConfigurationProblem(
                    setting: user == nil ? "FLEET_SMTP_PASSWORD" : "FLEET_SMTP_USER", expected: "FLEET_SMTP_USER and FLEET_SMTP_PASSWORD together"))
        } else if user != nil, !startTLS, !SMTPMail.isLoopback(hostText) {
            problems.append(
                ConfigurationProblem(
                    setting: "FLEET_SMTP_STARTTLS", value: "false",
                    expected: "true with FLEET_SMTP_USER: credentials are not sent in the clear off this machine"))
        }
        let trustRoots = text("FLEET_SMTP_CA_FILE")
        if let trustRoots, !FileManager.default.isReadableFile(atPath: trustRoots) {
            problems.append(ConfigurationProblem(setting: "FLEET_SMTP_CA_FILE", value: trustRoots, expected: "a readable PEM file of CA certificates"))
        }
        guard let host, let from else { return nil }
        return SMTPMail.Configuration(host: host, port: port, from: from, user: user, password: password, startTLS: startTLS, trustRoots: trustRoots)
    }

    mutating func logFormat() -> LogFormat {
        value("FLEET_LOG_FORMAT", default: .text, expected: LogFormat.allCases.map(\.rawValue).joined(separator: " or ")) { LogFormat(rawValue: $0) }
    }

    /// `--roles` if given, else `FLEET_ROLES`: role names separated by commas, at least one.
    mutating func roles(option: String?) -> Set<ServerRole> {
        let everything = Set(ServerRole.allCases)
        let expected = "roles separated by commas, of \(ServerRole.allCases.map(\.rawValue).joined(separator: ", "))"
        let parse = { (text: String) -> Set<ServerRole>? in
            let roles = text.split(separator: ",", omittingEmptySubsequences: false).map { ServerRole(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
            return roles.contains(nil) ? nil : Set(roles.compactMap { $0 })
        }
        guard let option else { return value("FLEET_ROLES", default: everything, expected: expected, parse: parse) }
        guard let roles = parse(option) else {
            problems.append(ConfigurationProblem(setting: "--roles", value: option, expected: expected))
            return everything
        }
        return roles
    }

    mutating func logLevel() -> Logger.Level {
        value("LOG_LEVEL", default: .info, expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) { Logger.Level(rawValue: $0) }
    }

    /// The configured database's roles; nil when none is configured (a private cluster). Neither
    /// URL is repeated in a problem: it may hold a password.
    mutating func databaseRoles(option: String?) -> DatabaseRoles? {
        let given = option.flatMap { $0.isEmpty ? nil : $0 }
        let ownerSetting = given == nil ? "DATABASE_URL" : "--database-url"
        let appText = text("FLEET_APP_DATABASE_URL")
        guard let ownerText = given ?? text("DATABASE_URL") else {
            if appText != nil {
                problems.append(
                    ConfigurationProblem(
                        setting: "FLEET_APP_DATABASE_URL", expected: "set only with DATABASE_URL or --database-url: the private cluster's roles are fleetd's"
                    ))
            }
            return nil
        }
        // Both parsed before giving up, so that both are reported; a URL that did not parse is.
        let owner = databaseURL(ownerText, setting: ownerSetting)
        let app = appText.flatMap { databaseURL($0, setting: "FLEET_APP_DATABASE_URL") }
        guard let owner, (app == nil) == (appText == nil) else { return nil }
        do {
            return try DatabaseRoles(owner: owner, app: app)
        } catch {
            problems.append(ConfigurationProblem(setting: ownerSetting, expected: "\(error)"))
            return nil
        }
    }

    private mutating func databaseURL(_ text: String, setting: String) -> DatabaseURL? {
        do {
            return try DatabaseURL(text)
        } catch {
            problems.append(ConfigurationProblem(setting: setting, expected: "\(error)"))
            return nil
        }
    }

    /// Throws every problem noted, if any.
    func finish() throws(ConfigurationProblems) {
        if !problems.isEmpty { throw ConfigurationProblems(problems: problems) }
    }
}
