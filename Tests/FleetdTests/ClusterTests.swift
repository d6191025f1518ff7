import Domain
import EmbeddedPostgres
import Foundation
import JT808
import Logging
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import Store
import TerminalSimulator
import Testing

/// Issue 19's proof on loopback: HAProxy (Debian's, with `Deploy/haproxy.cfg`) in front of two
/// gateway processes and one API process, two processes standing for dispatch and maintenance,
/// all on one PostgreSQL, and 2,000 simulated terminals. A command goes through the API to a
/// terminal on either gateway; the dispatch leader is killed and another takes over without
/// matching a booking twice; a gateway is killed under load and its terminals come back through
/// HAProxy to the other; the API process is killed and ingest goes on without a gap. Every
/// acknowledged report is stored, once.
@Suite(.serialized) struct ClusterTests {
    static let haproxy = "/usr/sbin/haproxy"
    let logger = TestPostgres.logger

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: Self.haproxy), "Deploy/setup.sh installs Debian's haproxy"))
    func aClusterBehindHAProxyLosesNothingWhenItsProcessesDie() async throws {
        try await TestPostgres.withDatabase { client, url in
            let statistics = SimulationStatistics()
            try await Cluster.with(url, client: client, terminals: 2_000) { cluster in
                let fleet = cluster.fleet
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await fleet.run(
                            host: "127.0.0.1", port: cluster.terminalPort, clock: SystemClock(), statistics: statistics, logger: Logger(label: "cluster"))
                    }
                    try await everyTerminalConnected(cluster, client: client)
                    try await aCommandReachesATerminalOnEitherGateway(cluster, client: client)
                    try await theDispatchLeaderIsTakenOver(cluster, client: client)
                    try await aKilledGatewaysTerminalsComeBackThroughHAProxy(cluster, client: client, statistics: statistics)
                    try await aKilledAPILeavesIngestWithoutAGap(cluster, client: client, statistics: statistics)
                    group.cancelAll()
                }
            }
            // The terminals are stopped: what they were told was stored is, once.
            let acknowledged = Set(statistics.acknowledgedReports)
            var stored: [SimulationStatistics.AcknowledgedReport] = []
            let rows = try await client.query(
                "SELECT t.phone, extract(epoch FROM p.gnss_time)::int8 FROM positions p JOIN terminals t ON t.id = p.terminal_id", logger: logger)
            for try await (phone, time) in rows.decode((String, Int64).self) { stored.append(.init(phone: phone, gnssTime: time)) }
            #expect(acknowledged.count >= 6_000, "too little load to prove anything: \(acknowledged.count)")
            #expect(acknowledged.isSubset(of: Set(stored)), "acknowledged but not stored: \(acknowledged.subtracting(stored).count)")
            #expect(stored.count == Set(stored).count, "stored twice: \(stored.count - Set(stored).count)")
        }
    }

    /// Every terminal in, spread over both gateways by HAProxy.
    func everyTerminalConnected(_ cluster: Cluster, client: PostgresClient) async throws {
        var spread: [String: Int] = [:]
        for _ in 0..<600 {
            spread = [:]
            let rows = try await client.query("SELECT gateway, count(*)::int8 FROM terminal_presence GROUP BY gateway", logger: logger)
            for try await (gateway, count) in rows.decode((String, Int).self) { spread[gateway] = count }
            if spread.values.reduce(0, +) == cluster.fleet.terminals.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(spread.values.reduce(0, +) == cluster.fleet.terminals.count, "\(spread)")
        #expect(Set(spread.keys) == Set(cluster.gateways.map(\.name)) && spread.values.allSatisfy { $0 >= 400 }, "leastconn spreads them: \(spread)")
    }

    /// `locate` through HAProxy's TLS to the API process, through the database to whichever
    /// gateway holds the terminal, and its answer back.
    func aCommandReachesATerminalOnEitherGateway(_ cluster: Cluster, client: PostgresClient) async throws {
        let token = try await cluster.signIn()
        for gateway in cluster.gateways {
            let rows = try await client.query(
                """
                SELECT v.plate FROM terminal_presence p JOIN terminals t ON t.phone = p.terminal_phone JOIN vehicles v ON v.id = t.vehicle_id
                WHERE p.gateway = \(gateway.name) ORDER BY v.plate LIMIT 1
                """, logger: logger)
            var plate = ""
            for try await found in rows.decode(String.self) { plate = found }
            let path = "/api/v1/vehicles/\(plate.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? plate)/commands"
            let answer = try await cluster.https("POST", path, token: token, body: #"{"command": "locate", "timeoutSeconds": 20}"#)
            #expect(answer.status == 200, "\(gateway.name): \(answer.body)")
            #expect(answer.body.contains(#""state":"answered""#) && answer.body.contains(#""lat""#), "\(answer.body)")
        }
    }

    /// Two bookings, one matched under each leader: the killed one's lock goes with its
    /// connection, the other process takes the duty within 10 s, and neither booking is matched
    /// twice nor to one crew together.
    func theDispatchLeaderIsTakenOver(_ cluster: Cluster, client: PostgresClient) async throws {
        // TestFleet's crews: a saloon for the first, the SUV for the second.
        let bookings = Bookings(client: client, logger: logger)
        let agency = try await Accounts(client: client, logger: logger).createAgency(name: "市机关事务管理局")
        func book(_ minutes: Double, _ vehicleClass: VehicleClass) async throws -> Int64 {
            let now = Date()
            let request = BookingRequest(
                channel: .phone, agencyID: agency, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: vehicleClass,
                pickupTime: now.addingTimeInterval(minutes * 60), pickup: TestFleet.pickup,
                destination: Place(latitude: 29.8260, longitude: 121.4610, address: "栎社机场"), serviceEnd: now.addingTimeInterval(minutes * 60 + 3600))
            let created = try await bookings.create(request, agencyID: agency, receivedAt: now, by: Actor(userID: nil, name: "dispatcher"))
            _ = try await bookings.move(created.id, to: .confirmed, at: Date(), by: Actor(userID: nil, name: "dispatcher"))
            return created.id
        }
        func matched(_ id: Int64) async throws -> BookingRecord {
            for _ in 0..<300 {
                if let record = try await bookings.booking(id: id), record.vehicleID != nil { return record }
                try await Task.sleep(for: .milliseconds(100))
            }
            let why = try await cluster.https("GET", "/api/v1/bookings/\(id)/explanation", token: try await cluster.signIn())
            throw Cluster.Failure("booking \(id) not matched within 30 s: \(why.body)")
        }
        let first = try await matched(try await book(50, .sedan))
        let leaders = try await LeaderLock.leaders(client: client, logger: logger)
        let old = try #require(leaders[.dispatch])
        let leader = try #require(cluster.leaders.first { old.hasSuffix("/\($0.process.processIdentifier)") })
        kill(leader.process.processIdentifier, SIGKILL)
        let killed = ContinuousClock.now
        var taken: String?
        while taken == nil, ContinuousClock.now - killed < .seconds(20) {
            taken = try await LeaderLock.leaders(client: client, logger: logger)[.dispatch].flatMap { $0 == old ? nil : $0 }
            try await Task.sleep(for: .milliseconds(50))
        }
        let takeover = ContinuousClock.now - killed
        #expect(taken != nil && takeover <= .seconds(10), "dispatch taken over after \(takeover) by \(taken ?? "nobody")")
        let second = try await matched(try await book(55, .suv))
        for record in [first, second] {
            let current = try #require(try await bookings.booking(id: record.id))
            #expect(current.transitions.filter { $0.state == .matched }.count == 1, "\(current.transitions)")
        }
        #expect(first.vehicleID != second.vehicleID && first.driverID != second.driverID)
    }

    /// SIGKILL to the gateway holding about half the terminals: HAProxy closes their side, they
    /// come back (after their back-off) to the other gateway and report again.
    func aKilledGatewaysTerminalsComeBackThroughHAProxy(_ cluster: Cluster, client: PostgresClient, statistics: SimulationStatistics) async throws {
        let victim = cluster.gateways[0]
        let cut = Date()
        kill(victim.process.processIdentifier, SIGKILL)
        // Presence is written after the reports (a row a connection, then renewed every 10 s): both waited for.
        var (reporting, survivor) = (0, 0)
        for _ in 0..<900 {
            let rows = try await client.query(
                """
                SELECT (SELECT count(DISTINCT terminal_id) FROM positions WHERE received_at > \(cut.addingTimeInterval(1)))::int8,
                       (SELECT count(*) FROM terminal_presence WHERE gateway = \(cluster.gateways[1].name))::int8
                """, logger: logger)
            for try await counts in rows.decode((Int, Int).self) { (reporting, survivor) = counts }
            if reporting == cluster.fleet.terminals.count && survivor == reporting { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(reporting == cluster.fleet.terminals.count, "terminals reporting again after the kill: \(reporting)")
        #expect(survivor == cluster.fleet.terminals.count, "on the surviving gateway: \(survivor)")
    }

    /// The API process killed: the gateway goes on storing and acknowledging; every terminal's
    /// reports go on at its interval, none missing across the death.
    func aKilledAPILeavesIngestWithoutAGap(_ cluster: Cluster, client: PostgresClient, statistics: SimulationStatistics) async throws {
        let interval = Double(FleetSimulator.reportInterval.components.seconds)
        let cut = Date()
        kill(cluster.api.process.processIdentifier, SIGKILL)
        let atCut = statistics.snapshot.acknowledged
        try await Task.sleep(for: .seconds(interval + 2))
        let acknowledged = statistics.snapshot.acknowledged - atCut
        #expect(acknowledged >= cluster.fleet.terminals.count, "acknowledged in the \(interval + 2) s after the API's death: \(acknowledged)")
        // Each terminal: a report stored after the death, and no interval skipped around it.
        let rows = try await client.query(
            """
            WITH reports AS (
                SELECT terminal_id, received_at, gnss_time - lag(gnss_time) OVER (PARTITION BY terminal_id ORDER BY gnss_time) AS gap
                FROM positions WHERE gnss_time >= \(cut.addingTimeInterval(-interval - 2)))
            SELECT count(DISTINCT terminal_id) FILTER (WHERE received_at > \(cut))::int8, coalesce(max(extract(epoch FROM gap)), 0)::float8 FROM reports
            """, logger: logger)
        for try await (reporting, widestGap) in rows.decode((Int, Double).self) {
            #expect(reporting == cluster.fleet.terminals.count, "terminals with a report stored after the API's death: \(reporting)")
            #expect(widestGap <= interval + 1, "the widest gap between a terminal's reports around the API's death: \(widestGap) s")
        }
    }
}

/// The processes of a loopback cluster, each `fleetd serve --roles ...` on its own ports.
struct Cluster: Sendable {
    struct Member: Sendable {
        let process: Process
        /// As the database names it (host/pid).
        var name: String { "\(ProcessInfo.processInfo.hostName)/\(process.processIdentifier)" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let fleet: FleetSimulator
    let gateways: [Member]
    let api: Member
    let leaders: [Member]
    let haproxy: Process
    let terminalPort: Int
    let apiPort: Int
    let password = "correct horse battery"
    let folder: URL

    /// A cluster started for `body`, and stopped after it (each process asked, then killed past 30 s)
    /// however `body` ends.
    static func with(_ url: DatabaseURL, client: PostgresClient, terminals: Int, _ body: (Cluster) async throws -> Void) async throws {
        let cluster = try await start(url, client: client, terminals: terminals)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// Files the terminals, an administrator, then starts every process and HAProxy and waits
    /// until HAProxy accepts terminals and the API answers through it.
    static func start(_ url: DatabaseURL, client: PostgresClient, terminals: Int) async throws -> Cluster {
        let logger = TestPostgres.logger
        _ = try await TestFleet.fleet(client)
        // TestFleet's crews hold the phones 0139 0000 0000 to 0002: the simulated ones start after.
        var fleet = FleetSimulator(count: terminals + 2)
        fleet.terminals.removeFirst(2)
        let registry = PostgresTerminalRegistry(client: client, logger: logger)
        for t in fleet.terminals { try await registry.bind(phone: t.phone.description, plate: t.plate, terminalID: t.terminalID) }
        let add = try await Fleetd.run(
            ["user", "add", "--username", "chief", "--role", "administrator", "--database-url", url.urlWithPassword], stdin: "correct horse battery\n")
        guard add.status == 0 else { throw Failure("user add: \(add.err)") }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Behind HAProxy every terminal comes from 127.0.0.1.
        let behindProxy = ["FLEET_GATEWAY_MAX_PER_ADDRESS": "100000", "FLEET_GATEWAY_MAX_FAILURES_PER_ADDRESS": "100000"]
        var gateways: [(Member, port: Int, health: Int)] = []
        for _ in 0..<2 {
            let (port, health) = (try EmbeddedPostgres.freePort(), try EmbeddedPostgres.freePort())
            let process = try Fleetd.serve(url, gatewayPort: port, metricsPort: health, roles: "gateway", environment: behindProxy)
            gateways.append((Member(process: process), port, health))
        }
        let (apiPort, apiHealth) = (try EmbeddedPostgres.freePort(), try EmbeddedPostgres.freePort())
        let api = Member(process: try Fleetd.serve(url, gatewayPort: nil, metricsPort: apiHealth, httpPort: apiPort, roles: "api"))
        let leaders = try (0..<2).map { _ in
            Member(process: try Fleetd.serve(url, gatewayPort: nil, roles: "dispatch,maintenance", environment: ["LOG_LEVEL": "notice"]))
        }
        let (terminalPort, httpsPort, statsPort) = (try EmbeddedPostgres.freePort(), try EmbeddedPostgres.freePort(), try EmbeddedPostgres.freePort())
        let certificate = try await Self.selfSignedCertificate(in: folder)
        let haproxy = Process()
        haproxy.executableURL = URL(fileURLWithPath: ClusterTests.haproxy)
        haproxy.arguments = ["-db", "-f", TestPostgres.repository.appendingPathComponent("Deploy/haproxy.cfg").path]
        haproxy.environment = ProcessInfo.processInfo.environment.merging([
            "FLEET_LB_TEST": "1", "FLEET_LB_TERMINAL_BIND": "127.0.0.1:\(terminalPort)", "FLEET_LB_API_BIND": "127.0.0.1:\(httpsPort)",
            "FLEET_LB_API_CERT": certificate.path, "FLEET_LB_HTTP_BIND": "127.0.0.1:\(try EmbeddedPostgres.freePort())",
            "FLEET_LB_STATS_BIND": "127.0.0.1:\(statsPort)", "FLEET_LB_TERMINAL_MAX_PER_SOURCE": "100000",
            "FLEET_LB_GATEWAY1": "127.0.0.1:\(gateways[0].port)", "FLEET_LB_GATEWAY1_CHECK_PORT": "\(gateways[0].health)",
            "FLEET_LB_GATEWAY2": "127.0.0.1:\(gateways[1].port)", "FLEET_LB_GATEWAY2_CHECK_PORT": "\(gateways[1].health)",
            "FLEET_LB_API1": "127.0.0.1:\(apiPort)",
        ]) { $1 }
        // Its log is a line a connection: thousands here.
        haproxy.standardOutput = FileHandle.nullDevice
        haproxy.standardError = FileHandle.nullDevice
        try haproxy.run()
        let cluster = Cluster(
            fleet: fleet, gateways: gateways.map(\.0), api: api, leaders: leaders, haproxy: haproxy, terminalPort: terminalPort, apiPort: httpsPort,
            folder: folder)
        do {
            for gateway in gateways { try await Fleetd.waitUntilListening(gateway.port) }
            try await Fleetd.waitUntilListening(terminalPort)
            // Every gateway and the API checked ready by HAProxy (its statistics as CSV: proxy,
            // server, ..., the 18th field the status) before the first terminal comes.
            for _ in 0..<600 {
                let csv = try await Self.run("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(statsPort)/stats;csv"])
                var up: Set<String> = []
                for line in csv.split(separator: "\n") {
                    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                    if fields.count > 17, fields[17] == "UP" { up.insert(fields[0] + "/" + fields[1]) }
                }
                if up.isSuperset(of: ["gateways/gateway1", "gateways/gateway2", "apis/api1"]) { return cluster }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw Failure("HAProxy did not see both gateways and the API ready within 2 minutes")
        } catch {
            await cluster.stop()
            throw error
        }
    }

    /// Every process asked to stop, HAProxy last; the ones that do not within 30 s are killed
    /// (and the test fails: a process that will not stop is a bug).
    func stop() async {
        for process in gateways.map(\.process) + [api.process] + leaders.map(\.process) + [haproxy] where process.isRunning {
            let status = await process.stop()
            #expect(status != nil, "\(process.arguments ?? []) still running 30 s after SIGINT: killed")
        }
        try? FileManager.default.removeItem(at: folder)
    }

    func signIn() async throws -> String {
        let reply = try await https("POST", "/api/v1/sessions", body: #"{"username": "chief", "password": "\#(password)"}"#)
        guard let token = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])?["token"] as? String else {
            throw Failure("sign-in: \(reply)")
        }
        return token
    }

    /// A request through HAProxy's TLS front, by curl (the certificate is this test's own).
    func https(_ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> (status: Int, body: String) {
        var arguments = ["-sk", "--max-time", "30", "-X", method, "-w", "\n%{http_code}", "https://127.0.0.1:\(apiPort)\(path)"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let output = try await Self.run("/usr/bin/curl", arguments)
        guard let newline = output.lastIndex(of: "\n"), let status = Int(output[output.index(after: newline)...]) else { throw Failure("curl: \(output)") }
        return (status, String(output[..<newline]))
    }

    static func selfSignedCertificate(in folder: URL) async throws -> URL {
        let key = folder.appendingPathComponent("api.key"), certificate = folder.appendingPathComponent("api.crt")
        try await run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-keyout", key.path, "-out", certificate.path,
            ])
        // HAProxy takes the certificate and its key in one PEM file.
        let pem = folder.appendingPathComponent("api.pem")
        try (try Data(contentsOf: certificate) + Data(contentsOf: key)).write(to: pem)
        return pem
    }

    /// A command's standard output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await ChildOutput.run(URL(fileURLWithPath: executable), arguments, within: .seconds(60)).out
    }
}
