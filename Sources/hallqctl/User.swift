import ArgumentParser
import Foundation
import HallqProtocol

#if canImport(Glibc)
import Glibc
#endif

/// `hallqctl user add|list|passwd|remove`: staff accounts for the HTTP pages. A password is read
/// from stdin (without echo on a terminal) or from a file, never from the command line, where
/// every user of the machine could read it in the process list.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Staff accounts for the web pages (kiosk, clerk, admin).",
        subcommands: [Add.self, List.self, Passwd.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account; the password is read from stdin or --password-file.")
        @OptionGroup var g: Global
        @Argument(help: "The account name (a clerk's name is what the log shows).") var name: String
        @Option(help: "kiosk, clerk or admin.") var role: String
        @Option(help: "Read the password from the first line of this file instead of stdin.") var passwordFile: String?
        func run() throws {
            let password = try readPassword(passwordFile)
            g.output(
                try g.send(
                    "useradd", ["name": .string(name), "role": .string(role), "password": .string(password)])
            ) { "added \(Format.s($0["user"]?["name"])) (\(Format.s($0["user"]?["role"])))" }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")
        @OptionGroup var g: Global
        func run() throws {
            g.output(try g.send("users")) { r in
                var t = Table(["name", "role", "password set"])
                for u in r["users"]?.arrayValue ?? [] {
                    t.add([Format.s(u["name"]), Format.s(u["role"]), Format.s(u["changed_at"])])
                }
                return t.text
            }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an account's password (read from stdin or --password-file); its sessions end.")
        @OptionGroup var g: Global
        @Argument var name: String
        @Option(help: "Read the password from the first line of this file instead of stdin.") var passwordFile: String?
        func run() throws {
            let password = try readPassword(passwordFile)
            g.output(try g.send("passwd", ["name": .string(name), "password": .string(password)])) { _ in
                "password changed for \(name)"
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account; its sessions end.")
        @OptionGroup var g: Global
        @Argument var name: String
        func run() throws { g.output(try g.send("userdel", ["name": .string(name)])) { _ in "removed \(name)" } }
    }
}

/// The first line of `file`, or of stdin (prompted, without echo, when stdin is a terminal).
func readPassword(_ file: String?) throws -> String {
    if let file {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ValidationError("cannot read \(file)")
        }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }
    let terminal = isatty(0) == 1
    var saved = termios()
    if terminal {
        FileHandle.standardError.write(Data("password: ".utf8))
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
    }
    defer {
        if terminal {
            tcsetattr(0, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }
    guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on stdin") }
    return line
}
