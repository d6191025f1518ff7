/// China's working days: Monday to Friday, except the public holidays, plus the weekend days
/// made working days to bridge them (调休), as the State Council's General Office announces them
/// each November for the next year. Invoices (3 working days) and complaint results (3 working
/// days) are due by it.
public struct WorkingCalendar: Sendable, Hashable {
    /// One year's announcement: the days off that would be working days, and the weekend days
    /// that are working days.
    public struct Year: Sendable, Hashable {
        public var source: String
        public var holidays: Set<CivilDate>
        public var workingWeekends: Set<CivilDate>

        public init(source: String, holidays: Set<CivilDate>, workingWeekends: Set<CivilDate>) {
            (self.source, self.holidays, self.workingWeekends) = (source, holidays, workingWeekends)
        }

        /// What an administrator may set for `year`: its source named (1 to 500 characters),
        /// every day within the year, the working days Saturdays or Sundays (a weekday is one
        /// anyway), and no day both off and working.
        public func check(year: Int) throws(Refused) {
            guard (1...500).contains(source.count) else { throw Refused(field: "source", expected: "the announcement it follows, 1 to 500 characters") }
            for (field, days) in [("holidays", holidays), ("workingWeekends", workingWeekends)] {
                if let stray = days.sorted().first(where: { $0.year != year }) {
                    throw Refused(field: field, expected: "days of \(year) (\(stray) is not)")
                }
            }
            if let weekday = workingWeekends.sorted().first(where: { $0.isoWeekday <= 5 }) {
                throw Refused(field: "workingWeekends", expected: "Saturdays and Sundays made working days (\(weekday) is a weekday)")
            }
            if let both = holidays.intersection(workingWeekends).sorted().first {
                throw Refused(field: "workingWeekends", expected: "no day both a holiday and a working day (\(both) is in both)")
            }
        }
    }

    public var years: [Int: Year]

    public init(years: [Int: Year]) { self.years = years }

    /// Whether the year's arrangement is known; for a year not yet announced, only weekends
    /// are days off and results are provisional (the API says so with the year, and billing
    /// logs a warning for an invoice due in such a year).
    public func isAnnounced(_ year: Int) -> Bool { years[year] != nil }

    public func isWorkingDay(_ day: CivilDate) -> Bool {
        if let year = years[day.year] {
            if year.holidays.contains(day) { return false }
            if year.workingWeekends.contains(day) { return true }
        }
        return day.isoWeekday <= 5
    }

    /// The `count`-th working day after `day` (not counting `day` itself).
    public func workingDay(_ count: Int, after day: CivilDate) -> CivilDate {
        var date = day, left = count
        while left > 0 {
            date = CivilDate(daysSince1970: date.daysSince1970 + 1)
            if isWorkingDay(date) { left -= 1 }
        }
        return date
    }

    /// Mainland China as announced for 2025 and 2026: the seed of migration 0018, which holds
    /// the same days; at run time the calendar is the database's (`ZonesAndCalendar`), and an
    /// administrator adds each later year (2027's as the State Council announces it) through
    /// `PUT /api/v1/calendar/{year}`. Until then a year counts weekends only.
    public static let china = WorkingCalendar(years: [
        2025: Year(
            source: "国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12)",
            holidays: days(
                2025,
                [
                    "01-01", "01-28", "01-29", "01-30", "01-31", "02-03", "02-04", "04-04", "05-01", "05-02", "05-05", "06-02",
                    "10-01", "10-02", "10-03", "10-06", "10-07", "10-08",
                ]),
            workingWeekends: days(2025, ["01-26", "02-08", "04-27", "09-28", "10-11"])
        ),
        2026: Year(
            source: "国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)",
            holidays: days(
                2026,
                [
                    "01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06", "05-01", "05-04", "05-05",
                    "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07",
                ]),
            workingWeekends: days(2026, ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"])
        ),
    ])

    /// The weekdays an announcement gives off are listed (its weekend days are off anyway).
    static func days(_ year: Int, _ monthDays: [String]) -> Set<CivilDate> {
        Set(monthDays.compactMap { CivilDate("\(year)-\($0)") })
    }
}

extension CivilDate {
    /// Monday = 1 ... Sunday = 7 (1970-01-01 was a Thursday).
    public var isoWeekday: Int {
        let sinceMonday = daysSince1970 + 3
        return Int(sinceMonday - Self.floorDivide(sinceMonday, 7) * 7) + 1
    }
}
