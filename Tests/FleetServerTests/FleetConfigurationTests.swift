import Billing
import Domain
import FleetServer
import Foundation
import Gateway
import Logging
import Messaging
import NIOCore
import Store
import Testing

/// fleetd's settings as README "Configuration" lists them: their defaults, each variable read,
/// each bad value refused by name, all of them at once.
@Suite struct FleetConfigurationTests {
    @Test func withNothingSetTheDefaultsHold() throws {
        let configuration = try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:])
        #expect(configuration.database == nil)
        #expect(configuration.dataDirectory.lastPathComponent == ".fleet")
        #expect(configuration.retention.retentionDays == 180 && configuration.retention.maximumDropDays == 2)
        #expect(configuration.gateway.host == "0.0.0.0" && configuration.gateway.port == 6808)
        #expect(configuration.gateway.maximumConnectionsPerAddress == 2_000 && configuration.gateway.authenticationTimeout == .seconds(30))
        #expect(configuration.gateway.attemptLimits.failuresPerAddress == 100)
        #expect(configuration.metricsHost == "127.0.0.1" && configuration.metricsPort == 9808)
        #expect(configuration.httpHost == "127.0.0.1" && configuration.httpPort == 8808)
        #expect(configuration.dispatchRules.maximumContinuousDriving == 240 * 60 && configuration.dispatchRules.maximumDailyDriving == 480 * 60)
        #expect(configuration.contractTotalFen == 0 && configuration.reportIntervalSeconds == 30 && configuration.sessionIdleMinutes == 30)
        #expect(configuration.vatRates == .transportService && configuration.logLevel == .info)
    }

    @Test func everyVariableIsRead() throws {
        let folder = FileManager.default.temporaryDirectory.path
        let configuration = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil,
            environment: [
                "DATABASE_URL": "postgres://fleet:owner-secret@db.example/fleet", "FLEET_APP_DATABASE_URL": "postgres://web:app-secret@db.example/fleet",
                "FLEET_DATA_DIR": "/var/lib/fleet", "FLEET_SQL_DIR": folder, "FLEET_DEVICE_PROFILES": folder,
                "FLEET_RETENTION_DAYS": "365", "FLEET_RETENTION_MAX_DROP_DAYS": "7",
                "FLEET_GATEWAY_HOST": "192.0.2.8", "FLEET_GATEWAY_PORT": "7808", "FLEET_GATEWAY_MAX_PER_ADDRESS": "50",
                "FLEET_GATEWAY_AUTH_TIMEOUT_SECONDS": "12", "FLEET_GATEWAY_MAX_FAILURES_PER_ADDRESS": "20",
                "FLEET_METRICS_HOST": "0.0.0.0", "FLEET_METRICS_PORT": "9909", "FLEET_HTTP_HOST": "0.0.0.0", "FLEET_HTTP_PORT": "8909",
                "FLEET_MAX_CONTINUOUS_DRIVING_MINUTES": "200", "FLEET_MAX_DAILY_DRIVING_MINUTES": "400", "FLEET_CONTRACT_TOTAL_FEN": "3600000",
                "FLEET_REPORT_INTERVAL_SECONDS": "10", "FLEET_VAT_RATES": "package=600", "FLEET_SESSION_IDLE_MINUTES": "15", "LOG_LEVEL": "debug",
            ])
        #expect(configuration.database?.owner.user == "fleet" && configuration.database?.app.user == "web")
        #expect(configuration.dataDirectory.path == "/var/lib/fleet")
        #expect(configuration.sqlDirectory?.path == folder && configuration.deviceProfilesDirectory?.path == folder)
        #expect(configuration.retention.retentionDays == 365 && configuration.retention.maximumDropDays == 7)
        #expect(configuration.gateway.host == "192.0.2.8" && configuration.gateway.port == 7808 && configuration.gateway.maximumConnectionsPerAddress == 50)
        #expect(configuration.gateway.authenticationTimeout == .seconds(12) && configuration.gateway.attemptLimits.failuresPerAddress == 20)
        #expect(configuration.metricsHost == "0.0.0.0" && configuration.metricsPort == 9909)
        #expect(configuration.httpHost == "0.0.0.0" && configuration.httpPort == 8909)
        #expect(configuration.dispatchRules.maximumContinuousDriving == 200 * 60 && configuration.dispatchRules.maximumDailyDriving == 400 * 60)
        #expect(configuration.contractTotalFen == 3_600_000 && configuration.reportIntervalSeconds == 10 && configuration.sessionIdleMinutes == 15)
        #expect(configuration.vatRates == VATRates(basisPoints: [.package: 600]) && configuration.logLevel == .debug)
    }

    /// The command line wins over the environment; an empty variable counts as unset.
    @Test func optionsWinAndEmptyVariablesAreUnset() throws {
        let configuration = try FleetConfiguration(
            databaseURL: "postgres://fleet:secret@option.example/fleet", dataDirectory: "/srv/fleet",
            environment: ["DATABASE_URL": "postgres://fleet:secret@variable.example/fleet", "FLEET_DATA_DIR": "/var/lib/fleet", "FLEET_HTTP_PORT": ""]
        )
        #expect(configuration.database?.owner.host == "option.example" && configuration.dataDirectory.path == "/srv/fleet")
        #expect(configuration.httpPort == 8808)
    }

    @Test func everyBadValueIsReportedWithItsNameWhatItGotAndWhatItTakes() {
        let bad = [
            "FLEET_RETENTION_DAYS": "30", "FLEET_RETENTION_MAX_DROP_DAYS": "-2", "FLEET_GATEWAY_PORT": "70000", "FLEET_GATEWAY_MAX_PER_ADDRESS": "0",
            "FLEET_GATEWAY_AUTH_TIMEOUT_SECONDS": "soon", "FLEET_GATEWAY_MAX_FAILURES_PER_ADDRESS": "1e3", "FLEET_METRICS_PORT": "0",
            "FLEET_HTTP_PORT": "http", "FLEET_MAX_CONTINUOUS_DRIVING_MINUTES": "0", "FLEET_MAX_DAILY_DRIVING_MINUTES": "2000",
            "FLEET_CONTRACT_TOTAL_FEN": "-1", "FLEET_REPORT_INTERVAL_SECONDS": "0", "FLEET_VAT_RATES": "package=9%",
            "FLEET_SESSION_IDLE_MINUTES": "721", "LOG_LEVEL": "verbose", "FLEET_SQL_DIR": "/nonexistent/Sql", "FLEET_DEVICE_PROFILES": "/nonexistent/Profiles",
        ]
        let error = #expect(throws: ConfigurationProblems.self) { try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: bad) }
        let problems = error?.problems ?? []
        #expect(Set(problems.map(\.setting)) == Set(bad.keys) && problems.count == bad.count, "\(problems)")
        for problem in problems { #expect(problem.value == bad[problem.setting] && !problem.expected.isEmpty) }
        let described = error.map(String.init(describing:)) ?? ""
        #expect(described.hasPrefix("\(bad.count) settings refused"))
        #expect(described.contains("FLEET_RETENTION_DAYS=30 refused: whole days, 180 to 36500: positions must be kept at least 180 days"))
        #expect(described.contains("FLEET_HTTP_PORT=http refused: a TCP port, 1 to 65535"))
        #expect(described.contains(#"FLEET_VAT_RATES=package=9% refused: VAT rate "package=9%" is not kind=basisPoints"#))
    }

    /// A database URL may hold a password: a refused one is named, never repeated.
    @Test func aRefusedDatabaseURLIsNamedNotRepeated() {
        let error = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(
                databaseURL: "postgres://fleet:owner-secret@db/fleet?sslmode=bogus", dataDirectory: nil,
                environment: ["FLEET_APP_DATABASE_URL": "mysql://web:app-secret@db/fleet"]
            )
        }
        #expect(error?.problems.map(\.setting) == ["--database-url", "FLEET_APP_DATABASE_URL"])
        #expect(error?.problems.allSatisfy { $0.value == nil } == true)
        let described = error.map(String.init(describing:)) ?? ""
        #expect(described.contains("sslmode bogus") && described.contains("DATABASE_URL must look like postgres://"))
        #expect(!described.contains("owner-secret") && !described.contains("app-secret"))
        // Without an owner to go with it, the app role's URL is a mistake too.
        let alone = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_APP_DATABASE_URL": "postgres://web:app-secret@db/fleet"])
        }
        #expect(alone?.problems.map(\.setting) == ["FLEET_APP_DATABASE_URL"])
    }

    /// The demo always runs its own database: the configured one is not even read.
    @Test func theDemoIgnoresTheConfiguredDatabase() throws {
        let demo = try FleetConfiguration.demo(
            dataDirectory: nil,
            environment: [
                "DATABASE_URL": "mysql://nope", "FLEET_APP_DATABASE_URL": "postgres://web:secret@db/fleet", "FLEET_HTTP_PORT": "8909",
            ])
        #expect(demo.database == nil && demo.httpPort == 8909)
    }

    @Test func theCommandsWithoutADatabaseReadTheirOneSetting() throws {
        #expect(try FleetConfiguration.logLevel(environment: ["LOG_LEVEL": "warning", "FLEET_HTTP_PORT": "http"]) == .warning)
        #expect(throws: ConfigurationProblems.self) { try FleetConfiguration.logLevel(environment: ["LOG_LEVEL": "loud"]) }
        let folder = FileManager.default.temporaryDirectory.path
        #expect(try FleetConfiguration.deviceProfilesDirectory(environment: ["FLEET_DEVICE_PROFILES": folder])?.path == folder)
        #expect(throws: ConfigurationProblems.self) { try FleetConfiguration.deviceProfilesDirectory(environment: ["FLEET_DEVICE_PROFILES": "/nonexistent"]) }
    }

    /// Roles (issue 19): all four unless `--roles` or `FLEET_ROLES` names some; the option wins;
    /// an unknown name, an empty entry or a huge list is refused by name, never half-read.
    @Test func rolesComeFromTheOptionElseTheEnvironment() throws {
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:]).roles == Set(ServerRole.allCases))
        let gateway = try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_ROLES": "gateway"])
        #expect(gateway.roles == [.gateway])
        let leader = try FleetConfiguration(databaseURL: nil, dataDirectory: nil, roles: " dispatch , maintenance", environment: ["FLEET_ROLES": "api"])
        #expect(leader.roles == [.dispatch, .maintenance])
        for bad in ["gateway,", "gateway,web", "", String(repeating: "gateway,", count: 100_000) + "x"] {
            let error = #expect(throws: ConfigurationProblems.self) {
                try FleetConfiguration(databaseURL: nil, dataDirectory: nil, roles: bad, environment: [:])
            }
            #expect(error?.problems.map(\.setting) == ["--roles"])
            let described = error.map(String.init(describing:)) ?? ""
            #expect(described.contains("roles separated by commas, of gateway, api, dispatch, maintenance") && described.count < 400)
        }
        let variable = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_ROLES": "leader"])
        }
        #expect(variable?.problems.map(\.setting) == ["FLEET_ROLES"])
        // The demo is the whole fleet in one process.
        #expect(try FleetConfiguration.demo(dataDirectory: nil, environment: ["FLEET_ROLES": "api"]).roles == Set(ServerRole.allCases))
    }

    @Test func theProxyIsTrustedOnlyWhenSaid() throws {
        #expect(try !FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:]).trustsProxy)
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_TRUST_PROXY": "true"]).trustsProxy)
        #expect(throws: ConfigurationProblems.self) { try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_TRUST_PROXY": "yes"]) }
    }

    @Test func logsAreTextUnlessJSONIsAsked() throws {
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:]).logFormat == .text)
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_LOG_FORMAT": "json"]).logFormat == .json)
        let error = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_LOG_FORMAT": "xml"])
        }
        #expect(error?.problems.first?.expected == "text or json")
    }

    /// The agreed route's corridor: 2 km unless set; 100 m to 100 km, named when refused.
    @Test func theRouteCorridorIsTwoKilometresUnlessSet() throws {
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:]).routeCorridorMetres == 2_000)
        let set = try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_ROUTE_CORRIDOR_METRES": "500"])
        #expect(set.routeCorridorMetres == 500)
        for bad in ["99", "100001", "2km"] {
            let error = #expect(throws: ConfigurationProblems.self) {
                try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_ROUTE_CORRIDOR_METRES": bad])
            }
            #expect(error?.problems.map(\.setting) == ["FLEET_ROUTE_CORRIDOR_METRES"] && error?.problems.first?.expected == "metres, 100 to 100000")
        }
    }

    /// The SMS provider: none by default; its webhook and the retries read; an http URL off this
    /// machine, a URL without its secret or a secret without its URL refused, the secret never
    /// repeated.
    /// Issue 17: which alarms replace a crew, by the standard's names; a name it lacks is refused.
    @Test func theReplacingAlarmsAreAnAccidentUnlessSet() throws {
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:]).replacingAlarms == ["collisionWarning", "rolloverWarning"])
        let set = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil, environment: ["FLEET_REPLACING_ALARMS": "collisionWarning, emergency,rightTurnBlindAreaAbnormal"])
        #expect(set.replacingAlarms == ["collisionWarning", "emergency", "rightTurnBlindAreaAbnormal"])
        for bad in ["collision", "emergency,,overspeed", "Emergency", ","] {
            let error = #expect(throws: ConfigurationProblems.self) {
                try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_REPLACING_ALARMS": bad])
            }
            #expect(error?.problems.map(\.setting) == ["FLEET_REPLACING_ALARMS"] && error?.problems.first?.value == bad)
        }
    }

    @Test func theSMSProviderAndTheRetries() throws {
        let none = try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:])
        #expect(none.sms == nil && none.noticeRetry == NoticeRetry(firstDelay: 30, attempts: 5))
        let authorities = FileManager.default.temporaryDirectory.appendingPathComponent("sms-ca-\(UUID().uuidString).pem").path
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: authorities))
        defer { try? FileManager.default.removeItem(atPath: authorities) }
        let configured = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil,
            environment: [
                "FLEET_SMS_URL": "https://sms.example.cn/v1/send", "FLEET_SMS_SECRET": "s3cret", "FLEET_SMS_SIGN": "宁波公务用车",
                "FLEET_SMS_CA_FILE": authorities, "FLEET_NOTICE_RETRY_SECONDS": "10", "FLEET_NOTICE_ATTEMPTS": "3",
            ])
        #expect(
            configured.sms
                == SMSWebhook.Configuration(
                    url: URL(string: "https://sms.example.cn/v1/send")!, secret: "s3cret", signName: "宁波公务用车", trustRoots: authorities))
        #expect(configured.noticeRetry == NoticeRetry(firstDelay: 10, attempts: 3))
        let local = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil, environment: ["FLEET_SMS_URL": "http://127.0.0.1:9000/sms", "FLEET_SMS_SECRET": "s3cret"])
        #expect(local.sms?.url.port == 9000 && local.sms?.signName == "公务用车")

        let bad = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(
                databaseURL: nil, dataDirectory: nil,
                environment: ["FLEET_SMS_URL": "http://sms.example.cn/send", "FLEET_SMS_CA_FILE": "/nonexistent/ca.pem", "FLEET_NOTICE_ATTEMPTS": "0"])
        }
        #expect(Set(bad?.problems.map(\.setting) ?? []) == ["FLEET_SMS_URL", "FLEET_SMS_SECRET", "FLEET_SMS_CA_FILE", "FLEET_NOTICE_ATTEMPTS"])
        let secretAlone = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: ["FLEET_SMS_SECRET": "s3cret"])
        }
        #expect(secretAlone?.problems.map(\.setting) == ["FLEET_SMS_SECRET"] && secretAlone?.problems.first?.value == nil)
        #expect(secretAlone.map(String.init(describing:))?.contains("s3cret") == false)
    }

    /// The SMTP server: none by default (no e-mail channel); read with its defaults (port 587,
    /// STARTTLS) and every setting; a sender that is no address, credentials alone or to be sent
    /// in the clear off this machine, a setting without the host refused; the password never
    /// repeated.
    @Test func theSMTPServer() throws {
        #expect(try FleetConfiguration(databaseURL: nil, dataDirectory: nil, environment: [:]).smtp == nil)
        let plain = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil, environment: ["FLEET_SMTP_HOST": "smtp.nb.gov.cn", "FLEET_SMTP_FROM": "fleet@nb.gov.cn"])
        #expect(plain.smtp == SMTPMail.Configuration(host: "smtp.nb.gov.cn", port: 587, from: "fleet@nb.gov.cn", startTLS: true))
        let full = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil,
            environment: [
                "FLEET_SMTP_HOST": "smtp.nb.gov.cn", "FLEET_SMTP_PORT": "2525", "FLEET_SMTP_FROM": "fleet@nb.gov.cn", "FLEET_SMTP_USER": "fleet",
                "FLEET_SMTP_PASSWORD": "pa55word", "FLEET_SMTP_STARTTLS": "TRUE",
            ])
        #expect(
            full.smtp
                == SMTPMail.Configuration(host: "smtp.nb.gov.cn", port: 2525, from: "fleet@nb.gov.cn", user: "fleet", password: "pa55word", startTLS: true))
        // A relay on this machine may take credentials without TLS.
        let local = try FleetConfiguration(
            databaseURL: nil, dataDirectory: nil,
            environment: [
                "FLEET_SMTP_HOST": "127.0.0.1", "FLEET_SMTP_FROM": "fleet@nb.gov.cn", "FLEET_SMTP_USER": "fleet", "FLEET_SMTP_PASSWORD": "pa55word",
                "FLEET_SMTP_STARTTLS": "false",
            ])
        #expect(local.smtp?.startTLS == false && local.smtp?.user == "fleet")

        let bad = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(
                databaseURL: nil, dataDirectory: nil,
                environment: [
                    "FLEET_SMTP_HOST": "smtp://mail.nb.gov.cn", "FLEET_SMTP_PORT": "0", "FLEET_SMTP_FROM": "fleet@nb.gov.cn\r\nBcc: x@y.cn",
                    "FLEET_SMTP_STARTTLS": "maybe", "FLEET_SMTP_PASSWORD": "pa55word", "FLEET_SMTP_CA_FILE": "/nonexistent/ca.pem",
                ])
        }
        #expect(
            Set(bad?.problems.map(\.setting) ?? []) == [
                "FLEET_SMTP_HOST", "FLEET_SMTP_PORT", "FLEET_SMTP_FROM", "FLEET_SMTP_STARTTLS", "FLEET_SMTP_PASSWORD", "FLEET_SMTP_CA_FILE",
            ], "\(String(describing: bad))")
        #expect(bad.map(String.init(describing:))?.contains("pa55word") == false)
        let inTheClear = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(
                databaseURL: nil, dataDirectory: nil,
                environment: [
                    "FLEET_SMTP_HOST": "smtp.nb.gov.cn", "FLEET_SMTP_FROM": "fleet@nb.gov.cn", "FLEET_SMTP_USER": "fleet", "FLEET_SMTP_PASSWORD": "pa55word",
                    "FLEET_SMTP_STARTTLS": "false",
                ])
        }
        #expect(inTheClear?.problems.map(\.setting) == ["FLEET_SMTP_STARTTLS"])
        let noHost = #expect(throws: ConfigurationProblems.self) {
            try FleetConfiguration(
                databaseURL: nil, dataDirectory: nil, environment: ["FLEET_SMTP_FROM": "fleet@nb.gov.cn", "FLEET_SMTP_PASSWORD": "pa55word"])
        }
        #expect(Set(noHost?.problems.map(\.setting) ?? []) == ["FLEET_SMTP_FROM", "FLEET_SMTP_PASSWORD"])
        #expect(noHost.map(String.init(describing:))?.contains("pa55word") == false)
    }
}
