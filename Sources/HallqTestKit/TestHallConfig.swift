/// The small halls the device tests and the benchmarks run: TOML built in one place, so a test
/// and a benchmark of the same setup cannot drift apart.
public enum TestHallConfig {
    /// `[hall]` 测试大厅 (Asia/Shanghai); one service A (资质认定, numbers `first`…`last` with
    /// `width` digits); windows
    /// 1…`windows` serving it; no printer. With `signs`, window n has a sign at address n on bus
    /// "signs"; `scope(n)` is what that window's sign scrolls while idle.
    public static func oneService(
        windows: Int = 1, first: Int = 1, last: Int = 999, width: Int = 3, signs: Bool = false,
        scope: (Int) -> String? = { _ in nil }
    ) -> String {
        var c = """
            [hall]
            name = "测试大厅"
            timezone = "Asia/Shanghai"

            [[service]]
            id = "A"
            name = "资质认定"
            first = \(first)
            last = \(last)
            width = \(width)

            [printer]
            kind = "none"

            """
        for n in 1...windows {
            c += "\n[[window]]\nnumber = \(n)\nservices = [\"A\"]\n"
            if let s = scope(n) { c += "scope = \"\(s)\"\n" }
            if signs { c += "sign = { bus = \"signs\", address = \(n) }\n" }
        }
        return c
    }

    /// Bus "signs": Onbon signs on the emulated adapter (/dev/hallq/signs), no gap between frames.
    public static func onbonBus(baud: Int = 9600, refreshSeconds: Int = 600, extra: String = "") -> String {
        """

        [[bus]]
        name = "signs"
        kind = "serial"
        path = "/dev/hallq/signs"
        baud = \(baud)
        protocol = "onbon"
        gap_ms = 0
        refresh_s = \(refreshSeconds)
        \(extra)
        """
    }
}
