import Dispatching
import Domain
import DomainTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import Messaging
import NIOCore
import NIOSSL
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import ServiceLifecycle
import ServiceTestSupport
import Store
import Synchronization
import Testing

/// The SMS provider of the tests: HTTPS with a certificate made for the test (openssl), which
/// checks each request's HMAC (401 when it does not hold) and answers as `answer` says.
final class TestProvider: Sendable {
    struct Received: Sendable, Hashable {
        var phone: String
        var content: String
        var outId: String
        var sign: String
    }

    static let secret = "测试密钥-0123456789abcdef"
    let received = Mutex<[Received]>([])
    /// The HTTP status and the provider's code it answers with.
    let answer: Mutex<(status: Int, code: String)>

    init(status: Int = 200, code: String = "OK") { answer = Mutex((status, code)) }

    /// Runs the provider over TLS for the duration of `body`, given its webhook's configuration.
    func whileRunning<R: Sendable>(_ body: @Sendable (SMSWebhook.Configuration) async throws -> R) async throws -> R {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provider-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (certificate, tls) = try await TestCertificate.make(in: folder)

        let router = Router()
        router.post("/sms") { [self] request, _ -> Response in
            let body = Data(try await request.body.collect(upTo: 65_536).readableBytesView)
            func header(_ name: String) -> String { HTTPField.Name(name).flatMap { request.headers[$0] } ?? "" }
            guard
                SMSWebhook.verify(
                    secret: Self.secret, timestamp: header("X-Timestamp"), nonce: header("X-Nonce"), signature: header("X-Signature"), body: body)
            else { return Self.reply(401, #"{"code":"isv.SIGNATURE_INVALID","message":"signature does not match"}"#) }
            let sent = try JSONDecoder().decode([String: String].self, from: body)
            received.withLock {
                $0.append(Received(phone: sent["phone"] ?? "", content: sent["content"] ?? "", outId: sent["outId"] ?? "", sign: sent["sign"] ?? ""))
            }
            let (status, code) = answer.withLock { $0 }
            return Self.reply(status, code == "OK" ? #"{"code":"OK","bizId":"biz-\#(sent["outId"] ?? "")"}"# : #"{"code":"\#(code)","message":"no"}"#)
        }
        let (ports, portsIn) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portsIn.yield($0.localAddress?.port ?? 0) }, logger: TestPostgres.logger)
        return try await ServiceGroup(services: [app], logger: TestPostgres.logger).whileRunning {
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            return try await body(
                SMSWebhook.Configuration(
                    url: URL(string: "https://127.0.0.1:\(port)/sms")!, secret: Self.secret, signName: "宁波公务用车", trustRoots: certificate, timeout: .seconds(5)))
        }
    }

    static func reply(_ status: Int, _ json: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

/// A certificate for 127.0.0.1 made for a test (openssl), its key beside it in `folder`: the
/// certificate's PEM file (the CA a client trusts) and a server's TLS configuration with it.
enum TestCertificate {
    static func make(in folder: URL) async throws -> (certificate: String, server: TLSConfiguration) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (certificate, key) = (folder.appendingPathComponent("cert.pem").path, folder.appendingPathComponent("key.pem").path)
        let openssl = try await ChildOutput.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        try #require(openssl.status == 0, "openssl made no certificate: \(openssl)")
        let server = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }, privateKey: .file(key))
        return (certificate, server)
    }
}

@Suite(.serialized) struct NoticeDeliveryTests {
    let logger = TestPostgres.logger

    static func request(_ agency: Int64, from now: Date) -> BookingRequest {
        BookingRequest(
            channel: .phone, agencyID: agency, contactName: "李主任", contactPhone: "13857400000", passengers: 2, vehicleClass: .sedan,
            pickupTime: now.addingTimeInterval(3 * 3600), pickup: TestFleet.pickup,
            destination: Place(latitude: 29.8750, longitude: 121.5520, address: "宁波市政府"), serviceEnd: now.addingTimeInterval(5 * 3600)
        )
    }

    /// A booking confirmed and matched by the engine at `start`: its notices queued, not sent.
    static func matched(_ dispatch: DispatchServices, _ client: PostgresClient, start: Date) async throws -> BookingRecord {
        _ = try await TestFleet.fleet(client)
        let agency = try await Accounts(client: client, logger: TestPostgres.logger).createAgency(name: "市发改委")
        let booking = try await dispatch.bookings.book(request(agency, from: start), agencyID: agency, by: .engine, audit: nil)
        try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
        #expect(try await dispatch.rounds.run().matched == [booking.id])
        return try #require(try await dispatch.bookings.booking(id: booking.id))
    }

    /// The outbox rows of a booking: state, attempts, next attempt, provider's id.
    static func rows(_ client: PostgresClient, _ booking: Int64) async throws -> [(role: String, state: String, attempts: Int32, next: Date, bizId: String?)] {
        var rows: [(String, String, Int32, Date, String?)] = []
        for try await row in try await client.query(
            "SELECT recipient_role, state, attempts, next_attempt_at, provider_message_id FROM notices WHERE booking_id = \(booking) ORDER BY id",
            logger: TestPostgres.logger
        ).decode((String, String, Int32, Date, String?).self) { rows.append(row) }
        return rows
    }

    @Test func aNoticeDeliveredByTheProviderMeetsTheNotifyClock() async throws {
        let provider = TestProvider()
        try await provider.whileRunning { sms in
            try await TestPostgres.withDatabase { client, url in
                let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let clock = ManualClock(start)
                let dispatch = DispatchServices(client: client, database: url, clock: clock, senders: [try SMSWebhook(sms, clock: clock)], logger: logger)
                let record = try await Self.matched(dispatch, client, start: start)
                // Written with the match, not sent: the booking waits for its delivery.
                #expect(record.state == .matched)
                #expect(try await Self.rows(client, record.id).map(\.state) == ["queued", "queued"])
                #expect(dispatch.bookings.clocks(record).first { $0.clock == .notify }?.state == .running)

                let deliveredAt = start.addingTimeInterval(40)
                clock.set(deliveredAt)
                #expect(try await dispatch.notifier.deliverDue() == 2)
                let crew = try #require(try await Outbox(client: client, logger: logger).crew(vehicleID: record.vehicleID!, driverID: record.driverID!))
                let sent = provider.received.withLock { $0 }
                #expect(sent.map(\.phone) == ["13857400000", crew.driverPhone])
                #expect(sent.allSatisfy { $0.sign == "宁波公务用车" })
                let agencyText = sent[0].content
                #expect(agencyText.contains(crew.plate) && agencyText.contains(crew.driverName) && agencyText.contains(crew.driverPhone), "\(agencyText)")
                #expect(agencyText.contains(ChinaTime(record.request.pickupTime.epochSeconds).clock) && agencyText.contains("天一广场"), "\(agencyText)")
                #expect(sent[1].content.contains("李主任") && sent[1].content.contains("13857400000"), "\(sent[1].content)")

                let notified = try #require(try await dispatch.bookings.booking(id: record.id))
                #expect(notified.state == .notified && notified.transitions.last?.by == "notifier" && notified.transitions.last?.at == deliveredAt)
                let notify = try #require(dispatch.bookings.clocks(notified).first { $0.clock == .notify })
                #expect(notify.state == .met && notify.stoppedAt == deliveredAt)
                let rows = try await Self.rows(client, record.id)
                #expect(rows.map(\.state) == ["delivered", "delivered"] && rows.map(\.attempts) == [1, 1])
                #expect(rows.map(\.bizId) == sent.map { "biz-\($0.outId)" })
                // Nothing is sent twice.
                clock.set(deliveredAt.addingTimeInterval(600))
                #expect(try await dispatch.notifier.deliverDue() == 0 && provider.received.withLock { $0.count } == 2)

                // The agency is told when the driver is on site, and when the trip is over, of the sheet to sign.
                for state in [BookingState.enRoute, .onSite, .inService] { try await dispatch.bookings.move(record.id, to: state, by: .gnss) }
                try await dispatch.bookings.move(
                    record.id, to: .completed, by: .engine, completion: Completion(tollsFen: 0, parkingFen: 0, receipts: []))
                #expect(try await dispatch.notifier.deliverDue() == 2)
                let later = provider.received.withLock { $0.dropFirst(2) }
                #expect(later.map(\.phone) == ["13857400000", "13857400000"])
                #expect(later.first?.content.contains("已到达天一广场") == true && later.last?.content.contains("签署结算单") == true, "\(later)")
            }
        }
    }

    @Test func aProviderThatKeepsFailingIsRetriedWithBackOffThenRaisesTheAlert() async throws {
        let provider = TestProvider(status: 503, code: "isp.SYSTEM_ERROR")
        try await provider.whileRunning { sms in
            try await TestPostgres.withDatabase { client, url in
                let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let clock = ManualClock(start)
                let feed = LiveFeed()
                var events = feed.subscribe().makeAsyncIterator()
                let dispatch = DispatchServices(
                    client: client, database: url, feed: feed, clock: clock, senders: [try SMSWebhook(sms, clock: clock)],
                    noticeRetry: NoticeRetry(firstDelay: 30, attempts: 3), logger: logger)
                let record = try await Self.matched(dispatch, client, start: start)

                #expect(try await dispatch.notifier.deliverDue() == 0)
                var rows = try await Self.rows(client, record.id)
                #expect(
                    rows.map(\.state) == ["queued", "queued"] && rows.map(\.attempts) == [1, 1] && rows.allSatisfy { $0.next == start.addingTimeInterval(30) })
                // Not before its time.
                clock.set(start.addingTimeInterval(29))
                _ = try await dispatch.notifier.deliverDue()
                #expect(provider.received.withLock { $0.count } == 2)
                // The second attempt 30 s after the first, the third 60 s after the second.
                clock.set(start.addingTimeInterval(30))
                _ = try await dispatch.notifier.deliverDue()
                rows = try await Self.rows(client, record.id)
                #expect(rows.map(\.attempts) == [2, 2] && rows.allSatisfy { $0.next == start.addingTimeInterval(90) })
                clock.set(start.addingTimeInterval(89))
                _ = try await dispatch.notifier.deliverDue()
                #expect(provider.received.withLock { $0.count } == 4)
                clock.set(start.addingTimeInterval(90))
                _ = try await dispatch.notifier.deliverDue()
                #expect(provider.received.withLock { $0.count } == 6)
                #expect(try await Self.rows(client, record.id).map(\.state) == ["failed", "failed"])

                // Undeliverable: the dispatcher's alert, on the alerts and the live stream; the
                // booking is not notified and its clock will say so.
                let alerts = try await dispatch.alerts.slaAlerts(agencyID: record.agencyID, since: start.addingTimeInterval(-60), limit: 10)
                #expect(alerts.filter { $0.clock == .undeliverable }.map(\.bookingID) == [record.id], "\(alerts)")
                var kinds: [FeedEvent.Kind] = []
                while kinds.last != .alert, let event = await events.next() { kinds.append(event.kind) }
                #expect(kinds.last == .alert)
                #expect(try await dispatch.bookings.booking(id: record.id)?.state == .matched)
                clock.set(start.addingTimeInterval(600))
                #expect(try await dispatch.notifier.deliverDue() == 0 && provider.received.withLock { $0.count } == 6)
            }
        }
    }

    @Test func aProviderRefusalIsUndeliverableAtOnce() async throws {
        let provider = TestProvider(status: 200, code: "isv.MOBILE_NUMBER_ILLEGAL")
        try await provider.whileRunning { sms in
            try await TestPostgres.withDatabase { client, url in
                let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                let clock = ManualClock(start)
                let dispatch = DispatchServices(client: client, database: url, clock: clock, senders: [try SMSWebhook(sms, clock: clock)], logger: logger)
                let record = try await Self.matched(dispatch, client, start: start)
                _ = try await dispatch.notifier.deliverDue()
                #expect(try await Self.rows(client, record.id).map(\.state) == ["failed", "failed"])
                #expect(provider.received.withLock { $0.count } == 2)
                let alerts = try await dispatch.alerts.slaAlerts(agencyID: nil, since: start.addingTimeInterval(-60), limit: 10)
                #expect(alerts.contains { $0.clock == .undeliverable && $0.bookingID == record.id })
            }
        }
    }

    @Test func aWrongSecretIsRefusedByTheProvider() async throws {
        let provider = TestProvider()
        try await provider.whileRunning { sms in
            var wrong = sms
            wrong.secret = "not the provider's"
            let message = OutboxMessage(
                id: 1, bookingID: 1, agencyID: 1,
                notice: Notice(kind: .matched, recipient: .init(role: .agency, name: "李主任", phone: "13857400000"), channel: .sms, text: "测试"), attempts: 1,
                createdAt: Date())
            await #expect(throws: NoticeRefused.self) { try await SMSWebhook(wrong, clock: ManualClock(Date())).send(message) }
            let accepted = try await SMSWebhook(sms, clock: ManualClock(Date())).send(message)
            #expect(accepted == "biz-1")
            #expect(provider.received.withLock { $0.map(\.content) } == ["测试"])
        }
    }

    @Test func withoutAProviderTheLiveStreamDelivers() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let feed = LiveFeed()
            var events = feed.subscribe().makeAsyncIterator()
            let dispatch = DispatchServices(client: client, database: url, feed: feed, clock: clock, logger: logger)
            let record = try await Self.matched(dispatch, client, start: start)
            // The agency's notice alone: the driver is not on the stream.
            #expect(try await Self.rows(client, record.id).map(\.role) == ["agency"])
            clock.set(start.addingTimeInterval(2))
            #expect(try await dispatch.notifier.deliverDue() == 1)
            var notice: FeedEvent?
            while notice == nil, let event = await events.next() { if event.kind == .notice { notice = event } }
            #expect(notice?.agencyID == record.agencyID && notice?.json.contains("已派车") == true, "\(String(describing: notice))")
            let notified = try #require(try await dispatch.bookings.booking(id: record.id))
            #expect(notified.state == .notified && notified.transitions.last?.at == start.addingTimeInterval(2))
        }
    }

    @Test func aNoticeOfACrewReplacedSinceDoesNotNotify() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let record = try await Self.matched(dispatch, client, start: start)
            let other = try #require(
                try await DispatchFacts(client: client, logger: logger).crews().first { $0.vehicle.id != record.vehicleID && $0.vehicle.plate != "浙B00002D" })
            clock.set(start.addingTimeInterval(10))
            _ = try await dispatch.rounds.override(
                record.id, vehicleID: other.vehicle.id, driverID: other.driver.id, by: .engine, reason: "asked for", audit: nil)
            // Both delivered; the first tells of a crew that is not the booking's any more.
            clock.set(start.addingTimeInterval(20))
            #expect(try await dispatch.notifier.deliverDue() == 2)
            let notified = try #require(try await dispatch.bookings.booking(id: record.id))
            #expect(
                notified.transitions.suffix(3).map(\.state) == [.matched, .matched, .notified] && notified.transitions.last?.note.contains("notice 2") == true)
        }
    }

    @Test func anAgencyWhoseCrewMayBeLateIsTold() async throws {
        try await TestPostgres.withDatabase { client, url in
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let clock = ManualClock(start)
            let feed = LiveFeed()
            var events = feed.subscribe().makeAsyncIterator()
            let dispatch = DispatchServices(client: client, database: url, feed: feed, clock: clock, logger: logger)
            let record = try await Self.matched(dispatch, client, start: start)
            #expect(try await dispatch.notifier.deliverDue() == 1)
            // Notified now, on site due 10 minutes before the pick-up in 3 hours: at risk from 80% of that.
            func kinds() async throws -> [String] {
                var kinds: [String] = []
                for try await kind in try await client.query("SELECT kind FROM notices WHERE booking_id = \(record.id) ORDER BY id", logger: logger)
                    .decode(String.self)
                { kinds.append(kind) }
                return kinds
            }
            clock.set(start.addingTimeInterval(8_000))
            try await dispatch.sweeper.sweep()
            #expect(try await kinds() == ["matched"])
            clock.set(start.addingTimeInterval(8_200))
            try await dispatch.sweeper.sweep()
            try await dispatch.sweeper.sweep()
            #expect(try await kinds() == ["matched", "delayAtRisk"])
            #expect(try await dispatch.notifier.deliverDue() == 1)
            var texts: [String] = []
            while texts.count < 2, let event = await events.next() { if event.kind == .notice { texts.append(event.json) } }
            #expect(texts.last?.contains("可能晚于") == true, "\(texts)")
        }
    }

    @Test func noticesStandOrFallWithTheChangeThatOwesThem() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let store = Bookings(client: client, logger: logger)
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市财政局")
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let booking = try await store.create(Self.request(agency, from: now), agencyID: agency, receivedAt: now, by: .engine, audit: nil)
            let notice = Notice(kind: .tripCompleted, recipient: .init(role: .agency, name: "李主任", phone: "13857400000"), channel: .sms, text: "行程已结束")
            // The audit line fails after the notice was written: the change and its notice go together.
            let broken = AuditLine(userID: nil, action: "booking-confirmed", resource: "booking:\(booking.id)", detail: "not json")
            await #expect(throws: (any Error).self) {
                try await store.move(booking.id, to: .confirmed, at: now, by: .engine, audit: broken, notices: [notice])
            }
            #expect(try await store.booking(id: booking.id)?.state == .received)
            #expect(try await Self.rows(client, booking.id).isEmpty)
            // A refused step writes none either; an accepted one writes its notice with it.
            await #expect(throws: BookingHistory.InvalidTransition.self) {
                try await store.move(booking.id, to: .completed, at: now, by: .engine, notices: [notice])
            }
            #expect(try await Self.rows(client, booking.id).isEmpty)
            try await store.move(booking.id, to: .confirmed, at: now, by: .engine, notices: [notice])
            #expect(try await Self.rows(client, booking.id).map(\.state) == ["queued"])
        }
    }
}
