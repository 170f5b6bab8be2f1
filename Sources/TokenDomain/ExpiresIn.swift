import Foundation

/// How long a token lives after it is created or refreshed: a number of days, or never.
public enum ExpiresIn: Hashable, Sendable {
    case days(Int)
    case never

    /// The choices offered in the form, in order.
    public static let choices: [ExpiresIn] = [.days(7), .days(30), .days(60), .days(90), .days(365), .never]

    /// The default for new tokens.
    public static let standard = ExpiresIn.days(30)

    /// The longest lifetime the command line accepts, in days.
    public static let maximumDays = 366

    /// Parses `7d`, `30d`, `1y`, `never` or any `Nd` with 1 ≤ N ≤ 366.
    public init(parsing text: String) throws(ValidationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "never" { self = .never; return }
        if trimmed == "1y" { self = .days(365); return }
        let invalid = ValidationError(
            "invalid expiry '\(Sanitized.visible(text))': use 7d, 30d, 60d, 90d, 1y, never, or Nd with 1 ≤ N ≤ \(Self.maximumDays)")
        guard trimmed.hasSuffix("d") else { throw invalid }
        let digits = trimmed.dropLast()
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              !(digits.count > 1 && digits.first == "0"),
              let days = Int(digits), (1...Self.maximumDays).contains(days)
        else { throw invalid }
        self = .days(days)
    }

    /// The canonical text form: `30d`, `1y`, `never`.
    public var text: String {
        switch self {
        case .never: "never"
        case .days(365): "1y"
        case .days(let days): "\(days)d"
        }
    }

    /// A label for people: `30 days`, `1 year`, `Never`.
    public var label: String {
        switch self {
        case .never: "Never"
        case .days(365): "1 year"
        case .days(1): "1 day"
        case .days(let days): "\(days) days"
        }
    }

    /// The number of days, or nil for never; how it is stored.
    public var days: Int? {
        if case .days(let days) = self { return days }
        return nil
    }

    /// Builds the value back from its stored number of days.
    public init(days: Int?) {
        self = days.map(ExpiresIn.days) ?? .never
    }

    /// The expiry moment when counted from `start`, or nil for never.
    public func expiry(from start: Date) -> Date? {
        days.map { start.addingTimeInterval(TimeInterval($0) * 86_400) }
    }
}
