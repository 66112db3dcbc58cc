//! Tab completion: names (globals, builtins, keywords), attributes of dotted names
//! (`c.pub` on an MQTTClient gives `c.publish`), and module names after `import` and
//! `from`. Tab in a line's indentation indents to the next multiple of 4 columns.
//!
//! Completing an attribute looks the dotted name up (as `getattr` would, so a property runs)
//! but never calls anything else: `f().x` and `d['k'].x` are not completed.

use rustpython_vm::builtins::PyDictRef;
use rustpython_vm::{AsObject, PyObjectRef, VirtualMachine};
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::input::INDENT;
use super::modules;

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// The REPL's rustyline helper: completion over the session's `__main__` globals.
pub struct ReplHelper<'vm> {
    vm: &'vm VirtualMachine,
    globals: PyDictRef,
}

impl<'vm> ReplHelper<'vm> {
    pub fn new(vm: &'vm VirtualMachine, globals: PyDictRef) -> Self {
        ReplHelper { vm, globals }
    }

    /// Where the completed word starts in `before` and what can replace it.
    fn candidates(&self, before: &str) -> Option<(usize, Vec<String>)> {
        if before.trim().is_empty() {
            let width = before.chars().count();
            return Some((before.len(), vec![" ".repeat(INDENT - width % INDENT)]));
        }
        if let Some(import) = Import::parse(before) {
            return self.import_candidates(before, import);
        }

        let start = before.len()
            - before
                .chars()
                .rev()
                .take_while(|c| is_identifier_char(*c) || *c == '.')
                .map(char::len_utf8)
                .sum::<usize>();
        let word = &before[start..];
        // Preceded by a call, a subscript or a literal: completing would mean evaluating it.
        if before[..start]
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, ')' | ']' | '}' | '\'' | '"'))
            || word.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            || word.contains("..")
        {
            return None;
        }
        let (leaf, names) = match word.rsplit_once('.') {
            Some((path, leaf)) => (leaf, self.attributes(path)?),
            None => (word, self.names()),
        };
        Some((before.len() - leaf.len(), matching(names, leaf)))
    }

    /// Globals, builtins and keywords.
    fn names(&self) -> Vec<String> {
        let vm = self.vm;
        let mut names = modules::strings(vm, self.globals.clone().into());
        names.extend(modules::dir(vm, vm.builtins.clone().into()).unwrap_or_default());
        names.extend(KEYWORDS.iter().map(|k| (*k).to_owned()));
        names
    }

    /// `dir()` of the object a dotted name (`c`, `c.server`, `umqtt.simple`) refers to.
    fn attributes(&self, path: &str) -> Option<Vec<String>> {
        let vm = self.vm;
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut object: PyObjectRef = match self.globals.get_item_opt(first, vm).ok()? {
            Some(object) => object,
            None => vm
                .builtins
                .as_object()
                .get_attr(&vm.ctx.new_str(first), vm)
                .ok()?,
        };
        for part in parts {
            object = object.get_attr(&vm.ctx.new_str(part), vm).ok()?;
        }
        self.dir(object)
    }

    fn dir(&self, object: PyObjectRef) -> Option<Vec<String>> {
        modules::dir(self.vm, object).ok()
    }

    fn import_candidates(&self, before: &str, import: Import<'_>) -> Option<(usize, Vec<String>)> {
        let vm = self.vm;
        let (leaf, names) = match import {
            Import::Module(dotted) => {
                let (parent, leaf) = dotted.rsplit_once('.').unwrap_or(("", dotted));
                (leaf, modules::children(vm, parent).into_iter().collect())
            }
            Import::Name { module, name } => {
                let mut names: Vec<String> = modules::children(vm, module).into_iter().collect();
                if let Some(loaded) = self.module(module) {
                    names.extend(self.dir(loaded).unwrap_or_default());
                }
                (name, names)
            }
        };
        Some((before.len() - leaf.len(), matching(names, leaf)))
    }

    /// The module if it is loaded already, or built in (importing it runs no one's code).
    fn module(&self, name: &str) -> Option<PyObjectRef> {
        let vm = self.vm;
        let loaded = vm
            .sys_module
            .get_attr("modules", vm)
            .ok()
            .and_then(|modules| modules.get_item(name, vm).ok());
        loaded.or_else(|| {
            if modules::is_builtin(vm, name) {
                vm.import(&vm.ctx.new_str(name), 0).ok()?;
                vm.sys_module
                    .get_attr("modules", vm)
                    .ok()?
                    .get_item(name, vm)
                    .ok()
            } else {
                None
            }
        })
    }
}

/// The names that start with `prefix`, sorted, without repeats; names starting with `_` only
/// when the prefix does (or when nothing else matches).
fn matching(names: Vec<String>, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect();
    if !prefix.starts_with('_') && found.iter().any(|n| !n.starts_with('_')) {
        found.retain(|n| !n.starts_with('_'));
    }
    found.sort();
    found.dedup();
    found
}

fn is_identifier_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// A line that is an import statement being typed.
#[derive(Debug, PartialEq, Eq)]
enum Import<'a> {
    /// `import a.b` or `from a.b`: a module name.
    Module(&'a str),
    /// `from module import name`: a name in that module.
    Name { module: &'a str, name: &'a str },
}

impl<'a> Import<'a> {
    fn parse(before: &'a str) -> Option<Import<'a>> {
        let line = before.trim_start();
        if let Some(rest) = after_keyword(line, "import") {
            let last = rest.rsplit(',').next()?.trim_start();
            return is_dotted(last).then_some(Import::Module(last));
        }
        let rest = after_keyword(line, "from")?;
        match rest.split_once(char::is_whitespace) {
            None => is_dotted(rest).then_some(Import::Module(rest)),
            Some((module, rest)) => {
                let names = after_keyword(rest.trim_start(), "import")?;
                let name = names
                    .rsplit(',')
                    .next()?
                    .trim_start()
                    .trim_start_matches('(')
                    .trim_start();
                let valid = is_dotted(module)
                    && !module.is_empty()
                    && !module.starts_with('.')
                    && name.chars().all(is_identifier_char);
                valid.then_some(Import::Name { module, name })
            }
        }
    }
}

/// The text after `keyword` and the whitespace that must follow it.
fn after_keyword<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(keyword)?;
    rest.starts_with(char::is_whitespace)
        .then(|| rest.trim_start())
}

fn is_dotted(s: &str) -> bool {
    s.chars().all(|c| is_identifier_char(c) || c == '.')
}

impl Completer for ReplHelper<'_> {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.candidates(&line[..pos]).unwrap_or((pos, Vec::new())))
    }
}

impl Hinter for ReplHelper<'_> {
    type Hint = String;
}

impl Highlighter for ReplHelper<'_> {}

impl Validator for ReplHelper<'_> {}

impl Helper for ReplHelper<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_lines() {
        assert_eq!(Import::parse("import "), Some(Import::Module("")));
        assert_eq!(
            Import::parse("import umqtt.si"),
            Some(Import::Module("umqtt.si"))
        );
        assert_eq!(Import::parse("  import os, sy"), Some(Import::Module("sy")));
        assert_eq!(Import::parse("from umq"), Some(Import::Module("umq")));
        assert_eq!(
            Import::parse("from umqtt.simple import MQ"),
            Some(Import::Name {
                module: "umqtt.simple",
                name: "MQ"
            })
        );
        assert_eq!(
            Import::parse("from umqtt.simple import (MQTTClient, MQ"),
            Some(Import::Name {
                module: "umqtt.simple",
                name: "MQ"
            })
        );
        assert_eq!(Import::parse("import os as o"), None);
        assert_eq!(Import::parse("imported = 1"), None);
        assert_eq!(Import::parse("from . import x"), None);
        assert_eq!(Import::parse("x = imp"), None);
    }

    #[test]
    fn underscore_names_only_when_asked() {
        let names = vec![
            "_x".to_owned(),
            "x".to_owned(),
            "xy".to_owned(),
            "x".to_owned(),
        ];
        assert_eq!(matching(names.clone(), "x"), ["x", "xy"]);
        assert_eq!(matching(names.clone(), ""), ["x", "xy"]);
        assert_eq!(matching(names, "_"), ["_x"]);
    }
}
