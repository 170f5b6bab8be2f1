import Crypto
import Foundation

/// What an audit event's hash covers: every field and the previous event's hash, each field length-prefixed so
/// that no two different events encode alike. Changing, removing, inserting or reordering events breaks the chain.
public enum AuditDigest {
    /// The "previous hash" of the first event.
    public static let genesis = Data(repeating: 0, count: 32)

    /// The SHA-256 of one event chained after `previous`.
    public static func hash(id: Int64, at: Int64, actor: String, action: String, tokenID: Int64?, tokenName: String?,
                            details: String, previous: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: Array("apitokens audit v1".utf8))
        func integer(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { hasher.update(bufferPointer: $0) } }
        func text(_ value: String) {
            var value = value
            value.withUTF8 { bytes in
                integer(Int64(bytes.count))
                hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
            }
        }
        integer(id)
        integer(at)
        text(actor)
        text(action)
        if let tokenID { integer(1); integer(tokenID) } else { integer(0) }
        if let tokenName { integer(1); text(tokenName) } else { integer(0) }
        text(details)
        hasher.update(data: previous)
        return Data(hasher.finalize())
    }

    /// Lower-case hex, as `audit head` prints a hash.
    public static func hex(_ hash: Data) -> String {
        hash.map { String(format: "%02x", $0) }.joined()
    }

    /// Parses 64 hex digits.
    public static func parse(hex text: String) throws(ValidationError) -> Data {
        let digits = Array(text.trimmingCharacters(in: .whitespaces).lowercased().utf8)
        let invalid = ValidationError("'\(Sanitized.visible(text))' is not a head hash: give the 64 hex digits `audit head` prints")
        guard digits.count == 64, digits.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { throw invalid }
        var bytes = Data()
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { throw invalid }
            bytes.append(byte)
        }
        return bytes
    }
}
