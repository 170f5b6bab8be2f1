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
        let (x, y) = centredBox(&canvas, width: width, height: 10, title: title, color: .success)
        canvas.put("Copy this secret now. It will not be shown again.", x: x, y: y + 1, style: Style(bold: true, color: .warning))
        canvas.put(" \(reveal.secret) ", x: x, y: y + 3, style: Style(bold: true, reverse: true))
        let copy = reveal.copyStatus ?? "c copies it to your clipboard · Enter or Esc closes"
        canvas.put(copy, x: x, y: y + 5, style: reveal.copyStatus == nil ? Style(dim: true) : Style(color: .success), maxWidth: width - 4)
        canvas.put("Store it in a password manager or secret store.", x: x, y: y + 6, style: Style(dim: true), maxWidth: width - 4)
    }

    static func drawConfirm(_ confirmation: Confirmation, into canvas: inout Canvas) {
        let lines = confirmation.lines
        let width = max(56, (lines.map(DisplayWidth.of).max() ?? 0) + 6)
        let (x, y) = centredBox(&canvas, width: width, height: lines.count + 5, title: confirmation.title, color: .danger)
        for (index, line) in lines.enumerated() {
            canvas.put(line, x: x, y: y + 1 + index, style: index >= lines.count - 2 ? Style(bold: true) : Style(), maxWidth: width - 4)
        }
        let buttonsY = y + lines.count + 2
        let used = canvas.put(" No ", x: x, y: buttonsY, style: confirmation.yesFocused ? Style() : Style(bold: true, reverse: true))
        canvas.put(" \(confirmation.yesLabel) ", x: x + used + 3, y: buttonsY,
                   style: confirmation.yesFocused ? Style(bold: true, reverse: true, color: .danger) : Style(color: .danger))
    }

    /// A details sheet: label and text columns, scrolled to the sheet's offset, with where it is in the frame.
    static func drawDetails(_ sheet: DetailsSheet, state: AppState, into canvas: inout Canvas) {
        let lines = sheet.lines(width: state.width, now: state.now)
        let rows = DetailsSheet.rows(height: state.height)
        let width = DetailsSheet.boxWidth(width: state.width)
        let shown = lines.dropFirst(sheet.offset).prefix(rows)
        let (x, y) = centredBox(&canvas, width: width, height: rows + 4, title: sheet.title, color: .accent)
        for (index, line) in shown.enumerated() {
            let labelStyle = line.kind == .heading ? Style(bold: true, underline: true) : Style(bold: true)
            canvas.put(line.label, x: x, y: y + index, style: labelStyle, maxWidth: DetailsSheet.labelWidth - 1)
            let textStyle = switch line.kind {
            case .heading: Style(bold: true)
            case .warning: Style(bold: true, color: .danger)
            case .field: Style()
            }
            canvas.put(line.text, x: x + DetailsSheet.labelWidth, y: y + index, style: textStyle,
                       maxWidth: width - 4 - DetailsSheet.labelWidth)
        }
        let position = lines.count > rows ? "lines \(sheet.offset + 1)–\(sheet.offset + shown.count) of \(lines.count) · ↑↓ PgUp PgDn scroll · "
                                          : ""
        canvas.put(position + "Esc closes", x: x, y: y + rows + 1, style: Style(dim: true), maxWidth: width - 4)
    }

    /// The help overlay: every binding of the context, scrolled when they do not fit.
    static func drawHelp(_ bindings: [Binding], title: String, offset: Int, rows: Int, into canvas: inout Canvas) {
        let keyWidth = min(22, (bindings.map { DisplayWidth.of($0.keyLabel) }.max() ?? 0) + 2)
        let width = min(canvas.width - 4, 76)
        let fits = bindings.count <= rows
        let shown = bindings.dropFirst(fits ? 0 : offset).prefix(rows)
        let (x, y) = centredBox(&canvas, width: width, height: (fits ? bindings.count : rows) + 4,
                                title: "Help — \(title)", color: .accent)
        for (index, binding) in shown.enumerated() {
            canvas.put(binding.keyLabel, x: x, y: y + 1 + index, style: Style(bold: true, color: .accent), maxWidth: keyWidth - 1)
            canvas.put(binding.description, x: x + keyWidth, y: y + 1 + index, maxWidth: width - keyWidth - 4)
        }
        guard !fits else { return }
        let first = offset + 1, last = offset + shown.count
        let more = "keys \(first)–\(last) of \(bindings.count) · ↑↓ PgUp PgDn scroll"
        canvas.put(more, x: x, y: y + rows + 1, style: Style(dim: true), maxWidth: width - 4)
    }
}
