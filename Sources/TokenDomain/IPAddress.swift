import Foundation

/// An IPv4 or IPv6 address, parsed strictly.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses a literal address; refuses leading zeros in IPv4, zone indexes and anything else odd.
    public init?(_ text: Substring) {
        if text.utf8.contains(UInt8(ascii: ":")) {
            guard let value = Self.parseV6(text) else { return nil }
            self = .v6(value)
        } else {
            guard let value = Self.parseV4(text) else { return nil }
            self = .v4(value)
        }
    }

    /// The same address, with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) turned into IPv4.
    public var unmapped: IPAddress {
        if case .v6(let value) = self, value >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: value)) }
        return self
    }

    /// The number of bits in an address of this family.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    public var description: String {
        switch self {
        case .v4(let value): Self.formatV4(value)
        case .v6(let value): Self.formatV6(value)
        }
    }

    /// Four decimal octets, each 0–255 with no leading zero; read byte by byte, as a check service does per request.
    private static func parseV4(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var octets = 0
        var leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                value = value << 8 | octet
                octets += 1
                (octet, digits, leadingZero) = (0, 0, false)
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < 3, !leadingZero else { return nil }
            if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
            octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            digits += 1
            guard octet <= 255 else { return nil }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | octet
    }

    private static func parseV6(_ text: Substring) -> UInt128? {
        guard !text.contains("%"), text.count <= 45 else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = parseV4(piece) {
                    result.append(UInt16(v4 >> 16))
                    result.append(UInt16(v4 & 0xFFFF))
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                      let group = UInt16(piece, radix: 16)
                else { return nil }
                result.append(group)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    private static func formatV4(_ value: UInt32) -> String {
        var text = ""
        text.reserveCapacity(15)
        for shift in [24, 16, 8, 0] {
            if shift != 24 { text.append(".") }
            text += String(value >> UInt32(shift) & 0xFF)
        }
        return text
    }

    /// RFC 5952 form: lowercase, the longest run of two or more zero groups shortened to `::`.
    private static func formatV6(_ value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
        var bestStart = -1, bestLength = 1, start = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if start < 0 { start = index }
            } else if start >= 0 {
                if index - start > bestLength { bestStart = start; bestLength = index - start }
                start = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
