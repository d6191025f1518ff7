import Billing
import Domain
import Foundation
import Logging
import PostgresNIO
import Store

/// A month's fleet assessment from the system's own records: the indicators measured, the
/// assessor's entries added, scored by the fleet scheme.
public struct MonthlyAssessment: Sendable {
    let bookings: Bookings
    let care: CustomerCare
    let incidents: AssessmentIncidents
    let records: ServiceRecords
    let outbox: Outbox
    let terms: ZonesAndCalendar
    /// The contract's total for the whole term, in fen: the monthly fee the assessment pays.
    public let contractTotalFen: Int64

    public init(client: PostgresClient, contractTotalFen: Int64, terms: ZonesAndCalendar, logger: Logger) {
        self.terms = terms
        bookings = Bookings(client: client, logger: logger)
        care = CustomerCare(client: client, logger: logger)
        incidents = AssessmentIncidents(client: client, logger: logger)
        records = ServiceRecords(client: client, logger: logger)
        outbox = Outbox(client: client, logger: logger)
        self.contractTotalFen = contractTotalFen
    }

    /// What the telematics and platform indicators were measured from.
    public struct ServiceFigures: Sendable, Encodable {
        /// Minutes the platform served, of the minutes of service in the period (from the first
        /// minute it ever served, to now).
        public var minutesServed = 0
        public var minutesOfService = 0
        /// Terminal-days with a report, of terminals bound to vehicles x days measured (the
        /// finished days of the period since service began).
        public var terminalDaysOnline = 0
        public var terminalDays = 0
        public var reports = 0
        public var reportsMissing = 0
    }

    public struct Report: Sendable, Encodable {
        public var month: String
        public var from: Date
        public var to: Date
        public var assessment: Assessment
        /// Item id -> the bookings (or complaints) that cost its points.
        public var evidence: [String: [Int64]]
        /// Items with nothing to measure in the month (or not measured by the system yet): no points off.
        public var unmeasured: [String]
        /// The assessor's entries, added to the counts measured.
        public var manual: [AssessmentEntry]
        public var service: ServiceFigures
    }

    public var scheme: AssessmentScheme { scheme(.fleet) }

    /// The schemes a month is scored by: the fleet's own, and the two contracts' presets of
    /// docs/DOMAIN.md, each fed with what the fleet measures of its items.
    public enum SchemeName: String, Sendable, CaseIterable {
        case fleet, deduction, kpi
    }

    public func scheme(_ name: SchemeName) -> AssessmentScheme {
        switch name {
        case .fleet: .fleetPreset(contractTotalFen: contractTotalFen)
        case .deduction: .deductionPreset(contractPriceFen: contractTotalFen)
        case .kpi: .kpiPreset(contractTotalFen: contractTotalFen)
        }
    }

    /// The assessor's entry for an item counted per incident (a deduction or a bonus) of any of
    /// the schemes, with the reason; a negative count corrects an earlier entry.
    public func enter(month first: CivilDate, itemID: String, count: Int, reason: String, by userID: Int64?, audit: AuditLine?) async throws -> Int64 {
        let countable = Array(
            Set(
                SchemeName.allCases.flatMap { scheme($0).sections.flatMap(\.items) }.filter { if case .perIncident = $0.rule { true } else { false } }.map(\.id)
            )
        ).sorted()
        guard countable.contains(itemID) else { throw Refused(field: "itemID", expected: "one of \(countable.joined(separator: ", "))") }
        guard count != 0 else { throw Refused(field: "count", expected: "not 0 (a negative count corrects an earlier entry)") }
        return try await incidents.enter(month: first, itemID: itemID, count: count, reason: reason, by: userID) { _ in audit }
    }

    /// The month beginning on `first` (China time), as of `now`, scored by `name`'s scheme.
    public func report(month first: CivilDate, scheme name: SchemeName = .fleet, now: Date) async throws -> Report {
        let next = first.nextMonth
        let from = Date(timeIntervalSince1970: TimeInterval(first.chinaMidnight)), to = Date(timeIntervalSince1970: TimeInterval(next.chinaMidnight))
        // Every booking and complaint whose clocks may run in the month, however early received.
        let active = try await bookings.active(from: from, to: to)
        let complaints = try await care.complaints(from: from, to: to)
        let callbacks = try await care.callbacks(bookingIDs: active.map(\.id))
        let indicators = FleetIndicators(bookings: active, complaints: complaints, callbacks: callbacks, from: from, to: to, now: now, terms: terms)
        var observed = indicators.measurements
        let service = try await serviceFigures(first: first, next: next, now: now)
        if service.minutesOfService > 0 {
            observed["platformAvailability"] = .rate(min(10_000, service.minutesServed * 10_000 / service.minutesOfService))
        }
        if service.terminalDays > 0 { observed["terminalOnline"] = .rate(min(10_000, service.terminalDaysOnline * 10_000 / service.terminalDays)) }
        if service.reports + service.reportsMissing > 0 {
            observed["positionCompleteness"] = .rate(service.reports * 10_000 / (service.reports + service.reportsMissing))
        }
        // The items the fleet measures, named as the scheme names them.
        let substantiated = complaints.filter { $0.substantiated == true && $0.resolvedAt.map { (from..<to).contains($0) } ?? false }.map(\.id)
        let (named, evidence) = Self.measured(by: name, fleet: observed, evidence: indicators.evidence, substantiatedComplaints: substantiated)
        observed = named
        if name == .kpi {
            let sms = try await outbox.smsOutcomes(from: from, to: to)
            if sms.delivered + sms.failed > 0 { observed["sms"] = .rate(sms.delivered * 10_000 / (sms.delivered + sms.failed)) }
        }
        let chosen = scheme(name)
        let items = Set(chosen.sections.flatMap(\.items).map(\.id))
        let manual = try await incidents.entries(month: first).filter { items.contains($0.itemID) }
        for entry in manual {
            let counted = if case .incidents(let n) = observed[entry.itemID] { n } else { 0 }
            observed[entry.itemID] = .incidents(counted + entry.count)
        }
        let unmeasured = chosen.sections.flatMap(\.items).map(\.id).filter { observed[$0] == nil }
        return Report(
            month: String(first.description.prefix(7)), from: from, to: to, assessment: Assessor.assess(chosen, observed), evidence: evidence,
            unmeasured: unmeasured, manual: manual, service: service
        )
    }

    /// The fleet's measurements as a contract preset names its items: the deduction scheme's "not
    /// on site in time" (each on-site clock breached) and "justified complaint" (each complaint
    /// resolved as substantiated); the KPI scheme's system availability and satisfaction (and its
    /// SMS delivery, from the outbox). What the fleet does not measure (attendance, uniforms,
    /// answer rate, staff turnover) the assessor enters.
    static func measured(
        by name: SchemeName, fleet: [String: Observation], evidence: [String: [Int64]], substantiatedComplaints: [Int64]
    ) -> ([String: Observation], [String: [Int64]]) {
        var observed: [String: Observation] = [:], shown: [String: [Int64]] = [:]
        switch name {
        case .fleet: return (fleet, evidence)
        case .deduction:
            if fleet["onTime"] != nil {
                let late = evidence["onTime"] ?? []
                (observed["lateArrival"], shown["lateArrival"]) = (.incidents(late.count), late)
            }
            (observed["complaint"], shown["complaint"]) = (.incidents(substantiatedComplaints.count), substantiatedComplaints)
        case .kpi:
            observed["availability"] = fleet["platformAvailability"]
            (observed["satisfaction"], shown["satisfaction"]) = (fleet["satisfaction"], evidence["satisfaction"])
        }
        return (observed, shown)
    }

    /// The platform's minutes and the terminals' days of the month beginning on `first`, as of
    /// `now`: service counts from the first minute the platform ever served.
    func serviceFigures(first: CivilDate, next: CivilDate, now: Date) async throws -> ServiceFigures {
        var figures = ServiceFigures()
        let from = Date(timeIntervalSince1970: TimeInterval(first.chinaMidnight)), to = Date(timeIntervalSince1970: TimeInterval(next.chinaMidnight))
        let firstEver = try await records.minutesServed(from: from, to: to).firstEver
        guard let firstEver else { return figures }
        let start = max(from, firstEver), end = min(to, Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60))
        guard end > start else { return figures }
        figures.minutesServed = try await records.minutesServed(from: start, to: end).served
        figures.minutesOfService = Int(end.timeIntervalSince(start) / 60)
        // Days are measured once they are over and rolled up: through yesterday.
        let firstDay = CivilDate(chinaDayOf: start.epochSeconds), lastDay = CivilDate(chinaDayOf: end.epochSeconds - 1)
        let today = CivilDate(chinaDayOf: now.epochSeconds)
        let through = min(lastDay, CivilDate(daysSince1970: today.daysSince1970 - 1))
        guard through >= firstDay else { return figures }
        let days = try await records.terminalDays(from: firstDay, through: through)
        figures.terminalDaysOnline = days.online
        figures.terminalDays = days.terminals * Int(through.daysSince1970 - firstDay.daysSince1970 + 1)
        (figures.reports, figures.reportsMissing) = (days.reports, days.missing)
        return figures
    }
}
