import Domain

/// VAT rates by kind of line, in basis points: configuration, as docs/DOMAIN.md ("Prices and
/// invoices") asks. Hire with a driver is taxed as a transport service (9 %); a bare car rental
/// would be leasing (13 %). Kinds without a rate are not taxed by this invoice: tolls and parking
/// are passed through at cost against their own receipts, and meals and lodging are the official
/// standard the agency bears.
public struct VATRates: Sendable, Hashable, Codable {
    public var basisPoints: [FareLine.Kind: Int]

    public init(basisPoints: [FareLine.Kind: Int]) { self.basisPoints = basisPoints }

    /// Transport service at 9 % on everything the operator charges for the service itself.
    public static let transportService = VATRates(basisPoints: [
        .package: 900, .discount: 900, .overtime: 900, .overDistance: 900, .cancellation: 900, .adjustment: 900,
    ])

    public func rate(of kind: FareLine.Kind) -> Int { basisPoints[kind] ?? 0 }

    /// Rates written `kind=basisPoints,...`, e.g. `package=900,overtime=900,tolls=0` (kinds not
    /// named are not taxed).
    public init(parsing text: String) throws(InvalidRates) {
        var rates: [FareLine.Kind: Int] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.filter { !$0.isWhitespace }.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let kind = FareLine.Kind(rawValue: String(parts[0])), let points = Int(parts[1]), (0...10_000).contains(points)
            else { throw InvalidRates(entry: String(entry)) }
            rates[kind] = points
        }
        basisPoints = rates
    }

    public struct InvalidRates: Error, CustomStringConvertible {
        public var entry: String
        public var description: String {
            "VAT rate \"\(entry)\" is not kind=basisPoints (kinds: \(FareLine.Kind.allCases.map(\.rawValue).joined(separator: ", ")); 900 is 9 %)"
        }
    }
}

/// A settlement sheet's amounts as a VAT invoice shows them. Prices are tax-inclusive; the
/// invoice has one line per rate, whose amount before tax is the gross sum divided by
/// (1 + rate), rounded half up to the fen, and whose tax is the rest, so amount + tax is exactly
/// what the agency signed for. The sheet's lines are kept beside each rate's line, with the
/// same split, for the reader; the invoice's figures are the rate lines'.
///
/// The tax authority's tolerances (docs/DOMAIN.md, "Prices and invoices"): per line
/// |amount x rate - tax| <= 6 fen, and on one invoice the sum of those differences at most 127
/// fen. One rounding per rate keeps each difference under (1 + rate) / 2 fen, so both hold for
/// any sheet; `check()` says so.
public struct VATInvoice: Sendable, Hashable, Codable {
    public struct Split: Sendable, Hashable, Codable {
        public var grossFen: Int64
        public var netFen: Int64
        public var taxFen: Int64

        init(grossFen: Int64, basisPoints: Int) {
            self.grossFen = grossFen
            netFen = Rounding.halfUp(grossFen * 10_000, over: Int64(10_000 + basisPoints))
            taxFen = grossFen - netFen
        }
    }

    public struct Item: Sendable, Hashable, Codable {
        public var kind: FareLine.Kind
        public var detail: String
        public var split: Split
    }

    public struct RateLine: Sendable, Hashable, Codable {
        public var basisPoints: Int
        public var split: Split
        /// amount x rate - tax, in hundredths of a fen (the tolerance's quantity).
        public var differenceCentiFen: Int64
        /// The sheet's lines at this rate.
        public var items: [Item]

        init(basisPoints: Int, items: [Item]) {
            self.basisPoints = basisPoints
            self.items = items
            split = Split(grossFen: items.reduce(0) { $0 + $1.split.grossFen }, basisPoints: basisPoints)
            differenceCentiFen = split.netFen * Int64(basisPoints) / 100 - split.taxFen * 100
        }
    }

    public var lines: [RateLine]
    public var grossFen: Int64
    public var netFen: Int64
    public var taxFen: Int64

    /// The invoice for `lines` (a sheet's, adjusting lines included), lowest rate first.
    public init(lines: [SheetLine], rates: VATRates) {
        let byRate = Dictionary(grouping: lines) { rates.rate(of: $0.kind) }
        self.lines = byRate.keys.sorted().map { basisPoints in
            RateLine(
                basisPoints: basisPoints,
                items: byRate[basisPoints]!.map {
                    Item(kind: $0.kind, detail: $0.detail, split: Split(grossFen: $0.amountFen, basisPoints: basisPoints))
                })
        }
        grossFen = self.lines.reduce(0) { $0 + $1.split.grossFen }
        netFen = self.lines.reduce(0) { $0 + $1.split.netFen }
        taxFen = self.lines.reduce(0) { $0 + $1.split.taxFen }
    }

    /// A tolerance the invoice breaks.
    public enum Breach: Error, Sendable, Hashable {
        case line(basisPoints: Int, differenceCentiFen: Int64)
        case accumulated(differenceCentiFen: Int64)
    }

    /// The tolerances: 6 fen per line, 127 fen on the invoice.
    public func check() throws(Breach) {
        for line in lines where abs(line.differenceCentiFen) > 600 {
            throw .line(basisPoints: line.basisPoints, differenceCentiFen: line.differenceCentiFen)
        }
        let accumulated = lines.reduce(0) { $0 + $1.differenceCentiFen }
        guard abs(accumulated) <= 12_700 else { throw .accumulated(differenceCentiFen: accumulated) }
    }
}
