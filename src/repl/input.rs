//! Is the statement typed so far complete, and how far should its next line be indented?
//!
//! The REPL does not ask the compiler: RustPython's parser reports an unclosed bracket as an
//! ordinary syntax error, so its own shell rejects `x = [1,` instead of waiting for `2]`.
//! A small scanner that knows Python's strings, brackets, comments and backslash
//! continuations answers instead, and the compiler only judges input the scanner calls
//! complete (reporting any error it finds there).
//!
//! The rules are CPython's and MicroPython's:
//! - an open bracket, an unfinished triple-quoted string or a trailing backslash continues;
//! - a compound statement (`if`, `def`, a decorator, anything whose first line ends with `:`)
//!   continues until a blank line;
//! - anything else runs as soon as its line ends.

use rustpython_vm::compiler::CompileError;

/// Statements that take a block, so more lines follow until a blank one.
const COMPOUND: &[&str] = &[
    "if", "while", "for", "try", "with", "def", "class", "async", "@",
];

/// Clauses that continue a compound statement at its own indentation.
const CONTINUE_BLOCK: &[&str] = &["else", "elif", "except", "finally"];

/// Statements after which the block they end is usually over: the next line is dedented.
const DEDENT_AFTER: &[&str] = &["return", "pass", "break", "continue", "raise"];

/// One indentation step, as MicroPython's auto-indent uses.
pub const INDENT: usize = 4;

/// What the scanner learnt about one logical line (a statement's physical lines joined).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    /// Columns of indentation of its first physical line.
    pub indent: usize,
    /// Its leading keyword or name (`"@"` for a decorator).
    pub first_word: String,
    /// Its last token outside strings and comments is `:`.
    pub ends_with_colon: bool,
}

impl LogicalLine {
    fn opens_block(&self) -> bool {
        self.ends_with_colon || COMPOUND.contains(&self.first_word.as_str())
    }
}

/// The result of scanning source text.
#[derive(Debug, Default)]
pub struct Scan {
    /// A bracket, a string or a backslash continuation is still open at the end.
    pub open: bool,
    /// The end is inside a string literal (so the next line must not be indented).
    pub in_string: bool,
    /// The last line ends in a backslash continuation.
    pub continued: bool,
    /// A closing bracket matched no opening one; the compiler will report it.
    pub mismatched: bool,
    /// The first logical line, if there is one.
    pub first: Option<LogicalLine>,
    /// The last logical line, finished or still open.
    pub last: Option<LogicalLine>,
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    /// An open bracket; holds the closer it waits for.
    Bracket(char),
    /// A string literal.
    Str {
        quote: char,
        triple: bool,
        /// f-string or t-string: `{` opens an expression.
        interpolated: bool,
    },
}

/// Scans Python source: brackets, strings (prefixes, triple quotes, f-string expressions),
/// comments and backslash continuations.
pub fn scan(source: &str) -> Scan {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = Scan::default();
    // The logical line being read, and the last significant character in it.
    let mut current: Option<LogicalLine> = None;
    let mut last_significant: Option<char> = None;
    // Column within the physical line while reading its indentation.
    let mut column = 0;
    // The identifier just read, to recognise string prefixes (`rb'...'`).
    let mut word = String::new();
    let mut continued = false;
    let mut i = 0;

    while let Some(c) = at(i) {
        if let Some(&Frame::Str {
            quote,
            triple,
            interpolated,
        }) = stack.last()
        {
            match c {
                // An escape, raw strings included: `\'` never ends a string and a
                // backslash-newline continues even a single-quoted one.
                '\\' => i += 2,
                '{' if interpolated && at(i + 1) == Some('{') => i += 2,
                '}' if interpolated && at(i + 1) == Some('}') => i += 2,
                '{' if interpolated => {
                    stack.push(Frame::Bracket('}'));
                    i += 1;
                }
                c if c == quote && !triple => {
                    stack.pop();
                    i += 1;
                }
                c if c == quote && at(i + 1) == Some(quote) && at(i + 2) == Some(quote) => {
                    stack.pop();
                    i += 3;
                }
                // A single-quoted string ends at the line's end (unterminated: the
                // compiler says so); the newline itself is handled as code.
                '\n' if !triple => {
                    stack.pop();
                }
                _ => i += 1,
            }
            continue;
        }

        // Code.
        if current.is_none() {
            // Before a statement: indentation, blank lines and comment lines.
            match c {
                ' ' => {
                    column += 1;
                    i += 1;
                    continue;
                }
                '\t' => {
                    column = (column / 8 + 1) * 8;
                    i += 1;
                    continue;
                }
                '\n' | '\r' | '\x0c' => {
                    column = 0;
                    i += 1;
                    continue;
                }
                '#' => {
                    while at(i).is_some_and(|c| c != '\n') {
                        i += 1;
                    }
                    continue;
                }
                _ => {
                    let first_word = if c == '@' {
                        "@".to_owned()
                    } else {
                        chars[i..]
                            .iter()
                            .take_while(|c| is_identifier_char(**c))
                            .collect()
                    };
                    current = Some(LogicalLine {
                        indent: column,
                        first_word,
                        ends_with_colon: false,
                    });
                    last_significant = None;
                }
            }
        }

        if !is_identifier_char(c) && c != '\'' && c != '"' {
            word.clear();
        }
        match c {
            '#' => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
                continue;
            }
            '\\' if at(i + 1) == Some('\n') => {
                i += 2;
                continued = at(i).is_none();
                continue;
            }
            // The end of a logical line (inside brackets a newline is only whitespace).
            '\n' if stack.is_empty() => {
                let mut line = current.take().expect("a logical line is open");
                line.ends_with_colon = last_significant == Some(':');
                out.first.get_or_insert_with(|| line.clone());
                out.last = Some(line);
                column = 0;
            }
            '\'' | '"' => {
                let interpolated = is_string_prefix(&word)
                    && word.chars().any(|p| matches!(p, 'f' | 'F' | 't' | 'T'));
                let triple = at(i + 1) == Some(c) && at(i + 2) == Some(c);
                stack.push(Frame::Str {
                    quote: c,
                    triple,
                    interpolated,
                });
                word.clear();
                last_significant = Some(c);
                i += if triple { 3 } else { 1 };
                continue;
            }
            '(' | '[' | '{' => {
                stack.push(Frame::Bracket(match c {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                }));
            }
            ')' | ']' | '}' => match stack.last() {
                Some(&Frame::Bracket(closer)) if closer == c => {
                    stack.pop();
                }
                _ => out.mismatched = true,
            },
            c if is_identifier_char(c) => word.push(c),
            _ => {}
        }
        if !c.is_whitespace() {
            last_significant = Some(c);
        }
        i += 1;
    }

    if let Some(mut line) = current {
        line.ends_with_colon = stack.is_empty() && last_significant == Some(':');
        out.first.get_or_insert_with(|| line.clone());
        out.last = Some(line);
    }
    out.in_string = stack.iter().any(|f| matches!(f, Frame::Str { .. }));
    out.continued = continued;
    out.open = !stack.is_empty() || continued;
    out
}

fn is_identifier_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn is_string_prefix(word: &str) -> bool {
    word.len() <= 2
        && word
            .chars()
            .all(|c| matches!(c.to_ascii_lowercase(), 'r' | 'b' | 'u' | 'f' | 't'))
}

/// Whether `source` (the lines typed so far, each ending in `\n`) is ready to be compiled.
/// Input that can never become valid counts as complete, so that the compiler reports it.
pub fn is_complete(source: &str) -> bool {
    let scan = scan(source);
    if scan.mismatched {
        return true;
    }
    if scan.open {
        return false;
    }
    match &scan.first {
        Some(first) if first.opens_block() => last_line_is_blank(source),
        _ => true,
    }
}

/// Whether `line` begins a new statement rather than continuing the block in `statement`:
/// a line at column 0 after a finished line of a compound statement, other than
/// `else`/`elif`/`except`/`finally` or a decorated `def`/`class`. Typed lines are
/// auto-indented, so this is how a pasted block followed by more code is told apart.
pub fn starts_new_statement(statement: &str, line: &str) -> bool {
    if statement.is_empty()
        || line.starts_with(char::is_whitespace)
        || line.is_empty()
        || line.starts_with('#')
    {
        return false;
    }
    let scan = scan(statement);
    let (Some(first), Some(last)) = (&scan.first, &scan.last) else {
        return false;
    };
    let word: String = line
        .chars()
        .take_while(|c| is_identifier_char(*c))
        .collect();
    !scan.open
        && first.opens_block()
        && last.first_word != "@"
        && !CONTINUE_BLOCK.contains(&word.as_str())
}

/// Whether an unfinished statement (an open bracket) is wrong already, before its end, as
/// `def f(:` is: the compiler's error lies inside the text rather than at its end, so no more
/// lines can fix it and it is reported now, as CPython does. `error` is the compiler's verdict
/// on `source`.
pub fn fails_early(source: &str, error: &CompileError) -> bool {
    let scan = scan(source);
    if !scan.open || scan.in_string || scan.continued {
        return false;
    }
    match error {
        CompileError::Parse(error) => {
            error.raw_location.start().to_usize() < source.trim_end().len()
        }
        CompileError::Codegen(_) => false,
    }
}

/// Whether the source holds nothing to run (blank lines and comments only).
pub fn is_blank(source: &str) -> bool {
    scan(source).first.is_none()
}

fn last_line_is_blank(source: &str) -> bool {
    source
        .strip_suffix('\n')
        .unwrap_or(source)
        .rsplit('\n')
        .next()
        .is_some_and(|line| line.trim().is_empty())
}

/// The indentation to pre-fill the next `... ` line with: one step more after a line ending
/// in `:`, one step less after `return`/`pass`/`break`/`continue`/`raise`, the same
/// otherwise; none inside a string.
pub fn next_indent(source: &str) -> String {
    let scan = scan(source);
    if scan.in_string {
        return String::new();
    }
    let Some(last) = scan.last else {
        return String::new();
    };
    let columns = if scan.open {
        last.indent
    } else if last.ends_with_colon {
        last.indent + INDENT
    } else if DEDENT_AFTER.contains(&last.first_word.as_str()) {
        last.indent.saturating_sub(INDENT)
    } else {
        last.indent
    };
    " ".repeat(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(lines: &[&str]) -> bool {
        let mut source = String::new();
        for l in lines {
            source.push_str(l);
            source.push('\n');
        }
        is_complete(&source)
    }

    #[test]
    fn simple_statements_run_at_once() {
        assert!(complete(&["x = 1"]));
        assert!(complete(&["print('a:')"]));
        assert!(complete(&["x = {'a': 1}"]));
        assert!(complete(&["iffy = 3"]));
        assert!(complete(&["# just a comment"]));
        assert!(complete(&[""]));
    }

    #[test]
    fn open_brackets_continue() {
        assert!(!complete(&["x = [1,"]));
        assert!(complete(&["x = [1,", "2]"]));
        assert!(!complete(&["f(a, (b,", "c)"]));
        assert!(!complete(&["d = {", ""]));
        assert!(!complete(&["x = [1,  # a comment with ] in it"]));
        assert!(complete(&["x = '['"]));
        assert!(complete(&["x = \"(\" + ')'"]));
    }

    #[test]
    fn mismatched_brackets_go_to_the_compiler() {
        assert!(complete(&["x = (1]"]));
        assert!(complete(&["x = 1)"]));
    }

    #[test]
    fn triple_quoted_strings_continue() {
        assert!(!complete(&["s = '''abc"]));
        assert!(!complete(&["s = '''abc", ""]));
        assert!(complete(&["s = '''abc", "def'''"]));
        assert!(!complete(&["s = \"\"\"a \"quoted\" word"]));
        assert!(complete(&["s = rb'''x''' + b\"y\""]));
        assert!(complete(&["s = 'it\\'s'"]));
        assert!(!complete(&["s = 'line \\"]));
    }

    #[test]
    fn f_strings_nest() {
        assert!(complete(&["s = f'{x}'"]));
        assert!(complete(&["s = f\"{d['k']:>{w}}\""]));
        assert!(complete(&["s = f'{{not an expression'"]));
        assert!(!complete(&["s = f'''{x", "}"]));
        assert!(complete(&["s = f'''{x", "}'''"]));
    }

    #[test]
    fn backslash_continues() {
        assert!(!complete(&["x = 1 + \\"]));
        assert!(complete(&["x = 1 + \\", "2"]));
    }

    #[test]
    fn compound_statements_wait_for_a_blank_line() {
        assert!(!complete(&["def f(x):"]));
        assert!(!complete(&["def f(x):", "    return x"]));
        assert!(complete(&["def f(x):", "    return x", ""]));
        assert!(complete(&["def f(x):", "    return x", "    "]));
        assert!(!complete(&["if x: print(x)"]));
        assert!(!complete(&["@decorator"]));
        assert!(!complete(&["match command:"]));
        assert!(!complete(&["def f(a,", "      b):"]));
        // A blank line inside a bracket or string does not end the block.
        assert!(!complete(&["def f():", "    return [1,", ""]));
        assert!(!complete(&["def f():", "    '''doc", ""]));
    }

    #[test]
    fn indentation_follows_the_block() {
        assert_eq!(next_indent("def f(x):\n"), "    ");
        assert_eq!(next_indent("def f(x):\n    y = x\n"), "    ");
        assert_eq!(next_indent("def f(x):\n    if x:\n"), "        ");
        assert_eq!(next_indent("def f(x):\n    return x\n"), "");
        assert_eq!(
            next_indent("for i in r:\n    if i:\n        break\n"),
            "    "
        );
        assert_eq!(next_indent("x = [1,\n"), "");
        assert_eq!(next_indent("def f():\n    x = [1,\n"), "    ");
        assert_eq!(next_indent("def f(a,\n      b):\n"), "    ");
        assert_eq!(next_indent("def f():\n    '''doc\n"), "");
        assert_eq!(next_indent("class A:  # comment\n"), "    ");
        assert_eq!(next_indent("d = {'a':\n"), "");
    }

    fn early(source: &str) -> bool {
        let opts = rustpython_vm::compiler::CompileOpts::default();
        match rustpython_vm::compiler::compile(
            source,
            rustpython_vm::compiler::Mode::Single,
            "<stdin>",
            opts,
        ) {
            Ok(_) => false,
            Err(error) => fails_early(source, &error),
        }
    }

    #[test]
    fn errors_inside_an_open_bracket_are_reported_at_once() {
        assert!(early("def broken(:\n"));
        assert!(early("f(a b,\n"));
        assert!(early("x = [1,\n2 3,\n"));
        for unfinished in [
            "x = [1,\n",
            "foo(a,\n",
            "foo(a=\n",
            "foo(\n    a=1,\n",
            "if x:\n    foo(\n",
            "d = {'a':\n",
            "[x for x in\n",
            "(a if b\n",
            "f(**\n",
            "f(not\n",
            "(lambda:\n",
            "x = (1 +\n",
            "x = 1 + \\\n",
            "print(f'{x\n",
            "s = '''abc\n",
            "match (x,\n",
            "with (open(p) as f,\n",
        ] {
            assert!(!early(unfinished), "{unfinished:?} reported early");
        }
    }

    #[test]
    fn a_line_at_column_0_ends_a_pasted_block() {
        let block = "def f():\n    return 1\n";
        assert!(starts_new_statement(block, "print(f())"));
        assert!(!starts_new_statement(block, "    print(f())"));
        assert!(!starts_new_statement(block, ""));
        assert!(!starts_new_statement(block, "# comment"));
        assert!(!starts_new_statement("if x:\n    y()\n", "else:"));
        assert!(!starts_new_statement("try:\n    y()\n", "except OSError:"));
        assert!(!starts_new_statement("@decorator\n", "def f():"));
        assert!(!starts_new_statement("def f():\n    x = [1,\n", "2]"));
        assert!(!starts_new_statement("x = [1,\n", "2]"));
        assert!(!starts_new_statement("", "x = 1"));
    }

    #[test]
    fn blank_input() {
        assert!(is_blank("\n"));
        assert!(is_blank("   # comment\n"));
        assert!(!is_blank("x\n"));
    }
}
