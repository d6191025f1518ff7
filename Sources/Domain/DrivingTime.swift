/// A driver's driving so far, from the vehicle's GNSS track: what the fatigue rules (art. 62:
/// 4 hours at most without a rest of 20 minutes; 8 hours in 24) are judged against.
public struct DrivingTime: Sendable, Hashable {
    /// Seconds driven since the last rest of at least `rest`.
    public var continuous: Int64
    /// Seconds driven in the 24 hours before `now`.
    public var last24h: Int64
    /// Of `continuous`, the seconds driven at night (22:00 to 06:00 China time).
    public var nightContinuous: Int64 = 0

    public init(continuous: Int64, last24h: Int64, nightContinuous: Int64 = 0) {
        (self.continuous, self.last24h, self.nightContinuous) = (continuous, last24h, nightContinuous)
    }

    /// Slower than this (km/h x 10) is standing: GNSS jitters a parked car to a few km/h.
    public static let movingDkmh = 50
    /// A gap between fixes longer than this is not driving (the terminal sleeps when parked).
    public static let maximumGap: Int64 = 5 * 60

    /// `track` in time order, `speedDkmh` as the terminals report it (0.1 km/h).
    public static func measure(_ track: [(time: Int64, speedDkmh: Int)], now: Int64, rest: Int64 = 20 * 60) -> DrivingTime {
        var measured = DrivingTime(continuous: 0, last24h: 0)
        var idle: Int64 = 0
        for (a, b) in zip(track, track.dropFirst()) {
            let interval = b.time - a.time
            if a.speedDkmh >= movingDkmh && interval <= maximumGap {
                idle = 0
                measured.continuous += interval
                measured.nightContinuous += Night.seconds(from: a.time, to: b.time)
                // Only the part of the interval inside the 24 hours counts for the day.
                measured.last24h += max(0, b.time - max(a.time, now - 86_400))
            } else {
                idle += interval
                if idle >= rest { (measured.continuous, measured.nightContinuous) = (0, 0) }
            }
        }
        if let last = track.last, now - last.time + idle >= rest { (measured.continuous, measured.nightContinuous) = (0, 0) }
        return measured
    }
}

/// Night for the fatigue rules [PLATFORM]: 22:00 to 06:00 China time, when at most 2 hours of
/// continuous driving are allowed.
public enum Night {
    /// Seconds of [start, end) that fall at night.
    public static func seconds(from start: Int64, to end: Int64) -> Int64 {
        guard end > start else { return 0 }
        var total: Int64 = 0
        // The night that began on the evening before start's day, then each following one.
        var evening = CivilDate(chinaDayOf: start).chinaMidnight - 2 * 3600
        while evening < end {
            total += max(0, min(end, evening + 8 * 3600) - max(start, evening))
            evening += 86_400
        }
        return total
    }
}
