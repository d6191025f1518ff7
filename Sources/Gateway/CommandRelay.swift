import Domain
import JT808
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers the operators' commands (`TerminalCommandQueue`, in PostgreSQL) to the terminals
/// connected to this gateway and records what came of them.
///
/// A terminal's commands go one after another, oldest first: when it authenticates here, when a
/// command is queued for it (NOTIFY), and every 10 s (a notification lost while the database
/// connection was down). The same 10 s renew the presence of this gateway's terminals, by which
/// callers in any process tell "online" (Sql/0023).
public struct CommandRelay: Service {
    let queue: any TerminalCommandQueue
    let connections: TerminalConnections
    /// This process, in the presence rows.
    let gateway: String
    let renewal: Duration
    let logger: Logger
    private let draining = Draining()

    public init(queue: any TerminalCommandQueue, connections: TerminalConnections, gateway: String, renewal: Duration = .seconds(10), logger: Logger) {
        (self.queue, self.connections, self.gateway, self.renewal, self.logger) = (queue, connections, gateway, renewal, logger)
    }

    /// What sets a terminal's commands going.
    private enum Event: Sendable {
        case presence(TerminalConnections.Presence)
        case queued(TerminalPhone)
    }

    public func run() async throws {
        let presence = connections.presence()
        let (events, event) = AsyncStream.makeStream(of: Event.self)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await change in presence { event.yield(.presence(change)) }
            }
            group.addTask {
                // LISTEN again after the connection failed, a second later.
                while !Task.isCancelled {
                    await attempt("listen") {
                        try await queue.watch { phone in
                            if let terminal = connections.connected(phone) { event.yield(.queued(terminal)) }
                        }
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    let here = connections.connectedTerminals
                    await attempt("renewal") {
                        let waiting = Set(try await queue.renew(here.map(\.description), gateway: gateway))
                        for phone in here where waiting.contains(phone.description) { event.yield(.queued(phone)) }
                    }
                    try? await Task.sleep(for: renewal)
                }
            }
            // Until shutdown; each terminal's commands on a task of their own.
            for await next in events.cancelOnGracefulShutdown() {
                switch next {
                case .presence(.connected(let phone)):
                    await attempt("presence") { try await queue.connected(phone.description, gateway: gateway) }
                    group.addTask { await drain(phone) }
                case .presence(.disconnected(let phone)):
                    await attempt("presence") { try await queue.disconnected(phone.description, gateway: gateway) }
                case .queued(let phone):
                    group.addTask { await drain(phone) }
                }
            }
            group.cancelAll()
        }
    }

    /// Sends the terminal's queued commands, oldest first, one at a time; a drain already
    /// running for it goes round once more instead.
    func drain(_ phone: TerminalPhone) async {
        guard draining.begin(phone) else { return }
        repeat {
            while let command = await claim(phone) { await deliver(command, to: phone) }
        } while draining.again(phone)
    }

    private func claim(_ phone: TerminalPhone) async -> ClaimedTerminalCommand? {
        guard connections.connected(phone.description) != nil else { return nil }
        do {
            return try await queue.claimNext(for: phone.description)
        } catch {
            logger.warning("could not claim commands", metadata: ["phone": "\(phone)", "error": "\(error)"])
            return nil
        }
    }

    private func deliver(_ command: ClaimedTerminalCommand, to phone: TerminalPhone) async {
        let outcome: TerminalCommandOutcome
        do {
            let message = command.request.message(version: connections.version(of: phone) ?? .v2013)
            let answer = try await connections.send(message, to: phone, timeout: .seconds(command.request.timeout))
            outcome = .answered(resultCode: Self.resultCode(answer), answer: Self.json(answer))
        } catch TerminalConnections.CommandError.timedOut {
            outcome = .timedOut
        } catch TerminalConnections.CommandError.notConnected {
            // Never written: it waits for the terminal's next authentication while it may.
            var requeued = false
            await attempt("requeue") { requeued = try await queue.requeue(command.id) }
            if requeued { return }
            outcome = .failed("the terminal was gone before the command could be written")
        } catch {
            outcome = .failed("the terminal's connection closed before it answered (\(error))")
        }
        logger.info("command delivered", metadata: ["command": "\(command.id)", "phone": "\(phone)", "outcome": "\(outcome)"])
        await attempt("outcome") { try await queue.record(outcome, of: command.id) }
    }

    private func attempt(_ what: String, _ body: () async throws -> Void) async {
        do { try await body() } catch { if !Task.isCancelled { logger.warning("command relay: \(what) failed", metadata: ["error": "\(error)"]) } }
    }

    /// 0x0001's result; an answer of its own kind is a success.
    static func resultCode(_ answer: Message) -> Int {
        if case .terminalResponse(let response) = answer { return Int(response.result) }
        return 0
    }

    /// The answer as `fleetd decode` prints a frame's message id and body; parameters also by
    /// the names an operator sets them by.
    static let secretParameterIDs: Set<UInt32> = [0x0011, 0x0012, 0x0015, 0x0016]

    static func json(_ answer: Message) -> String {
        var answer = answer
        // The dial-up accounts' user names and passwords (primary 0x0011/0x0012, backup
        // 0x0015/0x0016) are the SIM's credentials: auditors and dispatchers read answers.
        if case .parameterReply(var reply) = answer {
            for (i, parameter) in reply.parameters.enumerated() where secretParameterIDs.contains(parameter.id) {
                reply.parameters[i].value = .string("(hidden)")
            }
            answer = .parameterReply(reply)
        }
        var json = "{\"msgId\":\(FrameJSON.quoted(FrameJSON.messageID(answer.messageID))),\"body\":\(FrameJSON.body(of: answer))"
        if case .parameterReply(let reply) = answer {
            let named = reply.parameters.compactMap { parameter -> String? in
                guard let name = TerminalSettingsRequest.name(of: parameter.id) else { return nil }
                switch parameter.value {
                case .string(let text): return "\(FrameJSON.quoted(name)):\(FrameJSON.quoted(text))"
                default: return parameter.value.integer.map { "\(FrameJSON.quoted(name)):\($0)" }
                }
            }
            json += ",\"settings\":{\(named.joined(separator: ","))}"
        }
        return json + "}"
    }
}

/// The terminals whose commands are being sent, and those asked for again meanwhile.
private final class Draining: Sendable {
    private let state = Mutex<[TerminalPhone: Bool]>([:])

    /// True when no drain runs for `phone` (the caller runs it); else the running one is told
    /// to go round again.
    func begin(_ phone: TerminalPhone) -> Bool {
        state.withLock { s in
            if s[phone] != nil {
                s[phone] = true
                return false
            }
            s[phone] = false
            return true
        }
    }

    /// Whether to go round again; if not, the drain is over.
    func again(_ phone: TerminalPhone) -> Bool {
        state.withLock { s in
            if s[phone] == true {
                s[phone] = false
                return true
            }
            s[phone] = nil
            return false
        }
    }
}

extension TerminalCommandRequest {
    /// The platform message that carries the command, laid out for the terminal's edition.
    /// Values were bounded when the command was accepted; what the database hands back is
    /// clamped, never trapped on.
    func message(version: ProtocolVersion) -> Message {
        switch command {
        case .locate: return .locateNow
        case .attributes: return .queryAttributes
        case .queryParameters:
            return parameterIDs.map { .querySpecificParameters($0.map { UInt32(clamping: $0) }) } ?? .queryParameters
        case .setParameters:
            let settings = settings ?? TerminalSettingsRequest()
            // Each of these is a DWORD in the standard's table (the TCP port too, since 2013).
            var list = TerminalSettingsRequest.integers.compactMap { setting in
                setting.value(settings).map { TerminalParameter(id: setting.id, value: .dword(UInt32(clamping: $0))) }
            }
            if let address = settings.serverAddress {
                list.append(TerminalParameter(id: TerminalSettingsRequest.serverAddressID, value: .string(address)))
            }
            return .setParameters(list)
        case .photo:
            // One photo uploaded at once (save flag 0), 320x240 (resolution 1), middling quality
            // (5 of 10) and the picture settings at their middle.
            return .camera(
                CameraCommand(
                    channel: UInt8(clamping: channel ?? 1), command: 1, interval: 0, saveFlag: 0, resolution: 1, quality: 5, brightness: 127, contrast: 63,
                    saturation: 63, chroma: 127))
        case .confirmAlarm:
            return .alarmConfirmation(
                AlarmConfirmation(alarmSerial: UInt16(clamping: alarmSerial ?? 0), alarms: AlarmFlags(rawValue: UInt32(clamping: alarms ?? 0))))
        case .tracking:
            return .tracking(TrackingControl(intervalSeconds: UInt16(clamping: intervalSeconds ?? 0), validitySeconds: UInt32(clamping: validitySeconds ?? 0)))
        case .text:
            var flags: TextMessage.Flags = []
            if display ?? true { flags.insert(.display) }
            if tts ?? false { flags.insert(.textToSpeech) }
            // 2013: bit 0 is "urgent". 2019: bits 0-1 are the kind, 1 service, 2 urgent, 3 notice.
            let urgent = urgent ?? false
            switch version {
            case .v2019: flags.insert(TextMessage.Flags(rawValue: urgent ? 2 : 1))
            default: if urgent { flags.insert(.emergency) }
            }
            return .text(TextMessage(flags: flags, textType: version == .v2019 ? 1 : nil, text: text ?? ""))
        }
    }
}
