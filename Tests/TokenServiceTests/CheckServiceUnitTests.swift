import Foundation
import Testing
import TokenDomain
import TokenStore
@testable import TokenService

/// The pure parts of the check service: the outcome table, client addresses, listen addresses, header text.
struct CheckServiceUnitTests {
    static let token = Token(
        id: 7, kind: .personal, name: "Café deploy", owner: "jo", ownerName: "Jo", team: "Web", teamID: 1,
        permissions: PermissionSet([.readSite, .runTests]), expiresIn: .standard, expiresAt: nil, allowedIPs: .any,
        createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), lastUsedAt: nil,
        lastUsedIP: nil, hint: "ptk_…abcd", version: 1)

    @Test func onlyAGoodTokenIsEverA2xx() {
        let outcomes: [(CheckOutcome, Int, String?)] = [
            (.good(Self.token, granted: Self.token.permissions, previousSecret: false), 204, nil),
            (.missingToken, 401, #"Bearer realm="apitokens""#),
            (.invalidToken(reason: "x"), 401, #"Bearer realm="apitokens", error="invalid_token""#),
            (.insufficientScope(reason: "x"), 403, #"Bearer realm="apitokens", error="insufficient_scope""#),
            (.unavailable, 503, nil),
        ]
        for (outcome, status, challenge) in outcomes {
            let response = outcome.checkResponse
            #expect(Int(response.status.code) == status, "\(outcome.label)")
            #expect(response.headers[.wwwAuthenticate] == challenge, "\(outcome.label)")
            if status != 204 { #expect(!(200..<300).contains(Int(outcome.refusal.status.code))) }
        }
        let good = CheckOutcome.good(Self.token, granted: PermissionSet([.readSite]), previousSecret: false).checkResponse
        #expect(good.headers[.tokenName] == "Caf%C3%A9 deploy" && good.headers[.tokenPermissions] == "read_site")
    }

    @Test func aSpoofedHeaderFromAnUntrustedPeerChangesNothing() throws {
        let policy = ClientAddressPolicy(trusting: [try IPRange(parsing: "10.0.0.0/8")])
        let outsider = IPAddress("198.51.100.9")
        #expect(policy.client(peer: outsider, forwardedFor: ["203.0.113.5"], realIP: "203.0.113.6") == outsider)
        let proxy = IPAddress("10.1.2.3")
        #expect(policy.client(peer: proxy, forwardedFor: ["1.1.1.1, 203.0.113.5"], realIP: nil) == IPAddress("203.0.113.5"))
        #expect(policy.client(peer: proxy, forwardedFor: [], realIP: "203.0.113.6") == IPAddress("203.0.113.6"))
        #expect(policy.client(peer: proxy, forwardedFor: ["not an address"], realIP: nil) == nil, "garbage is nobody, never the proxy")
        #expect(policy.client(peer: IPAddress("::1"), forwardedFor: ["::ffff:203.0.113.5"], realIP: nil) == IPAddress("203.0.113.5"))
        #expect(policy.client(peer: nil, forwardedFor: [], realIP: nil) == nil, "a Unix socket peer has no address")
        #expect(ClientAddressPolicy().client(peer: proxy, forwardedFor: ["203.0.113.5"], realIP: nil) == proxy)
    }

    @Test func listenAddressesParseAndKnowWhetherTheyAreLocal() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:8080") == .standard)
        #expect(try ListenAddress(parsing: "localhost:9000").isLocal)
        #expect(try ListenAddress(parsing: "[::1]:8080").description == "[::1]:8080")
        #expect(try ListenAddress(parsing: "unix:/run/apitokens.sock") == .unix(path: "/run/apitokens.sock"))
        #expect(try !ListenAddress(parsing: "0.0.0.0:8080").isLocal)
        #expect(try !ListenAddress(parsing: "[2001:db8::1]:443").isLocal)
        for bad in ["8080", "127.0.0.1", "127.0.0.1:99999", "[::1:80", "host.example:80", "unix:relative", "127.0.0.1:-1", "::1:80"] {
            #expect(throws: ValidationError.self, "\(bad)") { try ListenAddress(parsing: bad) }
        }
    }

    @Test func formBodiesDecode() {
        let form = FormBody("token=ptk_abc%2B1&token_type_hint=access+token")
        #expect(form["token"] == "ptk_abc+1" && form["token_type_hint"] == "access token" && form["missing"] == nil)
    }
}
