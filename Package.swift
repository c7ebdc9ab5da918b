// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "sfsh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sfsh", targets: ["sfsh"]),
        .library(name: "Shell", targets: ["Shell"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C interop: the native libedit API (<histedit.h>) and a shim for its variadic calls.
        .target(
            name: "CEditLine",
            linkerSettings: [.linkedLibrary("edit")]
        ),
        // C interop: libcurl with typed wrappers for the variadic curl_easy_setopt/getinfo.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // The SQLite store: home directory, migrations, settings.
        .target(
            name: "Store",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The shell core: tokenizer, command table, output, line readers, commands.
        .target(
            name: "Shell",
            dependencies: ["CEditLine", "Store"]
        ),
        .executableTarget(
            name: "sfsh",
            dependencies: [
                "Shell",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "Store"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
    ]
)
