//! The REPL's own keys, bound on top of rustyline's Emacs bindings:
//!
//! - Ctrl-E on an empty `>>> ` line enters paste mode (elsewhere it stays end-of-line);
//! - Ctrl-D on a blank `... ` line runs the statement as typed, and in paste mode ends the
//!   paste (on an empty `>>> ` line it is end-of-file, rustyline's default);
//! - Tab in paste mode inserts a tab (elsewhere it completes);
//! - Backspace with only spaces (4 or more) before the cursor removes 4 of them, undoing one
//!   auto-indent step as MicroPython's does (the editor's `indent_size` must be 4).
//!
//! A key handler cannot return a value from `readline`, so it records what it asked for in
//! [`Keys`] and ends the line with an ordinary command; the REPL reads the request after.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use rustyline::{
    Cmd, ConditionalEventHandler, Editor, Event, EventContext, EventHandler, Helper, KeyCode,
    KeyEvent, Modifiers, Movement, RepeatCount, history::History,
};

use super::input::INDENT;

/// Which prompt is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Prompt {
    /// `>>> `: a new statement.
    Primary = 0,
    /// `... `: a statement's next line.
    Continuation = 1,
    /// `=== `: paste mode.
    Paste = 2,
}

/// What a key asked the REPL to do once `readline` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Request {
    None = 0,
    /// Ctrl-E: enter paste mode.
    Paste = 1,
    /// Ctrl-D inside a statement or a paste: stop reading and run it.
    Finish = 2,
}

/// State shared between the REPL and its key handlers (which rustyline requires to be
/// `Send + Sync`).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    prompt: Arc<AtomicU8>,
    request: Arc<AtomicU8>,
}

impl Keys {
    /// Binds the handlers to `editor`.
    pub fn bind<H: Helper, I: History>(&self, editor: &mut Editor<H, I>) {
        editor.bind_sequence(
            KeyEvent::ctrl('E'),
            EventHandler::Conditional(Box::new(CtrlE(self.clone()))),
        );
        editor.bind_sequence(
            KeyEvent::ctrl('D'),
            EventHandler::Conditional(Box::new(CtrlD(self.clone()))),
        );
        editor.bind_sequence(
            KeyEvent(KeyCode::Tab, Modifiers::NONE),
            EventHandler::Conditional(Box::new(Tab(self.clone()))),
        );
        editor.bind_sequence(
            KeyEvent(KeyCode::Backspace, Modifiers::NONE),
            EventHandler::Conditional(Box::new(Backspace)),
        );
    }

    /// Tells the handlers which prompt the next `readline` shows, and forgets any old request.
    pub fn reading(&self, prompt: Prompt) {
        self.prompt.store(prompt as u8, Ordering::SeqCst);
        self.request.store(Request::None as u8, Ordering::SeqCst);
    }

    /// What a key asked for during the last `readline`.
    pub fn take_request(&self) -> Request {
        match self.request.swap(Request::None as u8, Ordering::SeqCst) {
            1 => Request::Paste,
            2 => Request::Finish,
            _ => Request::None,
        }
    }

    fn prompt(&self) -> Prompt {
        match self.prompt.load(Ordering::SeqCst) {
            1 => Prompt::Continuation,
            2 => Prompt::Paste,
            _ => Prompt::Primary,
        }
    }

    fn request(&self, request: Request) -> Option<Cmd> {
        self.request.store(request as u8, Ordering::SeqCst);
        Some(Cmd::AcceptLine)
    }
}

struct CtrlE(Keys);

impl ConditionalEventHandler for CtrlE {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        if self.0.prompt() == Prompt::Primary && ctx.line().is_empty() {
            self.0.request(Request::Paste)
        } else {
            None
        }
    }
}

struct CtrlD(Keys);

impl ConditionalEventHandler for CtrlD {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        match self.0.prompt() {
            Prompt::Paste => self.0.request(Request::Finish),
            Prompt::Continuation if ctx.line().trim().is_empty() => self.0.request(Request::Finish),
            _ => None,
        }
    }
}

struct Tab(Keys);

impl ConditionalEventHandler for Tab {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, _: &EventContext) -> Option<Cmd> {
        // Pasted text keeps its tabs; elsewhere Tab completes (or indents).
        (self.0.prompt() == Prompt::Paste).then_some(Cmd::SelfInsert(1, '\t'))
    }
}

struct Backspace;

impl ConditionalEventHandler for Backspace {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        let before = &ctx.line()[..ctx.pos()];
        if before.len() >= INDENT && before.bytes().all(|b| b == b' ') {
            // Removes `Config::indent_size` (INDENT) spaces. Not `Kill(BackwardChar(4))`:
            // rustyline replaces a handler's count with the key's repeat count (1).
            Some(Cmd::Dedent(Movement::WholeLine))
        } else {
            None
        }
    }
}
