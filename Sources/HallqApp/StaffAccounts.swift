import Dispatch
import HallqCore
import HallqProtocol
import HallqStore
import HummingbirdBcrypt

/// Staff accounts for the HTTP pages (`useradd`, `users`, `passwd`, `userdel` on the admin
/// socket; logins in HallqWeb). Passwords are hashed with bcrypt and never stored, logged or
/// echoed; hashing runs on `PasswordThreads`, off the cooperative pool and at a lower priority
/// than the queue (it takes a noticeable fraction of a second, by design).
public struct StaffAccounts: Sendable {
    /// bcrypt's cost: 2^10 rounds, about 0.1 s a hash on a hall's PC.
    public static let cost: UInt8 = 10
    let store: HallStore
    let clock: @Sendable () -> Millis

    public init(store: HallStore, clock: @escaping @Sendable () -> Millis) {
        self.store = store
        self.clock = clock
    }

    func answer(_ request: AccountRequest) async throws -> [String: JSONValue] {
        switch request {
        case let .add(name, role, password):
            let hash = await Self.hash(password)
            guard try await store.addAccount(Account(name: name, role: role.rawValue, hash: hash, changedAt: clock()))
            else { throw HallError.badRequest("an account named \(name) exists already") }
            return ["user": ["name": .string(name), "role": .string(role.rawValue)]]
        case .list:
            let list = try await store.accounts()
            return [
                "users": .array(
                    list.map {
                        [
                            "name": .string($0.name), "role": .string($0.role),
                            "changed_at": .string(isoUTC($0.changedAt)),
                        ]
                    })
            ]
        case let .passwd(name, password):
            let hash = await Self.hash(password)
            guard try await store.setPassword(name: name, hash: hash, changedAt: clock()) else {
                throw HallError(.notFound, "no account named \(name)")
            }
            return ["user": ["name": .string(name)]]
        case let .remove(name):
            guard try await store.removeAccount(name: name) else {
                throw HallError(.notFound, "no account named \(name)")
            }
            return ["user": ["name": .string(name)]]
        }
    }

    /// The account and its role when `password` is right; nil otherwise (no such account looks
    /// the same as a wrong password). A missing account still costs a hash, so timing tells nothing.
    public func verify(name: String, password: String) async throws -> Account? {
        let account = try await store.account(named: name)
        let hash = account?.hash
        // The decoy is made on first use: on the password threads too, never on the cooperative
        // pool (two threads on a hall's PC), which a hash would hold for a tenth of a second.
        let ok = await Self.offPool { Bcrypt.verify(password, hash: hash ?? Self.decoy) }
        return ok ? account : nil
    }

    /// What a missing account's password is checked against (a hash of nothing anyone can type).
    static let decoy = Bcrypt.hash("\u{1}no account\u{1}", cost: cost)

    static func hash(_ password: String) async -> String { await offPool { Bcrypt.hash(password, cost: cost) } }

    /// bcrypt on the password threads: off the cooperative pool and below the queue's priority.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await PasswordThreads.shared.run(body)
    }
}
