import Domain
import Foundation
import Logging
import Matching
import PostgresNIO
import Store

/// The dispatch side's services, wired once on one database: bookings and their lifecycle,
/// matching rounds, the arrival watch, the clock sweeper, what is learnt from the tracks and the
/// positions on the live feed. A settled sheet (`ServiceEvent.sheetConfirmed`) settles its
/// booking here: billing never moves bookings itself.
public struct DispatchServices: Sendable {
    public let bookings: BookingService
    public let rounds: MatchingRounds
    public let arrivals: ArrivalWatch
    public let sweeper: ClockSweeper
    public let learning: TrackLearning
    public let positionFeed: PositionFeed
    public let files: FleetFileService
    public let care: CustomerCareService
    public let alerts: AlertService
    /// Named zones and the vehicles' entries and exits.
    public let zones: ZoneWatch
    /// The zones and calendar in force, and their edits.
    public let zonesAndCalendar: ZonesAndCalendarService
    /// The outbox's notices sent on their channels (`senders`, else the live stream).
    public let notifier: Notifier
    public let positions: PositionQueries
    public let feed: LiveFeed
    public let events: ServiceEvents
    /// Signalled when a round is wanted now; the dispatch loop also runs one every few seconds.
    public let roundDue = RoundTrigger()
    public let clock: any WallClock

    public init(
        client: PostgresClient, database: DatabaseURL, feed: LiveFeed = LiveFeed(), events: ServiceEvents = ServiceEvents(), clock: any WallClock,
        rules: DispatchRules = DispatchRules(), levels: ServiceLevels = ServiceLevels(),
        routeCorridorMetres: Int = RouteCorridor.defaultWidthMetres, senders: [any NoticeSender] = [], noticeRetry: NoticeRetry = NoticeRetry(),
        replacingAlarms: Set<String> = AlarmKind.replacingByDefault, logger: Logger
    ) {
        let store = Bookings(client: client, logger: logger), facts = DispatchFacts(client: client, logger: logger)
        // Empty until `zonesAndCalendar.refresh()` reads the database (the server does before it opens).
        let terms = ZonesAndCalendar()
        zonesAndCalendar = ZonesAndCalendarService(records: ZonesAndCalendarRecords(client: client, logger: logger), current: terms, events: events)
        positions = PositionQueries(client: client, database: database, logger: logger)
        let outbox = Outbox(client: client, logger: logger), composer = NoticeComposer(outbox: outbox, senders: senders)
        bookings = BookingService(repository: store, feed: feed, events: events, clock: clock, levels: levels, terms: terms, composer: composer)
        learning = TrackLearning(facts: facts, positions: positions, clock: clock)
        rounds = MatchingRounds(bookings: bookings, facts: facts, learning: learning, rules: rules, clock: clock, logger: logger)
        sweeper = ClockSweeper(
            bookings: bookings, store: store, care: CustomerCare(client: client, logger: logger), sheets: Settlements(client: client, logger: logger),
            levels: levels, terms: terms, feed: feed, clock: clock
        )
        zones = ZoneWatch(records: ZoneRecords(client: client, logger: logger), events: events)
        arrivals = ArrivalWatch(
            bookings: bookings, facts: facts, positions: positions, alarms: VehicleAlarms(client: client, logger: logger), sweeper: sweeper, zones: zones,
            corridorMetres: routeCorridorMetres, replacingAlarms: replacingAlarms, clock: clock)
        notifier = Notifier(
            outbox: outbox, composer: composer, bookings: bookings, sweeper: sweeper, senders: senders, retry: noticeRetry, feed: feed, clock: clock,
            logger: logger)
        positionFeed = PositionFeed(positions: positions, feed: feed)
        files = FleetFileService(
            files: FleetFiles(client: client, logger: logger), facts: facts, rounds: rounds, learning: learning, events: events, clock: clock)
        care = CustomerCareService(care: CustomerCare(client: client, logger: logger), bookings: bookings, events: events, rules: rules, clock: clock)
        alerts = AlertService(alarms: VehicleAlarms(client: client, logger: logger), bookings: store, clock: clock)
        (self.feed, self.events, self.clock) = (feed, events, clock)
        events.on { [bookings, roundDue] event in
            switch event {
            case .sheetConfirmed(let bookingID): try await bookings.settle(bookingID)
            case .crewWanted, .crewFreed, .fleetChanged: roundDue.signal()
            // This process's copies were refreshed by the edit itself.
            case .zonesChanged: break
            }
        }
    }
}
