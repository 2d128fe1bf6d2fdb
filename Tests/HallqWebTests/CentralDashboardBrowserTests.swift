import AsyncHTTPClient
import Foundation
import HallqClient
import HallqProtocol
import HallqTestKit
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The province's dashboard (`hallq-central serve`) in a real headless Chromium, with two real
/// hallqd shipping to a real PostgreSQL: both halls live on one page, a call at a hall on it
/// within 3 s (LISTEN/NOTIFY → server-sent event), a hall's page, statistics and the report.
@Suite(.serialized) struct CentralDashboardBrowserTests {
    @Test("two halls live on the province's page; a call at one shows there within 3 s")
    func live() async throws {
        // Every step that waits (child programs, sockets) on a thread of its own: the in-process
        // servers of the tests running beside this one need the cooperative threads.
        let ids = [CentralCluster.newHallId(), CentralCluster.newHallId()].sorted()
        let (cluster, halls, account) = try await blocking {
            let cluster = try CentralCluster()
            var halls: [DaemonHarness] = []
            for (i, id) in ids.enumerated() {
                let section = try cluster.addHall(id, name: i == 0 ? "西湖区政务服务中心" : "上城区政务服务中心")
                let d = try DaemonHarness(config: DaemonHarness.demoConfig + "\n" + section)
                try d.start(logLevel: "info")
                halls.append(d)
            }
            let account = try cluster.central(["account", "add", "province"], stdin: "secret-pass-9\n")
            return (cluster, halls, account)
        }
        defer { for d in halls { d.stop() } }
        #expect(account.status == 0, "\(account.err)")
        let port = try freeServerPort()
        let serve = Process()
        serve.executableURL = DaemonHarness.binDir.appendingPathComponent("hallq-central")
        serve.arguments = ["serve", "--db", cluster.url(), "--listen", "127.0.0.1:\(port)"]
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hallq-central-\(port).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        serve.standardError = try FileHandle(forWritingTo: log)
        serve.standardOutput = FileHandle.nullDevice
        try serve.runSerially()
        defer {
            if serve.isRunning {
                serve.terminate()
                serve.waitUntilExit()
            }
        }
        let url = "http://127.0.0.1:\(port)"
        let up = await eventuallyAsync(20) {
            let r = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/login"), timeout: .seconds(5))
            return r?.status == .ok
        }
        #expect(up, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        // Without a session: the pages send to the sign-in, the API says so.
        let api = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/api/live"), timeout: .seconds(5))
        #expect(api.status == .unauthorized)

        let shots = FileManager.default.temporaryDirectory.appendingPathComponent("hallq-central-\(port)")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        print("browser screenshots: \(shots.path)")
        let browser = try await WebDriver(shots: shots, width: 1600, height: 900)
        do {
            try await browser.open(url + "/")
            #expect(try await browser.until(10, "return !!document.querySelector('form.login')"))
            try await browser.run(
                """
                const f = document.querySelector('form.login');
                f.elements.account.value = 'province';
                f.elements.password.value = 'secret-pass-9';
                f.requestSubmit();
                """)
            let rowsOnline = ids.map { "document.getElementById('hall-\($0)')?.textContent.includes('在线')" }
            #expect(try await browser.until(15, "return " + rowsOnline.joined(separator: " && ")))
            // A call at the first hall.
            let d = halls[0]
            let replies = try await blocking {
                let kiosk = try d.client(.kiosk)
                let clerk = try d.client(.clerk)
                return [
                    try kiosk.request(["op": "take", "service": "A"]),
                    try clerk.request(["op": "signin", "window": 1, "clerk": "张三"]),
                    try clerk.request(["op": "call", "window": 1]),
                ]
            }
            let allOK = replies.allSatisfy { $0.ok }
            #expect(allOK, "\(replies)")
            let called = Date()
            #expect(
                try await browser.until(
                    3, "return (document.getElementById('hall-\(ids[0])')?.dataset.calling || '').includes('A001')"))
            print("the call showed on the province's page after \(Date().timeIntervalSince(called)) s")
            try await browser.screenshot("province-live.png")
            #expect(try await browser.run("return document.documentElement.outerHTML.includes('张三')") == false)
            // The hall's page: its window calling A001, today's figures.
            try await browser.open(url + "/hall/\(ids[0])")
            #expect(
                try await browser.until(
                    5, "return document.getElementById('hall-windows')?.textContent.includes('A001')"))
            try await browser.screenshot("province-hall.png")
            let finished = try await blocking { try d.client(.clerk).request(["op": "finish", "window": 1]) }
            #expect(finished.ok)
            // Statistics across halls and the monthly report render from the shipped rows.
            #expect(
                try await eventuallyAsync(10) {
                    try await browser.open(url + "/stats?by=hall&from=2000-01-01&to=2100-01-01")
                    return try await browser.run(
                        "return document.getElementById('stats')?.textContent.includes('\(ids[0])')") == true
                })
            try await browser.screenshot("province-stats.png")
            try await browser.open(url + "/report")
            #expect(try await browser.until(5, "return !!document.getElementById('report')"))
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
        serve.terminate()
        // The waits for the processes' ends and the database's drop, off the cooperative threads.
        try await blocking {
            serve.waitUntilExit()
            for d in halls { d.stop() }
            cluster.drop()
        }
        #expect(serve.terminationStatus == 0, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }
}
