import CLibPQ
import NIOPosix
import Synchronization

/// A libpq connection (blocking calls), for the one thing PostgresNIO cannot do: COPY in binary
/// format. Calls run on NIO's blocking-I/O thread pool, never on an event loop.
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

    private func check(_ result: OpaquePointer?, _ expected: ExecStatusType) throws(Failure) {
        guard let result, PQresultStatus(result) == expected else { throw failure(result) }
    }

    private func failure(_ result: OpaquePointer?) -> Failure {
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        return Failure(message: String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines, sqlState: state)
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
