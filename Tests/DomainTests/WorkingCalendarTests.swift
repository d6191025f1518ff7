import Domain
import Testing

@Suite struct WorkingCalendarTests {
    let calendar = WorkingCalendar.china

    @Test func weekdaysHolidaysAndBridgingWeekends() {
        // Literal dates of the test: valid by reading.
        func day(_ text: String) -> CivilDate { CivilDate(text)! }
        #expect(day("1970-01-01").isoWeekday == 4 && day("2026-11-22").isoWeekday == 7 && day("2026-11-23").isoWeekday == 1)
        // An ordinary week, a Spring Festival weekday, the Saturday worked before it.
        #expect(calendar.isWorkingDay(day("2026-11-20")) && !calendar.isWorkingDay(day("2026-11-21")))
        #expect(!calendar.isWorkingDay(day("2026-02-16")) && calendar.isWorkingDay(day("2026-02-14")))
        // 3 working days after 30 September 2026: the holiday runs to 7 October; 8, 9 and the worked Saturday 10.
        #expect(calendar.workingDay(3, after: day("2026-09-30")) == day("2026-10-10"))
        // Over the 2025 Spring Festival: 27 January, then 5 and 6 February.
        #expect(calendar.workingDay(3, after: day("2025-01-26")) == day("2025-02-06"))
        #expect(calendar.isAnnounced(2026) && !calendar.isAnnounced(2027))
        // Not announced: weekends only.
        #expect(calendar.workingDay(1, after: day("2027-01-01")) == day("2027-01-04"))
    }

    /// The data as announced: holidays listed are weekdays, bridging days are weekends, and each
    /// year has its announced number of days off on weekdays (2025: 18, 2026: 19).
    /// What an administrator may set for a year: days of that year, working days on weekends,
    /// no day both; each fault named.
    @Test func aYearIsCheckedBeforeItIsKept() throws {
        func days(_ texts: [String]) -> Set<CivilDate> { Set(texts.compactMap { CivilDate($0) }) }
        for (year, data) in calendar.years { try data.check(year: year) }
        let good = WorkingCalendar.Year(source: "国务院办公厅通知", holidays: days(["2027-01-01"]), workingWeekends: days(["2027-01-02"]))
        try good.check(year: 2027)
        let refusals: [(WorkingCalendar.Year, String)] = [
            (WorkingCalendar.Year(source: "", holidays: [], workingWeekends: []), "source"),
            (WorkingCalendar.Year(source: "x", holidays: days(["2026-12-31"]), workingWeekends: []), "holidays"),
            (WorkingCalendar.Year(source: "x", holidays: [], workingWeekends: days(["2027-01-04"])), "workingWeekends"),
            (WorkingCalendar.Year(source: "x", holidays: days(["2027-01-02"]), workingWeekends: days(["2027-01-02"])), "workingWeekends"),
        ]
        for (arrangement, field) in refusals {
            do {
                try arrangement.check(year: 2027)
                Issue.record("\(arrangement) accepted")
            } catch { #expect(error.field == field, "\(error)") }
        }
    }

    @Test func theTablesAreConsistent() {
        for (year, data) in calendar.years {
            #expect(data.holidays.allSatisfy { $0.isoWeekday <= 5 && $0.year == year })
            #expect(data.workingWeekends.allSatisfy { $0.isoWeekday >= 6 && $0.year == year })
            #expect(!data.source.isEmpty)
        }
        #expect(calendar.years[2025]?.holidays.count == 18 && calendar.years[2026]?.holidays.count == 19)
        #expect(calendar.years[2025]?.workingWeekends.count == 5 && calendar.years[2026]?.workingWeekends.count == 6)
    }
}

@Suite struct InvoiceClockTests {
    @Test func anInvoiceIsDueOnTheThirdWorkingDayAcrossTheNationalDayHolidays() {
        let levels = ServiceLevels()
        // Confirmed Wednesday 2026-09-30 15:00: 1-7 October are off; Thursday 8, Friday 9 and
        // Saturday 10 October (a working Saturday) are the three working days.
        let confirmed = CivilDate(year: 2026, month: 9, day: 30)!.chinaMidnight + 15 * 3600
        #expect(levels.invoiceDue(confirmedAt: confirmed) == CivilDate(year: 2026, month: 10, day: 10))
        // Running on the 9th, at risk late on the due day, breached on the 11th.
        let dueEnd = CivilDate(year: 2026, month: 10, day: 11)!.chinaMidnight
        #expect(levels.invoiceClock(confirmedAt: confirmed, invoicedAt: nil, now: CivilDate(year: 2026, month: 10, day: 2)!.chinaMidnight).state == .running)
        #expect(levels.invoiceClock(confirmedAt: confirmed, invoicedAt: nil, now: dueEnd - 3600).state == .atRisk)
        #expect(levels.invoiceClock(confirmedAt: confirmed, invoicedAt: nil, now: dueEnd + 1).state == .breached)
        #expect(levels.invoiceClock(confirmedAt: confirmed, invoicedAt: dueEnd - 60, now: dueEnd + 86_400).state == .met)
    }
}
