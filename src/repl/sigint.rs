//! Ctrl-C while code runs must reach RustPython: its SIGINT handler turns the signal into
//! `KeyboardInterrupt` at the next `vm.check_signals()` (a blocking `wait_msg()` polls it).
//!
//! rustyline installs a SIGINT handler of its own when an editor is created and keeps it until
//! the editor is dropped, so the signal would never reach Python. Its handler is not needed:
//! while rustyline reads, the terminal is in raw mode and Ctrl-C is a key, not a signal.
//! [`keep_handler`] puts the handler back as it was before the editor was made.

/// Runs `make` (which creates the editor) and restores the SIGINT disposition it replaced.
pub fn keep_handler<T>(make: impl FnOnce() -> T) -> T {
    // SAFETY: sigaction(2) reads into and writes from a zeroed, then kernel-filled, struct.
    unsafe {
        let mut saved: libc::sigaction = std::mem::zeroed();
        let read = libc::sigaction(libc::SIGINT, std::ptr::null(), &mut saved);
        let made = make();
        if read == 0 {
            libc::sigaction(libc::SIGINT, &saved, std::ptr::null_mut());
        }
        made
    }
}
