//! The frozen standard library, indexed without keeping it resident.
//!
//! The standard library is one blob in the binary (each module's compressed bytecode, one
//! after another: RustPython's frozen library as build.rs trims and recompresses it), and the
//! interpreter's index of it is built by walking the whole blob at start. Every page the
//! walk reads stays resident, and the kernel maps the pages around each one too: the walk
//! alone brought most of the blob into RSS, though a script imports a small part of it.
//! This walk hands back each stretch of the blob it has passed (`madvise(MADV_DONTNEED)`),
//! so only the modules imported later come back.
//! The pages are clean and file-backed: handing them back only unmaps them, and reading them
//! again maps them again from the file (from the page cache, as a rule). The index's names
//! are copies, so that looking a module up does not read the blob either.

use std::sync::OnceLock;

use rustpython_vm::frozen::{FrozenLib, FrozenModule};

/// RustPython's frozen standard library as build.rs trims and recompresses it.
static STDLIB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stdlib.frozen"));

/// The standard library's modules, and those pylib/ extends in place ([`EXTENDED`]) once
/// more under the name pylib's module runs them by (`_pymqtt_stdlib_ssl` for ssl.py):
/// pylib's takes the name, and builds on the standard one rather than repeating it.
pub(super) fn standard_library() -> Vec<(&'static str, FrozenModule)> {
    // Walked once per process: the index is the same for every interpreter, and the blob it
    // points into never changes.
    static INDEX: OnceLock<Vec<(&'static str, FrozenModule)>> = OnceLock::new();
    INDEX.get_or_init(walk).clone()
}

/// The standard modules pylib/ has a module of the same name for, which runs the standard
/// one's code first: `ssl` (pylib/ssl.py) and `asyncio` (pylib/asyncio/__init__.py; the
/// package's submodules, asyncio.events and the others, stay the standard library's).
const EXTENDED: [&str; 2] = ["ssl", "asyncio"];

fn walk() -> Vec<(&'static str, FrozenModule)> {
    let lib: &'static FrozenLib = FrozenLib::from_ref(STDLIB);
    let mut release = Release::new(&lib.bytes);
    let mut names = String::with_capacity(32 * 1024);
    let mut entries = Vec::with_capacity(1024);
    for (name, module) in lib {
        let mut add = |name: &str| {
            let start = names.len();
            names.push_str(name);
            entries.push((start..names.len(), module));
        };
        if EXTENDED.contains(&name) {
            add(&format!("_pymqtt_stdlib_{name}"));
        }
        add(name);
        release.passed(module.code.bytes.as_ptr_range().end);
    }
    release.rest();
    // The names are copied out of the blob: the interpreter hashes and compares them (to
    // build its index, at each import), which would bring the blob's pages back. A few
    // tens of KB, kept for the process's life as the blob itself is.
    let names: &'static str = Box::leak(names.into_boxed_str());
    entries
        .into_iter()
        .map(|(range, module)| (&names[range], module))
        .collect()
}

/// Hands back, a stretch at a time, the pages of a blob that a walk has passed.
struct Release {
    /// The first whole page of the blob not handed back yet.
    next: usize,
    /// The end of the blob's last whole page.
    end: usize,
}

impl Release {
    /// Pages handed back at a time: small next to what the walk would keep, large enough
    /// to cost a few system calls.
    const STRETCH: usize = 1 << 20;

    fn new(blob: &'static [u8]) -> Self {
        let page = page_size();
        let range = blob.as_ptr_range();
        // Whole pages only: the blob's first and last pages may hold other data.
        Release {
            next: (range.start as usize).next_multiple_of(page),
            end: range.end as usize / page * page,
        }
    }

    fn passed(&mut self, position: *const u8) {
        let page = page_size();
        let upto = (position as usize / page * page).min(self.end);
        if upto >= self.next + Self::STRETCH {
            hand_back(self.next, upto);
            self.next = upto;
        }
    }

    fn rest(&mut self) {
        if self.end > self.next {
            hand_back(self.next, self.end);
            self.next = self.end;
        }
    }
}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

#[cfg(not(target_os = "linux"))]
fn page_size() -> usize {
    4096
}

#[cfg(target_os = "linux")]
fn hand_back(from: usize, to: usize) {
    // SAFETY: [from, to) is whole pages inside a static byte blob in the binary's read-only
    // data, which nothing writes: MADV_DONTNEED on such a private file mapping drops the
    // page table entries only, and the next read maps the file's (unchanged) bytes again.
    // A failure leaves the pages resident, which is harmless.
    unsafe {
        libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
fn hand_back(_from: usize, _to: usize) {}
