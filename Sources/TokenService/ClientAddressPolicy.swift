import Foundation
import TokenDomain

/// Which address a request comes from, for IP allow-lists: the TCP peer, unless the peer is a trusted proxy,
/// in which case the address that proxy reports. A header from anyone else changes nothing.
public struct ClientAddressPolicy: Sendable {
    /// 127.0.0.0/8 and ::1, trusted by default like the Unix socket.
    static let loopback: [IPRange] = ["127.0.0.0/8", "::1"].compactMap { try? IPRange(parsing: $0) }

    /// The ranges whose peers may report the client's address.
    public let trustedProxies: [IPRange]

    /// Loopback and the Unix socket are always trusted; `extra` adds ranges (`--trust-proxy`).
    public init(trusting extra: [IPRange] = []) {
        trustedProxies = Self.loopback + extra
    }

    /// The peer where one is known (nil for a Unix socket), or for a trusted peer the last address of
    /// `X-Forwarded-For` (the one the nearest proxy saw), else `X-Real-IP`.
    /// A trusted peer's header that is not an address makes the client unknown, never the proxy itself.
    public func client(peer: IPAddress?, forwardedFor: [String], realIP: String?) -> IPAddress? {
        let trusted = peer.map { address in trustedProxies.contains { $0.contains(address) } } ?? true
        guard trusted else { return peer?.unmapped }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        if let last = hops.last(where: { !$0.isEmpty }) { return IPAddress(Substring(last))?.unmapped }
        if let realIP = realIP?.trimmingCharacters(in: .whitespaces), !realIP.isEmpty {
            return IPAddress(Substring(realIP))?.unmapped
        }
        return peer?.unmapped
    }
}
