//! The documentation is part of the contract: the field reference matches the schema, and what the
//! README shows is what the binary does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mesh-ingress");

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced blocks of a Markdown file with the given info string.
fn blocks(markdown: &str, info: &str) -> Vec<String> {
    let fence = format!("```{info}\n");
    markdown
        .split(&fence)
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(body, _)| body.to_string()))
        .collect()
}

#[test]
fn reference_matches_the_schema() {
    let generated = mesh_ingress::api::reference::markdown();
    let path = root().join("docs/reference.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written == generated,
        "docs/reference.md is out of date: run `cargo run -q -- schema --markdown > docs/reference.md`"
    );
}

fn render(config: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("mesh-ingress-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("config-{}.yaml", config.len()));
    std::fs::write(&file, config).unwrap();
    Command::new(BIN)
        .args(["render", file.to_str().unwrap()])
        .output()
        .unwrap()
}

#[test]
fn readme_example_renders_what_it_says() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let yaml = blocks(&readme, "yaml");
    let output = render(&yaml[0]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let count = stdout.matches("---\n").count();
    assert!(
        readme.contains(&format!("renders {count} objects")),
        "the README must say it renders {count} objects"
    );
    for kind in [
        "HTTPRoute",
        "PeerAuthentication",
        "DestinationRule",
        "PodDisruptionBudget",
    ] {
        assert!(
            stdout.contains(&format!("kind: {kind}\n")),
            "README promises a {kind}"
        );
    }
}

#[test]
fn readme_error_example_is_real() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let broken = blocks(&readme, "yaml")
        .into_iter()
        .find(|b| b.starts_with("# broken.yaml"))
        .unwrap();
    let shown = blocks(&readme, "text")
        .into_iter()
        .find(|b| b.starts_with("$ mesh-ingress render broken.yaml"))
        .unwrap();
    let output = render(&broken);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected: Vec<&str> = shown.lines().skip(1).collect();
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn readme_commands_name_real_files() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for path in readme
        .split_whitespace()
        .filter(|w| w.starts_with("functions/") || w.starts_with("docs/"))
    {
        let path =
            path.trim_matches(|c: char| c == '`' || c == ')' || c == '(' || c == ',' || c == ':' || c == '.');
        let path = path.split(')').next().unwrap_or(path);
        assert!(
            root().join(path).exists(),
            "README names {path}, which does not exist"
        );
    }
}
