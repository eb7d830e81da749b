//! Lexical helpers for the REPL: open brackets, string context, the word under the cursor.

/// Net depth of `(`, `[`, `{` (and Rhai's `#{`) outside strings and comments; negative
/// depth counts as closed so that a stray bracket is reported by the parser.
pub fn open_depth(src: &str) -> i32 {
    let mut depth = 0i32;
    let mut chars = src.chars().peekable();
    let mut in_str: Option<char> = None;
    while let Some(c) = chars.next() {
        match in_str {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    in_str = None;
                }
            }
            None => match c {
                '"' | '`' | '\'' => in_str = Some(c),
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    let mut prev = ' ';
                    for c in chars.by_ref() {
                        if prev == '*' && c == '/' {
                            break;
                        }
                        prev = c;
                    }
                }
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            },
        }
    }
    depth
}

/// If the cursor is inside a string literal, the byte offset where its text starts.
pub fn string_start(line: &str, pos: usize) -> Option<usize> {
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in line[..pos].char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (c, open) {
            ('\\', Some(_)) => escaped = true,
            ('"', None) => open = Some(i + 1),
            ('"', Some(_)) => open = None,
            _ => {}
        }
    }
    open
}

/// Start of the identifier that ends at `pos`.
pub fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map(|(i, _)| i)
        .unwrap_or(pos)
}

/// The function name just before an open `(` at the end of `line[..pos]`, if any.
pub fn call_before(line: &str, pos: usize) -> Option<&str> {
    let head = line[..pos].trim_end();
    let head = head.strip_suffix('(')?;
    let start = word_start(head, head.len());
    let name = &head[start..];
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_strings_and_comments() {
        assert_eq!(open_depth("fn f(x) {"), 1);
        assert_eq!(open_depth("let s = \"{(\"; // {"), 0);
        assert_eq!(open_depth("let m = #{ a: [1, 2"), 2);
        assert_eq!(open_depth("/* { */ x"), 0);
        assert_eq!(open_depth("}"), -1);
    }

    #[test]
    fn cursor_context() {
        let l = "read_csv(\"data/ca";
        assert_eq!(string_start(l, l.len()), Some(10));
        assert_eq!(string_start("x = \"a\" + ", 10), None);
        assert_eq!(word_start("let t = read_c", 14), 8);
        assert_eq!(call_before("x = read_csv(", 13), Some("read_csv"));
    }
}
