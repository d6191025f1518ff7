import Foundation
import Logging
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@Suite struct MigratorTests {
    let logger = TestPostgres.logger

    static func migrations() throws -> [Migration] {
        try Migration.load(directory: TestPostgres.repository.appendingPathComponent("Sql"))
    }

    @Test func appliesEveryMigrationOnceInOrder() async throws {
        try await TestPostgres.withDatabase(migrated: false) { client, _ in
            let all = try Self.migrations()
            let migrator = Migrator(client: client, logger: logger)
            let first = try await migrator.migrate(all)
            #expect(first.map(\.version) == all.map(\.version).sorted())
            #expect(try await migrator.appliedVersions() == all.map(\.version).sorted())
            // The second run finds nothing to do.
            #expect(try await migrator.migrate(all).isEmpty)
            // The schema is there.
            let rows = try await client.query("SELECT count(*) FROM terminals", logger: logger)
            for try await n in rows.decode(Int.self) { #expect(n == 0) }
        }
    }

    @Test func aChangedMigrationIsRefused() async throws {
        try await TestPostgres.withDatabase { client, _ in
            var changed = try Self.migrations()
            changed[0].sql += "\n-- edited"
            await #expect(throws: MigrationError.self) { try await Migrator(client: client, logger: logger).migrate(changed) }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestPostgres.withDatabase { client, _ in
            let broken = Migration(version: 9999, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;")
            let migrator = Migrator(client: client, logger: logger)
            await #expect(throws: (any Error).self) { try await migrator.migrate([broken]) }
            #expect(try await !migrator.appliedVersions().contains(9999))
            let rows = try await client.query("SELECT to_regclass('half_done') IS NULL", logger: logger)
            for try await gone in rows.decode(Bool.self) { #expect(gone) }
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await TestPostgres.withDatabase(migrated: false) { client, _ in
            let all = try Self.migrations()
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator(client: client, logger: logger).migrate(all).count } }
                return try await group.reduce(0, +)
            }
            #expect(applied == all.count)
        }
    }
}

@Suite struct SQLScriptTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (t text DEFAULT 'x;y');
            /* block; comment */ CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;
            CREATE TABLE "odd;name" (id int);
            SELECT $tag$ ; $tag$;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'x;y')"))
        #expect(statements[1].contains("RETURN 1; END $$ LANGUAGE plpgsql"))
        #expect(statements[2] == #"CREATE TABLE "odd;name" (id int)"#)
        #expect(statements[3] == "SELECT $tag$ ; $tag$")
    }

    @Test func quotesWithDoubledQuotes() {
        #expect(SQLScript.statements("SELECT 'it''s; fine'; SELECT 2").count == 2)
    }

    @Test func parsesDatabaseURLs() throws {
        let url = try DatabaseURL("postgres://fleet:secret@db.example:6543/fleet?sslmode=verify-full")
        #expect(
            url.host == "db.example" && url.port == 6543 && url.user == "fleet" && url.password == "secret" && url.database == "fleet"
                && url.sslMode == "verify-full")
        #expect(throws: MigrationError.self) { try DatabaseURL("mysql://x") }
        #expect(throws: MigrationError.self) { try DatabaseURL("postgres://h/d?sslmode=bogus").clientConfiguration() }
    }
}
