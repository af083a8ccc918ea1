//! Shared by the golden, conformance and consistency tests: discovering golden cases and running the
//! function on them in-process.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mesh_ingress::commands;
use mesh_ingress::krm::io::{self, Limits};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One golden case.
pub struct Case {
    /// Directory name.
    pub name: String,
    /// Directory.
    pub dir: PathBuf,
    /// The function config.
    pub config: Value,
    /// Input items.
    pub input: Vec<Value>,
}

/// Parse a YAML file with every document.
pub fn read_yaml(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    io::parse_documents(&text, &path.display().to_string(), &Limits::default()).unwrap()
}

/// Every case under `tests/golden`, sorted by name.
pub fn cases() -> Vec<Case> {
    let dir = root().join("tests/golden");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dir = dir.join(&name);
            let config_path = match std::fs::read_to_string(dir.join("config.from")) {
                Ok(from) => root().join(from.trim()),
                Err(_) => dir.join("config.yaml"),
            };
            let mut docs = read_yaml(&config_path);
            assert_eq!(docs.len(), 1, "{}: one config document expected", config_path.display());
            let mut config = docs.remove(0);
            // `config.patch.yaml`: the same config with a few fields changed (a JSON merge patch,
            // RFC 7386), so an example can be tried in another variant without a copy to keep in step.
            if dir.join("config.patch.yaml").exists() {
                for patch in read_yaml(&dir.join("config.patch.yaml")) {
                    merge_patch(&mut config, &patch);
                }
            }
            let mut input =
                if dir.join("input.yaml").exists() { read_yaml(&dir.join("input.yaml")) } else { Vec::new() };
            if dir.join("previous.yaml").exists() {
                input = replay(&dir, &config, input);
            }
            Case { name, dir, config, input }
        })
        .collect()
}

/// Apply a JSON merge patch (RFC 7386): objects merge, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let Value::Object(target) = target else { return };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// A case with `previous.yaml` simulates a package rendered before, the way `kpt fn render` runs
/// a pipeline: each config of `previous.yaml` in turn is put among the items (as kpt does with a
/// `configPath:` config) and run over them; then `edits.yaml` changes the result as a user would;
/// then the case's own config joins the items. The result is the case's input.
fn replay(dir: &Path, config: &Value, mut items: Vec<Value>) -> Vec<Value> {
    for previous in read_yaml(&dir.join("previous.yaml")) {
        upsert_config(&mut items, previous.clone());
        let run = run_krm(&previous, &items).unwrap();
        assert_eq!(run.code, 0, "{}: previous.yaml does not render:\n{}", dir.display(), run.stderr);
        items = run.items();
    }
    if dir.join("edits.yaml").exists() {
        for edit in read_yaml(&dir.join("edits.yaml")) {
            apply_edit(&mut items, &edit, dir);
        }
    }
    upsert_config(&mut items, config.clone());
    items
}

/// Put a config among the items, in place of the one read from the same file (or of the same kind
/// and name).
fn upsert_config(items: &mut Vec<Value>, config: Value) {
    let path = |v: &Value| v.pointer("/metadata/annotations/internal.config.kubernetes.io~1path").cloned();
    let same = |item: &Value| match path(&config) {
        Some(p) => path(item).as_ref() == Some(&p),
        None => item["kind"] == config["kind"] && item["metadata"]["name"] == config["metadata"]["name"],
    };
    match items.iter().position(same) {
        Some(index) => items[index] = config,
        None => items.push(config),
    }
}

/// One edit of `edits.yaml`: `select` (kind, name, optional namespace) picks the items; `set` (a
/// map of JSON pointers to values) and `remove` (JSON pointers) change them; `file` moves them to
/// another file; `copy: true` changes a copy appended to the items instead; `delete: true` removes
/// them.
fn apply_edit(items: &mut Vec<Value>, edit: &Value, dir: &Path) {
    let select = &edit["select"];
    let matches = |item: &Value| {
        item["kind"] == select["kind"]
            && item["metadata"]["name"] == select["name"]
            && (select.get("namespace").is_none() || item["metadata"]["namespace"] == select["namespace"])
    };
    let indexes: Vec<usize> = (0..items.len()).filter(|&i| matches(&items[i])).collect();
    assert!(!indexes.is_empty(), "{}: edit selects nothing: {select}", dir.display());
    if edit["delete"] == true {
        for index in indexes.into_iter().rev() {
            items.remove(index);
        }
        return;
    }
    for index in indexes {
        let mut item = items[index].clone();
        if let Some(set) = edit["set"].as_object() {
            for (pointer, value) in set {
                set_pointer(&mut item, pointer, value.clone());
            }
        }
        if let Some(remove) = edit["remove"].as_array() {
            for pointer in remove.iter().filter_map(Value::as_str) {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                if let Some(map) = item.pointer_mut(parent).and_then(Value::as_object_mut) {
                    map.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
            }
        }
        if let Some(file) = edit["file"].as_str() {
            let annotations = item["metadata"]["annotations"].as_object_mut().unwrap();
            for key in ["internal.config.kubernetes.io/path", "config.kubernetes.io/path"] {
                annotations.insert(key.to_string(), json!(file));
            }
            for key in ["internal.config.kubernetes.io/index", "config.kubernetes.io/index"] {
                annotations.insert(key.to_string(), json!("0"));
            }
        }
        if edit["copy"] == true {
            items.push(item);
        } else {
            items[index] = item;
        }
    }
}

/// Set the value at a JSON pointer, creating mappings on the way.
fn set_pointer(item: &mut Value, pointer: &str, value: Value) {
    let mut current = item;
    let tokens: Vec<String> =
        pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    let (last, parents) = tokens.split_last().unwrap();
    for token in parents {
        current = match current {
            Value::Array(list) => &mut list[token.parse::<usize>().unwrap()],
            other => other.as_object_mut().unwrap().entry(token.clone()).or_insert_with(|| json!({})),
        };
    }
    match current {
        Value::Array(list) => list[last.parse::<usize>().unwrap()] = value,
        other => {
            other.as_object_mut().unwrap().insert(last.clone(), value);
        }
    }
}

/// What one run produced.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// stdout, as text.
    pub stdout: String,
    /// stdout, parsed.
    pub list: Value,
    /// stderr, as text.
    pub stderr: String,
}

impl Run {
    /// The output items.
    pub fn items(&self) -> Vec<Value> {
        self.list["items"].as_array().cloned().unwrap_or_default()
    }

    /// The error results, each as `message (field path)`.
    pub fn errors(&self) -> Vec<String> {
        self.list["results"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|r| r["severity"] == "error")
            .map(|r| format!("{} (field {})", r["message"], r["field"]["path"]))
            .collect()
    }
}

/// Run the KRM entry point on a ResourceList built from `config` and `items`.
pub fn run_krm(config: &Value, items: &[Value]) -> Result<Run, String> {
    let list = json!({
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
    });
    run_krm_text(&io::to_yaml(&list).map_err(|e| e.to_string())?)
}

/// Run the KRM entry point on a ResourceList given as text (for example the function's own output
/// with the config appended, as an orchestrator re-running the pipeline would send it).
pub fn run_krm_text(input: &str) -> Result<Run, String> {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = commands::on_large_stack(|| {
        commands::krm(input.as_bytes(), &Limits::default(), &mut stdout, &mut stderr)
    })
    .ok_or("no worker thread")?
    .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8(stdout).map_err(|e| e.to_string())?;
    let list = io::parse_document(&stdout, "stdout", &Limits::default()).map_err(|e| e.to_string())?;
    Ok(Run { code, stdout, list, stderr: String::from_utf8_lossy(&stderr).into_owned() })
}

/// The objects a case renders (its output items).
pub fn rendered_items(case: &Case) -> Vec<Value> {
    run_krm(&case.config, &case.input).unwrap().items()
}

/// A small line diff for failure messages.
pub fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    let first = e.iter().zip(a.iter()).position(|(x, y)| x != y).unwrap_or(e.len().min(a.len()));
    let start = first.saturating_sub(3);
    out.push_str(&format!("first difference at line {}\n", first + 1));
    for line in e.iter().skip(start).take(12) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in a.iter().skip(start).take(12) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}
