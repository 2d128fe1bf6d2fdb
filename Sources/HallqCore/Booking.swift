/// A booking (预约) made on the province's portal and imported into the hall (docs/BOOKINGS.md):
/// who booked is never known here beyond a masked name (张*) and, when the portal sends an ID
/// number, its keyed hash (`Person.key`) for the per-person rules.
public struct Booking: Sendable, Equatable {
    /// *Stable* strings on the wire and in the store.
    public enum State: String, Sendable, CaseIterable {
        /// Imported, not yet checked in.
        case booked
        case cancelled
        /// The person checked in and holds the booked ticket (`ticketId`).
        case checkedIn = "checked_in"
        /// Check-in closed (`slot_end + late_min`) without the person.
        case noShow = "no_show"
    }

    /// The portal's id for it: one booking per `ref`; a later import with the same `ref` updates it.
    public var ref: String
    public var service: String
    /// The local day of the slot (YYYY-MM-DD).
    public var day: String
    public var slotStart: Millis
    public var slotEnd: Millis
    /// What the person got by SMS or WeChat (also as a QR code) and types or scans at the kiosk.
    public var code: String
    /// 张*: what a screen may show; never a full name.
    public var nameMasked: String?
    /// A keyed hash of the booker's ID number, when the portal sent one.
    public var person: String?
    public var state: State
    public var ticketId: Int64?
    public var label: String?
    public var checkedInAt: Millis?
    /// When the booking was last imported or changed state.
    public var updatedAt: Millis

    public init(
        ref: String, service: String, day: String, slotStart: Millis, slotEnd: Millis, code: String,
        nameMasked: String? = nil, person: String? = nil, state: State = .booked, ticketId: Int64? = nil,
        label: String? = nil, checkedInAt: Millis? = nil, updatedAt: Millis
    ) {
        self.ref = ref
        self.service = service
        self.day = day
        self.slotStart = slotStart
        self.slotEnd = slotEnd
        self.code = code
        self.nameMasked = nameMasked
        self.person = person
        self.state = state
        self.ticketId = ticketId
        self.label = label
        self.checkedInAt = checkedInAt
        self.updatedAt = updatedAt
    }
}

extension Booking {
    /// Whether `other` says the same as the portal sent for this one (what hallq did with it aside).
    public func hasPortalFields(of other: Booking) -> Bool {
        service == other.service && day == other.day && slotStart == other.slotStart && slotEnd == other.slotEnd
            && code == other.code && nameMasked == other.nameMasked && person == other.person
    }
}

/// One booking as the portal or an import file sends it, before the engine knows it: times as
/// ISO 8601 text, read in the hall's time zone when they carry no offset.
public struct BookingInput: Sendable, Equatable {
    public var ref: String
    public var service: String
    public var slotStart: String
    public var slotEnd: String
    public var code: String
    public var nameMasked: String?
    /// Made at the edge from an `id_number` (the number itself never reaches the engine).
    public var person: String?
    public var cancelled: Bool

    public init(
        ref: String, service: String, slotStart: String, slotEnd: String, code: String, nameMasked: String? = nil,
        person: String? = nil, cancelled: Bool = false
    ) {
        self.ref = ref
        self.service = service
        self.slotStart = slotStart
        self.slotEnd = slotEnd
        self.code = code
        self.nameMasked = nameMasked
        self.person = person
        self.cancelled = cancelled
    }

    /// Codes are what a person types on a pad or a scanner types for them: 4 to 32 letters and
    /// digits (a QR code carries the same code).
    public static func validCode(_ s: String) -> Bool {
        (4...32).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// A masked name keeps at most two characters in clear and masks the rest with `*` (张*,
    /// 欧阳*): a full name is refused, so none can be stored by mistake.
    public static func validMaskedName(_ s: String) -> Bool {
        (2...16).contains(s.count) && s.contains("*") && s.filter({ $0 != "*" }).count <= 2
            && !s.contains(where: { $0.isWhitespace || $0.isNumber })
    }
}

/// What an import did with one booking (the reply lists one per input, in order).
public enum BookingImportResult: Sendable, Equatable {
    case created, updated, unchanged, cancelled
    /// Not taken: the reason (an unknown service, bad times, a code another booking has).
    case refused(String)

    public var name: String {
        switch self {
        case .created: return "created"
        case .updated: return "updated"
        case .unchanged: return "unchanged"
        case .cancelled: return "cancelled"
        case .refused: return "refused"
        }
    }
}

/// The check-in rules (`[booking]`): a booked person checks in from `early_min` before the slot
/// starts until `late_min` after it ends; at that moment a booking nobody checked in for becomes
/// a no-show.
public struct BookingRules: Sendable, Equatable {
    public var earlyMinutes: Int = 60
    public var lateMinutes: Int = 20
    public init() {}

    public func opens(_ b: Booking) -> Millis { b.slotStart - Millis(earlyMinutes) * 60_000 }
    public func closes(_ b: Booking) -> Millis { b.slotEnd + Millis(lateMinutes) * 60_000 }
}

/// `[[service]] quota`: walk-in tickets a service issues per period of the day (放号量).
public struct QuotaPeriod: Sendable, Equatable {
    /// Minutes since local midnight, `start..<end`.
    public var start: Int
    public var end: Int
    public var tickets: Int

    public init(start: Int, end: Int, tickets: Int) {
        self.start = start
        self.end = end
        self.tickets = tickets
    }

    /// "08:30-12:00", as configured.
    public var name: String { Self.clock(start) + "-" + Self.clock(end) }

    public static func clock(_ minute: Int) -> String {
        CivilTime.pad(minute / 60, 2) + ":" + CivilTime.pad(minute % 60, 2)
    }
}

extension Ticket {
    /// A booked ticket's slot in the hall's time, "09:00-09:30" (as printed and replied).
    public func slotText(_ calendar: HallCalendar) -> String? {
        guard let start = slotStart, let end = slotEnd else { return nil }
        return calendar.clock(start) + "-" + calendar.clock(end)
    }
}

extension HallCalendar {
    /// "09:00": the hall's local hour and minute of an instant.
    public func clock(_ t: Millis) -> String { QuotaPeriod.clock(weekdayAndMinute(t).minute) }

    /// An ISO 8601 local or offset time, "2026-12-03T09:00:00+08:00", "…Z", "2026-12-03T09:00"
    /// (seconds optional, a space allowed for the T): without an offset it is the hall's local
    /// time. nil when it is not such a time.
    public func instant(iso s: String) -> Millis? {
        let u = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= u.count else { return nil }
            var v = 0
            for c in u[a..<(a + n)] {
                guard (48...57).contains(c) else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 16, u[4] == 45, u[7] == 45, u[10] == 84 || u[10] == 32, u[13] == 58,
            let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            (1...12).contains(mo), (1...31).contains(d), h <= 23, mi <= 59
        else { return nil }
        var i = 16
        var sec = 0
        if i < u.count, u[i] == 58 {
            guard let s = num(i + 1, 2), s <= 59 else { return nil }
            sec = s
            i += 3
            if i < u.count, u[i] == 46 {  // fractions of a second are read and dropped
                i += 1
                while i < u.count, (48...57).contains(u[i]) { i += 1 }
            }
        }
        let day = CivilTime.pad(y, 4) + "-" + CivilTime.pad(mo, 2) + "-" + CivilTime.pad(d, 2)
        let wall = Millis(((h * 60 + mi) * 60 + sec) * 1000)
        if i == u.count {
            guard let start = startOfDay(day) else { return nil }
            // Local: the offset in force then (a day's start may differ from the moment's only
            // across a DST change, which China does not have; correct it once anyway).
            let guess = start + wall
            return guess - (offset(at: guess) - offset(at: start))
        }
        var offsetMs: Millis = 0
        if u[i] == 90, i + 1 == u.count {  // Z
            offsetMs = 0
        } else if u[i] == 43 || u[i] == 45, i + 6 == u.count, u[i + 3] == 58, let oh = num(i + 1, 2),
            let om = num(i + 4, 2), oh <= 14, om <= 59
        {
            offsetMs = Millis((oh * 60 + om) * 60_000) * (u[i] == 45 ? -1 : 1)
        } else {
            return nil
        }
        guard let utcDay = HallCalendar.utcStart(day) else { return nil }
        return utcDay + wall - offsetMs
    }

    /// Midnight UTC of a proleptic Gregorian day, nil for a date that does not exist.
    static func utcStart(_ day: String) -> Millis? {
        let f = day.split(separator: "-").compactMap { Int($0) }
        guard f.count == 3 else { return nil }
        let (y0, m, d) = (f[0], f[1], f[2])
        // Howard Hinnant's days_from_civil.
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let ms = Millis(days) * 86_400_000
        guard CivilTime(ms).date == day else { return nil }
        return ms
    }
}
