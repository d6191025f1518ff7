import Synchronization

/// The deployment's service zones and working-day calendar as its administrators keep them
/// (in PostgreSQL, migration 0018), shared by every service that judges a place city or suburb
/// or counts working days. The services read it at each use; the service that stores an edit
/// replaces it, so an edit counts from the next request on, without a restart. Until it is
/// first read from the database it is empty: every place suburb, every year weekends only.
public final class ZonesAndCalendar: Sendable {
    private let current: Mutex<(zones: ServiceZones, calendar: WorkingCalendar)>

    public init(zones: ServiceZones = ServiceZones(city: []), calendar: WorkingCalendar = WorkingCalendar(years: [:])) {
        current = Mutex((zones, calendar))
    }

    public var zones: ServiceZones { current.withLock { $0.zones } }
    public var calendar: WorkingCalendar { current.withLock { $0.calendar } }

    public func replace(zones: ServiceZones, calendar: WorkingCalendar) { current.withLock { $0 = (zones, calendar) } }

    /// The promises of `levels` counted on the calendar in force now.
    public func levels(_ levels: ServiceLevels) -> ServiceLevels {
        var levels = levels
        levels.calendar = calendar
        return levels
    }
}
