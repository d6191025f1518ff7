import Dispatching
import Domain
import DomainTestSupport
import Foundation
import Gateway
import JT808
import Logging
import PostgresNIO
import PostgresTestSupport
import ServiceLifecycle
import ServiceTestSupport
import Store
import Synchronization
import TerminalTestSupport
import Testing

@testable import HTTPAPI

/// Issue 17's alarms and zones end to end: a simulated terminal reports over TCP to the real
/// gateway on real PostgreSQL, what ingest stores goes on to the arrival watch through the
/// ingest feed, as in fleetd, and people use the API over real HTTP.
@Suite struct AlarmsAndZonesTests {
    let logger = TestPostgres.logger

    /// The ingest deliveries the watch heard.
    final class Observed: Sendable {
        let heard = Mutex(0)
    }

    /// What fleetd's `ArrivalWatchService` does: every delivery of the ingest feed to the watch.
    struct Watching: Service {
        let feed: IngestFeed
        let arrivals: ArrivalWatch
        let observed: Observed

        func run() async throws {
            await cancelWhenGracefulShutdown {
                for await delivery in feed {
                    try? await arrivals.heard(delivery)
                    observed.heard.withLock { $0 += 1 }
                }
            }
        }
    }

    /// The gateway on PostgreSQL's sinks feeding the arrival watch (as fleetd wires them,
    /// without the group commit), the commands' relay and the API, for the duration of `body`;
    /// `observed` counts what the watch heard.
    func withGatewayAndAPI(
        _ body: @Sendable (_ gatewayPort: Int, _ api: URL, _ client: PostgresClient, _ terminal: Int32) async throws -> Void,
        observed: Observed
    ) async throws {
        try await TestPostgres.withDatabase { client, url in
            _ = try await FleetAPITests.seedUsers(client)
            let crews = try await TestFleet.fleet(client)
            try await client.query("UPDATE terminals SET auth_code = 'AC-0' WHERE id = \(crews[0].terminal)", logger: logger)
            let clock = ManualClock(Date())
            let dispatch = DispatchServices(client: client, database: url, clock: clock, logger: logger)
            let api = FleetAPI(
                services: APIServices(client: client, dispatch: dispatch, logger: logger), logger: logger)
            let (apiPorts, apiPortIn) = AsyncStream.makeStream(of: Int.self)
            let (gatewayPorts, gatewayPortIn) = AsyncStream.makeStream(of: Int.self)
            let ingested = IngestFeed()
            let gateway = GatewayServer(
                configuration: GatewayServer.Configuration(host: "127.0.0.1", port: 0), registry: PostgresTerminalRegistry(client: client, logger: logger),
                sink: FeedingPositionSink(
                    inner: PostgresPositionSink(client: client, database: url, retention: PositionRetention(), logger: logger), feed: ingested),
                events: FeedingEventSink(inner: PostgresEventSink(client: client, logger: logger), feed: ingested),
                media: PostgresMediaSink(client: client, logger: logger), clock: clock, logger: logger, onListening: { gatewayPortIn.yield($0) })
            let app = api.application(APIConfiguration(port: 0)) { apiPortIn.yield($0.localAddress?.port ?? 0) }
            let watching = Watching(feed: ingested, arrivals: dispatch.arrivals, observed: observed)
            // The API's commands (the alarm confirmation) reach the terminal as in fleetd.
            let relay = CommandRelay(
                queue: PostgresTerminalCommands(client: client, logger: logger), connections: gateway.connections, gateway: "test", logger: logger)
            try await ServiceGroup(services: [gateway, relay, app, watching], logger: logger).whileRunning {
                var (apiPort, gatewayPort) = (apiPorts.makeAsyncIterator(), gatewayPorts.makeAsyncIterator())
                let base = URL(string: "http://127.0.0.1:\(await apiPort.next()!)")!
                try await body(await gatewayPort.next()!, base, client, crews[0].terminal)
            }
        }
    }

    /// A report of the test's terminal `seconds` after `start`, at `east` micro-degrees east of
    /// the pick-up, with `alarm` on.
    static func report(_ alarm: AlarmFlags, at time: Int64, eastE6: Int32) -> LocationReport {
        let pickup = TestFleet.pickup.point
        return LocationReport(
            alarm: alarm, status: [.accOn, .positioned], latitudeMicrodegrees: UInt32(pickup.latitudeE6),
            longitudeMicrodegrees: UInt32(pickup.longitudeE6 + eastE6), speed: 300, course: 90, time: DeviceTime(epochSeconds: time))
    }

    /// The test's terminal authenticated over TCP; `body` reports with the first function it is
    /// given, which returns once the report is acknowledged (0x8001: it is stored), and takes the
    /// platform's next command with the second, which acknowledges it (0x0001) and returns it.
    static func withTerminal(
        port: Int, _ body: (_ report: ([LocationReport]) async throws -> Void, _ takeCommand: () async throws -> Message?) async throws -> Void
    ) async throws {
        try await withTerminalFrames(port: port) { send, receive in
            var terminal = TestTerminal("013900000000")
            try await send(terminal.frame(.authentication(Authentication(authCode: "AC-0"))))
            #expect(try await receive()?.message == .platformResponse(GeneralResponse(replySerial: 0, replyID: 0x0102, result: .success)))
            // Only ever called inside `body`, one at a time.
            try await withoutActuallyEscaping(send) { send in
                try await withoutActuallyEscaping(receive) { receive in
                    try await body(
                        { reports in
                            for report in reports {
                                let serial = terminal.serial
                                try await send(terminal.frame(.location(report)))
                                #expect(
                                    try await receive()?.message == .platformResponse(GeneralResponse(replySerial: serial, replyID: 0x0200, result: .success)))
                            }
                        },
                        {
                            guard let command = try await receive() else { return nil }
                            let answer = GeneralResponse(replySerial: command.header.serial, replyID: command.header.messageID, result: .success)
                            try await send(terminal.frame(.terminalResponse(answer)))
                            return command.message
                        })
                }
            }
        }
    }

    func alarms(_ base: URL, _ token: String, _ query: String = "") async throws -> [[String: Any]] {
        let reply = try await FleetAPITests.call(base, "GET", "/api/v1/events" + query, token: token)
        #expect(reply.status == 200, "\(reply.json)")
        return reply.array.compactMap { $0 as? [String: Any] }
    }

    /// SOS and over-speed go on in report 1, over-speed off in report 2 (cleared there), SOS is
    /// handled by a dispatcher (confirmed to the terminal with report 1's serial and bit 0),
    /// over-speed handled too (nothing to confirm), SOS off in report 3.
    @Test func anAlarmIsRaisedHandledConfirmedAndCleared() async throws {
        let observed = Observed()
        try await withGatewayAndAPI(
            { port, base, _, _ in
                try await Self.withTerminal(port: port) { send, takeCommand in try await raiseHandleAndClear(send, takeCommand, base) }
            }, observed: observed)
    }

    func raiseHandleAndClear(_ send: ([LocationReport]) async throws -> Void, _ takeCommand: () async throws -> Message?, _ base: URL) async throws {
        // After the fleet's placement (the newest report stored): older reports are history, which moves no alarm.
        let start = Date().epochSeconds + 1
        try await send([Self.report([.emergency, .overspeed], at: start, eastE6: 0), Self.report(.emergency, at: start + 30, eastE6: 300)])
        let dispatcher = try await FleetAPITests.signIn(base, "dispatcher")
        let raised = try await alarms(base, dispatcher)
        let sos = try #require(raised.first { $0["kind"] as? String == "emergency" })
        let speeding = try #require(raised.first { $0["kind"] as? String == "overspeed" })
        #expect(sos["state"] as? String == "open" && sos["kindName"] as? String == "紧急报警")
        #expect(sos["latitude"] as? Double == TestFleet.pickup.latitude && sos["clearedAt"] == nil)
        // Over-speed went off in the second report: its event has that report's time and place.
        #expect(speeding["state"] as? String == "cleared")
        #expect((speeding["clearedLongitude"] as? Double).map { abs($0 - (TestFleet.pickup.longitude + 0.0003)) < 1e-9 } == true)
        #expect(try await alarms(base, dispatcher, "?state=cleared").map { $0["kind"] as? String } == ["overspeed"])

        // Handling without a note is refused; with one, SOS is confirmed to the terminal.
        let id = try #require(sos["id"] as? Int)
        let noNote = try await FleetAPITests.call(base, "POST", "/api/v1/events/\(id)/handle", token: dispatcher, body: #"{"note": "  "}"#)
        #expect(noNote.status == 400)
        async let handling = FleetAPITests.call(
            base, "POST", "/api/v1/events/\(id)/handle", token: dispatcher, body: #"{"note": "电话联系司机，误触"}"#)
        // The terminal is sent 0x8203 naming the report that raised SOS (the first after
        // authentication: serial 1) and SOS's bit, and acknowledges it.
        #expect(try await takeCommand() == .alarmConfirmation(AlarmConfirmation(alarmSerial: 1, alarms: .emergency)))
        let handled = try await handling
        #expect(handled.status == 200 && handled.json["confirmation"] as? String == "sent", "\(handled.json)")
        let command = try #require(handled.json["command"] as? Int)
        let record = try await FleetAPITests.call(base, "GET", "/api/v1/commands/\(command)", token: dispatcher)
        #expect(record.json["command"] as? String == "confirmAlarm" && record.json["state"] as? String == "answered", "\(record.json)")
        // Over-speed clears itself: handled, nothing sent.
        let other = try await FleetAPITests.call(
            base, "POST", "/api/v1/events/\(try #require(speeding["id"] as? Int))/handle", token: dispatcher, body: #"{"note": "已提醒"}"#)
        #expect(other.status == 200 && other.json["confirmation"] as? String == "notRequired" && other.json["command"] == nil)
        // Handled once only.
        let again = try await FleetAPITests.call(base, "POST", "/api/v1/events/\(id)/handle", token: dispatcher, body: #"{"note": "再次"}"#)
        #expect(again.status == 404)

        // SOS goes off in a later report.
        try await send([Self.report([], at: start + 60, eastE6: 900)])
        let after = try await alarms(base, dispatcher, "?state=handled")
        let cleared = try #require(after.first { $0["id"] as? Int == id })
        #expect(cleared["handledBy"] as? String == "dispatcher" && cleared["handlingNote"] as? String == "电话联系司机，误触")
        #expect((cleared["clearedAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }?.epochSeconds == start + 60)
        #expect((cleared["clearedLongitude"] as? Double).map { abs($0 - (TestFleet.pickup.longitude + 0.0009)) < 1e-9 } == true)
        #expect(try await alarms(base, dispatcher, "?open=true").isEmpty)
    }

    /// The same reports delivered twice (the terminal did not get the acknowledgement) raise and
    /// clear one event, once.
    @Test func aClearingDeliveredTwiceClearsOnce() async throws {
        try await withGatewayAndAPI(
            { port, base, client, terminal in
                // After the fleet's placement (the newest report stored): older reports are history, which moves no alarm.
                let start = Date().epochSeconds + 1
                let reports = [Self.report(.fatigueDriving, at: start, eastE6: 0), Self.report([], at: start + 30, eastE6: 300)]
                try await Self.withTerminal(port: port) { send, _ in
                    try await send(reports)
                    try await send(reports)
                }
                let dispatcher = try await FleetAPITests.signIn(base, "dispatcher")
                let all = try await alarms(base, dispatcher)
                #expect(all.count == 1 && all.first?["state"] as? String == "cleared")
                let ts = try await client.query(
                    "SELECT count(*)::int8 FROM events WHERE terminal_id = \(terminal) AND cleared_at = to_timestamp(\(start + 30))", logger: logger)
                for try await n in ts.decode(Int64.self) { #expect(n == 1) }
            }, observed: Observed())
    }

    /// A depot drawn by the administrator, about 200 m square, 1 km east of the pick-up.
    static let depotBody = """
        {"name": "东部车场", "kind": "depot", "points": [
          {"latitude": 29.8673, "longitude": 121.5530}, {"latitude": 29.8693, "longitude": 121.5530},
          {"latitude": 29.8693, "longitude": 121.5550}, {"latitude": 29.8673, "longitude": 121.5550}]}
        """

    /// Waits (up to 10 s) until the watch heard `count` deliveries of the ingest feed.
    static func heard(_ count: Int, _ observed: Observed) async throws {
        for _ in 0..<200 where observed.heard.withLock({ $0 }) < count { try await Task.sleep(for: .milliseconds(50)) }
        #expect(observed.heard.withLock { $0 } >= count)
    }

    /// The vehicle drives into the depot and out of it: one entry and one exit, at the fixes
    /// that crossed, also when every report is delivered a second time.
    @Test func drivingIntoAZoneAndOutIsOneEntryAndOneExit() async throws {
        let observed = Observed()
        try await withGatewayAndAPI(
            { port, base, client, _ in
                let admin = try await FleetAPITests.signIn(base, "admin")
                let created = try await FleetAPITests.call(base, "POST", "/api/v1/named-zones", token: admin, body: Self.depotBody)
                #expect(created.status == 201 && created.json["kind"] as? String == "depot", "\(created.json)")
                let zoneID = try #require(created.json["id"] as? Int)
                let start = Date().epochSeconds - 600
                // At the pick-up, twice inside the depot, then beyond it.
                let reports = [0, 9_700, 10_200, 30_000].enumerated().map { Self.report([], at: start + Int64($0.offset) * 30, eastE6: Int32($0.element)) }
                try await Self.withTerminal(port: port) { send, _ in
                    try await send(reports)
                    try await send(reports)
                }
                try await Self.heard(2 * reports.count, observed)
                let dispatcher = try await FleetAPITests.signIn(base, "dispatcher")
                let plate = "浙B00000D".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let from = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(start - 60)))
                let listed = try await FleetAPITests.call(base, "GET", "/api/v1/zone-events?plate=\(plate)&from=\(from)", token: dispatcher)
                let events = listed.array.compactMap { $0 as? [String: Any] }
                #expect(listed.status == 200 && events.map { $0["direction"] as? String } == ["entry", "exit"], "\(listed.array)")
                #expect(events.map { $0["zoneID"] as? Int } == [zoneID, zoneID] && events.allSatisfy { $0["plate"] as? String == "浙B00000D" })
                let times = events.compactMap { ($0["at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0)?.epochSeconds } }
                #expect(times == [start + 30, start + 90])
                #expect((events.first?["longitude"] as? Double).map { abs($0 - (TestFleet.pickup.longitude + 0.0097)) < 1e-9 } == true)
                var audited: [String] = []
                for try await resource in try await client.query(
                    "SELECT resource FROM audit_log WHERE action = 'zone-events-read'", logger: TestPostgres.logger
                ).decode(String.self) { audited.append(resource) }
                #expect(audited.count == 1 && audited.first?.hasPrefix("vehicle:") == true, "\(audited)")
                // The agency has no business with zones.
                let agency = try await FleetAPITests.signIn(base, "agency")
                #expect(try await FleetAPITests.call(base, "GET", "/api/v1/zone-events", token: agency).status == 403)
            }, observed: observed)
    }

    /// Zones are the administrator's to draw, audited; a dispatcher may only read them; bodies
    /// beyond the globe, too many points or a huge name are refused naming the field.
    @Test func zonesAreDrawnByAdministratorsWithinBounds() async throws {
        try await FleetAPITests.withAPI { base, _, client, _ in
            let admin = try await FleetAPITests.signIn(base, "admin"), dispatcher = try await FleetAPITests.signIn(base, "dispatcher")
            #expect(try await FleetAPITests.call(base, "POST", "/api/v1/named-zones", token: dispatcher, body: Self.depotBody).status == 403)
            let created = try await FleetAPITests.call(base, "POST", "/api/v1/named-zones", token: admin, body: Self.depotBody)
            let id = try #require(created.json["id"] as? Int)
            #expect(try await FleetAPITests.call(base, "POST", "/api/v1/named-zones", token: admin, body: Self.depotBody).status == 409)
            let restricted = Self.depotBody.replacingOccurrences(of: #""kind": "depot""#, with: #""kind": "restricted""#)
            let changed = try await FleetAPITests.call(base, "PUT", "/api/v1/named-zones/\(id)", token: admin, body: restricted)
            #expect(changed.status == 200 && changed.json["kind"] as? String == "restricted")
            #expect(try await FleetAPITests.call(base, "PUT", "/api/v1/named-zones/999999", token: admin, body: restricted).status == 404)
            let listed = try await FleetAPITests.call(base, "GET", "/api/v1/named-zones", token: dispatcher)
            #expect(listed.status == 200 && listed.array.count == 1)
            var audited = 0
            for try await n in try await client.query(
                "SELECT count(*)::int8 FROM audit_log WHERE action IN ('zone-create', 'zone-set') AND resource = \("zone:\(id)")", logger: TestPostgres.logger
            ).decode(Int64.self) { audited = Int(n) }
            #expect(audited == 2)

            let point = #"{"latitude": 29.8673, "longitude": 121.5530}"#
            let hostile: [(body: String, field: String)] = [
                (Self.depotBody.replacingOccurrences(of: "29.8693", with: "1e308"), "points.1.latitude"),
                (Self.depotBody.replacingOccurrences(of: "121.5550", with: "-180.5"), "points.2.longitude"),
                (#"{"name": "多", "kind": "depot", "points": [\#(Array(repeating: point, count: 1001).joined(separator: ","))]}"#, "points"),
                (Self.depotBody.replacingOccurrences(of: "东部车场", with: String(repeating: "车", count: 10_000)), "name"),
                (Self.depotBody.replacingOccurrences(of: "depot", with: "prison"), "kind"),
                // On the globe, but all on one line.
                (#"{"name": "线", "kind": "other", "points": [\#(point), \#(point), \#(point)]}"#, "points"),
            ]
            for (body, field) in hostile {
                let reply = try await FleetAPITests.call(base, "POST", "/api/v1/named-zones", token: admin, body: body)
                #expect(reply.status == 400 && reply.json["field"] as? String == field, "\(field): \(reply.status) \(reply.json)")
            }
            #expect(try await FleetAPITests.call(base, "GET", "/api/v1/named-zones", token: admin).array.count == 1)
        }
    }
}
