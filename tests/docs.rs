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
    Command::new(BIN).args(["render", file.to_str().unwrap()]).output().unwrap()
}

#[test]
fn readme_example_renders_what_it_says() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    // The first complete config (the minimal config's Let's Encrypt snippet comes before it).
    let example = blocks(&readme, "yaml")
        .into_iter()
        .find(|b| b.starts_with("apiVersion: mesh-ingress.dev/v1alpha1\n") && b.contains("routes:"))
        .unwrap();
    let output = render(&example);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let count = stdout.matches("---\n").count();
    assert!(
        readme.contains(&format!("renders {count} objects")),
        "the README must say it renders {count} objects"
    );
    for kind in ["HTTPRoute", "PeerAuthentication", "DestinationRule", "PodDisruptionBudget"] {
        assert!(stdout.contains(&format!("kind: {kind}\n")), "README promises a {kind}");
    }
}

/// The routing example renders the objects its excerpt shows, field for field.
#[test]
fn readme_routing_example_renders_its_excerpt() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let yaml = blocks(&readme, "yaml");
    let config = yaml.iter().find(|b| b.starts_with("# routing.yaml\n")).unwrap();
    let excerpt = yaml.iter().find(|b| b.starts_with("# routing.yaml renders (excerpt)")).unwrap();
    let output = render(config);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let limits = mesh_ingress::krm::io::Limits::default();
    let rendered =
        mesh_ingress::krm::io::parse_documents(&String::from_utf8(output.stdout).unwrap(), "stdout", &limits)
            .unwrap();
    let shown = mesh_ingress::krm::io::parse_documents(excerpt, "README", &limits).unwrap();
    assert_eq!(shown.len(), 2);
    for object in shown {
        let found = rendered
            .iter()
            .find(|r| r["kind"] == object["kind"] && r["metadata"]["name"] == object["metadata"]["name"])
            .unwrap_or_else(|| panic!("the README shows a {} the config does not render", object["kind"]));
        assert_eq!(found["spec"], object["spec"], "the README's {} differs from the output", object["kind"]);
        assert_eq!(found["metadata"]["namespace"], object["metadata"]["namespace"]);
    }
}

#[test]
fn readme_error_example_is_real() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let broken = blocks(&readme, "yaml").into_iter().find(|b| b.starts_with("# broken.yaml")).unwrap();
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
    for path in readme.split_whitespace().filter(|w| w.starts_with("functions/") || w.starts_with("docs/")) {
        let path =
            path.trim_matches(|c: char| c == '`' || c == ')' || c == '(' || c == ',' || c == ':' || c == '.');
        let path = path.split(')').next().unwrap_or(path);
        assert!(root().join(path).exists(), "README names {path}, which does not exist");
    }
}

/// The reference as the kpt function README embeds it: from the first section on, one level deeper.
fn reference_for_function_readme() -> String {
    let reference = mesh_ingress::api::reference::markdown();
    let body: Vec<String> = reference
        .lines()
        .skip_while(|l| !l.starts_with("## "))
        .map(|l| if let Some(rest) = l.strip_prefix("## ") { format!("#### {rest}") } else { l.to_string() })
        .collect();
    body.join("\n").trim_end().to_string()
}

#[test]
fn function_readme_embeds_the_current_reference() {
    let path = root().join("functions/mesh-ingress/README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = readme.split_once("<!--reference:start-->\n").unwrap();
    let (_, after) = rest.split_once("\n<!--reference:end-->").unwrap();
    let expected = format!(
        "{before}<!--reference:start-->\n{}\n<!--reference:end-->{after}",
        reference_for_function_readme()
    );
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    assert!(
        readme == expected,
        "functions/mesh-ingress/README.md embeds an old reference: run UPDATE_DOCS=1 cargo test --test docs"
    );
    for section in ["## Overview", "## Usage", "### FunctionConfig", "## Examples", "<!--mdtogo:Short-->"] {
        assert!(readme.contains(section), "the kpt function README needs {section}");
    }
}

/// Every image tag, plugin version and Application plugin name in the repository names this version.
#[test]
fn versions_agree_everywhere() {
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let mut files = Vec::new();
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()) {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    for dir in ["kustomize", "functions", "docs"] {
        walk(&root().join(dir), &mut files);
    }
    files.push(root().join("README.md"));
    files.push(root().join("Dockerfile"));
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (index, _) in text.match_indices("ghcr.io/mesh-ingress/mesh-ingress:") {
            let rest = &text[index + "ghcr.io/mesh-ingress/mesh-ingress:".len()..];
            if rest.starts_with("v<") {
                continue; // the documented tag scheme, `v<version>`
            }
            let tag: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
            assert_eq!(tag, version, "{} names image tag {tag}", file.display());
            checked += 1;
        }
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("version: v") {
                assert_eq!(format!("v{v}"), version, "{}: plugin version", file.display());
                checked += 1;
            }
            if let Some(name) = line.strip_prefix("name: mesh-ingress-v") {
                assert_eq!(format!("v{name}"), version, "{}: Application plugin name", file.display());
                checked += 1;
            }
        }
        let dockerfile_version = text.lines().find_map(|l| l.strip_prefix("ARG VERSION="));
        if let Some(v) = dockerfile_version {
            assert_eq!(format!("v{v}"), version, "Dockerfile VERSION");
            checked += 1;
        }
    }
    assert!(checked >= 8, "expected image tags and plugin versions to check, found {checked}");
}

#[test]
fn readme_edge_access_example_renders() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let example = blocks(&readme, "yaml").into_iter().find(|b| b.starts_with("# edge access")).unwrap();
    let output = render(&example);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    for name in [
        "external-jwt",
        "external-no-internal",
        "external-shop-shop-admin",
        "external-monitoring-grafana-office-or-sso",
    ] {
        assert!(stdout.contains(&format!("name: {name}\n")), "README promises {name}");
    }
    assert!(!stdout.contains("action: ALLOW"), "edge access never renders ALLOW policies");
}
