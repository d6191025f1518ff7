import Gateway
import JT808
import NIOCore
import NIOPosix
import TerminalSimulator

/// A terminal for tests: frames messages with its own phone and serials.
public struct TestTerminal {
    public let phone: TerminalPhone
    public var serial: UInt16 = 0

    public init(_ digits: String) { phone = TerminalPhone(digits: digits, version: .v2013)! }

    public mutating func frame(_ message: Message) -> ByteBuffer {
        defer { serial &+= 1 }
        return ByteBuffer(bytes: FrameEncoder.encode(message, header: MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: serial))[0])
    }
}

/// Connects to a gateway over loopback TCP, runs `body` with a send and a receive function
/// (nil when the server closed), and closes.
public func withTerminalConnection(
    port: Int,
    _ body: (_ send: (ByteBuffer) async throws -> Void, _ receive: () async throws -> Message?) async throws -> Void
) async throws {
    let channel = try await connectTerminal(host: "127.0.0.1", port: port)
    try await channel.executeThenClose { inbound, outbound in
        var iterator = inbound.makeAsyncIterator()
        try await body({ try await outbound.write($0) }, {
            guard case .frame(let frame)? = try await iterator.next() else { return nil }
            return frame.message
        })
    }
}
