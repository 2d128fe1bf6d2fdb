import HallqCore
import HallqStore

/// What the hall's transports and hardware may ask of its database, one intent each, so that
/// nothing outside the application holds the store (and nothing writes around the writer).
extension Hall {
    /// The latest calls, newest first, as the lobby's sign and board list them at start.
    public func recentCalls(limit: Int) async throws -> [RecentCalls.Call] {
        try await store.recentCalls(limit: limit)
    }

    /// A ticket by label (and day; the latest when nil), from the log's rows.
    public func storedTicket(label: String, day: String?) async throws -> Ticket? {
        try await store.ticket(label: label, day: day)
    }

    /// A staff account by name (sessions check that it still exists with the same role).
    public func account(named name: String) async throws -> Account? {
        try await store.account(named: name)
    }

    /// 差评 work orders by state, for the metrics.
    public func workOrderCounts() async throws -> [String: Int] {
        try await store.workOrderCounts()
    }

    /// Staff accounts: add, list, set a password, remove, check a password (`account` op, logins).
    public var staffAccounts: StaffAccounts { StaffAccounts(store: store, clock: clock) }

    /// The staff pages' own records: sessions that outlive a restart, enrolled screens.
    public var signIns: SignInBook { SignInBook(store: store) }

    /// At a clean stop: checkpoints the log and closes the database, so the next start needs no
    /// whole-file check.
    public func closeStore() throws { try store.closeCleanly() }
}

/// The staff pages' records in the hall's database (sessions kept by their SHA-256, enrolled
/// kiosk screens), and nothing else of the store.
public struct SignInBook: Sendable {
    let store: HallStore

    public func saveSession(idHash: String, _ s: StoredSession) async throws {
        try await store.saveSession(idHash: idHash, s)
    }

    public func session(idHash: String) async throws -> StoredSession? {
        try await store.session(idHash: idHash)
    }

    public func touchSession(idHash: String, lastSeen: Millis) async throws {
        try await store.touchSession(idHash: idHash, lastSeen: lastSeen)
    }

    public func deleteSession(idHash: String, staleBefore: Millis) async throws {
        try await store.deleteSession(idHash: idHash, staleBefore: staleBefore)
    }

    public func enrollScreen(name: String, kind: String, tokenHash: String, at: Millis) async throws {
        try await store.enrollScreen(name: name, kind: kind, tokenHash: tokenHash, at: at)
    }

    public func screen(tokenHash: String) async throws -> Screen? {
        try await store.screen(tokenHash: tokenHash)
    }

    public func screens() async throws -> [Screen] { try await store.screens() }

    public func revokeScreen(name: String, at: Millis) async throws -> Bool {
        try await store.revokeScreen(name: name, at: at)
    }
}
