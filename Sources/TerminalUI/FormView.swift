import TokenDomain
import TokenViewModels

/// Draws the create / edit form as a centred panel; scrolls to keep the focused field visible.
enum FormView {
    /// One line of the form, tagged with the field it belongs to.
    private struct Line {
        var field: TokenForm.Field?
        var draw: (inout Canvas, Int, Int, Int) -> Void
    }

    static func draw(_ form: TokenForm, state: AppState, into canvas: inout Canvas) {
        let width = min(state.width - 4, 84)
        let labelWidth = 14
        let valueX = labelWidth + 2
        var lines: [Line] = []

        func focusStyle(_ field: TokenForm.Field) -> Style {
            form.focus == field ? Style(bold: true, reverse: true) : Style(underline: true)
        }
        func label(_ text: String, _ field: TokenForm.Field, _ canvas: inout Canvas, _ x: Int, _ y: Int) {
            canvas.put(text, x: x, y: y, style: form.focus == field ? Style(bold: true, color: .accent) : Style(bold: true))
        }
        func error(_ field: TokenForm.Field, _ canvas: inout Canvas, _ x: Int, _ y: Int, _ used: Int, _ inner: Int) {
            guard let message = form.errors[field] else { return }
            canvas.put("✗ " + message, x: x + used + 1, y: y, style: Style(bold: true, color: .danger), maxWidth: inner - used - 1)
        }
        func textLine(_ title: String, _ field: TokenForm.Field, _ text: TextField, placeholder: String) -> Line {
            Line(field: field) { canvas, x, y, inner in
                label(title, field, &canvas, x, y)
                let boxWidth = min(34, (inner - valueX) / 2)
                canvas.fill(x: x + valueX, y: y, width: boxWidth, height: 1, style: focusStyle(field))
                let shown = text.text.isEmpty && form.focus != field ? placeholder : String(text.text.suffix(boxWidth - 1))
                canvas.put(shown, x: x + valueX, y: y, style: text.text.isEmpty ? Style(dim: true, underline: true) : focusStyle(field), maxWidth: boxWidth)
                if form.focus == field {
                    let hidden = text.text.count - String(text.text.suffix(boxWidth - 1)).count
                    let before = String(text.text.dropFirst(hidden).prefix(max(0, text.cursor - hidden)))
                    canvas.restyle(x: x + valueX + DisplayWidth.of(before), y: y, width: 1, style: Style(underline: true, color: .accent))
                }
                error(field, &canvas, x + valueX, y, boxWidth, inner - valueX)
            }
        }
        func choiceLine(_ title: String, _ field: TokenForm.Field, _ value: String, _ hint: String = "") -> Line {
            Line(field: field) { canvas, x, y, inner in
                label(title, field, &canvas, x, y)
                let used = canvas.put("◀ \(value) ▶", x: x + valueX, y: y, style: focusStyle(field), maxWidth: inner - valueX)
                if !hint.isEmpty { canvas.put(hint, x: x + valueX + used + 2, y: y, style: Style(dim: true), maxWidth: inner - valueX - used - 2) }
                error(field, &canvas, x + valueX, y, used, inner - valueX)
            }
        }

        lines.append(textLine("Name", .name, form.name, placeholder: "e.g. GitHub Actions deploy"))
        if form.kindIsChoosable {
            lines.append(choiceLine("Type", .type, form.kind == .admin ? "Admin token" : "Personal access token"))
        } else {
            lines.append(Line(field: nil) { canvas, x, y, _ in
                canvas.put("Type", x: x, y: y, style: Style(bold: true))
                canvas.put(form.kind == .admin ? "Admin token" : "Personal access token", x: x + valueX, y: y)
            })
        }
        let expiryHint = form.mode == .create ? "" : "saving recomputes the expiry if this changes"
        lines.append(choiceLine("Expires in", .expiresIn, form.expiresIn.label, expiryHint))
        let forbidden = form.expiryChoices.compactMap { form.disabledReason($0) }.first
        if let forbidden {
            // Every choice, those the policy forbids greyed out, and the rule once.
            lines.append(Line(field: .expiresIn) { canvas, x, y, inner in
                var used = 0
                for choice in form.expiryChoices {
                    let style = form.disabledReason(choice) == nil ? (choice == form.expiresIn ? Style(bold: true) : Style()) : Style(dim: true)
                    used += canvas.put(choice.text, x: x + valueX + used, y: y, style: style, maxWidth: max(0, inner - valueX - used)) + 1
                }
            })
            let names = form.expiryChoices.filter { form.disabledReason($0) != nil }.map(\.text).joined(separator: ", ")
            lines.append(Line(field: .expiresIn) { canvas, x, y, inner in
                canvas.put("\(names): \(forbidden)", x: x + valueX, y: y, style: Style(dim: true), maxWidth: inner - valueX)
            })
        }
        let ipPlaceholder = form.organisationPolicy.requireIPAllowList
            ? "required by the policy" : "any address (or 10.0.0.0/8, 2001:db8::/32)"
        lines.append(textLine("Allowed IPs", .allowedIPs, form.allowedIPs, placeholder: ipPlaceholder))
        lines.append(choiceLine("Team", .team, form.team?.name ?? "no team offered"))
        let sites = form.team.map { $0.sites.isEmpty ? "no sites yet" : $0.sites.joined(separator: ", ") } ?? ""
        lines.append(Line(field: .team) { canvas, x, y, inner in
            canvas.put("Sites: " + sites, x: x + valueX, y: y, style: Style(dim: true), maxWidth: inner - valueX)
        })
        lines.append(Line(field: nil) { canvas, x, y, inner in
            canvas.put("Permissions", x: x, y: y, style: Style(bold: true))
            error(.permission(.readSite), &canvas, x + valueX, y, 0, inner - valueX)
        })
        for permission in Permission.allCases {
            let field = TokenForm.Field.permission(permission)
            lines.append(Line(field: field) { canvas, x, y, inner in
                let reason = form.disabledReason(permission)
                let box = form.permissions.contains(permission) ? "[x]" : "[ ]"
                let style = reason != nil ? Style(dim: true) : form.focus == field ? Style(bold: true, reverse: true) : Style()
                let used = canvas.put("\(box) \(permission.label)", x: x + 2, y: y, style: style, maxWidth: inner - 2)
                if let reason {
                    canvas.put("— \(reason)", x: x + 2 + used + 1, y: y, style: Style(dim: true), maxWidth: inner - used - 3)
                }
            })
        }
        lines.append(Line(field: nil) { _, _, _, _ in })
        lines.append(Line(field: .submit) { canvas, x, y, inner in
            let create = " \(form.submitLabel) "
            let used = canvas.put(create, x: x + valueX, y: y,
                                  style: form.focus == .submit ? Style(bold: true, reverse: true, color: .success) : Style(bold: true))
            canvas.put(" Cancel ", x: x + valueX + used + 2, y: y,
                       style: form.focus == .cancel ? Style(bold: true, reverse: true) : Style())
            // Beside-field errors may be cut short; the focused field's error is spelled out here in full.
            if let message = form.errors[.submit] ?? form.errors[form.focus] {
                canvas.put("✗ " + message, x: x, y: y + 1, style: Style(bold: true, color: .danger), maxWidth: inner)
            }
        })
        lines.append(Line(field: nil) { _, _, _, _ in })

        let height = min(state.height - 2, lines.count + 2)
        let top = max(0, (state.height - 1 - height) / 2)
        let left = (state.width - width) / 2
        canvas.box(x: left, y: top, width: width, height: height, title: form.title, style: Style(color: .accent))
        let visible = height - 2
        let focusIndex = lines.firstIndex { $0.field == form.focus } ?? 0
        let first = min(max(0, focusIndex - visible / 2), max(0, lines.count - visible))
        for (offset, line) in lines.dropFirst(first).prefix(visible).enumerated() {
            line.draw(&canvas, left + 2, top + 1 + offset, width - 4)
        }
        if first > 0 { canvas.put("▲", x: left + width - 2, y: top + 1, style: Style(dim: true)) }
        if first + visible < lines.count { canvas.put("▼", x: left + width - 2, y: top + height - 2, style: Style(dim: true)) }
    }
}
