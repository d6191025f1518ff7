/// When a terminal reports its position (JT/T 808 parameters 0x0029 and 0x0030, and 0x8202).
///
/// Time is the fixes' own time, not the wall clock: a replayed log reports the same points
/// whatever its replay speed.
public struct ReportPolicy: Sendable {
    public enum Reason: String, Sendable { case first, interval, corner, tracking }

    /// Seconds between two reports (0x0029).
    public var interval: Int64
    /// A heading change of more than this many degrees since the last report is reported at
    /// once (0x0030, corner compensation): the track follows the road round a corner.
    public var cornerAngle: Double
    /// Temporary tracking (0x8202): this interval until the given fix time.
    public private(set) var tracking: (interval: Int64, until: Int64)?

    private var lastTime: Int64?
    private var lastCourse: Double?

    /// Below this speed (m/s) the course is noise, not a corner.
    static let cornerMinimumSpeed = 1.5

    public init(interval: Int64 = 30, cornerAngle: Double = 30) {
        self.interval = interval
        self.cornerAngle = cornerAngle
    }

    /// 0x8202: report every `interval` seconds for `validity` seconds from `now`; interval 0 stops.
    public mutating func track(interval: Int64, validity: Int64, from now: Int64) {
        tracking = interval > 0 ? (interval, now + validity) : nil
    }

    /// Whether `fix` is reported, and why; a reported fix becomes the reference for the next.
    public mutating func consider(_ fix: GNSSFix) -> Reason? {
        guard fix.isPositioned else { return nil }
        if let t = tracking, fix.time >= t.until { tracking = nil }
        let reason: Reason?
        if let lastTime {
            guard fix.time > lastTime else { return nil }  // one report per fix second
            if let t = tracking, fix.time - lastTime >= t.interval {
                reason = .tracking
            } else if fix.time - lastTime >= interval {
                reason = .interval
            } else if let lastCourse, fix.track.isFinite, fix.speed.isFinite, fix.speed >= Self.cornerMinimumSpeed,
                Self.headingChange(from: lastCourse, to: fix.track) > cornerAngle
            {
                reason = .corner
            } else {
                reason = nil
            }
        } else {
            reason = .first
        }
        if reason != nil {
            lastTime = fix.time
            if fix.track.isFinite { lastCourse = fix.track }
        }
        return reason
    }

    /// The smaller angle between two headings, 0-180 degrees.
    static func headingChange(from a: Double, to b: Double) -> Double {
        let d = (b - a).truncatingRemainder(dividingBy: 360)
        let wrapped = d < 0 ? d + 360 : d
        return min(wrapped, 360 - wrapped)
    }
}
