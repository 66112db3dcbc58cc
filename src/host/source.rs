//! Program text as MicroPython's lexer reads it, respelled so that RustPython's parser reads
//! it the same way.
//!
//! Two things MicroPython accepts that RustPython's parser (CPython's rules) does not, or
//! reads differently:
//!
//! - **Tabs in indentation.** MicroPython's lexer (py/lexer.c) keeps one column count: a tab
//!   moves it to the next multiple of 8, every other whitespace byte (space, `\v`, `\f`) adds
//!   one, and a line's indentation is the column of its first token. It has no `TabError`:
//!   a block indented with a tab and continued with eight spaces is one block. CPython
//!   compares tab-and-space indentation two ways and refuses what is ambiguous, and resets
//!   the count at a form feed. [`normalise`] rewrites the indentation of each logical line
//!   as that many spaces, which both read alike.
//! - **Line endings.** MicroPython's lexer turns `\r\n` and a lone `\r` into `\n` before
//!   anything else sees them, strings included; so does CPython reading a file in text mode.
//!   RustPython's parser counts both as line breaks and reads `\r\n` in a triple-quoted
//!   string as `\n`, but keeps a lone `\r` there (a file with classic Mac line endings).
//!   [`normalise`] turns both into `\n`, which also leaves the indentation scan one newline.
//!
//! Nothing else changes: the text keeps its lines (tracebacks name the same line numbers),
//! tabs inside strings and after the indentation stay, and the lines inside a multi-line
//! string, inside brackets, or after a backslash continuation are not logical lines and are
//! left alone. Knowing where those are takes a small scan of strings (MicroPython's prefixes,
//! triple quotes, f-string replacement fields), comments and brackets.

use std::borrow::Cow;
use std::ops::Range;

/// MicroPython's `TAB_SIZE`: a tab in indentation moves to the next multiple of this.
const TAB_SIZE: usize = 8;

/// `source` with MicroPython's line endings and indentation, spelled for RustPython's parser
/// (see the module's documentation). Borrows `source` when nothing needs to change, which is
/// the case for almost every file.
pub fn normalise(source: &str) -> Cow<'_, str> {
    let source = newlines(source);
    if !needs_indentation_scan(&source) {
        return source;
    }
    match indentation(&source) {
        Cow::Borrowed(_) => source,
        Cow::Owned(text) => Cow::Owned(text),
    }
}

/// `\r\n` and a lone `\r` as `\n`, as MicroPython's lexer reads them, inside strings too.
fn newlines(source: &str) -> Cow<'_, str> {
    if !source.contains('\r') {
        return Cow::Borrowed(source);
    }
    Cow::Owned(source.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Whether anything in `source` could be indentation the two lexers measure differently:
/// a tab, `\v` or `\f`, or a backslash continuation (which MicroPython, but not CPython,
/// lets carry a line's indentation onto the next line).
fn needs_indentation_scan(source: &str) -> bool {
    source
        .bytes()
        .any(|b| matches!(b, b'\t' | b'\x0b' | b'\x0c'))
        || source.contains("\\\n")
}

/// Whitespace MicroPython's lexer skips between tokens and counts in indentation
/// (`unichar_isspace` without the newline, which is handled on its own).
fn is_indentation_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\x0b' | b'\x0c')
}

/// The column after `byte`, at `column` (0-based), as MicroPython's lexer counts it.
fn advance(column: usize, byte: u8) -> usize {
    if byte == b'\t' {
        (column / TAB_SIZE + 1) * TAB_SIZE
    } else {
        column + 1
    }
}

/// `source` (with `\n` line endings) with the indentation of each logical line as spaces.
fn indentation(source: &str) -> Cow<'_, str> {
    let mut scan = Scan {
        bytes: source.as_bytes(),
        edits: Vec::new(),
    };
    scan.run();
    if scan.edits.is_empty() {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 8 * scan.edits.len());
    let mut copied = 0;
    for (range, replacement) in scan.edits {
        out.push_str(&source[copied..range.start]);
        out.push_str(&replacement);
        copied = range.end;
    }
    out.push_str(&source[copied..]);
    Cow::Owned(out)
}

/// A pass over the source's bytes (every byte it looks for is ASCII, so a UTF-8 sequence
/// never matches one) that records the indentation to rewrite.
struct Scan<'a> {
    bytes: &'a [u8],
    /// Ranges of `bytes` to replace, in order and not overlapping.
    edits: Vec<(Range<usize>, String)>,
}

impl Scan<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn run(&mut self) {
        // Open brackets: a newline inside them does not end the logical line.
        let mut depth = 0usize;
        let mut line_start = true;
        let mut i = 0;
        while let Some(b) = self.at(i) {
            if line_start {
                line_start = false;
                i = self.indentation(i);
                continue;
            }
            i = match b {
                b'#' => self.line_end(i),
                b'\'' | b'"' => self.string(i),
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    i + 1
                }
                b')' | b']' | b'}' => {
                    // An unmatched closer is the parser's to report; keep counting from 0.
                    depth = depth.saturating_sub(1);
                    i + 1
                }
                b'\\' if self.at(i + 1) == Some(b'\n') => i + 2,
                b'\n' => {
                    line_start = depth == 0;
                    i + 1
                }
                _ => i + 1,
            };
        }
    }

    /// The index of the newline ending the physical line `i` is on (or the end).
    fn line_end(&self, i: usize) -> usize {
        self.bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |n| i + n)
    }

    /// Reads the indentation of the logical line starting at `i`, records its respelling,
    /// and returns where its first token (or its comment or newline) starts.
    fn indentation(&mut self, mut i: usize) -> usize {
        loop {
            let start = i;
            let mut column = 0;
            let mut only_spaces = true;
            while let Some(b) = self.at(i).filter(|&b| is_indentation_byte(b)) {
                column = advance(column, b);
                only_spaces &= b == b' ';
                i += 1;
            }
            match self.at(i) {
                // MicroPython measures the indentation at the first token, past backslash
                // continuations; CPython takes the whitespace before the backslash, unless
                // there is none. Dropping it lets the next line's whitespace count in both.
                Some(b'\\') if self.at(i + 1) == Some(b'\n') => {
                    if i > start {
                        self.edits.push((start..i, String::new()));
                    }
                    i += 2;
                }
                // A blank or comment-only line has no indentation in either lexer.
                None | Some(b'\n' | b'#') => return i,
                Some(_) => {
                    if !only_spaces {
                        self.edits.push((start..i, " ".repeat(column)));
                    }
                    return i;
                }
            }
        }
    }

    /// Skips the string literal whose opening quote is at `i`; returns the index after it
    /// (or of the newline ending an unterminated single-quoted one, or the end).
    fn string(&self, mut i: usize) -> usize {
        let quote = self.bytes[i];
        let interpolated = self.is_interpolated(i);
        let triple = self.at(i + 1) == Some(quote) && self.at(i + 2) == Some(quote);
        i += if triple { 3 } else { 1 };
        while let Some(b) = self.at(i) {
            i = match b {
                // Raw strings too: a backslash keeps the next byte (a quote, a newline) in.
                b'\\' => i + 2,
                b if b == quote && !triple => return i + 1,
                b if b == quote
                    && self.at(i + 1) == Some(quote)
                    && self.at(i + 2) == Some(quote) =>
                {
                    return i + 3;
                }
                b'\n' if !triple => return i,
                b'{' if interpolated && self.at(i + 1) == Some(b'{') => i + 2,
                b'{' if interpolated => self.replacement_field(i + 1),
                _ => i + 1,
            };
        }
        self.bytes.len()
    }

    /// Whether the string whose quote is at `quote` has an f- or t-string prefix.
    fn is_interpolated(&self, quote: usize) -> bool {
        let word_start = self.bytes[..quote]
            .iter()
            .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
            .map_or(0, |n| n + 1);
        let prefix = self.bytes[word_start..quote].to_ascii_lowercase();
        matches!(
            prefix.as_slice(),
            b"f" | b"fr" | b"rf" | b"t" | b"tr" | b"rt"
        )
    }

    /// Skips an f-string replacement field's expression, from just after its `{`, the way
    /// MicroPython's lexer extracts it: to the first `:`, `}` or `!r`/`!s` conversion outside
    /// square and curly brackets, quotes and newlines included. The format spec after it is
    /// string text again.
    fn replacement_field(&self, mut i: usize) -> usize {
        let mut level = 0usize;
        while let Some(b) = self.at(i) {
            if level == 0 {
                let conversion = b == b'!'
                    && matches!(self.at(i + 1), Some(b'r' | b's'))
                    && matches!(self.at(i + 2), Some(b':' | b'}'));
                if b == b':' || b == b'}' || conversion {
                    return i;
                }
            }
            match b {
                b'[' | b'{' => level += 1,
                b']' | b'}' => level = level.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    fn n(source: &str) -> String {
        normalise(source).into_owned()
    }

    #[test]
    fn plain_source_is_borrowed() {
        let source = "if x:\n    y = 1\n";
        assert!(matches!(normalise(source), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn a_tab_moves_to_the_next_multiple_of_eight() {
        assert_eq!(n("if x:\n\ty\n"), "if x:\n        y\n");
        assert_eq!(n("if x:\n   \ty\n"), "if x:\n        y\n");
        assert_eq!(n("if x:\n\t  \ty\n"), "if x:\n                y\n");
        assert_eq!(n("if x:\n        \ty\n"), "if x:\n                y\n");
    }

    #[test]
    fn a_tab_block_continued_with_eight_spaces_is_one_block() {
        assert_eq!(
            n("def f():\n\ta = 1\n        return a\n"),
            "def f():\n        a = 1\n        return a\n"
        );
    }

    #[test]
    fn vertical_tab_and_form_feed_count_one_column() {
        assert_eq!(n("if x:\n\x0c y\n"), "if x:\n  y\n");
        assert_eq!(n("if x:\n\x0b\ty\n"), "if x:\n        y\n");
    }

    #[test]
    fn tabs_after_the_indentation_stay() {
        assert_eq!(n("if x:\n\ty =\t'a\tb'\n"), "if x:\n        y =\t'a\tb'\n");
    }

    #[test]
    fn lines_inside_a_triple_quoted_string_stay() {
        let source = "if x:\n\ts = '''\n\tone\n\t'''\n\tt = \"\"\"a\n\t\"\"\"\n";
        assert_eq!(
            n(source),
            "if x:\n        s = '''\n\tone\n\t'''\n        t = \"\"\"a\n\t\"\"\"\n"
        );
    }

    #[test]
    fn a_quote_of_the_other_kind_or_escaped_does_not_end_a_string() {
        let source = "s = '''it's \\''' \n\tstill'''\nif x:\n\ty\n";
        assert_eq!(
            n(source),
            "s = '''it's \\''' \n\tstill'''\nif x:\n        y\n"
        );
        let source = "s = r'\\'\\\n\t'\nif x:\n\ty\n";
        assert_eq!(n(source), "s = r'\\'\\\n\t'\nif x:\n        y\n");
    }

    #[test]
    fn continuation_lines_stay() {
        let source = "if x:\n\ty = (1,\n\t\t2)\n\tz = 1 + \\\n\t\t2\n\tw = {\n\t'a': [\n\t]}\n";
        assert_eq!(
            n(source),
            "if x:\n        y = (1,\n\t\t2)\n        z = 1 + \\\n\t\t2\n        w = {\n\t'a': [\n\t]}\n"
        );
    }

    #[test]
    fn comments_and_blank_lines_stay() {
        let source = "if x:\n\t# it's a comment with a quote (\n\t\n\ty\n";
        assert_eq!(
            n(source),
            "if x:\n\t# it's a comment with a quote (\n\t\n        y\n"
        );
    }

    #[test]
    fn a_backslash_line_carries_indentation_to_the_next() {
        assert_eq!(n("if x:\n    \\\n\ty\n"), "if x:\n\\\n        y\n");
    }

    #[test]
    fn f_string_fields_may_hold_quotes_and_brackets() {
        let source = "if x:\n\ts = f'{d['k']:>{w}}' + f\"{{\" + f'{a!r}'\n\ty\n";
        assert_eq!(
            n(source),
            "if x:\n        s = f'{d['k']:>{w}}' + f\"{{\" + f'{a!r}'\n        y\n"
        );
    }

    #[test]
    fn an_unterminated_string_ends_at_its_line() {
        assert_eq!(n("s = 'abc\nif x:\n\ty\n"), "s = 'abc\nif x:\n        y\n");
        assert_eq!(n("s = '''abc\n\ty\n"), "s = '''abc\n\ty\n");
    }

    #[test]
    fn crlf_and_lone_cr_become_lf_inside_strings_too() {
        assert_eq!(n("s = '''a\r\nb'''\r\nt = 1\r"), "s = '''a\nb'''\nt = 1\n");
        assert_eq!(n("if x:\r\n\ty\r\n"), "if x:\n        y\n");
    }

    #[test]
    fn line_count_is_kept() {
        // Six line breaks: four CRLF, a lone CR, a LF.
        let source = "if x:\r\n\ts = '''\r\n\t'''\r\n\t\\\r\n\ty\rz\n";
        assert_eq!(n(source).matches('\n').count(), 6);
    }

    #[test]
    fn any_cut_of_tricky_source_is_scanned_without_panicking() {
        // Unbalanced brackets, unterminated strings and fields, a backslash at the end: the
        // parser reports what is wrong; the scan only must not fail on it.
        let source = "if x:\n\t])}\n\ts = f'{a[}]' + rf\"{{\\\"{b!r:\t\"\n\t'''\\\n\t\\\t\x0c\r";
        for end in (0..=source.len()).filter(|&end| source.is_char_boundary(end)) {
            let text = n(&source[..end]);
            assert_eq!(
                text.matches('\n').count(),
                source[..end].matches(['\n', '\r']).count()
            );
        }
    }

    #[test]
    fn multibyte_text_is_copied_whole() {
        assert_eq!(
            n("if x:\n\ts = 'é\t€'  # ü\n"),
            "if x:\n        s = 'é\t€'  # ü\n"
        );
    }
}
