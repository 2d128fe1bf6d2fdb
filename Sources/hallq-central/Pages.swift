import Foundation
import HallqCentral
import HallqCore
import HallqProtocol

/// The dashboard's HTML: Chinese first, one stylesheet, no scripts from elsewhere. Pages fit a
/// wall screen, a desk and a phone (the tables scroll sideways on a narrow screen).
enum Pages {
    static func e(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let style = """
        <style>
        body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 0; background: #f4f6f8; color: #1d2733; }
        header { background: #0b4f8a; color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
        header a { color: #fff; } header h1 { font-size: 1.2rem; margin: 0; flex: 1; }
        main { padding: 1rem; overflow-x: auto; }
        table { border-collapse: collapse; background: #fff; min-width: 100%; }
        th, td { border: 1px solid #d5dbe1; padding: .35rem .6rem; text-align: right; white-space: nowrap; }
        th:first-child, td:first-child, td.text { text-align: left; }
        .off { color: #a33; } .on { color: #1a7f37; } .lag { color: #b26a00; }
        form.inline { display: inline; } button, input, select { font-size: 1rem; padding: .3rem .5rem; }
        .login { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem; border-radius: .5rem; }
        .login label { display: block; margin: .6rem 0; } .login input { width: 100%; box-sizing: border-box; }
        .error { color: #a33; } svg text { font-size: 12px; }
        @media print { header form, nav { display: none; } }
        </style>
        """

    static func document(_ title: String, _ body: String) -> String {
        """
        <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title>\(style)</head><body>\(body)</body></html>
        """
    }

    static func login(error: String?) -> String {
        document(
            "登录 · hallq 全省",
            """
            <form class="login" method="post" action="/login">
            <h1>全省政务大厅 · 登录</h1><p>Province dashboard · sign in</p>
            \(error.map { "<p class=\"error\" id=\"login-error\">\(e($0))</p>" } ?? "")
            <label>账号 Account <input name="account" autocomplete="username" required></label>
            <label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">登录 Sign in</button>
            </form>
            """)
    }

    static func frame(_ body: String, account: String, csrf: String) -> String {
        document(
            "hallq 全省",
            """
            <header><h1>全省政务服务大厅 · Province halls</h1>
            <nav><a href="/">实时 Live</a> · <a href="/stats">统计 Statistics</a> · <a href="/report">月报 Monthly</a></nav>
            <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="\(e(csrf))">
            \(e(account)) <button>退出 Sign out</button></form></header>
            <main>\(body)</main>
            """)
    }

    /// Every hall, live: filled and kept current by the event stream.
    static func live() -> String {
        """
        <h2>各大厅实时 · All halls now</h2>
        <p id="live-state">连接中… Connecting…</p>
        <table id="halls"><thead><tr><th>大厅 Hall</th><th>状态 State</th><th>滞后 Lag</th><th>等候 Waiting</th>
        <th>最长等候 Longest wait</th><th>正在呼叫 Calling</th><th>近1小时叫号 Calls (1 h)</th><th>今日办结 Served today</th>
        <th>今日好差评 Ratings today (5/4/3/2/1)</th></tr></thead><tbody></tbody></table>
        <script type="module" src="/live.js"></script>
        """
    }

    /// The live page's script, served as `/live.js` (no inline script: the CSP allows none).
    static let liveScript = """
        const body = document.querySelector('#halls tbody');
        const state = document.getElementById('live-state');
        const rows = new Map();
        const text = (s) => document.createTextNode(String(s));
        function minutes(s) { return s >= 60 ? Math.round(s / 60) + ' 分钟' : s + ' 秒'; }
        function calling(detail) {
          try {
            const d = JSON.parse(detail);
            return (d.windows || []).filter(w => w.ticket).map(w => w.ticket + '→' + w.number + '号窗口').join(' ');
          } catch { return ''; }
        }
        function render(h) {
          let tr = rows.get(h.hall_id);
          if (!tr) {
            tr = document.createElement('tr');
            tr.id = 'hall-' + h.hall_id;
            rows.set(h.hall_id, tr);
            const after = [...rows.keys()].sort().filter(k => k > h.hall_id)[0];
            body.insertBefore(tr, after ? rows.get(after) : null);
          }
          const link = document.createElement('a');
          link.href = '/hall/' + encodeURIComponent(h.hall_id);
          link.append(text(h.name + ' (' + h.hall_id + ')'));
          const cells = [
            link,
            text(h.online ? '在线 online' : '离线 offline'),
            text(h.lag_events > 0 ? h.lag_events + ' 条 / ' + h.lag_s + ' 秒' : '—'),
            text(h.waiting), text(minutes(h.longest_wait_s)), text(calling(h.detail) || '—'),
            text(h.calls_last_hour), text(h.served_today),
            text([...h.ratings_today].reverse().join('/')),
          ];
          tr.replaceChildren(...cells.map((c, i) => {
            const td = document.createElement('td');
            if (i === 0 || i === 5) td.className = 'text';
            if (i === 1) td.className = h.online ? 'on' : 'off';
            if (i === 2 && h.lag_events > 0) td.className = 'lag';
            td.append(c);
            return td;
          }));
          tr.dataset.calling = calling(h.detail);
        }
        const source = new EventSource('/api/live/stream');
        source.addEventListener('hall', (ev) => { render(JSON.parse(ev.data)); });
        source.onopen = () => { state.textContent = '实时 Live · ' + new Date().toLocaleTimeString('zh-CN'); };
        source.onerror = () => { state.textContent = '重新连接中… Reconnecting…'; };
        """

    static func hall(_ h: CentralLive.Hall, services: [StatsRow], windows: [StatsRow], day: String) -> String {
        struct Detail: Decodable {
            struct Service: Decodable {
                var id: String
                var name: String?
                var waiting: Int
                var longest_wait_s: Int
            }
            struct Window: Decodable {
                var number: Int
                var state: String
                var ticket: String?
            }
            var services: [Service]?
            var windows: [Window]?
        }
        let d = try? JSONDecoder().decode(Detail.self, from: Data(h.detail.utf8))
        let svc = (d?.services ?? []).map {
            "<tr><td>\(e($0.name ?? $0.id)) (\(e($0.id)))</td><td>\($0.waiting)</td><td>\($0.longest_wait_s)</td></tr>"
        }.joined()
        let win = (d?.windows ?? []).map {
            "<tr><td>\($0.number) 号窗口</td><td class=\"text\">\(e(windowState($0.state)))</td><td>\(e($0.ticket ?? "—"))</td></tr>"
        }.joined()
        return """
            <h2>\(e(h.name)) · \(e(h.hallId))</h2>
            <p class="\(h.online ? "on" : "off")">\(h.online ? "在线 online" : "离线 offline")；等候 \(h.waiting) 人，
            最长等候 \(h.longestWaitSeconds) 秒；未上报 \(h.lagEvents) 条</p>
            <h3>业务 Services (现在 now)</h3>
            <table id="hall-services"><tr><th>业务 Service</th><th>等候 Waiting</th><th>最长等候(秒) Longest (s)</th></tr>\(svc)</table>
            <h3>窗口 Windows (现在 now)</h3>
            <table id="hall-windows"><tr><th>窗口 Window</th><th>状态 State</th><th>票号 Ticket</th></tr>\(win)</table>
            <h3>今日按业务 Today by service (\(e(day)))</h3>\(statsTable(services))
            <h3>今日按窗口 Today by window</h3>\(statsTable(windows))
            """
    }

    static func windowState(_ s: String) -> String {
        switch s {
        case "calling": return "呼叫中 calling"
        case "serving": return "办理中 serving"
        case "paused": return "暂停 paused"
        case "closed": return "未开 closed"
        default: return "空闲 idle"
        }
    }

    static func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }

    static func statsTable(_ rows: [StatsRow], id: String = "") -> String {
        let body = rows.map { r in
            let levels = [5, 4, 3, 2, 1].map { String(r.ratingLevels[$0]) }.joined(separator: "/")
            return """
                <tr><td>\(e(r.key))</td><td>\(r.issued)</td><td>\(r.served)</td><td>\(r.noshows)</td>\
                <td>\(f(r.wait.mean))</td><td>\(f(r.wait.median))</td><td>\(f(r.wait.p90))</td>\
                <td>\(f(r.service.mean))</td><td>\(f(r.service.median))</td><td>\(f(r.service.p90))</td>\
                <td>\(levels)</td></tr>
                """
        }.joined(separator: "\n")
        return """
            <table\(id.isEmpty ? "" : " id=\"\(id)\"")><tr><th>分组 Key</th><th>取号 Issued</th><th>办结 Served</th><th>过号 No-show</th>
            <th>等候均值 Wait mean</th><th>中位 p50</th><th>p90</th><th>办理均值 Service mean</th><th>中位 p50</th><th>p90</th>
            <th>好差评 5/4/3/2/1</th></tr>\(body)</table>
            """
    }

    static func stats(_ rows: [StatsRow], by: CentralStats.Dimension, from: String, to: String, hall: String?) -> String
    {
        let options = CentralStats.Dimension.allCases.map {
            "<option value=\"\($0.rawValue)\"\($0 == by ? " selected" : "")>\($0.rawValue)</option>"
        }.joined()
        var q = "by=\(by.rawValue)&from=\(from)&to=\(to)"
        if let hall { q += "&hall=\(hall.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        return """
            <h2>统计 Statistics</h2>
            <form method="get" action="/stats">
            <label>从 From <input type="date" name="from" value="\(e(from))"></label>
            <label>到 To <input type="date" name="to" value="\(e(to))"></label>
            <label>按 By <select name="by">\(options)</select></label>
            <label>大厅 Hall <input name="hall" value="\(e(hall ?? ""))" size="12"></label>
            <button>查询 Show</button> <a href="/stats.csv?\(q)">CSV</a></form>
            <h3>等候时间(秒) Wait p50 / p90 (s)</h3>\(chart(rows))
            <h3>办结量 Served</h3>\(bars(rows.map { ($0.key, Double($0.served)) }))
            <h3>好差评 Ratings by level</h3>\(bars([5, 4, 3, 2, 1].map { l in ("\(l)", Double(rows.reduce(0) { $0 + $1.ratingLevels[l] })) }))
            \(statsTable(rows, id: "stats"))
            """
    }

    /// Wait p50 and p90 per key as paired horizontal bars (SVG, drawn here: no chart library).
    static func chart(_ rows: [StatsRow]) -> String {
        let top = max(1, rows.compactMap { $0.wait.p90 }.max() ?? 1)
        var y = 0
        var parts: [String] = []
        for r in rows {
            let p50 = (r.wait.median ?? 0) / top * 300
            let p90 = (r.wait.p90 ?? 0) / top * 300
            parts.append(
                """
                <text x="0" y="\(y + 12)">\(e(r.key))</text>
                <rect x="120" y="\(y)" width="\(Int(p90))" height="14" fill="#9cc3e6"><title>p90 \(f(r.wait.p90))</title></rect>
                <rect x="120" y="\(y + 3)" width="\(Int(p50))" height="8" fill="#0b4f8a"><title>p50 \(f(r.wait.median))</title></rect>
                <text x="\(126 + Int(p90))" y="\(y + 12)">\(f(r.wait.median)) / \(f(r.wait.p90))</text>
                """)
            y += 20
        }
        return "<svg role=\"img\" width=\"520\" height=\"\(max(20, y))\">\(parts.joined())</svg>"
    }

    static func bars(_ items: [(String, Double)]) -> String {
        let top = max(1, items.map(\.1).max() ?? 1)
        var y = 0
        var parts: [String] = []
        for (k, v) in items {
            let w = Int(v / top * 300)
            parts.append(
                """
                <text x="0" y="\(y + 12)">\(e(k))</text><rect x="120" y="\(y)" width="\(w)" height="14" fill="#1a7f37"></rect>
                <text x="\(126 + w)" y="\(y + 12)">\(Int(v))</text>
                """)
            y += 20
        }
        return "<svg role=\"img\" width=\"520\" height=\"\(max(20, y))\">\(parts.joined())</svg>"
    }

    static func csv(_ rows: [StatsRow]) -> String {
        var out = "key,issued,served,noshows,transferred,wait_mean_s,wait_median_s,wait_p90_s,service_mean_s,"
        out += "service_median_s,service_p90_s,ratings_5,ratings_4,ratings_3,ratings_2,ratings_1\n"
        for r in rows {
            let fields =
                [
                    TicketCSV.cell(r.key), String(r.issued), String(r.served), String(r.noshows),
                    String(r.transferred), f(r.wait.mean), f(r.wait.median), f(r.wait.p90), f(r.service.mean),
                    f(r.service.median), f(r.service.p90),
                ] + [5, 4, 3, 2, 1].map { String(r.ratingLevels[$0]) }
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The province's monthly list: each hall's served, waits and 好差评, printable.
    static func report(month: String, rows: [StatsRow], halls: [CentralHalls.Hall]) -> String {
        let names = Dictionary(halls.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let body = rows.map { r in
            let rated = r.ratingLevels.count
            let good = r.ratingLevels[5] + r.ratingLevels[4]
            let bad = r.ratingLevels[2] + r.ratingLevels[1]
            let share = rated == 0 ? "-" : String(format: "%.1f%%", Double(good) * 100 / Double(rated))
            return """
                <tr><td>\(e(names[r.key] ?? r.key)) (\(e(r.key)))</td><td>\(r.issued)</td><td>\(r.served)</td>\
                <td>\(f(r.wait.mean))</td><td>\(f(r.wait.median))</td><td>\(f(r.wait.p90))</td>\
                <td>\(f(r.service.median))</td><td>\(rated)</td><td>\(share)</td><td>\(bad)</td></tr>
                """
        }.joined(separator: "\n")
        return """
            <h2>\(e(month)) 全省政务服务大厅月报 · Monthly report</h2>
            <form method="get" action="/report"><input type="month" name="month" value="\(e(month))"><button>查看 Show</button></form>
            <table id="report"><tr><th>大厅 Hall</th><th>取号 Issued</th><th>办结 Served</th><th>平均等候(秒)</th><th>等候中位</th>
            <th>等候 p90</th><th>办理中位</th><th>评价数 Rated</th><th>满意率 Satisfied</th><th>差评 Bad</th></tr>\(body)</table>
            <p>等候与办理时间以秒计；满意率为“非常满意”“满意”之和占评价数。Times in seconds.</p>
            """
    }
}
