/// Splits a SQL script into statements at top-level semicolons.
///
/// PostgresNIO speaks only the extended query protocol, which takes one statement at a time, so
/// a migration file is sent statement by statement. Semicolons inside quotes, quoted
/// identifiers, dollar-quoted bodies and comments do not split.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let s = Array(script.unicodeScalars)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty, !isOnlyComments(text) { out.append(text) }
            current = String.UnicodeScalarView()
        }
        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            if c == "-" && next == "-" {
                while i < s.count, s[i] != "\n" { current.append(s[i]); i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                var depth = 0
                repeat {
                    if s[i] == "/" && i + 1 < s.count && s[i + 1] == "*" {
                        depth += 1; current.append(s[i]); i += 1
                    } else if s[i] == "*" && i + 1 < s.count && s[i + 1] == "/" {
                        depth -= 1; current.append(s[i]); i += 1
                    }
                    current.append(s[i])
                    i += 1
                } while i < s.count && depth > 0
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < s.count {
                    current.append(s[i])
                    if s[i] == c {
                        if i + 1 < s.count, s[i + 1] == c { current.append(s[i + 1]); i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(s, from: i) {
                let tag = Array(s[i...tagEnd])
                var j = tagEnd + 1
                while j < s.count, !(s[j] == "$" && j + tag.count <= s.count && Array(s[j..<j + tag.count]) == tag) { j += 1 }
                let end = min(s.count, j + tag.count)
                current.append(contentsOf: s[i..<end])
                i = end
                continue
            }
            if c == ";" {
                flush()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        flush()
        return out
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `i` (`$$` or `$tag$`).
    private static func dollarTagEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        var j = i + 1
        while j < s.count {
            if s[j] == "$" { return j }
            guard s[j] == "_" || s[j].properties.isAlphabetic || (j > i + 1 && ("0"..."9").contains(s[j])) else { return nil }
            j += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--") }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
