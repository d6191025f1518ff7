import Domain
import DomainTestSupport
import Foundation
import Gateway
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

    /// The demo's cars answer the operators' commands (issue 17): where they are, their report
    /// interval, what they are; a camera they do not have is "not supported".
    @Test func simulatedTerminalsAnswerThePlatformsCommands() async throws {
        let fleet = FleetSimulator(count: 1, reportInterval: .seconds(1))
        let terminal = fleet.terminals[0]
        let registry = KnownTerminals(
            [terminal.phone.description: (id: 1, code: "AC-1")],
            onFile: [terminal.phone.description: TerminalOnFile(terminalID: terminal.terminalID, plate: terminal.plate)])
        let (sink, statistics, connections) = (RecordingSink(), SimulationStatistics(), TerminalConnections())
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_305_600))
        try await withGateway(registry: registry, sink: sink, clock: clock, connections: connections, logger: logger) { port, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await fleet.run(host: "127.0.0.1", port: port, clock: clock, statistics: statistics, logger: logger) }
                defer { group.cancelAll() }
                for _ in 0..<100 where statistics.snapshot.acknowledged < 1 { try await Task.sleep(for: .milliseconds(100)) }
                guard case .locationReply(let located) = try await connections.send(.locateNow, to: terminal.phone, timeout: .seconds(5)) else {
                    Issue.record("0x8201 not answered with 0x0201")
                    return
                }
                #expect(abs(Double(located.location.latitudeMicrodegrees) / 1e6 - 29.8683) < 0.5 && located.location.time.epochSeconds >= 1_795_305_600)
                guard
                    case .parameterReply(let parameters) = try await connections.send(
                        .querySpecificParameters([0x0029]), to: terminal.phone, timeout: .seconds(5))
                else {
                    Issue.record("0x8106 not answered with 0x0104")
                    return
                }
                #expect(parameters.parameters == [TerminalParameter(id: 0x0029, value: .dword(1))])
                guard case .attributes(let attributes) = try await connections.send(.queryAttributes, to: terminal.phone, timeout: .seconds(5)) else {
                    Issue.record("0x8107 not answered with 0x0107")
                    return
                }
                #expect(attributes.terminalID == terminal.terminalID && attributes.model == "SIM-808")
                let camera = CameraCommand(
                    channel: 1, command: 1, interval: 0, saveFlag: 0, resolution: 1, quality: 5, brightness: 127, contrast: 63, saturation: 63, chroma: 127)
                guard case .terminalResponse(let refused) = try await connections.send(.camera(camera), to: terminal.phone, timeout: .seconds(5)) else {
                    Issue.record("0x8801 not answered with 0x0001")
                    return
                }
                #expect(refused.replyID == 0x8801 && refused.result == ResponseResult.unsupported.rawValue)
            }
        }
    }
}
