// swift-tools-version: 6.1
// Linger: the Linux TCP connection life cycle, above all its end, in Swift.

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Linger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "linger", targets: ["linger"]),
        .library(name: "LingerWire", targets: ["LingerWire"]),
        .library(name: "LingerScript", targets: ["LingerScript"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Packets on the wire: IPv4, IPv6, TCP (all options), UDP, ICMP; checksums;
        // tcpdump and packetdrill text forms. No Foundation: the stack core builds on it.
        .target(name: "LingerWire", swiftSettings: strictSettings),
        // The packetdrill script language: lexer, parser, AST, diagnostics.
        .target(name: "LingerScript", swiftSettings: strictSettings),
        // The command-line tool.
        .executableTarget(
            name: "linger",
            dependencies: [
                "LingerWire",
                "LingerScript",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LingerWireTests", dependencies: ["LingerWire"], swiftSettings: strictSettings),
        .testTarget(name: "LingerScriptTests", dependencies: ["LingerScript"], swiftSettings: strictSettings),
        .testTarget(
            name: "LingerCLITests",
            dependencies: ["linger"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
