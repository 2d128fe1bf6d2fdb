import HallqCore

/// The three sockets, one per role. The kernel decides who may connect to which (file mode and
/// group, or the socket units); the server decides which ops each may send.
public enum Role: String, Sendable, CaseIterable {
    case kiosk, clerk, admin
    /// The province's booking portal (an HTTP account only; it has no socket): sends and reads
    /// bookings (docs/HTTP.md).
    case booking

    /// The roles with a Unix socket of their own.
    public static let sockets: [Role] = [.kiosk, .clerk, .admin]

    /// *Stable*: which ops this role may send (docs/PROTOCOL.md).
    public var ops: Set<Op> { Set(Op.allCases.filter { $0.roles.contains(self) }) }

    public func allows(_ op: Op) -> Bool { op.roles.contains(self) }
}

/// Every operation of the protocol: the one list the parser, the role table, the dispatcher and
/// the docs check all read. Adding an op is a case here (with its roles), its parse in
/// `Wire.request`, and its handler in `Dispatcher`; the compiler finds the switches that miss it.
public enum Op: String, Sendable, CaseIterable {
    case take, services, status, watch
    /// The ID card placed on the kiosk's reader (docs/PROTOCOL.md).
    case card
    case signin, signout, call, recall, noshow, start, finish, transfer, pause, resume, rate
    case stats, history, export, reprint, devices, hall, reload
    /// Staff accounts for the HTTP pages (docs/HTTP.md).
    case useradd, users, passwd, userdel
    /// Bookings (预约): check in at a kiosk; import and list them (docs/BOOKINGS.md).
    case checkin, book, bookings
    /// 好差评 with cases (docs/HAOCHA.md): a case on the ticket in hand; the bad-rating work
    /// orders; the case ratings in a province's profile.
    case ticketCase = "case"
    case orders, order
    case orderUpdate = "order_update"
    case ratings

    /// *Stable*: the roles that may send it.
    public var roles: Set<Role> {
        switch self {
        // A clerk may issue too: a priority (绿色通道) ticket for someone at the window.
        case .take: return [.kiosk, .clerk, .admin]
        case .services, .status: return [.kiosk, .clerk, .admin]
        case .card: return [.kiosk, .admin]
        case .checkin: return [.kiosk, .clerk, .admin]
        case .book, .bookings: return [.booking, .admin]
        case .ticketCase: return [.clerk, .admin]
        case .orders, .order, .orderUpdate, .ratings: return [.admin]
        case .watch, .signin, .signout, .call, .recall, .noshow, .start, .finish, .transfer, .pause, .resume, .rate:
            return [.clerk, .admin]
        case .stats, .history, .export, .reprint, .devices, .hall, .reload, .useradd, .users, .passwd, .userdel:
            return [.admin]
        }
    }
}
