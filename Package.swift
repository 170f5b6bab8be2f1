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
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW"),
        .target(name: "TokenViewModels", dependencies: ["TokenDomain", "TokenStore"]),
        .target(name: "TerminalUI", dependencies: ["TokenViewModels", "TokenDomain", "TokenStore", "CNCursesW"]),
        .executableTarget(
            name: "apitokens",
            dependencies: [
                "TokenDomain", "TokenStore", "TokenViewModels", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The performance report: `swift build -c release && .build/release/apitokens-bench`. Not part of `swift test`.
        .executableTarget(
            name: "apitokens-bench",
            dependencies: [
                "TokenDomain", "TokenStore", "TokenViewModels", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // What several test targets share: scratch directories that clean up after themselves, store lookups.
        .target(name: "TestSupport", dependencies: ["TokenStore", "TokenDomain"], path: "Tests/TestSupport"),
        .testTarget(name: "TokenDomainTests", dependencies: ["TokenDomain"]),
        .testTarget(name: "TokenStoreTests", dependencies: [
            "TokenStore", "TokenDomain", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "TokenViewModelsTests", dependencies: ["TokenViewModels", "TokenStore", "TokenDomain", "TestSupport"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "TokenViewModels", "TokenStore", "TokenDomain"]),
        .testTarget(name: "EndToEndTests", dependencies: ["apitokens", "TestSupport"]),
    ]
)
