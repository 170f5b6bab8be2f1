import ArgumentParser
import Foundation

/// What every benchmark starts from: a warning on a debug build, the apitokens executable, a scratch directory.
enum BenchSetup {
    /// This benchmark's own executable.
    static let benchmark = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()

    static func warnIfDebug() {
        #if DEBUG
        print("warning: this is a debug build; figures mean little. Use: swift build -c release")
        #endif
    }

    /// The executable given, else the one beside this benchmark; refused when there is none.
    static func apitokens(_ given: String?) throws -> String {
        let path = given ?? benchmark.deletingLastPathComponent().appendingPathComponent("apitokens").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ArgumentParser.ValidationError("no apitokens executable at \(path); run swift build -c release first")
        }
        return path
    }

    /// A new directory under the system's temporary one; the caller removes it.
    static func scratchDirectory(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
