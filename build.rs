//! Two things the build does before compiling pymqtt:
//!
//! - The frozen Python modules under pylib/ are compiled into the binary by a macro, which
//!   cargo does not know depends on them: it is told here.
//! - The standard library the binary carries (`OUT_DIR/stdlib.frozen`, read by
//!   src/host/frozen.rs) is RustPython's frozen one with two changes. The modules that cannot
//!   run in pymqtt are left out ([`LEFT_OUT`]), and every module's bytecode is compressed
//!   again with LZ4's high-compression encoder: the same block format, which the interpreter
//!   decodes as fast, in about a sixth less space than the fast encoder's output.

use std::path::PathBuf;

use rustpython_compiler_core::frozen::{FrozenCodeObject, FrozenLib, FrozenModule};

/// Packages and modules left out of the standard library, with the reason: each needs a
/// native part this binary does not have, or a Python installation pymqtt is not, or is
/// built on one that does. Importing one gives `ModuleNotFoundError`, as importing its
/// native part does today.
const LEFT_OUT: &[(&str, &str)] = &[
    (
        "tkinter",
        "needs _tkinter (Tcl/Tk), which RustPython does not have",
    ),
    ("turtle", "is drawn with tkinter"),
    ("turtledemo", "is drawn with tkinter"),
    ("idlelib", "is a tkinter application"),
    ("sqlite3", "needs _sqlite3, which this build leaves out"),
    (
        "ensurepip",
        "installs pip into a Python installation from wheels not frozen here",
    ),
    (
        "venv",
        "makes virtual environments of a Python installation",
    ),
];

/// LZ4's highest compression level: it costs time only here, never when a module is read.
const LZ4_LEVEL: i32 = 12;

/// The functions start-up runs, in the linker's names (scripts/startup-order.sh made it).
const STARTUP_ORDER: &str = "scripts/startup-order.txt";

fn main() {
    println!("cargo:rerun-if-changed=pylib");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("stdlib.frozen"), standard_library())
        .expect("writing the frozen standard library");
    startup_functions_first();
}

/// In an x86_64 Linux release build the functions start-up runs go first in the code, side
/// by side ([`STARTUP_ORDER`]). The kernel maps 64 KB around each page a process touches;
/// with start-up's code spread over the whole binary that was most of a bare run's memory
/// (docs/benchmarks.md). The linker there is the toolchain's own lld (the default for this
/// target since Rust 1.90; rust-toolchain.toml pins a later one), which takes the order.
fn startup_functions_first() {
    println!("cargo:rerun-if-changed={STARTUP_ORDER}");
    let env = |name| std::env::var(name).unwrap_or_default();
    if env("PROFILE") != "release" || env("TARGET") != "x86_64-unknown-linux-gnu" {
        return;
    }
    let order = PathBuf::from(env("CARGO_MANIFEST_DIR")).join(STARTUP_ORDER);
    if !order.is_file() {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    // Names of functions this build does not have (pymqtt's own, renamed since the file
    // was made) are skipped without a word.
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

fn left_out(module: &str) -> bool {
    let package = module.split('.').next().unwrap_or(module);
    LEFT_OUT.iter().any(|(name, _)| *name == package)
}

/// RustPython's frozen standard library without [`LEFT_OUT`], recompressed.
fn standard_library() -> Vec<u8> {
    let kept: Vec<(&str, FrozenModule<Vec<u8>>)> = rustpython_pylib::FROZEN_STDLIB
        .decode()
        .filter(|(name, _)| !left_out(name))
        .map(|(name, module)| {
            let bytecode = lz4_flex::decompress_size_prepended(module.code.bytes)
                .unwrap_or_else(|e| panic!("frozen module {name} does not decompress: {e}"));
            let mode = lz4::block::CompressionMode::HIGHCOMPRESSION(LZ4_LEVEL);
            // `true`: the decompressed size goes first, as the interpreter reads it.
            let bytes = lz4::block::compress(&bytecode, Some(mode), true)
                .unwrap_or_else(|e| panic!("compressing frozen module {name}: {e}"));
            let code = FrozenCodeObject { bytes };
            (
                name,
                FrozenModule {
                    code,
                    package: module.package,
                },
            )
        })
        .collect();
    FrozenLib::encode(kept.iter().map(|(name, module)| {
        (
            *name,
            FrozenModule {
                code: FrozenCodeObject {
                    bytes: module.code.bytes.as_slice(),
                },
                package: module.package,
            },
        )
    }))
    .bytes
}
