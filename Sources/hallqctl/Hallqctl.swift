import ArgumentParser
import Foundation
import HallqClient
import HallqProtocol

/// hallqctl: the command-line client. Each command sends one request on the least-privileged
/// socket that allows it (kiosk, clerk, admin), unless --as says otherwise, and prints a table,
/// or the raw reply with --json. Exit status: 0 ok, 1 the server refused (token on stderr),
/// 69 the daemon could not be reached.
@main
struct Hallqctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallqctl",
        abstract: "Control and query hallqd.",
        version: "hallqctl \(Wire.version), protocol \(Wire.protoMajor).\(Wire.protoMinor)",
        subcommands: [
            Take.self, Call.self, Recall.self, Noshow.self, Start.self, Finish.self, Transfer.self,
            Pause.self, Resume.self, Signin.self, Signout.self, Rate.self, Status.self, Services.self,
            History.self, Stats.self, Export.self, Watch.self, Reprint.self, Devices.self, HallMode.self,
            Reload.self, Report.self, Voice.self, User.self, Booking.self, Checkin.self, Case.self, Orders.self,
            Order.self, Ratings.self,
        ])

    /// `hallqctl [--runtime-dir DIR] [--json] [--as ROLE] COMMAND ...` (the documented form) and
    /// `hallqctl COMMAND ... --json` both work: global options written before the command are
    /// moved behind it, where each command's parser reads them.
    static func main() {
        main(Global.hoisted(Array(CommandLine.arguments.dropFirst())))
    }
}

struct Global: ParsableArguments {
    /// Moves leading global options behind the command name.
    static func hoisted(_ args: [String]) -> [String] {
        var leading: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--json" {
                leading.append(a)
                i += 1
            } else if a == "--runtime-dir" || a == "--as", i + 1 < args.count {
                leading += [a, args[i + 1]]
                i += 2
            } else if a.hasPrefix("--runtime-dir=") || a.hasPrefix("--as=") {
                leading.append(a)
                i += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, i < args.count else { return args }
        // A command with subcommands (user add, voice generate): the options go behind both.
        let words = ["user", "voice", "booking", "order", "ratings"].contains(args[i]) && i + 1 < args.count ? 2 : 1
        return Array(args[i..<(i + words)]) + leading + args[(i + words)...]
    }

    @Option(help: "Directory holding kiosk.sock, clerk.sock, admin.sock (default $HALLQ_RUNTIME_DIR or /run/hallq).")
    var runtimeDir: String?

    @Flag(help: "Print the server's JSON reply instead of a table.")
    var json = false

    @Option(
        name: .customLong("as"),
        help: "Socket to use: kiosk, clerk or admin (default: the least privileged that allows the command).")
    var role: String?

    var directory: String {
        runtimeDir ?? ProcessInfo.processInfo.environment["HALLQ_RUNTIME_DIR"] ?? "/run/hallq"
    }

    /// Sends one request and returns the reply, or exits with the right status.
    func send(_ op: String, _ fields: [String: JSONValue] = [:]) throws -> JSONValue {
        try send(op, fields) { _ in }
    }

    /// Sends one request; lines before the reply (an export's `csv_chunk` lines) go to
    /// `partial` as they arrive. Returns the reply, or exits with the right status.
    func send(_ op: String, _ fields: [String: JSONValue], partial: (JSONValue) throws -> Void) throws -> JSONValue {
        let role = try socketRole(for: op)
        let client: LineClient
        do {
            client = try LineClient(path: "\(directory)/\(role.rawValue).sock")
        } catch {
            FileHandle.standardError.write(Data("hallqctl: \(error)\n".utf8))
            throw ExitCode(69)
        }
        var req = fields
        req["op"] = .string(op)
        req["id"] = 1
        var reply: JSONValue?
        do {
            try client.send(.object(req))
            while reply == nil {
                guard let line = try client.readLine() else {
                    throw ReplyError(description: "the server closed the connection")
                }
                guard let v = JSONValue.parse(Array(line.utf8)) else {
                    throw ReplyError(description: "not JSON from the server: \(line.prefix(80))")
                }
                if v["ok"] == nil && v["csv_chunk"] != nil { try partial(v) } else { reply = v }
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            FileHandle.standardError.write(Data("hallqctl: \(error)\n".utf8))
            throw ExitCode(69)
        }
        guard let reply, reply["ok"]?.boolValue == true else {
            if json { print(reply?.text ?? "") }
            let token = reply?["error"]?.stringValue ?? "ERROR"
            let message = reply?["message"]?.stringValue ?? ""
            FileHandle.standardError.write(Data("hallqctl: \(token): \(message)\n".utf8))
            throw ExitCode(1)
        }
        return reply
    }

    func socketRole(for op: String) throws -> Role {
        if let role {
            guard let r = Role(rawValue: role) else { throw ValidationError("--as must be kiosk, clerk or admin") }
            return r
        }
        guard let known = Op(rawValue: op) else { return .admin }
        return Role.sockets.first { $0.allows(known) } ?? .admin
    }

    /// Prints the reply as JSON with --json, else runs the human formatter.
    func output(_ reply: JSONValue, _ human: (JSONValue) -> String) {
        print(json ? reply.text : human(reply))
    }
}

/// A reply that could not be read.
struct ReplyError: Error, CustomStringConvertible {
    var description: String
}
