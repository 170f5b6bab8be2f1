/// The terminal colour of each role of `Color`: a curses colour number, or -1 for the terminal's own.
public struct Palette: Sendable, Equatable {
    public private(set) var colors: [Color: Int16]

    /// The colours a person can name in config.toml, as curses numbers them; 0–255 are taken as numbers too.
    static let names: [(name: String, number: Int16)] = [
        ("default", -1), ("black", 0), ("red", 1), ("green", 2), ("yellow", 3), ("blue", 4), ("magenta", 5),
        ("cyan", 6), ("white", 7),
    ]

    /// Red for danger, yellow for warnings and search, green for success, cyan for accents, magenta for marks.
    public static let standard = Palette(colors: [.danger: 1, .warning: 3, .success: 2, .accent: 6, .mark: 5, .search: 3])

    /// The curses colour of a role.
    public func number(for role: Color) -> Int16 { colors[role] ?? -1 }

    mutating func set(_ role: Color, to number: Int16) { colors[role] = number }

    /// A colour as config.toml writes it: a name such as `magenta`, or a number 0–255.
    static func number(named text: String) -> Int16? {
        names.first { $0.name == text.lowercased() }?.number
    }

    /// How `apitokens keys` writes a role's colour.
    public func name(for role: Color) -> String {
        let number = number(for: role)
        return Self.names.first { $0.number == number }?.name ?? "\(number)"
    }
}
