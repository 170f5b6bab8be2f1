import Foundation
import TokenDomain

/// Where the check service listens: a TCP address and port, or a Unix socket.
public enum ListenAddress: Hashable, Sendable, CustomStringConvertible {
    case tcp(host: IPAddress, port: Int)
    case unix(path: String)

    /// The default: loopback only.
    public static let standard = ListenAddress.tcp(host: .v4(0x7F00_0001), port: 8080)

    /// Parses `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080` or `unix:/path/to.sock`.
    public init(parsing text: String) throws(ValidationError) {
        let shown = Sanitized.visible(text)
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/"), !path.hasSuffix("/") else {
                throw ValidationError("--listen '\(shown)': a Unix socket needs an absolute path, e.g. unix:/run/apitokens/check.sock")
            }
            // sockaddr_un holds 108 bytes with the terminating NUL.
            guard path.utf8.count <= 107 else {
                throw ValidationError("--listen '\(shown)': a Unix socket path may be at most 107 bytes long")
            }
            self = .unix(path: path)
            return
        }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ValidationError("--listen '\(shown)': write an IPv6 address as [::1]:8080")
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ValidationError("--listen '\(shown)': give an address and a port, e.g. 127.0.0.1:8080 or [::1]:8080")
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let number = Int(port), (0...65535).contains(number), port.allSatisfy(\.isASCII) else {
            throw ValidationError("--listen '\(shown)': the port must be a number from 0 to 65535")
        }
        guard let address = host == "localhost" ? .v4(0x7F00_0001) : IPAddress(host) else {
            throw ValidationError("--listen '\(shown)': '\(Sanitized.visible(String(host)))' is not an IP address")
        }
        self = .tcp(host: address, port: number)
    }

    /// True for the loopback range and the Unix socket: only this host can reach them.
    public var isLocal: Bool {
        switch self {
        case .unix: true
        case .tcp(let host, _): ClientAddressPolicy.loopback.contains { $0.contains(host) }
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(.v6(let value), let port): "[\(IPAddress.v6(value))]:\(port)"
        case .tcp(let host, let port): "\(host):\(port)"
        }
    }
}
