import Domain
import DomainTestSupport
import Foundation
import GNSSTerminal
import Gateway
import JT808
import Logging
import NIOCore
import ServiceLifecycle
import ServiceTestSupport
import TerminalTestSupport
import Testing

/// gps808's terminal service against the real gateway over loopback TCP (registry and sink in
/// memory): fixes become stored reports, and the platform's commands get their answers.
@Suite struct TerminalServiceGatewayTests {
    let logger = Logger(label: "gps808-gateway-test")
    let phone = TerminalPhone(digits: "013912340808", version: .v2013)!

    @Test func reportsArriveAndPlatformCommandsAreAnswered() async throws {
        let sink = RecordingSink()
        let connections = TerminalConnections()
        let registry = KnownTerminals(
            [phone.description: (id: 9, code: "AC-9")], onFile: [phone.description: TerminalOnFile(terminalID: "2340808", plate: "浙B80808D")]
        )
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("gps808-gw-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: state) }
        let (fixes, fixesIn) = AsyncStream.makeStream(of: GNSSFix.self)
        // The terminal's and the gateway's time of day.
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_305_600))
        let now = clock.now.epochSeconds

        try await withGateway(
            registry: registry, sink: sink, clock: clock, connections: connections, logger: logger, configure: { $0.idleTimeout = .seconds(30) }
        ) { port, _ in
            let terminal = TerminalService(
                configuration: .init(
                    identity: GNSSTerminal.TerminalIdentity(phone: phone, plate: "浙B80808D"),
                    settings: TerminalSettings(serverHost: "127.0.0.1", serverPort: port, reportInterval: 1), stateDirectory: state
                ),
                fixes: fixes, wallClock: clock, logger: logger
            )
            let terminalGroup = ServiceGroup(services: [terminal], logger: logger)
            try await terminalGroup.whileRunning {

                // Three fixes a second apart, heading east at 36 km/h, 7 satellites; gpsd dates the
                // last 1024 weeks ahead, which the terminal's clock tells.
                for i in 0..<3 {
                    let rollover = i == 2 ? FixClock.weekRollover : 0
                    fixesIn.yield(
                        GNSSFix(
                            time: now - 10 + Int64(i) + rollover, mode: .threeDimensional, latitude: 29.868336, longitude: 121.54399 + Double(i) * 0.0001,
                            altitudeMSL: 12, speed: 10, track: 90, satellitesUsed: 7
                        ))
                }
                for _ in 0..<100 where await sink.stored.count < 3 { try await Task.sleep(for: .milliseconds(50)) }
                let stored = await sink.stored
                #expect(stored.map(\.gnssTime) == [now - 10, now - 9, now - 8])
                #expect(stored.allSatisfy { $0.terminalID == 9 && $0.speed == 360 && $0.course == 90 && $0.altitude == 12 })
                #expect(stored.last?.mileage == 0, "under 100 m driven: 0.0 km")

                // The platform asks; gps808 answers.
                let set = try await connections.send(
                    .setParameters([TerminalParameter(id: TerminalParameter.ID.defaultReportInterval, value: .dword(5))]), to: phone, timeout: .seconds(10)
                )
                guard case .terminalResponse(let ok) = set else {
                    Issue.record("0x8103 answered with \(set)")
                    return
                }
                #expect(ok.replyID == 0x8103 && ok.result == ResponseResult.success.rawValue)
                guard case .parameterReply(let parameters) = try await connections.send(.queryParameters, to: phone, timeout: .seconds(10)) else {
                    Issue.record("0x8104 not answered with 0x0104")
                    return
                }
                #expect(parameters[TerminalParameter.ID.defaultReportInterval] == .dword(5))
                #expect(parameters[TerminalParameter.ID.serverTCPPort] == .dword(UInt32(port)))
                guard case .locationReply(let located) = try await connections.send(.locateNow, to: phone, timeout: .seconds(10)) else {
                    Issue.record("0x8201 not answered with 0x0201")
                    return
                }
                #expect(located.location.time.epochSeconds == now - 8 && located.location.extras.satellites == 7)

                fixesIn.finish()
            }
        }
        // What the platform set survives the restart.
        let saved = try TerminalState.load(from: state.appendingPathComponent("state.json"))
        #expect(saved.authCode == "AC-9" && saved.settings?.reportInterval == 5)
    }
}
