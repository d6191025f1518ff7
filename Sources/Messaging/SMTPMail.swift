import Domain
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// E-mail notices through an SMTP server (README, "Notices"), one session per message on NIO:
/// EHLO; STARTTLS when the server offers it and the configuration asks (then EHLO again);
/// AUTH PLAIN when credentials are configured, only over TLS or to this machine; MAIL FROM,
/// RCPT TO, DATA (dot-stuffed), QUIT. The message is UTF-8 plain text, its subject an RFC 2047
/// encoded word, its body base64 (7-bit clean: no 8BITMIME needed). A 4xx reply, a dropped
/// connection or the timeout may pass later; a 5xx reply refuses the message for good.
public struct SMTPMail: NoticeSender {
    public struct Configuration: Sendable, Hashable {
        public var host: String
        public var port: Int
        /// The sender's address (the envelope's and the From header's).
        public var from: String
        public var user: String?
        public var password: String?
        /// Whether to switch to TLS when the server offers STARTTLS.
        public var startTLS: Bool
        /// A PEM file of the CAs to trust instead of the system's; nil: the system's.
        public var trustRoots: String?
        public var timeout: Duration

        public init(
            host: String, port: Int = 587, from: String, user: String? = nil, password: String? = nil, startTLS: Bool = true, trustRoots: String? = nil,
            timeout: Duration = .seconds(30)
        ) {
            (self.host, self.port, self.from, self.user, self.password) = (host, port, from, user, password)
            (self.startTLS, self.trustRoots, self.timeout) = (startTLS, trustRoots, timeout)
        }
    }

    public var channel: Notice.Channel { .email }
    let configuration: Configuration
    let tls: NIOSSLContext?
    /// What the messages are dated by.
    let clock: any WallClock

    public init(_ configuration: Configuration, clock: any WallClock) throws {
        self.configuration = configuration
        if configuration.startTLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let trustRoots = configuration.trustRoots { tls.trustRoots = .file(trustRoots) }
            self.tls = try NIOSSLContext(configuration: tls)
        } else {
            tls = nil
        }
        self.clock = clock
    }

    /// A reply that may be different later (4xx), or an exchange that did not go as SMTP says.
    struct NotYet: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends the notice to its recipient's address; returns the server's acceptance of the
    /// data (`250 2.0.0 Ok: queued as …`), which names the message in its logs.
    public func send(_ message: OutboxMessage) async throws -> String? {
        guard let to = message.notice.recipient.email, EmailAddress.isPlausible(to) else {
            throw NoticeRefused("no plausible e-mail address for the \(message.notice.recipient.role.rawValue)")
        }
        let data = Self.message(message, from: configuration.from, to: to, date: clock.now)
        let host = configuration.host
        return try await within(configuration.timeout, "no SMTP session with \(host):\(configuration.port) done") { [self] in
            try await session(to: to, data: data)
        }
    }

    private func session(to: String, data: String) async throws -> String {
        let (host, port) = (configuration.host, configuration.port)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(10)).connect(host: host, port: port) {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let channel = connection.channel
        return try await connection.executeThenClose { inbound, outbound in
            var replies = inbound.makeAsyncIterator()
            func reply(to step: String, expecting expected: Int) async throws -> SMTPReply {
                guard let reply = try await replies.next() else { throw NotYet(description: "\(host):\(port) closed the connection at \(step)") }
                try reply.check(expected, at: step)
                return reply
            }
            func command(_ line: String, expecting expected: Int = 250, shown: String? = nil) async throws -> SMTPReply {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                return try await reply(to: shown ?? line, expecting: expected)
            }
            _ = try await reply(to: "the greeting", expecting: 220)
            // The sender's domain names the client: a name the server can look up.
            let name = Self.domain(of: configuration.from)
            var offers = try await command("EHLO \(name)")
            var secure = false
            if let tls, offers.offers("STARTTLS") {
                let ready = try await command("STARTTLS", expecting: 220)
                // Anything the server sent after its 220 came in the clear and would be read as if
                // it had come over TLS (a man in the middle's injection): refused.
                guard !ready.followedByMore else { throw NotYet(description: "\(host):\(port) sent more after its STARTTLS reply") }
                // An address is checked against the certificate's IP names; SNI takes host names only.
                let serverName = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName), position: .first)
                }.get()
                offers = try await command("EHLO \(name)")
                secure = true
            }
            if let user = configuration.user, let password = configuration.password {
                // Credentials never cross the network in the clear.
                guard secure || Self.isLoopback(host) else { throw NotYet(description: "\(host):\(port) offers no STARTTLS: the credentials are not sent") }
                guard offers.offers("AUTH", "PLAIN") else { throw NotYet(description: "\(host):\(port) offers no AUTH PLAIN") }
                let token = Data("\0\(user)\0\(password)".utf8).base64EncodedString()
                _ = try await command("AUTH PLAIN \(token)", expecting: 235, shown: "AUTH PLAIN")
            }
            _ = try await command("MAIL FROM:<\(configuration.from)>")
            _ = try await command("RCPT TO:<\(to)>")
            _ = try await command("DATA", expecting: 354)
            let accepted = try await command(Self.dotStuffed(data) + "\r\n.", shown: "the end of the data")
            // Accepted: a QUIT that goes wrong changes nothing.
            _ = try? await command("QUIT", expecting: 221)
            return accepted.text
        }
    }

    /// Whether `host` is this machine, where credentials may go without TLS.
    public static func isLoopback(_ host: String) -> Bool { ["127.0.0.1", "::1", "localhost"].contains(host.lowercased()) }

    /// The message as DATA carries it (lines ending CRLF, no terminating dot): headers, then
    /// the text in base64, 76 characters a line.
    static func message(_ message: OutboxMessage, from: String, to: String, date: Date) -> String {
        let body = Data(message.notice.text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let headers = [
            "Date: \(rfc5322(date))", "From: <\(from)>", "To: <\(to)>", "Subject: \(encodedWords(message.notice.subject(bookingID: message.bookingID)))",
            "Message-ID: <notice-\(message.id).\(message.attempts)@\(domain(of: from))>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    /// `text` as RFC 2047 `=?UTF-8?B?…?=` words of at most 75 characters (whole characters in
    /// each), folded onto lines of their own.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        // 45 bytes are 60 in base64: with `=?UTF-8?B?` and `?=`, 72.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// DATA's transparency (RFC 5321, 4.5.2): a line that begins with a dot gets another.
    static func dotStuffed(_ data: String) -> String {
        data.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }

    /// The domain of a (plausible) address.
    static func domain(of address: String) -> String { address.split(separator: "@").last.map(String.init) ?? address }

    /// A Date header's time, in China time: `Thu, 03 Dec 2026 22:30:00 +0800`.
    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}

/// An SMTP reply: its code and its lines' texts (several for a multi-line reply, `250-…`).
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
    /// Whether more bytes had come after it when it was read.
    var followedByMore = false

    var text: String { lines.map { "\(code) \($0)" }.joined(separator: " / ") }

    /// Whether an EHLO reply names the extension `keyword` (with `parameter` among its own).
    func offers(_ keyword: String, _ parameter: String? = nil) -> Bool {
        lines.dropFirst().contains { line in
            let words = line.uppercased().split(separator: " ")
            return words.first.map(String.init) == keyword && (parameter.map { words.dropFirst().contains(Substring($0)) } ?? true)
        }
    }

    /// Throws unless the reply is of `expected`'s class: `NotYet` for a 4xx (or a reply SMTP
    /// does not expect here), `NoticeRefused` for a 5xx.
    func check(_ expected: Int, at step: String) throws {
        if code / 100 == expected / 100 { return }
        if code / 100 == 5 { throw NoticeRefused("SMTP server refused \(step): \(text)") }
        throw SMTPMail.NotYet(description: "SMTP server at \(step): \(text)")
    }
}

/// SMTP replies from the bytes of a connection: lines ended by CRLF, a reply's lines
/// `ddd-text` until one `ddd text`. Bounded: a line of at most 1000 bytes, a reply of at most
/// 100 lines; anything else is not an SMTP server.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply
    var lines: [String] = []

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let end = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 1000 { throw Malformed(description: "an SMTP reply line longer than 1000 bytes") }
            return .needMoreData
        }
        let length = end - view.startIndex
        guard length <= 1000, var line = buffer.readString(length: length) else { throw Malformed(description: "an SMTP reply line longer than 1000 bytes") }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        let digits = line.prefix(3)
        guard digits.count == 3, let code = Int(digits), (200...599).contains(code) else {
            throw Malformed(description: "not an SMTP reply: \(line.prefix(80))")
        }
        let separator = line.dropFirst(3).first
        lines.append(String(line.dropFirst(4)))
        guard lines.count <= 100 else { throw Malformed(description: "an SMTP reply of more than 100 lines") }
        if separator == "-" { return .continue }
        let reply = SMTPReply(code: code, lines: lines, followedByMore: buffer.readableBytes > 0)
        lines = []
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }
}
