import Foundation

/// The bad-rating work order (差评工单): every rating of 1 or 2 opens one, and the hall works it
/// through to the end the province audits.
///
///     open ─verify─▶ verified ─rectify─▶ rectifying ─rectified─▶ rectified ─revisit─▶ revisited ─close─▶ closed
///       │                ▲                  │  ▲  └─postpone─▶ postponed (new due date; then as rectifying)
///       └─claim_invalid─▶ invalid_claimed   │  └─reject── cannot_claimed ─approve─▶ cannot_rectify ─revisit─▶ …
///                ├─approve─▶ closed (invalid)└─claim_cannot─▶ cannot_claimed
///                └─reject──▶ verified
///
/// A claim that the rating is invalid (误评, 恶意差评) or cannot be rectified needs an admin's
/// approval, and nobody approves a claim about their own service or their own claim. The
/// transitions are a pure function (`applying`), so the engine, the tests and the docs share one
/// table. States and actions are *stable* names (docs/HAOCHA.md).
public struct WorkOrder: Sendable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case open, verified
        case invalidClaimed = "invalid_claimed"
        case rectifying, postponed, rectified
        case cannotClaimed = "cannot_claimed"
        case cannotRectify = "cannot_rectify"
        case revisited, closed

        /// The deadline still runs: the hall owes a rectification.
        public var owesRectification: Bool {
            [.open, .verified, .invalidClaimed, .rectifying, .postponed, .cannotClaimed].contains(self)
        }

        public var chinese: String {
            switch self {
            case .open: return "待核实"
            case .verified: return "已核实"
            case .invalidClaimed: return "申请无效"
            case .rectifying: return "整改中"
            case .postponed: return "延期整改"
            case .rectified: return "已整改"
            case .cannotClaimed: return "申请无法整改"
            case .cannotRectify: return "无法整改"
            case .revisited: return "已回访"
            case .closed: return "已办结"
            }
        }
    }

    /// Why a rating is claimed invalid.
    public enum InvalidReason: String, Sendable, CaseIterable {
        /// 误评: the visitor pressed the wrong key.
        case mistaken
        /// 恶意差评: a malicious rating.
        case malicious

        public var chinese: String { self == .mistaken ? "误评" : "恶意差评" }
    }

    /// How the return visit (回访) reached the visitor.
    public enum Contact: String, Sendable, CaseIterable {
        case phone, sms, visit, other
    }

    public var id: Int64
    public var ticketId: Int64
    public var label: String
    public var day: String
    public var service: String
    public var window: Int?
    /// The clerk whose service was rated: they may not approve a claim on it.
    public var clerk: String?
    public var level: Int
    public var contents: [String]
    public var reason: String?
    /// The case numbers the rating covered (none for a ticket without cases).
    public var caseNos: [String]
    public var ratedAt: Millis
    public var state: State
    /// nil until verified; false once approved invalid.
    public var valid: Bool?
    /// The last local day to rectify by ("YYYY-MM-DD").
    public var due: String
    /// Who claimed (invalid or cannot rectify), and why, while a claim waits or after it.
    public var claimant: String?
    public var claimReason: String?
    public var revisitContact: Contact?
    public var revisitResult: String?
    public var revisitSatisfied: Bool?
    /// The last change's note.
    public var note: String?
    public var updatedAt: Millis
    public var closedAt: Millis?
    /// Until when the visitor may rate a second time (set by the return visit).
    public var secondUntil: Millis?
    /// The second rating, once given.
    public var secondLevel: Int?

    public init(
        id: Int64, ticket t: Ticket, level: Int, contents: [String], reason: String?, caseNos: [String],
        ratedAt: Millis, due: String
    ) {
        self.init(
            id: id, ticketId: t.id, label: t.label, day: t.day, service: t.service, window: t.window, clerk: t.clerk,
            level: level, contents: contents, reason: reason, caseNos: caseNos, ratedAt: ratedAt, due: due)
    }

    public init(
        id: Int64, ticketId: Int64, label: String, day: String, service: String, window: Int?, clerk: String?,
        level: Int, contents: [String], reason: String?, caseNos: [String], ratedAt: Millis, due: String
    ) {
        self.id = id
        self.ticketId = ticketId
        self.label = label
        self.day = day
        self.service = service
        self.window = window
        self.clerk = clerk
        self.level = level
        self.contents = contents
        self.reason = reason
        self.caseNos = caseNos
        self.ratedAt = ratedAt
        self.state = .open
        self.due = due
        self.updatedAt = ratedAt
    }

    /// `claimReason` of a claim that the order cannot be rectified (kept once approved).
    public static let cannotRectify = "cannot_rectify"

    /// Counted as rectified in the province's tally: rectified, and not an approved "cannot".
    public var rectifiedInTally: Bool {
        valid != false && claimReason != Self.cannotRectify
            && [.rectified, .revisited, .closed].contains(state)
    }

    /// Overdue: the hall still owes the rectification and its last day has passed.
    public func overdue(today: String) -> Bool { state.owesRectification && today > due }

    /// A change asked of an order, with what it needs.
    public enum Change: Sendable, Equatable {
        case verify
        case claimInvalid(InvalidReason)
        case approve
        case reject
        case rectify
        case rectified
        case postpone(due: String)
        case claimCannot
        case revisit(contact: Contact, result: String, satisfied: Bool)
        case close

        /// *Stable* action names (`order_update`'s `action`).
        public var action: String {
            switch self {
            case .verify: return "verify"
            case .claimInvalid: return "claim_invalid"
            case .approve: return "approve"
            case .reject: return "reject"
            case .rectify: return "rectify"
            case .rectified: return "rectified"
            case .postpone: return "postpone"
            case .claimCannot: return "claim_cannot"
            case .revisit: return "revisit"
            case .close: return "close"
            }
        }

        public static let actions = [
            "verify", "claim_invalid", "approve", "reject", "rectify", "rectified", "postpone", "claim_cannot",
            "revisit", "close",
        ]
    }

    /// Who acts: an account's name, and whether it may approve claims (an admin).
    public struct Actor: Sendable, Equatable {
        public var account: String
        public var admin: Bool
        public init(account: String, admin: Bool) {
            self.account = account
            self.admin = admin
        }
    }

    /// The order after `change` by `actor`, or why not. `note` is required where the province
    /// wants the hall's words: a claim's grounds, the rectification, a postponement.
    public func applying(
        _ change: Change, by actor: Actor, note: String?, now: Millis, today: String, secondDays: Int
    ) throws(HallError) -> WorkOrder {
        var o = self
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        let hasNote = !(note ?? "").isEmpty
        func refuse(_ why: String) -> HallError { HallError(.orderState, "order \(id) is \(state.rawValue): \(why)") }
        func needNote(_ what: String) throws(HallError) {
            guard hasNote else { throw .badRequest("\(what) needs a note") }
        }
        switch (state, change) {
        case (.open, .verify):
            o.state = .verified
            o.valid = true
        case let (.open, .claimInvalid(why)):
            try needNote("a claim that the rating is invalid")
            o.state = .invalidClaimed
            o.claimant = actor.account
            o.claimReason = why.rawValue
        case (.invalidClaimed, .approve), (.cannotClaimed, .approve):
            guard actor.admin else { throw HallError(.notAllowed, "only an admin approves a claim") }
            guard actor.account != clerk else {
                throw HallError(.notAllowed, "\(actor.account) cannot approve a claim on their own service")
            }
            guard actor.account != claimant else {
                throw HallError(.notAllowed, "\(actor.account) cannot approve their own claim")
            }
            if state == .invalidClaimed {
                o.state = .closed
                o.valid = false
                o.closedAt = now
            } else {
                o.state = .cannotRectify
            }
        case (.invalidClaimed, .reject):
            guard actor.admin else { throw HallError(.notAllowed, "only an admin rejects a claim") }
            o.state = .verified
            o.valid = true
        case (.cannotClaimed, .reject):
            guard actor.admin else { throw HallError(.notAllowed, "only an admin rejects a claim") }
            o.state = .rectifying
            o.claimReason = nil
        case (.verified, .rectify):
            o.state = .rectifying
        case (.rectifying, .rectified), (.postponed, .rectified):
            try needNote("a rectification")
            o.state = .rectified
        case let (.rectifying, .postpone(newDue)), let (.postponed, .postpone(newDue)):
            try needNote("a postponement")
            guard WorkingCalendar.dayNumber(newDue) != nil, newDue > due, newDue >= today else {
                throw .badRequest("due must be a day after the current due date \(due)")
            }
            o.state = .postponed
            o.due = newDue
        case (.rectifying, .claimCannot), (.postponed, .claimCannot):
            try needNote("a claim that it cannot be rectified")
            o.state = .cannotClaimed
            o.claimant = actor.account
            o.claimReason = Self.cannotRectify
        case let (.rectified, .revisit(contact, result, satisfied)),
            let (.cannotRectify, .revisit(contact, result, satisfied)):
            let r = result.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !r.isEmpty else { throw .badRequest("a return visit needs its result") }
            o.state = .revisited
            o.revisitContact = contact
            o.revisitResult = r
            o.revisitSatisfied = satisfied
            o.secondUntil = ratedAt + Millis(secondDays) * 86_400_000
        case (.revisited, .close):
            o.state = .closed
            o.closedAt = now
        default:
            throw refuse("\(change.action) is not a step from here")
        }
        if let note, hasNote { o.note = note }
        o.updatedAt = now
        return o
    }
}
