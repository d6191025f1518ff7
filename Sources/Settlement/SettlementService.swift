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
    let sheets: Settlements
    let terms: BillingTerms
    let positions: PositionQueries
    let files: FleetFiles
    let feed: LiveFeed
    let events: ServiceEvents
    let clock: any WallClock
    let levels: ServiceLevels
    /// The working-day calendar in force (the database's, as administrators edit it).
    let calendar: ZonesAndCalendar
    let review: UsageReview
    let unpriced = UnpricedTrips()
    let logger: Logger

    public init(
        client: PostgresClient, positions: PositionQueries, feed: LiveFeed, events: ServiceEvents, clock: any WallClock,
        levels: ServiceLevels = ServiceLevels(), calendar: ZonesAndCalendar,
        review: UsageReview = UsageReview(), logger: Logger
    ) {
        self.calendar = calendar
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
                if state != .void { publish(sheetID: id, bookingID: record.id, agencyID: record.agencyID, state: state) }
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

    // MARK: the sheet's lifecycle (`SettlementSheet.Action`), each step audited in its transaction and published

    /// The agency contact signs the sheet: confirmed, the invoice due in 3 working days, and
    /// `sheetConfirmed` said.
    public func confirm(_ id: Int64, signedBy name: String, actor: Actor, audit: AuditLine? = nil) async throws -> SettlementSheet {
        let now = clock.now, levels = calendar.levels(self.levels)
        let due = levels.invoiceDue(confirmedAt: now.epochSeconds)
        // A year nobody set counts weekends only: the due day may fall on a holiday.
        for year in Set([CivilDate(chinaDayOf: now.epochSeconds).year, due.year]) where !levels.calendar.isAnnounced(year) {
            logger.warning("no working-day calendar for \(year): the invoice due \(due) counts weekends only; set it with PUT /api/v1/calendar/\(year)")
        }
        try await sheets.confirm(id, signedBy: name, actor: actor, at: now, invoiceDue: due, audit: audit)
        let sheet = try await published(id)
        try await events.publish(.sheetConfirmed(bookingID: sheet.facts.bookingID))
        return sheet
    }

    /// The agency contests the sheet, with its reason; a dispatcher resolves it.
    public func dispute(_ id: Int64, reason: String, actor: Actor, audit: AuditLine?) async throws -> SettlementSheet {
        try await sheets.dispute(id, reason: reason, actor: actor, at: clock.now, audit: audit)
        return try await published(id)
    }

    /// A dispatcher settles a dispute or a flagged difference, with adjusting lines if the sheet
    /// was wrong: back to the agency for signature.
    public func resolve(_ id: Int64, note: String, adjustments: [SheetLine], actor: Actor, audit: AuditLine?) async throws -> SettlementSheet {
        try await withinLimits(id, adjustments)
        try await sheets.resolve(id, note: note, adjustments: adjustments, actor: actor, at: clock.now, audit: audit)
        return try await published(id)
    }

    /// A correction by a new adjusting line with its reason (the sheet's own lines never change).
    public func adjust(_ id: Int64, line: SheetLine, actor: Actor, audit: AuditLine?) async throws -> SettlementSheet {
        try await withinLimits(id, [line])
        try await sheets.adjust(id, line: line, actor: actor, at: clock.now, audit: audit)
        return try await published(id)
    }

    /// The VAT invoice of a confirmed sheet was issued: its number and time.
    public func recordInvoice(_ id: Int64, number: String, issuedAt: Date, actor: Actor, audit: AuditLine?) async throws -> SettlementSheet {
        try await sheets.invoice(id, number: number, issuedAt: issuedAt, actor: actor, at: clock.now, audit: audit)
        return try await published(id)
    }

    /// A sheet; one of another agency than `agencyID` (when given) is not found.
    public func sheet(_ id: Int64, of agencyID: Int64? = nil) async throws -> SettlementSheet {
        guard let sheet = try await sheets.sheet(id: id), agencyID.map({ $0 == sheet.facts.agencyID }) ?? true else {
            throw NoSuchRecord("no settlement sheet \(id)")
        }
        return sheet
    }

    /// Sheets, newest first, `limit` of them before the id `before`.
    public func sheets(agencyID: Int64?, states: [SettlementSheet.State]?, before: Int64?, limit: Int) async throws -> [SettlementSheet] {
        try await sheets.list(agencyID: agencyID, states: states, before: before, limit: limit)
    }

    /// An agency's statement of the sheets confirmed in a period.
    public func statement(agency: Agency, from: CivilDate, through: CivilDate) async throws -> Statement {
        try await sheets.statement(agency: agency, from: from, through: through)
    }

    /// A sheet's total stays within what billing can add up.
    func withinLimits(_ id: Int64, _ adjustments: [SheetLine]) async throws {
        guard try await sheet(id).accepts(adjustments) else {
            throw Conflict("the sheet's total would pass \(BillingLimits.sheetTotalFen / 100) yuan either way: check the amounts")
        }
    }

    /// The sheet as it is now, on the live feed for its agency and the operator.
    private func published(_ id: Int64) async throws -> SettlementSheet {
        let sheet = try await sheet(id)
        publish(sheetID: id, bookingID: sheet.facts.bookingID, agencyID: sheet.facts.agencyID, state: sheet.state)
        return sheet
    }

    private func publish(sheetID: Int64, bookingID: Int64, agencyID: Int64, state: SettlementSheet.State) {
        feed.publish(FeedEvent(kind: .settlement, agencyID: agencyID, SheetEvent(sheetID: sheetID, bookingID: bookingID, state: state)))
    }

    // MARK: terms

    /// Every tariff version by vehicle class.
    public func tariffs() async throws -> TariffBook { try await terms.book() }

    /// A new version of a vehicle class's tariff from its day on.
    public func set(_ tariff: Tariff, by userID: Int64?, audit: AuditLine? = nil) async throws -> TariffBook {
        guard Set(tariff.packages.map(\.kind)).count == tariff.packages.count else {
            throw Refused(field: "packages", expected: "one package of each kind at most")
        }
        try await terms.set(tariff, by: userID, audit: audit)
        return try await terms.book()
    }

    /// An agency's terms (the framework agreement's until set).
    public func agreement(agencyID: Int64) async throws -> Agreement { try await terms.agreement(agencyID: agencyID) }

    public func set(_ agreement: Agreement, agencyID: Int64, by userID: Int64?, audit: AuditLine? = nil) async throws {
        do { try await terms.set(agreement, agencyID: agencyID, by: userID, audit: audit) } catch is NoSuchRecord {
            throw NoSuchRecord("no agency \(agencyID)")
        }
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
