import Crypto
import Foundation
import TokenDomain

/// The public keys secret-scanning services sign their leak reports with, by the name sent in `X-Key-Id`.
public struct LeakReportKeys: Sendable {
    /// Each key's raw representation: swift-crypto's key type is not `Sendable`, its bytes are.
    private let keys: [String: Data]

    public static let none = LeakReportKeys(keys: [:])

    private init(keys: [String: Data]) { self.keys = keys }

    /// Reads `NAME=FILE.pem` specifications, each an ECDSA P-256 public key in PEM.
    public init(specifications: [String]) throws(ValidationError) {
        var keys: [String: Data] = [:]
        for specification in specifications {
            let parts = specification.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--leak-key '\(Sanitized.visible(specification))' is not NAME=FILE.pem")
            }
            let (name, file) = (parts[0], parts[1])
            guard keys[name] == nil else { throw ValidationError("--leak-key names '\(Sanitized.visible(name))' twice") }
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read the leak key file \(Sanitized.visible(file))")
            }
            guard let key = try? P256.Signing.PublicKey(pemRepresentation: pem) else {
                throw ValidationError("\(Sanitized.visible(file)) is not an ECDSA P-256 public key in PEM")
            }
            keys[name] = key.rawRepresentation
        }
        self.keys = keys
    }

    public var isEmpty: Bool { keys.isEmpty }

    /// True when `signature` (base64 DER) is the named key's ECDSA P-256 / SHA-256 signature over exactly `body`.
    func isSigned(_ body: Data, signature: String?, keyID: String?) -> Bool {
        guard let keyID, let raw = keys[keyID], let key = try? P256.Signing.PublicKey(rawRepresentation: raw), let signature,
              let der = Data(base64Encoded: signature.trimmingCharacters(in: .whitespaces)),
              let parsed = try? P256.Signing.ECDSASignature(derRepresentation: der)
        else { return false }
        return key.isValidSignature(parsed, for: body)
    }
}
