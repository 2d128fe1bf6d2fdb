import Foundation
import HallqProtocol
import HallqTestKit
import Testing

/// The lobby board as a visitor reads it from across the lobby, in a real browser at a TV's
/// 1920×1080 and a portrait 1080×1920, with 6 and 12 windows and 6 and 12 services: every service
/// row and every window tile is on the screen (not cut off by its box), and on each tile the
/// window number is the largest text. The screenshots are for a person to look at too.
@Suite(.serialized) struct BoardLegibilityTests {
    /// `services` services (A, B, …; A issues 绿色通道 tickets) and `windows` windows, each
    /// serving two services.
    static func hall(windows: Int, services: Int) -> String {
        let names = [
            "检验检测机构资质认定", "计量授权", "特种设备许可", "食品经营许可", "药品经营许可", "医疗器械经营备案",
            "广告发布登记", "企业名称登记", "营业执照变更", "股权出质登记", "动产抵押登记", "认证机构审批",
        ]
        let ids = (0..<services).map { String(UnicodeScalar(UInt8(65 + $0))) }
        var out = "[hall]\nname = \"省市场监管局政务服务大厅\"\n"
        for (i, id) in ids.enumerated() {
            out += "\n[[service]]\nid = \"\(id)\"\nname = \"\(names[i])\"\(i == 0 ? "\npriority = true" : "")\n"
        }
        for w in 1...windows {
            let a = ids[(w - 1) % services]
            let b = ids[w % services]
            out += "\n[[window]]\nnumber = \(w)\nservices = [\"\(a)\", \"\(b)\"]\n"
        }
        return out + DaemonHarness.generousLimits
    }

    /// Every service row and window tile inside the screen and inside its own box, and each
    /// tile's number larger than anything else on it; the failures as sentences.
    static let check = """
        const fails = [];
        const inside = (e, box) => {
          const r = e.getBoundingClientRect(), b = box.getBoundingClientRect();
          return r.height > 0 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1;
        };
        const size = (e) => parseFloat(getComputedStyle(e).fontSize);
        for (const tr of document.querySelectorAll('#services tbody tr')) {
          if (!inside(tr, document.getElementById('services-box'))) fails.push('service ' + tr.dataset.service + ' cut off');
        }
        for (const t of document.querySelectorAll('.tile')) {
          if (!inside(t, document.getElementById('windows-box'))) fails.push('window ' + t.dataset.window + ' cut off');
          const n = size(t.querySelector('.num'));
          for (const o of t.querySelectorAll('.ticket, .state, .green')) {
            if (size(o) >= n) fails.push('window ' + t.dataset.window + ': ' + o.className + ' as large as the number');
          }
          if (n < 28) fails.push('window ' + t.dataset.window + ' number only ' + n + ' px');
        }
        return fails.join('; ');
        """

    @Test(
        "every service and window on the board at 1920×1080 and 1080×1920, with 6 or 12 of each; the window number the largest text",
        arguments: [(6, 6), (12, 12), (6, 12), (12, 6)])
    func legible(windows: Int, services: Int) async throws {
        let fixture = try BrowserHall(
            "board-\(windows)w\(services)s", base: Self.hall(windows: windows, services: services))
        try await fixture.withBrowser { browser in
            // A morning: clerks at every window, people waiting everywhere, calls and a pause.
            for w in 1...windows {
                try fixture.ok(.clerk, ["op": "signin", "window": .int(Int64(w)), "clerk": .string("职员\(w)")])
            }
            for i in 0..<(services * 3) {
                let id = String(UnicodeScalar(UInt8(65 + i % services)))
                try fixture.ok(.kiosk, ["op": "take", "service": .string(id)])
            }
            try fixture.ok(.kiosk, ["op": "take", "service": "A", "priority": true])
            try fixture.ok(.clerk, ["op": "call", "window": 1])
            for w in 2...windows where w % 3 != 0 {
                try fixture.ok(.clerk, ["op": "call", "window": .int(Int64(w))])
                if w % 2 == 0 { try fixture.ok(.clerk, ["op": "start", "window": .int(Int64(w))]) }
            }
            try fixture.ok(.clerk, ["op": "pause", "window": 3])
            try await browser.open(fixture.url + "/board")
            #expect(
                try await browser.until(
                    10,
                    "return document.querySelectorAll('.tile').length === \(windows) && document.querySelectorAll('#services tbody tr').length === \(services)"
                ))
            #expect(
                try await browser.until(10, "return !!document.querySelector('.tile .green')"),
                "the 绿色通道 ticket at window 1")
            for (w, h) in [(1920, 1080), (1080, 1920)] {
                try await browser.resize(width: w, height: h)
                // The browser's window includes its frame: the page gets what is left of it.
                try await Task.sleep(for: .milliseconds(300))
                let fails = try await browser.run(Self.check).stringValue ?? "?"
                #expect(fails.isEmpty, "\(w)×\(h), \(windows) windows, \(services) services: \(fails)")
                try await browser.screenshot("board-\(w)x\(h)-\(windows)w-\(services)s.png")
            }
        }
    }
}
