import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sockets passed by systemd (LISTEN_FDS / LISTEN_FDNAMES), by name: "kiosk", "clerk", "admin".
public enum SocketActivation {
    public static func listeners(environment env: [String: String], pid: Int32 = getpid()) -> [String: Int32] {
        guard let p = env["LISTEN_PID"], Int32(p) == pid, let n = env["LISTEN_FDS"].flatMap(Int32.init), n > 0 else {
            return [:]
        }
        let names = (env["LISTEN_FDNAMES"] ?? "").split(separator: ":", omittingEmptySubsequences: false).map(
            String.init)
        var out: [String: Int32] = [:]
        for i in 0..<n {
            let fd = 3 + i
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let name = Int(i) < names.count ? names[Int(i)] : "unknown"
            out[name] = fd
        }
        return out
    }
}
