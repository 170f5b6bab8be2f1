import Foundation

/// The source of "now"; injected so rules that depend on time are testable.
public protocol Clock: Sendable {
    /// The current moment.
    func now() -> Date
}

/// The wall clock, truncated to whole seconds because that is what is stored.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)) }
}

/// A clock that always answers the same moment; for tests and demos.
public struct FixedClock: Clock {
    public let moment: Date
    public init(_ moment: Date) { self.moment = moment }
    public func now() -> Date { moment }
}
