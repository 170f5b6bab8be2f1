import Testing
import TokenDomain

/// Random input never crashes or overflows a parser, and whatever parses formats back to itself.
struct ParserFuzzTests {
    static let alphabet = Array("0123456789abcdefABCDEF:./%,- dy" + "\u{0}\u{1B}東é")

    func randomText(_ generator: inout some RandomNumberGenerator) -> String {
        String((0..<Int.random(in: 0...24, using: &generator)).map { _ in Self.alphabet.randomElement(using: &generator) ?? "0" })
    }

    @Test func ipAllowListSurvivesRandomInputAndRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = randomText(&generator)
            guard let list = try? IPAllowList(parsing: text) else { continue }
            #expect(try IPAllowList(parsing: list.description) == list, "\(text)")
        }
        for _ in 0..<2_000 {
            let address = IPAddress.v6(UInt128(UInt64.random(in: 0...UInt64.max, using: &generator)) << 64
                                       | UInt128(UInt64.random(in: 0...UInt64.max, using: &generator)))
            #expect(IPAddress(Substring(address.description)) == address)
        }
    }

    @Test func expiresInSurvivesRandomInputAndRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = randomText(&generator)
            guard let value = try? ExpiresIn(parsing: text) else { continue }
            #expect(try ExpiresIn(parsing: value.text) == value, "\(text)")
        }
        #expect(throws: ValidationError.self) { try ExpiresIn(parsing: String(repeating: "9", count: 400) + "d") }
    }

    @Test func secretParserRejectsRandomInput() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = ["atk_", "ptk_", ""].randomElement(using: &generator).map { $0 + randomText(&generator) } ?? ""
            #expect((try? TokenSecret(parsing: text)) == nil, "\(text)")
        }
    }
}
