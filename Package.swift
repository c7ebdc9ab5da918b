// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "sfsh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sfsh", targets: ["sfsh"]),
        .executable(name: "sfsim", targets: ["sfsim"]),
        .library(name: "Shell", targets: ["Shell"]),
        .library(name: "Simulator", targets: ["Simulator"]),
        .library(name: "SyncRules", targets: ["SyncRules"]),
        .library(name: "Salesforce", targets: ["Salesforce"]),
        .library(name: "SyncEngine", targets: ["SyncEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        // JWT bearer logins: RS256 assertions signed (sfsh) and verified against an app's certificate (sfsim).
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        // Declared because the tests make RSA keys and self-signed certificates themselves (they come with jwt-kit).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.1.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.15.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
        // Declared because sfsim imports them itself (they come with Hummingbird).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        // Support bundles (`bundle`, `sfsim --from-bundle`): zip archives written and read in-process.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C interop: the native libedit API (<histedit.h>) and a shim for its variadic calls.
        .target(
            name: "CEditLine",
            // libedit is loaded (dlopen) when an interactive session makes its editor, not at every start.
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // C interop: libcurl, loaded on the first request (dlopen: its thirty libraries cost every start-up), with
        // typed wrappers for the variadic curl_easy_setopt/getinfo.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // An ordered JSON value shared by the shell, the client and the simulator.
        .target(name: "JSON"),
        // Pure rules: contact mapping, lead payloads and estimates. Values in, values out; no I/O.
        .target(name: "SyncRules", dependencies: ["JSON", "SalesforceModel"]),
        // Salesforce's value types (describes, pages, limits, errors) without the transport.
        .target(name: "SalesforceModel", dependencies: ["JSON"]),
        // The SQLite store: home directory, migrations, settings.
        .target(
            name: "Store",
            dependencies: ["JSON", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // The shell core: tokenizer, command table, output, line readers, commands.
        .target(
            name: "Shell",
            dependencies: ["CEditLine", "Store", "JSON", "Salesforce", "SalesforceModel", "SyncRules", "SyncEngine", "LoopbackHTTP",
                           "SupportBundle", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // A support bundle's archive: named JSON files in a zip, its manifest, and the shape of an org it carries.
        // Written by the shell (`bundle`), read by `bundle show` and by sfsim (`--from-bundle`).
        .target(name: "SupportBundle", dependencies: ["JSON", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // sfsim as the shell's demo org (`sfsh --demo`): the one place the shell's executable meets the simulator.
        .target(name: "SfshDemo", dependencies: ["Shell", "Simulator"]),
        // The sync engine: org connections, the ledger as a budget, the describe cache, the typed
        // sync settings, jobs with runs and checkpoints. Runs without the shell (the daemon).
        .target(name: "SyncEngine", dependencies: ["Salesforce", "SalesforceModel", "Store", "SyncRules", "JSON"]),
        // The Salesforce REST client over an HTTPTransport; libcurl is the production transport.
        .target(name: "Salesforce", dependencies: ["CCurl", "JSON", "SalesforceModel", .product(name: "JWTKit", package: "jwt-kit"),
                                                   .product(name: "Crypto", package: "swift-crypto")]),
        // Hummingbird on 127.0.0.1, started and known to listen: sfsim's server and the web login's callback listener.
        .target(name: "LoopbackHTTP", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // sfsim: a simulated Salesforce org on the real wire protocol.
        .target(
            name: "Simulator",
            dependencies: [
                "JSON",
                "LoopbackHTTP",
                // An org's shape from a support bundle (`sfsim --from-bundle`).
                "SupportBundle",
                // Bulk ingest uploads, read as the tests' oracle reads CSV.
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "sfsim",
            dependencies: [
                "Simulator", "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The sfsh command line: the shell, and `sfsh daemon` under swift-service-lifecycle.
        .executableTarget(
            name: "sfsh",
            dependencies: [
                "Shell", "SfshDemo", "SyncEngine", "Store", "Salesforce", "SalesforceModel", "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The Swift runtime and Foundation linked in, not loaded: a release sfsh starts in 24 ms instead of 34
            // (half of a start was the dynamic linker resolving Swift's libraries; issue 25).
            // The modules' autolink entries name Foundation's shared libraries, which bring CoreFoundation and ICU
            // with them; linked statically those come by name (as `swift build --static-swift-stdlib` does).
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
                                           "-l_FoundationCollections", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
                                          .when(platforms: [.linux], configuration: .release))]
        ),
        // What every test target shares: scopes that stop what they start, the engine on sfsim's clock,
        // signals, event logs, countdowns, transcript assertions.
        .target(name: "TestSupport", dependencies: ["Simulator", "SyncEngine", .product(name: "X509", package: "swift-certificates"),
                                                    .product(name: "Crypto", package: "swift-crypto"),
                                                    .product(name: "CryptoExtras", package: "swift-crypto"),
                                                    .product(name: "SwiftASN1", package: "swift-asn1")],
                path: "Tests/TestSupport"),
        .testTarget(name: "ShellTests", dependencies: ["TestSupport", "Shell", "SfshDemo", "SyncEngine", "Store", "JSON", "Salesforce", "SalesforceModel", "Simulator", "LoopbackHTTP", "SupportBundle"]),
        .testTarget(name: "StoreTests", dependencies: ["TestSupport", "Store", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "JSONTests", dependencies: ["TestSupport", "JSON"]),
        // yaslab/CSV.swift: the oracle the import's own CSV reader is checked against.
        .testTarget(name: "SyncEngineTests", dependencies: ["TestSupport", "SyncEngine", "SyncRules", "Salesforce", "SalesforceModel", "Store", "JSON", "Simulator",
                                                            .product(name: "CSV", package: "CSV.swift")]),
        .testTarget(name: "SyncRulesTests", dependencies: ["TestSupport", "SyncRules", "JSON", "SalesforceModel"]),
        .testTarget(name: "SalesforceTests", dependencies: ["TestSupport", "Salesforce", "SalesforceModel", "JSON", "Simulator"]),
        .testTarget(name: "SimulatorTests", dependencies: ["TestSupport", "Simulator", "Salesforce", "SalesforceModel", "JSON", "SupportBundle",
                                                           .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)

// Arrows the compiler checks: a module sees only what it imports itself (MemberImportVisibility), and an
// import is internal unless written `public import` (InternalImportsByDefault), so an undeclared or leaking
// dependency fails the build.
for target in package.targets where !["CEditLine", "CCurl"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
