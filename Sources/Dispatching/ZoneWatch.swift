import Domain
import Foundation
import Store
import Synchronization

/// The named zones (depots, restricted areas, ...) as administrators draw them, and each
/// vehicle's entries and exits computed from its positions as ingest stores them (`heard`, by
/// the arrival watch, which raises the `route` alert for a trip entering a restricted area).
///
/// Which vehicles are inside which zones is read from the stored crossings when first needed,
/// again after a zone changed and after the feed dropped records.
public final class ZoneWatch: Sendable {
    let records: ZoneRecords
    let events: ServiceEvents
    /// Nil until read; `generation` counts the times it was let go (a zone saved meanwhile), so
    /// that one read before is not put back over it.
    private let occupancy = Mutex<(generation: Int, current: ZoneOccupancy?)>((0, nil))

    init(records: ZoneRecords, events: ServiceEvents) { (self.records, self.events) = (records, events) }

    public func zones() async throws -> [NamedZone] { try await records.zones() }

    /// Stores a new zone (`id` 0) or replaces one, if it is a valid polygon; in force for the
    /// next positions stored.
    public func save(_ zone: NamedZone, by userID: Int64?, audit: Audit<Int64>?) async throws -> NamedZone {
        try zone.check()
        if zone.id == 0, try await records.zones().count >= NamedZone.maximumCount {
            throw Refused(field: "name", expected: "at most \(NamedZone.maximumCount) zones")
        }
        var saved = zone
        do { saved.id = try await records.save(zone, by: userID, audit: audit) } catch is DuplicateRecord {
            throw Conflict("another zone has this name", field: "name")
        }
        missed()
        try await events.publish(.zonesChanged)
        return saved
    }

    /// Crossings between `from` and `to`, oldest first; one vehicle's if `vehicleID`.
    public func crossings(vehicleID: Int64?, from: Date, to: Date, limit: Int) async throws -> [ZoneRecords.Listed] {
        try await records.crossings(vehicleID: vehicleID, from: from, to: to, limit: limit)
    }

    /// The crossings the positions just stored make, stored (once each); with the zones they cross.
    func heard(_ positions: [PositionRecord]) async throws -> [(ZoneCrossing, NamedZone)] {
        let (generation, current) = occupancy.withLock { $0 }
        var occupancy: ZoneOccupancy
        if let current { occupancy = current } else { occupancy = ZoneOccupancy(zones: try await records.zones(), inside: try await records.inside()) }
        let crossings = occupancy.stored(positions)
        self.occupancy.withLock { if $0.generation == generation { $0.current = occupancy } }
        do {
            try await records.record(crossings)
        } catch {
            // Read again from what is stored: the next fix across a boundary is the crossing.
            missed()
            throw error
        }
        let zones = Dictionary(uniqueKeysWithValues: occupancy.zones.map { ($0.id, $0) })
        return crossings.compactMap { crossing in zones[crossing.zoneID].map { (crossing, $0) } }
    }

    /// The feed dropped records (or a zone changed): what is inside what is read again from the
    /// stored crossings.
    public func missed() { occupancy.withLock { $0 = ($0.generation + 1, nil) } }
}
