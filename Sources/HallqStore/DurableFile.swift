import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Small files that must survive a power cut as a whole or not at all (the status links' key,
/// the clean-close record): written to a temporary name, `fsync`ed, moved into place, and the
/// directory `fsync`ed, so after a cut the file is either absent or complete, never empty or
/// torn. (A file's data is durable once the file is synced; its name only once its directory is.)
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let call: String
        public let errno: Int32
        public var description: String { "\(call) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Writes `bytes` to `path` (mode `mode`) durably. With `replace` false an existing file is
    /// kept and `false` returned (two starts racing end with one file: `link` refuses a name
    /// that exists); otherwise the new content replaces the old in one `rename`.
    @discardableResult
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o600, replace: Bool
    ) throws(Failure)
        -> Bool
    {
        let dir = (path as NSString).deletingLastPathComponent
        let temp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: temp, call: "open", errno: errno) }
        defer { unlink(temp) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = errno
                close(fd)
                throw Failure(path: temp, call: "write", errno: e)
            }
            done += n
        }
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            throw Failure(path: temp, call: "fsync", errno: e)
        }
        close(fd)
        if replace {
            guard rename(temp, path) == 0 else { throw Failure(path: path, call: "rename", errno: errno) }
        } else if link(temp, path) != 0 {
            guard errno == EEXIST else { throw Failure(path: path, call: "link", errno: errno) }
            return false
        }
        try syncDirectory(dir)
        return true
    }

    /// Removes `path` and makes the removal durable; a missing file is not an error.
    public static func remove(_ path: String) throws(Failure) {
        guard unlink(path) == 0 else {
            guard errno == ENOENT else { throw Failure(path: path, call: "unlink", errno: errno) }
            return
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// `fsync` of the directory that holds `file`: its entries (creations, renames, removals)
    /// are then on disk.
    public static func syncDirectory(of file: String) throws(Failure) {
        try syncDirectory((file as NSString).deletingLastPathComponent)
    }

    static func syncDirectory(_ dir: String) throws(Failure) {
        let d = dir.isEmpty ? "." : dir
        let fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: d, call: "open", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(path: d, call: "fsync", errno: errno) }
    }
}
