/// The time a trip is charged for: from the start of service to completion, less any time the
/// service stood still because the operator's crew broke down (the agency pays once, and not for
/// the operator's replacement). Each segment is one crew's vehicle in service.
public struct ServiceWindow: Sendable, Hashable, Codable {
    public struct Segment: Sendable, Hashable, Codable {
        public var vehicleID: Int64
        public var start: ChinaTime
        public var end: ChinaTime
        public init(vehicleID: Int64, start: ChinaTime, end: ChinaTime) { (self.vehicleID, self.start, self.end) = (vehicleID, start, end) }
    }

    /// What a booking's transitions mean for the window, in order.
    public enum Mark: Sendable, Hashable {
        /// A crew was matched: the vehicle that serves from the next start.
        case crew(vehicleID: Int64)
        case serviceStarts
        /// Broken down or in an accident: the segment ends here.
        case interrupted
        case completed
    }

    public var segments: [Segment]

    public init(segments: [Segment]) { self.segments = segments }

    public init(marks: [(mark: Mark, at: Int64)]) {
        var vehicle: Int64?, started: Int64?
        var segments: [Segment] = []
        for (mark, at) in marks {
            switch mark {
            case .crew(let id): vehicle = id
            case .serviceStarts: started = started ?? at
            case .interrupted, .completed:
                if let start = started, let vehicle { segments.append(Segment(vehicleID: vehicle, start: ChinaTime(start), end: ChinaTime(at))) }
                started = nil
            }
        }
        self.segments = segments
    }

    public var start: ChinaTime? { segments.first?.start }
    public var end: ChinaTime? { segments.last?.end }
    public var chargedSeconds: Int64 { segments.reduce(0) { $0 + $1.end.epochSeconds - $1.start.epochSeconds } }
    /// The time between segments: the replacement, not charged.
    public var gapSeconds: Int64 {
        guard let start, let end else { return 0 }
        return end.epochSeconds - start.epochSeconds - chargedSeconds
    }
}

/// One line of a settlement sheet: a fare line with what it rests on. Lines are never changed
/// once written; a correction is a new adjusting line with its reason.
public struct SheetLine: Sendable, Hashable, Codable {
    public var kind: FareLine.Kind
    public var detail: String
    public var amountFen: Int64
    /// What the figure rests on: the service window, the track's distance, the receipts.
    public var evidence: String
    public var adjusting: Bool
    public var reason: String?
    public var addedAt: ChinaTime
    public var by: String

    public init(
        kind: FareLine.Kind, detail: String, amountFen: Int64, evidence: String, adjusting: Bool = false, reason: String? = nil, addedAt: ChinaTime, by: String
    ) {
        (self.kind, self.detail, self.amountFen, self.evidence) = (kind, detail, amountFen, evidence)
        (self.adjusting, self.reason, self.addedAt, self.by) = (adjusting, reason, addedAt, by)
    }
}

/// What the system knows of a finished (or cancelled) booking when its sheet is drawn up.
public struct TripFacts: Sendable, Hashable, Codable {
    public struct Cancellation: Sendable, Hashable, Codable {
        public var at: ChinaTime
        public var crewOnSite: Bool
        public init(at: ChinaTime, crewOnSite: Bool) { (self.at, self.crewOnSite) = (at, crewOnSite) }
    }

    public var bookingID: Int64
    public var agencyID: Int64
    public var vehicleClass: VehicleClass
    public var pickupTime: ChinaTime
    public var pickupAddress: String
    public var destinationAddress: String
    /// Plates and drivers' names of the crews that served, in order.
    public var plates: [String]
    public var drivers: [String]
    public var window: ServiceWindow
    /// Distance in service, summed over the window's segments, and where it came from
    /// ("odometer", "track", or both).
    public var metres: Int64
    public var distanceSource: String
    public var tollsFen: Int64
    public var parkingFen: Int64
    public var receipts: [String]
    /// The driver's own figures, checked against the system's.
    public var reportedMetres: Int64?
    public var reportedSeconds: Int64?
    public var cancellation: Cancellation?
    /// Booked as a city transfer, priced per trip.
    public var transfer: Bool

    public init(
        bookingID: Int64, agencyID: Int64, vehicleClass: VehicleClass, pickupTime: ChinaTime, pickupAddress: String, destinationAddress: String,
        plates: [String], drivers: [String], window: ServiceWindow, metres: Int64, distanceSource: String, tollsFen: Int64, parkingFen: Int64,
        receipts: [String], reportedMetres: Int64? = nil, reportedSeconds: Int64? = nil, cancellation: Cancellation? = nil, transfer: Bool = false
    ) {
        self.transfer = transfer
        (self.bookingID, self.agencyID, self.vehicleClass, self.pickupTime) = (bookingID, agencyID, vehicleClass, pickupTime)
        (self.pickupAddress, self.destinationAddress, self.plates, self.drivers) = (pickupAddress, destinationAddress, plates, drivers)
        (self.window, self.metres, self.distanceSource, self.tollsFen, self.parkingFen) = (window, metres, distanceSource, tollsFen, parkingFen)
        (self.receipts, self.reportedMetres, self.reportedSeconds, self.cancellation) = (receipts, reportedMetres, reportedSeconds, cancellation)
    }

    /// The usage the fare is computed from. Meals and lodging: a trip whose service covers
    /// more than one China calendar day pays the driver's meals for each day and lodging for
    /// each night between.
    public var usage: TripUsage {
        let start = window.start?.epochSeconds ?? pickupTime.epochSeconds
        let end = start + window.chargedSeconds
        let days = window.start.map { window.end!.day.daysSince1970 - $0.day.daysSince1970 + 1 } ?? 1
        return TripUsage(
            start: start, end: end, metres: metres, tollsFen: tollsFen, parkingFen: parkingFen,
            mealDays: days > 1 ? Int(days) : 0, lodgingNights: days > 1 ? Int(days - 1) : 0, transfer: transfer
        )
    }
}

/// A trip's settlement sheet: its lines with their evidence, the agency contact's signature,
/// disputes and their resolutions, the invoice. Drawn up by the system from its own records.
public struct SettlementSheet: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// The driver's figures differ from the system's: a dispatcher looks before the agency signs.
        case review
        /// Waiting for the agency contact's signature.
        case issued
        /// The agency contests it: a dispatcher resolves it.
        case disputed
        /// Signed: never changed again, only corrected by adjusting lines.
        case confirmed
        /// Nothing is due (a booking cancelled in time): kept so that it is not drawn up again.
        case void
    }

    /// What people do to a sheet once it is drawn up. Each is allowed from some states and
    /// leads to one: the sheet's lifecycle, whatever stores it.
    public enum Action: Sendable, Hashable, CaseIterable {
        /// The agency contact signs: confirmed, never changed again.
        case sign
        /// The agency contests it.
        case dispute
        /// A dispatcher settles a dispute or a flagged difference: back to the agency.
        case resolve
        /// A correction by an adjusting line (the sheet's own lines stay).
        case adjust
        /// The VAT invoice of a confirmed sheet was issued.
        case invoice

        /// The states it is allowed from.
        public var allowed: [State] {
            switch self {
            case .sign, .dispute: [.issued]
            case .resolve: [.disputed, .review]
            case .adjust: [.issued, .confirmed]
            case .invoice: [.confirmed]
            }
        }

        /// As the sheet's history names it.
        public var event: String {
            switch self {
            case .sign: "confirmed"
            case .dispute: "disputed"
            case .resolve: "resolved"
            case .adjust: "adjusted"
            case .invoice: "invoiced"
            }
        }

        /// As a refusal says it: "cannot be signed".
        public var participle: String { self == .sign ? "signed" : event }
    }

    /// An action the sheet's state does not allow, e.g. signing a disputed sheet.
    public struct StateConflict: Error, Sendable, Hashable, CustomStringConvertible {
        public var state: State
        public var action: String
        public var allowed: [State]
        public init(state: State, action: String, allowed: [State]) { (self.state, self.action, self.allowed) = (state, action, allowed) }
        public var description: String {
            "a sheet that is \(state.rawValue) cannot be \(action); only one that is \(allowed.map(\.rawValue).joined(separator: " or ")) can"
        }
    }

    /// One step in the sheet's history.
    public struct Event: Sendable, Hashable, Codable {
        public var at: ChinaTime
        public var kind: String
        public var by: String
        public var note: String
        public init(at: ChinaTime, kind: String, by: String, note: String) { (self.at, self.kind, self.by, self.note) = (at, kind, by, note) }
    }

    public struct Invoice: Sendable, Hashable, Codable {
        public var number: String
        public var issuedAt: ChinaTime
        public init(number: String, issuedAt: ChinaTime) { (self.number, self.issuedAt) = (number, issuedAt) }
    }

    public var id: Int64
    public var facts: TripFacts
    public var state: State
    public var flags: [UsageReview.Difference]
    public private(set) var lines: [SheetLine]
    public private(set) var totalFen: Int64
    public var issuedAt: ChinaTime
    public var confirmedAt: ChinaTime?
    public var confirmedBy: String?
    /// 3 working days after confirmation.
    public var invoiceDue: CivilDate?
    public var invoice: Invoice?
    public var history: [Event]

    public init(
        id: Int64, facts: TripFacts, state: State, flags: [UsageReview.Difference], lines: [SheetLine], issuedAt: ChinaTime, confirmedAt: ChinaTime? = nil,
        confirmedBy: String? = nil, invoiceDue: CivilDate? = nil, invoice: Invoice? = nil, history: [Event] = []
    ) {
        (self.id, self.facts, self.state, self.flags, self.lines) = (id, facts, state, flags, lines)
        totalFen = lines.reduce(0) { $0 + $1.amountFen }
        (self.issuedAt, self.confirmedAt, self.confirmedBy, self.invoiceDue, self.invoice, self.history) = (
            issuedAt, confirmedAt, confirmedBy, invoiceDue, invoice, history
        )
    }

    /// Whether correcting the sheet by `adjustments` keeps each line within
    /// `BillingLimits.lineFen` and the total within `BillingLimits.sheetTotalFen`, so that no
    /// sum over sheets and statements can overflow.
    public func accepts(_ adjustments: [SheetLine]) -> Bool {
        let line = -BillingLimits.lineFen...BillingLimits.lineFen, total = -BillingLimits.sheetTotalFen...BillingLimits.sheetTotalFen
        guard adjustments.count <= 1_000, adjustments.allSatisfy({ line.contains($0.amountFen) }) else { return false }
        return total.contains(adjustments.reduce(totalFen) { $0 + $1.amountFen })
    }

    /// The sheet as it stood at `instant`: the lines written before it.
    public func asOf(_ instant: ChinaTime) -> SettlementSheet {
        var sheet = self
        sheet.lines = lines.filter { $0.addedAt < instant }
        sheet.totalFen = sheet.lines.reduce(0) { $0 + $1.amountFen }
        return sheet
    }
}

extension SettlementSheet.State {
    /// The state `action` leads to from this one, or why it is not allowed here.
    public func after(_ action: SettlementSheet.Action) throws(SettlementSheet.StateConflict) -> Self {
        guard action.allowed.contains(self) else { throw SettlementSheet.StateConflict(state: self, action: action.participle, allowed: action.allowed) }
        switch action {
        case .sign: return .confirmed
        case .dispute: return .disputed
        case .resolve: return .issued
        case .adjust, .invoice: return self
        }
    }
}
