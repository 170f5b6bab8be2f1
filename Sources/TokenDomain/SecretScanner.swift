#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A secret in our format, with a valid checksum, found in some text.
public struct SecretFinding: Sendable, Equatable {
    public let secret: TokenSecret
    /// 1-based line number.
    public let line: Int
}

/// Finds our secrets in bytes by prefix, alphabet, length and checksum, so that a random look-alike is not a finding.
public enum SecretScanner {
    /// Finds every secret in `bytes`, whatever touches it: a JSON `\n`, `%20`, a colour code or another secret may sit
    /// right against it, and the checksum (one chance in 56 billion for a random string) keeps look-alikes out.
    public static func findings(in bytes: UnsafeRawBufferPointer) -> [SecretFinding] {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return [] }
        let count = bytes.count
        let length = 4 + TokenSecret.randomLength + TokenSecret.checksumLength
        var found: [SecretFinding] = []
        var line = 1
        var counted = 0
        var offset = 3
        // memchr finds the underscore of each `atk_` / `ptk_` far faster than a byte loop would.
        while offset < count, let hit = memchr(base + offset, Int32(UInt8(ascii: "_")), count - offset) {
            let underscore = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            offset = underscore + 1
            let start = underscore - 3
            guard start + length <= count, isPrefix(base + start) else { continue }
            let body = UnsafeBufferPointer(start: base + start + 4, count: length - 4)
            guard body.allSatisfy(isBase62) else { continue }
            let text = String(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self)
            guard let secret = try? TokenSecret(parsing: text) else { continue }
            line += newlines(base + counted, start - counted)
            counted = start
            found.append(SecretFinding(secret: secret, line: line))
            offset = start + length
        }
        return found
    }

    /// `text` with every secret in it replaced by its hint: for places (paths, urls) that are printed or audited.
    public static func redacting(_ text: String) -> String {
        var text = text
        let found = Array(text.utf8).withUnsafeBytes { findings(in: $0) }
        for finding in found { text = text.replacingOccurrences(of: finding.secret.text, with: finding.secret.hint) }
        return text
    }

    /// True when the bytes look like a binary file: a NUL in the first 8000, as git decides.
    public static func looksBinary(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        return memchr(base, 0, min(bytes.count, 8_000)) != nil
    }

    /// Every kind's prefix: three letters and the underscore memchr looks for.
    private static let prefixes = TokenKind.allCases.map { Array(TokenSecret.prefix(for: $0).utf8) }

    private static func isPrefix(_ start: UnsafePointer<UInt8>) -> Bool {
        prefixes.contains { $0[0] == start[0] && $0[1] == start[1] && $0[2] == start[2] && $0[3] == start[3] }
    }

    private static func isBase62(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    private static func newlines(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var lines = 0
        var cursor = start
        var left = count
        while left > 0, let hit = memchr(cursor, 0x0A, left) {
            let next = hit.assumingMemoryBound(to: UInt8.self) + 1
            left -= cursor.distance(to: next)
            cursor = UnsafePointer(next)
            lines += 1
        }
        return lines
    }
}
