//! MicroPython's paste mode: Ctrl-E on an empty `>>> ` line, then paste (or type) any number
//! of lines at `=== ` prompts with no auto-indent and no completion, then Ctrl-D runs them as
//! one program (as a file runs: expression values are not echoed). Ctrl-C cancels.

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Editor, Helper};

use super::keys::{Keys, Prompt, Request};

/// The prompt of paste mode's lines, as MicroPython shows it.
pub const PROMPT: &str = "=== ";

/// Reads a paste-mode block. `Ok(None)` when Ctrl-C cancelled it.
pub fn read_block<H: Helper>(
    editor: &mut Editor<H, FileHistory>,
    keys: &Keys,
) -> Result<Option<String>, ReadlineError> {
    println!("paste mode; Ctrl-C to cancel, Ctrl-D to finish");
    let mut block = String::new();
    loop {
        keys.reading(Prompt::Paste);
        match editor.readline(PROMPT) {
            Ok(line) => {
                block.push_str(&line);
                block.push('\n');
                if keys.take_request() == Request::Finish {
                    return Ok(Some(block));
                }
            }
            Err(ReadlineError::Eof) => return Ok(Some(block)),
            Err(ReadlineError::Interrupted) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}
