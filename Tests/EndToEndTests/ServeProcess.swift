import Foundation

/// `apitokens serve` on a test's private database, started in the background and stopped with the test.
final class ServeProcess {
    let process: ChildProcess.Running
    /// `127.0.0.1:PORT` (the port the system chose), or the socket path for a Unix socket.
    let address: String

    /// Starts serve with `arguments` (default: loopback, a port the system chooses) and waits until it listens.
    init(database: String, arguments: [String] = ["--listen", "127.0.0.1:0"]) throws {
        process = try ChildProcess.start(CLIRunner.binary, ["serve", "--db", database] + arguments)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let said = process.stderr
            if let range = said.range(of: "listening on ") {
                address = String(said[range.upperBound...].prefix { !$0.isWhitespace })
                return
            }
            if process.hasExited { break }
            usleep(20_000)
        }
        let result = process.wait()
        throw ServeDidNotStart(status: result.status, stderr: result.stderr)
    }

    /// The URL of a path on this server (TCP only).
    func url(_ path: String) -> String { "http://\(address)\(path)" }

    struct ServeDidNotStart: Error, CustomStringConvertible {
        let status: Int32
        let stderr: String
        var description: String { "serve exited \(status): \(stderr)" }
    }
}

/// An HTTP exchange through curl, as a proxy or a service would make it.
struct HTTPExchange {
    let status: Int
    let headers: [String: String]
    let body: String

    /// `curl` with `arguments` (a URL, `-H` headers, `--data`, `--unix-socket`…).
    static func curl(_ arguments: [String]) throws -> HTTPExchange {
        let result = try ChildProcess.run("/usr/bin/curl", ["-s", "-i", "--max-time", "5"] + arguments)
        let text = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = text.components(separatedBy: "\n\n")
        let head = parts.first ?? ""
        let lines = head.split(separator: "\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPExchange(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\n\n"))
    }

    /// A GET with a bearer token (none when nil).
    static func get(_ url: String, bearer: String? = nil, headers: [String] = []) throws -> HTTPExchange {
        try curl([url] + (bearer.map { ["-H", "Authorization: Bearer \($0)"] } ?? []) + headers.flatMap { ["-H", $0] })
    }
}

/// A TCP port on loopback that nothing listened on a moment ago.
func freeLoopbackPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
