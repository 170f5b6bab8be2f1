import Foundation

/// One allowed address or CIDR range.
public struct IPRange: Hashable, Sendable, CustomStringConvertible {
    /// The network address, with no host bits set.
    public let network: IPAddress
    /// The prefix length; the full width for a single address.
    public let prefixLength: Int

    /// Parses `203.0.113.7`, `10.0.0.0/8` or `2001:db8::/32`; refuses host bits set in a range.
    public init(parsing entry: Substring) throws(ValidationError) {
        let shown = Sanitized.visible(String(entry))
        let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let parsed = IPAddress(parts[0]) else {
            if parts[0].contains("%") { throw ValidationError("'\(shown)': zone indexes are not allowed") }
            let leadingZero = !parts[0].contains(":")
                && parts[0].split(separator: ".").contains { $0.count > 1 && $0.first == "0" }
            if leadingZero { throw ValidationError("'\(shown)': leading zeros are not allowed") }
            throw ValidationError("'\(shown)' is not an IP address or CIDR range")
        }
        let address = parsed.unmapped
        let mappedShift = parsed == address ? 0 : 96
        var prefix = address.bitWidth
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(digits.count > 1 && digits.first == "0"),
                  let length = Int(digits), length - mappedShift >= 0, length <= parsed.bitWidth
            else { throw ValidationError("'\(shown)' has an invalid prefix length") }
            prefix = length - mappedShift
        }
        guard Self.hostBits(of: address, prefix: prefix) == false else {
            let network = Self.masked(address, prefix: prefix)
            throw ValidationError("'\(shown)' has host bits set (did you mean \(network)/\(prefix)?)")
        }
        network = address
        prefixLength = prefix
    }

    /// Whether the client address falls in this range; IPv4-mapped IPv6 clients match as IPv4.
    public func contains(_ client: IPAddress) -> Bool {
        let address = client.unmapped
        guard address.bitWidth == network.bitWidth else { return false }
        return Self.masked(address, prefix: prefixLength) == network
    }

    public var description: String {
        prefixLength == network.bitWidth ? network.description : "\(network)/\(prefixLength)"
    }

    private static func masked(_ address: IPAddress, prefix: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
            return .v4(value & mask)
        case .v6(let value):
            let mask: UInt128 = prefix == 0 ? 0 : ~UInt128(0) << (128 - prefix)
            return .v6(value & mask)
        }
    }

    private static func hostBits(of address: IPAddress, prefix: Int) -> Bool {
        masked(address, prefix: prefix) != address
    }
}

/// The addresses a token may be used from; empty means any address.
public struct IPAllowList: Hashable, Sendable, CustomStringConvertible {
    /// The allowed ranges, in the order given, without duplicates.
    public let ranges: [IPRange]
    /// Stored text that no longer parses, kept as it was: such a list allows no address, and saving keeps it.
    public let unreadableText: String?

    /// A list that allows every address.
    public static let any = IPAllowList(ranges: [])

    public init(ranges: [IPRange]) {
        self.ranges = ranges
        unreadableText = nil
    }

    /// Parses a comma-separated list; blank means any address. The error names the first bad entry.
    public init(parsing text: String) throws(ValidationError) {
        var ranges: [IPRange] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                if text.trimmingCharacters(in: .whitespaces).isEmpty { break }
                throw ValidationError("empty entry in IP list '\(Sanitized.visible(text))'")
            }
            let range = try IPRange(parsing: Substring(trimmed))
            if !ranges.contains(range) { ranges.append(range) }
        }
        self.ranges = ranges
        unreadableText = nil
    }

    /// The list as stored: parsed when it parses, otherwise unreadable, which fails closed rather than meaning "any".
    public init(stored text: String) {
        // Stored lists are canonical: empty means any address, and anything else must name at least one range.
        if text.isEmpty {
            self = .any
        } else if let parsed = try? IPAllowList(parsing: text), !parsed.ranges.isEmpty {
            self = parsed
        } else {
            ranges = []
            unreadableText = text
        }
    }

    /// Whether a request from this address is allowed.
    public func allows(_ client: IPAddress) -> Bool {
        unreadableText == nil && (ranges.isEmpty || ranges.contains { $0.contains(client) })
    }

    /// True when any address is allowed.
    public var allowsAny: Bool { ranges.isEmpty && unreadableText == nil }

    /// True when some entry covers every address of its family (`0.0.0.0/0`, `::/0`): no restriction in practice.
    public var includesAWholeFamily: Bool { ranges.contains { $0.prefixLength == 0 } }

    /// True when the stored text no longer parses.
    public var isUnreadable: Bool { unreadableText != nil }

    /// The canonical comma-separated form (empty for any); an unreadable list's text as stored.
    public var description: String { unreadableText ?? ranges.map(\.description).joined(separator: ",") }

    /// The list as people read it: `any`, the ranges, or a warning that it is unreadable.
    public var summary: String {
        if let unreadableText { return "unreadable (\(unreadableText)): no address is allowed until it is replaced" }
        return allowsAny ? "any" : description
    }
}
