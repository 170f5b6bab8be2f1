import Foundation
import Testing
@testable import TokenDomain

/// Random input never crashes or overflows a parser, and whatever parses formats back to itself. Seeded: the seed
/// is printed, and `FUZZ_SEED=N swift test` replays a run.
struct ParserFuzzTests {
    static let seed: UInt64 = {
        let seed = ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("ParserFuzzTests seed: \(seed) (FUZZ_SEED=\(seed) replays it)")
        return seed
    }()

    static let alphabet = Array("0123456789abcdefABCDEF:./%,- dy" + "\u{0}\u{1B}東é")

    func randomText(_ generator: inout some RandomNumberGenerator) -> String {
        String((0..<Int.random(in: 0...24, using: &generator)).map { _ in Self.alphabet.randomElement(using: &generator) ?? "0" })
    }

    @Test func ipAllowListSurvivesRandomInputAndRoundTrips() throws {
        var generator = SplitMix64(seed: Self.seed)
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
        var generator = SplitMix64(seed: Self.seed)
        for _ in 0..<20_000 {
            let text = randomText(&generator)
            guard let value = try? ExpiresIn(parsing: text) else { continue }
            #expect(try ExpiresIn(parsing: value.text) == value, "\(text)")
        }
        #expect(throws: ValidationError.self) { try ExpiresIn(parsing: String(repeating: "9", count: 400) + "d") }
    }

    @Test func secretParserRejectsRandomInput() {
        var generator = SplitMix64(seed: Self.seed)
        for _ in 0..<20_000 {
            let text = ["atk_", "ptk_", ""].randomElement(using: &generator).map { $0 + randomText(&generator) } ?? ""
            #expect((try? TokenSecret(parsing: text)) == nil, "\(text) (seed \(Self.seed))")
        }
    }

    /// Inputs of the full length, in the right alphabet, so that only the checksum can refuse them; and every
    /// one-character change of a real secret.
    @Test func secretParserRejectsEverythingButAValidChecksum() throws {
        var generator = SplitMix64(seed: Self.seed)
        let alphabet = TokenSecret.alphabet.map { Character(Unicode.Scalar($0)) }
        for _ in 0..<20_000 {
            let body = String((0..<(TokenSecret.randomLength + TokenSecret.checksumLength)).map { _ in alphabet.randomElement(using: &generator)! })
            let text = (Bool.random(using: &generator) ? "atk_" : "ptk_") + body
            #expect((try? TokenSecret(parsing: text)) == nil, "\(text) (seed \(Self.seed))")
        }
        let secret = TokenSecret.generate(kind: .personal)
        #expect(try TokenSecret(parsing: secret.text) == secret)
        var characters = Array(secret.text)
        for index in characters.indices.dropFirst(4) {
            let original = characters[index]
            characters[index] = original == "a" ? "b" : "a"
            #expect((try? TokenSecret(parsing: String(characters))) == nil, "changed at \(index)")
            characters[index] = original
        }
    }
}
