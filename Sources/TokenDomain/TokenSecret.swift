import Crypto
import Foundation

/// A token's secret: product prefix, ≥160 random bits in base62, and a 6-character base62 CRC32 checksum.
public struct TokenSecret: Sendable, Equatable, CustomStringConvertible {
    /// The full secret text; shown to a person once, never stored.
    public let text: String

    /// The number of random base62 characters: 28 × log2(62) ≈ 166.7 bits.
    static let randomLength = 28
    static let checksumLength = 6
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The prefix that marks a secret of this kind.
    public static func prefix(for kind: TokenKind) -> String {
        switch kind {
        case .admin: "atk_"
        case .personal: "ptk_"
        }
    }

    /// A fresh secret for a token of the given kind, drawn from the OS CSPRNG.
    public static func generate(kind: TokenKind) -> TokenSecret {
        var generator = SystemRandomNumberGenerator()
        var body = [UInt8]()
        body.reserveCapacity(randomLength)
        while body.count < randomLength {
            // Rejection sampling keeps every character equally likely.
            let byte = UInt8.random(in: 0...255, using: &generator)
            if byte < 248 { body.append(alphabet[Int(byte % 62)]) }
        }
        let head = prefix(for: kind) + String(decoding: body, as: UTF8.self)
        return TokenSecret(checked: head + checksum(of: head))
    }

    private init(checked text: String) { self.text = text }

    /// Accepts a secret whose prefix, length, alphabet and checksum are right; no database is consulted.
    /// Surrounding whitespace is ignored. Works on the UTF-8 bytes: a check service runs this for every request.
    public init(parsing raw: String) throws(ValidationError) {
        let invalid = ValidationError("not a valid apitokens secret")
        var bytes = Array(raw.utf8)
        while let last = bytes.last, Self.isWhitespace(last) { bytes.removeLast() }
        let start = bytes.firstIndex { !Self.isWhitespace($0) } ?? bytes.endIndex
        if start > 0 { bytes.removeFirst(start) }
        let prefixLength = 4
        guard bytes.count == prefixLength + Self.randomLength + Self.checksumLength,
              TokenKind.allCases.contains(where: { bytes.starts(with: Self.prefix(for: $0).utf8) }),
              bytes[prefixLength...].allSatisfy({ $0 < 128 && Self.isBase62[Int($0)] })
        else { throw invalid }
        let checkStart = bytes.count - Self.checksumLength
        guard Self.checksumDigits(of: bytes[..<checkStart]).elementsEqual(bytes[checkStart...]) else { throw invalid }
        self.text = String(decoding: bytes, as: UTF8.self)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// Which ASCII bytes are base62 digits.
    private static let isBase62: [Bool] = (0..<128).map { alphabet.contains(UInt8($0)) }

    /// The kind this secret's prefix announces.
    public var kind: TokenKind { text.hasPrefix(Self.prefix(for: .admin)) ? .admin : .personal }

    /// The SHA-256 of the secret: the only form that is stored.
    public var hash: Data { Data(SHA256.hash(data: Data(text.utf8))) }

    /// A short, non-secret reminder: the prefix and the last four characters.
    public var hint: String { Self.prefix(for: kind) + "…" + String(text.suffix(4)) }

    /// Keeps the secret out of logs and debug output.
    public var description: String { hint }

    static func checksum(of head: String) -> String {
        String(decoding: checksumDigits(of: Array(head.utf8)[...]), as: UTF8.self)
    }

    /// The base62 digits of the CRC32 of `head`, most significant first.
    private static func checksumDigits(of head: ArraySlice<UInt8>) -> [UInt8] {
        var value = CRC32.checksum(head)
        var digits = [UInt8](repeating: alphabet[0], count: checksumLength)
        for index in stride(from: checksumLength - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return digits
    }
}

/// The CRC-32 of zlib and PNG (reflected polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}
