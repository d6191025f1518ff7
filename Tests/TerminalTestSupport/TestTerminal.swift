import Domain
import JT808
import JT808NIO
import NIOCore

/// A terminal for tests: frames messages with its own phone and serials.
public struct TestTerminal {
    public let phone: TerminalPhone
    public var serial: UInt16 = 0

    public init(_ digits: String) { phone = TerminalPhone(digits: digits, version: .v2013)! }

    public mutating func frame(_ message: Message) -> ByteBuffer {
        defer { serial &+= 1 }
        return ByteBuffer(
            bytes: FrameEncoder.encode(message, header: MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: serial))[0])
    }
}

/// Connects to a gateway over loopback TCP, runs `body` with a send and a receive function
/// (nil when the server closed), and closes.
public func withTerminalConnection(
    port: Int,
    _ body: (_ send: (ByteBuffer) async throws -> Void, _ receive: () async throws -> Message?) async throws -> Void
) async throws {
    try await withTerminalFrames(port: port) { send, receive in
        try await withoutActuallyEscaping(send) { send in
            try await withoutActuallyEscaping(receive) { receive in try await body(send, { try await receive()?.message }) }
        }
    }
}

/// As `withTerminalConnection`, receiving whole frames: their headers carry the serials a
/// terminal's answer to a platform command names.
public func withTerminalFrames(
    port: Int,
    _ body: (_ send: (ByteBuffer) async throws -> Void, _ receive: () async throws -> DecodedFrame?) async throws -> Void
) async throws {
    let channel = try await connectTerminal(host: "127.0.0.1", port: port)
    try await channel.executeThenClose { inbound, outbound in
        var iterator = inbound.makeAsyncIterator()
        try await body(
            { try await outbound.write($0) },
            {
                guard case .frame(let frame)? = try await iterator.next() else { return nil }
                return frame
            })
    }
}

/// A registry of known terminals, in memory: the same registration rule as PostgreSQL's
/// (`TerminalOnFile`), each terminal on file with its phone's last 7 digits as terminal ID and
/// plate 浙B12345D unless `onFile` says otherwise.
public actor KnownTerminals: TerminalRegistry {
    public var terminals: [String: (id: Int32, code: String)]
    public var onFile: [String: TerminalOnFile]
    public var profiles: [String: String]
    /// The alarm bits of each terminal's newest stored report.
    public var alarms: [String: UInt32]
    /// Registrations accepted so far.
    public private(set) var registrations = 0

    public init(
        _ terminals: [String: (id: Int32, code: String)], onFile: [String: TerminalOnFile] = [:], profiles: [String: String] = [:],
        alarms: [String: UInt32] = [:]
    ) {
        self.terminals = terminals
        self.onFile = onFile
        self.profiles = profiles
        self.alarms = alarms
    }

    public static let plate = "浙B12345D"

    public func register(_ identity: TerminalIdentity) async throws -> RegistrationDecision {
        guard let known = terminals[identity.phone] else { return .terminalUnknown }
        let file = onFile[identity.phone] ?? TerminalOnFile(terminalID: String(identity.phone.suffix(7)), plate: Self.plate)
        if let refusal = file.refusal(of: identity) { return refusal }
        registrations += 1
        return .accepted(authCode: known.code)
    }

    public func authenticate(phone: String, authCode: String) async throws -> AuthenticatedTerminal? {
        guard let known = terminals[phone], known.code == authCode else { return nil }
        return AuthenticatedTerminal(id: known.id, phone: phone, deviceProfile: profiles[phone], alarm: alarms[phone] ?? 0)
    }
}

/// A sink that keeps what it was given, or fails while `failing` is set.
public actor RecordingSink: PositionSink, EventSink, MediaSink {
    public var stored: [PositionRecord] = []
    public var events: [VehicleEvent] = []
    public var media: [MediaRecord] = []
    public var failing = false
    public struct Down: Error {}

    public init() {}

    /// Calls to `store` so far, stored or not yet.
    public private(set) var offered = 0
    /// While held, `store` calls wait (a slow database); nil when open.
    private var held: [CheckedContinuation<Void, Never>]?

    public func setFailing(_ value: Bool) { failing = value }

    public func hold() { held = held ?? [] }

    public func release() {
        let waiting = held ?? []
        held = nil
        for continuation in waiting { continuation.resume() }
    }

    public func store(_ positions: [PositionRecord]) async throws {
        offered += 1
        if held != nil { await withCheckedContinuation { held?.append($0) } }
        if failing { throw Down() }
        stored += positions
    }

    public func record(_ events: [VehicleEvent]) async throws {
        if failing { throw Down() }
        self.events += events
    }

    public func store(_ media: MediaRecord) async throws {
        if failing { throw Down() }
        self.media.append(media)
    }
}
