import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import Store

/// Real PostgreSQL for tests: one cluster per test run, one fresh database per test case.
///
/// The cluster is the one `Deploy/test.sh` started (`FLEET_TEST_DATABASE_URL`), or else one this
/// process starts in a temporary folder and removes at exit. Each test gets a database copied
/// from a template that was migrated once, so a test starts from the real schema in
/// milliseconds and never sees another test's rows. The URL and client given to a test are
/// the owner's (the migrations' role); `app(_:)` is the same database as the role fleetd runs
/// its queries as (`fleet_app`, Sql/0015_records.sql).
public enum TestPostgres {
    public static let logger: Logger = {
        // PostgresNIO warns when a lease races the client's run(); the request just waits. Keep test output to real errors.
        var logger = Logger(label: "fleet.test-postgres")
        logger.logLevel = .error
        return logger
    }()

    /// The root repository folder, for Sql/ and DeviceProfiles/.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static let server: Task<DatabaseURL, any Error> = Task {
        if let url = ProcessInfo.processInfo.environment["FLEET_TEST_DATABASE_URL"] { return try DatabaseURL(url) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-test-pg-\(getpid())")
        let cluster = EmbeddedPostgres(configuration: .init(dataDirectory: dir, database: "postgres", settings: ["fsync": "off", "full_page_writes": "off"]))
        let running = try cluster.start()
        clusterDirectory = dir
        atexit {
            if let dir = TestPostgres.clusterDirectory {
                EmbeddedPostgres(configuration: .init(dataDirectory: dir)).destroy()
            }
        }
        return try DatabaseURL(running.url)
    }

    nonisolated(unsafe) static var clusterDirectory: URL?

    private static let template: Task<String, any Error> = Task {
        let url = try await server.value
        let name = "fleet_template_\(getpid())"
        try await admin(url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var copy = url
        copy.database = name
        let templateURL = copy
        _ = try await withClient(templateURL) { client in
            try await Migrator(client: client, logger: logger).migrate(try Migration.load(directory: repository.appendingPathComponent("Sql")))
            try await DatabaseRoles(owner: templateURL).enableAppLogin(owner: client, logger: logger)
        }
        return name
    }

    /// Runs `body` with a client on a fresh, migrated database that is dropped afterwards.
    public static func withDatabase<R: Sendable>(migrated: Bool = true, _ body: @Sendable (PostgresClient, DatabaseURL) async throws -> R) async throws -> R {
        let url = try await server.value
        let template = migrated ? try await template.value : "template0"
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await admin(url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"), logger: logger)
        }
        var copy = url
        copy.database = String(name)
        let testURL = copy
        do {
            let result = try await withClient(testURL) { try await body($0, testURL) }
            try await admin(url) { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger) }
            return result
        } catch {
            try? await admin(url) { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger) }
            throw error
        }
    }

    /// The database of `url` as the app role, with the password fleetd would give it.
    public static func app(_ url: DatabaseURL) throws -> DatabaseURL {
        try DatabaseRoles(owner: url).app
    }

    /// A running PostgresClient for the duration of `body`.
    public static func withClient<R: Sendable>(_ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> R) async throws -> R {
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    private static func admin(_ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        var adminURL = url
        adminURL.database = "postgres"
        try await withClient(adminURL, body)
    }
}
