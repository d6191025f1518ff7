import Domain
import Foundation
import Store

/// Every vehicle's newest position on the live feed, for the operator's map: one batch per
/// call (each second), and nothing while no one listens, so the stream grows with the fleet, not
/// with its reports. Each process serving the stream reads the positions itself: they stay in it.
public struct PositionFeed: Sendable {
    let positions: PositionQueries
    let feed: LiveFeed

    public func publish() async throws {
        guard feed.subscriberCount > 0 else { return }
        let latest = try await positions.latest()
        feed.deliver(
            FeedEvent(
                kind: .positions, agencyID: nil,
                latest.map {
                    LivePosition(
                        vehicleID: $0.vehicleID, plate: $0.plate, time: Date(timeIntervalSince1970: TimeInterval($0.position.gnssTime)),
                        latitude: Double($0.position.latitudeE6) / 1e6, longitude: Double($0.position.longitudeE6) / 1e6,
                        speedKmh: Double($0.position.speed) / 10, course: Int($0.position.course))
                }))
    }

    struct LivePosition: Encodable {
        var vehicleID: Int64
        var plate: String
        var time: Date
        var latitude: Double
        var longitude: Double
        var speedKmh: Double
        /// Heading, degrees clockwise from north.
        var course: Int
    }
}
