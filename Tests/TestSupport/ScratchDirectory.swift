import Foundation

/// A private temporary directory that is removed, with everything in it, when the last reference goes.
public final class ScratchDirectory: @unchecked Sendable {
    /// The directory; created on first use of `path(_:)` or by the caller.
    public let url: URL

    /// A new, not yet created directory under the system's temporary folder, named `prefix-<uuid>`.
    public init(_ prefix: String) {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the directory, which is created if need be.
    public func path(_ name: String) -> String {
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.appendingPathComponent(name).path
    }
}
