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
    public init(parsing raw: String) throws(ValidationError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let invalid = ValidationError("not a valid apitokens secret")
        guard let kind = TokenKind.allCases.first(where: { text.hasPrefix(Self.prefix(for: $0)) }) else { throw invalid }
        let prefixLength = Self.prefix(for: kind).utf8.count
        let bytes = Array(text.utf8)
        guard bytes.count == prefixLength + Self.randomLength + Self.checksumLength,
              bytes[prefixLength...].allSatisfy(Self.alphabet.contains)
        else { throw invalid }
        let head = String(decoding: bytes[..<(bytes.count - Self.checksumLength)], as: UTF8.self)
        let check = String(decoding: bytes[(bytes.count - Self.checksumLength)...], as: UTF8.self)
        guard Self.checksum(of: head) == check else { throw invalid }
        self.text = text
    }

    /// The kind this secret's prefix announces.
    public var kind: TokenKind { text.hasPrefix(Self.prefix(for: .admin)) ? .admin : .personal }

    /// The SHA-256 of the secret: the only form that is stored.
    public var hash: Data { Data(SHA256.hash(data: Data(text.utf8))) }

    /// A short, non-secret reminder: the prefix and the last four characters.
    public var hint: String { Self.prefix(for: kind) + "…" + String(text.suffix(4)) }

    /// Keeps the secret out of logs and debug output.
    public var description: String { hint }

    static func checksum(of head: String) -> String {
        var value = CRC32.checksum(Array(head.utf8))
        var digits = [UInt8](repeating: alphabet[0], count: checksumLength)
        for index in stride(from: checksumLength - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return String(decoding: digits, as: UTF8.self)
    }
}

/// The CRC-32 of zlib and PNG (reflected polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}
