import Foundation
import Logging

/// A private PostgreSQL cluster in a folder of our own: initialised on first use, started on a
/// free loopback port, stopped on request. Used by `fleetd serve`/`demo` without `DATABASE_URL`
/// and by the test suite.
///
/// PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` user
/// (`runuser`), and the folder is handed to that user.
///
/// Nobody gets in without the password (scram-sha-256, the same for local sockets): it is
/// generated at `initdb` and kept in `fleet-owner.password` (0600) in the data folder. The server
/// listens on loopback only, and its socket is in the data folder, which only its owner can enter.
/// A cluster made by an earlier version (`initdb -A trust`) gets a password and the same rules
/// when it next starts.
public struct EmbeddedPostgres: Sendable {
    public struct Configuration: Sendable {
        /// Where the cluster lives (`.fleet/postgres` by default).
        public var dataDirectory: URL
        /// Loopback port; nil picks a free one at each start.
        public var port: Int?
        public var database: String
        /// Extra `postgres -c` settings (e.g. `fsync=off` for throwaway test clusters).
        public var settings: [String: String]

        public init(dataDirectory: URL, port: Int? = nil, database: String = "fleet", settings: [String: String] = [:]) {
            self.dataDirectory = dataDirectory
            self.port = port
            self.database = database
            self.settings = settings
        }
    }

    /// What a fleet server's private cluster runs with. PostgreSQL's default shared_buffers
    /// (128 MB) holds less than one day of a fleet's positions, so a day's track would be read
    /// page by page through the kernel (BENCHMARKS.md, track); a larger WAL spaces checkpoints
    /// out under sustained ingest. New WAL segments are not zero-filled first: at 20,000
    /// reports/s a 16 MB segment fills every 2.5 s, and the commit that needed the next one
    /// waited about 50 ms for its zeroes, the reports of that batch with it (BENCHMARKS.md,
    /// "2026-12-05"); the file's blocks are allocated as WAL is written, and fdatasync covers them.
    public static let serverSettings = ["shared_buffers": "2GB", "max_wal_size": "4GB", "wal_init_zero": "off"]

    /// A started cluster: where to connect.
    public struct Running: Sendable {
        public var host: String
        public var port: Int
        public var user: String
        /// The superuser's password (hex, so it needs no escaping in a URL).
        public var password: String
        public var database: String
        public var dataDirectory: URL

        /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/fleet`: never to be logged.
        public var url: String { "postgres://\(user):\(password)@\(host):\(port)/\(database)" }
        /// What a log may show: the URL without its password.
        public var redactedURL: String { "postgres://\(user)@\(host):\(port)/\(database)" }
    }

    /// The superuser's password, in the data folder.
    public static let passwordFile = "fleet-owner.password"

    /// The only way in: a password, over the socket or loopback.
    static let hostBasedAuthentication = """
        # Written by fleetd: every connection proves its password (scram-sha-256).
        local all all scram-sha-256
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256

        """

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let configuration: Configuration
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "fleet.embedded-postgres")) {
        self.configuration = configuration
        self.logger = logger
    }

    private var isRoot: Bool { getuid() == 0 }

    /// Initialises the cluster if needed, starts it, and creates the database.
    public func start() throws -> Running {
        let bin = try Self.binDirectory()
        let dir = try dataDirectory()
        if isRoot { try run("/bin/chown", ["-R", "postgres:postgres", dir.path], asPostgres: false) }
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("PG_VERSION").path) {
            logger.info("initialising a PostgreSQL cluster", metadata: ["dir": "\(dir.path)"])
            try initialise(bin: bin, dir: dir)
        } else if let pid = try? String(contentsOf: dir.appendingPathComponent("postmaster.pid"), encoding: .utf8) {
            // A cluster left running (or crashed) by an earlier process: stop it cleanly first.
            logger.info("stopping a cluster left from an earlier run", metadata: ["pid": "\(pid.split(separator: "\n").first ?? "")"])
            _ = try? run(bin.appendingPathComponent("pg_ctl").path, ["stop", "-D", dir.path, "-m", "fast", "-w"])
        }
        let port = try configuration.port ?? Self.freePort()
        // The socket in the data folder (0700), not in /tmp; and closed to others even so.
        var options = ["-p \(port)", "-c listen_addresses=127.0.0.1", "-k \(dir.path)", "-c unix_socket_permissions=0700"]
        for (key, value) in configuration.settings.sorted(by: { $0.key < $1.key }) { options.append("-c \(key)=\(value)") }
        try run(
            bin.appendingPathComponent("pg_ctl").path,
            [
                "start", "-D", dir.path, "-w", "-t", "60", "-l", dir.appendingPathComponent("server.log").path,
                "-o", options.joined(separator: " "),
            ])
        let password = try upgradeIfTrusting(bin: bin, dir: dir, port: port) ?? readPassword(dir)
        let running = Running(host: "127.0.0.1", port: port, user: "postgres", password: password, database: configuration.database, dataDirectory: dir)
        try createDatabaseIfMissing(bin: bin, running: running)
        logger.info("PostgreSQL is up", metadata: ["url": "\(running.redactedURL)"])
        return running
    }

    /// A new cluster whose superuser has a generated password, kept in the data folder.
    private func initialise(bin: URL, dir: URL) throws {
        let password = Self.newPassword()
        // initdb wants an empty folder: the password goes through a private one of its own.
        try withPrivateFile(password) { file in
            try run(
                bin.appendingPathComponent("initdb").path,
                [
                    "-D", dir.path, "--auth=scram-sha-256", "--pwfile=\(file.path)", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                ])
        }
        try writePrivately(password, to: dir.appendingPathComponent(Self.passwordFile))
    }

    /// A cluster of an earlier version let anyone in (`trust`): its superuser gets a password
    /// (the one already kept, else a new one) and its pg_hba.conf asks for it from now on.
    /// Returns the password, or nil when the cluster already asked for one.
    private func upgradeIfTrusting(bin: URL, dir: URL, port: Int) throws -> String? {
        let hba = dir.appendingPathComponent("pg_hba.conf")
        let rules = (try? String(contentsOf: hba, encoding: .utf8)) ?? ""
        let trusting = rules.split(separator: "\n").contains { line in
            !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") && line.split(whereSeparator: \.isWhitespace).contains("trust")
        }
        guard trusting else { return nil }
        logger.notice("this PostgreSQL cluster let anyone in (trust): giving it a password, kept in \(Self.passwordFile)")
        let file = dir.appendingPathComponent(Self.passwordFile)
        let password = (try? readPassword(dir)) ?? Self.newPassword()
        // Hex: the literal needs no escaping. From a private file, never on a command line.
        try withPrivateFile("ALTER ROLE postgres PASSWORD '\(password)';\n") { script in
            try run(
                bin.appendingPathComponent("psql").path,
                [
                    "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-f", script.path,
                ], asPostgres: false)
        }
        try writePrivately(password, to: file)
        try Data(Self.hostBasedAuthentication.utf8).write(to: hba)
        try run(bin.appendingPathComponent("pg_ctl").path, ["reload", "-D", dir.path])
        return password
    }

    private func readPassword(_ dir: URL) throws -> String {
        let file = dir.appendingPathComponent(Self.passwordFile)
        guard let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty else {
            throw Failure(description: "\(file.path) is missing: the cluster's password cannot be read (restore the file, or set DATABASE_URL)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// 32 random bytes in hex.
    static func newPassword() -> String {
        (0..<32).map { _ in
            let byte = UInt8.random(in: .min ... .max)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// Writes `text` to a file only its owner reads (the postgres user's, when we are root).
    private func writePrivately(_ text: String, to file: URL) throws {
        try? FileManager.default.removeItem(at: file)
        guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot write \(file.path)")
        }
        if isRoot { try run("/bin/chown", ["postgres:postgres", file.path], asPostgres: false) }
    }

    /// Runs `body` with `text` in a file of a fresh 0700 folder, removed afterwards.
    private func withPrivateFile(_ text: String, _ body: (URL) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        if isRoot { try run("/bin/chown", ["postgres:postgres", folder.path], asPostgres: false) }
        try writePrivately(text, to: folder.appendingPathComponent("secret"))
        try body(folder.appendingPathComponent("secret"))
    }

    /// Stops the cluster (fast shutdown: open sessions are ended, data is safe).
    public func stop() throws {
        let bin = try Self.binDirectory()
        try run(bin.appendingPathComponent("pg_ctl").path, ["stop", "-D", try dataDirectory().path, "-m", "fast", "-w"])
    }

    /// Stops the cluster and deletes its folder.
    public func destroy() {
        try? stop()
        if let dir = try? dataDirectory() { try? FileManager.default.removeItem(at: dir) }
    }

    /// The configured folder, created; or, when we are root and the postgres user cannot reach
    /// it (a checkout under /root, say), a folder under /var/tmp named after it.
    private func dataDirectory() throws -> URL {
        let dir = configuration.dataDirectory
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        guard isRoot, (try? run("/usr/bin/test", ["-x", dir.deletingLastPathComponent().path])) == nil else { return dir }
        let name = dir.standardized.path.unicodeScalars.reduce(UInt64(5381)) { ($0 &* 33) ^ UInt64($1.value) }
        let fallback = URL(fileURLWithPath: "/var/tmp/fleet-postgres-\(String(name, radix: 36))")
        logger.notice("the postgres user cannot reach \(dir.path); the cluster lives in \(fallback.path)")
        try FileManager.default.createDirectory(at: fallback, withIntermediateDirectories: true)
        return fallback
    }

    private func createDatabaseIfMissing(bin: URL, running: Running) throws {
        let psql = bin.appendingPathComponent("psql").path
        let common = ["-h", running.host, "-p", String(running.port), "-U", running.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc"]
        let password = ["PGPASSWORD": running.password]
        let exists = try Self.runProcess(psql, common + ["SELECT 1 FROM pg_database WHERE datname = '\(running.database)'"], environment: password)
        if exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            try Self.runProcess(psql, common + ["CREATE DATABASE \"\(running.database)\""], environment: password)
        }
    }

    /// Where PostgreSQL's server programs are: `pg_config --bindir` has only the client on
    /// Debian, so look for `initdb` there first, then in /usr/lib/postgresql/*/bin (newest first).
    public static func binDirectory() throws -> URL {
        var candidates: [URL] = []
        if let out = try? runProcess("/usr/bin/env", ["pg_config", "--bindir"]) {
            candidates.append(URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for v in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append(root.appendingPathComponent(v).appendingPathComponent("bin"))
        }
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }) else {
            throw Failure(
                description: "PostgreSQL server programs (initdb, pg_ctl) not found; install postgresql-15 (Deploy/setup.sh does) or set DATABASE_URL")
        }
        return bin
    }

    /// A loopback port that was free a moment ago.
    /// A loopback port free now, below the kernel's ephemeral range: a port from that range may
    /// be taken by any outgoing connection (thousands, in the load tests) before the server that
    /// was given it binds it.
    public static func freePort() throws -> Int {
        let ephemeral =
            (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
        if ephemeral > 12_000 {
            for _ in 0..<200 {
                let port = Int.random(in: 10_000..<ephemeral)
                if (try? bindLoopback(port: port)) != nil { return port }
            }
        }
        return try bindLoopback(port: 0)
    }

    /// Binds a socket to 127.0.0.1:`port` (0: any) and lets it go; the port it had.
    private static func bindLoopback(port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw Failure(description: "bind() failed: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw Failure(description: "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws -> String {
        if asPostgres, isRoot {
            return try Self.runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        }
        return try Self.runProcess(executable, arguments)
    }

    /// Runs a program to completion and returns its output (stdout and stderr together).
    ///
    /// posix_spawn, not Foundation's Process: `pg_ctl start` leaves the server running, and the
    /// server would inherit the descriptor Process watches for the child's exit, so Process would
    /// wait for the server to stop. Here every inherited descriptor above stderr is closed, and
    /// output goes to a file. `environment` adds to ours (a password for psql goes there, not
    /// on the command line where any local account could read it).
    @discardableResult
    static func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        // `env -C /`: run from / so that the postgres user never needs access to our folder.
        let argv: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/env", "-C", "/", executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, envp)
        guard spawned == 0 else { throw Failure(description: "cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        // WIFEXITED && WEXITSTATUS == 0
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure(
                description:
                    "\((executable as NSString).lastPathComponent) \(arguments.prefix(4).joined(separator: " ")) failed (status \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return output
    }
}
