import Billing
import Dispatching
import Domain
import EmbeddedPostgres
import Foundation
import Gateway
import HTTPAPI
import Hummingbird
import JT808
import Logging
import Messaging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Settlement
import Store
import TerminalSimulator
import UnixSignals

/// The database a server runs on: the configured one, or a private cluster it started; and the
/// roles it connects as.
public struct ProvisionedDatabase: Sendable {
    public let roles: DatabaseRoles
    let embedded: EmbeddedPostgres?

    public static func provision(_ configuration: FleetConfiguration, logger: Logger) throws -> ProvisionedDatabase {
        if let roles = configuration.database { return ProvisionedDatabase(roles: roles, embedded: nil) }
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
/// on SIGTERM/SIGINT, built from what the composition root (fleetd) gives it: the settings, the
/// time of day and the metrics registry.
public struct FleetServer: Sendable {
    public let configuration: FleetConfiguration
    /// The time of day for everything the server builds.
    public let clock: any WallClock
    /// The registry the process's metrics backend writes to (fleetd bootstraps swift-metrics with
    /// it), served at the metrics endpoint.
    public let metrics: PrometheusCollectorRegistry
    let logger: Logger

    public init(configuration: FleetConfiguration, clock: any WallClock = SystemClock(), metrics: PrometheusCollectorRegistry, logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Provisions the database, then runs every service until a shutdown signal; with
    /// `demoFleet`, also that many simulated vehicles reporting to the gateway.
    public func run(demoFleet: Int? = nil) async throws {
        let database = try ProvisionedDatabase.provision(configuration, logger: logger)
        defer { database.release(logger: logger) }
        // The owner migrates and maintains the schema; everything else runs as the app role.
        let owner = PostgresClient(configuration: try database.roles.owner.clientConfiguration(), backgroundLogger: logger)
        let client = PostgresClient(configuration: try database.roles.app.clientConfiguration(), backgroundLogger: logger)
        let readiness = Readiness()
        // Notices go by text message when a provider is configured (the demo starts its own),
        // else by the live stream; by e-mail too with SMTP configured.
        var demoProvider: DemoSMSProvider?
        if demoFleet != nil, configuration.sms == nil { demoProvider = try await DemoSMSProvider.start() }
        var senders: [any NoticeSender] = try (configuration.sms ?? demoProvider?.webhook).map { [try SMSWebhook($0, clock: clock)] } ?? []
        if let smtp = configuration.smtp { senders.append(try SMTPMail(smtp, clock: clock)) }
        let dispatch = DispatchServices(
            client: client, database: database.roles.app, clock: clock, rules: configuration.dispatchRules,
            routeCorridorMetres: configuration.routeCorridorMetres, senders: senders,
            noticeRetry: configuration.noticeRetry, replacingAlarms: configuration.replacingAlarms, logger: logger)
        let schema = SchemaService(
            client: owner, sqlDirectory: configuration.sqlDirectory, retention: configuration.retention, roles: database.roles,
            // The demo's simulated terminals report every 10 s.
            reportInterval: demoFleet == nil ? configuration.reportIntervalSeconds : Int(FleetSimulator.reportInterval.components.seconds),
            readiness: readiness, clock: clock,
            // The zones and calendar in force are the database's before anything is served.
            beforeReady: { try await dispatch.zonesAndCalendar.refresh() }, logger: logger
        )
        // Reports of all connections share transactions; each is acknowledged once its batch committed.
        let positions = PostgresPositionSink(client: client, database: database.roles.app, retention: configuration.retention, logger: logger)
        let latest = LatestPositionsWriter(sink: positions, readiness: readiness, logger: logger)
        // Each committed batch, and each report's events once recorded, on to dispatch's arrival watch.
        let ingested = IngestFeed()
        let groupCommit = GroupCommit(inner: FeedingPositionSink(inner: positions, feed: ingested))
        let profiles =
            try configuration.deviceProfilesDirectory.map { try ResourceDirectory.deviceProfileCatalog(at: $0) }
            ?? DeviceProfileCatalog(profiles: [])
        let gateway = GatewayServer(
            configuration: configuration.gateway,
            registry: PostgresTerminalRegistry(client: client, logger: logger),
            sink: groupCommit,
            events: FeedingEventSink(inner: PostgresEventSink(client: client, logger: logger), feed: ingested),
            media: PostgresMediaSink(client: client, logger: logger),
            clock: clock,
            logger: logger,
            profiles: profiles,
            driverCards: PostgresDriverCardSink(client: client, logger: logger),
            waitUntilReady: { try await readiness.wait() }
        )
        // Operators' commands (API, `fleetd terminal send`) to the terminals connected here.
        let relay = CommandRelay(
            queue: PostgresTerminalCommands(client: client, logger: logger), connections: gateway.connections,
            gateway: "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)", logger: logger)
        // Started in this order, stopped in reverse: the gateway first, then the last batch is
        // written, then the latest positions, then the database client goes.
        let metricsEndpoint = MetricsEndpoint(host: configuration.metricsHost, port: configuration.metricsPort, registry: metrics, logger: logger)
        let settlement = SettlementService(
            client: client, positions: dispatch.positions, feed: dispatch.feed, events: dispatch.events, clock: clock,
            calendar: dispatch.zonesAndCalendar.current, logger: logger
        )
        let records = ServiceRecords(client: client, logger: logger)
        let api = buildApplication(
            APIConfiguration(
                host: configuration.httpHost, port: configuration.httpPort, idleTimeout: TimeInterval(configuration.sessionIdleMinutes * 60),
                contractTotalFen: configuration.contractTotalFen, vatRates: configuration.vatRates, console: configuration.console),
            APIServices(client: client, dispatch: dispatch, settlement: settlement, logger: logger), logger: logger
        )
        var all: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: metricsEndpoint), .init(service: owner), .init(service: client), .init(service: schema),
            .init(service: latest), .init(service: groupCommit), .init(service: OnceReady(service: relay, readiness: readiness)), .init(service: gateway),
            .init(service: DispatchService(dispatch: dispatch, readiness: readiness, logger: logger)),
            .init(service: ArrivalWatchService(arrivals: dispatch.arrivals, feed: ingested, readiness: readiness, logger: logger)),
            .init(service: NoticeService(notifier: dispatch.notifier, readiness: readiness, logger: logger)),
            // Billing: sheets of trips finished since, bookings of signed sheets settled (nothing is
            // lost to a failed round: it is found again).
            .init(
                service: RecurringService(name: "settlement sweep", interval: .seconds(10), readiness: readiness, logger: logger) {
                    try await settlement.sweep()
                }),
            // The platform's clock of service: each minute it serves is recorded; a minute missed
            // is a minute of outage, which is what it was.
            .init(
                service: RecurringService(name: "uptime minute", interval: .seconds(30), readiness: readiness, logger: logger) { [records] in
                    try await records.markMinute(clock.now)
                }),
            // The maps' positions: one batch a second on the live stream, only while someone listens.
            .init(
                service: RecurringService(name: "position feed", interval: .seconds(1), readiness: readiness, logger: logger) {
                    try await dispatch.positionFeed.publish()
                }),
            .init(service: OnceReady(service: api, readiness: readiness)),
        ]
        // Stopped after the notices' loop that sends to it.
        if let demoProvider { all.insert(.init(service: demoProvider), at: 0) }
        if let demoFleet {
            let destinations = Destinations(), fleet = FleetSimulator(count: demoFleet, destinations: destinations, batteries: true)
            all.append(
                .init(
                    service: DemoFleetService(
                        client: client, fleet: fleet, gatewayPort: configuration.gateway.port, readiness: readiness, clock: clock, logger: logger
                    )))
            all.append(
                .init(
                    service: DemoOperations(
                        client: client, dispatch: dispatch, settlement: settlement, fleet: fleet, destinations: destinations, readiness: readiness,
                        httpPort: configuration.httpPort,
                        dataDirectory: configuration.dataDirectory, logger: logger
                    )))
        }
        let services = ServiceGroup(
            configuration: .init(
                services: all,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
        try await services.run()
    }

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
        for terminal in fleet.terminals {
            // A car reporting its battery is read by the profile that lays it out.
            try await registry.bind(
                phone: terminal.phone.description, plate: terminal.plate, terminalID: terminal.terminalID,
                deviceProfile: terminal.battery.map { _ in SimulatedBattery.deviceProfile })
        }
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
