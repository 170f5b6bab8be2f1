import Foundation
import Testing
import TokenDomain
import TokenViewModels
@testable import TerminalUI

struct CanvasTests {
    @Test(arguments: [
        ("\u{1B}]52;c;aGk=\u{07}", "\\x1b]52;c;aGk=\\x07"),
        ("\u{1B}]8;;http://x\u{1B}\\link", "\\x1b]8;;http://x\\x1b\\link"),
        ("\u{1B}[2J", "\\x1b[2J"),
        ("\u{9B}2J", "\\x9b2J"),
        ("a\rb", "a\\x0db"),
        ("evil\u{202E}txt", "evil\\u{202e}txt"),
    ])
    func storedControlCharactersAreDrawnVisibly(hostile: String, shown: String) {
        var canvas = Canvas(width: 60, height: 1)
        canvas.put(hostile, x: 0, y: 0)
        #expect(canvas.lines[0] == shown)
        #expect(!canvas.cells.contains { $0.text.unicodeScalars.contains(where: Sanitized.isControl) })
    }

    @Test func wrappingKeepsEveryCharacterAndCutsOnlyAWordWiderThanTheLine() {
        let text = "PostgreSQL at postgresql://root@/apitokens?host=/tmp/a-very-long-socket-directory-name is unreachable"
        let lines = DisplayWidth.wrap(text, width: 30)
        #expect(lines.allSatisfy { DisplayWidth.of($0) <= 30 })
        #expect(lines.joined().replacingOccurrences(of: " ", with: "") == text.replacingOccurrences(of: " ", with: ""))
        #expect(lines.first == "PostgreSQL at" && lines.last?.hasSuffix(" is unreachable") == true)
    }

    @Test func randomUnicodeNeverReachesTheGridAsAControl() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let scalars = (0..<40).compactMap { _ in Unicode.Scalar(UInt32.random(in: 0...0x2FFFF, using: &generator)) }
            var canvas = Canvas(width: 100, height: 1)
            canvas.put(String(String.UnicodeScalarView(scalars)), x: 0, y: 0)
            #expect(!canvas.cells.contains { $0.text.unicodeScalars.contains(where: Sanitized.isControl) })
        }
    }

    /// Joined emoji, skin tones and flags would each take cells of their own in the terminal and push the rest of
    /// the line out of place: a cell holds only what the terminal draws in the width the grid gives it.
    @Test func clustersTheTerminalWouldWidenAreDrawnByTheirFirstPart() {
        var canvas = Canvas(width: 20, height: 1)
        canvas.put("👍🏽 ok 👨‍👩 🇫🇷 é", x: 0, y: 0)
        #expect(canvas.lines[0].hasPrefix("👍 ok 👨 🇫 é"), "\(canvas.lines[0])")
        #expect(DisplayWidth.printable("e\u{301}") == "e\u{301}" && DisplayWidth.printable("\u{1100}\u{1161}") == "\u{1100}\u{1161}")
    }

    @Test func wideCharactersTakeTwoColumnsAndTruncationKeepsAlignment() {
        var canvas = Canvas(width: 10, height: 1)
        let used = canvas.put("東京東京東京", x: 0, y: 0, maxWidth: 7)
        #expect(used == 7)
        #expect(canvas.lines[0] == "東京東…")
        #expect(DisplayWidth.of("Café") == 4)
        #expect(DisplayWidth.of("e\u{301}") == 1)
    }
}

struct LayoutTests {
    @Test func narrowTerminalsDropColumnsButNeverNameExpiresOrStatus() {
        for width in 60...200 {
            let titles = TableLayout(width: width).columns.map(\.column.title)
            #expect(titles.contains("Name") && titles.contains("Expires at") && titles.contains("Status"))
            let last = TableLayout(width: width).columns.last.map { $0.x + $0.width } ?? 0
            #expect(last <= width, "width \(width)")
        }
        #expect(TableLayout(width: 200).columns.count == 9)
        #expect(!TableLayout(width: 120).columns.map(\.column.title).contains("Last used"))
    }

    @Test func clickingAHeadingSortsByIt() {
        let layout = TableLayout(width: 120)
        let expires = layout.columns.first { $0.column.title == "Expires at" }
        #expect(layout.column(at: (expires?.x ?? 0) + 1)?.sort == .expires)
    }
}

struct KeybindingTests {
    @Test func everyContextHasHelpAndEscapeAndNoKeyIsBoundTwice() {
        let contexts: [KeyContext] = [.table, .search, .formText, .formChoice, .reveal, .confirm, .help]
        for context in contexts {
            let bindings = Keybindings.standard.bindings(for: context)
            let keys = bindings.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "\(context) binds a key twice")
            #expect(keys.contains(.escape) || context == .table && keys.contains(.character("q")), "\(context)")
            #expect(bindings.contains { $0.action == .showHelp } || context == .help, "\(context)")
        }
    }

    @Test func specKeysOfTheTableDoWhatTheySay() {
        let table = Dictionary(uniqueKeysWithValues: Keybindings.standard.bindings(for: .table).flatMap { binding in
            binding.keys.map { ($0, binding.action) }
        })
        #expect(table[.character("q")] == .quit)
        #expect(table[.character("n")] == .table(.newToken))
        #expect(table[.enter] == .table(.edit) && table[.character("e")] == .table(.edit))
        #expect(table[.character("r")] == .table(.refresh) && table[.character("R")] == .table(.roll))
        #expect(table[.character("x")] == .table(.revoke) && table[.delete] == .table(.revoke))
        #expect(table[.character(" ")] == .table(.toggleMark) && table[.character("/")] == .table(.openSearch))
        #expect(table[.character("s")] == .table(.sortNext) && table[.character("S")] == .table(.sortReverse))
        #expect(table[.character("g")] == .table(.move(.home)) && table[.character("G")] == .table(.move(.end)))
        #expect(table[.character("j")] == .table(.move(.down)) && table[.character("k")] == .table(.move(.up)))
        #expect(table[.tab] == .switchTab(.next) && table[.backTab] == .switchTab(.previous) && table[.character("2")] == .switchTab(.number(2)))
    }

    @Test func osc52IsWrappedForTmux() {
        let plain = OSC52Clipboard(insideTmux: false) { _ in }
        #expect(plain.sequence(for: "hi") == "\u{1B}]52;c;aGk=\u{07}")
        let tmux = OSC52Clipboard(insideTmux: true) { _ in }
        #expect(tmux.sequence(for: "hi") == "\u{1B}Ptmux;\u{1B}\u{1B}]52;c;aGk=\u{07}\u{1B}\\")
    }
}
