import CLibGPS
import Foundation
import GNSSTerminal
import Logging
import Synchronization

/// Fixes from gpsd, read through libgps on a thread of its own (`gps_read` blocks).
///
/// gpsd may send two TPV reports for one fix (one per sentence of a cycle): only the first per
/// fix time is passed on. Reports without a time are not fixes. When gpsd is not running or the
/// connection drops, the reader keeps trying every `retryInterval` and says so once.
public final class GPSDReader: Sendable {
    public let host: String
    public let port: String
    public let fixes: AsyncStream<GNSSFix>
    private let continuation: AsyncStream<GNSSFix>.Continuation
    private let stopped = Atomic<Bool>(false)
    private let logger: Logger
    /// gpsd streams only to connected clients: while it is not up yet (a box booting, a replay
    /// starting), try often for a few seconds so that the first fixes are not missed, then every
    /// 2 seconds.
    static func retryInterval(attempt: Int) -> TimeInterval { attempt < 50 ? 0.1 : 2 }

    public init(host: String = "localhost", port: Int = 2947, logger: Logger) {
        self.host = host
        self.port = String(port)
        self.logger = logger
        (fixes, continuation) = AsyncStream.makeStream(of: GNSSFix.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Starts the reading thread; `stop()` ends it within half a second.
    public func start() {
        let thread = Thread { [self] in readUntilStopped() }
        thread.name = "gpsd reader"
        thread.start()
    }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    private func readUntilStopped() {
        // gps_data_t is about 24 KB: one, reused for every read.
        let data = UnsafeMutablePointer<gps_data_t>.allocate(capacity: 1)
        defer {
            data.deallocate()
            continuation.finish()
        }
        var attempts = 0
        while !stopped.load(ordering: .relaxed) {
            guard gps_open(host, port, data) == 0 else {
                if attempts == 0 { logger.warning("cannot reach gpsd at \(host):\(port) (\(String(cString: gps_errstr(errno)))); retrying") }
                Thread.sleep(forTimeInterval: Self.retryInterval(attempt: attempts))
                attempts += 1
                continue
            }
            logger.info("reading fixes from gpsd at \(host):\(port)")
            attempts = 0
            gps_stream(data, clibgps_watch_json, nil)
            var lastTime: timespec?
            while !stopped.load(ordering: .relaxed) {
                guard gps_waiting(data, 500_000) else { continue }
                guard gps_read(data, nil, 0) >= 0 else {
                    logger.warning("lost gpsd at \(host):\(port); reconnecting")
                    break
                }
                let set = data.pointee.set
                guard set & clibgps_time_set != 0, set & clibgps_mode_set != 0 else { continue }
                let fix = data.pointee.fix
                if let lastTime, lastTime.tv_sec == fix.time.tv_sec, lastTime.tv_nsec == fix.time.tv_nsec { continue }
                lastTime = fix.time
                continuation.yield(Self.fix(fix, satellitesUsed: Int(data.pointee.satellites_used)))
            }
            gps_close(data)
        }
    }

    /// gpsd's fix in our units; the mode decides whether it is a position (`fix.status` reads 0
    /// even for good fixes in gpsd 3.22, so it is not used).
    static func fix(_ fix: gps_fix_t, satellitesUsed: Int) -> GNSSFix {
        GNSSFix(
            time: Int64(fix.time.tv_sec), mode: GNSSFix.Mode(rawValue: Int(fix.mode)) ?? .notSeen,
            latitude: fix.latitude, longitude: fix.longitude, altitudeMSL: fix.altMSL, speed: fix.speed, track: fix.track,
            satellitesUsed: satellitesUsed
        )
    }
}
