import Foundation
import GRDB

/// Why the database cannot be used; hallqd exits with `exitCode`, and the text says what to do.
public enum StoreProblem: Error, CustomStringConvertible {
    /// The file fails SQLite's quick check: it is never written, so a copy can still be rescued.
    case damaged(path: String, detail: String)
    /// The file or its directory cannot be written (read-only mount, immutable file, disk full).
    case notWritable(path: String, detail: String)
    /// The writer does not report `synchronous = FULL`: commits would be acknowledged before they
    /// are on disk. Nothing the hall can fix by restarting (a library overrides the setting).
    case notDurable(path: String, detail: String)

    /// EX_DATAERR: listed in the unit's RestartPreventExitStatus, so systemd does not restart
    /// into the damaged file again and again.
    public static let damagedExitCode: Int32 = 65
    /// EX_CANTCREAT.
    public static let notWritableExitCode: Int32 = 73
    /// EX_SOFTWARE: also in RestartPreventExitStatus.
    public static let notDurableExitCode: Int32 = 70

    public var exitCode: Int32 {
        switch self {
        case .damaged: return Self.damagedExitCode
        case .notWritable: return Self.notWritableExitCode
        case .notDurable: return Self.notDurableExitCode
        }
    }

    public var description: String {
        switch self {
        case let .damaged(path, detail):
            let dir = (path as NSString).deletingLastPathComponent
            return """
                the database \(path) is damaged (\(detail)); hallqd has not written to it and will not start on it. \
                Keep a copy first: cp -a \(dir) \(dir).damaged-$(date +%F). Then either recover what is readable: \
                sqlite3 \(path) .recover | sqlite3 \(path).recovered && mv \(path).recovered \(path) (remove \(path)-wal and -shm), \
                or move the file away to start with an empty queue and history.
                """
        case let .notWritable(path, detail):
            return
                "the database \(path) cannot be written (\(detail)): check that its file system is mounted read-write, "
                + "that the file is not immutable (lsattr), that the disk is not full, and that hallqd's user owns \((path as NSString).deletingLastPathComponent)"
        case let .notDurable(path, detail):
            return
                "the database \(path) would not be durable (\(detail)): hallqd acknowledges an operation only once it is on disk "
                + "and will not start without synchronous = FULL on its writer; this is a fault of the build (GRDB or SQLite), not of the hall"
        }
    }
}

extension HallStore {
    /// Checks an existing database with a read-only connection (`PRAGMA quick_check`) before
    /// anything opens it for writing: a damaged file must stay exactly as it is.
    ///
    /// A year of history is hundreds of MB, which the check reads whole (seconds). So a file that
    /// hallqd closed cleanly, and that nothing changed since (the same size and modification time
    /// as recorded at that close, no write-ahead log left), is not read again: after a crash, a
    /// power loss, or any other writer, the check runs.
    public static func checkIntegrity(path: String) throws(StoreProblem) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let cleanlyClosed = closedCleanly(path)
        // From here on the file will be written: the next start must not trust an old record,
        // so its removal is made durable before anything writes.
        do {
            try DurableFile.remove(path + ".clean")
        } catch {
            throw .notWritable(path: path, detail: error.description)
        }
        if cleanlyClosed { return }
        var c = Configuration()
        c.readonly = true
        do {
            let q = try DatabaseQueue(path: path, configuration: c)
            let result = try q.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
            try q.close()
            guard result == ["ok"] else {
                throw StoreProblem.damaged(
                    path: path, detail: "quick_check: " + result.prefix(3).joined(separator: "; "))
            }
        } catch let p as StoreProblem {
            throw p
        } catch let e as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(e.resultCode) {
            throw .damaged(path: path, detail: e.message ?? "\(e.resultCode)")
        } catch let e as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM].contains(e.resultCode) {
            throw .notWritable(path: path, detail: e.message ?? "\(e.resultCode)")
        } catch {
            throw .damaged(path: path, detail: "\(error)")
        }
    }

    /// What a clean close records: the file's size and modification time.
    static func fingerprint(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
    }

    static func closedCleanly(_ path: String) -> Bool {
        guard let recorded = try? String(contentsOfFile: path + ".clean", encoding: .utf8),
            let now = fingerprint(path), recorded == now
        else { return false }
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        return wal == 0
    }

    /// Closes the database at shutdown and records that it was closed cleanly (see
    /// `checkIntegrity`). Nothing may use the store afterwards.
    public func closeCleanly() throws {
        try closePool()
        if let f = Self.fingerprint(path) {
            try DurableFile.write(Array(f.utf8), to: path + ".clean", mode: 0o640, replace: true)
        }
    }

    /// Opens the database for hallqd: integrity first, then migrations, then one real write, so
    /// storage that cannot be written is an error at start rather than a daemon that says
    /// "ready" and refuses every ticket.
    public static func openChecked(path: String, now: Int64) throws -> HallStore {
        try checkIntegrity(path: path)
        let store: HallStore
        do {
            store = try HallStore(path: path)
        } catch let e as DatabaseError
            where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_IOERR, .SQLITE_FULL].contains(e.resultCode)
        {
            throw StoreProblem.notWritable(path: path, detail: e.message ?? "\(e.resultCode)")
        } catch let e as DurableFile.Failure {
            throw StoreProblem.notWritable(path: path, detail: e.description)
        }
        do {
            try store.recordStart(now: now)
        } catch let e as DatabaseError {
            throw StoreProblem.notWritable(path: path, detail: e.message ?? "\(e.resultCode)")
        }
        return store
    }
}
