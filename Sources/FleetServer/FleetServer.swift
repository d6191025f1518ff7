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

    /// Provisions the database, then runs the services of the configured roles until a shutdown
    /// signal; with `demoFleet`, also that many simulated vehicles reporting to the gateway.
    public func run(demoFleet: Int? = nil) async throws {
        let roles = configuration.roles
        let database = try ProvisionedDatabase.provision(configuration, logger: logger)
        defer { database.release(logger: logger) }
        // The owner migrates and maintains the schema; everything else runs as the app role.
        let owner = PostgresClient(configuration: try database.roles.owner.clientConfiguration(), backgroundLogger: logger)
        let client = PostgresClient(configuration: try database.roles.app.clientConfiguration(), backgroundLogger: logger)
        let readiness = Readiness()
        let holder = Self.processName
        // What this process tells the others, through the database: the live stream's events,
        // its gateway's ingest while another process leads dispatch, and words of changes.
        let signals = ProcessSignals(client: client, logger: logger)
        let outbound = SignalQueue(signals: signals, logger: logger)
        let liveFeed = LiveFeed(outlet: { [logger] event in
            let payload = LiveWire.payload(event)
            guard payload.utf8.count <= ProcessSignals.payloadLimit else {
                return logger.error("a live event too long to go to the other processes was dropped", metadata: ["kind": "\(event.kind.rawValue)"])
            }
            outbound.send(.live, payload)
        })
        let ingest = IngestRouter(queue: roles.contains(.gateway) ? outbound : nil)
        // Notices go by text message when a provider is configured (the demo starts its own),
        // else by the live stream; by e-mail too with SMTP configured.
        var demoProvider: DemoSMSProvider?
        if demoFleet != nil, configuration.sms == nil { demoProvider = try await DemoSMSProvider.start() }
        var senders: [any NoticeSender] = try (configuration.sms ?? demoProvider?.webhook).map { [try SMSWebhook($0, clock: clock)] } ?? []
        if let smtp = configuration.smtp { senders.append(try SMTPMail(smtp, clock: clock)) }
        let dispatch = DispatchServices(
            client: client, database: database.roles.app, feed: liveFeed, clock: clock, rules: configuration.dispatchRules,
            routeCorridorMetres: configuration.routeCorridorMetres, senders: senders,
            noticeRetry: configuration.noticeRetry, replacingAlarms: configuration.replacingAlarms, logger: logger)
        // A round wanted or the zones edited here is heard by the dispatch leader and the other
        // processes' copies of the zones, wherever they run.
        dispatch.events.on { event in
            switch event {
            case .crewWanted, .crewFreed, .fleetChanged: outbound.send(.wake, ProcessBridge.said(ProcessBridge.roundDue))
            case .zonesChanged: outbound.send(.wake, ProcessBridge.said(ProcessBridge.zonesChanged))
            case .sheetConfirmed: break
            }
        }
        let schema = SchemaService(
            client: owner, sqlDirectory: configuration.sqlDirectory, retention: configuration.retention, roles: database.roles,
            readiness: readiness, clock: clock,
            // The zones and calendar in force are the database's before anything is served.
            beforeReady: { try await dispatch.zonesAndCalendar.refresh() }, logger: logger
        )
        let health = HealthCheck(
            client: client, knownMigrations: try configuration.sqlDirectory.map { Set(try Migration.load(directory: $0).map(\.version)) }, logger: logger)
        let metricsEndpoint = MetricsEndpoint(
            host: configuration.metricsHost, port: configuration.metricsPort, registry: metrics, health: health, logger: logger)
        let settlement = SettlementService(
            client: client, positions: dispatch.positions, feed: dispatch.feed, events: dispatch.events, clock: clock,
            calendar: dispatch.zonesAndCalendar.current, logger: logger
        )
        var listening: [ProcessSignals.Channel] = []
        if roles.contains(.api) { listening.append(.live) }
        if roles.contains(.dispatch) { listening.append(.ingest) }
        if roles.contains(.api) || roles.contains(.dispatch) { listening.append(.wake) }
        // Started in this order, stopped in reverse: the gateway first, then the last batch is
        // written, then the latest positions, then the database client goes.
        var all: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: metricsEndpoint), .init(service: owner), .init(service: client), .init(service: schema), .init(service: outbound),
            .init(
                service: ProcessBridge(
                    signals: signals, channels: listening, feed: liveFeed, ingest: ingest, dispatch: dispatch, readiness: readiness, logger: logger)),
        ]
        if roles.contains(.gateway) { all += try gatewayServices(client: client, database: database, ingest: ingest, readiness: readiness) }
        if roles.contains(.dispatch) {
            all.append(
                .init(
                    service: LeaderService(
                        lock: LeaderLock(duty: .dispatch, holder: holder), database: database.roles.app, readiness: readiness,
                        term: { [logger] in
                            // This term's watch hears this process's gateway directly, the others' through the database.
                            let feed = IngestFeed()
                            ingest.lead(feed)
                            return [
                                DispatchService(dispatch: dispatch, readiness: readiness, logger: logger),
                                ArrivalWatchService(arrivals: dispatch.arrivals, feed: feed, readiness: readiness, logger: logger),
                                NoticeService(notifier: dispatch.notifier, readiness: readiness, logger: logger),
                            ]
                        }, resign: { ingest.resign() }, logger: logger)))
        }
        if roles.contains(.maintenance) {
            let upkeep = SchemaUpkeep(
                client: owner, retention: configuration.retention,
                // The demo's simulated terminals report every 10 s.
                reportInterval: demoFleet == nil ? configuration.reportIntervalSeconds : Int(FleetSimulator.reportInterval.components.seconds),
                clock: clock, logger: logger)
            let records = ServiceRecords(client: client, logger: logger)
            all.append(
                .init(
                    service: LeaderService(
                        lock: LeaderLock(duty: .maintenance, holder: holder), database: database.roles.app, readiness: readiness,
                        term: { [logger] in
                            [
                                RecurringService(name: "finished days", interval: .seconds(3600), readiness: readiness, logger: logger) {
                                    try await upkeep.finishedDays()
                                },
                                RecurringService(name: "retention", interval: .seconds(3600), readiness: readiness, logger: logger) {
                                    try await upkeep.retentionDue()
                                },
                                // Billing: sheets of trips finished since, bookings of signed sheets settled
                                // (nothing is lost to a failed round: it is found again).
                                RecurringService(name: "settlement sweep", interval: .seconds(10), readiness: readiness, logger: logger) {
                                    try await settlement.sweep()
                                },
                                // The platform's clock of service: each minute it serves is recorded; a
                                // minute missed is a minute of outage, which is what it was.
                                RecurringService(name: "uptime minute", interval: .seconds(30), readiness: readiness, logger: logger) {
                                    try await records.markMinute(clock.now)
                                },
                            ]
                        }, resign: {}, logger: logger)))
        }
        if roles.contains(.api) {
            var apiConfiguration = APIConfiguration(
                host: configuration.httpHost, port: configuration.httpPort, idleTimeout: TimeInterval(configuration.sessionIdleMinutes * 60),
                contractTotalFen: configuration.contractTotalFen, vatRates: configuration.vatRates, console: configuration.console)
            apiConfiguration.trustsProxy = configuration.trustsProxy
            let api = buildApplication(
                apiConfiguration, APIServices(client: client, dispatch: dispatch, settlement: settlement, health: health, logger: logger), logger: logger)
            // The maps' positions: one batch a second on this process's stream, only while someone listens.
            all.append(
                .init(
                    service: RecurringService(name: "position feed", interval: .seconds(1), readiness: readiness, logger: logger) {
                        try await dispatch.positionFeed.publish()
                    }))
            all.append(.init(service: OnceReady(service: api, readiness: readiness)))
        }
        logger.notice("fleetd serving", metadata: ["roles": "\(roles.sorted().map(\.rawValue).joined(separator: ","))", "process": "\(holder)"])
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

    /// The gateway's services: terminals' connections, their reports stored in shared
    /// transactions (each acknowledged once its batch committed) and handed on to dispatch's
    /// watch, the latest positions, and the operators' commands to the terminals connected here.
    private func gatewayServices(
        client: PostgresClient, database: ProvisionedDatabase, ingest: IngestRouter, readiness: Readiness
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let positions = PostgresPositionSink(client: client, database: database.roles.app, retention: configuration.retention, logger: logger)
        let groupCommit = GroupCommit(inner: FeedingPositionSink(inner: positions, feed: ingest))
        let profiles =
            try configuration.deviceProfilesDirectory.map { try ResourceDirectory.deviceProfileCatalog(at: $0) }
            ?? DeviceProfileCatalog(profiles: [])
        let gateway = GatewayServer(
            configuration: configuration.gateway,
            registry: PostgresTerminalRegistry(client: client, logger: logger),
            sink: groupCommit,
            events: FeedingEventSink(inner: PostgresEventSink(client: client, logger: logger), feed: ingest),
            media: PostgresMediaSink(client: client, logger: logger),
            clock: clock,
            logger: logger,
            profiles: profiles,
            driverCards: PostgresDriverCardSink(client: client, logger: logger),
            waitUntilReady: { try await readiness.wait() }
        )
        let relay = CommandRelay(
            queue: PostgresTerminalCommands(client: client, logger: logger), connections: gateway.connections,
            gateway: Self.processName, logger: logger)
        // Stopped in reverse: the gateway first, then the last batch is written, then the latest positions.
        return [
            .init(service: LatestPositionsWriter(sink: positions, readiness: readiness, logger: logger)), .init(service: groupCommit),
            .init(service: OnceReady(service: relay, readiness: readiness)), .init(service: gateway),
        ]
    }

    /// This process among the fleet's: host/pid, as the leaders' and the terminals' presence rows name it.
    static var processName: String { "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)" }

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
