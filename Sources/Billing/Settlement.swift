import Domain

/// Drawing up a sheet's lines from the trip's facts, by the agreement and the tariffs.
public struct SheetDrafter: Sendable {
    public var calculator: FareCalculator
    public var review: UsageReview

    public init(calculator: FareCalculator, review: UsageReview = UsageReview()) {
        self.calculator = calculator
        self.review = review
    }

    /// The lines and the driver's figures that need a dispatcher's review.
    public func draft(_ facts: TripFacts, at now: ChinaTime) throws(FareError) -> (lines: [SheetLine], flags: [UsageReview.Difference]) {
        if let cancelled = facts.cancellation {
            let fare = try calculator.cancellation(
                vehicleClass: facts.vehicleClass, pickupTime: facts.pickupTime.epochSeconds, cancelledAt: cancelled.at.epochSeconds,
                crewOnSite: cancelled.crewOnSite, transfer: facts.transfer
            )
            let evidence = "booked for \(facts.pickupTime), cancelled at \(cancelled.at)" + (cancelled.crewOnSite ? " with the crew on site" : "")
            return (
                fare.lines.map { SheetLine(kind: $0.kind, detail: $0.detail, amountFen: $0.amountFen, evidence: evidence, addedAt: now, by: "billing") }, []
            )
        }
        let usage = facts.usage
        let fare = try calculator.fare(usage, vehicleClass: facts.vehicleClass)
        let window = facts.window
        var time =
            "in service \(window.start.map(\.description) ?? "-") to \(window.end.map(\.description) ?? "-"), \(Self.duration(window.chargedSeconds)) charged"
        if window.gapSeconds > 0 { time += " (\(Self.duration(window.gapSeconds)) of replacement not charged)" }
        let distance = "\(Self.kilometres(facts.metres)) km by \(facts.distanceSource) of \(facts.plates.joined(separator: ", "))"
        let receipts = facts.receipts.isEmpty ? "no receipts" : "receipts \(facts.receipts.joined(separator: ", "))"
        let lines = fare.lines.map { line in
            let evidence =
                switch line.kind {
                case .package: "\(time); \(distance)"
                case .overtime, .meals, .lodging: time
                case .overDistance: distance
                case .discount: "framework agreement: \(calculator.agreement.discountBasisPoints) basis points"
                case .tolls, .parking: "at cost, \(receipts) (the driver's entries)"
                case .cancellation, .adjustment: ""
                }
            return SheetLine(kind: line.kind, detail: line.detail, amountFen: line.amountFen, evidence: evidence, addedAt: now, by: "billing")
        }
        return (lines, review.differences(system: usage, reportedMetres: facts.reportedMetres, reportedSeconds: facts.reportedSeconds))
    }

    static func duration(_ seconds: Int64) -> String { "\(seconds / 3600) h \(seconds / 60 % 60) min" }
    static func kilometres(_ metres: Int64) -> String { "\(metres / 1000).\(metres % 1000 / 100)" }
}
