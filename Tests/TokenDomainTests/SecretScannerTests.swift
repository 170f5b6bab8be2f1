import Foundation
import Testing
@testable import TokenDomain

/// The scanner finds exactly the strings `TokenSecret(parsing:)` accepts, standing alone, with their lines.
@Suite struct SecretScannerTests {
    func scan(_ text: String) -> [SecretFinding] {
        Array(text.utf8).withUnsafeBytes { SecretScanner.findings(in: $0) }
    }

    @Test func findsSecretsAtTheEdgesAndCountsLinesAcrossCRLF() {
        let a = TokenSecret.generate(kind: .admin), p = TokenSecret.generate(kind: .personal)
        let found = scan("\(a.text)\r\nnothing\r\n\n  \"\(p.text)\",\(a.text)\nlast \(p.text)")
        #expect(found.map(\.line) == [1, 4, 4, 5])
        #expect(found.map(\.secret) == [a, p, a, p])
        #expect(scan(p.text).map(\.secret) == [p])
        #expect(scan("").isEmpty && scan("ptk_").isEmpty && scan("_").isEmpty)
    }

    @Test func lookAlikesAreNotFindings() {
        let secret = TokenSecret.generate(kind: .personal).text
        var broken = Array(secret)
        broken[10] = broken[10] == "a" ? "b" : "a"
        let lookAlikes = [
            String(broken), String(secret.dropLast()), "qtk_" + secret.dropFirst(4),
            secret.replacingOccurrences(of: "_", with: "-"), "ptk_" + String(repeating: "A", count: 34),
        ]
        for text in lookAlikes { #expect(scan("a \(text) b").isEmpty, "\(text)") }
    }

    @Test func aSecretIsFoundWhateverTouchesIt() {
        let secret = TokenSecret.generate(kind: .personal)
        let other = TokenSecret.generate(kind: .admin)
        for text in [#"{"log":"token:\n\#(secret.text)"}"#, "Bearer%20\(secret.text)", "\u{1B}[31m\(secret.text)\u{1B}[0m",
                     "x\(secret.text)0", "é\(secret.text)"] {
            #expect(scan(text).map(\.secret) == [secret], "\(text)")
        }
        #expect(scan(secret.text + other.text).map(\.secret) == [secret, other], "two secrets back to back")
        #expect(SecretScanner.redacting("https://x/?leak=\(secret.text)&y") == "https://x/?leak=\(secret.hint)&y")
    }

    /// Seeded, so a failure can be replayed: every planted secret is found, and nothing else, in random text.
    @Test func plantedSecretsInRandomTextAreFoundExactly() {
        var random = SplitMix64(seed: 20261201)
        let alphabet = Array("abcXYZ019_ \n\t=:\"'ptk_atk_")
        var text = "", planted: [TokenSecret] = []
        for _ in 0..<2_000 {
            text += String((0..<Int.random(in: 0...60, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            if Int.random(in: 0..<4, using: &random) == 0 {
                let secret = TokenSecret.generate(kind: Bool.random(using: &random) ? .admin : .personal)
                text += " \(secret.text) "
                planted.append(secret)
            }
        }
        #expect(scan(text).map(\.secret) == planted, "seed 20261201")
    }
}
