import Foundation

/// A length of time written `Nh` or `Nd`: a roll's grace, or how long a token has gone unused.
public struct TimeSpan: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The length in seconds.
    public let seconds: Int64

    /// The longest grace a roll may give the previous secret.
    public static let longestGrace = TimeSpan(hours: 7 * 24)
    /// The grace choices the UI's roll confirmation offers, after "none".
    public static let graceChoices = [TimeSpan(hours: 1), TimeSpan(hours: 24), TimeSpan(hours: 7 * 24)]

    public init(hours: Int64) { seconds = hours * 3_600 }

    /// Parses `Nh` or `Nd` with N ≥ 1 (no leading zeros), up to `longest` when given.
    public init(parsing text: String, what: String, longest: TimeSpan? = nil) throws(ValidationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let invalid = ValidationError("invalid \(what) '\(Sanitized.visible(text))': use Nh or Nd, such as 1h, 24h or 7d"
                                      + (longest.map { ", at most \($0)" } ?? ""))
        guard let unit = trimmed.last, unit == "h" || unit == "d" else { throw invalid }
        let digits = trimmed.dropLast()
        guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0",
              let count = Int64(digits)
        else { throw invalid }
        let span = TimeSpan(hours: unit == "d" ? count * 24 : count)
        if let longest, span > longest { throw invalid }
        self = span
    }

    /// `7d` when whole days, else `36h`.
    public var description: String {
        let hours = seconds / 3_600
        return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours)h"
    }

    /// For people: `1 hour`, `24 hours`, `7 days`.
    public var label: String {
        let hours = seconds / 3_600
        if hours == 1 { return "1 hour" }
        if hours % 24 == 0 && hours > 24 { return "\(hours / 24) days" }
        return "\(hours) hours"
    }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }
}
