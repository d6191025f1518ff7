/// Text into HTML or SVG: every character that could open markup, an entity or an attribute
/// is escaped, so that names and addresses typed by users never become markup (XSS).
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        // Most text has nothing to escape: checked on the bytes, without grapheme breaking.
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
