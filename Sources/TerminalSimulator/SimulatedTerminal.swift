import Domain
import Foundation
import JT808
import JT808NIO
import Logging
import NIOCore
import Synchronization

/// Counters of a simulation run, shared by all its terminals.
public final class SimulationStatistics: Sendable {
    private let counts = Mutex<(sent: Int, acknowledged: Int, retransmitted: Int, connections: Int)>((0, 0, 0, 0))
    private let acknowledged = Mutex<[AcknowledgedReport]>([])

    /// One report the server acknowledged: it must be stored.
    public struct AcknowledgedReport: Hashable, Sendable {
        /// The terminal phone's BCD digits.
        public var phone: String
        public var gnssTime: Int64

        public init(phone: String, gnssTime: Int64) {
            self.phone = phone
            self.gnssTime = gnssTime
        }
    }

    public init() {}

    /// Every report acknowledged so far.
    public var acknowledgedReports: [AcknowledgedReport] { acknowledged.withLock { $0 } }

    func acknowledge(phone: TerminalPhone, gnssTime: Int64) {
        acknowledged.withLock { $0.append(AcknowledgedReport(phone: phone.description, gnssTime: gnssTime)) }
        record(acknowledged: 1)
    }

    func record(sent: Int = 0, acknowledged: Int = 0, retransmitted: Int = 0, connections: Int = 0) {
        counts.withLock {
            $0.sent += sent
            $0.acknowledged += acknowledged
            $0.retransmitted += retransmitted
            $0.connections += connections
        }
    }

    /// Location reports sent (first transmissions), acknowledged, and sent again.
    public var snapshot: (sent: Int, acknowledged: Int, retransmitted: Int, connections: Int) { counts.withLock { $0 } }
}

/// One simulated vehicle terminal: connects, registers, authenticates, then reports its
/// position every `reportInterval` and a heartbeat when idle, retransmitting reports that are
/// not acknowledged (JT/T 808: the n-th retry waits T(n) = T(n-1) x (n+1), from the TCP answer
/// timeout; after the last retry it gives up on the connection and reconnects).
public struct SimulatedTerminal: Sendable {
    public var phone: TerminalPhone
    public var plate: String
    /// What it registers as, and what the platform must have on file for it (`fleetd terminal bind`).
    public var terminalID: String
    public var route: Route
    public var reportInterval: Duration
    /// Parameter 0x0002 of the standard: how long to wait for an answer before the first retry.
    public var answerTimeout: Duration
    /// Parameter 0x0003: retries before giving up.
    public var retries: Int
    /// Where the vehicle is sent, if anywhere (the demo's crews drive to their jobs).
    public var destinations: Destinations?
    /// Its traction battery, reported through `SimulatedBattery.deviceProfile`; nil: it reports
    /// none (the load runs). With one, a car without a job drives back to the depot (the
    /// route's home) to charge when low.
    public var battery: SimulatedBattery?

    /// `terminalID` is the phone's last 7 digits unless given.
    public init(
        phone: TerminalPhone, plate: String, terminalID: String? = nil, route: Route, reportInterval: Duration = .seconds(10),
        answerTimeout: Duration = .seconds(10), retries: Int = 3
    ) {
        self.phone = phone
        self.plate = plate
        self.terminalID = terminalID ?? String(phone.description.suffix(7))
        self.route = route
        self.reportInterval = reportInterval
        self.answerTimeout = answerTimeout
        self.retries = retries
    }

    struct Unacknowledged {
        var frame: [UInt8]
        var gnssTime: Int64
        var attempts: Int
        var due: ContinuousClock.Instant
    }

    /// What a terminal keeps across connections, and what its reader and writer share.
    final class State: Sendable {
        struct Values {
            var route: Route
            var battery: SimulatedBattery?
            var serial: UInt16 = 0
            var authCode: String?
            var pending: [UInt16: Unacknowledged] = [:]
            var lastReportTime: Int64 = 0
        }
        let values: Mutex<Values>
        init(route: Route, battery: SimulatedBattery?) { values = Mutex(Values(route: route, battery: battery)) }

        /// The next frame of `message`, with the next serial number.
        func frame(_ message: Message, phone: TerminalPhone) -> (serial: UInt16, bytes: [UInt8]) {
            values.withLock { v in
                defer { v.serial &+= 1 }
                return (
                    v.serial,
                    FrameEncoder.encode(message, header: MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: v.serial))[0]
                )
            }
        }
    }

    /// A report the server did not acknowledge after every retry, or a closed connection.
    struct Unanswered: Error {}

    /// Runs until cancelled, reconnecting after errors (reports not yet acknowledged are sent
    /// again on the new connection); its reports are dated by `clock`.
    public func run(host: String, port: Int, clock: any WallClock, statistics: SimulationStatistics, logger: Logger) async {
        let state = State(route: route, battery: battery)
        var backOff = ReconnectBackOff(seed: UInt64(phone.description) ?? 0)
        while !Task.isCancelled {
            let connected = ContinuousClock.now
            do {
                try await connectOnce(host: host, port: port, clock: clock, state: state, statistics: statistics)
            } catch {
                logger.debug("terminal disconnected; reconnecting", metadata: ["phone": "\(phone)", "error": "\(error)"])
            }
            try? await Task.sleep(for: backOff.next(afterConnectionOf: ContinuousClock.now - connected))
        }
    }

    private func connectOnce(host: String, port: Int, clock: any WallClock, state: State, statistics: SimulationStatistics) async throws {
        let channel = try await connectTerminal(host: host, port: port)
        statistics.record(connections: 1)
        try await channel.executeThenClose { inbound, outbound in
            var answers = inbound.makeAsyncIterator()
            func next() async throws -> Message {
                while true {
                    guard let item = try await answers.next() else { throw Unanswered() }
                    if case .frame(let f) = item, let m = f.message { return m }
                }
            }
            if state.values.withLock({ $0.authCode }) == nil {
                let registration = Registration(
                    province: 33, city: 200, manufacturer: "FLEET", model: "SIM-808", terminalID: terminalID,
                    plateColor: 5, plate: plate
                )
                try await outbound.write(ByteBuffer(bytes: state.frame(.registration(registration), phone: phone).bytes))
                guard case .registrationResponse(let response) = try await next(), let code = response.authCode else { throw Unanswered() }
                state.values.withLock { $0.authCode = code }
            }
            let code = state.values.withLock { $0.authCode } ?? ""
            try await outbound.write(ByteBuffer(bytes: state.frame(.authentication(Authentication(authCode: code)), phone: phone).bytes))
            guard case .platformResponse(let auth) = try await next(), auth.result == 0 else {
                state.values.withLock { $0.authCode = nil }  // register again next time
                throw Unanswered()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await send(to: outbound, wallClock: clock, state: state, statistics: statistics) }
                // Reading: acknowledgements clear their reports; the platform's commands are answered.
                while let item = try await answers.next() {
                    guard case .frame(let f) = item, let message = f.message else { continue }
                    guard case .platformResponse(let ack) = message else {
                        let position = state.values.withLock { $0.route.report(at: $0.lastReportTime) }
                        if let answer = answer(message, serial: f.header.serial, position: position) {
                            try await outbound.write(ByteBuffer(bytes: state.frame(answer, phone: phone).bytes))
                        }
                        continue
                    }
                    guard ack.replyID == Message.ID.location else { continue }
                    if let report = state.values.withLock({ $0.pending.removeValue(forKey: ack.replySerial) }) {
                        statistics.acknowledge(phone: phone, gnssTime: report.gnssTime)
                    }
                }
                group.cancelAll()
                throw Unanswered()
            }
        }
    }

    /// The answer to a platform command (issue 17's commands reach the demo's cars too): where
    /// the car is, its report interval, what it is; settings, tracking and texts acknowledged
    /// (a simulated car keeps its schedule); anything else, a camera too, "not supported".
    func answer(_ command: Message, serial: UInt16, position: LocationReport) -> Message? {
        func general(_ result: ResponseResult) -> Message {
            .terminalResponse(GeneralResponse(replySerial: serial, replyID: command.messageID, result: result))
        }
        let parameters = [
            TerminalParameter(id: TerminalParameter.ID.heartbeatInterval, value: .dword(60)),
            TerminalParameter(id: TerminalParameter.ID.defaultReportInterval, value: .dword(UInt32(clamping: reportInterval.components.seconds))),
        ]
        switch command {
        case .registrationResponse, .resendRequest, .multimediaUploadResponse: return nil
        case .locateNow: return .locationReply(LocationReply(replySerial: serial, location: position))
        case .queryParameters: return .parameterReply(ParameterReply(replySerial: serial, parameters: parameters))
        case .querySpecificParameters(let ids):
            return .parameterReply(ParameterReply(replySerial: serial, parameters: parameters.filter { ids.contains($0.id) }))
        case .setParameters, .tracking, .text: return general(.success)
        case .queryAttributes:
            return .attributes(
                TerminalAttributes(
                    terminalType: 0b1, manufacturer: "FLEET", model: "SIM-808", terminalID: terminalID, iccid: String(repeating: "0", count: 20),
                    hardwareVersion: "sim", firmwareVersion: "sim", gnssAttributes: 0b1, communicationAttributes: 0b10))
        default: return general(.unsupported)
        }
    }

    /// Reports on schedule, and retransmits what is overdue, as the standard's back-off says.
    private func send(
        to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, wallClock: any WallClock, state: State, statistics: SimulationStatistics
    ) async throws {
        let clock = ContinuousClock()
        // What was pending on the last connection goes out again at once.
        var resend = state.values.withLock { v in v.pending.keys.sorted().compactMap { v.pending[$0]?.frame } }
        var nextReport = clock.now
        while !Task.isCancelled {
            for frame in resend {
                try await outbound.write(ByteBuffer(bytes: frame))
                statistics.record(retransmitted: 1)
            }
            let now = clock.now
            if now >= nextReport {
                let report = state.values.withLock { v -> LocationReport in
                    let seconds = Double(reportInterval.components.seconds) + Double(reportInterval.components.attoseconds) / 1e18
                    let odometer = v.route.mileage
                    if let target = destinations?.target(of: plate) {
                        v.route.advance(seconds: seconds, toward: target)
                    } else if v.battery?.wantsCharger == true {
                        v.route.advance(seconds: seconds, toward: v.route.home)
                    } else {
                        v.route.advance(seconds: seconds)
                    }
                    let driven = v.route.mileage - odometer, parked = v.route.parkedAtHome
                    v.battery?.advance(km: driven, seconds: seconds, parkedAtDepot: parked)
                    // GNSS time has whole seconds: a terminal driven faster than a report a
                    // second (a load run) lets its clock run ahead rather than repeat a second.
                    v.lastReportTime = max(wallClock.now.epochSeconds, v.lastReportTime + 1)
                    return v.route.report(at: v.lastReportTime, vendorItems: v.battery?.items ?? [])
                }
                let (serial, bytes) = state.frame(.location(report), phone: phone)
                state.values.withLock {
                    $0.pending[serial] = Unacknowledged(frame: bytes, gnssTime: report.time.epochSeconds, attempts: 0, due: now.advanced(by: answerTimeout))
                }
                try await outbound.write(ByteBuffer(bytes: bytes))
                statistics.record(sent: 1)
                nextReport = now.advanced(by: reportInterval)
            }
            var exhausted = false
            resend = state.values.withLock { v in
                var due: [[UInt8]] = []
                for (key, var entry) in v.pending where entry.due <= now {
                    if entry.attempts >= retries {
                        exhausted = true
                        continue
                    }
                    entry.attempts += 1
                    entry.due = now.advanced(by: answerTimeout * (entry.attempts + 1))
                    v.pending[key] = entry
                    due.append(entry.frame)
                }
                return due
            }
            if exhausted { throw Unanswered() }
            try await Task.sleep(until: min(nextReport, clock.now.advanced(by: .milliseconds(200))), clock: clock)
        }
    }
}

/// How long a terminal waits before connecting again: 1 s after a connection that lasted, then
/// doubling to at most 60 s while connections keep failing, each wait drawn at random between
/// half and all of it, so that the terminals of a gateway that died come back spread out rather
/// than all at once.
struct ReconnectBackOff {
    static let first: Duration = .seconds(1)
    static let longest: Duration = .seconds(60)
    /// A connection that lasted this long was a good one: the waits start over.
    static let lasting: Duration = .seconds(30)

    var random: SplitMix64
    var ceiling = first

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next(afterConnectionOf lasted: Duration) -> Duration {
        if lasted >= Self.lasting { ceiling = Self.first }
        let wait = ceiling * Double.random(in: 0.5...1, using: &random)
        ceiling = min(ceiling * 2, Self.longest)
        return wait
    }
}
