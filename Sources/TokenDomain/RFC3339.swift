import Foundation

/// Formats moments as RFC 3339 UTC timestamps, e.g. `2026-12-01T09:30:00Z`.
public enum RFC3339 {
    /// The timestamp of a moment, to the second.
    public static func string(_ date: Date) -> String {
        let format = Date.ISO8601FormatStyle(timeZone: .gmt)
        return date.formatted(format)
    }
}
