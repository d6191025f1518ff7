import ArgumentParser
import Domain
import Foundation
import GNSSTerminal
import GPSD
import JT808
import Logging
import ServiceLifecycle
import UnixSignals

/// A Linux box with a GNSS receiver and gpsd, as a JT/T 808 terminal.
@main
struct GPS808: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gps808",
        abstract: "Report the fixes of a GNSS receiver (through gpsd) to a JT/T 808 platform, as a vehicle terminal.",
        discussion: """
            Every report is kept in STATE_DIR until the platform acknowledges it: while the server is unreachable they \
            pile up there (the blind zone), and go up as 0x0704 batches before live reports once it answers again, also \
            after a restart. The platform may change the report and heartbeat intervals, the corner angle and the \
            server address (0x8103); those changes are kept in STATE_DIR/state.json and win over these options.

            Fix times: gpsd 3.22 dates NMEA from before 2017 1024 weeks ahead (a GPS week-rollover guess); a fix more \
            than a day in the future is moved back by 1024 weeks. --time-shift then moves every fix (for replays of old logs).
            """
    )

    @Option(help: "The terminal's phone number (its JT/T 808 id, up to 12 digits; 20 with --protocol 2019 is not supported yet).")
    var phone: String
    @Option(help: "The vehicle's plate, as the platform knows it.") var plate: String
    @Option(help: "Plate colour: 1 blue, 2 yellow, 3 black, 4 white, 5 green (new energy), 9 other.") var plateColor: UInt8 = 5
    @Option(help: "Province and city codes of the registration (GB/T 2260).") var province: UInt16 = 0
    @Option(help: "City code of the registration.") var city: UInt16 = 0
    @Option(help: "Terminal id sent at registration (default: the last 7 digits of the phone number).") var terminalID: String?
    @Option(help: "The JT/T 808 server, host:port.") var server = "127.0.0.1:6808"
    @Option(help: "gpsd, host:port.") var gpsd = "localhost:2947"
    @Option(help: "Seconds between two reports (parameter 0x0029).") var reportInterval = 30
    @Option(help: "A heading change of more than this many degrees is reported at once (0x0030).") var cornerAngle = 30
    @Option(help: "Seconds of silence before a heartbeat (0x0001).") var heartbeatInterval = 60
    @Option(help: "Seconds to wait for an answer before sending again (0x0002).") var answerTimeout = 10
    @Option(help: "Retransmissions before the connection is given up (0x0003).") var retries = 3
    @Option(help: "Folder for the report journal and state. Default: $STATE_DIRECTORY (systemd), else .gps808")
    var stateDir: String?
    @Option(help: "Reports kept at most while the server is unreachable; beyond, the oldest are dropped and counted.")
    var journalCapacity = 86_400
    @Option(help: "Seconds added to every fix time (for replays of old logs; 0 on a vehicle).") var timeShift: Int64 = 0

    func validate() throws {
        guard TerminalPhone(digits: phone, version: .v2013) != nil else { throw ValidationError("--phone must be 1 to 12 digits, e.g. 013912345678") }
        guard Self.hostPort(server) != nil else { throw ValidationError("--server must be host:port, e.g. fleet.example.cn:6808") }
        guard Self.hostPort(gpsd) != nil else { throw ValidationError("--gpsd must be host:port, e.g. localhost:2947") }
        guard reportInterval > 0, heartbeatInterval > 0, answerTimeout > 0, retries >= 0, journalCapacity > 0 else {
            throw ValidationError("intervals, the answer timeout and the journal capacity must be positive")
        }
        guard cornerAngle > 0 && cornerAngle < 180 else { throw ValidationError("--corner-angle must be between 1 and 179 degrees") }
    }

    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port), colon > text.startIndex
        else { return nil }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        var logger = Logger(label: "gps808")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let server = Self.hostPort(server)!, gpsd = Self.hostPort(gpsd)!
        let directory = stateDir ?? ProcessInfo.processInfo.environment["STATE_DIRECTORY"] ?? ".gps808"
        let configuration = TerminalService.Configuration(
            identity: TerminalIdentity(
                phone: TerminalPhone(digits: phone, version: .v2013)!, plate: plate, plateColor: plateColor, province: province, city: city,
                terminalID: terminalID
            ),
            settings: TerminalSettings(
                serverHost: server.host, serverPort: server.port, reportInterval: reportInterval, heartbeatInterval: heartbeatInterval,
                cornerAngle: cornerAngle, answerTimeout: answerTimeout, retries: retries
            ),
            stateDirectory: URL(fileURLWithPath: directory), journalCapacity: journalCapacity, clock: FixClock(shift: timeShift)
        )
        let reader = GPSDReader(host: gpsd.host, port: gpsd.port, logger: logger)
        reader.start()
        defer { reader.stop() }
        let terminal = TerminalService(configuration: configuration, fixes: reader.fixes, wallClock: SystemClock(), logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: terminal)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
