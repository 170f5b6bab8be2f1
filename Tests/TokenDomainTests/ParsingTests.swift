import Foundation
import Testing
import TokenDomain

struct ExpiresInTests {
    @Test(arguments: [("7d", 7), ("30d", 30), ("60d", 60), ("90d", 90), ("1y", 365), ("1d", 1), ("366d", 366)])
    func acceptsTheOfferedDurations(text: String, days: Int) throws {
        #expect(try ExpiresIn(parsing: text) == .days(days))
    }

    @Test(arguments: ["0d", "367d", "-1d", "30", "d", "1.5d", "99999999999999999999d", "030d", "", "2y", "never ", "٣d"])
    func refusesAnythingElse(text: String) {
        if text == "never " { #expect((try? ExpiresIn(parsing: text)) == .never); return }
        #expect(throws: ValidationError.self) { try ExpiresIn(parsing: text) }
    }

    @Test func formatsBackToWhatItParses() throws {
        for days in 1...366 {
            let value = ExpiresIn.days(days)
            #expect(try ExpiresIn(parsing: value.text) == value)
        }
        #expect(try ExpiresIn(parsing: "never") == .never)
    }

    @Test func statusFollowsTheClock() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(TokenStatus(expiresAt: nil, now: now) == .active)
        #expect(TokenStatus(expiresAt: now, now: now) == .expired)
        #expect(TokenStatus(expiresAt: now.addingTimeInterval(7 * 86_400), now: now) == .expiring)
        #expect(TokenStatus(expiresAt: now.addingTimeInterval(7 * 86_400 + 1), now: now) == .active)
    }
}

struct IPAllowListTests {
    @Test(arguments: ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32", "::1", "0.0.0.0/0", "::/0", "fe80::1:2"])
    func acceptsAddressesAndRanges(entry: String) throws {
        #expect(try IPAllowList(parsing: entry).description == entry)
    }

    @Test(arguments: [
        ("010.0.0.1", "leading zeros"), ("10.0.0.1/8", "host bits"), ("fe80::1%eth0", "zone"),
        ("256.1.1.1", "not an IP"), ("1.2.3", "not an IP"), ("10.0.0.0/33", "prefix"), ("10.0.0.0/08", "prefix"),
        ("2001:db8::/129", "prefix"), ("1:2:3:4:5:6:7:8:9", "not an IP"), ("::1::", "not an IP"), ("garbage", "not an IP"),
        ("10.0.0.1,,10.0.0.2", "empty entry"),
    ])
    func refusesBadEntriesNamingThem(entry: String, reason: String) {
        #expect {
            try IPAllowList(parsing: entry)
        } throws: { error in
            let message = (error as? ValidationError)?.message ?? ""
            return message.contains(reason)
        }
    }

    @Test func emptyListAllowsAnyAddress() throws {
        let list = try IPAllowList(parsing: " ")
        #expect(list.allowsAny)
        #expect(list.allows(try #require(IPAddress("192.0.2.1"))))
    }

    @Test func matchesRangesAndTreatsMappedIPv6AsIPv4() throws {
        let list = try IPAllowList(parsing: "10.0.0.0/8, 2001:db8::/32, 203.0.113.7")
        #expect(list.allows(try #require(IPAddress("10.1.2.3"))))
        #expect(list.allows(try #require(IPAddress("::ffff:10.1.2.3"))))
        #expect(list.allows(try #require(IPAddress("2001:db8:1::5"))))
        #expect(list.allows(try #require(IPAddress("203.0.113.7"))))
        #expect(!list.allows(try #require(IPAddress("203.0.113.8"))))
        #expect(!list.allows(try #require(IPAddress("11.0.0.1"))))
        #expect(!list.allows(try #require(IPAddress("2001:db9::1"))))
    }

    @Test func ipv6IsWrittenInItsShortestForm() throws {
        #expect(try IPAllowList(parsing: "2001:0DB8:0000:0000:0000:0000:0000:0001").description == "2001:db8::1")
    }
}

struct TokenSecretTests {
    @Test(arguments: TokenKind.allCases)
    func secretsCarryTheirKindsPrefixAndAValidChecksum(kind: TokenKind) throws {
        let secret = TokenSecret.generate(kind: kind)
        #expect(secret.text.hasPrefix(kind == .admin ? "atk_" : "ptk_"))
        #expect(secret.text.count == 4 + 28 + 6)
        #expect(try TokenSecret(parsing: secret.text) == secret)
        #expect(secret.hint == String(secret.text.prefix(4)) + "…" + String(secret.text.suffix(4)))
        #expect(!secret.description.contains(secret.text))
    }

    @Test func anyOneChangedCharacterFailsTheChecksum() {
        let secret = TokenSecret.generate(kind: .personal).text
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var characters = Array(secret)
        for index in 4..<characters.count {
            let original = characters[index]
            for replacement in alphabet where replacement != original {
                characters[index] = replacement
                #expect(throws: ValidationError.self) { try TokenSecret(parsing: String(characters)) }
            }
            characters[index] = original
        }
    }

    @Test func secretsAreUnique() {
        let secrets = Set((0..<1000).map { _ in TokenSecret.generate(kind: .admin).text })
        #expect(secrets.count == 1000)
    }

    @Test func hashIsSHA256OfTheSecret() {
        let secret = TokenSecret.generate(kind: .admin)
        #expect(secret.hash.count == 32)
        #expect(secret.hash != TokenSecret.generate(kind: .admin).hash)
        #expect(secret.hash == (try? TokenSecret(parsing: secret.text))?.hash)
    }
}

struct NamingTests {
    @Test func namesAreOneToAHundredCharactersWithoutControls() throws {
        #expect(try Naming.validate("  CI deploy  ", what: "token name") == "CI deploy")
        #expect(try Naming.validate(String(repeating: "é", count: 100), what: "token name").count == 100)
        #expect(throws: ValidationError.self) { try Naming.validate(String(repeating: "x", count: 101), what: "token name") }
        #expect(throws: ValidationError.self) { try Naming.validate("   ", what: "token name") }
        for hostile in ["a\u{1B}[2Jb", "a\rb", "a\u{9B}b", "a\u{202E}b", "a\u{7F}b"] {
            #expect(throws: ValidationError.self) { try Naming.validate(hostile, what: "token name") }
        }
    }

    @Test func controlsAreMadeVisible() {
        #expect(Sanitized.visible("a\u{1B}]52;c;x\u{07}b") == "a\\x1b]52;c;x\\x07b")
        #expect(Sanitized.visible("\u{9B}2J") == "\\x9b2J")
        #expect(Sanitized.visible("x\u{202E}y") == "x\\u{202e}y")
        #expect(Sanitized.visible("Café 東京") == "Café 東京")
    }
}

/// Stored allow-lists are canonical; anything else fails closed.
struct StoredAllowListTests {
    @Test(arguments: [" ", "\t", " , ", "10.0.0.0/33", "10.0.0.1,", "any"])
    func storedTextThatIsNotACanonicalListIsUnreadable(text: String) {
        let list = IPAllowList(stored: text)
        #expect(list.isUnreadable && !list.allowsAny && !list.allows(IPAddress("10.0.0.1")!), "\(text)")
    }

    @Test func theEmptyStoredListAllowsAnyAndAGoodOneParses() {
        #expect(IPAllowList(stored: "").allowsAny)
        #expect(IPAllowList(stored: "10.0.0.0/8").allows(IPAddress("10.1.2.3")!))
    }
}
