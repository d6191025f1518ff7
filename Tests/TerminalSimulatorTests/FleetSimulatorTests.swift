import Domain
import DomainTestSupport
import Foundation
import JT808
import Logging
import TerminalSimulator
import TerminalTestSupport
import Testing

/// Simulated terminals against the real gateway over loopback TCP (registry and sink in memory).
@Suite struct FleetSimulatorTests {
    let logger = Logger(label: "simulator-test")

    @Test func simulatedFleetReportsAndEveryAckedReportIsStored() async throws {
        let fleet = FleetSimulator(count: 5, reportInterval: .seconds(1))
        var known: [String: (id: Int32, code: String)] = [:]
        var onFile: [String: TerminalOnFile] = [:]
        for (i, t) in fleet.terminals.enumerated() {
            known[t.phone.description] = (id: Int32(i + 1), code: "AC-\(i)")
            // The simulated terminals register with the identity on file.
            onFile[t.phone.description] = TerminalOnFile(terminalID: t.terminalID, plate: t.plate)
        }
        let sink = RecordingSink()
        let statistics = SimulationStatistics()
        // The terminals and the gateway share one time of day, which stands still: the terminals
        // date their reports a second apart all the same.
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_305_600))
        try await withGateway(registry: KnownTerminals(known, onFile: onFile), sink: sink, clock: clock, logger: logger) { port, _ in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await fleet.run(host: "127.0.0.1", port: port, clock: clock, statistics: statistics, logger: logger) }
                // Until every terminal has had three reports acknowledged (bounded: 30 s).
                for _ in 0..<300 where statistics.snapshot.acknowledged < 15 { try? await Task.sleep(for: .milliseconds(100)) }
                group.cancelAll()
            }
        }
        let s = statistics.snapshot
        #expect(s.acknowledged >= 15)
        // Acknowledged means stored: the sink holds at least every acknowledged report.
        let stored = await sink.stored
        #expect(stored.count >= s.acknowledged)
        #expect(Set(stored.map(\.terminalID)) == Set(1...5))
        // Each terminal's reports are dated from the clock it was given, one second apart (a
        // retransmission may be stored twice).
        for terminal in 1...5 {
            let times = Set(stored.filter { $0.terminalID == terminal }.map(\.gnssTime)).sorted()
            #expect(times.first == 1_795_305_600 && zip(times, times.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(times)")
        }
        // Positions stay around Ningbo, and speeds are plausible.
        #expect(stored.allSatisfy { abs(Double($0.latitudeE6) / 1e6 - 29.8683) < 0.5 && abs(Double($0.longitudeE6) / 1e6 - 121.544) < 0.5 && $0.speed <= 900 })
    }
}
