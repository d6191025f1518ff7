import Foundation
import JT808

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a terminal has reported and the platform has not yet acknowledged, on disk: the
/// blind-zone store. Every report is written here before it is sent, and forgotten only when its
/// acknowledgement arrives, so nothing unacknowledged is lost when the server is unreachable or
/// the process restarts, and nothing acknowledged is sent again.
///
/// One append-only file of checksummed records (a report with the odometer reading it carried,
/// an acknowledgement, a drop, a checkpoint). Opening replays it; a record torn by a crash at the
/// tail is cut off. When acknowledged records outweigh pending ones the file is rewritten with
/// only the pending ones (written aside, synced, renamed over).
///
/// Writes reach the kernel at once (a killed process loses nothing); `sync()` makes them
/// survive a power cut, and the caller decides how often (gps808: once a second), because flash
/// storage in a vehicle box wears with every sync.
///
/// The store is bounded: beyond `capacity` pending reports the oldest is dropped and counted.
public final class ReportJournal {
    public struct Entry: Sendable, Equatable {
        public var sequence: UInt64
        public var report: LocationReport
    }

    public enum Failure: Error, CustomStringConvertible {
        case cannotOpen(path: String, errno: Int32)
        case cannotWrite(path: String, errno: Int32)
        case notAJournal(path: String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let e):
                "cannot open the report journal \(path): \(String(cString: strerror(e))); check the state folder exists and is writable"
            case .cannotWrite(let path, let e): "cannot write the report journal \(path): \(String(cString: strerror(e))); is the disk full?"
            case .notAJournal(let path): "\(path) is not a gps808 report journal; move it away or choose another state folder"
            }
        }
    }

    /// Reports not yet acknowledged, oldest first, by sequence number: acknowledged ones become
    /// nil and the front is cut off as it empties, so acknowledging costs a binary search, not a
    /// shift of the whole backlog.
    private var sequences: [UInt64] = []
    private var reports: [LocationReport?] = []
    private var head = 0
    /// How many reports are pending.
    public private(set) var pendingCount = 0
    /// Reports dropped because the store was full, since the journal was created.
    public private(set) var dropped: UInt64 = 0
    /// The odometer reading (metres) of the newest report ever written: it survives restarts.
    public private(set) var odometer: Double = 0
    public let capacity: Int
    public let url: URL

    /// The sequence number the next report gets: every pending report has a lower one.
    public private(set) var nextSequence: UInt64 = 1
    private var fd: Int32 = -1
    /// Records in the file that no longer describe a pending report.
    private var deadRecords = 0
    private var unsynced = false

    static let magic: [UInt8] = Array("GPS808J1".utf8)
    enum Kind: UInt8 { case report = 1, acknowledged = 2, dropped = 3, checkpoint = 4 }

    public init(directory: URL, capacity: Int) throws(Failure) {
        self.capacity = max(1, capacity)
        url = directory.appendingPathComponent("reports.journal")
        try open()
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Writes a report; returns its sequence number. A full store drops its oldest report first.
    @discardableResult
    public func append(_ report: LocationReport, odometer: Double) throws(Failure) -> UInt64 {
        if pendingCount >= capacity {
            try write(.dropped, sequences[head])  // head is the oldest pending report
            remove(at: head)
            dropped += 1
            deadRecords += 2
        }
        let sequence = nextSequence
        nextSequence += 1
        var payload = withUnsafeBytes(of: odometer.bitPattern.littleEndian, Array.init)
        payload += Message.location(report).encodeBody(version: .v2013)
        try write(.report, sequence, payload)
        sequences.append(sequence)
        reports.append(report)
        pendingCount += 1
        self.odometer = odometer
        return sequence
    }

    /// Forgets acknowledged reports (unknown sequence numbers are ignored: acknowledged twice).
    public func acknowledge(_ acknowledged: [UInt64]) throws(Failure) {
        for sequence in acknowledged {
            guard let i = index(of: sequence) else { continue }
            try write(.acknowledged, sequence)
            remove(at: i)
            deadRecords += 2
        }
        if deadRecords > 4096 && deadRecords > 2 * pendingCount { try compact() }
    }

    /// Up to `limit` pending reports with a sequence number above `sequence`, oldest first.
    public func pending(after sequence: UInt64, limit: Int = .max) -> [Entry] {
        var i = firstIndex(above: sequence)
        var found: [Entry] = []
        while i < sequences.count && found.count < limit {
            if let report = reports[i] { found.append(Entry(sequence: sequences[i], report: report)) }
            i += 1
        }
        return found
    }

    /// Every pending report, oldest first.
    public var pending: [Entry] { pending(after: 0) }

    private func firstIndex(above sequence: UInt64) -> Int {
        var low = head, high = sequences.count
        while low < high {
            let mid = (low + high) / 2
            if sequences[mid] <= sequence { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func index(of sequence: UInt64) -> Int? {
        guard sequence > 0 else { return nil }
        let i = firstIndex(above: sequence - 1)
        return i < sequences.count && sequences[i] == sequence && reports[i] != nil ? i : nil
    }

    private func remove(at i: Int) {
        reports[i] = nil
        pendingCount -= 1
        while head < reports.count && reports[head] == nil { head += 1 }
        if head > 1024 && head > sequences.count / 2 {
            sequences.removeFirst(head)
            reports.removeFirst(head)
            head = 0
        }
    }

    /// Makes what was written survive a power cut.
    public func sync() {
        guard unsynced else { return }
        fsync(fd)
        unsynced = false
    }

    // MARK: file

    private func open() throws(Failure) {
        let path = url.path
        let data = (try? Data(contentsOf: url)) ?? Data()
        var valid = 0
        if data.isEmpty {
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
            try writeAll(Self.magic)
            return
        }
        guard data.count >= Self.magic.count, Array(data.prefix(Self.magic.count)) == Self.magic else { throw .notAJournal(path: path) }
        valid = replay([UInt8](data))
        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        if valid < data.count { ftruncate(fd, off_t(valid)) }  // a record torn by a crash
    }

    /// Rebuilds the state from the records; returns where the valid records end.
    private func replay(_ bytes: [UInt8]) -> Int {
        var reports: [UInt64: LocationReport] = [:]
        var offset = Self.magic.count
        var records = 0
        while let (kind, sequence, payload, end) = Self.record(in: bytes, at: offset) {
            offset = end
            records += 1
            nextSequence = max(nextSequence, sequence + 1)
            switch kind {
            case .report:
                guard payload.count > 8 else { continue }
                let reading = Double(bitPattern: Self.littleEndian(payload.prefix(8)))
                let body = Array(payload.dropFirst(8))
                let message = body.withUnsafeBytes { try? Message.decode(messageID: Message.ID.location, body: $0, context: DecodeContext(version: .v2013)) }
                if case .location(let report)? = message { reports[sequence] = report }
                odometer = max(odometer, reading)
            case .acknowledged:
                reports[sequence] = nil
            case .dropped:
                if reports.removeValue(forKey: sequence) != nil { dropped += 1 }
            case .checkpoint:
                guard payload.count == 16 else { continue }
                dropped = Self.littleEndian(payload.prefix(8))
                odometer = max(odometer, Double(bitPattern: Self.littleEndian(payload.suffix(8))))
            }
        }
        sequences = reports.keys.sorted()
        self.reports = sequences.map { reports[$0] }
        pendingCount = sequences.count
        deadRecords = records - pendingCount
        return offset
    }

    /// The record at `offset`, if it is whole and its checksum holds.
    static func record(in bytes: [UInt8], at offset: Int) -> (Kind, UInt64, ArraySlice<UInt8>, Int)? {
        let headerLength = 1 + 8 + 2
        guard offset + headerLength + 4 <= bytes.count, let kind = Kind(rawValue: bytes[offset]) else { return nil }
        func little(_ range: Range<Int>) -> UInt64 { littleEndian(bytes[range]) }
        let sequence = little(offset + 1..<offset + 9)
        let length = Int(little(offset + 9..<offset + 11))
        let end = offset + headerLength + length + 4
        guard end <= bytes.count, UInt32(little(end - 4..<end)) == CRC32.checksum(bytes[offset..<end - 4]) else { return nil }
        return (kind, sequence, bytes[offset + headerLength..<end - 4], end)
    }

    static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }

    static func encode(_ kind: Kind, _ sequence: UInt64, _ payload: [UInt8]) -> [UInt8] {
        var record: [UInt8] = [kind.rawValue]
        record += withUnsafeBytes(of: sequence.littleEndian, Array.init)
        record += withUnsafeBytes(of: UInt16(payload.count).littleEndian, Array.init)
        record += payload
        record += withUnsafeBytes(of: CRC32.checksum(record[...]).littleEndian, Array.init)
        return record
    }

    private func write(_ kind: Kind, _ sequence: UInt64, _ payload: [UInt8] = []) throws(Failure) {
        try writeAll(Self.encode(kind, sequence, payload))
    }

    private func writeAll(_ bytes: [UInt8]) throws(Failure) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: url.path, errno: errno)
            }
            written += n
        }
        unsynced = true
    }

    /// Rewrites the file with a checkpoint and the pending reports only.
    private func compact() throws(Failure) {
        let aside = url.appendingPathExtension("new")
        var bytes = Self.magic
        let checkpoint = withUnsafeBytes(of: dropped.littleEndian, Array.init) + withUnsafeBytes(of: odometer.bitPattern.littleEndian, Array.init)
        bytes += Self.encode(.checkpoint, nextSequence - 1, checkpoint)
        for entry in pending {
            let payload = withUnsafeBytes(of: odometer.bitPattern.littleEndian, Array.init) + Message.location(entry.report).encodeBody(version: .v2013)
            bytes += Self.encode(.report, entry.sequence, payload)
        }
        let newFD = Glibc.open(aside.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard newFD >= 0 else { throw .cannotWrite(path: aside.path, errno: errno) }
        let old = fd
        fd = newFD
        do {
            try writeAll(bytes)
        } catch {
            Glibc.close(newFD)
            fd = old
            throw error
        }
        fsync(newFD)
        Glibc.close(newFD)
        guard rename(aside.path, url.path) == 0 else {
            fd = old
            throw .cannotWrite(path: url.path, errno: errno)
        }
        Glibc.close(old)
        let directory = Glibc.open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            Glibc.close(directory)
        }
        fd = Glibc.open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: url.path, errno: errno) }
        deadRecords = 0
        unsynced = false
    }
}

/// CRC-32 (IEEE 802.3, as zlib): catches a torn or corrupted journal record.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { table[Int(($0 ^ UInt32($1)) & 0xff)] ^ ($0 >> 8) }
    }
}
