//! The interactive prompt, made for MicroPython users: `>>> ` and `... ` prompts, auto-indent,
//! Tab completion, history across sessions, Ctrl-C that interrupts anything (a blocking
//! `wait_msg()` included) and paste mode on Ctrl-E.
//!
//! Each statement is compiled in `single` mode, so an expression's value is echoed by
//! `sys.displayhook`, which also keeps it in `builtins._`. A traceback ends the statement,
//! not the session; `SystemExit` ends the session with its code (the caller turns it into the
//! exit status).
//!
//! - `input`: when a statement is complete, and how to indent its next line;
//! - `keys`: Ctrl-E, Ctrl-D, Tab and Backspace bindings;
//! - `completion`: Tab completion; `modules`: the importable modules it offers;
//! - `history`: the history file; `paste`: paste mode; `help`: `help()`;
//! - `sigint`: keeps Ctrl-C a `KeyboardInterrupt` while code runs.

mod completion;
mod help;
mod history;
mod input;
mod keys;
mod modules;
mod paste;
mod sigint;

use std::collections::VecDeque;

use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::compiler::Mode;
use rustpython_vm::scope::Scope;
use rustpython_vm::vm::VmCompileError;
use rustpython_vm::{AsObject, PyResult, VirtualMachine};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use completion::ReplHelper;
use history::History;
use keys::{Keys, Prompt, Request};

/// Runs the REPL in `scope` (the `__main__` module's) until Ctrl-D (`Ok`) or `SystemExit`
/// (`Err`, for the caller to turn into the exit status).
pub fn run(vm: &VirtualMachine, scope: Scope) -> PyResult<()> {
    let config = Config::builder()
        .max_history_size(history::MAX_ENTRIES)
        .and_then(|c| c.history_ignore_dups(true))
        .map(|c| {
            c.completion_type(CompletionType::List)
                .indent_size(input::INDENT as u8)
                .build()
        });
    let editor = sigint::keep_handler(|| config.and_then(Editor::with_config));
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("pymqtt: cannot start the interactive prompt: {e}");
            return Ok(());
        }
    };
    editor.set_helper(Some(ReplHelper::new(vm, scope.globals.clone())));
    let keys = Keys::default();
    keys.bind(&mut editor);
    let mut history = History::from_env();
    history.load(&mut editor);

    help::install(vm);
    println!("{}", banner());
    Session {
        vm,
        scope,
        editor,
        keys,
        history,
        queued: VecDeque::new(),
    }
    .run()
}

/// `pymqtt 0.1.0 (RustPython 0.6.0) with umqtt.simple` and how to get help and leave.
fn banner() -> String {
    use rustpython_vm::version::{MAJOR_IMPL, MICRO_IMPL, MINOR_IMPL};
    let rustpython = format!("{MAJOR_IMPL}.{MINOR_IMPL}.{MICRO_IMPL}");
    format!(
        "pymqtt {} (RustPython {rustpython}) with umqtt.simple\n\
         Type \"help()\" for more information. Ctrl-D exits, Ctrl-E pastes.",
        env!("CARGO_PKG_VERSION")
    )
}

/// What one read of the terminal gave.
enum Read {
    /// A line to add to the statement.
    Line(String),
    /// Ctrl-D in a statement: the last line, then run the statement as it is.
    Finish(String),
    /// Ctrl-E: paste mode.
    Paste,
    /// Ctrl-C.
    Interrupted,
    /// Ctrl-D on an empty line, or the end of non-terminal input.
    Eof,
    Failed(ReadlineError),
}

struct Session<'vm> {
    vm: &'vm VirtualMachine,
    scope: Scope,
    editor: Editor<ReplHelper<'vm>, FileHistory>,
    keys: Keys,
    history: History,
    /// Lines that arrived together (a bracketed paste, a line recalled from history with
    /// newlines in it), fed to the statement one at a time as if typed.
    queued: VecDeque<String>,
}

impl Session<'_> {
    fn run(mut self) -> PyResult<()> {
        let mut statement = String::new();
        loop {
            let prompt = if statement.is_empty() {
                Prompt::Primary
            } else {
                Prompt::Continuation
            };
            match self.read(prompt, &statement) {
                Read::Line(line) => {
                    // A pasted block followed by more statements: the block is complete.
                    if input::starts_new_statement(&statement, &line) {
                        let block = std::mem::take(&mut statement);
                        if !self.execute(&block, Mode::Single)? {
                            continue;
                        }
                    }
                    statement.push_str(&line);
                    statement.push('\n');
                    if input::is_complete(&statement) || self.fails_early(&statement) {
                        let source = std::mem::take(&mut statement);
                        if !input::is_blank(&source) {
                            self.execute(&source, Mode::Single)?;
                        }
                    }
                }
                Read::Finish(line) => {
                    statement.push_str(&line);
                    statement.push('\n');
                    let source = std::mem::take(&mut statement);
                    if !input::is_blank(&source) {
                        self.execute(&source, Mode::Single)?;
                    }
                }
                Read::Paste => match paste::read_block(&mut self.editor, &self.keys) {
                    Ok(Some(block)) => {
                        self.execute(&block, Mode::Exec)?;
                    }
                    Ok(None) => {}
                    Err(e) => return self.failed(e),
                },
                Read::Interrupted => {
                    statement.clear();
                    self.queued.clear();
                    eprintln!("KeyboardInterrupt");
                }
                Read::Eof => {
                    if !input::is_blank(&statement) {
                        self.execute(&statement, Mode::Single)?;
                    }
                    println!();
                    return Ok(());
                }
                Read::Failed(e) => return self.failed(e),
            }
        }
    }

    /// Reads the next line: a queued one, or one from the terminal at `prompt`, pre-filled
    /// with the indentation `statement` calls for.
    fn read(&mut self, prompt: Prompt, statement: &str) -> Read {
        if let Some(line) = self.queued.pop_front() {
            return Read::Line(line);
        }
        let (text, indent) = match prompt {
            Prompt::Primary => (">>> ", String::new()),
            Prompt::Continuation => ("... ", input::next_indent(statement)),
            Prompt::Paste => (paste::PROMPT, String::new()),
        };
        self.keys.reading(prompt);
        let line = match self.editor.readline_with_initial(text, (&indent, "")) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => return Read::Interrupted,
            Err(ReadlineError::Eof) => return Read::Eof,
            Err(e) => return Read::Failed(e),
        };
        for physical in line.split('\n') {
            self.history.add(&mut self.editor, physical);
        }
        match self.keys.take_request() {
            Request::Paste => Read::Paste,
            Request::Finish => Read::Finish(line),
            Request::None => {
                let mut lines = line.split('\n').map(str::to_owned);
                let first = lines.next().unwrap_or_default();
                self.queued.extend(lines);
                Read::Line(first)
            }
        }
    }

    /// An unfinished statement that more lines cannot fix (see [`input::fails_early`]).
    fn fails_early(&self, statement: &str) -> bool {
        let statement = &*crate::host::source::normalise(statement);
        match self
            .vm
            .compile(statement, Mode::Single, "<stdin>".to_owned())
        {
            Ok(_) => false,
            Err(VmCompileError::Compile(error)) => input::fails_early(statement, &error),
            // A warning raised as an error (`-W error`) is not about the statement's end.
            Err(VmCompileError::Warning(_)) => false,
        }
    }

    /// Compiles and runs `source` in the session's scope. Exceptions are printed, except
    /// `SystemExit`, which is returned. `Ok(false)` after a `KeyboardInterrupt`, which also
    /// drops the queued lines (the rest of a paste): Ctrl-C stops it all.
    fn execute(&mut self, source: &str, mode: Mode) -> PyResult<bool> {
        let vm = self.vm;
        // Read as MicroPython reads source: a block pasted with tab indentation runs.
        let source = &*crate::host::source::normalise(source);
        let result = match vm.compile(source, mode, "<stdin>".to_owned()) {
            Ok(code) => vm.run_code_obj(code, self.scope.clone()).map(drop),
            Err(err) => Err(err.into_pyexception(vm, Some(source))),
        };
        // A Ctrl-C that came as the code finished belongs to it, not to the next statement.
        let Err(exc) = result.and_then(|()| vm.check_signals()) else {
            return Ok(true);
        };
        if exc.fast_isinstance(vm.ctx.exceptions.system_exit) {
            return Err(exc);
        }
        let interrupted = exc.fast_isinstance(vm.ctx.exceptions.keyboard_interrupt);
        if interrupted {
            self.queued.clear();
        }
        remember_last(vm, &exc);
        vm.print_exception(&exc);
        Ok(!interrupted)
    }

    fn failed(&self, e: ReadlineError) -> PyResult<()> {
        eprintln!("pymqtt: cannot read the terminal: {e}");
        Ok(())
    }
}

/// `sys.last_exc` and friends, as CPython's REPL sets them (for `pdb.pm()`).
fn remember_last(vm: &VirtualMachine, exc: &PyBaseExceptionRef) {
    let sys = vm.sys_module.as_object();
    let traceback = exc
        .as_object()
        .get_attr("__traceback__", vm)
        .unwrap_or_else(|_| vm.ctx.none());
    let _ = sys.set_attr("last_exc", exc.clone(), vm);
    let _ = sys.set_attr("last_type", exc.class().to_owned(), vm);
    let _ = sys.set_attr("last_value", exc.clone(), vm);
    let _ = sys.set_attr("last_traceback", traceback, vm);
}
