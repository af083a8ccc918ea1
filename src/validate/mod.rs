//! Semantic rules: everything the schema cannot express. Every rule runs, so a config's problems are
//! all reported at once; each finding names the field path, the value and what was expected, and
//! carries the istioctl analyzer code where one fits (`../shared/reference/istioctl-analyzer-codes.tsv`).

pub mod access;
pub mod certificates;
pub mod control_plane;
pub mod gateway_api;
pub mod gateways;
pub mod general;
pub mod mesh;
pub mod metadata;
pub mod multicluster;
pub mod names;
pub mod re2;
pub mod routes;

use crate::krm::result::KrmResult;
use crate::model::Model;
use serde_json::Value;

/// Collects findings.
#[derive(Debug, Default)]
pub struct Findings {
    /// The findings, in the order rules found them.
    pub results: Vec<KrmResult>,
}

impl Findings {
    /// An error at `path`.
    pub fn error(
        &mut self,
        path: impl Into<String>,
        value: Option<Value>,
        message: impl Into<String>,
    ) -> &mut KrmResult {
        self.push(KrmResult::error(message).at(path, value))
    }

    /// A warning at `path`.
    pub fn warning(
        &mut self,
        path: impl Into<String>,
        value: Option<Value>,
        message: impl Into<String>,
    ) -> &mut KrmResult {
        self.push(KrmResult::warning(message).at(path, value))
    }

    /// An info result at `path`.
    pub fn info(
        &mut self,
        path: impl Into<String>,
        value: Option<Value>,
        message: impl Into<String>,
    ) -> &mut KrmResult {
        self.push(KrmResult::info(message).at(path, value))
    }

    fn push(&mut self, result: KrmResult) -> &mut KrmResult {
        self.results.push(result);
        let last = self.results.len() - 1;
        &mut self.results[last]
    }

    /// Check a name with `check`, reporting "<what> <name> is not valid: <reason>".
    pub fn name(&mut self, path: &str, what: &str, name: &str, check: fn(&str) -> Result<(), String>) {
        if let Err(reason) = check(name) {
            self.error(
                path,
                Some(Value::String(name.to_string())),
                format!("{what} {name:?} is not valid: {reason}"),
            );
        }
    }
}

/// A string as a result value.
pub fn text(value: &str) -> Option<Value> {
    Some(Value::String(value.to_string()))
}

/// Run every rule.
pub fn validate(model: &Model) -> Vec<KrmResult> {
    let mut findings = Findings::default();
    general::check(model, &mut findings);
    gateways::check(model, &mut findings);
    certificates::check(model, &mut findings);
    mesh::check(model, &mut findings);
    routes::check(model, &mut findings);
    gateway_api::check(model, &mut findings);
    multicluster::check(model, &mut findings);
    metadata::check(model, &mut findings);
    access::check(model, &mut findings);
    control_plane::check(model, &mut findings);
    findings.results
}
