import Foundation
import JT808
import Testing

@testable import GNSSTerminal

/// The blind-zone store on a real file system: what it holds survives reopening, a torn tail and
/// compaction; its bound drops the oldest and counts them.
@Suite struct ReportJournalTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func report(_ second: Int64) -> LocationReport {
        GNSSFix(time: 1_790_000_000 + second, mode: .threeDimensional, latitude: 30 + Double(second) / 1e4, longitude: 120, speed: 10, track: 90)
            .report(mileageMeters: Double(second) * 10)
    }

    @Test func pendingReportsSurviveReopeningAndAcknowledgedOnesDoNot() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let journal = try ReportJournal(directory: dir, capacity: 100)
            for s in 0..<10 { try journal.append(Self.report(Int64(s)), odometer: Double(s) * 10) }
            try journal.acknowledge([1, 2, 3, 7])
            #expect(journal.pendingCount == 6)
        }
        let reopened = try ReportJournal(directory: dir, capacity: 100)
        #expect(reopened.pending.map(\.sequence) == [4, 5, 6, 8, 9, 10])
        #expect(reopened.pending.map(\.report) == [3, 4, 5, 7, 8, 9].map { Self.report($0) })
        #expect(reopened.odometer == 90)
        #expect(reopened.nextSequence == 11, "sequence numbers are never reused")
        #expect(reopened.pending(after: 6, limit: 2).map(\.sequence) == [8, 9])
    }

    @Test func aFullStoreDropsTheOldestAndCountsThem() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let journal = try ReportJournal(directory: dir, capacity: 3)
            for s in 0..<5 { try journal.append(Self.report(Int64(s)), odometer: 0) }
            #expect(journal.pending.map(\.sequence) == [3, 4, 5])
            #expect(journal.dropped == 2)
        }
        let reopened = try ReportJournal(directory: dir, capacity: 3)
        #expect(reopened.pending.map(\.sequence) == [3, 4, 5] && reopened.dropped == 2)
    }

    @Test func aRecordTornByACrashIsCutOffAndTheRestKept() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url: URL
        do {
            let journal = try ReportJournal(directory: dir, capacity: 10)
            for s in 0..<3 { try journal.append(Self.report(Int64(s)), odometer: 0) }
            url = journal.url
        }
        var bytes = try Data(contentsOf: url)
        let whole = bytes.count
        bytes.removeLast(7)  // the last record, half written
        try bytes.write(to: url)
        do {
            let journal = try ReportJournal(directory: dir, capacity: 10)
            #expect(journal.pending.map(\.sequence) == [1, 2])
            try journal.append(Self.report(9), odometer: 0)
        }
        let reopened = try ReportJournal(directory: dir, capacity: 10)
        #expect(reopened.pending.map(\.sequence) == [1, 2, 3], "the torn record was cut before appending")
        #expect(try Data(contentsOf: url).count == whole)
        // A flipped bit in the body fails the checksum: that record and what follows are cut.
        var corrupt = try Data(contentsOf: url)
        corrupt[corrupt.count - 10] ^= 0x40
        try corrupt.write(to: url)
        #expect(try ReportJournal(directory: dir, capacity: 10).pending.map(\.sequence) == [1, 2])
    }

    @Test func compactionKeepsPendingReportsTheOdometerAndTheDropCount() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try ReportJournal(directory: dir, capacity: 5000)
        for s in 0..<5100 { try journal.append(Self.report(Int64(s)), odometer: Double(s)) }
        let sizeBefore = try Data(contentsOf: journal.url).count
        // Everything but the last 10 acknowledged: the file is rewritten with those 10 only.
        try journal.acknowledge(Array(101...5090))
        #expect(try Data(contentsOf: journal.url).count < sizeBefore / 100)
        let reopened = try ReportJournal(directory: dir, capacity: 5000)
        #expect(reopened.pending.map(\.sequence) == Array(5091...5100))
        #expect(reopened.dropped == 100 && reopened.odometer == 5099 && reopened.nextSequence == 5101)
    }

    @Test func aFileThatIsNoJournalIsRefusedWithAClearError() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not a journal".utf8).write(to: dir.appendingPathComponent("reports.journal"))
        #expect {
            _ = try ReportJournal(directory: dir, capacity: 10)
        } throws: { error in
            guard case .notAJournal = error as? ReportJournal.Failure else { return false }
            return "\(error)".contains("move it away")
        }
    }
}
