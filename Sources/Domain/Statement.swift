/// An agency's statement for a period: the trips whose sheets were confirmed in it (each with
/// the lines written before the period ended), the corrections written in the period to sheets
/// confirmed before it, and the totals by kind. Made only of stored data, in a fixed order, so
/// the same period gives the same bytes in every format.
public struct Statement: Sendable, Hashable, Codable {
    /// A correction to a sheet of an earlier period.
    public struct LateAdjustment: Sendable, Hashable, Codable {
        public var sheetID: Int64
        public var bookingID: Int64
        public var line: SheetLine
        public init(sheetID: Int64, bookingID: Int64, line: SheetLine) { (self.sheetID, self.bookingID, self.line) = (sheetID, bookingID, line) }
    }

    public struct Total: Sendable, Hashable, Codable {
        public var kind: FareLine.Kind
        public var amountFen: Int64
    }

    public var agency: Agency
    public var from: CivilDate
    /// The last day, included.
    public var through: CivilDate
    public var sheets: [SettlementSheet]
    public var lateAdjustments: [LateAdjustment]
    /// By kind, in the order of `FareLine.Kind`; kinds with nothing are left out.
    public var totals: [Total]
    public var trips: Int
    public var totalFen: Int64
    /// Of the total, what has been invoiced.
    public var invoicedFen: Int64

    public init(agency: Agency, from: CivilDate, through: CivilDate, sheets: [SettlementSheet], lateAdjustments: [LateAdjustment]) {
        (self.agency, self.from, self.through, self.sheets, self.lateAdjustments) = (agency, from, through, sheets, lateAdjustments)
        var byKind: [FareLine.Kind: Int64] = [:]
        for line in sheets.flatMap(\.lines) + lateAdjustments.map(\.line) { byKind[line.kind, default: 0] += line.amountFen }
        totals = FareLine.Kind.allCases.compactMap { kind in byKind[kind].map { Total(kind: kind, amountFen: $0) } }
        trips = sheets.count
        totalFen = totals.reduce(0) { $0 + $1.amountFen }
        invoicedFen = sheets.filter { $0.invoice != nil }.reduce(0) { $0 + $1.totalFen }
    }
}
