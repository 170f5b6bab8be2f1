import HTTPTypes
import Hummingbird
import TokenDomain
import TokenStore

/// What a check answers, and how each answer goes on the wire: the one table proxies rely on.
/// Only `good` is ever a 2xx; a token problem is never a 500.
enum CheckOutcome: Sendable {
    /// A good token, what it grants now, and whether the secret was the previous one, inside its grace.
    case good(Token, granted: PermissionSet, previousSecret: Bool)
    /// No `Authorization: Bearer` header at all.
    case missingToken
    /// Malformed, unknown, revoked, expired or rolled out.
    case invalidToken(reason: String)
    /// A good token that lacks the permission, team, site or client address the request needs.
    case insufficientScope(reason: String)
    /// The database could not answer.
    case unavailable

    /// The outcome of a verification by the store.
    init(_ verification: Verification) {
        switch verification {
        case .active(let token, let granted, let previousSecret): self = .good(token, granted: granted, previousSecret: previousSecret)
        case .inactive(let reason): self = .invalidToken(reason: reason)
        case .outOfScope(let reason): self = .insufficientScope(reason: reason)
        }
    }

    /// The name of the outcome in metrics.
    var label: String {
        switch self {
        case .good: "good"
        case .missingToken: "missing"
        case .invalidToken: "invalid_token"
        case .insufficientScope: "insufficient_scope"
        case .unavailable: "unavailable"
        }
    }

    /// The answer to `GET /check`: 204 with the token's facts, or 401 / 403 / 503 (RFC 6750 §3).
    var checkResponse: Response {
        switch self {
        case .good(let token, let granted, let previousSecret):
            var headers = HTTPFields()
            headers[.tokenID] = String(token.id)
            headers[.tokenKind] = token.kind.rawValue
            headers[.tokenName] = HeaderText.encode(token.name)
            headers[.tokenSub] = token.owner
            headers[.tokenTeam] = HeaderText.encode(token.team)
            headers[.tokenPermissions] = granted.ids.joined(separator: ",")
            if previousSecret { headers[.tokenPreviousSecret] = "true" }
            return Response(status: .noContent, headers: headers)
        default:
            return refusal
        }
    }

    /// The answer when a request is refused: never a 2xx.
    var refusal: Response {
        var headers = HTTPFields()
        switch self {
        case .good, .missingToken: headers[.wwwAuthenticate] = #"Bearer realm="apitokens""#
        case .invalidToken: headers[.wwwAuthenticate] = #"Bearer realm="apitokens", error="invalid_token""#
        case .insufficientScope: headers[.wwwAuthenticate] = #"Bearer realm="apitokens", error="insufficient_scope""#
        case .unavailable: headers[.retryAfter] = "1"
        }
        return Response(status: refusalStatus, headers: headers)
    }

    private var refusalStatus: HTTPResponse.Status {
        switch self {
        case .good, .missingToken, .invalidToken: .unauthorized
        case .insufficientScope: .forbidden
        case .unavailable: .serviceUnavailable
        }
    }
}

/// Header values are ASCII: anything else in a name (and `%` itself) is percent-encoded as UTF-8.
enum HeaderText {
    static func encode(_ text: String) -> String {
        if text.utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != UInt8(ascii: "%") }) { return text }
        var out = ""
        for byte in text.utf8 {
            if (0x20...0x7E).contains(byte) && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension HTTPField.Name {
    static let tokenID = Self("X-Token-Id")!
    static let tokenKind = Self("X-Token-Kind")!
    static let tokenName = Self("X-Token-Name")!
    static let tokenSub = Self("X-Token-Sub")!
    static let tokenTeam = Self("X-Token-Team")!
    static let tokenPermissions = Self("X-Token-Permissions")!
    static let tokenPreviousSecret = Self("X-Token-Previous-Secret")!
    static let forwardedFor = Self("X-Forwarded-For")!
    static let signature = Self("X-Signature")!
    static let keyID = Self("X-Key-Id")!
    static let realIP = Self("X-Real-IP")!
}
