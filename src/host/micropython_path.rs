//! `sys.path` as MicroPython's unix port sets it, so that packages a MicroPython user
//! installed (`~/.micropython/lib`, by `mip` or by hand) import here too.
//!
//! MicroPython starts `sys.path` as `["", <entries>]`, the entries being `MICROPYPATH`
//! (`:`-separated) when it is set and `.frozen:~/.micropython/lib:/usr/lib/micropython`
//! otherwise; a leading `~/` means `$HOME/`. Running a script then replaces the `""` with the
//! script's folder (the host does that part, for every kind of program).
//!
//! RustPython's own defaults (`/usr/local/lib/python3.14` and the like) are dropped: they
//! could pick up a CPython installation's files. Its standard library is frozen into the
//! binary, so it imports without any `sys.path` entry.
//!
//! `.frozen` marks where frozen modules stand in the search order. RustPython's frozen
//! importer comes before every path entry, so the frozen helper `_micropython_path` adds a
//! finder that searches the entries before `.frozen` (the script's folder) first: a script's
//! own `secrets.py` wins over the standard library's `secrets`, as on MicroPython.

use rustpython_vm::{PyResult, VirtualMachine};

/// The unix port's `MICROPY_PY_SYS_PATH_DEFAULT`.
const DEFAULT_PATH: &str = ".frozen:~/.micropython/lib:/usr/lib/micropython";

/// Sets `sys.path` to MicroPython's entries (without the leading `""`, which the host adds
/// for the program) and installs the finder that puts them before frozen modules.
pub(crate) fn install(vm: &VirtualMachine) -> PyResult<()> {
    let micropypath = std::env::var_os("MICROPYPATH").map(|v| v.to_string_lossy().into_owned());
    let home = std::env::var_os("HOME").map(|v| v.to_string_lossy().into_owned());
    let entries = entries(micropypath.as_deref(), home.as_deref())
        .into_iter()
        .map(|entry| vm.ctx.new_str(entry).into())
        .collect();
    vm.sys_module
        .set_attr("path", vm.ctx.new_list(entries), vm)?;
    // Finders cached for RustPython's default entries would never be used again.
    let cache = vm.sys_module.get_attr("path_importer_cache", vm)?;
    vm.call_method(&cache, "clear", ())?;
    vm.import("_micropython_path", 0)?;
    Ok(())
}

/// The entries after `sys.path[0]`, from `MICROPYPATH` (or the default) and `HOME`.
fn entries(micropypath: Option<&str>, home: Option<&str>) -> Vec<String> {
    let list = micropypath.unwrap_or(DEFAULT_PATH);
    // A leading ':' is the empty entry, which sys.path[0] already is.
    let list = list.strip_prefix(':').unwrap_or(list);
    if list.is_empty() {
        return Vec::new();
    }
    list.split(':')
        .map(|entry| match (entry.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => format!("{home}/{rest}"),
            _ => entry.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::entries;

    #[test]
    fn default_list_expands_home() {
        assert_eq!(
            entries(None, Some("/home/pi")),
            [
                ".frozen",
                "/home/pi/.micropython/lib",
                "/usr/lib/micropython"
            ]
        );
    }

    #[test]
    fn without_home_the_tilde_stays() {
        assert_eq!(entries(None, None)[1], "~/.micropython/lib");
    }

    #[test]
    fn micropypath_replaces_the_default() {
        assert_eq!(
            entries(Some("/opt/lib:~/mp:.frozen"), Some("/h")),
            ["/opt/lib", "/h/mp", ".frozen"]
        );
    }

    #[test]
    fn leading_colon_and_empty_list() {
        assert_eq!(entries(Some(":/a"), None), ["/a"]);
        assert!(entries(Some(""), None).is_empty());
        assert!(entries(Some(":"), None).is_empty());
    }
}
