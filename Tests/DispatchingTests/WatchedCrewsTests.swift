import Dispatching
import Domain
import DomainTestSupport
import Foundation
import Testing

/// The watch list's rules in memory: which jobs are read back and when, and what the positions
/// and events ingest stores decide, without a database or a track.
@Suite struct WatchedCrewsTests {
    static let pickup = Place(latitude: Double(Fixture.station.latitudeE6) / 1e6, longitude: Double(Fixture.station.longitudeE6) / 1e6, address: "宁波站")
    /// When each test's crews are notified.
    static let notified = Fixture.now + 600

    /// A booking whose crew in `vehicle` was notified at `notified`, then moved on to `state`
    /// (a minute a step).
    static func booking(_ bookings: InMemoryBookings, vehicle: Int64, to state: BookingState = .notified) async throws -> BookingRecord {
        let received = Date(timeIntervalSince1970: TimeInterval(Fixture.now))
        let request = BookingRequest(
            channel: .phone, agencyID: 1, contactName: "李主任", contactPhone: "057487000000", passengers: 2, vehicleClass: .sedan,
            pickupTime: received.addingTimeInterval(3600), pickup: pickup, destination: pickup, serviceEnd: received.addingTimeInterval(7200))
        var record = try await bookings.create(request, agencyID: 1, receivedAt: received, by: .engine, audit: nil)
        let steps: [BookingState] = [.confirmed, .matched, .notified, .enRoute, .onSite, .inService]
        for next in steps.prefix(through: steps.firstIndex(of: state)!) {
            let at = next == .notified ? notified : notified + 60 * Int64(steps.firstIndex(of: next)! - 2)
            record = try await bookings.move(
                record.id, to: next, at: Date(timeIntervalSince1970: TimeInterval(at)), by: .engine, crew: next == .matched ? (vehicle, vehicle) : nil,
                completion: nil, note: "", audit: nil)
        }
        return record
    }

    /// A fix of `terminal` at `time`, `east` metres east of the pick-up.
    static func fix(_ terminal: Int32, at time: Int64, east: Int32) -> PositionRecord {
        let point = Fixture.near(east: east)
        return PositionRecord(
            terminalID: terminal, gnssTime: time, latitudeE6: point.latitudeE6, longitudeE6: point.longitudeE6, altitude: 5, speed: 300, course: 90,
            alarm: 0, status: 3, mileage: nil, backfill: false)
    }

    static func alarm(_ kind: String, of terminal: Int32, at time: Int64) -> VehicleEvent {
        VehicleEvent(
            terminalID: terminal, kind: kind, occurredAt: time, latitudeE6: Fixture.station.latitudeE6, longitudeE6: Fixture.station.longitudeE6, speed: 0)
    }

    /// Issue 17: the replacing alarms are configured; an alarm going off replaces no one.
    @Test func theConfiguredAlarmsReplaceTheCrewWhenTheyGoOn() async throws {
        let bookings = InMemoryBookings()
        let job = try #require(WatchedCrews.Job(try await Self.booking(bookings, vehicle: 7)))
        var crews = WatchedCrews(replacingAlarms: ["emergency"])
        _ = crews.refresh(open: try await bookings.open(), terminals: [70: 7])
        let later = Self.notified + 60
        var off = Self.alarm("emergency", of: 70, at: later)
        off.cleared = true
        #expect(crews.recorded([Self.alarm("collisionWarning", of: 70, at: later), off]).isEmpty, "not configured; going off")
        #expect(crews.recorded([Self.alarm("emergency", of: 70, at: later + 1)]) == [.replace(job, alarm: "emergency")])
    }

    @Test func aJobIsReadBackOnceWhenFirstWatchedAndThenJudgedFromTheFeedAlone() async throws {
        let bookings = InMemoryBookings()
        let record = try await Self.booking(bookings, vehicle: 7)
        let job = try #require(WatchedCrews.Job(record))
        #expect(job == WatchedCrews.Job(bookingID: record.id, vehicleID: 7, pickup: Self.pickup.point, notifiedAt: Self.notified))
        var crews = WatchedCrews()
        #expect(crews.refresh(open: try await bookings.open(), terminals: [70: 7]) == [.readBack(job)])
        // The next ticks read nothing back: the feed brings the fixes.
        #expect(crews.refresh(open: try await bookings.open(), terminals: [70: 7]).isEmpty)

        let now = Self.notified + 300
        #expect(crews.stored([Self.fix(70, at: now - 20, east: 1000)], now: now).isEmpty, "1 km away is not there")
        #expect(crews.stored([Self.fix(71, at: now - 10, east: 0)], now: now).isEmpty, "another vehicle's terminal")
        #expect(crews.stored([Self.fix(70, at: now - 10, east: 100)], now: now) == [.arrived(job, at: now - 10)])
        // Arrived once: the next fixes at the pick-up decide nothing.
        #expect(crews.stored([Self.fix(70, at: now, east: 0)], now: now).isEmpty)
    }

    @Test func theFirstFixOnSiteSinceNotifiedCountsWhateverTheOrderOfTheBatch() async throws {
        let bookings = InMemoryBookings()
        let job = try #require(WatchedCrews.Job(try await Self.booking(bookings, vehicle: 7, to: .enRoute)))
        var crews = WatchedCrews()
        _ = crews.refresh(open: try await bookings.open(), terminals: [70: 7, 71: 7])
        let now = Self.notified + 600
        // Before the crew was told, and further ahead of the clock than a minute: neither counts.
        #expect(crews.stored([Self.fix(70, at: Self.notified - 1, east: 0), Self.fix(70, at: now + 61, east: 0)], now: now).isEmpty)
        // A blind-zone backfill comes after a newer fix in one batch; either of the vehicle's terminals counts.
        let batch = [Self.fix(70, at: now - 30, east: 50), Self.fix(71, at: now - 90, east: 140), Self.fix(70, at: now - 120, east: 400)]
        #expect(crews.stored(batch, now: now) == [.arrived(job, at: now - 90)])
    }

    @Test func anAccidentAlarmReplacesTheCrewOnceFromNotifiedToInService() async throws {
        let bookings = InMemoryBookings()
        let inService = try #require(WatchedCrews.Job(try await Self.booking(bookings, vehicle: 7, to: .inService)))
        let notified = try #require(WatchedCrews.Job(try await Self.booking(bookings, vehicle: 8)))
        var crews = WatchedCrews()
        #expect(crews.refresh(open: try await bookings.open(), terminals: [70: 7, 80: 8]) == [.readBack(inService), .readBack(notified)])
        let later = Self.notified + 900
        #expect(crews.recorded([Self.alarm("overspeed", of: 70, at: later), Self.alarm("collisionWarning", of: 80, at: Self.notified - 60)]).isEmpty)
        #expect(
            crews.recorded([Self.alarm("rolloverWarning", of: 70, at: later), Self.alarm("collisionWarning", of: 80, at: later)])
                == [.replace(inService, alarm: "rolloverWarning"), .replace(notified, alarm: "collisionWarning")])
        #expect(crews.recorded([Self.alarm("collisionWarning", of: 70, at: later + 1)]).isEmpty, "replaced once")
        #expect(crews.jobs.isEmpty)
    }

    @Test func whatIsReadBackIsJudgedAsTheFeedIsAndOnlyForTheJobStillWatched() async throws {
        let bookings = InMemoryBookings()
        let record = try await Self.booking(bookings, vehicle: 7)
        let job = try #require(WatchedCrews.Job(record))
        var crews = WatchedCrews()
        _ = crews.refresh(open: try await bookings.open(), terminals: [70: 7])
        let track = [Self.fix(70, at: Self.notified + 60, east: 600), Self.fix(70, at: Self.notified + 120, east: 90)]
        // On site by the track, then an accident: both, in that order (the old sweep did the same).
        #expect(
            crews.readBack(job, track: track, accident: "collisionWarning")
                == [.arrived(job, at: Self.notified + 120), .replace(job, alarm: "collisionWarning")])

        // The booking given another crew: what was read back for the first is not its news.
        var other = WatchedCrews()
        _ = other.refresh(open: try await bookings.open(), terminals: [70: 7])
        _ = try await bookings.move(
            record.id, to: .replaced, at: Date(timeIntervalSince1970: TimeInterval(Self.notified + 200)), by: .gnss, crew: nil, completion: nil, note: "",
            audit: nil)
        _ = try await bookings.move(
            record.id, to: .matched, at: Date(timeIntervalSince1970: TimeInterval(Self.notified + 260)), by: .engine, crew: (9, 9), completion: nil, note: "",
            audit: nil)
        let renotified = try await bookings.move(
            record.id, to: .notified, at: Date(timeIntervalSince1970: TimeInterval(Self.notified + 300)), by: .engine, crew: nil, completion: nil, note: "",
            audit: nil)
        let second = try #require(WatchedCrews.Job(renotified))
        #expect(second.vehicleID == 9 && second.notifiedAt == Self.notified + 300)
        #expect(other.refresh(open: try await bookings.open(), terminals: [90: 9]) == [.readBack(second)])
        #expect(other.readBack(job, track: track, accident: "collisionWarning").isEmpty)
        #expect(other.stored([Self.fix(70, at: Self.notified + 400, east: 0)], now: Self.notified + 400).isEmpty, "the first crew's vehicle")
    }

    @Test func aDroppedDeliveryANewTerminalAndAFailedMoveEachReadBack() async throws {
        let bookings = InMemoryBookings()
        let first = try #require(WatchedCrews.Job(try await Self.booking(bookings, vehicle: 7, to: .enRoute)))
        let second = try #require(WatchedCrews.Job(try await Self.booking(bookings, vehicle: 8, to: .onSite)))
        var crews = WatchedCrews()
        _ = crews.refresh(open: try await bookings.open(), terminals: [70: 7, 80: 8])
        // The feed dropped records: every job is read back.
        #expect(crews.missed() == [.readBack(first), .readBack(second)])
        // Vehicle 8 got another terminal since the last tick: its fixes until now are read back.
        #expect(crews.refresh(open: try await bookings.open(), terminals: [70: 7, 80: 8, 81: 8]) == [.readBack(second)])
        #expect(crews.stored([Self.fix(81, at: Self.notified + 600, east: 0)], now: Self.notified + 600).isEmpty, "on site already")

        // The arrival is decided, but the booking could not be moved: forgotten, then read back
        // and looked for again at the next tick.
        #expect(crews.stored([Self.fix(70, at: Self.notified + 600, east: 0)], now: Self.notified + 600) == [.arrived(first, at: Self.notified + 600)])
        crews.forget(first.bookingID)
        #expect(crews.jobs.keys.sorted() == [second.bookingID])
        #expect(crews.refresh(open: try await bookings.open(), terminals: [70: 7, 80: 8, 81: 8]) == [.readBack(first)])
        #expect(crews.readBack(first, track: [Self.fix(70, at: Self.notified + 600, east: 0)], accident: nil) == [.arrived(first, at: Self.notified + 600)])
    }

    /// A breakdown in service: the replacement's crew is a new job, looked for where the car
    /// stopped (not at the pick-up, where the first crew was found).
    @Test func aReplacementAfterABreakdownInServiceIsLookedForWhereTheCarStopped() async throws {
        let bookings = InMemoryBookings()
        let record = try await Self.booking(bookings, vehicle: 7, to: .inService)
        var crews = WatchedCrews()
        _ = crews.refresh(open: try await bookings.open(), terminals: [70: 7])
        let stopped = Fixture.near(east: 6_000)
        let stop = Place(latitudeE6: stopped.latitudeE6, longitudeE6: stopped.longitudeE6, address: "where 浙B00007D stopped")
        func at(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(Self.notified + seconds)) }
        _ = try await bookings.move(record.id, to: .replaced, at: at(1200), by: .gnss, crew: nil, completion: nil, note: "", stop: stop, audit: nil)
        _ = try await bookings.move(record.id, to: .matched, at: at(1260), by: .engine, crew: (9, 9), completion: nil, note: "", audit: nil)
        let renotified = try await bookings.move(record.id, to: .notified, at: at(1260), by: .engine, crew: nil, completion: nil, note: "", audit: nil)
        let replacement = try #require(WatchedCrews.Job(renotified))
        #expect(replacement.pickup == stopped && replacement.vehicleID == 9)
        #expect(crews.refresh(open: try await bookings.open(), terminals: [90: 9]) == [.readBack(replacement)])
        let now = Self.notified + 3000
        #expect(crews.stored([Self.fix(90, at: now - 60, east: 0)], now: now).isEmpty, "the pick-up is not where it is awaited")
        #expect(crews.stored([Self.fix(90, at: now, east: 5_950)], now: now) == [.arrived(replacement, at: now)])
    }
}
