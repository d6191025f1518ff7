// swift-tools-version: 6.1
// Benchmarks live in their own package (as swift-nio's do) so that the test command never
// builds them. Run: Benchmarks/run.sh codec | ingest | load | track | dispatch | api | billing
import PackageDescription

let settings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "FleetBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Fleet", path: ".."),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // What the database benchmarks share: their own cluster, migrated, and small helpers.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "Store", package: "Fleet"),
                .product(name: "EmbeddedPostgres", package: "Fleet"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "CodecBenchmark",
            dependencies: [
                .product(name: "JT808", package: "Fleet"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "IngestBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Domain", package: "Fleet"),
                .product(name: "Store", package: "Fleet"),
                .product(name: "EmbeddedPostgres", package: "Fleet"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "LoadBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "JT808", package: "Fleet"),
                .product(name: "Store", package: "Fleet"),
                .product(name: "EmbeddedPostgres", package: "Fleet"),
                .product(name: "TerminalSimulator", package: "Fleet"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "DispatchBenchmark",
            dependencies: [.product(name: "Matching", package: "Fleet"), .product(name: "Domain", package: "Fleet")],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "BillingBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Billing", package: "Fleet"),
                .product(name: "Dispatching", package: "Fleet"),
                .product(name: "Domain", package: "Fleet"),
                .product(name: "Store", package: "Fleet"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "TrackBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Store", package: "Fleet"),
                .product(name: "EmbeddedPostgres", package: "Fleet"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
    ],
    swiftLanguageModes: [.v6]
)
