/// The escape sequences terminals send for the keys whose codes differ between families. ncurses knows only the
/// ones `TERM`'s terminfo entry lists, and over SSH, in tmux or under screen `TERM` often names another family than
/// the one sending, so every family's sequences are registered, as htop does.
public enum TerminalSequences {
    /// One terminal family and what it sends.
    public struct Family: Sendable {
        public let name: String
        public let sequences: [(sequence: String, key: Key)]
    }

    /// Home, End, PgUp, PgDn, Delete, F1 and Shift-Tab, as each family sends them.
    public static let families: [Family] = [
        Family(name: "xterm (normal mode)", sequences: [
            ("\u{1B}[H", .home), ("\u{1B}[F", .end), ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown),
            ("\u{1B}[3~", .delete), ("\u{1B}OP", .f1), ("\u{1B}[Z", .backTab),
        ]),
        Family(name: "xterm (application mode)", sequences: [
            ("\u{1B}OH", .home), ("\u{1B}OF", .end), ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown),
            ("\u{1B}[3~", .delete), ("\u{1B}OP", .f1), ("\u{1B}[Z", .backTab),
        ]),
        Family(name: "tmux and screen", sequences: [
            ("\u{1B}[1~", .home), ("\u{1B}[4~", .end), ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown),
            ("\u{1B}[3~", .delete), ("\u{1B}OP", .f1), ("\u{1B}[Z", .backTab),
        ]),
        Family(name: "rxvt", sequences: [
            ("\u{1B}[7~", .home), ("\u{1B}[8~", .end), ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown),
            ("\u{1B}[3~", .delete), ("\u{1B}[11~", .f1), ("\u{1B}[Z", .backTab),
        ]),
        Family(name: "Linux console", sequences: [
            ("\u{1B}[1~", .home), ("\u{1B}[4~", .end), ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown),
            ("\u{1B}[3~", .delete), ("\u{1B}[[A", .f1), ("\u{1B}\t", .backTab),
        ]),
        Family(name: "vt220", sequences: [
            ("\u{1B}[1~", .home), ("\u{1B}[4~", .end), ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown),
            ("\u{1B}[3~", .delete), ("\u{1B}OP", .f1), ("\u{1B}[Z", .backTab),
        ]),
    ]

    /// Every distinct sequence once, with its key.
    public static var all: [(sequence: String, key: Key)] {
        var seen: Set<String> = []
        return families.flatMap(\.sequences).filter { seen.insert($0.sequence).inserted }
    }
}
