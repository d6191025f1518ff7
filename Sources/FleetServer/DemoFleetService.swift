import Domain
import Logging
import PostgresNIO
import ServiceLifecycle
import Store
import TerminalSimulator

/// The demo's simulated fleet: provisions its vehicles and terminals, then drives them against
/// the server's own gateway, logging progress every 30 seconds.
struct DemoFleetService: Service {
    let client: PostgresClient
    let fleet: FleetSimulator
    let gatewayPort: Int
    let readiness: Readiness
    /// What the simulated terminals date their reports by.
    let clock: any WallClock
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await readiness.wait() }
        try await FleetServer.bind(fleet, registry: PostgresTerminalRegistry(client: client, logger: logger))
        logger.notice("demo fleet driving", metadata: ["vehicles": "\(fleet.terminals.count)", "around": "Ningbo", "gateway": "127.0.0.1:\(gatewayPort)"])
        let statistics = SimulationStatistics()
        await withDiscardingTaskGroup { group in
            group.addTask { await fleet.run(host: "127.0.0.1", port: gatewayPort, clock: clock, statistics: statistics, logger: logger) }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(30))
                    let s = statistics.snapshot
                    logger.info("demo fleet", metadata: ["sent": "\(s.sent)", "acknowledged": "\(s.acknowledged)", "retransmitted": "\(s.retransmitted)"])
                }
            }
            // Both run until the server shuts down.
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
