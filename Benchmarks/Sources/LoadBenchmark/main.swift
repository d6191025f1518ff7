import BenchmarkSupport
import EmbeddedPostgres
import Foundation
import JT808
import JT808NIO
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Store
import Synchronization
import TerminalSimulator

// The whole ingest path under load: `fleetd serve` (release build, its own process) with a
// PostgreSQL cluster (fsync on), and N terminal connections from this process that register,
// authenticate and report at a fixed total rate (an open loop: the rate does not drop when the
// server is slow; a terminal with more than `maximumUnacknowledged` reports outstanding skips
// its turn, as a terminal would keep them in its blind-zone store, and that is counted).
//
//   1. RSS of fleetd at 0 connections and with N idle authenticated connections;
//   2. each rate of RATES for its duration: reports acknowledged per second, ack latency
//      percentiles (write of the report -> read of its 0x8001);
//   3. the ceiling: the rows stored by the run, COPYed back from a file by the server itself;
//      the highest acknowledged rate as a ratio of it.
//
// Usage: Benchmarks/run.sh load [TERMINALS] [RATE:SECONDS ...]   (default 10000 20000:20 50000:60)

let arguments = Array(CommandLine.arguments.dropFirst())
let terminalCount = arguments.first.flatMap(Int.init) ?? 10_000
let phases: [(rate: Int, seconds: Int)] = {
    let given = arguments.dropFirst().compactMap { text -> (Int, Int)? in
        let parts = text.split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
    return given.isEmpty ? [(20_000, 20), (50_000, 60)] : given
}()
let maximumUnacknowledged = 20
var logger = Logger(label: "load-benchmark")
logger.logLevel = .warning

/// Acknowledgement latencies (microseconds) and counters, shared by every connection.
final class Recorder: Sendable {
    struct Counts {
        var sent = 0
        var acknowledged = 0
        var skipped = 0
        var latencies: [UInt32] = []
    }
    let counts = Mutex(Counts())

    func reset() { counts.withLock { $0 = Counts() } }
}

/// One terminal's connection: registers, authenticates, then sends a report whenever the
/// driver says so. Event-loop bound, as NIO handlers are.
final class LoadTerminal: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    let phone: TerminalPhone
    let plate: String
    let recorder: Recorder
    let ready: EventLoopPromise<Void>
    var context: ChannelHandlerContext?
    var serial: UInt16 = 0
    var gnssTime: Int64
    var route: Route
    var sentAt: [UInt16: NIODeadline] = [:]
    var handshakeDone = false

    init(index: Int, startTime: Int64, recorder: Recorder, ready: EventLoopPromise<Void>) {
        phone = FleetSimulator.phone(index)
        plate = FleetSimulator.plate(index)
        route = Route(homeLatitude: FleetSimulator.ningbo.latitude, homeLongitude: FleetSimulator.ningbo.longitude, seed: UInt64(index))
        gnssTime = startTime
        self.recorder = recorder
        self.ready = ready
    }

    func send(_ message: Message) {
        guard let context else { return }
        let header = MessageHeader(messageID: message.messageID, version: .v2013, phone: phone, serial: serial)
        serial &+= 1
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: FrameEncoder.encode(message, header: header)[0])), promise: nil)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        send(.registration(Registration(province: 33, city: 200, manufacturer: "FLEET", model: "LOAD", terminalID: String(phone.number.suffix(7)), plateColor: 5, plate: plate)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        handshake(succeeded: false)
    }

    func handshake(succeeded: Bool) {
        guard !handshakeDone else { return }
        handshakeDone = true
        if succeeded { ready.succeed() } else { ready.fail(ChannelError.ioOnClosedChannel) }
    }

    /// Sends the next report, unless too many are outstanding.
    func report() {
        guard context != nil else { return }
        guard sentAt.count < maximumUnacknowledged else {
            recorder.counts.withLock { $0.skipped += 1 }
            return
        }
        route.advance(seconds: 1)
        gnssTime += 1
        sentAt[serial] = .now()
        send(.location(route.report(at: gnssTime)))
        recorder.counts.withLock { $0.sent += 1 }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(let frame) = unwrapInboundIn(data), let message = frame.message else { return }
        switch message {
        case .registrationResponse(let response):
            guard let code = response.authCode else { return handshake(succeeded: false) }
            send(.authentication(Authentication(authCode: code)))
        case .platformResponse(let ack) where ack.replyID == Message.ID.authentication:
            handshake(succeeded: ack.result == 0)
        case .platformResponse(let ack) where ack.replyID == Message.ID.location:
            guard let sent = sentAt.removeValue(forKey: ack.replySerial) else { return }
            let micros = UInt32(clamping: (NIODeadline.now() - sent).nanoseconds / 1_000)
            recorder.counts.withLock {
                $0.acknowledged += 1
                $0.latencies.append(micros)
            }
        default:
            break
        }
    }
}

/// Spreads `rate` reports a second over the terminals of one event loop, round robin, every
/// 5 ms (or as soon after as the loop gets to it).
final class Driver: Sendable {
    struct State {
        var terminals: [LoadTerminal] = []
        var next = 0
        var credit = 0.0
        var lastTick = NIODeadline.now()
        var task: RepeatedTask?
    }
    let loop: any EventLoop
    let state: NIOLoopBoundBox<State>

    init(loop: any EventLoop) {
        self.loop = loop
        state = .makeBoxSendingValue(State(), eventLoop: loop)
    }

    func add(_ terminal: LoadTerminal) {
        loop.preconditionInEventLoop()
        state.value.terminals.append(terminal)
    }

    func start(rate: Double) -> EventLoopFuture<Void> {
        loop.submit {
            self.state.value.task?.cancel()
            self.state.value.credit = 0
            self.state.value.lastTick = .now()
            guard rate > 0 else { return }
            let tick = TimeAmount.milliseconds(5)
            self.state.value.task = self.loop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
                var s = self.state.value
                guard !s.terminals.isEmpty else { return }
                // By the time that passed, not the ticks that ran: a busy loop ticks late.
                let now = NIODeadline.now()
                s.credit += rate * Double((now - s.lastTick).nanoseconds) / 1e9
                s.lastTick = now
                while s.credit >= 1 {
                    s.terminals[s.next].report()
                    s.next = (s.next + 1) % s.terminals.count
                    s.credit -= 1
                }
                self.state.value = s
            }
        }
    }
}

func residentKiB(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

/// User + system CPU seconds a process has used (`/proc/PID/stat`, fields 14 and 15 in clock ticks).
func cpuSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return 0 }
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The CPU seconds of PostgreSQL's processes by pid: its postmaster and every process it
/// started (backends, WAL writer, checkpointer).
func postgresCPUSeconds(_ dataDirectory: URL) -> [Int32: Double] {
    guard let pidFile = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
        let postmaster = pidFile.split(separator: "\n").first.flatMap({ Int32($0) })
    else { return [:] }
    var seconds = [postmaster: cpuSeconds(postmaster)]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { continue }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        if fields.count > 1, Int32(fields[1]) == postmaster { seconds[pid] = cpuSeconds(pid) }
    }
    return seconds
}

/// What PostgreSQL's processes used between two readings: a process there at both counts its
/// difference, one started meanwhile all of its time; one that ended meanwhile is not counted
/// (fleetd's pool keeps its connections open through a phase).
func postgresCPUSeconds(from before: [Int32: Double], to after: [Int32: Double]) -> Double {
    after.reduce(0) { total, process in total + process.value - (before[process.key] ?? 0) }
}

func percentile(_ sorted: [UInt32], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1_000
}


// MARK: - The run

// fleetd built by this package (run.sh builds it beside this benchmark).
let fleetd = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fleetd")
guard FileManager.default.isExecutableFile(atPath: fleetd.path) else {
    print("no release build of fleetd at \(fleetd.path): run Benchmarks/run.sh load, which builds it")
    exit(1)
}
let server = Process()
defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
try await withBenchmarkDatabase("load", logger: logger) { client, running in
    print("provisioning \(terminalCount) vehicles and terminals...")
    let registry = PostgresTerminalRegistry(client: client, logger: logger)
    for i in 1...terminalCount {
        try await registry.bind(phone: FleetSimulator.phone(i).description, plate: FleetSimulator.plate(i), terminalID: FleetSimulator.terminalID(i))
        if i % 2_000 == 0 { print("  \(i)/\(terminalCount)") }
    }

    let gatewayPort = try EmbeddedPostgres.freePort()
    server.executableURL = fleetd
    server.arguments = ["serve"]
    server.currentDirectoryURL = checkout
    server.environment = ProcessInfo.processInfo.environment.merging([
        "DATABASE_URL": running.url, "FLEET_GATEWAY_HOST": "127.0.0.1", "FLEET_GATEWAY_PORT": "\(gatewayPort)",
        "FLEET_METRICS_PORT": "\(try EmbeddedPostgres.freePort())", "FLEET_GATEWAY_MAX_PER_ADDRESS": "\(terminalCount + 100)", "LOG_LEVEL": "warning",
    ]) { $1 }
    server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    try server.run()
    print("fleetd serve started (pid \(server.processIdentifier)), gateway on 127.0.0.1:\(gatewayPort)")

    // Every connection's handler lives on one of two client event loops; each loop has a driver.
    // Not shut down: the process ends with the run.
    let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let drivers = loops.makeIterator().map { Driver(loop: $0) }
    let recorder = Recorder()
    // Reports start at 00:10 today, China time, one simulated second apart per terminal.
    let now = Int64(Date().timeIntervalSince1970)
    let chinaDayStart: Int64 = (now + 28_800) / 86_400 * 86_400 - 28_800
    let startTime = chinaDayStart + 600
    func connect(_ index: Int) async throws -> any Channel {
        let driver = drivers[index % drivers.count]
        let ready = driver.loop.makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: driver.loop).connect(host: "127.0.0.1", port: gatewayPort) { channel in
            channel.eventLoop.makeCompletedFuture {
                let terminal = LoadTerminal(index: index, startTime: startTime, recorder: recorder, ready: ready)
                try channel.pipeline.syncOperations.addTerminalFrameHandlers()
                try channel.pipeline.syncOperations.addHandler(terminal)
                driver.add(terminal)
                return channel
            }
        }
        try await ready.futureResult.get()
        return channel
    }

    // The server is up when it accepts a terminal.
    var waited = 0
    while true {
        do {
            try await connect(1).close()
            break
        } catch {
            waited += 1
            if waited > 600 || !server.isRunning { throw EmbeddedPostgres.Failure(description: "fleetd did not come up: \(error)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
    try await Task.sleep(for: .seconds(2))
    let rssIdle = residentKiB(server.processIdentifier)
    print("fleetd RSS with 0 terminal connections: \(rssIdle) KiB")

    print("connecting \(terminalCount) terminals (register + authenticate)...")
    var channels: [any Channel] = []
    try await withThrowingTaskGroup(of: (any Channel).self) { connecting in
        var started = 0
        // A few hundred handshakes in flight at once, as terminals come online after a restart.
        for i in 1...terminalCount {
            if started >= 500, let channel = try await connecting.next() { channels.append(channel) }
            connecting.addTask { try await connect(i) }
            started += 1
            if i % 2_000 == 0 { print("  \(i)/\(terminalCount)") }
        }
        for try await channel in connecting { channels.append(channel) }
    }
    try await Task.sleep(for: .seconds(5))
    let rssConnected = residentKiB(server.processIdentifier)
    let perConnection = Double(rssConnected - rssIdle) / Double(channels.count)
    print(String(format: "fleetd RSS with %d idle authenticated connections: %d KiB (%.1f KiB a connection)", channels.count, rssConnected, perConnection))

    struct PhaseResult {
        var rate: Int, seconds: Int, sent: Int, acknowledged: Int, skipped: Int
        var p50: Double, p99: Double, p999: Double, maximum: Double, rss: Int
        /// CPU seconds (user + system) during the phase, of fleetd and of PostgreSQL.
        var fleetdCPU: Double, postgresCPU: Double
        var acknowledgedPerSecond: Double { Double(acknowledged) / Double(seconds) }
        /// Microseconds of CPU per acknowledged report.
        var fleetdMicroseconds: Double { fleetdCPU * 1e6 / Double(max(1, acknowledged)) }
        var postgresMicroseconds: Double { postgresCPU * 1e6 / Double(max(1, acknowledged)) }
    }
    var results: [PhaseResult] = []
    for (rate, seconds) in phases {
        print("\(rate) reports/s for \(seconds) s...")
        recorder.reset()
        let cpuBefore = (fleetd: cpuSeconds(server.processIdentifier), postgres: postgresCPUSeconds(running.dataDirectory))
        for driver in drivers { try await driver.start(rate: Double(rate) / Double(drivers.count)).get() }
        for second in 1...seconds {
            try await Task.sleep(for: .seconds(1))
            if second % 10 == 0 {
                let c = recorder.counts.withLock { $0 }
                print("  \(second) s: sent \(c.sent), acknowledged \(c.acknowledged), skipped \(c.skipped)")
            }
        }
        let rss = residentKiB(server.processIdentifier)
        let counts = recorder.counts.withLock { $0 }
        let cpuAfter = (fleetd: cpuSeconds(server.processIdentifier), postgres: postgresCPUSeconds(running.dataDirectory))
        for driver in drivers { try await driver.start(rate: 0).get() }
        let sorted = counts.latencies.sorted()
        let result = PhaseResult(
            rate: rate, seconds: seconds, sent: counts.sent, acknowledged: counts.acknowledged, skipped: counts.skipped,
            p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), maximum: percentile(sorted, 1), rss: rss,
            fleetdCPU: cpuAfter.fleetd - cpuBefore.fleetd, postgresCPU: postgresCPUSeconds(from: cpuBefore.postgres, to: cpuAfter.postgres)
        )
        results.append(result)
        print(String(format: "  acknowledged %.0f/s; ack latency p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms; RSS %d KiB",
                     result.acknowledgedPerSecond, result.p50, result.p99, result.p999, result.maximum, rss))
        print(String(format: "  CPU (user+system): fleetd %.1f s = %.1f µs a report, PostgreSQL %.1f s = %.1f µs a report",
                     result.fleetdCPU, result.fleetdMicroseconds, result.postgresCPU, result.postgresMicroseconds))
        // Let the outstanding acknowledgements drain before the next phase.
        try await Task.sleep(for: .seconds(5))
    }
    for channel in channels { channel.close(promise: nil) }
    server.terminate()
    server.waitUntilExit()

    // Every acknowledged report must be stored (once each: the unique index sees to that).
    let stored = try await count(client, "SELECT count(*)::int8 FROM positions", logger: logger)
    let acknowledged = results.map(\.acknowledged).reduce(0, +)
    print("positions stored: \(stored), reports acknowledged: \(acknowledged); quarantined: \(try await count(client, "SELECT count(*)::int8 FROM positions_quarantine", logger: logger))")
    guard stored >= acknowledged else { throw EmbeddedPostgres.Failure(description: "acknowledged reports are missing") }

    // The ceiling: the same rows, COPYed by the server from a file.
    // In the cluster's own folder: the server writes it (as the postgres user).
    let file = running.dataDirectory.appendingPathComponent("positions.copy")
    try await client.query(PostgresQuery(unsafeSQL: "COPY (SELECT * FROM positions) TO '\(file.path)'"), logger: logger)
    try await client.query("TRUNCATE positions", logger: logger)
    try await client.query("CHECKPOINT", logger: logger)
    let clock = ContinuousClock()
    let started = clock.now
    try await client.query(PostgresQuery(unsafeSQL: "COPY positions FROM '\(file.path)'"), logger: logger)
    let elapsed = clock.now - started
    let ceiling = Double(stored) / seconds(elapsed)
    let best = results.map(\.acknowledgedPerSecond).max() ?? 0

    print("\n\(terminalCount) terminals; fleetd RSS \(rssIdle) KiB idle, \(rssConnected) KiB connected: " + String(format: "%.1f KiB a connection", perConnection))
    print("\n| offered reports/s | s | acknowledged/s | skipped | p50 ms | p99 ms | p99.9 ms | max ms | fleetd RSS KiB | fleetd µs CPU a report | PostgreSQL µs CPU a report |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results {
        print(String(format: "| %d | %d | %.0f | %d | %.1f | %.1f | %.1f | %.1f | %d | %.1f | %.1f |", r.rate, r.seconds, r.acknowledgedPerSecond, r.skipped, r.p50, r.p99, r.p999, r.maximum, r.rss, r.fleetdMicroseconds, r.postgresMicroseconds))
    }
    print(String(format: "\nceiling: server-side COPY of the %d stored rows from a file: %.0f rows/s; best acknowledged rate / ceiling = %.2f", stored, ceiling, best / ceiling))
}
