import ArgumentParser
import Foundation
import TokenDomain

extension Benchmark {
    /// `apitokens-bench cleanup`: `scan`'s throughput on a tree of text, a bulk revoke of every token at 1M, and
    /// `audit verify` on the million events that revoke wrote.
    struct Cleanup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure apitokens scan (MB/s, beside grep) and token revoke --unused-for on a seeded database.")

        @Option(help: "Megabytes of text to scan.") var megabytes = 512
        @Option(help: "Tokens to seed and revoke in bulk.") var tokens = 1_000_000
        @Option(help: "The apitokens executable (default: the one beside this benchmark).") var binary: String?

        func run() throws {
            BenchSetup.warnIfDebug()
            let apitokens = try BenchSetup.apitokens(binary)
            let directory = try BenchSetup.scratchDirectory("apitokens-cleanup-bench")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = directory.appendingPathComponent("tokens.sqlite").path

            FileHandle.standardError.write(Data("Seeding \(tokens) tokens…\n".utf8))
            _ = try ProcessBench.time(apitokens, ["demo", "--db", database, "--seed-only", "--tokens", String(tokens)])
            FileHandle.standardError.write(Data("Writing \(megabytes) MB of text…\n".utf8))
            let tree = directory.appendingPathComponent("tree")
            let planted = try Self.writeTree(at: tree, megabytes: megabytes)
            let bytes = Double(megabytes) * 1_048_576

            // The first pass warms the page cache; the figures are the best of three after it.
            _ = try ProcessBench.time(apitokens, ["scan", tree.path, "--db", database])
            let scan = try ProcessBench.times(3, apitokens, ["scan", tree.path, "--db", database]).min() ?? .nan
            let grep = try ProcessBench.times(3, "/usr/bin/grep", ["-rcE", "[ap]tk_[0-9A-Za-z]{34}", tree.path]).min() ?? .nan

            FileHandle.standardError.write(Data("Revoking every token unused for an hour…\n".utf8))
            let revoke = try ProcessBench.time(apitokens, ["token", "revoke", "--unused-for", "1h", "--yes", "--db", database])
            let left = try Self.liveTokens(apitokens, database)
            // The bulk revoke wrote one audit event per token: the chain to verify is as long as the token count.
            let events = try Self.count(database, "SELECT count(*) FROM audit")
            let verify = try ProcessBench.times(3, apitokens, ["audit", "verify", "--db", database]).min() ?? .nan

            print(Report.machine())
            print("""

                apitokens scan on \(megabytes) MB of text in \(megabytes) files, \(planted) secrets planted:
                  apitokens scan       \(String(format: "%7.0f", bytes / 1_048_576 / (scan / 1000))) MB/s   (\(String(format: "%.0f", scan)) ms)
                  grep -rcE (compare)  \(String(format: "%7.0f", bytes / 1_048_576 / (grep / 1000))) MB/s   (\(String(format: "%.0f", grep)) ms)

                token revoke --unused-for 1h --yes on \(tokens) never-used tokens:
                  \(String(format: "%.1f", revoke / 1000)) s, \(String(format: "%.0f", Double(tokens) / (revoke / 1000))) tokens/s, \(left) live tokens left

                apitokens audit verify on \(events) chained events (a whole process, best of three):
                  \(String(format: "%.2f", verify / 1000)) s, \(String(format: "%.0f", Double(events) / (verify / 1000))) events/s
                """)
        }

        /// One file per megabyte of source-like text (identifiers, underscores, quotes), with an unknown secret in
        /// every eighth file, so scan must look each one up. Returns how many were planted.
        static func writeTree(at tree: URL, megabytes: Int) throws -> Int {
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            let words = ["let", "token_name", "api_key", "self.store", "return", "if", "ptk_", "atk_x", "{", "}", "=", "\"value\"",
                         "deploy_pipeline", "snake_case_identifier", "// comment", "0x1F", "tk_", "ptk_short"]
            var generator = SystemRandomNumberGenerator()
            var planted = 0
            for index in 0..<megabytes {
                var text = ""
                text.reserveCapacity(1_048_576 + 200)
                while text.utf8.count < 1_048_576 {
                    for _ in 0..<12 { text += words.randomElement(using: &generator)! + " " }
                    text += "\n"
                }
                if index % 8 == 0 {
                    text += "TOKEN=\(TokenSecret.generate(kind: .personal).text)\n"
                    planted += 1
                }
                try text.write(to: tree.appendingPathComponent("file-\(index).txt"), atomically: false, encoding: .utf8)
            }
            return planted
        }

        /// Live tokens left, counted by sqlite3 rather than by apitokens.
        static func liveTokens(_ apitokens: String, _ database: String) throws -> Int {
            try count(database, "SELECT count(*) FROM token WHERE revokedAt IS NULL")
        }

        /// A count by sqlite3.
        static func count(_ database: String, _ sql: String) throws -> Int {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("apitokens-count-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: output) }
            _ = try ProcessBench.run("/usr/bin/sqlite3", [database, sql], output: output)
            return Int(((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
    }
}
