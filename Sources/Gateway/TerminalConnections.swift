import JT808
import NIOCore
import Synchronization

/// The connected terminals, for sending them platform commands (0x8103 set parameters, 0x8104
/// query, 0x8201 locate now, 0x8202 tracking, 0x8300 text, …) and awaiting their answers.
///
/// A terminal that reconnects replaces its old session (the old connection is closed). Each
/// connection numbers what the platform sends to it with one counter, shared by the session's
/// acknowledgements and these commands, so a terminal's answer names exactly one message.
public final class TerminalConnections: Sendable {
    /// One connection's way to the terminal: its channel, and the serial numbers of what the
    /// platform sends on it (one counter for the session's answers and for commands).
    final class Connection: Sendable {
        let id: UInt64
        let channel: any Channel
        private let serial = Mutex<UInt16>(0)
        /// Known once the terminal authenticated: where commands go.
        private let peer = Mutex<(phone: TerminalPhone, version: ProtocolVersion, protocolVersionNumber: UInt8)?>(nil)

        init(id: UInt64, channel: any Channel) {
            self.id = id
            self.channel = channel
        }

        func nextSerial() -> UInt16 {
            serial.withLock { s in
                defer { s &+= 1 }
                return s
            }
        }

        /// The frames of `message` to the terminal that sent `header`, numbered `serial` (the
        /// next one when nil).
        func frames(_ message: Message, answering header: MessageHeader, serial: UInt16? = nil) -> [ByteBuffer] {
            var reply = MessageHeader(messageID: message.messageID, version: header.version, phone: header.phone, serial: serial ?? nextSerial())
            reply.protocolVersionNumber = header.protocolVersionNumber
            return FrameEncoder.encode(message, header: reply).map { ByteBuffer(bytes: $0) }
        }

        /// Writes a platform command from outside the connection's event loop.
        func write(_ message: Message, answering header: MessageHeader, serial: UInt16) async throws {
            let frames = frames(message, answering: header, serial: serial)
            for frame in frames.dropLast() { channel.write(frame, promise: nil) }
            if let last = frames.last { try await channel.writeAndFlush(last) }
        }

        var terminalHeader: MessageHeader? {
            peer.withLock { p in
                p.map { MessageHeader(messageID: 0, version: $0.version, phone: $0.phone, serial: 0, protocolVersionNumber: $0.protocolVersionNumber) }
            }
        }

        func authenticated(as header: MessageHeader) {
            peer.withLock { $0 = (header.phone, header.version, header.protocolVersionNumber) }
        }
    }

    public enum CommandError: Error, Equatable {
        /// The terminal is not connected (or not authenticated) to this gateway.
        case notConnected
        /// No answer within the timeout.
        case timedOut
        /// The connection closed before the answer came.
        case disconnected
    }

    /// A command waiting for its answer; the answer may come before the sender waits.
    private enum Slot {
        case sent(connection: UInt64, command: UInt16)
        case waiting(connection: UInt64, command: UInt16, CheckedContinuation<Message, any Error>)
        case answered(Message)
        case failed(CommandError)

        var connection: UInt64? {
            switch self {
            case .sent(let c, _), .waiting(let c, _, _): return c
            case .answered, .failed: return nil
            }
        }

        var command: UInt16? {
            switch self {
            case .sent(_, let m), .waiting(_, let m, _): return m
            case .answered, .failed: return nil
            }
        }
    }

    /// A terminal came or went on this gateway (authenticated; its session closed).
    public enum Presence: Sendable, Hashable {
        case connected(TerminalPhone)
        case disconnected(TerminalPhone)
    }

    private struct State {
        var connections: [TerminalPhone: Connection] = [:]
        /// The same terminals by their phone's digits, as the database names them.
        var byDigits: [String: TerminalPhone] = [:]
        var slots: [TerminalPhone: [UInt16: Slot]] = [:]
        var nextID: UInt64 = 0
        var watchers: [AsyncStream<Presence>.Continuation] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Terminals authenticating and leaving from now on (the command relay delivers what was
    /// queued for them).
    public func presence() -> AsyncStream<Presence> {
        let (stream, continuation) = AsyncStream.makeStream(of: Presence.self)
        state.withLock { $0.watchers.append(continuation) }
        return stream
    }

    /// Terminals with an authenticated session.
    public var connectedTerminals: [TerminalPhone] { state.withLock { Array($0.connections.keys) } }

    /// The terminal of these phone digits, if it has an authenticated session here.
    public func connected(_ digits: String) -> TerminalPhone? {
        state.withLock { $0.byDigits[digits] }
    }

    /// The protocol edition the terminal's session speaks (a command's layout may depend on it).
    public func version(of phone: TerminalPhone) -> ProtocolVersion? {
        state.withLock { $0.connections[phone] }?.terminalHeader?.version
    }

    /// Whether `phone`'s terminal has an authenticated session on a connection other than `connection`.
    func isOnline(_ phone: TerminalPhone, otherThan connection: Connection?) -> Bool {
        state.withLock { s in s.connections[phone].map { $0 !== connection } ?? false }
    }

    /// A new connection (not yet a known terminal).
    func open(channel: any Channel) -> Connection {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return Connection(id: id, channel: channel)
    }

    /// The connection's terminal authenticated; an older session of the same terminal is closed.
    func attach(_ connection: Connection, as header: MessageHeader) {
        connection.authenticated(as: header)
        let replaced = state.withLock { s -> Connection? in
            let old = s.connections[header.phone]
            s.connections[header.phone] = connection
            s.byDigits[header.phone.description] = header.phone
            // Told under the lock: a watcher hears comings and goings in the order they happened.
            for watcher in s.watchers { watcher.yield(.connected(header.phone)) }
            return old === connection ? nil : old
        }
        replaced?.channel.close(promise: nil)
    }

    /// The connection ended: its terminal is no longer reachable here, and its commands fail.
    func close(_ connection: Connection) {
        guard let phone = connection.terminalHeader?.phone else { return }
        let orphans = state.withLock { s -> [CheckedContinuation<Message, any Error>] in
            // A session replaced by a newer one leaves the terminal online.
            if s.connections[phone] === connection {
                (s.connections[phone], s.byDigits[phone.description]) = (nil, nil)
                for watcher in s.watchers { watcher.yield(.disconnected(phone)) }
            }
            var orphans: [CheckedContinuation<Message, any Error>] = []
            for (serial, slot) in s.slots[phone] ?? [:] where slot.connection == connection.id {
                if case .waiting(_, _, let c) = slot { orphans.append(c) }
                s.slots[phone]?[serial] = nil
            }
            return orphans
        }
        for continuation in orphans { continuation.resume(throwing: CommandError.disconnected) }
    }

    /// A terminal answered the platform message with serial `replySerial`.
    func deliver(_ answer: Message, from phone: TerminalPhone, replySerial: UInt16) {
        let continuation = state.withLock { s -> CheckedContinuation<Message, any Error>? in
            switch s.slots[phone]?[replySerial] {
            case .sent?:
                s.slots[phone]?[replySerial] = .answered(answer)
                return nil
            case .waiting(_, _, let c)?:
                s.slots[phone]?[replySerial] = nil
                return c
            default:
                return nil
            }
        }
        continuation?.resume(returning: answer)
    }

    /// A terminal answered a platform message of id `command` with an answer that names no
    /// serial (0x0107): it goes to the oldest such command still waiting.
    func deliver(_ answer: Message, from phone: TerminalPhone, answering command: UInt16) {
        let serial = state.withLock { s in s.slots[phone]?.filter { $0.value.command == command }.keys.min() }
        if let serial { deliver(answer, from: phone, replySerial: serial) }
    }

    /// Sends `command` to the terminal and returns its answer (0x0001 general response, 0x0104
    /// parameters, 0x0201 position, …).
    public func send(_ command: Message, to phone: TerminalPhone, timeout: Duration = .seconds(30)) async throws -> Message {
        guard let connection = state.withLock({ $0.connections[phone] }), let header = connection.terminalHeader else { throw CommandError.notConnected }
        let serial = connection.nextSerial()
        state.withLock { $0.slots[phone, default: [:]][serial] = .sent(connection: connection.id, command: command.messageID) }
        do {
            try await connection.write(command, answering: header, serial: serial)
        } catch {
            state.withLock { $0.slots[phone]?[serial] = nil }
            throw CommandError.disconnected
        }
        return try await withThrowingTaskGroup(of: Message?.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    let ready = self.state.withLock { s -> Result<Message, any Error>? in
                        switch s.slots[phone]?[serial] {
                        case .answered(let m)?:
                            s.slots[phone]?[serial] = nil
                            return .success(m)
                        case .failed(let e)?:
                            s.slots[phone]?[serial] = nil
                            return .failure(e)
                        case .sent(let c, let m)?:
                            s.slots[phone]?[serial] = .waiting(connection: c, command: m, continuation)
                            return nil
                        default:
                            return .failure(CommandError.disconnected)
                        }
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.fail(phone: phone, serial: serial, with: .timedOut)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let answer = result { return answer }
            }
            throw CommandError.timedOut
        }
    }

    private func fail(phone: TerminalPhone, serial: UInt16, with error: CommandError) {
        let continuation = state.withLock { s -> CheckedContinuation<Message, any Error>? in
            switch s.slots[phone]?[serial] {
            case .sent?:
                s.slots[phone]?[serial] = .failed(error)
                return nil
            case .waiting(_, _, let c)?:
                s.slots[phone]?[serial] = nil
                return c
            default:
                return nil
            }
        }
        continuation?.resume(throwing: error)
    }
}
