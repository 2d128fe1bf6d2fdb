import HallqApp
import HallqConfig
import HallqCore
import HallqTestKit
import Testing

@Suite struct HTTPConfigTests {
    func parse(_ extra: String) throws(ConfigError) -> HallConfig {
        try ConfigLoader.parse(DaemonHarness.demoConfig + "\n" + extra)
    }

    @Test("[http]: host:port forms, public_url without its trailing slash, heartbeat_s")
    func accepted() throws {
        let c = try parse("[http]\nlisten = \"[::]:8080\"\npublic_url = \"https://hall.example/q/\"\nheartbeat_s = 5")
        #expect(c.http == HTTPConfig(host: "::", port: 8080, publicURL: "https://hall.example/q", heartbeatSeconds: 5))
        #expect(try parse("[http]\nlisten = \"0.0.0.0:80\"").http?.publicURL == nil)
        #expect(try parse("").http == nil)
    }

    @Test("[http] mistakes name their key")
    func refused() {
        for (text, key) in [
            ("[http]\npublic_url = \"http://x\"", "http.listen"),
            ("[http]\nlisten = \"8080\"", "http.listen"),
            ("[http]\nlisten = \"localhost:99999\"", "http.listen"),
            ("[http]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"ftp://x\"", "http.public_url"),
            ("[http]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"http://x/?a=1\"", "http.public_url"),
            ("[http]\nlisten = \"127.0.0.1:8080\"\nport = 1", "http.port"),
        ] {
            #expect(throws: ConfigError.self, "\(text)") { try parse(text) }
            do { _ = try parse(text) } catch { #expect(error.key == key, "\(text): \(error)") }
        }
    }
}
