// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "apitokens",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "apitokens", targets: ["apitokens"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The check service. Hummingbird's default traits (swift-configuration, full Foundation) are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // `apitokens notify` posts expiry warnings to a webhook.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The PostgreSQL engine, for organisations on more than one host.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // config.toml: the UI's keys and colours.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(
            name: "TokenDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "TokenStore",
            dependencies: ["TokenDomain", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "TokenStorePostgres",
            dependencies: [
                "TokenDomain", "TokenStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW"),
        .target(name: "TokenViewModels", dependencies: ["TokenDomain", "TokenStore"]),
        .target(name: "TerminalUI", dependencies: [
            "TokenViewModels", "TokenDomain", "CNCursesW", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(
            name: "TokenService",
            dependencies: [
                "TokenDomain", "TokenStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "apitokens",
            dependencies: [
                "TokenDomain", "TokenStore", "TokenStorePostgres", "TokenViewModels", "TerminalUI", "TokenService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The performance report: `swift build -c release && .build/release/apitokens-bench`. Not part of `swift test`.
        .executableTarget(
            name: "apitokens-bench",
            dependencies: [
                "TokenDomain", "TokenStore", "TokenStorePostgres", "TokenViewModels", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // What several test targets share: scratch directories that clean up after themselves, store lookups.
        .target(name: "TestSupport", dependencies: ["TokenStore", "TokenDomain"], path: "Tests/TestSupport"),
        .testTarget(name: "TokenDomainTests", dependencies: ["TokenDomain"]),
        .testTarget(name: "TokenStoreTests", dependencies: [
            "TokenStore", "TokenStorePostgres", "TokenDomain", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Runs against the PostgreSQL server APITOKENS_TEST_POSTGRES names (a URL); skipped without one.
        .testTarget(name: "TokenStorePostgresTests", dependencies: ["TokenStorePostgres", "TokenStore", "TokenDomain", "TestSupport"]),
        .testTarget(name: "TokenViewModelsTests", dependencies: ["TokenViewModels", "TokenStore", "TokenStorePostgres", "TokenDomain", "TestSupport"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "TokenViewModels", "TokenStore", "TokenDomain", "TestSupport"],
                    exclude: ["Snapshots"]),
        .testTarget(name: "TokenServiceTests", dependencies: ["TokenService", "TokenDomain", "TokenStore", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "apitokens", "TestSupport", "TokenDomain", .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
