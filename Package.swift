// swift-tools-version:6.1
// hallq: queue tickets and display boards for a public service hall.
// Layers (docs/ARCHITECTURE.md draws them from this file): a pure core and protocol; the store,
// the config loader and the device drivers; the application (HallqApp); its transports (sockets,
// HTTP) and its hardware (HallqHardware) beside each other; the composition (HallqDaemon); the
// executables.
import PackageDescription

let package = Package(
    name: "hallq",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hallqd", targets: ["hallqd"]),
        .executable(name: "hallqctl", targets: ["hallqctl"]),
        .executable(name: "hallq-central", targets: ["hallq-central"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // The HTTP faces (docs/HTTP.md); no default traits: hallq needs neither swift-configuration
        // nor the Foundation extras.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The tests' HTTP client (event streams, WebDriver); Hummingbird's testing uses it too.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // HMAC-SHA256 for the keyed status URLs.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // HTTPS for the staff pages (`[http] tls_cert`), through HummingbirdTLS.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // bcrypt for staff passwords (HummingbirdBcrypt only).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // The province's central database (docs/CENTRAL.md): PostgreSQL's wire protocol.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Queue engine, config model, business hours, estimates, statistics, sign texts. No I/O.
        .target(name: "HallqCore"),
        // JSON-lines messages, error tokens, role table. No I/O.
        .target(name: "HallqProtocol", dependencies: ["HallqCore"]),
        // SQLite through GRDB: migrations, the event log, ticket rows, rebuild, statistics rows.
        .target(
            name: "HallqStore",
            dependencies: [
                "HallqCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Voice calling, pure: phrase builder, renderer, WAV and clip packs, the default pack's pinyin.
        .target(name: "HallqVoice", dependencies: ["HallqCore"]),
        // libasound (Debian: libasound2-dev) behind a thin C face that silences ALSA's printing.
        .target(name: "CALSA", linkerSettings: [.linkedLibrary("asound")]),
        // Pure byte encoders for the devices: sign protocols (Onbon, Alpha, plain), GB text.
        .target(name: "HallqEncoders", dependencies: ["HallqCore"]),
        // libserialport, the system's (Debian: libserialport-dev).
        .systemLibrary(name: "CSerialPort", pkgConfig: "libserialport", providers: [.apt(["libserialport-dev"])]),
        // libusb 1.0, the system's (Debian: libusb-1.0-0-dev), with a shim for its variadic call.
        .systemLibrary(name: "CUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        // libevdev (Debian: libevdev-dev) behind a thin C face: USB keypads and kiosk push-buttons.
        .target(name: "CEvdev", linkerSettings: [.linkedLibrary("evdev")]),
        // Device seams and drivers: virtual printer and signs, serial sign buses, callers, keypads.
        .target(
            name: "HallqDevices",
            dependencies: [
                "HallqCore", "HallqEncoders", "HallqVoice", "CSerialPort", "CUSB", "CALSA", "CEvdev",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The province's 好差评 upload: the case-rating outbox sent in order over HTTP.
        .target(
            name: "HallqUpload",
            dependencies: [
                "HallqCore", "HallqProtocol", "HallqStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The province's PostgreSQL: its schema, the hall's relay, the province's statistics.
        .target(
            name: "HallqCentral",
            dependencies: [
                "HallqCore", "HallqStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The config file: TOML read into HallConfig and checked key by key. Pure Swift apart from
        // TOMLKit: checking a config needs no device library (key names come from HallqCore).
        .target(
            name: "HallqConfig",
            dependencies: [
                "HallqCore", "HallqEncoders", "HallqProtocol", "HallqVoice",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        // The application: the hall (single writer over the store), the dispatcher and its op
        // table, reports, accounts, status links, held ID cards, the sweeps. Every transport
        // (sockets, HTTP) and the hardware drive it; it knows none of them: the devices it asks
        // about are a protocol (`HallDevices`).
        .target(
            name: "HallqApp",
            dependencies: [
                "HallqCore", "HallqProtocol", "HallqStore", "HallqEncoders", "HallqUpload", "HallqCentral",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ]),
        // The Unix-socket transport: JSON lines per role, peer credentials, `watch` streams.
        .target(
            name: "HallqSocket",
            dependencies: [
                "HallqApp", "HallqCore", "HallqProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The hall's hardware, following committed state: printers, signs, voice, callers and
        // keypads (their presses become ops), ID-card readers. The only module above the drivers.
        .target(
            name: "HallqHardware",
            dependencies: [
                "HallqApp", "HallqCore", "HallqDevices", "HallqEncoders", "HallqProtocol", "HallqVoice",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The HTTP listener: the lobby board, the ticket status page, the event stream, metrics.
        // Its pages are plain files under Web/, compiled into the binary (no Node step, no CDN).
        .target(
            name: "HallqWeb",
            dependencies: [
                "HallqApp", "HallqCore", "HallqProtocol", "HallqVoice", "HallqUpload", "HallqCentral",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [
                .embedInCode("Web/board.html"), .embedInCode("Web/board.js"), .embedInCode("Web/status.html"),
                .embedInCode("Web/status.js"), .embedInCode("Web/hallq.css"), .embedInCode("Web/live.js"),
                .embedInCode("Web/kiosk.html"), .embedInCode("Web/kiosk.js"), .embedInCode("Web/window.html"),
                .embedInCode("Web/window.js"), .embedInCode("Web/admin.html"), .embedInCode("Web/admin.js"),
                .embedInCode("Web/staff.js"),
            ]),
        // The composition: one function builds a hall from its config (store, hall, hardware,
        // dispatcher, counter desk, sweeps, relays), used by hallqd and by the in-process test
        // hall; `Daemon` adds the sockets, the HTTP faces, systemd and signals.
        .target(
            name: "HallqDaemon",
            dependencies: [
                "HallqApp", "HallqConfig", "HallqSocket", "HallqHardware", "HallqWeb", "HallqCore", "HallqProtocol",
                "HallqStore", "HallqUpload", "HallqCentral",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "hallqd",
            dependencies: [
                "HallqDaemon", "HallqConfig", "HallqProtocol", "HallqStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // A blocking JSON-lines client: hallqctl and the integration tests.
        .target(name: "HallqClient", dependencies: ["HallqProtocol"]),
        .executableTarget(
            name: "hallqctl",
            dependencies: [
                "HallqProtocol", "HallqClient", "HallqVoice",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // What the tests and the benchmarks share (like NIOTestUtils / HummingbirdTesting): the real
        // hallqd on a temp directory, the umockdev device helpers, the in-process hall, `eventually`.
        .target(
            name: "HallqTestKit",
            dependencies: [
                "HallqDaemon", "HallqApp", "HallqConfig", "HallqHardware", "HallqCore", "HallqStore", "HallqClient",
                "HallqProtocol", "HallqEncoders",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Benchmarks: programs that print figures (docs/BENCHMARKS.md), never pass/fail tests.
        .executableTarget(
            name: "signs-bench", dependencies: ["HallqTestKit", "HallqClient", "HallqEncoders", "HallqProtocol"],
            path: "Benchmarks/SignsBench"),
        .executableTarget(
            name: "store-bench", dependencies: ["HallqCore", "HallqStore"], path: "Benchmarks/StoreBench"),
        .executableTarget(
            name: "soak-crash",
            dependencies: [
                "HallqTestKit", "HallqClient", "HallqProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
            ], path: "Benchmarks/SoakCrash"),
        .executableTarget(
            name: "soak-fuzz", dependencies: ["HallqTestKit", "HallqClient", "HallqProtocol"],
            path: "Benchmarks/SoakFuzz"),
        .executableTarget(
            name: "hallq-bench",
            dependencies: [
                "HallqTestKit", "HallqClient", "HallqCore", "HallqProtocol", "HallqStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ], path: "Benchmarks/HallqBench"),
        // The province's centre at a city's size, beside COPY (docs/CENTRAL.md, docs/BENCHMARKS.md).
        .executableTarget(
            name: "hallq-central-bench",
            dependencies: [
                "HallqCentral", "HallqCore", "HallqStore", "HallqTestKit", "HallqClient", "HallqProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Benchmarks/CentralBench"),
        // How good the wait estimates are, on replayed hall days (docs/BENCHMARKS.md).
        .executableTarget(
            name: "eta-replay", dependencies: ["HallqCore", "HallqConfig"], path: "Benchmarks/EtaReplay"),
        // docs/CONFIG.md as the manual page hallq.toml(5) (scripts/gen-docs).
        // The province's side: schema, halls, statistics and the live dashboard (docs/CENTRAL.md).
        .executableTarget(
            name: "hallq-central",
            dependencies: [
                "HallqCentral", "HallqCore", "HallqProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(name: "hallq-docgen", path: "Tools/DocGen"),
        .testTarget(name: "HallqCoreTests", dependencies: ["HallqCore"]),
        .testTarget(
            name: "HallqEncodersTests",
            dependencies: [
                "HallqEncoders", "HallqCore", "HallqTestKit", .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "HallqDevicesTests", dependencies: ["HallqDevices", "HallqCore"]),
        .testTarget(name: "HallqProtocolTests", dependencies: ["HallqProtocol", "HallqCore"]),
        .testTarget(
            name: "HallqStoreTests",
            dependencies: ["HallqStore", "HallqCore", "HallqTestKit", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "HallqVoiceTests", dependencies: ["HallqVoice", "HallqCore"]),
        .testTarget(
            name: "HallqWebTests",
            dependencies: [
                "HallqWeb", "HallqApp", "HallqConfig", "HallqDaemon", "HallqTestKit", "HallqCore", "HallqProtocol",
                "HallqVoice", "hallqd",
                "hallq-central", "HallqClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "HallqServerTests",
            dependencies: [
                "HallqApp", "HallqConfig", "HallqSocket", "HallqHardware", "HallqTestKit", "HallqCore", "HallqProtocol",
                "HallqEncoders",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        // umockdev (Debian: libumockdev-dev) and a helper that owns an emulated USB serial
        // adapter under the real libserialport, for the device tests only.
        .systemLibrary(
            name: "CUMockdev", path: "Tests/Support/CUMockdev", pkgConfig: "umockdev-1.0",
            providers: [.apt(["libumockdev-dev"])]),
        .executableTarget(name: "hq-serial-bed", dependencies: ["CUMockdev"], path: "Tests/Support/SerialBed"),
        .executableTarget(name: "hq-printer-bed", dependencies: ["CUMockdev"], path: "Tests/Support/PrinterBed"),
        .executableTarget(name: "hq-lp-bed", dependencies: ["CUMockdev"], path: "Tests/Support/LpBed"),
        .executableTarget(name: "hq-input-bed", dependencies: ["CUMockdev"], path: "Tests/Support/InputBed"),
        .testTarget(
            name: "HallqdTests",
            dependencies: [
                "HallqTestKit", "HallqApp", "HallqConfig", "HallqSocket", "HallqHardware", "HallqCore", "HallqStore",
                "HallqClient", "HallqProtocol", "HallqEncoders", "HallqVoice",
                "hallqd", "hallqctl", "hallq-central", "hq-serial-bed", "hq-printer-bed", "hq-lp-bed", "hq-input-bed",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

// Every Swift target: `any` spelled out for existentials, and a file sees only the modules it
// imports itself (no leaking of a dependency's imports).
for target in package.targets where target.type != .system {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
        ]
}
