import DomainTestSupport
import EmbeddedPostgres
import Foundation
import JT808
import Logging
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import Store
import TerminalSimulator
import TerminalTestSupport
import Testing

/// `kill -9` the server under load, start it again, let the terminals retransmit: nothing that
/// was acknowledged is missing, nothing is stored twice.
@Suite struct CrashRecoveryTests {
    @Test func nothingAcknowledgedIsLostOrDuplicatedAcrossAKill() async throws {
        try await TestPostgres.withDatabase { client, url in
            let fleet = FleetSimulator(count: 10, reportInterval: .seconds(1))
            let registry = PostgresTerminalRegistry(client: client, logger: TestPostgres.logger)
            for t in fleet.terminals { try await registry.bind(phone: t.phone.description, plate: t.plate, terminalID: t.terminalID) }
            let port = try EmbeddedPostgres.freePort()
            var server = try Fleetd.serve(url, gatewayPort: port)
            try await Fleetd.waitUntilListening(port)

            let statistics = SimulationStatistics()
            // The terminals' time of day stands at the start; reporting once a second each, they
            // date their reports a second apart from it, which keeps up with the server's.
            let clock = ManualClock(Date())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await fleet.run(host: "127.0.0.1", port: port, clock: clock, statistics: statistics, logger: Logger(label: "crash-test")) }
                // Load for a while, then the crash.
                for _ in 0..<100 where statistics.snapshot.acknowledged < 30 { try await Task.sleep(for: .milliseconds(100)) }
                #expect(await server.stop(SIGKILL) != nil)
                let beforeCrash = statistics.snapshot.acknowledged
                // Reports keep coming while the server is down; then it is back.
                try await Task.sleep(for: .seconds(2))
                server = try Fleetd.serve(url, gatewayPort: port)
                try await Fleetd.waitUntilListening(port)
                for _ in 0..<200 where statistics.snapshot.acknowledged < beforeCrash + 40 { try await Task.sleep(for: .milliseconds(100)) }
                group.cancelAll()
            }
            #expect(await server.stop() == 0, "fleetd stops when interrupted")

            let acknowledged = Set(statistics.acknowledgedReports)
            #expect(acknowledged.count >= 60, "too little load to prove anything: \(acknowledged.count)")
            var stored: [SimulationStatistics.AcknowledgedReport] = []
            let rows = try await client.query(
                "SELECT t.phone, extract(epoch FROM p.gnss_time)::int8 FROM positions p JOIN terminals t ON t.id = p.terminal_id",
                logger: TestPostgres.logger
            )
            for try await (phone, time) in rows.decode((String, Int64).self) { stored.append(.init(phone: phone, gnssTime: time)) }
            // Every acknowledged report is there; none twice.
            #expect(acknowledged.isSubset(of: Set(stored)), "missing: \(acknowledged.subtracting(stored).count)")
            #expect(stored.count == Set(stored).count)
        }
    }
}
