import Dispatching
import Domain
import DomainTestSupport
import Foundation
import Gateway
import JT808
import PostgresNIO
import PostgresTestSupport
import ServiceLifecycle
import ServiceTestSupport
import Store
import TerminalTestSupport
import Testing

/// The driver's IC card (issue 17) through the real gateway over TCP on real PostgreSQL: card
/// reports stored before they are acknowledged, driving time credited to whoever was signed in,
/// and the alerts of a card that is unknown, expired, or not the booking's crew.
@Suite struct DriverCardTests {
    let logger = TestPostgres.logger

    /// The gateway on a free loopback port with PostgreSQL's registry and sinks, its time `clock`'s.
    func withGateway(
        _ client: PostgresClient, _ url: DatabaseURL, clock: ManualClock, _ body: @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = GatewayServer(
            configuration: GatewayServer.Configuration(host: "127.0.0.1", port: 0), registry: PostgresTerminalRegistry(client: client, logger: logger),
            sink: PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger, now: { clock.now }),
            events: PostgresEventSink(client: client, logger: logger), media: PostgresMediaSink(client: client, logger: logger), clock: clock,
            logger: logger, driverCards: PostgresDriverCardSink(client: client, logger: logger), onListening: { continuation.yield($0) }
        )
        try await ServiceGroup(services: [server], logger: logger).whileRunning {
            var iterator = ports.makeAsyncIterator()
            try await body(await iterator.next()!)
        }
    }

    static func card(_ status: DriverIdentity.CardStatus, at time: Int64, certificate: String = "", name: String = "", validUntil: CardDate? = nil)
        -> Message
    {
        guard status == .inserted else { return .driverIdentity(DriverIdentity(cardStatus: .removed, time: DeviceTime(epochSeconds: time))) }
        return .driverIdentity(
            DriverIdentity(
                cardStatus: .inserted, time: DeviceTime(epochSeconds: time), readResult: 0, name: name, certificate: certificate, authority: "宁波市运管局",
                validity: validUntil ?? CardDate(year: 2031, month: 12, day: 31)))
    }

    /// The 2011 layout carries no time: the server's stands in, and the same report sent again
    /// (it was not answered) within 5 minutes is kept once; the same card after another is a
    /// sign-in of its own.
    @Test func a2011CardReportSentAgainIsKeptOnce() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let terminal = try await TestFleet.fleet(client)[0].terminal
            let sink = PostgresDriverCardSink(client: client, logger: logger)
            var first = DriverCardRecord(terminalID: terminal, status: .inserted, occurredAt: 1_800_000_000, readResult: 0, name: "司机甲", certificate: "QC1")
            first.timedByServer = true
            var again = first, other = first, back = first
            again.occurredAt += 40
            (other.certificate, other.occurredAt) = ("QC2", first.occurredAt + 60)
            back.occurredAt += 120
            for card in [first, again, other, back] { try await sink.record(card) }
            let rows = try await client.query(
                "SELECT certificate FROM driver_sign_ins WHERE terminal_id = \(terminal) ORDER BY occurred_at", logger: logger)
            var kept: [String] = []
            for try await certificate in rows.decode(String.self) { kept.append(certificate) }
            #expect(kept == ["QC1", "QC2", "QC1"])
        }
    }

    @Test func drivingTimeFollowsTheCardAndBadCardsRaiseAlertsOnce() async throws {
        try await TestPostgres.withDatabase { client, url in
            let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            @Sendable func at(_ minutes: Int) -> Int64 { t0.epochSeconds + Int64(minutes) * 60 }
            let clock = ManualClock(t0)
            let feed = LiveFeed()
            var events = feed.subscribe().makeAsyncIterator()
            /// The next driver's card alert on the live feed (bookings' events and clocks pass by).
            func nextCardAlert() async -> FeedEvent? {
                while let event = await events.next() {
                    if event.kind == .alert, event.json.contains(#""driverCard""#) { return event }
                }
                return nil
            }
            let dispatch = DispatchServices(client: client, database: url, feed: feed, clock: clock, logger: logger)
            let crews = try await TestFleet.fleet(client)
            // The day partitions the reports below go into, as maintenance makes them.
            for minutes in [0, 120] {
                _ = try await PositionRetention().maintain(client: client, today: CivilDate(chinaDayOf: at(minutes)).description, logger: logger)
            }

            // A booking in the city, matched and on its way: its crew's driver is the one to sign in.
            let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市档案局")
            let request = BookingRequest(
                channel: .phone, agencyID: agency, contactName: "王科长", contactPhone: "057487000001", passengers: 1, vehicleClass: .sedan,
                pickupTime: t0.addingTimeInterval(3 * 3600), pickup: TestFleet.pickup,
                destination: Place(latitude: 29.8750, longitude: 121.5520, address: "宁波市政府"), serviceEnd: t0.addingTimeInterval(5 * 3600))
            let booking = try await dispatch.bookings.book(request, agencyID: agency, by: .engine, audit: nil)
            try await dispatch.bookings.move(booking.id, to: .confirmed, by: .engine)
            try await dispatch.rounds.run()
            try await dispatch.notifier.deliverDue()
            try await dispatch.bookings.move(booking.id, to: .enRoute, by: Actor(userID: nil, name: "driver"))
            let served = try #require(try await dispatch.bookings.booking(id: booking.id))
            let index = try #require(crews.firstIndex { $0.vehicleID == served.vehicleID })
            let crew = crews[index], other = crews[(index + 1) % crews.count]
            #expect(served.driverID == crew.driverID)

            // The drivers' files hold their certificates' numbers (through the service, as the API saves them).
            let files = FleetFiles(client: client, logger: logger)
            for (driver, number) in [(crew.driverID, "QC3302A"), (other.driverID, "QC3302B")] {
                var file = try #require(try await files.driver(id: driver))
                file.certificateNumber = " \(number) "
                #expect(try await dispatch.files.save(file, audit: nil).certificateNumber == number)
            }

            try await withGateway(client, url, clock: clock) { port in
                try await withTerminalConnection(port: port) { send, receive in
                    var terminal = TestTerminal("01390000000\(index)")
                    func exchange(_ message: Message) async throws -> Message? {
                        try await send(terminal.frame(message))
                        return try await receive()
                    }
                    func acknowledged(_ message: Message) async throws {
                        let serial = terminal.serial
                        let answer = try await exchange(message)
                        #expect(answer == .platformResponse(GeneralResponse(replySerial: serial, replyID: message.messageID, result: .success)))
                    }
                    /// Fixes a minute apart at 30 km/h from `from` to `to` minutes.
                    func drive(_ from: Int, _ to: Int) async throws {
                        for minute in from...to {
                            try await acknowledged(
                                .location(
                                    LocationReport(
                                        status: [.accOn, .positioned], latitudeMicrodegrees: 29_868_300,
                                        longitudeMicrodegrees: 121_544_000 + UInt32(minute) * 500,
                                        speed: 300, course: 90, time: DeviceTime(epochSeconds: at(minute)))))
                        }
                    }
                    let plate = "浙B0000\(index)D"
                    guard
                        case .registrationResponse(let registered)? = try await exchange(
                            .registration(
                                Registration(
                                    province: 33, city: 200, manufacturer: "70111", model: "JT-808", terminalID: String(terminal.phone.description.suffix(7)),
                                    plateColor: 5, plate: plate))),
                        let code = registered.authCode
                    else {
                        Issue.record("not registered")
                        return
                    }
                    try await acknowledged(.authentication(Authentication(authCode: code)))

                    // The crew's driver signs in and drives half an hour: their driving grows, the other's does not.
                    clock.set(t0.addingTimeInterval(31 * 60))
                    try await acknowledged(Self.card(.inserted, at: at(10), certificate: "QC3302A", name: "司机甲"))
                    try await drive(10, 30)
                    try await dispatch.learning.refreshDrivingTimes()
                    var driving = dispatch.learning.drivingTimes
                    #expect(driving[crew.driverID]?.last24h == 20 * 60 && driving[crew.driverID]?.continuous == 20 * 60)
                    #expect(driving[other.driverID]?.last24h == 0)

                    // They sign out; the other driver signs in on the same car and drives: now theirs grows.
                    clock.set(t0.addingTimeInterval(62 * 60))
                    try await acknowledged(Self.card(.removed, at: at(31)))
                    try await acknowledged(Self.card(.inserted, at: at(32), certificate: "QC3302B", name: "司机乙"))
                    try await drive(32, 60)
                    try await dispatch.learning.refreshDrivingTimes()
                    driving = dispatch.learning.drivingTimes
                    #expect(driving[crew.driverID]?.last24h == 20 * 60 && driving[crew.driverID]?.continuous == 0, "rested since")
                    #expect(driving[other.driverID]?.last24h == 28 * 60 && driving[other.driverID]?.continuous == 28 * 60)

                    // Signed in on a car serving a booking whose crew they are not: an alert (read below).
                    try await dispatch.sweeper.sweep()

                    // A card no file holds, and the other driver's card past its validity.
                    try await acknowledged(Self.card(.inserted, at: at(61), certificate: "QC9999Z", name: "陌生人"))
                    try await acknowledged(
                        Self.card(.inserted, at: at(62), certificate: "QC3302B", name: "司机乙", validUntil: CardDate(year: 2020, month: 6, day: 30)))
                }
            }
            let wrong = try #require(await nextCardAlert())
            #expect(wrong.kind == .alert && wrong.agencyID == nil)
            #expect(wrong.json.contains(#""kind":"notTheCrew""#) && wrong.json.contains(#""bookingID":\#(booking.id)"#), "\(wrong.json)")
            try await dispatch.sweeper.sweep()
            var kinds: [String] = []
            for _ in 0..<3 {
                let event = try #require(await nextCardAlert())
                kinds += ["unknownCard", "expiredCard", "notTheCrew"].filter { event.json.contains(#""kind":"\#($0)""#) }
            }
            // The unknown card, the expired one, and the card in now not the booking's crew's.
            #expect(kinds.sorted() == ["expiredCard", "notTheCrew", "unknownCard"])
            // Raised once: a second sweep finds nothing new.
            try await dispatch.sweeper.sweep()
            let stored = try await client.query("SELECT kind, count(*) FROM driver_card_alerts GROUP BY kind ORDER BY kind", logger: logger)
            var counts: [String: Int64] = [:]
            for try await (kind, count) in stored.decode((String, Int64).self) { counts[kind] = count }
            #expect(counts == ["expiredCard": 1, "notTheCrew": 2, "unknownCard": 1])
            // Listed for a dispatcher who was not watching the stream, newest first, named.
            let listed = try await dispatch.alerts.driverCardAlerts(since: nil, limit: 10)
            #expect(listed.count == 4 && listed.map(\.raisedAt) == listed.map(\.raisedAt).sorted(by: >))
            #expect(listed.first { $0.kind == .expiredCard }?.validUntil == "2020-06-30")
            #expect(listed.first { $0.kind == .unknownCard }?.driverName == "陌生人")
            #expect(listed.filter { $0.kind == .notTheCrew }.allSatisfy { $0.bookingID == booking.id && $0.plate != nil })

            // Every card report stored, with the driver it matched (none for the stranger).
            let rows = try await client.query(
                "SELECT card_status, certificate, driver_id FROM driver_sign_ins WHERE vehicle_id = \(crew.vehicleID) ORDER BY occurred_at", logger: logger)
            var reports: [String] = []
            for try await (status, certificate, driver) in rows.decode((String, String?, Int64?).self) {
                reports.append("\(status) \(certificate ?? "-") \(driver.map { $0 == crew.driverID ? "A" : $0 == other.driverID ? "B" : "?" } ?? "none")")
            }
            #expect(reports == ["inserted QC3302A A", "removed - none", "inserted QC3302B B", "inserted QC9999Z none", "inserted QC3302B B"])
        }
    }
}
