import TokenStore
import TokenDomain
import TokenViewModels

/// Draws the small modal dialogs: secret reveal, confirmation and help.
enum DialogView {
    private static func centredBox(_ canvas: inout Canvas, width: Int, height: Int, title: String, color: Color) -> (Int, Int) {
        let width = min(width, canvas.width - 2)
        let height = min(height, canvas.height - 2)
        let x = (canvas.width - width) / 2
        let y = max(0, (canvas.height - 1 - height) / 2)
        canvas.box(x: x, y: y, width: width, height: height, title: title, style: Style(bold: true, color: color))
        return (x + 2, y + 1)
    }

    static func drawReveal(_ reveal: SecretReveal, into canvas: inout Canvas) {
        let title = reveal.isRoll ? "New secret for “\(reveal.tokenName)”" : "Token “\(reveal.tokenName)” created"
        let width = max(DisplayWidth.of(reveal.secret) + 8, 60)
        let (x, y) = centredBox(&canvas, width: width, height: 10, title: title, color: .green)
        canvas.put("Copy this secret now. It will not be shown again.", x: x, y: y + 1, style: Style(bold: true, color: .yellow))
        canvas.put(" \(reveal.secret) ", x: x, y: y + 3, style: Style(bold: true, reverse: true))
        let copy = reveal.copyStatus ?? "c copies it to your clipboard · Enter or Esc closes"
        canvas.put(copy, x: x, y: y + 5, style: reveal.copyStatus == nil ? Style(dim: true) : Style(color: .green), maxWidth: width - 4)
        canvas.put("Store it in a password manager or secret store.", x: x, y: y + 6, style: Style(dim: true), maxWidth: width - 4)
    }

    static func drawConfirm(_ confirmation: Confirmation, into canvas: inout Canvas) {
        let lines = confirmation.lines
        let width = max(56, (lines.map(DisplayWidth.of).max() ?? 0) + 6)
        let (x, y) = centredBox(&canvas, width: width, height: lines.count + 5, title: confirmation.title, color: .red)
        for (index, line) in lines.enumerated() {
            canvas.put(line, x: x, y: y + 1 + index, style: index >= lines.count - 2 ? Style(bold: true) : Style(), maxWidth: width - 4)
        }
        let buttonsY = y + lines.count + 2
        let used = canvas.put(" No ", x: x, y: buttonsY, style: confirmation.yesFocused ? Style() : Style(bold: true, reverse: true))
        canvas.put(" \(confirmation.yesLabel) ", x: x + used + 3, y: buttonsY,
                   style: confirmation.yesFocused ? Style(bold: true, reverse: true, color: .red) : Style(color: .red))
    }

    /// One audit event in full, its details wrapped over as many lines as they need.
    static func drawEvent(_ event: AuditEvent, into canvas: inout Canvas) {
        let width = min(canvas.width - 4, 90)
        let inner = width - 4
        let fields: [(String, String)] = [
            ("Event", "#\(event.id)"), ("Time", RFC3339.string(event.at)), ("Actor", event.actor), ("Action", event.action),
            ("Token", event.tokenID.map { "#\($0) \(event.tokenName ?? "")" } ?? "—"),
        ]
        let details = wrap(event.details.isEmpty ? "—" : event.details.replacingOccurrences(of: "; ", with: "\n"), width: inner - 10)
        let shown = Array(details.prefix(max(1, canvas.height - fields.count - 7)))
        let (x, y) = centredBox(&canvas, width: width, height: fields.count + shown.count + 4, title: "Audit event", color: .cyan)
        for (index, (label, value)) in fields.enumerated() {
            canvas.put(label, x: x, y: y + 1 + index, style: Style(bold: true))
            canvas.put(value, x: x + 10, y: y + 1 + index, maxWidth: inner - 10)
        }
        canvas.put("Details", x: x, y: y + 1 + fields.count, style: Style(bold: true))
        for (index, line) in shown.enumerated() {
            canvas.put(line, x: x + 10, y: y + 1 + fields.count + index, maxWidth: inner - 10)
        }
    }

    /// Splits text at newlines, then into pieces of at most `width` columns, at spaces where it can.
    static func wrap(_ text: String, width: Int) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { paragraph -> [String] in
            var lines: [String] = [], line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                let candidate = line.isEmpty ? String(word) : line + " " + word
                if DisplayWidth.of(candidate) <= width || line.isEmpty { line = candidate } else { lines.append(line); line = String(word) }
            }
            return lines + [line]
        }
    }

    static func drawHelp(context: KeyContext, into canvas: inout Canvas) {
        let bindings = Keybindings.bindings(for: context)
        let keyWidth = min(22, (bindings.map { DisplayWidth.of($0.keyLabel) }.max() ?? 0) + 2)
        let width = min(canvas.width - 4, 76)
        let (x, y) = centredBox(&canvas, width: width, height: bindings.count + 4, title: "Help — \(context.title)", color: .cyan)
        let rows = min(bindings.count, canvas.height - 6)
        for (index, binding) in bindings.prefix(rows).enumerated() {
            canvas.put(binding.keyLabel, x: x, y: y + 1 + index, style: Style(bold: true, color: .cyan), maxWidth: keyWidth - 1)
            canvas.put(binding.description, x: x + keyWidth, y: y + 1 + index, maxWidth: width - keyWidth - 4)
        }
    }
}
