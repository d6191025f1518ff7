import JT808
import MallocInterposerSwift

#if canImport(Glibc)
import Glibc
#endif

// Decode throughput of the JT/T 808 codec on one core, against the floor of copying the same
// bytes, and heap allocations per decoded frame. Frames go through the streaming splitter
// (unescaping, check code) and the decoder, as the gateway will run them.

/// A realistic position: the extras a typical terminal sends (mileage, fuel, signal,
/// satellites, IO) and coordinates around Shenzhen that often contain 0x7e/0x7d bytes.
func location(_ i: Int) -> LocationReport {
    var extras = LocationExtras()
    extras.mileage = UInt32(120_000 + i)
    extras.fuel = UInt16(400 + i % 50)
    extras.signalStrength = UInt8(20 + i % 10)
    extras.satellites = UInt8(8 + i % 12)
    extras.ioStatus = 0
    return LocationReport(
        alarm: [], status: [.accOn, .positioned],
        latitudeMicrodegrees: UInt32(22_540_000 + (i * 7_919) % 100_000),
        longitudeMicrodegrees: UInt32(114_050_000 + (i * 104_729) % 100_000),
        altitude: 30, speed: UInt16(i % 1200), course: UInt16(i % 360),
        time: DeviceTime(epochSeconds: 1_790_000_000 + Int64(i)), extras: extras
    )
}

func header(_ id: UInt16, _ serial: Int) -> MessageHeader {
    MessageHeader(messageID: id, version: .v2013, phone: TerminalPhone(digits: "13912345678", version: .v2013)!, serial: UInt16(truncatingIfNeeded: serial))
}

/// The wire bytes of `count` frames; `mix` interleaves 0x0704 batches of 10 and heartbeats.
func stream(count: Int, mix: Bool) -> (bytes: [UInt8], frames: Int, escapes: Int) {
    var bytes: [UInt8] = []
    for i in 0..<count {
        let message: Message
        if mix && i % 10 == 8 {
            message = .locationBatch(LocationBatch(kind: .blindZone, locations: (0..<10).map { location(i * 10 + $0) }))
        } else if mix && i % 10 == 9 {
            message = .heartbeat
        } else {
            message = .location(location(i))
        }
        bytes += FrameEncoder.encode(message, header: header(message.messageID, i))[0]
    }
    let escapes = bytes.filter { $0 == 0x7d }.count
    return (bytes, count, escapes)
}

@inline(never)
func decodeAll(_ bytes: [UInt8]) -> Int {
    var splitter = FrameSplitter()
    let decoder = FrameDecoder()
    var checksum = 0
    bytes.withUnsafeBytes { raw in
        splitter.feed(raw) { event in
            guard case .frame(let frame) = event, let decoded = try? decoder.decode(frame) else { checksum &+= 1_000_000; return }
            switch decoded.content {
            case .message(.location(let l)): checksum &+= Int(l.latitudeMicrodegrees)
            case .message(.locationBatch(let b)): checksum &+= b.locations.count
            default: checksum &+= 1
            }
        }
    }
    return checksum
}

@inline(never)
func copyAll(_ bytes: [UInt8], into buffer: inout [UInt8]) -> Int {
    buffer.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { src in dst.copyMemory(from: src) } }
    return Int(buffer[buffer.count / 2])
}

func nanoseconds(_ body: () -> Int) -> (Double, Int) {
    let clock = ContinuousClock()
    var result = 0
    let elapsed = clock.measure { result = body() }
    let (s, atto) = elapsed.components
    return (Double(s) * 1e9 + Double(atto) / 1e9, result)
}

/// Best of `runs` timings (least disturbed by the rest of the machine), and the median.
func measure(runs: Int, _ body: () -> Int) -> (best: Double, median: Double, sink: Int) {
    var times: [Double] = []
    var sink = 0
    for _ in 0..<runs {
        let (t, r) = nanoseconds(body)
        times.append(t)
        sink &+= r
    }
    times.sort()
    return (times[0], times[times.count / 2], sink)
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
func fixed(_ v: Double, _ d: Int) -> String {
    var scale = 1.0
    for _ in 0..<d { scale *= 10 }
    let r = (v * scale).rounded() / scale
    let parts = String(r).split(separator: ".")
    let frac = parts.count > 1 ? String(parts[1].prefix(d)) : ""
    return d == 0 ? String(parts[0]) : String(parts[0]) + "." + frac + String(repeating: "0", count: d - frac.count)
}

let frames = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 1_000_000
if CommandLine.arguments.contains("--decode-only") {
    // For profilers: nothing but the decode loop, many times.
    let s = stream(count: frames, mix: false)
    var sink = 0
    for _ in 0..<20 { sink &+= decodeAll(s.bytes) }
    print(sink)
    exit(0)
}
let runs = 7
print("JT/T 808 codec benchmark: \(frames) frames per run, best of \(runs) runs, one core")

var sinks = 0
var table: [[String]] = [["case", "bytes/frame", "ns/frame (best)", "ns/frame (median)", "frames/s/core", "x copy floor", "mallocs/frame"]]

@MainActor func allocations(_ bytes: [UInt8], frames: Int) -> String {
    MallocInterposerSwift.initialize()
    // Check that counting works here (it needs the interposer preloaded): one known allocation.
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    let probe = [UInt8](repeating: 1, count: 4096 + Int(bytes.count % 7))
    MallocInterposerSwift.unhook()
    sinks &+= Int(probe[100])
    guard MallocInterposerSwift.getStatistics().mallocCount > 0 else { return "n/a (run Benchmarks/run.sh)" }
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    sinks &+= decodeAll(bytes)
    MallocInterposerSwift.unhook()
    let stats = MallocInterposerSwift.getStatistics()
    return fixed(Double(stats.mallocCount) / Double(frames), 4)
}

for (name, mix) in [("0x0200 with extras", false), ("mix: 80% 0x0200, 10% 0x0704 x10, 10% 0x0002", true)] {
    let s = stream(count: frames, mix: mix)
    var buffer = [UInt8](repeating: 0, count: s.bytes.count)
    let floor = measure(runs: runs) { copyAll(s.bytes, into: &buffer) }
    let decode = measure(runs: runs) { decodeAll(s.bytes) }
    sinks &+= floor.sink &+ decode.sink
    let perFrame = decode.best / Double(s.frames)
    table.append(["copy floor (\(mix ? "mix" : "0x0200"))", fixed(Double(s.bytes.count) / Double(s.frames), 1), fixed(floor.best / Double(s.frames), 1), fixed(floor.median / Double(s.frames), 1), fixed(1e9 * Double(s.frames) / floor.best, 0), "1.0", "0"])
    table.append(["split+decode " + name, fixed(Double(s.bytes.count) / Double(s.frames), 1), fixed(perFrame, 1), fixed(decode.median / Double(s.frames), 1), fixed(1e9 / perFrame, 0), fixed(decode.best / floor.best, 1), allocations(s.bytes, frames: s.frames)])
    print("  \(name): \(s.escapes) escaped bytes in \(s.bytes.count)")
}

let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max()! }
for (i, row) in table.enumerated() {
    print(row.enumerated().map { c, cell in c == 0 ? pad(cell, widths[c]) : lpad(cell, widths[c]) }.joined(separator: "  "))
    if i == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
}
if sinks == 42 { print("") }  // keeps the results alive
