import BenchmarkSupport
import EmbeddedPostgres
import Foundation
import JT808
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Store
import TerminalSimulator

// The whole ingest path under load: `fleetd serve` (release build, its own process) with a
// PostgreSQL cluster (fsync on), and N JT/T 808 terminals that register, authenticate and report
// at a fixed total rate (an open loop: the rate does not drop when the server is slow; a terminal
// with 20 reports outstanding skips its turn, as a terminal would keep them in its blind-zone
// store, and that is counted), or as fast as fleetd answers (`max:SECONDS`, one report in flight
// on every connection).
//
// The terminals are Benchmarks/loopback/echo-load in its JT/T 808 mode (`-j`): the same C epoll
// generator, pacing and latency histogram that measure the bare loopback pair, so fleetd and the
// floor are measured alike, and the generator takes as little of the shared two cores as it can.
//
//   1. RSS of fleetd at 0 connections and with N idle authenticated connections;
//   2. each phase: reports acknowledged per second, ack latency percentiles (write of the report
//      -> read of its 0x8001), and the CPU of fleetd, of PostgreSQL and of the generator;
//   3. every acknowledged report stored; the ceiling: the rows stored by the run, COPYed back
//      from a file by the server itself.
//
// Usage: Benchmarks/run.sh load [TERMINALS] [RATE:SECONDS|max:SECONDS ...]
//        (default 10000 20000:30 50000:30 max:30)

let arguments = Array(CommandLine.arguments.dropFirst())
let terminalCount = arguments.first.flatMap(Int.init) ?? 10_000
let phases = arguments.count > 1 ? Array(arguments.dropFirst()) : ["20000:30", "50000:30", "max:30"]
var logger = Logger(label: "load-benchmark")
logger.logLevel = .warning

/// Prints a line at once: this process's lines and the generator's, passed through, keep their
/// order, and progress shows through `tee`.
func say(_ line: String) {
    print(line)
    fflush(nil)
}

func residentKiB(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

/// The `key=value` tokens of one of the generator's lines.
func tokens(_ line: Substring) -> [Substring: Substring] {
    var values: [Substring: Substring] = [:]
    for token in line.split(separator: " ") {
        guard let equals = token.firstIndex(of: "=") else { continue }
        values[token[..<equals]] = token[token.index(after: equals)...]
    }
    return values
}

/// Runs the load generator with its output passed through as it comes, and returns that output.
func runGenerator(_ executable: URL, _ arguments: [String]) async throws -> String {
    let generator = Process()
    generator.executableURL = executable
    generator.arguments = arguments
    let pipe = Pipe()
    generator.standardOutput = pipe
    try generator.run()
    // Blocking reads on a thread of their own, not on the cooperative pool.
    let output = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
        DispatchQueue.global().async {
            var collected = Data()
            while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                print(String(decoding: chunk, as: UTF8.self), terminator: "")
                fflush(nil)
                collected.append(chunk)
            }
            continuation.resume(returning: String(decoding: collected, as: UTF8.self))
        }
    }
    generator.waitUntilExit()
    guard generator.terminationStatus == 0 else {
        throw EmbeddedPostgres.Failure(description: "the load generator failed (status \(generator.terminationStatus))")
    }
    return output
}

// MARK: - The run

// fleetd built by this package (run.sh builds it beside this benchmark), the generator by gcc.
let fleetd = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fleetd")
let generator = URL(
    fileURLWithPath: ProcessInfo.processInfo.environment["LOAD_GENERATOR"] ?? checkout.appendingPathComponent("Benchmarks/.build-loopback/echo-load").path)
for (executable, how) in [(fleetd, "run Benchmarks/run.sh load, which builds it"), (generator, "run.sh load compiles it (or set LOAD_GENERATOR)")]
where !FileManager.default.isExecutableFile(atPath: executable.path) {
    say("no \(executable.lastPathComponent) at \(executable.path): \(how)")
    exit(1)
}
let server = Process()
defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
try await withBenchmarkDatabase("load", logger: logger) { client, running in
    say("provisioning \(terminalCount) vehicles and terminals...")
    let registry = PostgresTerminalRegistry(client: client, logger: logger)
    for i in 1...terminalCount {
        try await registry.bind(phone: FleetSimulator.phone(i).description, plate: FleetSimulator.plate(i), terminalID: FleetSimulator.terminalID(i))
        if i % 2_000 == 0 { say("  \(i)/\(terminalCount)") }
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
    say("fleetd serve started (pid \(server.processIdentifier)), gateway on 127.0.0.1:\(gatewayPort)")

    // The server is up when its gateway accepts a connection.
    var waited = 0
    while true {
        do {
            try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: gatewayPort).get().close()
            break
        } catch {
            waited += 1
            if waited > 600 || !server.isRunning { throw EmbeddedPostgres.Failure(description: "fleetd did not come up: \(error)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
    try await Task.sleep(for: .seconds(2))
    let rssIdle = residentKiB(server.processIdentifier)
    say("fleetd RSS with 0 terminal connections: \(rssIdle) KiB")

    // Reports start at 00:10 today, China time, one simulated second apart per terminal.
    let now = Int64(Date().timeIntervalSince1970)
    let startTime = (now + 28_800) / 86_400 * 86_400 - 28_800 + 600
    let postmaster = try String(contentsOf: running.dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8).split(separator: "\n")[0]
    let output = try await runGenerator(
        generator,
        ["-j", "-n", "fleetd", "-p", "\(gatewayPort)", "-P", "\(server.processIdentifier)", "-G", String(postmaster), "-T", "\(startTime)", "\(terminalCount)"]
            + phases
    )
    let lines = output.split(separator: "\n")
    let results = lines.filter { $0.hasPrefix("fleetd: ") }.map(tokens)
    let rssConnected = lines.first { $0.hasPrefix("idle: ") }.flatMap { tokens($0)["server_rss"]?.dropLast(3) }.flatMap { Int($0) } ?? -1
    server.terminate()
    server.waitUntilExit()

    // Every acknowledged report must be stored (once each: the unique index sees to that).
    let stored = try await count(client, "SELECT count(*)::int8 FROM positions", logger: logger)
    let acknowledged = results.compactMap { $0["acked"].flatMap { Int($0) } }.reduce(0, +)
    say(
        "positions stored: \(stored), reports acknowledged: \(acknowledged); quarantined: \(try await count(client, "SELECT count(*)::int8 FROM positions_quarantine", logger: logger))"
    )
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
    let ceiling = Double(stored) / seconds(clock.now - started)
    let best = results.compactMap { $0["acknowledged"].flatMap { Double($0.dropLast(2)) } }.max() ?? 0

    let perConnection = Double(rssConnected - rssIdle) / Double(terminalCount)
    say(
        "\n\(terminalCount) terminals; fleetd RSS \(rssIdle) KiB idle, \(rssConnected) KiB connected: " + String(format: "%.1f KiB a connection", perConnection)
    )
    say(
        "\n| offered reports/s | s | acknowledged/s | skipped | p50 ms | p99 ms | p99.9 ms | max ms | fleetd RSS | fleetd µs CPU a report | PostgreSQL µs | generator µs |"
    )
    say("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results {
        let columns = [
            "offered", "seconds", "acknowledged", "skipped", "p50", "p99", "p999", "max", "server_rss", "server_us_per_msg", "db_us_per_msg",
            "client_us_per_msg",
        ]
        say("| " + columns.map { String(r[Substring($0)] ?? "?") }.joined(separator: " | ") + " |")
    }
    say(
        String(
            format: "\nceiling: server-side COPY of the %d stored rows from a file: %.0f rows/s; best acknowledged rate / ceiling = %.2f", stored, ceiling,
            best / ceiling))
}
