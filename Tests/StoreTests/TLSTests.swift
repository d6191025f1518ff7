import Domain
import EmbeddedPostgres
import Foundation
import PostgresNIO
import PostgresTestSupport
import ProcessTestSupport
import Store
import Testing

/// `sslmode=verify-full` against a PostgreSQL with a certificate from our own test CA.
@Suite struct TLSTests {
    /// A CA and a server certificate for localhost, made with openssl in `dir`.
    func makeCertificates(in dir: URL) async throws {
        let script = """
            set -e
            cd '\(dir.path)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Fleet Test CA' 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
            openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj '/CN=Some Other CA' 2>/dev/null
            chmod 600 server.key
            if [ "$(id -u)" = 0 ]; then chown postgres:postgres server.key server.pem; fi
            """
        let openssl = try await ChildOutput.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script])
        try #require(openssl.status == 0, "openssl failed: \(openssl)")
    }

    @Test func verifyFullConnectsOverTLSAndRefusesAnUnknownAuthority() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await makeCertificates(in: dir)
        let cluster = EmbeddedPostgres(
            configuration: .init(
                dataDirectory: dir.appendingPathComponent("pg"), database: "postgres",
                settings: [
                    "ssl": "on", "ssl_cert_file": dir.appendingPathComponent("server.pem").path, "ssl_key_file": dir.appendingPathComponent("server.key").path,
                ]
            ))
        let running = try cluster.start()
        defer { cluster.destroy() }

        let secure = try DatabaseURL(
            "postgres://postgres:\(running.password)@localhost:\(running.port)/postgres?sslmode=verify-full&sslrootcert=\(dir.appendingPathComponent("ca.pem").path)"
        )
        let encrypted = try await TestPostgres.withClient(secure) { client in
            var ssl = false
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: TestPostgres.logger)
            for try await value in rows.decode(Bool.self) { ssl = value }
            return ssl
        }
        #expect(encrypted)

        // The bulk path (libpq, binary COPY) verifies the same way: it stores over TLS with the
        // right authority and refuses to connect with another.
        let wrong = try DatabaseURL(
            "postgres://postgres:\(running.password)@localhost:\(running.port)/postgres?sslmode=verify-full&sslrootcert=\(dir.appendingPathComponent("other-ca.pem").path)"
        )
        let report = PositionRecord(
            terminalID: 7, gnssTime: Int64(Date().timeIntervalSince1970), latitudeE6: 29_868_336, longitudeE6: 121_543_990,
            altitude: 5, speed: 0, course: 0, alarm: 0, status: 3, mileage: nil, backfill: false)
        let stored = try await TestPostgres.withClient(secure) { client in
            _ = try await Migrator(client: client, logger: TestPostgres.logger).migrate(
                try Migration.load(directory: TestPostgres.repository.appendingPathComponent("Sql")))
            _ = try await PositionRetention().maintain(client: client, today: PositionRetention.chinaDay(Date()), logger: TestPostgres.logger)
            try await PostgresPositionSink(client: client, database: secure, retention: PositionRetention(), logger: TestPostgres.logger).store([report])
            await #expect(throws: (any Error).self) {
                try await PostgresPositionSink(client: client, database: wrong, retention: PositionRetention(), logger: TestPostgres.logger).store([report])
            }
            var count = 0
            for try await n in try await client.query("SELECT count(*)::int8 FROM positions", logger: TestPostgres.logger).decode(Int.self) { count = n }
            return count
        }
        #expect(stored == 1)

        // The same server, verified against another authority: no connection.
        await #expect(throws: (any Error).self) {
            let connection = try await PostgresConnection.connect(configuration: try wrong.connectionConfiguration(), id: 1, logger: TestPostgres.logger)
            try await connection.close()
        }
    }
}
