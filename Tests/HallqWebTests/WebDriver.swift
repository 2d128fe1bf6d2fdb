import AsyncHTTPClient
import Foundation
import HallqProtocol
import HallqTestKit
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Debian's headless Chromium driven through its WebDriver (chromedriver, W3C protocol over
/// HTTP): a real browser for the pages' tests. As root (CI) Chromium needs --no-sandbox.
final class WebDriver: @unchecked Sendable {
    let driver: Process
    let base: String
    let session: String
    /// Where screenshots go, for a person to look at.
    let shots: URL

    static var chrome: String {
        ProcessInfo.processInfo.environment["HALLQ_CHROME"] ?? "/usr/lib/chromium/chromium-headless-shell"
    }

    init(shots: URL, width: Int = 1920, height: Int = 1080, extraArgs: [String] = []) async throws {
        self.shots = shots
        let port = try freePort()
        base = "http://127.0.0.1:\(port)"
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.runSerially()
        let base = self.base
        guard
            await eventuallyAsync(
                20,
                {
                    (try? await Self.call(base + "/status", method: .GET))?["value"]?["ready"]?.boolValue == true
                })
        else { throw HarnessError("chromedriver did not start") }
        let caps: JSONValue = [
            "capabilities": [
                "alwaysMatch": [
                    "goog:chromeOptions": [
                        "binary": .string(Self.chrome),
                        "args": .array(
                            (["--no-sandbox", "--headless", "--window-size=\(width),\(height)", "--lang=zh-CN"]
                                + extraArgs)
                                .map { .string($0) }),
                    ]
                ]
            ]
        ]
        let reply = try await Self.call(base + "/session", method: .POST, caps)
        guard let id = reply["value"]?["sessionId"]?.stringValue else {
            driver.terminate()
            throw HarnessError("no WebDriver session: \(reply.text)")
        }
        session = id
    }

    /// Ends the session (Chromium exits) and chromedriver, which does not stop on SIGTERM.
    func quit() async {
        _ = try? await Self.call("\(base)/session/\(session)", method: .DELETE)
        kill(driver.processIdentifier, SIGKILL)
        _ = await eventuallyAsync(10) { !self.driver.isRunning }
    }

    func open(_ url: String) async throws {
        try await command("url", ["url": .string(url)])
    }

    func resize(width: Int, height: Int) async throws {
        try await command("window/rect", ["width": .int(Int64(width)), "height": .int(Int64(height))])
    }

    /// Runs `script` (a function body) in the page; its return value.
    @discardableResult
    func run(_ script: String) async throws -> JSONValue {
        try await command("execute/sync", ["script": .string(script), "args": []])
    }

    /// The browser's cookies for the current page, HttpOnly ones included: name → value.
    func cookies() async throws -> [String: String] {
        let all = try await Self.call("\(base)/session/\(session)/cookie", method: .GET)["value"]?.arrayValue ?? []
        var out: [String: String] = [:]
        for c in all { if let n = c["name"]?.stringValue, let v = c["value"]?.stringValue { out[n] = v } }
        return out
    }

    /// Waits until `script` returns true; false after `seconds`.
    func until(_ seconds: Double, _ script: String) async throws -> Bool {
        try await eventuallyAsync(seconds) { try await self.run(script) == .bool(true) }
    }

    /// Presses and releases a key on the keyboard (WebDriver actions): e.g. "\u{E032}" is F2.
    func press(_ key: String) async throws {
        try await command(
            "actions",
            [
                "actions": [
                    [
                        "type": "key", "id": "keyboard",
                        "actions": [
                            ["type": "keyDown", "value": .string(key)], ["type": "keyUp", "value": .string(key)],
                        ],
                    ]
                ]
            ])
    }

    /// Saves the page as a PNG under `shots`.
    func screenshot(_ name: String) async throws {
        let b64 = try await Self.call("\(base)/session/\(session)/screenshot", method: .GET)["value"]?.stringValue
        guard let b64, let png = Data(base64Encoded: b64) else { throw HarnessError("no screenshot") }
        try png.write(to: shots.appendingPathComponent(name))
    }

    @discardableResult
    private func command(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        let reply = try await Self.call("\(base)/session/\(session)/\(path)", method: .POST, body)
        if let error = reply["value"]?["error"]?.stringValue {
            throw HarnessError("WebDriver \(path): \(error): \(reply["value"]?["message"]?.stringValue ?? "")")
        }
        return reply["value"] ?? .null
    }

    private static func call(_ url: String, method: HTTPMethod, _ body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.text))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 32 << 20)
        return JSONValue.parse(Array(bytes.readableBytesView)) ?? .null
    }
}

/// What both browser suites stand on: the real hallqd with `[http]` on a free port, a directory
/// for screenshots (printed), and a browser around a test body, both stopped however it ends.
final class BrowserHall: @unchecked Sendable {
    let port: Int
    let hall: DaemonHarness
    let shots: URL

    /// - extraConfig: appended after `[http]`, given the screenshot directory (a clip pack's home).
    /// - base: the hall's config before `[http]` (the demo hall by default).
    init(
        _ name: String, base: String = DaemonHarness.demoConfig + DaemonHarness.generousLimits,
        extraConfig: (URL) throws -> String = { _ in "" }
    ) throws {
        port = try freePort()
        shots = FileManager.default.temporaryDirectory.appendingPathComponent(
            "hallq-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        print("browser screenshots: \(shots.path)")
        hall = try DaemonHarness(
            config: base + """

                [http]
                listen = "127.0.0.1:\(port)"
                public_url = "http://127.0.0.1:\(port)"
                heartbeat_s = 1

                """ + (try extraConfig(shots)))
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// A request on a role's socket; its reply must be ok.
    @discardableResult
    func ok(_ role: Role, _ request: JSONValue) throws -> JSONValue {
        let r = try hall.ask(role, request)
        guard r.ok else { throw HarnessError("\(request.text) → \(r.text)") }
        return r
    }

    /// hallqd's extra environment (an emulated device's).
    var environment: [String: String] = [:]

    /// hallqd is up when the admin socket answers; the HTTP port a moment later.
    func start() async throws {
        try hall.start(extraEnv: environment, logLevel: "info")
        let url = self.url
        guard
            await eventuallyAsync(
                20,
                {
                    let r = try? await HTTPClient.shared.execute(
                        HTTPClientRequest(url: url + "/api/board"), timeout: .seconds(5))
                    return r?.status == .ok
                })
        else { throw HarnessError("no HTTP on \(url):\n\(hall.log)") }
    }

    /// hallqd and a browser for `body`; both stop however it ends.
    func withBrowser(
        width: Int = 1920, height: Int = 1080, extraArgs: [String] = [],
        _ body: (WebDriver) async throws -> Void
    ) async throws {
        try await start()
        let browser = try await WebDriver(shots: shots, width: width, height: height, extraArgs: extraArgs)
        do {
            try await body(browser)
        } catch {
            await browser.quit()
            _ = hall.stop()
            throw error
        }
        await browser.quit()
        #expect(hall.stop() == 0)
    }

    /// In the browser, as an admin through the API (fetch): a new enrolment code for `screen`,
    /// then logged out again, so the page sees no staff session.
    func enrolmentCode(_ browser: WebDriver, screen: String) async throws -> String {
        let code = try await browser.run(
            """
            return (async () => {
              const login = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ name: 'boss', password: 'secret-pass-9' }) }).then((r) => r.json());
              const made = await fetch('/api/screens/code', { method: 'POST',
                headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': login.csrf },
                body: JSON.stringify({ name: '\(screen)' }) }).then((r) => r.json());
              await fetch('/api/logout', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': login.csrf }, body: '{}' });
              return made.code;
            })();
            """)
        return try #require(code.stringValue, "no code: \(code.text)")
    }

    /// The kiosk page at `/kiosk` on an enrolled screen: the enrolment form, never a login form,
    /// then the code typed in.
    /// Logs in on a staff page's form (the page is open and shows it).
    func logIn(_ browser: WebDriver, name: String, password: String = "secret-pass-9") async throws {
        #expect(try await browser.until(10, "return !document.getElementById('login').hidden"))
        try await browser.run(
            """
            const f = document.getElementById('login');
            f.elements.name.value = '\(name)';
            f.elements.password.value = '\(password)';
            f.requestSubmit();
            """)
        #expect(try await browser.until(10, "return document.body.dataset.session === 'open'"))
    }

    func enrol(_ browser: WebDriver, code: String) async throws {
        try await browser.open(url + "/kiosk")
        #expect(try await browser.until(10, "return !document.getElementById('enrol').hidden"))
        #expect(try await browser.run("return document.querySelectorAll('input[type=password]').length") == 0)
        try await browser.screenshot("kiosk-enrol-1080x1920.png")
        try await browser.run(
            "const f = document.getElementById('enrol'); f.elements.code.value = '\(code)'; f.requestSubmit();")
        #expect(try await browser.until(10, "return document.body.dataset.session === 'open'"))
    }
}
