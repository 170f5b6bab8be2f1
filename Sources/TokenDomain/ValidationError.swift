/// Input that breaks a rule; the message is one line, worded for a person.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong, naming the offending value.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
