//! The modules `import` can find, for completion and `help('modules')`: the built-in ones
//! (`sys.builtin_module_names`, `umqtt.simple` among them), the frozen standard library and
//! `umqtt` package, and `.py` files and packages in the folders on `sys.path`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rustpython_vm::builtins::PyStr;
use rustpython_vm::function::ArgIterable;
use rustpython_vm::{PyObjectRef, PyResult, TryFromObject, VirtualMachine};

/// The names one level below `parent` (`""` for top-level modules): `children(vm, "umqtt")`
/// holds `"simple"`.
pub fn children(vm: &VirtualMachine, parent: &str) -> BTreeSet<String> {
    let prefix = if parent.is_empty() {
        String::new()
    } else {
        format!("{parent}.")
    };
    let mut out = BTreeSet::new();
    for name in builtin_and_frozen(vm) {
        if let Some(rest) = name.strip_prefix(&prefix)
            && let Some(child) = rest.split('.').next()
        {
            out.insert(child.to_owned());
        }
    }
    let relative: PathBuf = parent.split('.').filter(|s| !s.is_empty()).collect();
    for entry in sys_path(vm) {
        let dir = if entry.is_empty() {
            Path::new(".")
        } else {
            Path::new(&entry)
        };
        list_folder(&dir.join(&relative), &mut out);
    }
    out.retain(|name| is_identifier(name));
    out
}

/// Whether `name` is a module built into the binary (native, not Python source), which can
/// be imported without running anyone's code.
pub fn is_builtin(vm: &VirtualMachine, name: &str) -> bool {
    vm.sys_module
        .get_attr("builtin_module_names", vm)
        .is_ok_and(|names| strings(vm, names).iter().any(|n| n == name))
}

fn builtin_and_frozen(vm: &VirtualMachine) -> Vec<String> {
    let mut names = vm
        .sys_module
        .get_attr("builtin_module_names", vm)
        .map(|names| strings(vm, names))
        .unwrap_or_default();
    if let Ok(imp) = vm.import("_imp", 0)
        && let Ok(frozen) = vm.call_method(&imp, "_frozen_module_names", ())
    {
        names.extend(strings(vm, frozen));
    }
    names
}

fn sys_path(vm: &VirtualMachine) -> Vec<String> {
    vm.sys_module
        .get_attr("path", vm)
        .map(|path| strings(vm, path))
        .unwrap_or_default()
}

/// Adds the modules in `dir`: `name.py` files and `name/` packages (with `__init__.py`).
fn list_folder(dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(stem) = name.strip_suffix(".py") {
            out.insert(stem.to_owned());
        } else if path.join("__init__.py").is_file() {
            out.insert(name.to_owned());
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// The `str` items of a Python iterable (others are skipped; errors give what was read).
pub fn strings(vm: &VirtualMachine, iterable: PyObjectRef) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(iterable) = ArgIterable::<PyObjectRef>::try_from_object(vm, iterable) else {
        return out;
    };
    let Ok(items) = iterable.iter(vm) else {
        return out;
    };
    for item in items {
        let Ok(item) = item else { break };
        out.extend(as_string(&item));
    }
    out
}

/// `dir(object)`, its `str` names.
pub fn dir(vm: &VirtualMachine, object: PyObjectRef) -> PyResult<Vec<String>> {
    let names = vm.dir(Some(object))?;
    Ok(names.borrow_vec().iter().filter_map(as_string).collect())
}

fn as_string(object: &PyObjectRef) -> Option<String> {
    object
        .downcast_ref::<PyStr>()
        .and_then(|s| s.to_str())
        .map(str::to_owned)
}
