//! The properties the fuzz targets check, written once and shared: the cargo-fuzz targets in
//! `fuzz/fuzz_targets/` include this file with `#[path = "../../tests/support/fuzz_checks.rs"]`, and
//! `tests/fuzz_regressions.rs` runs every saved input of `tests/fuzz-corpus/<target>/` through the
//! same function on stable Rust. So an input the fuzzer found is re-checked by exactly the
//! assertions that flagged it.
//!
//! Each check takes arbitrary bytes and returns `Err(description)` when a property does not hold. A
//! panic inside the library is a finding of its own: libFuzzer reports it as a crash, and the
//! regression test catches it per file.
//!
//! - [`resource_list`]: the reader. Bytes are rejected with a one-line message, or read as a
//!   ResourceList whose items, written back (reusing their input text where the verbatim cut allows,
//!   and fully re-serialized), read back as the same items, with the same key order and number types.
//! - [`config`]: config decoding and the semantic rules. Any YAML or JSON document, used as the
//!   function config (wrapped as a MeshIngress `spec` when it has no `kind`, so mutations reach the
//!   spec quickly), decodes or fails with error results; every result has a message; a config that
//!   passes every rule renders.
//! - [`pipeline`]: the whole KRM function, [`mesh_ingress::commands::krm`], on arbitrary bytes: exit 2
//!   writes nothing to stdout and one line of cause; exit 0 and 1 write a ResourceList that reads back,
//!   with error results exactly when the exit code is 1 and the input items unchanged then; and
//!   running the function again on its exit-0 output (the config added back, as kpt does) gives the
//!   same output byte for byte (the fixed point).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mesh_ingress::api;
use mesh_ingress::commands::{self, EXIT_CONFIG_ERROR, EXIT_OK};
use mesh_ingress::krm::io::{self, Limits};
use mesh_ingress::krm::result::{self, KrmResult};
use mesh_ingress::krm::{self, ResourceList};
use mesh_ingress::{model, render, validate};
use serde_json::{Map, Value};

/// A check: `Err` describes the property that failed.
pub type Check = fn(&[u8]) -> Result<(), String>;

/// Every fuzz target by name (the name of its `fuzz/fuzz_targets/<name>.rs` and of its
/// `tests/fuzz-corpus/<name>/` directory) with its check.
pub const TARGETS: &[(&str, Check)] =
    &[("resource_list", resource_list), ("config", config), ("pipeline", pipeline)];

/// For a fuzz target: turn a failed property into a panic, which libFuzzer reports as a crash.
pub fn enforce(outcome: Result<(), String>) {
    if let Err(problem) = outcome {
        panic!("property violated: {problem}");
    }
}

/// The limits of the binary. Fuzz inputs are small, so only the nesting and alias limits come into
/// play; using the real values checks the configuration users run.
fn limits() -> Limits {
    Limits::default()
}

/// Equal as JSON text: unlike `Value`'s `==`, this also compares key order (serde_json keeps it with
/// `preserve_order`), which kubectl-facing output must keep.
fn identical(a: &Value, b: &Value) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

fn show(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("<{e}>"))
}

/// Which of two item lists differs first, for messages.
fn compare_items(what: &str, expected: &[Value], actual: &[Value]) -> Result<(), String> {
    if expected.len() != actual.len() {
        return Err(format!("{what}: {} items, expected {}", actual.len(), expected.len()));
    }
    match expected.iter().zip(actual).position(|(e, a)| !identical(e, a)) {
        None => Ok(()),
        Some(i) => Err(format!(
            "{what}: item {i} differs:\n  expected {}\n  found    {}",
            show(&expected[i]),
            show(&actual[i])
        )),
    }
}

/// An error that ends a run must explain itself on one line (it becomes the binary's stderr line).
fn one_line_error(error: &mesh_ingress::Error) -> Result<(), String> {
    let message = error.to_string();
    if message.trim().is_empty() || message.contains('\n') {
        return Err(format!("error message is empty or spans lines: {message:?}"));
    }
    Ok(())
}

/// Every result says something, on one line when printed.
fn check_results(what: &str, results: &[KrmResult]) -> Result<(), String> {
    for r in results {
        if r.message.trim().is_empty() {
            return Err(format!("{what}: a result has an empty message: {r:?}"));
        }
        if r.to_line().contains('\n') {
            return Err(format!("{what}: a result prints on several lines: {r:?}"));
        }
    }
    Ok(())
}

/// The ResourceList reader and writer.
pub fn resource_list(bytes: &[u8]) -> Result<(), String> {
    let limits = limits();
    let text = match io::decode_text(bytes, &limits) {
        Ok(text) => text,
        Err(e) => return one_line_error(&e),
    };
    let list = match ResourceList::parse_text(text, &limits) {
        Ok(list) => list,
        Err(e) => return one_line_error(&e),
    };
    if list.segments.len() != list.items.len() {
        return Err(format!("{} segments for {} items", list.segments.len(), list.items.len()));
    }
    // The cut must be usable as `commands::krm` uses it: in bounds, on character boundaries.
    let mut verbatim = Vec::with_capacity(list.segments.len());
    for (i, segment) in list.segments.iter().enumerate() {
        match segment {
            None => verbatim.push(None),
            Some(range) => match text.get(range.clone()) {
                Some(slice) => verbatim.push(Some(slice)),
                None => return Err(format!("segment {i} ({range:?}) is not a slice of the input")),
            },
        }
    }
    let reread = |what: &str, out: &[u8]| -> Result<ResourceList, String> {
        let list = ResourceList::parse(out, &limits).map_err(|e| {
            format!("{what} does not read back: {e}\n--- written:\n{}", String::from_utf8_lossy(out))
        })?;
        if !out.ends_with(b"\n") {
            return Err(format!("{what} does not end with a newline"));
        }
        Ok(list)
    };
    // Written with the input text reused wherever the cut allows it, as `commands::krm` does.
    let mut reused = Vec::new();
    krm::write_list(&list.items, &verbatim, None, &[], &mut reused)
        .map_err(|e| format!("write_list: {e}"))?;
    let back = reread("the list written with reused text", &reused)?;
    compare_items("written with reused text, then read", &list.items, &back.items)?;
    // Written fully re-serialized: the same items, and writing what was read gives the same text.
    let mut serialized = Vec::new();
    krm::write_list(&list.items, &[], None, &[], &mut serialized).map_err(|e| format!("write_list: {e}"))?;
    let back = reread("the re-serialized list", &serialized)?;
    compare_items("re-serialized, then read", &list.items, &back.items)?;
    let mut again = Vec::new();
    krm::write_list(&back.items, &[], None, &[], &mut again).map_err(|e| format!("write_list: {e}"))?;
    if again != serialized {
        return Err(format!(
            "serializing is not stable:\n--- first:\n{}\n--- second:\n{}",
            String::from_utf8_lossy(&serialized),
            String::from_utf8_lossy(&again)
        ));
    }
    Ok(())
}

/// The documents a config input stands for: its YAML documents, or the JSON document when the input
/// is JSON that YAML reads differently or not at all.
fn config_documents(bytes: &[u8]) -> Vec<Value> {
    let limits = limits();
    let Ok(text) = io::decode_text(bytes, &limits) else {
        return Vec::new();
    };
    let mut docs = io::parse_documents(text, "config", &limits).unwrap_or_default();
    docs.truncate(2);
    if let Ok(json) = serde_json::from_str::<Value>(text)
        && !docs.iter().any(|d| d == &json)
    {
        docs.push(json);
    }
    docs
}

/// A MeshIngress with `spec` as its spec, for inputs that are a bare spec.
fn as_spec(spec: Value) -> Value {
    let mut config = Map::new();
    config.insert("apiVersion".to_string(), Value::String(api::API_VERSION.to_string()));
    config.insert("kind".to_string(), Value::String(api::KIND.to_string()));
    let mut metadata = Map::new();
    metadata.insert("name".to_string(), Value::String("fuzz".to_string()));
    config.insert("metadata".to_string(), Value::Object(metadata));
    config.insert("spec".to_string(), spec);
    Value::Object(config)
}

/// Config decoding and the semantic rules.
pub fn config(bytes: &[u8]) -> Result<(), String> {
    for doc in config_documents(bytes) {
        let doc = if doc.get("kind").is_some() { doc } else { as_spec(doc) };
        check_config_value(&doc).map_err(|e| format!("{e}\n--- config: {}", show(&doc)))?;
    }
    Ok(())
}

fn check_config_value(doc: &Value) -> Result<(), String> {
    match api::decode_config(Some(doc)) {
        Ok(config) => {
            if config.instance.is_empty() {
                return Err("decoded without an instance name".to_string());
            }
            let model = model::resolve(&config.instance, &config.spec);
            let results = validate::validate(&model);
            check_results("validate", &results)?;
            if !result::has_errors(&results)
                && let Err(e) = render::render(&model)
            {
                return Err(format!("a config that passes every rule does not render: {e}"));
            }
        }
        Err(error) => {
            if !result::has_errors(&error.results) {
                return Err(format!("decoding failed without an error result: {:?}", error.results));
            }
            check_results("decode", &error.results)?;
            if let Some(recovered) = &error.recovered {
                let results = validate::validate(&model::resolve(&recovered.instance, &recovered.spec));
                check_results("validate (recovered)", &results)?;
            }
        }
    }
    Ok(())
}

/// What one run of the KRM function produced.
struct Run {
    outcome: Result<i32, String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run_krm(input: &[u8]) -> Run {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    // As the binary runs it: on the large worker stack.
    let outcome = commands::on_large_stack(|| {
        commands::krm(input, &limits(), &mut stdout, &mut stderr).map_err(|e| e.to_string())
    })
    .unwrap_or_else(|| Err("cannot start the worker thread".to_string()));
    Run { outcome, stdout, stderr }
}

/// The whole KRM function.
pub fn pipeline(bytes: &[u8]) -> Result<(), String> {
    let first = run_krm(bytes);
    let code = match &first.outcome {
        Err(message) => {
            if message.trim().is_empty() || message.contains('\n') {
                return Err(format!("exit 2 with a message that is empty or spans lines: {message:?}"));
            }
            if !first.stdout.is_empty() {
                return Err(format!(
                    "exit 2 ({message}) after writing to stdout:\n{}",
                    String::from_utf8_lossy(&first.stdout)
                ));
            }
            return Ok(());
        }
        Ok(code) => *code,
    };
    if code != EXIT_OK && code != EXIT_CONFIG_ERROR {
        return Err(format!("exit code {code}"));
    }
    let stdout = std::str::from_utf8(&first.stdout).map_err(|e| format!("stdout is not UTF-8: {e}"))?;
    if !stdout.ends_with('\n') {
        return Err(format!("exit {code} with stdout not ending in a newline: {stdout:?}"));
    }
    let stderr = String::from_utf8_lossy(&first.stderr);
    if let Some(line) = stderr.lines().find(|l| !l.starts_with("mesh-ingress: ")) {
        return Err(format!("stray stderr line: {line:?}"));
    }
    let limits = limits();
    let output = ResourceList::parse_text(stdout, &limits)
        .map_err(|e| format!("exit {code} but stdout does not read back: {e}\n--- stdout:\n{stdout}"))?;
    let doc = io::parse_document(stdout, "stdout", &limits).map_err(|e| e.to_string())?;
    let results: Vec<KrmResult> = match doc.get("results") {
        None => Vec::new(),
        Some(results) => serde_json::from_value(results.clone())
            .map_err(|e| format!("the results do not read back: {e}\n--- stdout:\n{stdout}"))?,
    };
    check_results("stdout", &results)?;
    if result::has_errors(&results) != (code == EXIT_CONFIG_ERROR) {
        return Err(format!("exit {code} but error results: {}\n--- stdout:\n{stdout}", code != 0));
    }
    // krm succeeded, so the input reads.
    let input = ResourceList::parse(bytes, &limits).map_err(|e| format!("the input no longer reads: {e}"))?;
    if code == EXIT_CONFIG_ERROR {
        return compare_items("exit 1: output items against the input items", &input.items, &output.items)
            .map_err(|e| format!("{e}\n--- stdout:\n{stdout}"));
    }
    // Exit 0: what kpt does next time, on the files it wrote: the same items and the same config.
    let Some(function_config) = &input.function_config else {
        return Err("exit 0 without a function config".to_string());
    };
    // The output echoes the function config as it came in, so it is itself the next input.
    if output.function_config.as_ref() != Some(function_config) {
        return Err(format!("the output does not echo the function config\n--- stdout:\n{stdout}"));
    }
    let again = stdout.to_string();
    let second = run_krm(again.as_bytes());
    match &second.outcome {
        Ok(code) if *code == EXIT_OK && second.stdout == first.stdout => Ok(()),
        Ok(code) if *code == EXIT_OK => Err(format!(
            "not a fixed point: the second run changed the output\n--- first:\n{stdout}\n--- second:\n{}",
            String::from_utf8_lossy(&second.stdout)
        )),
        outcome => Err(format!(
            "the second run on the output ended with {outcome:?}:\n{}\n--- second input:\n{again}",
            String::from_utf8_lossy(&second.stderr)
        )),
    }
}
