import Domain
import Foundation
import Store
import Synchronization

/// What dispatch learns from the fleet's own tracks: speeds per hour of day (two weeks of
/// tracks) and each crew's driver's driving time (the last 24 hours), refreshed every few
/// minutes by the dispatch service and read by every matching round.
public final class TrackLearning: Sendable {
    let facts: DispatchFacts
    let positions: PositionQueries
    let clock: any WallClock
    private let speeds = Mutex(SpeedProfile())
    private let driving = Mutex<[Int64: DrivingTime]>([:])

    init(facts: DispatchFacts, positions: PositionQueries, clock: any WallClock) {
        (self.facts, self.positions, self.clock) = (facts, positions, clock)
    }

    public var speedProfile: SpeedProfile { speeds.withLock { $0 } }

    /// Each driver's driving as last measured from their vehicle's track (none before the
    /// first measurement, nor for a driver without a crew).
    public var drivingTimes: [Int64: DrivingTime] { driving.withLock { $0 } }

    /// Hourly speeds from the last two weeks of the fleet's tracks.
    public func refreshSpeeds() async throws {
        let profile = try await facts.speedProfile()
        speeds.withLock { $0 = profile }
    }

    /// Each crew's driver's driving in the last 24 hours, from their vehicle's track.
    public func refreshDrivingTimes() async throws {
        var measured: [Int64: DrivingTime] = [:]
        let epoch = clock.now.epochSeconds
        for pair in try await facts.pairs() {
            let track = try await positions.track(vehicleID: pair.vehicle, from: epoch - 86_400, to: epoch, thinnedTo: 30)
            measured[pair.driver] = DrivingTime.measure(track.map { ($0.gnssTime, Int($0.speed)) }, now: epoch)
        }
        driving.withLock { $0 = measured }
    }
}
