internal import CNCursesW
import Foundation

/// The ncurses backend: owns the terminal while the UI runs, paints canvases and reads keys.
public final class NCursesTerminal {
    private var savedStderr: Int32 = -1
    private let useColor: Bool
    private var open = true

    /// Why the terminal `TERM` names cannot show the interface, or nil when it can: unknown to terminfo, or unable to
    /// move the cursor (`dumb`). Asked before taking over, so the answer is one line on a terminal left as it was.
    public static func problem(term: String? = ProcessInfo.processInfo.environment["TERM"]) -> String? {
        let name = term ?? ""
        switch shim_terminal_problem() {
        case 0: return nil
        case 1: return "the terminal type '\(name)' is unknown here (no terminfo entry); try TERM=xterm-256color"
        default: return "the terminal type '\(name)' cannot move the cursor, which the interface needs; try TERM=xterm-256color"
        }
    }

    /// Takes over the terminal: UTF-8 locale, raw keys, fast Esc, mouse, the palette's colours unless `NO_COLOR`.
    public init(palette: Palette = .standard) {
        Self.chooseUTF8Locale()
        Self.installRestoreHandlers()
        initscr()
        raw()
        noecho()
        nonl()
        keypad(shim_stdscr(), true)
        for (sequence, key) in TerminalSequences.all {
            if let code = Self.code(for: key) { define_key(sequence, code) }
        }
        set_escdelay(25)
        curs_set(0)
        mouseinterval(0)
        mousemask(shim_button1_pressed() | shim_button1_clicked() | shim_button4_pressed() | shim_button5_pressed(), nil)
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        useColor = !noColor && has_colors()
        if useColor {
            start_color()
            use_default_colors()
            for role in Color.allCases {
                // A colour the terminal lacks (200 on an 8-colour console) falls back to its own colour.
                let number = palette.number(for: role)
                init_pair(Int16(role.rawValue), number < Int16(clamping: shim_colors()) ? number : -1, -1)
            }
        }
        // Nothing may write to stderr under the screen; it would corrupt the picture.
        savedStderr = dup(STDERR_FILENO)
        let null = Foundation.open("/dev/null", O_WRONLY)
        if null >= 0 {
            dup2(null, STDERR_FILENO)
            Foundation.close(null)
        }
    }

    /// Gives the terminal back as it was.
    public func close() {
        guard open else { return }
        open = false
        endwin()
        if savedStderr >= 0 {
            dup2(savedStderr, STDERR_FILENO)
            Foundation.close(savedStderr)
        }
    }

    deinit { close() }

    /// The user's locale, or when it is not UTF-8 (no `LANG` over SSH, say) a UTF-8 one, so the glyphs still draw.
    private static func chooseUTF8Locale() {
        setlocale(LC_ALL, "")
        guard !isUTF8(String(cString: nl_langinfo(nl_item(CODESET)))) else { return }
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"] where setlocale(LC_CTYPE, name) != nil {
            return
        }
    }

    private static func isUTF8(_ codeset: String) -> Bool {
        ["utf-8", "utf8"].contains(codeset.lowercased())
    }

    /// Ctrl-Z: gives the terminal back and stops, as a shell job does; on `fg` everything is drawn again.
    public func suspend() {
        endwin()
        // Raw mode keeps the terminal from sending SIGTSTP itself, so it is raised here, with the default action.
        let previous = signal(SIGTSTP, SIG_DFL)
        kill(getpid(), SIGTSTP)
        signal(SIGTSTP, previous)
        clearok(shim_curscr(), true)
        refresh()
    }

    /// The terminal's size in columns and rows.
    public var size: (width: Int, height: Int) { (Int(shim_cols()), Int(shim_lines())) }

    /// Paints the canvas; ncurses sends only what changed, so nothing flickers.
    public func paint(_ canvas: Canvas) {
        for y in 0..<canvas.height {
            var x = 0
            while x < canvas.width {
                let style = canvas[x, y].style
                var run = ""
                let start = x
                while x < canvas.width, canvas[x, y].style == style {
                    run += canvas[x, y].text
                    x += 1
                }
                // The bottom-right cell is written too: ncurses places it without scrolling (the call reports an error
                // for the cursor it cannot advance, which is harmless), so a smaller screen never keeps a stale one.
                apply(style)
                var wide = run.unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]
                mvaddwstr(Int32(y), Int32(start), &wide)
            }
        }
        apply(.plain)
        refresh()
    }

    private func apply(_ style: Style) {
        var attributes: attr_t = 0
        if style.bold { attributes |= shim_a_bold() }
        if style.reverse { attributes |= shim_a_reverse() }
        if style.dim { attributes |= shim_a_dim() }
        if style.underline { attributes |= shim_a_underline() }
        let pair: Int16 = useColor ? Int16(style.color?.rawValue ?? 0) : 0
        attr_set(attributes, pair, nil)
    }

    /// True once the terminal has gone away (the SSH connection or tmux pane closed).
    public private(set) var isHungUp = false

    /// Waits up to `timeout` milliseconds for a key; nil when none came.
    public func readKey(timeout milliseconds: Int32) -> Key? {
        timeout(milliseconds)
        var character: wint_t = 0
        let result = wget_wch(shim_stdscr(), &character)
        if result == ERR {
            // A closed terminal returns at once, forever; without this check the loop would spin.
            var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            if poll(&input, 1, 0) > 0, input.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { isHungUp = true }
            return nil
        }
        if result == KEY_CODE_YES { return functionKey(Int32(character)) }
        if character == 27, discardUnknownSequence() { return nil }
        return Self.decode(UInt32(character))
    }

    /// An Esc with `[` or `O` already behind it starts a sequence ncurses does not know (Ctrl-Up, Shift-F3, keypad 5):
    /// its bytes would otherwise read as Esc and then ordinary keys, which cancel forms or mark rows. The whole
    /// sequence is read and dropped. An Esc followed by anything else stays an Esc and that key, as typed.
    private func discardUnknownSequence() -> Bool {
        guard let first = pendingCharacter() else { return false }
        guard first == 0x5B || first == 0x4F else {
            unget_wch(wchar_t(bitPattern: first))
            return false
        }
        if first == 0x4F { _ = pendingCharacter(); return true }  // "O": SS3 and one final byte
        // "[": CSI, parameters and intermediates up to a final byte; the Linux console's F1–F5 add one more "[".
        var count = 0
        while let next = pendingCharacter(), count < 32 {
            count += 1
            if count == 1, next == 0x5B { continue }
            if (0x40...0x7E).contains(next) { break }
        }
        return true
    }

    /// A character already waiting, without waiting for one.
    private func pendingCharacter() -> UInt32? {
        timeout(0)
        var character: wint_t = 0
        let result = wget_wch(shim_stdscr(), &character)
        return result == ERR ? nil : UInt32(character)
    }

    /// Decodes a plain character as the key it stands for.
    static func decode(_ value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return Unicode.Scalar(value + 96).map { .control(Character($0)) }
        default: return Unicode.Scalar(value).map { .character(Character($0)) }
        }
    }

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE, KEY_A3: return .pageUp
        case KEY_NPAGE, KEY_C3: return .pageDown
        case KEY_HOME, KEY_FIND, KEY_A1: return .home
        case KEY_END, KEY_SELECT, KEY_C1: return .end
        case KEY_BTAB: return .backTab
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_F0 + 1: return .f1
        case KEY_RESIZE:
            let (width, height) = size
            return .resize(width: width, height: height)
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            if event.bstate & (shim_button1_pressed() | shim_button1_clicked()) != 0 {
                return .click(x: Int(event.x), y: Int(event.y))
            }
            if event.bstate & shim_button4_pressed() != 0 { return .scrollUp }
            if shim_button5_pressed() != 0, event.bstate & shim_button5_pressed() != 0 { return .scrollDown }
            return nil
        default: return nil
        }
    }

    /// The ncurses code a registered sequence decodes to.
    private static func code(for key: Key) -> Int32? {
        switch key {
        case .home: KEY_HOME
        case .end: KEY_END
        case .pageUp: KEY_PPAGE
        case .pageDown: KEY_NPAGE
        case .delete: KEY_DC
        case .f1: KEY_F0 + 1
        case .backTab: KEY_BTAB
        default: nil
        }
    }

    /// Writes raw bytes to the terminal, e.g. an OSC 52 sequence.
    public static func writeRaw(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in _ = write(STDOUT_FILENO, buffer.baseAddress, buffer.count) }
    }

    /// Restores the terminal on SIGINT, SIGTERM, SIGHUP and on crashes, as htop does.
    private static func installRestoreHandlers() {
        // A parent may have started us with these blocked (test runners do); resize and quit rely on them.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        for sig in [SIGWINCH, SIGINT, SIGTERM, SIGHUP] { sigaddset(&wanted, sig) }
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { received in
                endwin()
                _exit(128 + received)
            }
        }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(sig) { received in
                endwin()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }
}
