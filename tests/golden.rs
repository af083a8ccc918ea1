//! Golden end-to-end cases: `tests/golden/<case>/` holds a config (`config.yaml`, or `config.from`
//! naming a config file relative to the repository root), optional input items (`input.yaml`, a YAML
//! stream), and the expected output ResourceList (`expected.yaml`).
//!
//! Each case runs twice through the KRM entry point: the output must equal `expected.yaml` byte for
//! byte, and feeding the output items back in with the same config must change nothing (the fixed
//! point kpt's e2e runner also checks). The exit code must be 1 exactly when a result is an error.
//!
//! A case may also hold `previous.yaml` (configs rendered before, in order, as a kpt pipeline would)
//! and `edits.yaml` (what a user changed afterwards): then the input is what they produce (see
//! `support/golden_cases.rs`), which keeps cases about re-rendering, edits and renames true whenever
//! rendering changes.
//!
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expected files; review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/golden_cases.rs"]
mod golden_cases;

use golden_cases::{Case, cases, run_krm};

fn check(case: &Case) -> Result<(), String> {
    let first = run_krm(&case.config, &case.input)?;
    let expected_path = case.dir.join("expected.yaml");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &first.stdout).map_err(|e| e.to_string())?;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .map_err(|e| format!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", expected_path.display()))?;
    if first.stdout != expected {
        return Err(format!(
            "output differs from {}:\n{}",
            expected_path.display(),
            golden_cases::diff(&expected, &first.stdout)
        ));
    }
    let has_errors =
        first.list["results"].as_array().is_some_and(|r| r.iter().any(|r| r["severity"] == "error"));
    if first.code != i32::from(has_errors) {
        return Err(format!("exit code {} but error results: {has_errors}", first.code));
    }
    // The case name states the intent, so a regenerated expectation cannot quietly record a failure.
    if has_errors != case.name.starts_with("error-") {
        return Err(format!(
            "case {} {} errors; only cases named error-* may fail:\n{}",
            case.name,
            if has_errors { "reports" } else { "reports no" },
            first.stderr
        ));
    }
    // Second run on the function's own output: no item may change. (Results may: a one-time event
    // such as taking objects over from a renamed instance is reported once.)
    let items: Vec<serde_json::Value> = first.list["items"].as_array().cloned().unwrap_or_default();
    let second = run_krm(&case.config, &items)?;
    let items_text =
        |run: &golden_cases::Run| mesh_ingress::krm::io::to_yaml(&run.list["items"]).unwrap_or_default();
    if items_text(&second) != items_text(&first) || second.code != first.code {
        return Err(format!(
            "second run changed the items or the exit code (not a fixed point):\n{}",
            golden_cases::diff(&items_text(&first), &items_text(&second))
        ));
    }
    Ok(())
}

#[test]
fn golden_cases() {
    let cases = cases();
    assert!(cases.len() >= 10, "expected the golden cases under tests/golden, found {}", cases.len());
    let failures: Vec<String> =
        cases.iter().filter_map(|case| check(case).err().map(|e| format!("== {}: {e}", case.name))).collect();
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
