//! Gating tests on external tools: on a developer's machine a missing tool skips the test with a
//! clear message; in CI (`CI=true`) it fails, so a broken CI image cannot pass silently.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `tool` runs (`tool <version_args>` exits 0). Skips (returns false) or panics in CI.
pub fn require(tool: &str, version_args: &[&str]) -> bool {
    let ok = Command::new(tool).args(version_args).output().is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{tool} is required in CI (CI=true) but `{tool} {}` failed or is not on PATH",
            version_args.join(" ")
        );
    }
    eprintln!("SKIPPED: {tool} is not installed; install it to run this test (CI requires it)");
    false
}

/// The built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mesh-ingress"))
}

/// PATH with the built binary's directory first, so a bare `mesh-ingress` resolves to it.
pub fn path_with_binary() -> String {
    let dir = binary().parent().unwrap().to_path_buf();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mesh-ingress-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copy a directory tree (files and directories; modes of regular files kept).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
