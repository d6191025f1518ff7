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

    /// Each driver's driving in the last 24 hours, from the tracks of the vehicles they drove:
    /// whoever was signed in with their IC card, or the vehicle's paired driver when no card was in.
    public func refreshDrivingTimes() async throws {
        let epoch = clock.now.epochSeconds
        let pairs = try await facts.pairs()
        let signIns = try await facts.signIns(from: epoch - 86_400, to: epoch)
        var tracks: [Int64: [(time: Int64, speedDkmh: Int)]] = [:]
        for vehicle in Set(pairs.map(\.vehicle) + signIns.map(\.vehicleID)) {
            let track = try await positions.track(vehicleID: vehicle, from: epoch - 86_400, to: epoch, thinnedTo: 30)
            tracks[vehicle] = track.map { ($0.gnssTime, Int($0.speed)) }
        }
        let paired = Dictionary(pairs.map { ($0.vehicle, $0.driver) }) { a, _ in a }
        let measured = DrivingTime.credited(tracks: tracks, signIns: signIns, pairedDriver: paired, now: epoch)
        driving.withLock { $0 = measured }
    }
}
