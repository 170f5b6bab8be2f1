import Foundation
import TokenDomain

/// A scrolling sheet of label–value lines: one token's story (SPEC §9), or one audit event in full.
public struct DetailsSheet: Hashable, Sendable {
    /// What the sheet tells.
    public enum Subject: Hashable, Sendable {
        case token(TokenStory)
        case event(AuditEvent)
    }

    /// One line: a label in the left column (empty on continuation lines) and its text.
    public struct Line: Hashable, Sendable {
        public enum Kind: Hashable, Sendable { case heading, field, warning }
        public let label: String
        public let text: String
        public let kind: Kind
    }

    public let subject: Subject
    /// The first line shown.
    public internal(set) var offset = 0

    /// The width of the label column.
    public static let labelWidth = 17

    /// The sheet's title.
    public var title: String {
        switch subject {
        case .token(let story): "Token “\(story.token.name)”"
        case .event(let event): "Audit event #\(event.id)"
        }
    }

    /// The sheet's frame on a screen of this size: lines inside it and columns for text.
    public static func rows(height: Int) -> Int { max(1, height - 7) }
    public static func boxWidth(width: Int) -> Int { min(width - 4, 100) }
    static func textWidth(width: Int) -> Int { max(10, boxWidth(width: width) - 4 - labelWidth) }

    /// Every line, wrapped to the screen's width; statuses are judged at `now`.
    public func lines(width: Int, now: Date) -> [Line] {
        let textWidth = Self.textWidth(width: width)
        var lines: [Line] = []
        func add(_ label: String, _ text: String, _ kind: Line.Kind = .field) {
            for (index, piece) in DisplayWidth.wrap(Sanitized.visible(text), width: textWidth).enumerated() {
                lines.append(Line(label: index == 0 ? label : "", text: piece, kind: kind))
            }
        }
        switch subject {
        case .token(let story): Self.describe(story, now: now, add: add)
        case .event(let event):
            add("Event", "#\(event.id)")
            add("Time", RFC3339.string(event.at))
            add("Actor", event.actor)
            add("Action", event.action)
            add("Token", event.tokenID.map { "#\($0) \(event.tokenName ?? "")" } ?? "—")
            add("Details", event.details.isEmpty ? "—" : event.details.replacingOccurrences(of: "; ", with: "\n"))
        }
        return lines
    }

    /// The furthest the sheet scrolls on a screen of this size.
    func lastOffset(width: Int, height: Int, now: Date) -> Int {
        max(0, lines(width: width, now: now).count - Self.rows(height: height))
    }

    private static func describe(_ story: TokenStory, now: Date, add: (String, String, Line.Kind) -> Void) {
        let token = story.token
        func date(_ value: Date?) -> String { value.map(RFC3339.string) ?? "never" }
        let status = token.status(at: now)
        add("Name", token.name, .field)
        add("ID", "#\(token.id) · secret \(token.hint)", .field)
        add("Type", token.kind == .admin ? "Admin token" : "Personal access token", .field)
        add("Status", status.label + (token.ownerLacksAccess ? ": the owner is no longer a member of the team" : ""),
            status == .active ? .field : .warning)
        add("Created by", "\(token.ownerName) (\(token.owner))", .field)
        add("Team", token.team, .field)
        add("Sites", story.sites.isEmpty ? "none" : story.sites.joined(separator: ", "), .field)
        add("Permissions", token.permissions.map(\.label).joined(separator: ", "), .field)
        add("Expires in", token.expiresIn.label, .field)
        add("Expires at", date(token.expiresAt), .field)
        add("Allowed IPs", token.allowedIPs.allowsAny ? "any address"
            : token.allowedIPs.isUnreadable ? "unreadable: no address allowed" : "\(token.allowedIPs)", .field)
        add("Created", date(token.createdAt), .field)
        add("Updated", date(token.updatedAt), .field)
        add("Last used", token.lastUsedAt.map { "\(RFC3339.string($0)) from \(token.lastUsedIP ?? "an unknown address")" } ?? "never",
            .field)
        add("Previous secret", token.graceEnd(at: now).map { "works until \(RFC3339.string($0))" } ?? "none", .field)
        add("", "", .field)
        add("History", story.history.isEmpty ? "no events" : "\(story.history.count) event\(story.history.count == 1 ? "" : "s"), newest first", .heading)
        for event in story.history {
            let time = RFC3339.string(event.at)
            add(String(time.prefix(10)) + " " + String(time.dropFirst(11).prefix(5)),
                "\(event.actor) \(event.action)" + (event.details.isEmpty ? "" : ": \(event.details)"), .field)
        }
    }
}
