import Foundation
import JT808
import Logging

/// A JT/T 808 terminal's side of the protocol, as a state machine: events in (a fix, a
/// connection opened or lost, a frame from the platform, the clock ticking), actions out
/// (connect, send these bytes, close). The caller owns the socket; this type owns the rules.
///
/// - Every fix the `ReportPolicy` picks is written to the `ReportJournal` first, then sent.
/// - After authenticating, what was pending before the connection (the blind zone) goes up as
///   0x0704 batches of type 1, and only then live reports as 0x0200.
/// - A report is forgotten only when the platform's 0x8001 for its frame arrives. Frames not
///   answered are sent again after 0x0002 seconds, then 2x, 3x... (T(n) = T(n-1) x (n+1)); after
///   0x0003 retries the connection is given up and what it carried becomes blind-zone backlog.
/// - Registration (0x0100) only when there is no authentication code yet; a refused
///   authentication forgets the code and registers again on the next connection.
/// - Platform commands: 0x8103/0x8104/0x8106 parameters, 0x8201 locate now, 0x8202 temporary
///   tracking, 0x8300 text (logged); anything else is answered "not supported".
public final class TerminalUplink {
    public enum Action: Equatable, Sendable {
        case connect(host: String, port: Int)
        case send([UInt8])
        case close
    }

    struct InFlight {
        var sequences: [UInt64]
        var frame: [UInt8]
        var attempts: Int
        var due: ContinuousClock.Instant
    }

    struct Online {
        /// Reports with a lower sequence number were pending when the connection opened.
        var backlogEnd: UInt64
        /// Every pending report up to this sequence number has been sent on this connection;
        /// one the platform could not store waits for the next connection.
        var sentThrough: UInt64 = 0
        var inFlight: [UInt16: InFlight] = [:]
        var lastSent: ContinuousClock.Instant
        /// A server address was set: close once the answer has gone out, and reconnect there.
        var moving = false
    }

    enum Link {
        case offline(retryAt: ContinuousClock.Instant)
        case connecting
        /// Waiting for 0x8100 or the 0x8001 of 0x0102 since the instant given.
        case registering(since: ContinuousClock.Instant)
        case authenticating(since: ContinuousClock.Instant)
        case online(Online)
    }

    public let identity: TerminalIdentity
    public private(set) var settings: TerminalSettings
    public let journal: ReportJournal
    public private(set) var state: TerminalState
    public var clock: FixClock
    public private(set) var policy: ReportPolicy
    public private(set) var odometer: Odometer
    /// Reports the platform refused as malformed (0x8001 result 2 or 3): never sent again.
    public private(set) var refused = 0

    private let stateURL: URL?
    private let logger: Logger
    private var link: Link
    private var serial: UInt16 = 0
    /// The id of the last photo taken (0x0801 names it; the platform keeps each once per id).
    private var lastMediaID: UInt32 = 0
    private var lastFix: GNSSFix?
    private var reconnectDelay: Duration = .seconds(1)
    /// Frames of the blind-zone backlog in flight at once, and live reports in flight at once.
    static let backlogWindow = 4
    static let liveWindow = 32

    public init(
        identity: TerminalIdentity, settings: TerminalSettings, journal: ReportJournal, state: TerminalState, stateURL: URL?,
        clock: FixClock = FixClock(), logger: Logger, now: ContinuousClock.Instant
    ) {
        self.identity = identity
        self.settings = state.settings ?? settings
        self.journal = journal
        self.state = state
        self.stateURL = stateURL
        self.clock = clock
        self.logger = logger
        policy = ReportPolicy(interval: Int64(self.settings.reportInterval), cornerAngle: Double(self.settings.cornerAngle))
        odometer = Odometer(meters: journal.odometer)
        link = .offline(retryAt: now)
    }

    public var isOnline: Bool {
        if case .online = link { return true }
        return false
    }

    // MARK: events

    /// A fix from the receiver. `wallClock` (UTC seconds) tells a real time from gpsd's
    /// week-rollover error.
    public func fixed(_ fix: GNSSFix, wallClock: Int64, now: ContinuousClock.Instant) -> [Action] {
        var fix = fix
        fix.time = clock.reportTime(of: fix.time, now: wallClock)
        guard fix.isPositioned else { return [] }
        odometer.add(fix)
        lastFix = fix
        guard policy.consider(fix) != nil else { return [] }
        do {
            try journal.append(fix.report(mileageMeters: odometer.meters), odometer: odometer.meters)
        } catch {
            logger.error("a report could not be stored and is lost: \(error)")
        }
        return pump(now: now)
    }

    /// The clock: connects when due, retransmits, sends heartbeats.
    public func tick(now: ContinuousClock.Instant) -> [Action] {
        switch link {
        case .offline(let retryAt) where now >= retryAt:
            link = .connecting
            return [.connect(host: settings.serverHost, port: settings.serverPort)]
        case .online(var online):
            var actions: [Action] = []
            for (serial, var frame) in online.inFlight where frame.due <= now {
                guard frame.attempts < settings.retries else {
                    logger.warning("no answer to frame \(serial) after \(settings.retries) retransmissions; reconnecting")
                    return [.close]
                }
                frame.attempts += 1
                frame.due = now.advanced(by: .seconds(settings.answerTimeout * (frame.attempts + 1)))
                online.inFlight[serial] = frame
                actions.append(.send(frame.frame))
            }
            if !actions.isEmpty { online.lastSent = now }
            link = .online(online)
            if now >= online.lastSent.advanced(by: .seconds(settings.heartbeatInterval)) {
                actions.append(send(.heartbeat, now: now))
            }
            return actions + pump(now: now)
        case .registering(let since), .authenticating(let since):
            // A server that accepts the connection but never answers is given up like one
            // that is unreachable.
            guard now >= since.advanced(by: .seconds(settings.answerTimeout)) else { return [] }
            logger.warning("no answer to \(state.authCode == nil ? "the registration" : "the authentication") within \(settings.answerTimeout) s; reconnecting")
            return [.close]
        default:
            return []
        }
    }

    public func connected(now: ContinuousClock.Instant) -> [Action] {
        if let code = state.authCode {
            link = .authenticating(since: now)
            return [send(.authentication(Authentication(authCode: code)), now: now)]
        }
        link = .registering(since: now)
        return [send(.registration(identity.registration), now: now)]
    }

    /// The connection failed or closed: what it carried stays pending, for the next one.
    public func disconnected(now: ContinuousClock.Instant) -> [Action] {
        if case .online = link { reconnectDelay = .seconds(1) }
        link = .offline(retryAt: now.advanced(by: reconnectDelay))
        reconnectDelay = min(reconnectDelay * 2, .seconds(60))
        return []
    }

    public func received(_ header: MessageHeader, _ message: Message, now: ContinuousClock.Instant) -> [Action] {
        switch (link, message) {
        case (.registering, .registrationResponse(let response)):
            guard let code = response.authCode else {
                logger.error(
                    "the platform refused the registration of \(identity.phone) (\(identity.plate)): \(Self.describe(registration: response.result)); retrying later"
                )
                return [.close]
            }
            state.authCode = code
            saveState()
            link = .authenticating(since: now)
            return [send(.authentication(Authentication(authCode: code)), now: now)]
        case (.authenticating, .platformResponse(let answer)) where answer.replyID == Message.ID.authentication:
            guard answer.result == ResponseResult.success.rawValue else {
                logger.warning("authentication refused (result \(answer.result)); registering again")
                state.authCode = nil
                saveState()
                return [.close]
            }
            link = .online(Online(backlogEnd: journal.nextSequence, lastSent: now))
            reconnectDelay = .seconds(1)
            let backlog = journal.pendingCount
            if backlog > 0 { logger.info("online; uploading \(backlog) stored report(s) from the blind zone first") }
            return pump(now: now)
        case (.online(var online), .platformResponse(let answer)):
            guard let frame = online.inFlight.removeValue(forKey: answer.replySerial) else { return [] }
            link = .online(online)
            switch ResponseResult(rawValue: answer.result) {
            case .success, .alarmAcknowledged:
                forget(frame.sequences)
            case .messageError, .unsupported:
                logger.error("the platform refused \(frame.sequences.count) report(s) as malformed (result \(answer.result)); dropping them")
                refused += frame.sequences.count
                forget(frame.sequences)
            case .failure, nil:
                logger.warning("the platform could not store \(frame.sequences.count) report(s) (result \(answer.result)); they stay pending")
            }
            return pump(now: now)
        case (.online, _):
            return command(header, message, now: now)
        default:
            return []
        }
    }

    // MARK: sending

    /// Sends what the windows allow: the backlog as 0x0704 first, then live 0x0200 reports.
    private func pump(now: ContinuousClock.Instant) -> [Action] {
        guard case .online(var online) = link, !online.moving else { return [] }
        defer { link = .online(online) }
        let backlogInFlight = online.inFlight.values.filter { $0.sequences[0] < online.backlogEnd }.count
        let waiting = journal.pending(after: online.sentThrough, limit: Self.liveWindow * 40)
        var actions: [Action] = []
        if let first = waiting.first, first.sequence < online.backlogEnd {
            var rest = waiting.prefix { $0.sequence < online.backlogEnd }[...]
            for _ in backlogInFlight..<max(backlogInFlight, Self.backlogWindow) {
                let batch = Self.blindZoneBatch(from: &rest)
                guard !batch.isEmpty else { break }
                actions.append(
                    inFlight(.locationBatch(LocationBatch(kind: .blindZone, locations: batch.map(\.report))), batch.map(\.sequence), &online, now: now))
            }
        } else if backlogInFlight == 0 {
            // Live reports go out only once the whole backlog is acknowledged.
            for entry in waiting.prefix(max(0, Self.liveWindow - online.inFlight.count)) {
                actions.append(inFlight(.location(entry.report), [entry.sequence], &online, now: now))
            }
        }
        return actions
    }

    /// As many reports from the front of `entries` as one 0x0704 frame holds (its body: count,
    /// type, then each report's length and body, at most 1023 bytes).
    static func blindZoneBatch(from entries: inout ArraySlice<ReportJournal.Entry>) -> [ReportJournal.Entry] {
        var batch: [ReportJournal.Entry] = []
        var size = 3
        while let entry = entries.first {
            let itemSize = 2 + Message.location(entry.report).encodeBody(version: .v2013).count
            guard size + itemSize <= FrameEncoder.maximumBodyLength else { break }
            batch.append(entries.removeFirst())
            size += itemSize
        }
        return batch
    }

    private func inFlight(_ message: Message, _ sequences: [UInt64], _ online: inout Online, now: ContinuousClock.Instant) -> Action {
        let frame = nextFrame(message)
        online.sentThrough = max(online.sentThrough, sequences.max() ?? 0)
        online.inFlight[frame.serial] = InFlight(sequences: sequences, frame: frame.bytes, attempts: 0, due: now.advanced(by: .seconds(settings.answerTimeout)))
        online.lastSent = now
        return .send(frame.bytes)
    }

    private func send(_ message: Message, now: ContinuousClock.Instant) -> Action {
        if case .online(var online) = link {
            online.lastSent = now
            link = .online(online)
        }
        return .send(nextFrame(message).bytes)
    }

    /// Every frame of `message`: a long one goes as sub-packages with consecutive serials.
    private func sendAll(_ message: Message, now: ContinuousClock.Instant) -> [Action] {
        let frames = FrameEncoder.encode(message, header: MessageHeader(messageID: message.messageID, version: .v2013, phone: identity.phone, serial: serial))
        serial &+= UInt16(truncatingIfNeeded: frames.count)
        if case .online(var online) = link {
            online.lastSent = now
            link = .online(online)
        }
        return frames.map { .send($0) }
    }

    private func nextFrame(_ message: Message) -> (serial: UInt16, bytes: [UInt8]) {
        defer { serial &+= 1 }
        let header = MessageHeader(messageID: message.messageID, version: .v2013, phone: identity.phone, serial: serial)
        return (serial, FrameEncoder.encode(message, header: header)[0])
    }

    private func forget(_ sequences: [UInt64]) {
        do {
            try journal.acknowledge(sequences)
        } catch {
            logger.error("could not record an acknowledgement (the reports may be sent again): \(error)")
        }
    }

    // MARK: platform commands

    private func command(_ header: MessageHeader, _ message: Message, now: ContinuousClock.Instant) -> [Action] {
        func answer(_ result: ResponseResult) -> Action {
            send(.terminalResponse(GeneralResponse(replySerial: header.serial, replyID: header.messageID, result: result)), now: now)
        }
        switch message {
        case .setParameters(let list):
            let before = settings
            guard settings.apply(list) else {
                logger.warning("refused parameters \(list.map { String($0.id, radix: 16) }): unknown or out of range")
                return [answer(.failure)]
            }
            state.settings = settings
            saveState()
            policy.interval = Int64(settings.reportInterval)
            policy.cornerAngle = Double(settings.cornerAngle)
            logger.info("the platform set parameters: \(settings)")
            guard settings.serverHost != before.serverHost || settings.serverPort != before.serverPort else { return [answer(.success)] }
            if case .online(var online) = link {
                online.moving = true
                link = .online(online)
            }
            return [answer(.success), .close]
        case .queryParameters:
            return [send(.parameterReply(ParameterReply(replySerial: header.serial, parameters: settings.parameters)), now: now)]
        case .querySpecificParameters(let ids):
            let wanted = Set(ids)
            return [
                send(.parameterReply(ParameterReply(replySerial: header.serial, parameters: settings.parameters.filter { wanted.contains($0.id) })), now: now)
            ]
        case .locateNow:
            guard let lastFix else { return [answer(.failure)] }
            return [send(.locationReply(LocationReply(replySerial: header.serial, location: lastFix.report(mileageMeters: odometer.meters))), now: now)]
        case .tracking(let control):
            policy.track(interval: Int64(control.intervalSeconds), validity: Int64(control.validitySeconds), from: lastFix?.time ?? 0)
            logger.info("temporary tracking: every \(control.intervalSeconds) s for \(control.validitySeconds) s")
            return [answer(.success)]
        case .text(let text):
            logger.notice("text from the platform: \(text.text)")
            return [answer(.success)]
        case .queryAttributes:
            // A passenger vehicle's terminal (type bit 0), GPS only (GNSS bit 0), over the
            // mobile network (communication bit 1: GPRS); no SIM's ICCID known to gps808.
            let attributes = TerminalAttributes(
                terminalType: 0b1, manufacturer: identity.manufacturer, model: identity.model, terminalID: identity.terminalID,
                iccid: String(repeating: "0", count: 20), hardwareVersion: "linux", firmwareVersion: "gps808", gnssAttributes: 0b1,
                communicationAttributes: 0b10)
            return [send(.attributes(attributes), now: now)]
        case .camera(let camera):
            // Photos, taken at once and uploaded (save flag 0); no video, no camera but channel 1.
            guard camera.command != 0, camera.command != 0xFFFF else { return [answer(.unsupported)] }
            guard camera.channel == 1, let lastFix else {
                return [send(.cameraReply(CameraReply(replySerial: header.serial, result: lastFix == nil ? 1 : 2)), now: now)]
            }
            lastMediaID &+= 1
            let photo = MultimediaUpload(
                event: MultimediaEvent(mediaID: lastMediaID, mediaType: 0, format: 0, event: 0, channel: camera.channel),
                location: lastFix.report(mileageMeters: odometer.meters), data: SamplePhoto.jpeg)
            logger.info("photo \(lastMediaID) taken for the platform")
            return [send(.cameraReply(CameraReply(replySerial: header.serial, result: 0, mediaIDs: [lastMediaID])), now: now)]
                + sendAll(.multimediaUpload(photo), now: now)
        case .platformResponse, .registrationResponse, .multimediaUploadResponse:
            return []
        default:
            return [answer(.unsupported)]
        }
    }

    private func saveState() {
        guard let stateURL else { return }
        do {
            try state.save(to: stateURL)
        } catch {
            logger.error("could not save \(stateURL.path): \(error)")
        }
    }

    static func describe(registration result: UInt8) -> String {
        switch RegistrationResponse.Result(rawValue: result) {
        case .vehicleAlreadyRegistered: "the vehicle already has a terminal"
        case .vehicleUnknown: "no such vehicle: is the plate bound to this terminal on the platform?"
        case .terminalAlreadyRegistered: "the terminal is already registered (its stored authentication code was lost?)"
        case .terminalUnknown: "no such terminal: bind its phone number and terminal ID on the platform (fleetd terminal bind --terminal-id)"
        default: "result \(result)"
        }
    }
}
