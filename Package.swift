// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Fleet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fleetd", targets: ["fleetd"]),
        .executable(name: "gps808", targets: ["gps808"]),
        .library(name: "JT808", targets: ["JT808"]),
        // For the load benchmark's terminals.
        .library(name: "JT808NIO", targets: ["JT808NIO"]),
        // For the benchmarks package (Benchmarks/), which measures these parts against PostgreSQL.
        .library(name: "FleetServer", targets: ["FleetServer"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "EmbeddedPostgres", targets: ["EmbeddedPostgres"]),
        .library(name: "TerminalSimulator", targets: ["TerminalSimulator"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Domain", targets: ["Domain"]),
        .library(name: "Matching", targets: ["Matching"]),
        .library(name: "Billing", targets: ["Billing"]),
        .library(name: "Dispatching", targets: ["Dispatching"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // The JT/T 808 codec: pure Swift, no I/O, no dependencies.
        .target(name: "JT808", swiftSettings: strictSettings),
        // JT/T 808 over NIO, for both ends of a connection: bytes to frames, frames decoded,
        // a terminal's connection to a server.
        .target(
            name: "JT808NIO",
            dependencies: ["JT808", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Shared value types and the storage protocols the services are written against.
        .target(name: "Domain", swiftSettings: strictSettings),
        // JT/T 808 terminals over TCP.
        .target(
            name: "Gateway",
            dependencies: [
                "JT808", "JT808NIO", "Domain",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Simulated vehicle terminals for the demo, tests and load runs.
        .target(
            name: "TerminalSimulator",
            dependencies: [
                "JT808", "JT808NIO", "Domain",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Runs a private PostgreSQL cluster (initdb / pg_ctl) for the demo and for tests.
        .target(
            name: "EmbeddedPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // libpq (Debian's libpq-dev): binary COPY, the bulk path for positions.
        .systemLibrary(name: "CLibPQ"),
        // PostgreSQL access: migrations, registry, positions (COPY through libpq), queries.
        .target(
            name: "Store",
            dependencies: [
                "Domain", "CLibPQ",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The dispatch engine at work on the stored fleet: rounds of matching, overrides,
        // explanations, SLA clocks, arrivals from the track, replacements, the live feed.
        .target(
            name: "Dispatching",
            dependencies: [
                "Store", "Matching", "Domain", "Billing", "JT808",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Billing at work on the stored trips: settlement sheets drawn up, signed, disputed and
        // settled; statements; the invoices' clock.
        .target(
            name: "Settlement",
            dependencies: [
                "Store", "Billing", "Dispatching", "Matching", "Domain", "Drawing",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The channels notices go by beyond the live stream: text messages through an SMS
        // provider's webhook (HTTP/1.1 on NIO, TLS by NIOSSL, signed with HMAC-SHA256), e-mail
        // through an SMTP server (on NIO, STARTTLS by NIOSSL).
        .target(
            name: "Messaging",
            dependencies: [
                "Domain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP API (Hummingbird 2): sessions, roles, audit, problem details, OpenAPI.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "Store", "Domain", "Matching", "Dispatching", "Billing", "Settlement", "Drawing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Wires the services of one fleet server into a ServiceGroup.
        .target(
            name: "FleetServer",
            dependencies: [
                "EmbeddedPostgres", "Store", "Gateway", "Domain", "TerminalSimulator", "JT808", "HTTPAPI", "Dispatching", "Matching", "Settlement",
                "Billing", "Messaging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Dispatch: eligibility, optimal matching under the reserve policy, bookings' SLA clocks.
        // Pure: no I/O, times given by the caller.
        .target(name: "Matching", dependencies: ["Domain"], swiftSettings: strictSettings),
        // Fares, settlement and assessment: pure, money in integer fen.
        .target(name: "Billing", dependencies: ["Domain"], swiftSettings: strictSettings),
        // Pictures of the fleet's data: tracks as SVG, the operations reports with their charts. Pure text, no I/O.
        .target(name: "Drawing", dependencies: ["Domain", "Billing"], swiftSettings: strictSettings),
        // A JT/T 808 terminal's side: report policy, odometer, blind-zone journal, the protocol.
        .target(
            name: "GNSSTerminal",
            dependencies: [
                "JT808", "JT808NIO", "Domain",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // libgps (Debian's libgps-dev): gps808 only; the server never links it.
        .systemLibrary(name: "CLibGPS", pkgConfig: "libgps", providers: [.apt(["libgps-dev"])]),
        // Fixes from gpsd through libgps, on a thread of their own.
        .target(
            name: "GPSD",
            dependencies: ["CLibGPS", "GNSSTerminal", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // A Linux box with a GNSS receiver and gpsd as a JT/T 808 terminal.
        .executableTarget(
            name: "gps808",
            dependencies: [
                "GNSSTerminal", "GPSD", "JT808", "Domain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "fleetd",
            dependencies: [
                "JT808", "FleetServer", "TerminalSimulator", "Store", "Domain", "Drawing", "HTTPAPI", "Dispatching",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The executable chooses the process's metrics backend: Prometheus.
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // One PostgreSQL cluster per test run, one fresh database per test case.
        .target(
            name: "PostgresTestSupport",
            dependencies: [
                "EmbeddedPostgres", "Store", "Domain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PostgresTestSupport",
            swiftSettings: strictSettings
        ),
        // Child processes awaited without holding a thread, every wait with a limit.
        .target(name: "ProcessTestSupport", path: "Tests/ProcessTestSupport", swiftSettings: strictSettings),
        // Services run for the duration of a test and always shut down gracefully.
        .target(
            name: "ServiceTestSupport",
            dependencies: [.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Tests/ServiceTestSupport",
            swiftSettings: strictSettings
        ),
        // A JT/T 808 terminal over TCP for tests, and a gateway for it with its registry and sinks in memory.
        .target(
            name: "TerminalTestSupport",
            dependencies: [
                "Gateway", "JT808", "JT808NIO", "Domain", "ServiceTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TerminalTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "JT808", "Domain", "DomainTestSupport", "TerminalTestSupport", "ServiceTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The frame layer under NIO's decoder verifier, and the shared vectors through it.
        .testTarget(
            name: "JT808NIOTests",
            dependencies: [
                "JT808NIO", "JT808",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TerminalSimulatorTests",
            dependencies: [
                "TerminalSimulator", "JT808", "Domain", "DomainTestSupport", "TerminalTestSupport", "Gateway",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "BillingTests", dependencies: ["Billing", "Domain"], swiftSettings: strictSettings),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI", "Store", "Domain", "Matching", "Dispatching", "Billing", "Settlement", "PostgresTestSupport", "ServiceTestSupport",
                "DomainTestSupport", "Gateway", "GNSSTerminal", "JT808", "TerminalTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Fixtures shared by the pure modules' tests.
        .target(name: "DomainTestSupport", dependencies: ["Domain"], path: "Tests/DomainTestSupport", swiftSettings: strictSettings),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "DomainTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "SettlementTests",
            dependencies: [
                "Settlement", "Billing", "Dispatching", "Domain", "Store", "PostgresTestSupport", "DomainTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "Domain", "DomainTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "DispatchingTests",
            dependencies: [
                "Dispatching", "Matching", "Domain", "Billing", "Store", "PostgresTestSupport", "DomainTestSupport",
                // The IC card and the state of charge through the real gateway (DriverCardTests, ChargeFromTerminalTests).
                "Gateway", "JT808", "TerminalSimulator", "TerminalTestSupport", "ServiceTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Notices delivered: the SMS webhook against a local provider over TLS, e-mail against a
        // local SMTP server, the notifier's retries and alerts, on real PostgreSQL.
        .testTarget(
            name: "MessagingTests",
            dependencies: [
                "Messaging", "Dispatching", "Store", "Domain", "PostgresTestSupport", "DomainTestSupport", "ServiceTestSupport", "ProcessTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "DrawingTests", dependencies: ["Drawing", "Domain", "Billing"], swiftSettings: strictSettings),
        .testTarget(
            name: "GNSSTerminalTests",
            dependencies: [
                "GNSSTerminal", "JT808", "Gateway", "Domain", "DomainTestSupport", "TerminalTestSupport", "ServiceTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "JT808Tests", dependencies: ["JT808", "Domain"], resources: [.copy("Vectors")], swiftSettings: strictSettings),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "Store", "Domain", "Matching", "EmbeddedPostgres", "PostgresTestSupport", "ProcessTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // fleetd's settings: defaults, each variable, each bad value refused by name.
        .testTarget(
            name: "FleetServerTests",
            dependencies: [
                "FleetServer", "Gateway", "Store", "Billing", "Domain", "Messaging",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Runs the built fleetd binary: its command line is an interface too.
        .testTarget(
            name: "FleetdTests",
            dependencies: [
                "PostgresTestSupport", "ProcessTestSupport", "TerminalTestSupport", "TerminalSimulator", "EmbeddedPostgres", "Store", "JT808",
                "DomainTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("NMEA")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
