import Domain
import Foundation
import Store

/// Watches the crews on their way: "on site" is the first fix within 150 m of the pick-up after
/// the driver was notified (the track decides, not the driver's button), and an accident alarm
/// from the vehicle's terminal replaces the crew.
public struct ArrivalWatch: Sendable {
    let bookings: BookingService
    let rounds: MatchingRounds
    let positions: PositionQueries
    let alarms: VehicleAlarms
    let clock: any WallClock
    /// Terminal alarms that mean an accident: the crew is replaced.
    static let accidentAlarms = ["collisionWarning", "rolloverWarning"]

    /// Every booking under way once: arrivals seen on the track, accidents replaced.
    public func watch() async throws {
        for record in try await bookings.open() {
            let record = try await lookForArrival(record)
            if let vehicle = record.vehicleID, [.notified, .enRoute, .onSite, .inService].contains(record.state),
                let since = record.transitions.last(where: { $0.state == .notified })?.at,
                let accident = try await alarms.first(of: Self.accidentAlarms, vehicleID: vehicle, since: since)
            {
                try await rounds.replace(record.id, by: .gnss, reason: "terminal alarm \(accident)")
            }
        }
    }

    /// The booking after looking at its crew's track for the arrival (the driver says they are
    /// there: the track decides).
    public func checkArrival(_ id: Int64) async throws -> BookingRecord {
        guard let record = try await bookings.booking(id: id) else { throw NoSuchRecord() }
        return try await lookForArrival(record)
    }

    /// The booking, moved on site if its crew is on the way and its track has arrived.
    func lookForArrival(_ record: BookingRecord) async throws -> BookingRecord {
        guard let vehicle = record.vehicleID, [.notified, .enRoute].contains(record.state),
            let notified = record.transitions.last(where: { $0.state == .notified })?.at
        else { return record }
        let track = try await positions.track(vehicleID: vehicle, from: notified.epochSeconds, to: clock.now.epochSeconds + 60)
        let fixes = track.map { (time: $0.gnssTime, point: GeoPoint(latitudeE6: $0.latitudeE6, longitudeE6: $0.longitudeE6)) }
        guard let arrived = OnSiteDetector.arrival(track: fixes, pickup: record.request.pickup.point, after: notified.epochSeconds) else { return record }
        let at = Date(timeIntervalSince1970: TimeInterval(arrived))
        if record.state == .notified {
            // The driver did not say they set off; the track says they did.
            try await bookings.move(record.id, to: .enRoute, at: at, by: .gnss, note: "seen driving to the pick-up")
        }
        return try await bookings.move(record.id, to: .onSite, at: at, by: .gnss, note: "within 150 m of the pick-up")
    }
}
