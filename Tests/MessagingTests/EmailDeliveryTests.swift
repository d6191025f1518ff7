import Dispatching
import Domain
import DomainTestSupport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import PostgresTestSupport
import Store
import Synchronization
import Testing

@testable import Messaging

/// The SMTP server of the tests, on NIO: takes sessions (EHLO with a multi-line reply offering
/// AUTH PLAIN, and STARTTLS when given a TLS context; MAIL, RCPT, DATA un-stuffed, QUIT), records
/// each mail's envelope and data, and answers RCPT TO with what `recipientReply` says (250, or
/// 451 / 550 as a test wants).
final class TestSMTPServer: Sendable {
    struct Mail: Sendable, Hashable {
        var from: String
        var to: [String]
        var data: String
    }

    let mails = Mutex<[Mail]>([])
    let sessions = Mutex(0)
    /// The credentials of the last AUTH PLAIN, decoded (`\0user\0password`), and whether they
    /// came over TLS.
    let credentials = Mutex<(text: String, secured: Bool)?>(nil)
    let recipientReply = Mutex(250)
    /// The names clients gave in EHLO.
    let greetedAs = Mutex<[String]>([])
    let tls: NIOSSLContext?
    /// Whether the reply to STARTTLS is followed, in the clear, by a line a man in the middle
    /// would slip in.
    let injectsAfterSTARTTLS: Bool
    /// Whether it greets a client at all (a server that hangs does not).
    let greets: Bool

    init(tls: NIOSSLContext? = nil, injectsAfterSTARTTLS: Bool = false, greets: Bool = true) {
        (self.tls, self.injectsAfterSTARTTLS, self.greets) = (tls, injectsAfterSTARTTLS, greets)
    }

    /// Runs the server on a port of its own for the duration of `body`, given the port.
    func whileRunning<R: Sendable>(_ body: (Int) async throws -> R) async throws -> R {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Session(server: self)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        do {
            let result = try await body(port)
            try await server.close()
            return result
        } catch {
            try? await server.close()
            throw error
        }
    }

    /// One client's session, line by line.
    final class Session: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: TestSMTPServer
        var pending = ByteBuffer()
        var mail: Mail?
        /// The data's lines while DATA is read.
        var data: [String]?
        var secured = false

        init(server: TestSMTPServer) { self.server = server }

        func channelActive(context: ChannelHandlerContext) {
            server.sessions.withLock { $0 += 1 }
            if server.greets { say("220 smtp.test ESMTP double", context) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            pending.writeBuffer(&bytes)
            while let end = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending.readString(length: end - pending.readableBytesView.startIndex) ?? ""
                pending.moveReaderIndex(forwardBy: 1)
                if line.hasSuffix("\r") { line.removeLast() }
                handle(line, context)
            }
        }

        func say(_ reply: String, _ context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
        }

        func handle(_ line: String, _ context: ChannelHandlerContext) {
            if var lines = data {
                guard line == "." else {
                    lines.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
                    data = lines
                    return
                }
                data = nil
                if var mail {
                    mail.data = lines.joined(separator: "\r\n")
                    let count = server.mails.withLock {
                        $0.append(mail)
                        return $0.count
                    }
                    say("250 2.0.0 Ok: queued as Q\(count)", context)
                }
                return
            }
            func address() -> String {
                guard let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">") else { return "" }
                return String(line[line.index(after: open)..<close])
            }
            switch line.prefix(4).uppercased() {
            case "EHLO":
                server.greetedAs.withLock { $0.append(String(line.dropFirst(5))) }
                let startTLS = server.tls != nil && !secured ? "250-STARTTLS\r\n" : ""
                say("250-smtp.test\r\n\(startTLS)250-8BITMIME\r\n250-AUTH LOGIN PLAIN\r\n250 SIZE 1000000", context)
            case "STAR":
                guard let tls = server.tls else { return say("502 5.5.2 Error: command not recognized", context) }
                say("220 2.0.0 Ready to start TLS" + (server.injectsAfterSTARTTLS ? "\r\n250 injected" : ""), context)
                try? context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                secured = true
            case "AUTH":
                let token = line.split(separator: " ").last.map(String.init) ?? ""
                server.credentials.withLock { [secured] in $0 = Data(base64Encoded: token).map { (String(decoding: $0, as: UTF8.self), secured) } }
                say("235 2.7.0 Authentication successful", context)
            case "MAIL":
                mail = Mail(from: address(), to: [], data: "")
                say("250 2.1.0 Ok", context)
            case "RCPT":
                let code = server.recipientReply.withLock { $0 }
                if code == 250 { mail?.to.append(address()) }
                say(
                    code == 250 ? "250 2.1.5 Ok" : code == 451 ? "451 4.7.1 Greylisted, try again later" : "\(code) 5.1.1 <\(address())>: mailbox unavailable",
                    context)
            case "DATA":
                data = []
                say("354 End data with <CR><LF>.<CR><LF>", context)
            case "QUIT":
                say("221 2.0.0 Bye", context)
                context.close(promise: nil)
            default: say("502 5.5.2 Error: command not recognized", context)
            }
        }
    }
}

/// A mail as its reader sees it: the subject's encoded words and the base64 body decoded.
struct ReadMail {
    var headers: [String: String]
    var subject: String
    var body: String

    init(_ data: String) throws {
        let parts = data.components(separatedBy: "\r\n\r\n")
        let unfolded = parts[0].replacingOccurrences(of: "\r\n ", with: " ")
        headers = Dictionary(
            unfolded.components(separatedBy: "\r\n").compactMap { line in
                line.firstIndex(of: ":").map { (String(line[..<$0]), String(line[line.index($0, offsetBy: 2)...])) }
            }, uniquingKeysWith: { first, _ in first })
        var subjectBytes = Data()
        for word in (headers["Subject"] ?? "").split(separator: " ") {
            let text = try #require(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") ? word.dropFirst(10).dropLast(2) : nil, "\(word)")
            subjectBytes.append(try #require(Data(base64Encoded: String(text))))
        }
        subject = String(decoding: subjectBytes, as: UTF8.self)
        let bodyLines = parts.dropFirst().joined(separator: "\r\n\r\n").components(separatedBy: "\r\n")
        #expect(bodyLines.allSatisfy { $0.count <= 76 })
        body = String(decoding: try #require(Data(base64Encoded: bodyLines.joined())), as: UTF8.self)
    }
}

@Suite(.serialized) struct EmailDeliveryTests {
    let logger = TestPostgres.logger
    static let contact = "li.zhuren@nbfgw.gov.cn"

    static func smtp(_ port: Int) -> SMTPMail.Configuration {
        SMTPMail.Configuration(host: "127.0.0.1", port: port, from: "fleet@nbgwyc.cn", startTLS: false, timeout: .seconds(5))
    }

    /// A booking with the contact's e-mail, confirmed and matched by the engine at `start`.
    static func matched(_ dispatch: DispatchServices, _ client: PostgresClient, start: Date) async throws -> BookingRecord {
        _ = try await TestFleet.fleet(client)
        let agency = try await Accounts(client: client, logger: TestPostgres.logger).createAgency(name: "市发改委")
        var request = NoticeDeliveryTests.request(agency, from: start)
        request.contactEmail = contact
        let booking = try await dispatch.bookings.book(request, agencyID: agency, by: .engine, audit: nil)
        try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
        #expect(try await dispatch.rounds.run().matched == [booking.id])
        return try #require(try await dispatch.bookings.booking(id: booking.id))
    }

    /// The outbox rows of a booking: channel, recipient, state, attempts, next attempt.
    static func rows(_ client: PostgresClient, _ booking: Int64) async throws -> [(channel: String, role: String, state: String, attempts: Int32, next: Date)] {
        var rows: [(String, String, String, Int32, Date)] = []
        for try await row in try await client.query(
            "SELECT channel, recipient_role, state, attempts, next_attempt_at FROM notices WHERE booking_id = \(booking) ORDER BY id",
            logger: TestPostgres.logger
        ).decode((String, String, String, Int32, Date).self) { rows.append(row) }
        return rows
    }

    @Test func aNoticeIsEmailedToTheContact() async throws {
        let server = TestSMTPServer()
        try await server.whileRunning { port in
            try await TestPostgres.withDatabase { client, url in
                let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let clock = ManualClock(start)
                var smtp = Self.smtp(port)
                (smtp.user, smtp.password) = ("fleet", "pa55word")
                let dispatch = DispatchServices(client: client, database: url, clock: clock, senders: [try SMTPMail(smtp, clock: clock)], logger: logger)
                let record = try await Self.matched(dispatch, client, start: start)
                // The live stream's notice and the e-mail: both the agency's.
                #expect(try await Self.rows(client, record.id).map { "\($0.channel) \($0.role)" } == ["live agency", "email agency"])
                #expect(try await dispatch.notifier.deliverDue() == 2)

                let mails = server.mails.withLock { $0 }
                #expect(mails.map(\.from) == ["fleet@nbgwyc.cn"] && mails.map(\.to) == [[Self.contact]])
                #expect(server.greetedAs.withLock { $0 } == ["nbgwyc.cn"])
                // Credentials go to a server on this machine without TLS: PLAIN, as configured.
                #expect(server.credentials.withLock { $0?.text } == "\0fleet\0pa55word")
                let mail = try ReadMail(try #require(mails.first).data)
                #expect(mail.headers["From"] == "<fleet@nbgwyc.cn>" && mail.headers["To"] == "<\(Self.contact)>")
                #expect(mail.headers["Content-Type"] == "text/plain; charset=UTF-8" && mail.headers["Content-Transfer-Encoding"] == "base64")
                #expect(mail.subject == "公务用车通知：已派车（订单\(record.id)）", "\(mail.subject)")
                let crew = try #require(try await Outbox(client: client, logger: logger).crew(vehicleID: record.vehicleID!, driverID: record.driverID!))
                let time = ChinaTime(record.request.pickupTime.epochSeconds)
                #expect(
                    mail.body.contains(crew.plate) && mail.body.contains(crew.driverName) && mail.body.contains(crew.driverPhone)
                        && mail.body.contains("\(time.day.month)月\(time.day.day)日 \(time.clock)") && mail.body.contains("天一广场"), "\(mail.body)")
                var delivered: [String?] = []
                for try await id in try await client.query(
                    "SELECT provider_message_id FROM notices WHERE booking_id = \(record.id) AND channel = 'email'", logger: logger
                ).decode(String?.self) { delivered.append(id) }
                #expect(delivered == ["250 2.0.0 Ok: queued as Q1"])
            }
        }
    }

    /// The notify clock is met by the first channel that confirms delivery: the text message
    /// fails (the provider is down), the e-mail goes through and notifies the booking at its
    /// time; the text, delivered later, leaves it as it is.
    @Test func theFirstChannelToDeliverMeetsTheNotifyClock() async throws {
        let provider = TestProvider(status: 503, code: "isp.SYSTEM_ERROR")
        try await provider.whileRunning { sms in
            let server = TestSMTPServer()
            try await server.whileRunning { port in
                try await TestPostgres.withDatabase { client, url in
                    let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                    let clock = ManualClock(start)
                    let senders: [any NoticeSender] = [try SMSWebhook(sms, clock: clock), try SMTPMail(Self.smtp(port), clock: clock)]
                    let dispatch = DispatchServices(client: client, database: url, clock: clock, senders: senders, logger: logger)
                    let record = try await Self.matched(dispatch, client, start: start)
                    #expect(try await Self.rows(client, record.id).map { "\($0.channel) \($0.role)" } == ["sms agency", "sms driver", "email agency"])
                    clock.set(start.addingTimeInterval(20))
                    #expect(try await dispatch.notifier.deliverDue() == 1)
                    let notified = try #require(try await dispatch.bookings.booking(id: record.id))
                    #expect(notified.state == .notified && notified.transitions.last?.at == start.addingTimeInterval(20))
                    #expect(notified.transitions.last?.note.contains("by email") == true, "\(notified.transitions.last?.note ?? "")")
                    #expect(dispatch.bookings.clocks(notified).first { $0.clock == .notify }?.state == .met)

                    provider.answer.withLock { $0 = (200, "OK") }
                    clock.set(start.addingTimeInterval(60))
                    #expect(try await dispatch.notifier.deliverDue() == 2)
                    let after = try #require(try await dispatch.bookings.booking(id: record.id))
                    #expect(after.transitions.filter { $0.state == .notified }.map(\.at) == [start.addingTimeInterval(20)])
                    #expect(try await Self.rows(client, record.id).map(\.state) == ["delivered", "delivered", "delivered"])
                }
            }
        }
    }

    @Test func aGreylistingServerIsTriedAgainWithBackOff() async throws {
        let server = TestSMTPServer()
        server.recipientReply.withLock { $0 = 451 }
        try await server.whileRunning { port in
            try await TestPostgres.withDatabase { client, url in
                let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let clock = ManualClock(start)
                let dispatch = DispatchServices(
                    client: client, database: url, clock: clock, senders: [try SMTPMail(Self.smtp(port), clock: clock)],
                    noticeRetry: NoticeRetry(firstDelay: 30, attempts: 4), logger: logger)
                let record = try await Self.matched(dispatch, client, start: start)
                // The live stream delivers; the e-mail waits 30 s, then 60 s.
                #expect(try await dispatch.notifier.deliverDue() == 1)
                var email = try #require(try await Self.rows(client, record.id).last)
                #expect(email.channel == "email" && email.state == "queued" && email.attempts == 1 && email.next == start.addingTimeInterval(30))
                clock.set(start.addingTimeInterval(29))
                #expect(try await dispatch.notifier.deliverDue() == 0 && server.sessions.withLock { $0 } == 1)
                clock.set(start.addingTimeInterval(30))
                #expect(try await dispatch.notifier.deliverDue() == 0)
                email = try #require(try await Self.rows(client, record.id).last)
                #expect(email.state == "queued" && email.attempts == 2 && email.next == start.addingTimeInterval(90))
                // Greylisting over: the third attempt goes through.
                server.recipientReply.withLock { $0 = 250 }
                clock.set(start.addingTimeInterval(90))
                #expect(try await dispatch.notifier.deliverDue() == 1)
                email = try #require(try await Self.rows(client, record.id).last)
                #expect(email.state == "delivered" && email.attempts == 3)
                #expect(server.sessions.withLock { $0 } == 3 && server.mails.withLock { $0.map(\.to) } == [[Self.contact]])
                let alerts = try await dispatch.alerts.slaAlerts(agencyID: nil, since: start.addingTimeInterval(-60), limit: 10)
                #expect(!alerts.contains { $0.clock == .undeliverable })
            }
        }
    }

    @Test func aMailboxRefusedIsUndeliverableAtOnce() async throws {
        let server = TestSMTPServer()
        server.recipientReply.withLock { $0 = 550 }
        try await server.whileRunning { port in
            try await TestPostgres.withDatabase { client, url in
                let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let clock = ManualClock(start)
                let dispatch = DispatchServices(
                    client: client, database: url, clock: clock, senders: [try SMTPMail(Self.smtp(port), clock: clock)], logger: logger)
                let record = try await Self.matched(dispatch, client, start: start)
                #expect(try await dispatch.notifier.deliverDue() == 1)
                #expect(try await Self.rows(client, record.id).map(\.state) == ["delivered", "failed"])
                var errors: [String?] = []
                for try await error in try await client.query(
                    "SELECT last_error FROM notices WHERE booking_id = \(record.id) AND channel = 'email'", logger: logger
                ).decode(String?.self) { errors.append(error) }
                #expect(errors.first??.contains("550") == true, "\(errors)")
                let alerts = try await dispatch.alerts.slaAlerts(agencyID: nil, since: start.addingTimeInterval(-60), limit: 10)
                #expect(alerts.contains { $0.clock == .undeliverable && $0.bookingID == record.id }, "\(alerts)")
                // Not tried again.
                clock.set(start.addingTimeInterval(3600))
                #expect(try await dispatch.notifier.deliverDue() == 0 && server.sessions.withLock { $0 } == 1)
            }
        }
    }

    /// STARTTLS offered and asked for: the session goes on over TLS (the certificate checked
    /// against the CA given) before the credentials are sent.
    @Test func theSessionSwitchesToTLSBeforeTheCredentials() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (certificate, tls) = try await TestCertificate.make(in: folder)
        let server = TestSMTPServer(tls: try NIOSSLContext(configuration: tls))
        try await server.whileRunning { port in
            var smtp = Self.smtp(port)
            (smtp.startTLS, smtp.trustRoots, smtp.user, smtp.password) = (true, certificate, "fleet", "pa55word")
            let accepted = try await SMTPMail(smtp, clock: ManualClock(Date())).send(Self.message(to: Self.contact))
            #expect(accepted == "250 2.0.0 Ok: queued as Q1")
            // EHLO again over TLS, as RFC 3207 wants: what was offered in the clear is forgotten.
            #expect(server.credentials.withLock { $0?.secured } == true && server.greetedAs.withLock { $0.count } == 2)
            #expect(try ReadMail(try #require(server.mails.withLock { $0.first?.data })).body == "测试")
        }
        // A certificate the client does not trust: nothing is sent (tried again later).
        let untrusted = TestSMTPServer(tls: try NIOSSLContext(configuration: tls))
        try await untrusted.whileRunning { port in
            var smtp = Self.smtp(port)
            (smtp.startTLS, smtp.user, smtp.password) = (true, "fleet", "pa55word")
            await #expect(throws: (any Error).self) { try await SMTPMail(smtp, clock: ManualClock(Date())).send(Self.message(to: Self.contact)) }
            #expect(untrusted.credentials.withLock { $0 } == nil && untrusted.mails.withLock { $0.isEmpty })
        }
        // A line slipped in after the STARTTLS reply, in the clear, is refused, not read as if over TLS.
        let injecting = TestSMTPServer(tls: try NIOSSLContext(configuration: tls), injectsAfterSTARTTLS: true)
        try await injecting.whileRunning { port in
            var smtp = Self.smtp(port)
            (smtp.startTLS, smtp.trustRoots) = (true, certificate)
            let error = await #expect(throws: (any Error).self) { try await SMTPMail(smtp, clock: ManualClock(Date())).send(Self.message(to: Self.contact)) }
            #expect(String(describing: error).contains("after its STARTTLS reply") && !(error is NoticeRefused), "\(String(describing: error))")
            #expect(injecting.mails.withLock { $0.isEmpty })
        }
    }

    /// A server that does not answer: the session ends at its timeout, to be tried again.
    @Test func aSilentServerTimesOut() async throws {
        let server = TestSMTPServer(greets: false)
        try await server.whileRunning { port in
            var smtp = Self.smtp(port)
            smtp.timeout = .milliseconds(500)
            let started = ContinuousClock.now
            let error = await #expect(throws: (any Error).self) { try await SMTPMail(smtp, clock: ManualClock(Date())).send(Self.message(to: Self.contact)) }
            #expect(error is TimedOut && ContinuousClock.now - started < .seconds(5), "\(String(describing: error))")
            #expect(server.sessions.withLock { $0 } == 1)
        }
    }

    static func message(to address: String) -> OutboxMessage {
        OutboxMessage(
            id: 1, bookingID: 1, agencyID: 1,
            notice: Notice(kind: .matched, recipient: .init(role: .agency, name: "李主任", phone: "13857400000", email: address), channel: .email, text: "测试"),
            attempts: 1, createdAt: Date())
    }

    /// An address with a line break in it is refused before any connection: it cannot add a
    /// recipient or a header to the session (the API refuses it too, BookingAPITests).
    @Test func anAddressWithALineBreakIsNeverSent() async throws {
        let server = TestSMTPServer()
        try await server.whileRunning { port in
            let mailer = try SMTPMail(Self.smtp(port), clock: ManualClock(Date()))
            for address in ["li@nbfgw.gov.cn\r\nRCPT TO:<spy@evil.cn>", "li@nbfgw.gov.cn\n", "li@nbfgw.gov.cn\rBcc: spy@evil.cn", "li zhu@nb.cn"] {
                await #expect(throws: NoticeRefused.self) { try await mailer.send(Self.message(to: address)) }
            }
            #expect(server.sessions.withLock { $0 } == 0)
        }
    }

    /// What DATA and the headers carry: dot-stuffing, subjects folded into encoded words of at
    /// most 75 characters with whole characters in each.
    @Test func theMessageIsWrittenAsSMTPWantsIt() throws {
        #expect(SMTPMail.dotStuffed(".start\r\nmiddle\r\n..two\r\n.") == "..start\r\nmiddle\r\n...two\r\n..")
        let long = String(repeating: "公务用车通知", count: 8)
        let encoded = SMTPMail.encodedWords(long)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1 && words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        let decoded = words.map { String(decoding: Data(base64Encoded: String($0.dropFirst(10).dropLast(2)))!, as: UTF8.self) }
        #expect(decoded.joined() == long && decoded.allSatisfy { !$0.contains("\u{FFFD}") })
        let message = OutboxMessage(
            id: 7, bookingID: 12,
            agencyID: 1,
            notice: Notice(kind: .tripCompleted, recipient: .init(role: .agency, name: "李主任", phone: "1", email: "a@b.cn"), channel: .email, text: ".\n"),
            attempts: 2, createdAt: Date())
        let data = SMTPMail.message(message, from: "fleet@nbgwyc.cn", to: "a@b.cn", date: Date(timeIntervalSince1970: 0))
        #expect(data.contains("Date: Thu, 01 Jan 1970 08:00:00 +0800\r\n") && data.contains("Message-ID: <notice-7.2@nbgwyc.cn>\r\n"), "\(data)")
        #expect(try ReadMail(data).subject == "公务用车通知：行程结束，请签署结算单（订单12）" && (try ReadMail(data).body) == ".\n")
    }
}
