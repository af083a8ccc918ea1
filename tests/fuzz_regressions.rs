//! The fuzzers' findings as ordinary tests: every file under `tests/fuzz-corpus/<target>/` (each
//! crasher the fuzzers found, and a minimized corpus of interesting inputs) goes through the check of
//! its fuzz target, from `support/fuzz_checks.rs`, the very code the targets in `fuzz/` run. So the
//! properties stay guarded on stable Rust, without cargo-fuzz. `fuzz/README.md` explains how to run
//! the fuzzers and how to add an input here.
//!
//! `cargo test --test fuzz_regressions -- --ignored seed_corpus` writes the fuzzers' seed inputs,
//! built from the repository's real inputs (golden cases, kpt examples, kustomize configs), to
//! `fuzz/corpus/<target>/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/fuzz_checks.rs"]
mod fuzz_checks;
#[path = "support/golden_cases.rs"]
mod golden_cases;

use fuzz_checks::{Check, TARGETS};
use golden_cases::root;
use mesh_ingress::commands::on_large_stack;
use mesh_ingress::krm::io::{self, Limits};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/fuzz-corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Run every saved input of `target` through `check`; report every failure, not just the first.
fn replay(target: &str) {
    let check: Check = TARGETS.iter().find(|(name, _)| *name == target).map(|(_, c)| *c).unwrap();
    let files = corpus_files(target);
    assert!(!files.is_empty(), "no inputs under tests/fuzz-corpus/{target}");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).unwrap();
            // The binary parses on a large stack; so do the checks here (test threads have 2 MiB).
            let outcome = on_large_stack(|| std::panic::catch_unwind(|| check(&bytes))).unwrap();
            let problem = match outcome {
                Ok(Ok(())) => return None,
                Ok(Err(problem)) => problem,
                Err(_) => "panicked (message above)".to_string(),
            };
            Some(format!("== {}: {problem}", path.strip_prefix(root()).unwrap_or(path).display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {target} inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn resource_list_inputs() {
    replay("resource_list");
}

#[test]
fn config_inputs() {
    replay("config");
}

#[test]
fn pipeline_inputs() {
    replay("pipeline");
}

#[test]
fn every_target_has_a_corpus_and_a_fuzz_target() {
    for (target, _) in TARGETS {
        assert!(root().join("tests/fuzz-corpus").join(target).is_dir(), "tests/fuzz-corpus/{target}");
        assert!(root().join("fuzz/fuzz_targets").join(format!("{target}.rs")).is_file(), "{target}.rs");
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds for the fuzzers (run on demand, see fuzz/README.md)
// ---------------------------------------------------------------------------------------------

/// A KRM ResourceList as kpt lays it out: `items` re-serialized, then the config's own text (with
/// its comments and flow style) as `functionConfig`.
fn resource_list_text(items: &[Value], config_text: &str) -> String {
    let mut out = Vec::new();
    mesh_ingress::krm::write_list(items, &[], None, &[], &mut out).unwrap();
    let mut text = String::from_utf8(out).unwrap();
    text.push_str("functionConfig:\n");
    for line in config_text.lines().filter(|l| l.trim() != "---") {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

fn yaml_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.is_dir() {
            yaml_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
#[ignore = "writes the fuzzers' seed corpus; run on demand (fuzz/README.md)"]
fn seed_corpus() {
    let root = root();
    let mut seeds: Vec<(&str, String, String)> = Vec::new();
    let mut add = |targets: &[&'static str], name: &str, text: &str| {
        for target in targets {
            seeds.push((target, name.to_string(), text.to_string()));
        }
    };
    for case in golden_cases::cases() {
        let config_path = match std::fs::read_to_string(case.dir.join("config.from")) {
            Ok(from) => root.join(from.trim()),
            Err(_) => case.dir.join("config.yaml"),
        };
        let config_text = std::fs::read_to_string(&config_path).unwrap();
        add(&["config"], &format!("golden-{}", case.name), &config_text);
        let input = resource_list_text(&case.input, &config_text);
        add(&["pipeline", "resource_list"], &format!("golden-{}", case.name), &input);
        // The expected output with the config added back: the second run of the fixed point, which
        // upserts and prunes generated objects.
        let expected = std::fs::read_to_string(case.dir.join("expected.yaml")).unwrap();
        add(&["resource_list"], &format!("golden-{}-expected", case.name), &expected);
        let doc = io::parse_document(&expected, "expected", &Limits::default()).unwrap();
        let items = doc["items"].as_array().cloned().unwrap_or_default();
        add(&["pipeline"], &format!("golden-{}-rerun", case.name), &resource_list_text(&items, &config_text));
    }
    let mut files = Vec::new();
    yaml_files_under(&root.join("functions/mesh-ingress/examples"), &mut files);
    yaml_files_under(&root.join("kustomize"), &mut files);
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(&root).unwrap().display().to_string().replace(['/', '.'], "-");
        add(&["config"], &name, &text);
        let Ok(docs) = io::parse_documents(&text, "seed", &Limits::default()) else {
            continue;
        };
        // A kpt package's config with every other document of its directory as items.
        if let [config] = docs.as_slice()
            && config["kind"] == "MeshIngress"
        {
            let mut items = Vec::new();
            let mut siblings = Vec::new();
            yaml_files_under(file.parent().unwrap(), &mut siblings);
            siblings.retain(|s| s != &file && s.parent() == file.parent());
            for sibling in siblings {
                let text = std::fs::read_to_string(&sibling).unwrap();
                items.extend(io::parse_documents(&text, "seed", &Limits::default()).unwrap_or_default());
            }
            items.retain(Value::is_object);
            add(&["pipeline", "resource_list"], &name, &resource_list_text(&items, &text));
        }
    }
    for (target, name, text) in &seeds {
        let dir = root.join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), text).unwrap();
    }
    eprintln!("wrote {} seeds under fuzz/corpus/", seeds.len());
}
