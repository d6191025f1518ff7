import CLibPQ
import Domain
import Foundation
import NIOPosix
import Synchronization

/// A libpq connection (blocking calls), for what PostgresNIO cannot do fast enough: COPY in
/// binary format, and reading thousands of rows at once (a track; BENCHMARKS.md, "Track").
/// Calls run on NIO's blocking-I/O thread pool, never on an event loop.
///
/// `@unchecked Sendable`: a `PGconn` must not be used by two threads at once, and it never is:
/// `LibPQPool` hands a connection to one caller at a time and takes it back when the caller is
/// done (or drops it after an error), so every use is serialised by the pool's lock.
final class LibPQConnection: @unchecked Sendable {
    private let connection: OpaquePointer

    /// libpq's error, or the server's, with its SQLSTATE when it has one.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var sqlState: String?
        var description: String { sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message }
    }

    init(_ connectionString: String) throws(Failure) {
        guard let connection = PQconnectdb(connectionString) else { throw Failure(message: "libpq could not allocate a connection") }
        self.connection = connection
        // On failure, deinit (which runs: every property is set) finishes the connection.
        guard PQstatus(connection) == CONNECTION_OK else {
            throw Failure(message: String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines)
        }
    }

    deinit { PQfinish(connection) }

    var isHealthy: Bool { PQstatus(connection) == CONNECTION_OK && PQtransactionStatus(connection) == PQTRANS_IDLE }

    func execute(_ sql: String, expecting status: ExecStatusType = PGRES_COMMAND_OK) throws(Failure) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result, status)
    }

    /// `COPY <table> (<columns>) FROM STDIN (FORMAT binary)` with `data` (header to trailer).
    func copyBinary(into table: String, columns: [String], data: [UInt8]) throws(Failure) {
        try execute("COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)", expecting: PGRES_COPY_IN)
        let sent = data.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1, PQputCopyEnd(connection, nil) == 1 else { throw failure(nil) }
        // Every result must be read before the connection takes the next command.
        var firstFailure: Failure?
        while let result = PQgetResult(connection) {
            if firstFailure == nil, PQresultStatus(result) != PGRES_COMMAND_OK { firstFailure = failure(result) }
            PQclear(result)
        }
        if let firstFailure { throw firstFailure }
    }

    /// Runs `sql` with its parameters bound (sent as text, cast in the SQL) and hands `read`
    /// the rows in binary format, before libpq frees them.
    func query<T>(_ sql: String, _ parameters: [String], read: (LibPQRows) throws -> T) throws -> T {
        var cStrings = parameters.map { strdup($0) }
        defer { for pointer in cStrings { free(pointer) } }
        let result = cStrings.withUnsafeMutableBufferPointer { values in
            values.withMemoryRebound(to: UnsafePointer<CChar>?.self) {
                PQexecParams(connection, sql, Int32(parameters.count), nil, $0.baseAddress, nil, nil, 1)
            }
        }
        defer { PQclear(result) }
        try check(result, PGRES_TUPLES_OK)
        return try read(LibPQRows(result: result!))
    }

    private func check(_ result: OpaquePointer?, _ expected: ExecStatusType) throws(Failure) {
        guard let result, PQresultStatus(result) == expected else { throw failure(result) }
    }

    private func failure(_ result: OpaquePointer?) -> Failure {
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        return Failure(message: String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines, sqlState: state)
    }
}

/// Rows of a result in binary format: each value in PostgreSQL's send format (integers in
/// network byte order).
struct LibPQRows {
    let result: OpaquePointer

    var count: Int { Int(PQntuples(result)) }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// Checks that the columns have these widths in bytes (the server's types), so that the
    /// readers below read exactly their values.
    func expect(widths: [Int]) throws(LibPQConnection.Failure) {
        let actual = (0..<Int(PQnfields(result))).map { Int(PQfsize(result, Int32($0))) }
        guard actual == widths else { throw LibPQConnection.Failure(message: "columns of widths \(actual) where \(widths) were expected") }
    }

    /// A fixed-width integer column (int2, int4, int8, bool as UInt8) of the width `expect` checked.
    func integer<I: FixedWidthInteger>(_ row: Int, _ column: Int, as: I.Type = I.self) -> I {
        I(bigEndian: UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column))!).loadUnaligned(as: I.self))
    }

    /// A timestamptz column as epoch seconds (rounded down): it is sent as microseconds since
    /// 2000-01-01 UTC.
    func epochSeconds(_ row: Int, _ column: Int) -> Int64 {
        let micros: Int64 = integer(row, column)
        return CivilDate.floorDivide(micros, 1_000_000) + 946_684_800
    }
}

/// A few libpq connections, each used by one caller at a time; a connection left broken or in
/// a transaction is closed rather than reused.
final class LibPQPool: Sendable {
    private let connectionString: String
    private let idle = Mutex<[LibPQConnection]>([])
    private let threads: NIOThreadPool

    init(connectionString: String, threads: NIOThreadPool = .singleton) {
        self.connectionString = connectionString
        self.threads = threads
    }

    /// Runs `body` with a connection on the blocking thread pool.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (LibPQConnection) throws -> T) async throws -> T {
        try await threads.runIfActive { [self] in
            let connection = try idle.withLock { $0.popLast() } ?? LibPQConnection(connectionString)
            // Back to the pool only when idle and outside a transaction (after an error too).
            defer { if connection.isHealthy { idle.withLock { $0.append(connection) } } }
            return try body(connection)
        }
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var s = self
        while s.last?.isNewline == true { s.removeLast() }
        return s
    }
}
