//! `_pymqtt_sandbox`: the sandbox's checks for pylib/_sandbox.py, which puts them in front of
//! `open()`, `os`'s path functions and imports. The policy is the interpreter's own
//! (src/host/sandbox.rs); outside a sandbox `active()` is false and `path()` checks nothing.

#[rustpython_vm::pymodule(name = "_pymqtt_sandbox")]
pub(crate) mod native {
    use rustpython_vm::function::{FsPath, OptionalArg};
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    use crate::host::sandbox;

    /// Whether this interpreter runs inside a sandbox.
    #[pyfunction]
    fn active(vm: &VirtualMachine) -> bool {
        sandbox::of(vm).is_some()
    }

    /// The folder the sandbox gives, if any.
    #[pyfunction]
    fn folder(vm: &VirtualMachine) -> Option<String> {
        sandbox::of(vm)
            .and_then(|policy| policy.folder)
            .map(|folder| folder.display().to_string())
    }

    /// Whether the folder may be written to.
    #[pyfunction]
    fn writable(vm: &VirtualMachine) -> bool {
        sandbox::of(vm).is_some_and(|policy| policy.writable)
    }

    /// The real path to use for `path` (str, bytes or os.PathLike), for writing when `write`;
    /// PermissionError when the sandbox does not allow it.
    #[pyfunction]
    fn path(path: PyObjectRef, write: OptionalArg<bool>, vm: &VirtualMachine) -> PyResult<String> {
        let path = FsPath::try_from_path_like(path, true, vm)?;
        let text = path.to_string_lossy().into_owned();
        Ok(sandbox::path(vm, &text, write.unwrap_or(false))?
            .display()
            .to_string())
    }

    /// Where module `name` is under the `sys.path` entry `entry` when that entry is outside
    /// the sandbox's folder (`NAME.py`, or a package folder), so that importing it is refused
    /// in words; None when the entry is inside, or holds no such module, or this is no sandbox.
    #[pyfunction]
    fn module_outside(entry: PyObjectRef, name: String, vm: &VirtualMachine) -> Option<String> {
        let policy = sandbox::of(vm)?;
        let entry = FsPath::try_from_path_like(entry, true, vm).ok()?;
        let entry = std::path::PathBuf::from(entry.to_string_lossy().into_owned());
        if policy.check(&entry, false).is_ok() || name.contains('/') {
            return None;
        }
        [entry.join(format!("{name}.py")), entry.join(&name)]
            .into_iter()
            .find(|candidate| candidate.exists())
            .map(|found| found.display().to_string())
    }

    /// Raises the sandbox's PermissionError for `what` (`os.system`, `import ctypes`).
    #[pyfunction]
    fn refuse(what: String, vm: &VirtualMachine) -> PyResult<()> {
        Err(sandbox::refused(
            vm,
            format!("{what}: not allowed in this sandbox"),
        ))
    }
}

pub(crate) use native::module_def;
