import Billing
import Dispatching
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import Settlement
import Store

/// The API's settings, from fleetd's configuration.
public struct APIConfiguration: Sendable {
    public var host: String
    /// 0: any free port (tests learn it from `onServerRunning`).
    public var port: Int
    /// How long a token lasts, and how long it may lie unused.
    public var tokenLifetime: TimeInterval
    public var idleTimeout: TimeInterval
    /// The contract's total for its whole term, in fen: what the monthly assessment pays from.
    public var contractTotalFen: Int64
    /// VAT by line kind, for the invoices' figures.
    public var vatRates: VATRates
    /// The browser console served beside the API.
    public var console: ConsoleConfiguration
    /// Requests from loopback come through a proxy that names the client in X-Forwarded-For
    /// (`FLEET_TRUST_PROXY`, Deploy/haproxy.cfg).
    public var trustsProxy = false

    public init(
        host: String = "127.0.0.1", port: Int = 8080, tokenLifetime: TimeInterval = 12 * 3600, idleTimeout: TimeInterval = 30 * 60,
        contractTotalFen: Int64 = 0, vatRates: VATRates = .transportService, console: ConsoleConfiguration = ConsoleConfiguration()
    ) {
        (self.host, self.port, self.tokenLifetime, self.idleTimeout) = (host, port, tokenLifetime, idleTimeout)
        (self.contractTotalFen, self.vatRates, self.console) = (contractTotalFen, vatRates, console)
    }
}

/// The services the API's routes call, wired once by the composition root.
public struct APIServices: Sendable {
    /// For the API's own records: accounts and sessions, reports, the assessment.
    public var client: PostgresClient
    public var dispatch: DispatchServices
    public var settlement: SettlementService
    public var latest: LatestPositionsJSON
    /// Commands to the terminals, through the database to whichever gateway has the terminal.
    public var commands: TerminalCommandService
    /// What `/health/ready` reports.
    public var health: HealthCheck

    /// `settlement` by default on the dispatch services' feed, events and clock.
    public init(
        client: PostgresClient, dispatch: DispatchServices, settlement: SettlementService? = nil, latest: LatestPositionsJSON = LatestPositionsJSON(),
        health: HealthCheck? = nil, logger: Logger
    ) {
        (self.client, self.dispatch, self.latest) = (client, dispatch, latest)
        self.health = health ?? HealthCheck(client: client, knownMigrations: nil, logger: logger)
        commands = TerminalCommandService(client: client, logger: logger)
        self.settlement =
            settlement
            ?? SettlementService(
                client: client, positions: dispatch.positions, feed: dispatch.feed, events: dispatch.events, clock: dispatch.clock,
                calendar: dispatch.zonesAndCalendar.current, logger: logger)
    }
}

/// The HTTP API as an application: its routes on `services`, listening as `configuration` says.
public func buildApplication(
    _ configuration: APIConfiguration, _ services: APIServices, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    FleetAPI(services: services, configuration: configuration, logger: logger).application(configuration, onServerRunning: onServerRunning)
}
