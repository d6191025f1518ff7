import EmbeddedPostgres
import Foundation
import Accounting
import Billing
import Dispatching
import Domain
import Gateway
import HTTPAPI
import Hummingbird
import Metrics
import Prometheus
import JT808
import TerminalSimulator
import Logging
import PostgresNIO
import ServiceLifecycle
import Store
import UnixSignals

/// How a fleet server finds its database and its files.
public struct FleetConfiguration: Sendable {
    /// `postgres://…` as the schema's owner (migrations, maintenance); nil runs a private
    /// cluster in `dataDirectory`.
    public var databaseURL: String?
    /// The app role's connection with `databaseURL` ($FLEET_APP_DATABASE_URL); nil: `fleet_app`
    /// with a password derived from the owner's (DatabaseRoles).
    public var appDatabaseURL: String?
    /// Where the embedded cluster lives (`.fleet/` in the working directory by default).
    public var dataDirectory: URL
    /// The migrations folder (Sql/).
    public var sqlDirectory: URL?
    /// How long positions are kept ($FLEET_RETENTION_DAYS, 180 by default and at least;
    /// $FLEET_RETENTION_MAX_DROP_DAYS day partitions dropped at most in one run, 2 by default).
    public var retention: PositionRetention
    /// The JT/T 808 listener ($FLEET_GATEWAY_HOST / $FLEET_GATEWAY_PORT, 0.0.0.0:6808 by default;
    /// $FLEET_GATEWAY_MAX_PER_ADDRESS connections from one source address, 2,000 by default;
    /// $FLEET_GATEWAY_AUTH_TIMEOUT_SECONDS to authenticate, 30 by default;
    /// $FLEET_GATEWAY_MAX_FAILURES_PER_ADDRESS failed attempts per address in 10 minutes, 100 by default).
    public var gateway: GatewayServer.Configuration
    /// Prometheus metrics at http://HOST:PORT/metrics ($FLEET_METRICS_HOST / $FLEET_METRICS_PORT,
    /// 127.0.0.1:9808 by default).
    public var metricsHost = "127.0.0.1"
    public var metricsPort = 9808
    /// The HTTP API ($FLEET_HTTP_HOST / $FLEET_HTTP_PORT, 127.0.0.1:8808 by default: outside the
    /// box it belongs behind a TLS-terminating proxy).
    public var httpHost = "127.0.0.1"
    public var httpPort = 8808
    /// Dispatch's rules; the fatigue limits from $FLEET_MAX_CONTINUOUS_DRIVING_MINUTES (240) and
    /// $FLEET_MAX_DAILY_DRIVING_MINUTES (480), as labour rules and platforms differ.
    public var dispatchRules = DispatchRules()
    /// The contract's total for its whole term in fen ($FLEET_CONTRACT_TOTAL_FEN), which the
    /// monthly assessment pays a 36th of times its coefficient; 0 until configured.
    public var contractTotalFen: Int64 = 0
    /// The terminals' reporting interval while moving, in seconds ($FLEET_REPORT_INTERVAL_SECONDS,
    /// 30 by default as JT/T 808 terminals ship): the tracks' completeness is measured against it.
    public var reportIntervalSeconds = 30
    /// VAT rates by line kind ($FLEET_VAT_RATES, `kind=basisPoints,...`), checked at start;
    /// transport service at 9 % on the service's own lines when not set.
    public var vatRates: String?
    /// An API session unused this long ends ($FLEET_SESSION_IDLE_MINUTES, 30 by default), besides its 12 h expiry.
    public var sessionIdleMinutes = 30

    public init(
        databaseURL: String?, dataDirectory: URL, sqlDirectory: URL? = ResourceDirectory.sql,
        retention: PositionRetention = PositionRetention(), gateway: GatewayServer.Configuration = .init()
    ) {
        self.databaseURL = databaseURL
        self.dataDirectory = dataDirectory
        self.sqlDirectory = sqlDirectory
        self.retention = retention
        self.gateway = gateway
    }

    /// `DATABASE_URL` from the environment unless given, `.fleet/` for data.
    public static func fromEnvironment(databaseURL: String?, dataDirectory: String?) throws -> FleetConfiguration {
        let env = ProcessInfo.processInfo.environment
        let url = databaseURL ?? env["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let dir = URL(fileURLWithPath: dataDirectory ?? env["FLEET_DATA_DIR"] ?? ".fleet", relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardized
        let retention = try PositionRetention.fromEnvironment(env)
        var gateway = GatewayServer.Configuration()
        if let host = env["FLEET_GATEWAY_HOST"], !host.isEmpty { gateway.host = host }
        if let port = env["FLEET_GATEWAY_PORT"].flatMap(Int.init) { gateway.port = port }
        if let limit = env["FLEET_GATEWAY_MAX_PER_ADDRESS"].flatMap(Int.init), limit > 0 { gateway.maximumConnectionsPerAddress = limit }
        if let seconds = env["FLEET_GATEWAY_AUTH_TIMEOUT_SECONDS"].flatMap(Int64.init), seconds > 0 { gateway.authenticationTimeout = .seconds(seconds) }
        if let limit = env["FLEET_GATEWAY_MAX_FAILURES_PER_ADDRESS"].flatMap(Int.init), limit > 0 { gateway.attemptLimits.failuresPerAddress = limit }
        var configuration = FleetConfiguration(databaseURL: url, dataDirectory: dir, retention: retention, gateway: gateway)
        configuration.appDatabaseURL = env["FLEET_APP_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let host = env["FLEET_METRICS_HOST"], !host.isEmpty { configuration.metricsHost = host }
        if let port = env["FLEET_METRICS_PORT"].flatMap(Int.init) { configuration.metricsPort = port }
        if let host = env["FLEET_HTTP_HOST"], !host.isEmpty { configuration.httpHost = host }
        if let port = env["FLEET_HTTP_PORT"].flatMap(Int.init) { configuration.httpPort = port }
        if let minutes = env["FLEET_MAX_CONTINUOUS_DRIVING_MINUTES"].flatMap(Int64.init), minutes > 0 {
            configuration.dispatchRules.maximumContinuousDriving = minutes * 60
        }
        if let total = env["FLEET_CONTRACT_TOTAL_FEN"].flatMap(Int64.init), total >= 0 { configuration.contractTotalFen = total }
        if let rates = env["FLEET_VAT_RATES"], !rates.isEmpty { configuration.vatRates = rates }
        if let seconds = env["FLEET_REPORT_INTERVAL_SECONDS"].flatMap(Int.init), seconds > 0 { configuration.reportIntervalSeconds = seconds }
        if let minutes = env["FLEET_SESSION_IDLE_MINUTES"].flatMap(Int.init), (1...720).contains(minutes) { configuration.sessionIdleMinutes = minutes }
        if let minutes = env["FLEET_MAX_DAILY_DRIVING_MINUTES"].flatMap(Int64.init), minutes > 0 { configuration.dispatchRules.maximumDailyDriving = minutes * 60 }
        return configuration
    }
}

/// The database a server runs on: the configured one, or a private cluster it started; and the
/// roles it connects as.
public struct ProvisionedDatabase: Sendable {
    public let roles: DatabaseRoles
    let embedded: EmbeddedPostgres?

    public static func provision(_ configuration: FleetConfiguration, logger: Logger) throws -> ProvisionedDatabase {
        if let text = configuration.databaseURL {
            let app = try configuration.appDatabaseURL.map { text in
                do { return try DatabaseURL(text) } catch { throw ConfigurationError(description: "FLEET_APP_DATABASE_URL: \(error)") }
            }
            return ProvisionedDatabase(roles: try DatabaseRoles(owner: try DatabaseURL(text), app: app), embedded: nil)
        }
        let cluster = EmbeddedPostgres(
            configuration: .init(dataDirectory: configuration.dataDirectory.appendingPathComponent("postgres"), settings: EmbeddedPostgres.serverSettings),
            logger: logger
        )
        logger.info("no DATABASE_URL: starting a private PostgreSQL in \(configuration.dataDirectory.path)")
        let running = try cluster.start()
        return ProvisionedDatabase(roles: try DatabaseRoles(owner: try DatabaseURL(running.url)), embedded: cluster)
    }

    /// Stops the private cluster, if we started one.
    public func release(logger: Logger) {
        guard let embedded else { return }
        do {
            try embedded.stop()
            logger.info("private PostgreSQL stopped")
        } catch {
            logger.error("could not stop the private PostgreSQL: \(error)")
        }
    }
}

/// The fleet server: every service in one ServiceGroup, started in order and stopped in reverse
/// on SIGTERM/SIGINT. Later capabilities (gateway, dispatch, HTTP API) join the same group.
public enum FleetServer {
    /// Provisions the database, then runs every service until a shutdown signal; with
    /// `demoFleet`, also that many simulated vehicles reporting to the gateway.
    public static func run(_ configuration: FleetConfiguration, demoFleet: Int? = nil, logger: Logger) async throws {
        // Refused before anything starts: an invoice must not be figured at a rate nobody meant.
        let vatRates = try configuration.vatRates.map { text in
            do { return try VATRates(parsing: text) } catch { throw ConfigurationError(description: "FLEET_VAT_RATES: \(error)") }
        } ?? .transportService
        let database = try ProvisionedDatabase.provision(configuration, logger: logger)
        defer { database.release(logger: logger) }
        // The owner migrates and maintains the schema; everything else runs as the app role.
        let owner = PostgresClient(configuration: try database.roles.owner.clientConfiguration(), backgroundLogger: logger)
        let client = PostgresClient(configuration: try database.roles.app.clientConfiguration(), backgroundLogger: logger)
        let readiness = Readiness()
        let schema = SchemaService(
            client: owner, sqlDirectory: configuration.sqlDirectory, retention: configuration.retention, roles: database.roles,
            // The demo's simulated terminals report every 10 s.
            reportInterval: demoFleet == nil ? configuration.reportIntervalSeconds : Int(FleetSimulator.reportInterval.components.seconds),
            readiness: readiness, logger: logger
        )
        // Reports of all connections share transactions; each is acknowledged once its batch committed.
        let positions = PostgresPositionSink(client: client, database: database.roles.app, retention: configuration.retention, logger: logger)
        let latest = LatestPositionsWriter(sink: positions, readiness: readiness, logger: logger)
        let groupCommit = GroupCommit(inner: positions)
        let profiles = try ResourceDirectory.deviceProfiles.map { try ResourceDirectory.deviceProfileCatalog(at: $0) } ?? DeviceProfileCatalog(profiles: [])
        let gateway = GatewayServer(
            configuration: configuration.gateway,
            registry: PostgresTerminalRegistry(client: client, logger: logger),
            sink: groupCommit,
            events: PostgresEventSink(client: client, logger: logger),
            media: PostgresMediaSink(client: client, logger: logger),
            logger: logger,
            profiles: profiles,
            waitUntilReady: { try await readiness.wait() }
        )
        // Started in this order, stopped in reverse: the gateway first, then the last batch is
        // written, then the latest positions, then the database client goes.
        let metrics = MetricsEndpoint(host: configuration.metricsHost, port: configuration.metricsPort, registry: Self.metricsRegistry, logger: logger)
        let clock: any WallClock = SystemClock()
        let dispatch = DispatchServices(client: client, database: database.roles.app, clock: clock, rules: configuration.dispatchRules, logger: logger)
        let settlement = SettlementService(
            client: client, positions: dispatch.positions, feed: dispatch.feed, events: dispatch.events, clock: clock, logger: logger
        )
        let records = ServiceRecords(client: client, logger: logger)
        let api = Application(
            router: FleetAPI(
                client: client, dispatch: dispatch, settlement: settlement, latest: LatestPositionsJSON(),
                idleTimeout: TimeInterval(configuration.sessionIdleMinutes * 60),
                contractTotalFen: configuration.contractTotalFen, vatRates: vatRates, logger: logger
            ).router(),
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "fleet"),
            logger: logger
        )
        var all: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: metrics), .init(service: owner), .init(service: client), .init(service: schema),
            .init(service: latest), .init(service: groupCommit), .init(service: gateway),
            .init(service: DispatchService(dispatch: dispatch, readiness: readiness, logger: logger)),
            // Billing: sheets of trips finished since, bookings of signed sheets settled (nothing is
            // lost to a failed round: it is found again).
            .init(service: RecurringService(name: "settlement sweep", interval: .seconds(10), readiness: readiness, logger: logger) {
                try await settlement.sweep()
            }),
            // The platform's clock of service: each minute it serves is recorded; a minute missed
            // is a minute of outage, which is what it was.
            .init(service: RecurringService(name: "uptime minute", interval: .seconds(30), readiness: readiness, logger: logger) { [records] in
                try await records.markMinute(Date())
            }),
            .init(service: OnceReady(service: api, readiness: readiness)),
        ]
        if let demoFleet {
            let steering = Steering(), fleet = FleetSimulator(count: demoFleet, steering: steering)
            all.append(.init(service: DemoFleetService(client: client, fleet: fleet, gatewayPort: configuration.gateway.port, readiness: readiness, logger: logger)))
            all.append(.init(service: DemoOperations(
                client: client, dispatch: dispatch, settlement: settlement, fleet: fleet, steering: steering, readiness: readiness, httpPort: configuration.httpPort,
                dataDirectory: configuration.dataDirectory, logger: logger
            )))
        }
        let services = ServiceGroup(configuration: .init(
            services: all,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await services.run()
    }

    /// The process's metrics, exported by the metrics endpoint. swift-metrics takes one backend
    /// per process, so it is set up once, on first use.
    static let metricsRegistry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Applies the migrations of `sqlDirectory` as the owner (`client`), logging each as it
    /// goes; then makes sure the app role can log in.
    public static func migrate(client: PostgresClient, roles: DatabaseRoles, sqlDirectory: URL?, logger: Logger) async throws {
        guard let sqlDirectory else {
            throw MigrationError(description: "no Sql/ folder found: run from the checkout, or set FLEET_SQL_DIR")
        }
        let migrations = try Migration.load(directory: sqlDirectory)
        let applied = try await Migrator(client: client, logger: logger).migrate(migrations)
        logger.info("schema up to date", metadata: ["applied": "\(applied.count)", "known": "\(migrations.count)"])
        try await roles.enableAppLogin(owner: client, logger: logger)
    }

    /// Binds the simulated fleet's terminals to vehicles in the database at `databaseURL`.
    public static func provision(_ fleet: FleetSimulator, databaseURL: String, logger: Logger) async throws {
        let client = PostgresClient(configuration: try DatabaseURL(databaseURL).clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await bind(fleet, registry: PostgresTerminalRegistry(client: client, logger: logger))
        }
    }

    /// Every simulated terminal bound to its vehicle.
    static func bind(_ fleet: FleetSimulator, registry: PostgresTerminalRegistry) async throws {
        for terminal in fleet.terminals { try await registry.bind(phone: terminal.phone.description, plate: terminal.plate, terminalID: terminal.terminalID) }
    }

    /// Provisions the database, migrates it and stops: `fleetd migrate`.
    public static func migrateOnly(_ configuration: FleetConfiguration, logger: Logger) async throws {
        try await withDatabase(configuration, logger: logger) { _, _ in }
    }

    /// Provisions and migrates the database, runs `body` with a client as the app role, and
    /// stops: the one-shot commands (`fleetd migrate`, `terminal bind`, `track`).
    public static func withDatabase<R: Sendable>(
        _ configuration: FleetConfiguration, logger: Logger, _ body: @Sendable (PostgresClient, DatabaseURL) async throws -> R
    ) async throws -> R {
        let database = try ProvisionedDatabase.provision(configuration, logger: logger)
        defer { database.release(logger: logger) }
        let owner = PostgresClient(configuration: try database.roles.owner.clientConfiguration(), backgroundLogger: logger)
        let client = PostgresClient(configuration: try database.roles.app.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await owner.run() }
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await migrate(client: owner, roles: database.roles, sqlDirectory: configuration.sqlDirectory, logger: logger)
            return try await body(client, database.roles.app)
        }
    }
}

/// A setting the server cannot start with; the description names it and what it expects.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
}
