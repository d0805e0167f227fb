// swift-tools-version: 6.1
// Linger: the Linux TCP connection life cycle, above all its end, in Swift.

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The data path (packets and the stack) in release builds: no run-time exclusivity
// checks, which were over a third of the instructions a connection costs. Debug
// builds, and so `swift test`, keep them and still catch any overlapping access.
let dataPathSettings: [SwiftSetting] = strictSettings + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Linger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "linger", targets: ["linger"]),
        .library(name: "LingerWire", targets: ["LingerWire"]),
        .library(name: "LingerScript", targets: ["LingerScript"]),
        .library(name: "LingerRun", targets: ["LingerRun"]),
        .library(name: "LingerKernel", targets: ["LingerKernel"]),
        .library(name: "LingerStack", targets: ["LingerStack"]),
        .library(name: "LingerObserve", targets: ["LingerObserve"]),
        .library(name: "LingerBench", targets: ["LingerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Packets on the wire: IPv4, IPv6, TCP (all options), UDP, ICMP; checksums;
        // tcpdump and packetdrill text forms. No Foundation: the stack core builds on it.
        .target(name: "LingerWire", swiftSettings: dataPathSettings),
        // The packetdrill script language: lexer, parser, AST, diagnostics.
        .target(name: "LingerScript", swiftSettings: strictSettings),
        // The script runner: executes a parsed script against a Backend (the live
        // kernel or Linger's stack), maps sequence numbers, matches packets, checks
        // system calls and timing, reports like packetdrill.
        .target(name: "LingerRun", dependencies: ["LingerWire", "LingerScript"], swiftSettings: strictSettings),
        // Linger's own TCP/IP stack: Linux's TCP life cycle in pure Swift, on a
        // virtual (or real) clock, with the sim Backend. No Foundation.
        .target(name: "LingerStack", dependencies: ["LingerWire", "LingerRun"], swiftSettings: dataPathSettings),
        // Linux system interfaces Swift's Glibc module does not import (unshare, TUN
        // ioctls, struct tcp_info): a thin C shim, no logic.
        .target(name: "CLingerLinux"),
        // The live-kernel backend: private network namespace, TUN device, real sockets.
        .target(
            name: "LingerKernel",
            dependencies: ["LingerRun", "LingerWire", "CLingerLinux"],
            swiftSettings: strictSettings
        ),
        // Seeing a run: the trace with reasons and the HTML ladder diagram report.
        .target(name: "LingerObserve", dependencies: ["LingerWire", "LingerRun"], swiftSettings: strictSettings),
        // `linger bench`: Linger's speed and footprint against the live kernel's.
        .target(
            name: "LingerBench",
            dependencies: ["LingerStack", "LingerRun", "LingerWire", "CLingerLinux"],
            swiftSettings: strictSettings
        ),
        // The command-line tool.
        .executableTarget(
            name: "linger",
            dependencies: [
                "LingerWire",
                "LingerScript",
                "LingerRun",
                "LingerKernel",
                "LingerStack",
                "LingerObserve",
                "LingerBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LingerWireTests", dependencies: ["LingerWire"], swiftSettings: strictSettings),
        .testTarget(name: "LingerScriptTests", dependencies: ["LingerScript"], swiftSettings: strictSettings),
        .testTarget(name: "LingerRunTests", dependencies: ["LingerRun", "LingerWire", "LingerScript"], swiftSettings: strictSettings),
        .testTarget(name: "LingerStackTests", dependencies: ["LingerStack", "LingerRun", "LingerWire", "LingerScript"], swiftSettings: strictSettings),
        .testTarget(
            name: "LingerObserveTests",
            dependencies: ["LingerObserve", "LingerStack", "LingerRun", "LingerWire", "LingerScript"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LingerBenchTests",
            dependencies: ["LingerBench", "LingerStack", "LingerWire"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LingerKernelTests", dependencies: ["LingerKernel", "LingerRun", "LingerWire"], swiftSettings: strictSettings),
        .testTarget(
            name: "LingerCLITests",
            dependencies: ["linger"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
