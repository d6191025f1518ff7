import Billing
import Domain
import Foundation
import Logging
import PostgresNIO
import Store
import Synchronization

/// Billing at work on the stored trips: draws up each finished booking's settlement sheet from
/// the system's own records (dispatch timestamps, the GNSS track, the driver's receipts), takes
/// the agency's signature or dispute and the dispatcher's resolution, and says when a sheet is
/// confirmed (`ServiceEvent.sheetConfirmed`: dispatch settles the booking). The fare rules are
/// `Billing`'s; this wires them to PostgreSQL.
public struct SettlementService: Sendable {
    public let sheets: Settlements
    public let terms: BillingTerms
    let positions: PositionQueries
    let files: FleetFiles
    let feed: LiveFeed
    let events: ServiceEvents
    let clock: any WallClock
    let levels: ServiceLevels
    let review: UsageReview
    let unpriced = UnpricedTrips()
    let logger: Logger

    public init(
        client: PostgresClient, positions: PositionQueries, feed: LiveFeed, events: ServiceEvents, clock: any WallClock,
        levels: ServiceLevels = ServiceLevels(),
        review: UsageReview = UsageReview(), logger: Logger
    ) {
        sheets = Settlements(client: client, logger: logger)
        terms = BillingTerms(client: client, logger: logger)
        files = FleetFiles(client: client, logger: logger)
        (self.positions, self.feed, self.events, self.clock, self.levels, self.review, self.logger) = (positions, feed, events, clock, levels, review, logger)
    }

    /// Draws up the sheets of bookings finished since the last sweep; returns their ids.
    @discardableResult
    public func drawUpSheets(limit: Int = 200) async throws -> [Int64] {
        let now = clock.now
        let book = try await terms.book()
        var agreements: [Int64: Agreement] = [:]
        var issued: [Int64] = []
        for record in try await sheets.bookingsAwaitingSheets(limit: limit, excluding: unpriced.skipped(under: book)) {
            let facts = try await facts(of: record)
            if agreements[record.agencyID] == nil { agreements[record.agencyID] = try await terms.agreement(agencyID: record.agencyID) }
            let drafter = SheetDrafter(calculator: FareCalculator(book: book, agreement: agreements[record.agencyID]!), review: review)
            let draft: (lines: [SheetLine], flags: [UsageReview.Difference])
            do {
                draft = try drafter.draft(facts, at: ChinaTime(now.epochSeconds))
            } catch {
                // Left without a sheet, said once, and tried again when the tariffs change;
                // meanwhile the trips after it are not held up.
                unpriced.add(record.id)
                logger.error("no settlement sheet for booking \(record.id): \(error); set the tariff with PUT /api/v1/tariffs")
                continue
            }
            let state: SettlementSheet.State = draft.lines.isEmpty ? .void : draft.flags.isEmpty ? .issued : .review
            if let id = try await sheets.issue(facts, lines: draft.lines, flags: draft.flags, state: state, at: now) {
                issued.append(id)
                if state != .void {
                    feed.publish(FeedEvent(kind: .settlement, agencyID: record.agencyID, SheetEvent(sheetID: id, bookingID: record.id, state: state)))
                }
            }
        }
        return issued
    }

    /// What the records say of a finished booking: the window from its transitions, the
    /// distance from each serving vehicle's odometer or track over its part of the window.
    func facts(of record: BookingRecord) async throws -> TripFacts {
        let marks: [(mark: ServiceWindow.Mark, at: Int64)] = record.transitions.compactMap { t in
            let at = t.at.epochSeconds
            switch t.state {
            case .matched: return t.vehicleID.map { (.crew(vehicleID: $0), at) }
            case .inService: return (.serviceStarts, at)
            case .replaced: return (.interrupted, at)
            case .completed: return (.completed, at)
            default: return nil
            }
        }
        let window = ServiceWindow(marks: marks)
        var metres: Double = 0
        var sources: [String] = []
        for segment in window.segments {
            let m = try await positions.mileage(vehicleID: segment.vehicleID, from: segment.start.epochSeconds, to: segment.end.epochSeconds)
            metres += m.meters
            if !sources.contains(m.source.rawValue) { sources.append(m.source.rawValue) }
        }
        var plates: [String] = [], drivers: [String] = []
        var crews: [(Int64?, Int64?)] = []
        for t in record.transitions where t.state == .matched && !crews.contains(where: { $0 == (t.vehicleID, t.driverID) }) {
            crews.append((t.vehicleID, t.driverID))
        }
        // Only the crews that served: the last one matched before each start of service.
        let served = Set(window.segments.map(\.vehicleID))
        for (vehicle, driver) in crews where vehicle.map(served.contains) ?? false {
            if let v = vehicle, let file = try await files.vehicle(id: v) { plates.append(file.plate) }
            if let d = driver, let file = try await files.driver(id: d) { drivers.append(file.name) }
        }
        var cancellation: TripFacts.Cancellation?
        if record.state == .cancelled, let cancelled = record.transitions.last(where: { $0.state == .cancelled }) {
            cancellation = .init(at: ChinaTime(cancelled.at.epochSeconds), crewOnSite: record.transitions.contains { $0.state == .onSite })
        }
        return TripFacts(
            bookingID: record.id, agencyID: record.agencyID, vehicleClass: record.request.vehicleClass,
            pickupTime: ChinaTime(record.request.pickupTime.epochSeconds),
            pickupAddress: record.request.pickup.address, destinationAddress: record.request.destination.address, plates: plates, drivers: drivers,
            window: window,
            metres: Int64(metres.rounded()), distanceSource: sources.isEmpty ? "none" : sources.joined(separator: " and "), tollsFen: record.tollsFen ?? 0,
            parkingFen: record.parkingFen ?? 0, receipts: record.receipts, reportedMetres: record.reportedMetres, reportedSeconds: record.reportedSeconds,
            cancellation: cancellation, transfer: record.request.transfer ?? false
        )
    }

    /// The agency contact signs the sheet: confirmed, the invoice due in 3 working days, and
    /// `sheetConfirmed` said. `audit` is written with the signature.
    public func confirm(_ id: Int64, signedBy name: String, actor: Actor, audit: AuditLine? = nil) async throws -> SettlementSheet {
        let now = clock.now
        try await sheets.confirm(id, signedBy: name, actor: actor, at: now, invoiceDue: levels.invoiceDue(confirmedAt: now.epochSeconds), audit: audit)
        guard let sheet = try await sheets.sheet(id: id) else { throw NoSuchRecord() }
        try await events.publish(.sheetConfirmed(bookingID: sheet.facts.bookingID))
        return sheet
    }

    /// Every sweep: sheets for newly finished trips, and `sheetConfirmed` said again for the
    /// bookings of confirmed sheets not settled yet (after a crash between the two). The
    /// invoices' clock is the clock sweeper's.
    public func sweep() async throws {
        try await drawUpSheets()
        for bookingID in try await sheets.bookingsToSettle() { try await events.publish(.sheetConfirmed(bookingID: bookingID)) }
    }

    struct SheetEvent: Encodable {
        var sheetID: Int64
        var bookingID: Int64
        var state: SettlementSheet.State
    }
}

/// Trips that could not be priced under the tariff book in force: skipped by the sweep until the
/// book changes, so that they neither repeat their error every sweep nor hold up newer trips.
final class UnpricedTrips: Sendable {
    private let state = Mutex<(book: TariffBook?, bookings: Set<Int64>)>((nil, []))

    /// The bookings to skip under `book`: none once the book changed since they failed.
    func skipped(under book: TariffBook) -> [Int64] {
        state.withLock { state in
            if state.book != book { state = (book, []) }
            return state.bookings.sorted()
        }
    }

    func add(_ bookingID: Int64) { state.withLock { _ = $0.bookings.insert(bookingID) } }
}
