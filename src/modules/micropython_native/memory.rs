//! The memory figures MicroPython reports, measured on the host process: `gc.mem_alloc()`,
//! `gc.mem_free()`, `gc.threshold()`, and the stack figures of `micropython.stack_use()` and
//! `micropython.mem_info()`.
//!
//! There is no fixed-size heap here, so the figures are honest approximations:
//!
//! - `mem_alloc()`: the process's resident anonymous memory (`RssAnon` in
//!   /proc/self/status: the heap and stacks, not the program's code), in bytes;
//! - `mem_free()`: what the process could still get: the system's `MemAvailable`
//!   (/proc/meminfo), less if the process's cgroup has a lower `memory.max`;
//! - `stack_use()`: bytes of the calling thread's native stack in use (RustPython runs Python
//!   calls on it, as MicroPython does on its C stack), out of the thread's stack size.
//!
//! Each is -1 where the host does not say (no /proc), as MicroPython's `mem_free()` is when it
//! does not know.

/// The value of `field` (in kB) in a /proc file of `Name:   value kB` lines, in bytes.
fn proc_kb(text: &str, field: &str) -> Option<i64> {
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<i64>().ok())
        .map(|kb| kb * 1024)
}

/// Bytes the process's cgroup (v2) still allows, when it sets a limit.
fn cgroup_room() -> Option<i64> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroups.lines().find_map(|line| line.strip_prefix("0::"))?;
    let dir = format!("/sys/fs/cgroup{path}");
    let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}")).ok();
    let max = read("memory.max")?.trim().parse::<i64>().ok()?; // "max": no limit
    let current = read("memory.current")?.trim().parse::<i64>().ok()?;
    Some((max - current).max(0))
}

/// `gc.mem_alloc()`: resident anonymous memory of the process, in bytes.
pub(super) fn allocated() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| proc_kb(&status, "RssAnon"))
        .unwrap_or(-1)
}

/// `gc.mem_free()`: memory the process could still allocate, in bytes.
pub(super) fn available() -> i64 {
    let system = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| proc_kb(&meminfo, "MemAvailable"));
    match (system, cgroup_room()) {
        (Some(system), Some(room)) => system.min(room),
        (Some(system), None) => system,
        (None, _) => -1,
    }
}

/// The calling thread's stack: (highest address, size in bytes).
#[cfg(target_os = "linux")]
fn thread_stack() -> Option<(usize, usize)> {
    // SAFETY: pthread_getattr_np fills `attr` for the calling thread, which is destroyed
    // after pthread_attr_getstack has read the stack's bounds out of it.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut low: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut low, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        ok.then(|| (low as usize + size, size))
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_stack() -> Option<(usize, usize)> {
    None
}

/// Bytes of the calling thread's stack in use, and the stack's size.
pub(super) fn stack() -> Option<(i64, i64)> {
    let (top, size) = thread_stack()?;
    let here = 0u8;
    let used = top.saturating_sub(std::ptr::addr_of!(here) as usize);
    Some((used as i64, size as i64))
}

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use std::sync::atomic::Ordering;

    use rustpython_vm::VirtualMachine;
    use rustpython_vm::function::OptionalArg;

    use crate::host::state;

    /// Bytes the process uses (resident anonymous memory), or -1 if unknown.
    #[pyfunction]
    fn mem_alloc() -> i64 {
        super::allocated()
    }

    /// Bytes the process could still allocate (available memory, within its cgroup's
    /// limit), or -1 if unknown.
    #[pyfunction]
    fn mem_free() -> i64 {
        super::available()
    }

    /// `threshold(amount)` records an allocation threshold; `threshold()` returns it, -1 when
    /// none was set. It does not change when collections run here.
    #[pyfunction]
    fn threshold(amount: OptionalArg<i64>, vm: &VirtualMachine) -> Option<i64> {
        let state = state::of(vm);
        let kept = &state.gc_threshold.0;
        match amount {
            OptionalArg::Present(amount) => {
                kept.store(amount, Ordering::Relaxed);
                None
            }
            OptionalArg::Missing => Some(kept.load(Ordering::Relaxed)),
        }
    }

    /// Bytes of the calling thread's native stack in use (0 if unknown).
    #[pyfunction]
    fn stack_use() -> i64 {
        super::stack().map_or(0, |(used, _)| used)
    }

    /// The calling thread's native stack size in bytes (0 if unknown).
    #[pyfunction]
    fn stack_size() -> i64 {
        super::stack().map_or(0, |(_, size)| size)
    }
}

#[cfg(test)]
mod tests {
    use super::proc_kb;

    #[test]
    fn reads_kb_fields() {
        let status = "Name:\tpymqtt\nRssAnon:\t   2048 kB\nRssFile:\t 100 kB\n";
        assert_eq!(proc_kb(status, "RssAnon"), Some(2048 * 1024));
        assert_eq!(proc_kb(status, "Rss"), None);
        assert_eq!(proc_kb(status, "VmSwap"), None);
    }

    #[test]
    fn figures_are_known_on_linux() {
        assert!(super::allocated() > 0);
        assert!(super::available() > 0);
        let (used, size) = super::stack().expect("stack bounds");
        assert!(used > 0 && used < size, "{used} of {size}");
    }
}
