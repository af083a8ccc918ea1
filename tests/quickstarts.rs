//! The README's quickstarts work on a fresh clone: every shell block whose first line is a
//! `# quickstart: <name>` comment runs, as written, from the repository root.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/tools.rs"]
mod tools;

use std::process::Command;

#[test]
fn readme_quickstarts_run() {
    if !tools::require("kubectl", &["version", "--client"]) || !tools::require("kpt", &["version"]) {
        return;
    }
    let readme = std::fs::read_to_string(tools::root().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(body, _)| body))
        .filter(|body| body.starts_with("# quickstart:"))
        .collect();
    assert!(blocks.len() >= 3, "expected the README's quickstarts, found {}", blocks.len());
    for block in blocks {
        let name = block.lines().next().unwrap();
        let home = tools::temp_dir("quickstart-home");
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", block])
            .current_dir(tools::root())
            .env("HOME", &home)
            .env(
                "CARGO_HOME",
                std::env::var("CARGO_HOME")
                    .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default())),
            )
            .env(
                "RUSTUP_HOME",
                std::env::var("RUSTUP_HOME")
                    .unwrap_or_else(|_| format!("{}/.rustup", std::env::var("HOME").unwrap_or_default())),
            )
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "README {name} failed:\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stdout.is_empty(), "README {name} printed nothing");
    }
}
