//! The README's quickstarts work on a fresh clone: every shell block whose first line is a
//! `# quickstart: <name>` comment runs, as written, from the root of a fresh copy of the repository
//! (the files a clone holds: tracked ones, and new ones git does not ignore). The copy's `target`
//! is this build's target directory, so only this crate is compiled again, not its dependencies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The README's `sh` blocks, in order.
fn sh_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(tools::root().join("README.md")).unwrap();
    readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(body, _)| body.to_string()))
        .collect()
}

/// The quickstart block named `name`.
fn quickstart(name: &str) -> String {
    let header = format!("# quickstart: {name}\n");
    sh_blocks()
        .into_iter()
        .find(|b| b.starts_with(&header))
        .unwrap_or_else(|| panic!("the README has no `{}` block", header.trim_end()))
}

/// A fresh copy of the repository's files in a temporary directory, or `None` (skipped) without git.
fn fresh_copy(name: &str) -> Option<PathBuf> {
    if !tools::require("git", &["--version"]) {
        return None;
    }
    let listing = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(tools::root())
        .output()
        .unwrap();
    assert!(listing.status.success(), "git ls-files: {}", String::from_utf8_lossy(&listing.stderr));
    let copy = tools::temp_dir(&format!("clone-{name}"));
    for file in listing.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let file = Path::new(std::str::from_utf8(file).unwrap());
        let from = tools::root().join(file);
        // Deleted in the work tree but still tracked: a clone of the next commit will not have it.
        if !from.is_file() {
            continue;
        }
        let to = copy.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    // This build's target directory (`<target>/<profile>/mesh-ingress`): the dependencies are built.
    let target = tools::binary().parent().unwrap().parent().unwrap().to_path_buf();
    std::os::unix::fs::symlink(&target, copy.join("target")).unwrap();
    Some(copy)
}

/// Run a README block with bash in `dir`, as a user's shell would (their cargo and rustup homes).
fn run_block(block: &str, dir: &Path) -> Output {
    // A home of its own per copy: tests run in parallel, and temp_dir starts each directory afresh.
    let home = tools::temp_dir(&format!("home-{}", dir.file_name().unwrap().to_string_lossy()));
    let user_home = std::env::var("HOME").unwrap_or_default();
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", block])
        .current_dir(dir)
        .env("HOME", &home)
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_HOME", std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{user_home}/.cargo")))
        .env("RUSTUP_HOME", std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{user_home}/.rustup")))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    output
}

fn assert_ran(name: &str, output: &Output) -> String {
    assert!(
        output.status.success(),
        "README {name} failed:\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.stdout.is_empty(), "README {name} printed nothing");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The README opens with the two commands a newcomer runs first: the render of an example, with
/// cargo's progress visible and the build time stated, then the test command CI runs.
#[test]
fn readme_opens_with_the_first_run_and_the_test_command() {
    let readme = std::fs::read_to_string(tools::root().join("README.md")).unwrap();
    let blocks = sh_blocks();
    let first = &blocks[0];
    assert!(first.starts_with("# quickstart: first run\n"), "the README's first command: {first}");
    let command = first.lines().nth(1).unwrap_or_default();
    assert!(command.starts_with("cargo run -- render "), "{command}");
    assert!(!command.contains(" -q"), "the first build must show its progress: {command}");
    let before_first = readme.split("```sh\n").next().unwrap();
    assert!(
        before_first.contains("minutes") && before_first.contains("2-core"),
        "the README states the first build's time before its first command"
    );
    assert_eq!(blocks[1], "cargo test\n", "the README's second command is the test command");
    let ci = std::fs::read_to_string(tools::root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test --locked"),
        ".ci/run must run the README's test command"
    );
    for install in ["cargo install --path .", "ghcr.io/mesh-ingress/mesh-ingress:v", "scripts/check-image.sh"]
    {
        assert!(
            before_first.len() < readme.find(install).unwrap_or(0),
            "the README's install needs {install}"
        );
    }
    for prerequisite in ["## Prerequisites", "--enable-gateway-api", "Rust 1.", "Gateway API", "cert-manager"]
    {
        assert!(readme.contains(prerequisite), "the README's prerequisites need {prerequisite}");
    }
    let rust_version = std::fs::read_to_string(tools::root().join("Cargo.toml"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = ").map(|v| v.trim_matches('"').to_string()))
        .unwrap();
    assert!(
        readme.contains(&format!("Rust {rust_version} or later")),
        "Prerequisites must say Rust {rust_version}"
    );
}

/// From a fresh copy, the first command renders the example and the README's minimal config
/// (domains and one gateway) renders on the first try, with a certificate and a self-signed issuer.
#[test]
fn readme_first_run_and_minimal_config_render_in_a_fresh_clone() {
    let Some(copy) = fresh_copy("first-run") else {
        return;
    };
    let first = assert_ran("first run", &run_block(&quickstart("first run"), &copy));
    for kind in ["Gateway", "Certificate", "Deployment"] {
        assert!(first.contains(&format!("kind: {kind}\n")), "the first run renders no {kind}");
    }
    let minimal = assert_ran("minimal config", &run_block(&quickstart("minimal config"), &copy));
    for kind in ["Certificate", "Issuer", "Gateway", "Deployment", "Service"] {
        assert!(
            minimal
                .lines()
                .any(|l| l.trim_start().split_once(' ').is_some_and(|(_, k)| k == format!("kind: {kind}"))),
            "the minimal config renders no {kind}:\n{minimal}"
        );
    }
    let _ = std::fs::remove_dir_all(&copy);
}

/// The tool quickstarts (kustomize, kpt, Argo CD), from a fresh copy.
#[test]
fn readme_quickstarts_run() {
    if !tools::require("kubectl", &["version", "--client"]) || !tools::require("kpt", &["version"]) {
        return;
    }
    let tool_blocks: Vec<String> = sh_blocks()
        .into_iter()
        .filter(|b| b.starts_with("# quickstart:"))
        .filter(|b| {
            !b.starts_with("# quickstart: first run\n") && !b.starts_with("# quickstart: minimal config\n")
        })
        .collect();
    assert!(tool_blocks.len() >= 3, "expected the README's tool quickstarts, found {}", tool_blocks.len());
    let Some(copy) = fresh_copy("tools") else {
        return;
    };
    for block in tool_blocks {
        let name = block.lines().next().unwrap().to_string();
        assert_ran(&name, &run_block(&block, &copy));
    }
    let _ = std::fs::remove_dir_all(&copy);
}
