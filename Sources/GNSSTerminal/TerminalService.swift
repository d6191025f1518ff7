import Domain
import Foundation
import JT808
import JT808NIO
import Logging
import NIOCore
import ServiceLifecycle

/// Runs a `TerminalUplink` over TCP: fixes, frames, connection changes and a clock tick go into
/// one event stream, handled in order by one loop that alone owns the uplink and its journal.
public struct TerminalService: Service {
    public struct Configuration: Sendable {
        public var identity: TerminalIdentity
        public var settings: TerminalSettings
        /// Folder for the journal and the state file.
        public var stateDirectory: URL
        /// Pending reports kept at most (a day at one report a second by default).
        public var journalCapacity: Int
        public var clock: FixClock

        public init(identity: TerminalIdentity, settings: TerminalSettings, stateDirectory: URL, journalCapacity: Int = 86_400, clock: FixClock = FixClock()) {
            self.identity = identity
            self.settings = settings
            self.stateDirectory = stateDirectory
            self.journalCapacity = journalCapacity
            self.clock = clock
        }
    }

    enum Event: Sendable {
        case fix(GNSSFix)
        case tick
        case connected(generation: Int, channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>)
        case frame(generation: Int, MessageHeader, Message)
        case closed(generation: Int, (any Error)?)
    }

    let configuration: Configuration
    let fixes: AsyncStream<GNSSFix>
    /// The time of day, which tells a fix's real time from gpsd's week-rollover error.
    let wallClock: any WallClock
    let logger: Logger

    public init(configuration: Configuration, fixes: AsyncStream<GNSSFix>, wallClock: any WallClock, logger: Logger) {
        self.configuration = configuration
        self.fixes = fixes
        self.wallClock = wallClock
        self.logger = logger
    }

    public func run() async throws {
        let directory = configuration.stateDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stateURL = directory.appendingPathComponent("state.json")
        let journal = try ReportJournal(directory: directory, capacity: configuration.journalCapacity)
        let uplink = TerminalUplink(
            identity: configuration.identity, settings: configuration.settings, journal: journal, state: try TerminalState.load(from: stateURL),
            stateURL: stateURL, clock: configuration.clock, logger: logger, now: .now
        )
        logger.info(
            "terminal \(configuration.identity.phone) (\(configuration.identity.plate)) reporting to \(uplink.settings.serverHost):\(uplink.settings.serverPort); \(journal.pendingCount) report(s) pending, odometer \(Int(journal.odometer)) m, \(journal.dropped) dropped so far"
        )
        let (events, input) = AsyncStream.makeStream(of: Event.self)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await fix in fixes { input.yield(.fix(fix)) }
            }
            group.addTask {
                while (try? await Task.sleep(for: .milliseconds(200))) != nil { input.yield(.tick) }
            }
            var connection: (generation: Int, channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>)?
            var generation = 0
            var lastStatus = ContinuousClock.now
            var unreachableSince: ContinuousClock.Instant?
            for await event in events.cancelOnGracefulShutdown() {
                let now = ContinuousClock.now
                let actions: [TerminalUplink.Action]
                switch event {
                case .fix(let fix):
                    actions = uplink.fixed(fix, wallClock: wallClock.now.epochSeconds, now: now)
                case .tick:
                    journal.sync()
                    if now - lastStatus >= .seconds(60) {
                        lastStatus = now
                        logger.info(
                            "\(uplink.isOnline ? "online" : "offline"): \(journal.pendingCount) report(s) pending, odometer \(Int(uplink.odometer.meters)) m, \(journal.dropped) dropped"
                        )
                    }
                    actions = uplink.tick(now: now)
                case .connected(let g, let channel, let outbound) where g == generation:
                    connection = (g, channel, outbound)
                    let outage = unreachableSince.map { " after \(Int((now - $0).components.seconds)) s unreachable" } ?? ""
                    logger.info("connected to \(uplink.settings.serverHost):\(uplink.settings.serverPort)\(outage)")
                    unreachableSince = nil
                    actions = uplink.connected(now: now)
                case .frame(let g, let header, let message) where g == generation:
                    actions = uplink.received(header, message, now: now)
                case .closed(let g, let error) where g == generation:
                    let server = "\(uplink.settings.serverHost):\(uplink.settings.serverPort)"
                    if connection != nil {
                        logger.warning("connection to \(server) lost; reports are kept (\(journal.pendingCount) pending) and sent when it answers again")
                    } else if unreachableSince == nil {
                        // Said once per outage; the retries (1 s, doubling up to a minute) are debug.
                        logger.warning("cannot reach \(server)\(error.map { " (\($0))" } ?? ""); reports are kept and sent when it answers")
                    } else {
                        logger.debug("still cannot reach \(server)")
                    }
                    if unreachableSince == nil { unreachableSince = now }
                    connection = nil
                    actions = uplink.disconnected(now: now)
                default:
                    actions = []  // from a connection already given up
                }
                for action in actions {
                    switch action {
                    case .connect(let host, let port):
                        generation += 1
                        let g = generation
                        group.addTask { await Self.connect(host: host, port: port, generation: g, events: input) }
                    case .send(let bytes):
                        try? await connection?.outbound.write(ByteBuffer(bytes: bytes))  // a failed write closes: .closed follows
                    case .close:
                        try? await connection?.channel.close()
                    }
                }
            }
            input.finish()
            try? await connection?.channel.close()
            journal.sync()
            group.cancelAll()
        }
        logger.info("stopped: \(journal.pendingCount) report(s) pending, kept in \(journal.url.path)")
    }

    /// One connection: its frames become events until it closes.
    static func connect(host: String, port: Int, generation: Int, events: AsyncStream<Event>.Continuation) async {
        do {
            let channel = try await connectTerminal(host: host, port: port)
            try await channel.executeThenClose { inbound, outbound in
                events.yield(.connected(generation: generation, channel: channel.channel, outbound: outbound))
                for try await item in inbound {
                    if case .frame(let frame) = item, let message = frame.message {
                        events.yield(.frame(generation: generation, frame.header, message))
                    }
                }
            }
            events.yield(.closed(generation: generation, nil))
        } catch {
            events.yield(.closed(generation: generation, error))
        }
    }
}
