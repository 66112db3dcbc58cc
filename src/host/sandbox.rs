//! [`HostBuilder::sandbox`](super::HostBuilder::sandbox): the fence a program runs inside.
//!
//! What is enforced, and how (docs/embedding.md says it for the application's developer):
//!
//! - **Native modules that reach around everything** (`_ctypes`, `mmap`, `fcntl`, `termios`,
//!   `resource`, `_multiprocessing`, ...) are not in the interpreter at all; importing them, or
//!   what is built on them (`ctypes`, `multiprocessing`), raises `PermissionError`.
//! - **Files**: `open()`, `io`'s and `os`'s path functions reach only the [`Sandbox::files`]
//!   folder (relative paths are relative to it), for writing only when it is read-write; a
//!   symlink or `..` out of it is refused, and the path the check resolved is the one opened.
//!   Without a folder, no file can be opened. `ssl`'s certificate files go through the same
//!   check.
//! - **Processes**: `os.system`, `fork`, `exec*`, `posix_spawn`, `kill`, `subprocess`'s
//!   spawning raise `PermissionError`; `os.environ` is empty.
//! - **Sockets**: a socket cannot connect, bind or send to an address, and names cannot be
//!   resolved; asyncio's internal socket pair still works. MQTT is the host's own client:
//!   it goes to the broker the application configured ([`HostBuilder::broker`](super::HostBuilder::broker)),
//!   and without one `connect()` raises `PermissionError`.
//! - **Imports** come from the frozen library and the folder only.
//!
//! The policy lives in the interpreter's settings (an `-X` option), which Python code cannot
//! change, so the native checks (MQTT, `ssl`'s files, `path`) hold whatever a script does to
//! `sys`. The Python-level fence (pylib/_sandbox.py) replaces the names scripts use; Python
//! introspection can reach around those, which is where the fence stops.

use std::path::{Component, Path, PathBuf};

use rustpython_vm::VirtualMachine;

/// The `-X` option that carries the policy.
const OPTION: &str = "pymqtt.sandbox";

/// The native modules a sandboxed interpreter is built without.
pub(crate) const REMOVED_MODULES: &[&str] = &[
    "_ctypes",
    "mmap",
    "_multiprocessing",
    "_posixshmem",
    "fcntl",
    "termios",
    "resource",
    "syslog",
    "_remote_debugging",
    "_testinternalcapi",
    "_interpreters",
    "_interpchannels",
    "_interpqueues",
];

/// Whether the sandbox's folder can be written to.
///
/// ```
/// use pymqtt::host::sandbox::{Access, Sandbox};
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let folder = std::env::temp_dir().join(format!("pymqtt-access-{}", std::process::id()));
/// std::fs::create_dir_all(&folder).unwrap();
/// let host = Host::builder().sandbox(Sandbox::new().files(&folder, Access::ReadWrite)).build();
/// let log = folder.join("log.txt").display().to_string();
/// let script = format!("open({log:?}, 'w').write('ok')");
/// assert_eq!(host.run(&Program::Source(script)), ExitStatus::SUCCESS);
/// assert_eq!(std::fs::read_to_string(folder.join("log.txt")).unwrap(), "ok");
/// std::fs::remove_dir_all(&folder).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Files may be read, not written, created or removed.
    ReadOnly,
    /// Files may be read and written, created and removed.
    ReadWrite,
}

/// What a sandboxed program may reach; see the module's text for what is enforced.
///
/// ```
/// use pymqtt::host::sandbox::{Access, Sandbox};
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let folder = std::env::temp_dir();
/// let host = Host::builder().sandbox(Sandbox::new().files(&folder, Access::ReadOnly)).build();
/// let script = "try:\n    open('/etc/passwd')\nexcept PermissionError as e:\n    print(e)";
/// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sandbox {
    files: Option<(PathBuf, Access)>,
}

impl Sandbox {
    /// A fence with no files at all.
    ///
    /// ```
    /// use pymqtt::host::sandbox::Sandbox;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().sandbox(Sandbox::new()).build();
    /// let script = "import socket\n\
    ///               try:\n    socket.socket().connect(('127.0.0.1', 22))\n\
    ///               except PermissionError:\n    pass";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn new() -> Sandbox {
        Sandbox::default()
    }

    /// The folder whose files the program may use (and import from).
    ///
    /// ```
    /// use pymqtt::host::sandbox::{Access, Sandbox};
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let folder = std::env::temp_dir().join(format!("pymqtt-files-{}", std::process::id()));
    /// std::fs::create_dir_all(&folder).unwrap();
    /// std::fs::write(folder.join("limits.json"), "{\"t\": 30}").unwrap();
    /// let host = Host::builder().sandbox(Sandbox::new().files(&folder, Access::ReadOnly)).build();
    /// let script = format!(
    ///     "import json\nassert json.load(open({:?}))['t'] == 30\n\
    ///      try:\n    open({:?}, 'w')\nexcept PermissionError:\n    pass",
    ///     folder.join("limits.json").display().to_string(),
    ///     folder.join("limits.json").display().to_string(),
    /// );
    /// assert_eq!(host.run(&Program::Source(script)), ExitStatus::SUCCESS);
    /// std::fs::remove_dir_all(&folder).unwrap();
    /// ```
    pub fn files(mut self, folder: impl Into<PathBuf>, access: Access) -> Sandbox {
        self.files = Some((folder.into(), access));
        self
    }

    /// The `-X` option a sandboxed interpreter is made with. The folder is resolved here,
    /// once, as the application gave it.
    pub(crate) fn xoption(&self) -> (String, Option<String>) {
        let value = match &self.files {
            None => "none".to_string(),
            Some((folder, access)) => {
                let folder = folder.canonicalize().unwrap_or_else(|_| folder.clone());
                let access = match access {
                    Access::ReadOnly => "ro",
                    Access::ReadWrite => "rw",
                };
                format!("{access}:{}", folder.display())
            }
        };
        (OPTION.to_string(), Some(value))
    }
}

/// A sandboxed interpreter's policy, as its settings carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    pub folder: Option<PathBuf>,
    pub writable: bool,
}

/// The policy of the interpreter `vm` runs, if it is sandboxed.
pub(crate) fn of(vm: &VirtualMachine) -> Option<Policy> {
    let (_, value) = vm
        .state
        .config
        .settings
        .xoptions
        .iter()
        .find(|(name, _)| name == OPTION)?;
    let value = value.as_deref().unwrap_or("none");
    Some(match value.split_once(':') {
        Some((access, folder)) => Policy {
            folder: Some(PathBuf::from(folder)),
            writable: access == "rw",
        },
        None => Policy {
            folder: None,
            writable: false,
        },
    })
}

impl Policy {
    /// The real path a program may use for `path` (relative paths are relative to the
    /// folder), or why not.
    pub fn check(&self, path: &Path, write: bool) -> Result<PathBuf, String> {
        let Some(folder) = &self.folder else {
            return Err(format!(
                "{}: this sandbox gives the script no files",
                path.display()
            ));
        };
        let real = resolve(&folder.join(path));
        if !real.starts_with(folder) {
            return Err(format!(
                "{}: outside the sandbox's folder {}",
                path.display(),
                folder.display()
            ));
        }
        if write && !self.writable {
            return Err(format!(
                "{}: the sandbox's folder {} is read-only",
                path.display(),
                folder.display()
            ));
        }
        Ok(real)
    }
}

/// `path` with `.` and `..` taken out and every symlink of its deepest existing ancestor
/// followed: what the kernel would open. The part that does not exist yet (a file about to
/// be made) holds no symlinks, so it is appended as it is.
fn resolve(path: &Path) -> PathBuf {
    let mut lexical = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut real = real;
            real.extend(rest.iter().rev());
            return real;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

/// For native code that opens a file a script named: the path to open, or the
/// `PermissionError` a sandbox raises. Outside a sandbox, `path` as it is.
pub(crate) fn path(
    vm: &VirtualMachine,
    path: &str,
    write: bool,
) -> rustpython_vm::PyResult<PathBuf> {
    match of(vm) {
        None => Ok(PathBuf::from(path)),
        Some(policy) => policy
            .check(Path::new(path), write)
            .map_err(|message| refused(vm, message)),
    }
}

/// `sys.path` in a sandbox: the folder alone (frozen modules need no entry).
pub(crate) fn set_path(vm: &VirtualMachine) -> rustpython_vm::PyResult<()> {
    let entries: Vec<_> = of(vm)
        .and_then(|policy| policy.folder)
        .map(|folder| vm.new_pyobj(folder.display().to_string()))
        .into_iter()
        .collect();
    vm.sys_module.set_attr("path", vm.ctx.new_list(entries), vm)
}

/// Puts the Python-level fence up (pylib/_sandbox.py).
pub(crate) fn install(vm: &VirtualMachine) -> rustpython_vm::PyResult<()> {
    let fence = vm.import("_sandbox", 0)?;
    vm.call_method(&fence, "install", ())?;
    Ok(())
}

/// A `PermissionError` (errno EACCES) saying what the sandbox refused.
pub(crate) fn refused(
    vm: &VirtualMachine,
    message: String,
) -> rustpython_vm::builtins::PyBaseExceptionRef {
    vm.new_errno_error(libc::EACCES, message).upcast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_in_the_folder_whatever_their_dots_and_links() {
        let root = std::env::temp_dir().join(format!("pymqtt-sandbox-{}", std::process::id()));
        let folder = root.join("inside");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("data.txt"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", folder.join("out")).unwrap();
        let policy = Policy {
            folder: Some(folder.canonicalize().unwrap()),
            writable: false,
        };
        let inside = folder.canonicalize().unwrap();
        assert_eq!(
            policy.check(Path::new("data.txt"), false),
            Ok(inside.join("data.txt"))
        );
        assert_eq!(
            policy.check(Path::new("new/../data.txt"), false),
            Ok(inside.join("data.txt"))
        );
        assert_eq!(
            policy.check(Path::new("not-yet.txt"), false),
            Ok(inside.join("not-yet.txt"))
        );
        for escape in ["../x", "/etc/passwd", "out/passwd", "a/../../x"] {
            let refused = policy.check(Path::new(escape), false).unwrap_err();
            assert!(
                refused.contains("outside the sandbox's folder"),
                "{escape}: {refused}"
            );
        }
        assert!(
            policy
                .check(Path::new("data.txt"), true)
                .unwrap_err()
                .contains("read-only")
        );
        let none = Policy {
            folder: None,
            writable: false,
        };
        assert!(
            none.check(Path::new("x"), false)
                .unwrap_err()
                .contains("no files")
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
