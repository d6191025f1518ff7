import Domain
import Foundation
import GNSSTerminal
import Gateway
import JT808
import Logging
import PostgresNIO
import PostgresTestSupport
import ServiceLifecycle
import ServiceTestSupport
import Store
import TerminalTestSupport
import Testing

@testable import HTTPAPI

/// Issue 17's commands end to end: real HTTP, real PostgreSQL, the real gateway with its command
/// relay over loopback TCP, and gps808's terminal (`TerminalService`) answering.
@Suite struct TerminalCommandAPITests {
    typealias API = FleetAPITests
    static let plate = "浙B80817D"
    static let phone = TerminalPhone(digits: "013912340817", version: .v2013)!
    static let logger = Logger(label: "terminal-command-test")

    /// The API and a gateway with its command relay, on one database, the terminal bound to
    /// `plate`; `body` gets the gateway's port.
    static func withFleet(
        _ body: @Sendable (_ base: URL, _ accounts: Accounts, _ client: PostgresClient, _ port: Int) async throws -> Void
    ) async throws {
        try await API.withAPI { base, accounts, client, _ in
            let registry = PostgresTerminalRegistry(client: client, logger: logger)
            try await registry.bind(phone: phone.description, plate: plate, terminalID: "2340817")
            let connections = TerminalConnections()
            let (ports, portsIn) = AsyncStream.makeStream(of: Int.self)
            let sink = RecordingSink()
            let gateway = GatewayServer(
                configuration: .init(host: "127.0.0.1", port: 0), registry: registry, sink: sink, events: sink,
                media: PostgresMediaSink(client: client, logger: logger), clock: SystemClock(), logger: logger, connections: connections,
                onListening: { portsIn.yield($0) })
            let relay = CommandRelay(
                queue: PostgresTerminalCommands(client: client, logger: logger), connections: connections, gateway: "test", renewal: .seconds(1),
                logger: logger)
            try await ServiceGroup(services: [relay, gateway], logger: logger).whileRunning {
                var iterator = ports.makeAsyncIterator()
                try await body(base, accounts, client, await iterator.next()!)
            }
        }
    }

    /// gps808's terminal for the vehicle, with one fix, connected to the gateway at `port`
    /// while `body` runs.
    static func withTerminal(port: Int, _ body: @Sendable () async throws -> Void) async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: state) }
        let (fixes, fixesIn) = AsyncStream.makeStream(of: GNSSFix.self)
        let clock = SystemClock()
        let terminal = TerminalService(
            configuration: .init(
                identity: GNSSTerminal.TerminalIdentity(phone: phone, plate: plate, terminalID: "2340817"),
                settings: TerminalSettings(serverHost: "127.0.0.1", serverPort: port, reportInterval: 1), stateDirectory: state
            ),
            fixes: fixes, wallClock: clock, logger: logger)
        try await ServiceGroup(services: [terminal], logger: logger).whileRunning {
            fixesIn.yield(
                GNSSFix(
                    time: clock.now.epochSeconds - 1, mode: .threeDimensional, latitude: 29.868336, longitude: 121.54399, altitudeMSL: 12, speed: 0, track: 0))
            try await body()
            fixesIn.finish()
        }
    }

    /// Waits until the terminal counts as online (its presence row, what callers go by).
    static func online(_ client: PostgresClient) async throws {
        for _ in 0..<300 {
            let rows = try await client.query("SELECT count(*) FROM terminal_presence WHERE terminal_phone = \(phone.description)", logger: logger)
            for try await count in rows.decode(Int64.self) where count == 1 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the terminal never came online")
    }

    static var commands: String { "/api/v1/vehicles/\(plate.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!)/commands" }

    static func answer(_ reply: API.Reply) -> [String: Any] { reply.json["answer"] as? [String: Any] ?? [:] }
    static func body(_ reply: API.Reply) -> [String: Any] { answer(reply)["body"] as? [String: Any] ?? [:] }

    @Test func eachCommandIsAnsweredByTheTerminalAndAudited() async throws {
        try await Self.withFleet { base, accounts, client, port in
            try await Self.withTerminal(port: port) {
                try await Self.online(client)
                let (dispatcher, auditor) = (try await API.signIn(base, "dispatcher"), try await API.signIn(base, "auditor"))
                func send(_ json: String) async throws -> API.Reply {
                    let reply = try await API.call(base, "POST", Self.commands, token: dispatcher, body: json)
                    #expect(reply.status == 200 && reply.json["state"] as? String == "answered", "\(json): \(reply.status) \(reply.json)")
                    return reply
                }

                let located = try await send(#"{"command": "locate"}"#)
                #expect(Self.answer(located)["msgId"] as? String == "0x0201")
                let location = Self.body(located)["location"] as? [String: Any]
                #expect((location?["lat"] as? Double).map { abs($0 - 29.868336) < 1e-6 } == true, "\(located.json)")

                let all = try await send(#"{"command": "queryParameters"}"#)
                #expect(Self.answer(all)["msgId"] as? String == "0x0104")
                #expect((Self.answer(all)["settings"] as? [String: Any])?["reportIntervalSeconds"] as? Int == 1, "\(all.json)")
                #expect((Self.answer(all)["settings"] as? [String: Any])?["serverTCPPort"] as? Int == port)

                let set = try await send(#"{"command": "setParameters", "settings": {"reportIntervalSeconds": 5, "heartbeatSeconds": 30}}"#)
                #expect(set.json["resultCode"] as? Int == 0 && Self.body(set)["replyId"] as? String == "0x8103", "\(set.json)")
                let some = try await send(#"{"command": "queryParameters", "parameterIDs": [41, 1]}"#)
                #expect(Self.answer(some)["settings"] as? [String: Int] == ["reportIntervalSeconds": 5, "heartbeatSeconds": 30], "\(some.json)")

                let tracking = try await send(#"{"command": "tracking", "intervalSeconds": 2, "validitySeconds": 60}"#)
                #expect(tracking.json["resultCode"] as? Int == 0 && Self.body(tracking)["replyId"] as? String == "0x8202")
                let text = try await send(#"{"command": "text", "text": "请到天一广场北门接李主任", "tts": true, "urgent": true}"#)
                #expect(text.json["resultCode"] as? Int == 0 && Self.body(text)["replyId"] as? String == "0x8300")

                let attributes = try await send(#"{"command": "attributes"}"#)
                #expect(Self.answer(attributes)["msgId"] as? String == "0x0107")
                #expect(
                    Self.body(attributes)["model"] as? String == "GPS808" && Self.body(attributes)["terminalId"] as? String == "2340817", "\(attributes.json)")

                // Where the terminal connects is the administrator's call alone.
                let redirect = #"{"command": "setParameters", "settings": {"serverAddress": "203.0.113.9", "serverTCPPort": 6808}}"#
                #expect(try await API.call(base, "POST", Self.commands, token: dispatcher, body: redirect).status == 403)
                // The auditor reads but does not send.
                #expect(try await API.call(base, "POST", Self.commands, token: auditor, body: #"{"command": "locate"}"#).status == 403)
                let listed = try await API.call(base, "GET", Self.commands, token: auditor)
                let items = listed.json["items"] as? [[String: Any]] ?? []
                #expect(items.count == 7 && items.allSatisfy { $0["state"] as? String == "answered" && $0["requestedBy"] as? String == "dispatcher" })
                let one = try await API.call(base, "GET", "/api/v1/commands/\(located.json["id"] as? Int ?? 0)", token: auditor)
                #expect(one.status == 200 && Self.answer(one)["msgId"] as? String == "0x0201")
                #expect(try await API.call(base, "GET", "/api/v1/commands/999999", token: auditor).status == 404)

                // Each command on the trail as asked by the dispatcher, and as answered with the answer.
                let trail = try await accounts.auditTrail()
                for item in items {
                    let resource = "command:\(item["id"] as? Int ?? 0)"
                    #expect(trail.contains { $0.action == "terminal-command" && $0.resource == resource && $0.username == "dispatcher" })
                    #expect(trail.contains { $0.action == "command-answered" && $0.resource == resource && ($0.detail ?? "").contains("\"msgId\"") })
                }
            }
        }
    }

    @Test func aPhotoIsTakenUploadedInSubPackagesAndFetchedAsTheSameJPEG() async throws {
        try await Self.withFleet { base, accounts, client, port in
            try await Self.withTerminal(port: port) {
                try await Self.online(client)
                let (dispatcher, auditor) = (try await API.signIn(base, "dispatcher"), try await API.signIn(base, "auditor"))
                let photo = try await API.call(base, "POST", Self.commands, token: dispatcher, body: #"{"command": "photo"}"#)
                #expect(photo.status == 200 && Self.answer(photo)["msgId"] as? String == "0x0805", "\(photo.json)")
                #expect(Self.body(photo)["result"] as? Int == 0 && Self.body(photo)["mediaIds"] as? [Int] == [1], "\(photo.json)")
                // Three sub-packages: the 0x0801 body is the photo and 36 bytes before it.
                #expect(
                    FrameEncoder.encode(
                        .multimediaUpload(
                            MultimediaUpload(
                                event: MultimediaEvent(mediaID: 1, mediaType: 0, format: 0, event: 0, channel: 1), location: nil, data: SamplePhoto.jpeg)),
                        header: MessageHeader(messageID: 0x0801, version: .v2013, phone: Self.phone, serial: 0)
                    ).count == 3)

                let media = Self.commands.replacingOccurrences(of: "/commands", with: "/media")
                var items: [[String: Any]] = []
                for _ in 0..<300 where items.isEmpty {
                    items = try await API.call(base, "GET", media, token: auditor).json["items"] as? [[String: Any]] ?? []
                    if items.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(items.count == 1 && items.first?["mediaID"] as? Int == 1 && items.first?["contentType"] as? String == "image/jpeg", "\(items)")
                #expect(items.first?["bytes"] as? Int == SamplePhoto.jpeg.count && items.first?["kind"] as? String == "image")
                let id = items.first?["id"] as? Int ?? 0
                let fetched = try await API.call(base, "GET", "/api/v1/media/\(id)", token: auditor)
                #expect(fetched.status == 200 && fetched.contentType == "image/jpeg")
                #expect([UInt8](fetched.body) == SamplePhoto.jpeg, "the bytes the terminal sent, unchanged")
                #expect(
                    fetched.body.prefix(2) == Data([0xFF, 0xD8]) && fetched.body.suffix(2) == Data([0xFF, 0xD9]), "a JPEG from its start to its end marker")
                #expect(try await accounts.auditTrail().contains { $0.action == "media-read" && $0.resource == "media:\(id)" && $0.username == "auditor" })
                #expect(try await API.call(base, "GET", "/api/v1/media/999999", token: auditor).status == 404)
                #expect(try await API.call(base, "GET", "/api/v1/vehicles/%E6%B5%99X/media", token: auditor).status == 404)
            }
        }
    }

    @Test func anOfflineTerminalRefusesOrQueuesInOrderAndExpiredCommandsAreNeverSent() async throws {
        try await Self.withFleet { base, _, _, port in
            let dispatcher = try await API.signIn(base, "dispatcher")
            let refused = try await API.call(base, "POST", Self.commands, token: dispatcher, body: #"{"command": "locate"}"#)
            #expect(refused.status == 409 && (refused.json["detail"] as? String)?.contains("ttlSeconds") == true, "\(refused.json)")

            var queued: [Int] = []
            for json in [
                #"{"command": "attributes", "ttlSeconds": 4}"#, #"{"command": "text", "text": "明早七点出车", "ttlSeconds": 60}"#,
                #"{"command": "tracking", "intervalSeconds": 5, "validitySeconds": 600, "ttlSeconds": 60}"#,
                #"{"command": "queryParameters", "parameterIDs": [41], "ttlSeconds": 60}"#,
            ] {
                let reply = try await API.call(base, "POST", Self.commands, token: dispatcher, body: json)
                // The first one's 4 s may run out before a loaded machine has answered the request
                // that queued it (the whole suite in parallel took over 4 s once): then it says so.
                let states = queued.isEmpty ? ["queued", "expired"] : ["queued"]
                #expect(reply.status == 202 && states.contains(reply.json["state"] as? String ?? ""), "\(reply.json)")
                queued.append(reply.json["id"] as? Int ?? 0)
            }
            // The first one's 4 s pass before the terminal comes (4 s: a loaded machine has
            // taken over a second to answer the request that queued it).
            try await Task.sleep(for: .seconds(5))
            let ids = queued
            try await Self.withTerminal(port: port) {
                var records: [[String: Any]] = []
                for _ in 0..<300 {
                    records = try await ids.asyncMap { try await API.call(base, "GET", "/api/v1/commands/\($0)", token: dispatcher).json }
                    if records.dropFirst().allSatisfy({ $0["state"] as? String == "answered" }) { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(records.map { $0["state"] as? String } == ["expired", "answered", "answered", "answered"], "\(records)")
                #expect(records[0]["sentAt"] == nil, "an expired command is never sent")
                let sent = records.dropFirst().compactMap { ($0["sentAt"] as? String).flatMap(RFC3339.date) }
                #expect(sent.count == 3 && sent == sent.sorted(), "delivered in the order they were queued: \(sent)")
                #expect((records[3]["answer"] as? [String: Any])?["settings"] as? [String: Int] == ["reportIntervalSeconds": 1], "\(records[3])")
            }
        }
    }

    @Test func aTerminalThatDoesNotAnswerIsA504AndTimedOutOnRecord() async throws {
        try await Self.withFleet { base, _, client, port in
            let dispatcher = try await API.signIn(base, "dispatcher")
            // A terminal that registers and authenticates, then says nothing more.
            try await withTerminalConnection(port: port) { send, receive in
                var terminal = TestTerminal(Self.phone.description)
                try await send(
                    terminal.frame(
                        .registration(
                            Registration(province: 0, city: 0, manufacturer: "X", model: "Y", terminalID: "2340817", plateColor: 5, plate: Self.plate))))
                guard case .registrationResponse(let registered)? = try await receive(), let code = registered.authCode else {
                    Issue.record("not registered")
                    return
                }
                try await send(terminal.frame(.authentication(JT808.Authentication(authCode: code))))
                _ = try await receive()
                try await Self.online(client)
                // 10 s to answer: on a machine loaded by the whole suite the gateway has taken
                // over 6 s to claim a command, and this test is about one sent and not answered.
                let silent = try await API.call(base, "POST", Self.commands, token: dispatcher, body: #"{"command": "locate", "timeoutSeconds": 10}"#)
                #expect(silent.status == 504 && silent.contentType == "application/problem+json", "\(silent.json)")
                let detail = silent.json["detail"] as? String ?? ""
                #expect(detail.contains("timeoutSeconds") && detail.contains("ttlSeconds"), "says what to do: \(detail)")
                let id = detail.split(separator: " ").dropFirst().first.map { $0.dropLast() }.flatMap { Int($0) } ?? 0
                let record = try await API.call(base, "GET", "/api/v1/commands/\(id)", token: dispatcher)
                #expect(record.json["state"] as? String == "timedOut" && record.json["sentAt"] != nil, "\(record.json)")
            }
        }
    }

    @Test func hostileCommandsAreRefusedNamingTheField() async throws {
        try await Self.withFleet { base, _, _, _ in
            let dispatcher = try await API.signIn(base, "dispatcher")
            let cases: [(String, String)] = [
                (#"{"command": "selfDestruct"}"#, "command"),
                (#"{"command": "locate", "ttlSeconds": 9223372036854775807}"#, "ttlSeconds"),
                (#"{"command": "locate", "ttlSeconds": -9223372036854775808}"#, "ttlSeconds"),
                (#"{"command": "locate", "timeoutSeconds": 0}"#, "timeoutSeconds"),
                (#"{"command": "tracking", "intervalSeconds": 9223372036854775807, "validitySeconds": 60}"#, "intervalSeconds"),
                (#"{"command": "tracking", "intervalSeconds": 5}"#, "validitySeconds"),
                (#"{"command": "setParameters"}"#, "settings"),
                (#"{"command": "setParameters", "settings": {}}"#, "settings"),
                (#"{"command": "setParameters", "settings": {"serverTCPPort": 65536}}"#, "settings.serverTCPPort"),
                (#"{"command": "setParameters", "settings": {"speedLimitKmh": -9223372036854775808}}"#, "settings.speedLimitKmh"),
                (#"{"command": "queryParameters", "parameterIDs": [4294967296]}"#, "parameterIDs.0"),
                (#"{"command": "queryParameters", "parameterIDs": []}"#, "parameterIDs"),
                (#"{"command": "text"}"#, "text"),
                (#"{"command": "confirmAlarm"}"#, "alarms"),
                (#"{"command": "confirmAlarm", "alarms": 9223372036854775807}"#, "alarms"),
                // Over-speed (bit 1) clears itself: nothing for the platform to confirm.
                (#"{"command": "confirmAlarm", "alarms": 2}"#, "alarms"),
                (#"{"command": "confirmAlarm", "alarms": 1, "alarmSerial": -9223372036854775808}"#, "alarmSerial"),
                ("{\"command\": \"text\", \"text\": \"\(String(repeating: "x", count: 100_000))\"}", "text"),
                // 600 characters, within the schema's 1000, but 1200 bytes in GBK.
                ("{\"command\": \"text\", \"text\": \"\(String(repeating: "车", count: 600))\"}", "text"),
            ]
            for (json, field) in cases {
                let reply = try await API.call(base, "POST", Self.commands, token: dispatcher, body: json)
                #expect(reply.status == 400 && reply.json["field"] as? String == field, "\(json.prefix(120)): \(reply.status) \(reply.json)")
            }
            let unknown = try await API.call(base, "POST", "/api/v1/vehicles/%E6%B5%99X/commands", token: dispatcher, body: #"{"command": "locate"}"#)
            #expect(unknown.status == 404)
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
