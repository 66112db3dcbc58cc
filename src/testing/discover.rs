//! Which files are tests: a `.py` file named on the command line, or, in a folder named
//! there (searched recursively), every `.py` file with a `NAME.py.exp` or `NAME.py.wire`
//! beside it. Files without either are the tests' helpers and are left alone.

use std::path::{Path, PathBuf};

/// One test: a script and the files beside it that say what it should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The script, as found.
    pub script: PathBuf,
    /// `NAME.py.exp`: the expected output (it may not exist yet).
    pub expected: PathBuf,
    /// `NAME.py.wire`, if there is one.
    pub wire: Option<PathBuf>,
}

impl TestCase {
    fn new(script: PathBuf) -> TestCase {
        let wire = sidecar(&script, "wire");
        TestCase {
            expected: sidecar(&script, "exp"),
            wire: wire.is_file().then_some(wire),
            script,
        }
    }

    /// The name shown in reports: the path as found.
    pub fn name(&self) -> String {
        self.script.display().to_string()
    }
}

/// `dir/NAME.py` → `dir/NAME.py.EXT`.
fn sidecar(script: &Path, ext: &str) -> PathBuf {
    let mut name = script.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// The tests under `paths`, each once, sorted by path.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<TestCase>, String> {
    let mut found = Vec::new();
    for path in paths {
        // `./a.py` and `a.py` are one test, shown as `a.py`.
        let path = &path
            .components()
            .filter(|c| *c != std::path::Component::CurDir)
            .collect::<PathBuf>();
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path.as_path()
        };
        if path.is_dir() {
            walk(path, &mut found).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        } else if path.is_file() {
            if path.extension().is_none_or(|e| e != "py") {
                return Err(format!("{}: a test is a .py file", path.display()));
            }
            found.push(TestCase::new(path.to_path_buf()));
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    found.sort_by(|a, b| a.script.cmp(&b.script));
    found.dedup_by(|a, b| a.script == b.script);
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<TestCase>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let path = path
            .strip_prefix(".")
            .map(Path::to_path_buf)
            .unwrap_or(path);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            let skipped = name.starts_with('.')
                || ["__pycache__", "target", "node_modules"].contains(&name.as_ref());
            if !skipped {
                walk(&path, found)?;
            }
        } else if name.ends_with(".py") {
            let case = TestCase::new(path.clone());
            if case.expected.is_file() || case.wire.is_some() {
                found.push(case);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_yield_scripts_with_a_sidecar_and_named_files_always() {
        let root = std::env::temp_dir().join(format!("pymqtt-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (file, text) in [
            ("a/one.py", ""),
            ("a/one.py.exp", "x\n"),
            ("a/helper.py", ""),
            ("a/deeper/two.py", ""),
            ("a/deeper/two.py.wire", "limit 1s\n"),
            ("a/.hidden/three.py", ""),
            ("a/.hidden/three.py.exp", ""),
            ("b/four.py", ""),
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let found = discover(&[
            root.join("a"),
            root.join("b/four.py"),
            root.join("a/one.py"),
        ])
        .unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|c| c.script.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a/deeper/two.py", "a/one.py", "b/four.py"]);
        assert!(found[0].wire.is_some());
        assert!(found[1].wire.is_none());
        assert!(
            discover(&[root.join("missing")])
                .unwrap_err()
                .contains("no such file")
        );
        assert!(
            discover(&[root.join("a/one.py.exp")])
                .unwrap_err()
                .contains(".py file")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
