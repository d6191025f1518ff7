import Domain
import Foundation
import Store

/// The service zones and the working-day calendar as administrators edit them: checked, stored
/// with their audit line, then the shared `ZonesAndCalendar` every service reads is refreshed
/// from the database, so the edit counts from the next request on (and `zonesChanged` tells
/// the other processes' copies).
public struct ZonesAndCalendarService: Sendable {
    let records: ZonesAndCalendarRecords
    /// What the services read.
    public let current: ZonesAndCalendar
    let events: ServiceEvents

    public init(records: ZonesAndCalendarRecords, current: ZonesAndCalendar, events: ServiceEvents = ServiceEvents()) {
        (self.records, self.current, self.events) = (records, current, events)
    }

    /// Reads both from the database into `current`: at start, and after every edit.
    public func refresh() async throws {
        current.replace(zones: try await records.zones(), calendar: try await records.calendar())
    }

    public func zones() async throws -> ServiceZones { try await records.zones() }

    /// Replaces the city's areas, if they are valid polygons.
    public func setZones(_ zones: ServiceZones, by userID: Int64?, audit: AuditLine?) async throws -> ServiceZones {
        try zones.check()
        try await records.setZones(zones, by: userID, audit: audit)
        try await refresh()
        try await events.publish(.zonesChanged)
        return current.zones
    }

    /// The year's arrangement, or nil if nobody set it (the year counts weekends only).
    public func year(_ year: Int) async throws -> WorkingCalendar.Year? { try await records.calendar().years[year] }

    /// Sets a year's holidays and working weekend days, if they belong to it.
    public func setYear(_ year: Int, _ arrangement: WorkingCalendar.Year, by userID: Int64?, audit: AuditLine?) async throws -> WorkingCalendar.Year {
        try arrangement.check(year: year)
        try await records.setYear(year, arrangement, by: userID, audit: audit)
        try await refresh()
        try await events.publish(.zonesChanged)
        return current.calendar.years[year] ?? arrangement
    }
}
