//! `help()` for the REPL, as MicroPython's: the control keys and a umqtt example,
//! `help(obj)` lists an object's attributes, `help('modules')` the importable modules.
//! Installed into builtins when the REPL starts (with `quit`, an alias of `exit`), unless a
//! program defined them already.

use rustpython_vm::builtins::PyStr;
use rustpython_vm::function::OptionalArg;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use super::modules;

const TEXT: &str = r#"Welcome to pymqtt: MicroPython's umqtt.simple on RustPython.

  from umqtt.simple import MQTTClient
  c = MQTTClient("me", "broker.emqx.io")   # --broker / --local-broker redirect it
  c.connect()
  c.publish(b"pymqtt/demo", b"hello")

Control keys:
  Ctrl-C   -- interrupt a running program, or cancel the line being typed
  Ctrl-D   -- on a blank line, exit (inside a statement: run it as typed)
  Ctrl-E   -- on a blank line, enter paste mode (Ctrl-D runs the paste)
  Tab      -- complete a name, an attribute or a module
  Up/Down  -- history, kept across sessions

For further help on a specific object, type help(obj)
For a list of available modules, type help('modules')"#;

/// The widest an attribute's value is shown in `help(obj)`.
const VALUE_WIDTH: usize = 60;

/// Puts `help` and `quit` into builtins when they are missing.
pub fn install(vm: &VirtualMachine) {
    let builtins = vm.builtins.as_object();
    if builtins.get_attr("help", vm).is_err() {
        let _ = builtins.set_attr("help", vm.new_function("help", help), vm);
    }
    if builtins.get_attr("quit", vm).is_err()
        && let Ok(exit) = builtins.get_attr("exit", vm)
    {
        let _ = builtins.set_attr("quit", exit, vm);
    }
}

fn help(object: OptionalArg<PyObjectRef>, vm: &VirtualMachine) -> PyResult<()> {
    let Some(object) = object.into_option() else {
        return print(vm, TEXT);
    };
    if object
        .downcast_ref::<PyStr>()
        .is_some_and(|s| s.to_str() == Some("modules"))
    {
        return print_modules(vm);
    }
    let type_name = object.class().name().to_string();
    print(
        vm,
        &format!("object {} is of type {type_name}", object.repr(vm)?),
    )?;
    for name in modules::dir(vm, object.clone())? {
        if name.starts_with("__") {
            continue;
        }
        let value = match object.get_attr(&vm.ctx.new_str(name.as_str()), vm) {
            // As MicroPython shows them: methods' reprs are long and say nothing more.
            Ok(value) if value.is_callable() && !value.class().is(vm.ctx.types.type_type) => {
                String::from("<function>")
            }
            Ok(value) => value.repr(vm).map(|r| r.to_string()).unwrap_or_default(),
            Err(_) => String::from("?"),
        };
        print(vm, &format!("  {name} -- {}", shorten(&value)))?;
    }
    Ok(())
}

fn print_modules(vm: &VirtualMachine) -> PyResult<()> {
    let names: Vec<String> = modules::children(vm, "")
        .into_iter()
        .filter(|n| !n.starts_with('_'))
        .collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 2;
    let columns = (78 / width).max(1);
    for row in names.chunks(columns) {
        let line: String = row.iter().map(|n| format!("{n:width$}")).collect();
        print(vm, line.trim_end())?;
    }
    Ok(())
}

fn shorten(value: &str) -> String {
    let value = value.replace('\n', " ");
    if value.chars().count() <= VALUE_WIDTH {
        value
    } else {
        let cut: String = value.chars().take(VALUE_WIDTH - 3).collect();
        format!("{cut}...")
    }
}

/// Prints a line through Python's `print`, so a redirected `sys.stdout` gets it.
fn print(vm: &VirtualMachine, line: &str) -> PyResult<()> {
    let print = vm.builtins.as_object().get_attr("print", vm)?;
    print.call((vm.ctx.new_str(line),), vm).map(drop)
}
