//! Structured function results, as the KRM functions specification defines them.
//!
//! A result is how a user learns what is wrong with their config: kpt prints every result, and
//! the binary also writes errors and warnings to stderr because kustomize never prints results.
//! Every result built from a config problem names the field path, the value found and what was
//! expected, so it can be acted on without reading this project's source.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// How serious a result is. `Error` makes the function exit non-zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The config cannot be rendered; nothing is generated.
    Error,
    /// The config renders, but something is probably not what the user wants.
    Warning,
    /// Something the user may want to know.
    Info,
}

impl Severity {
    /// The lowercase spelling used on the wire and on stderr.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The object a result is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `group/version` of the object.
    pub api_version: String,
    /// Kind of the object.
    pub kind: String,
    /// Name of the object.
    pub name: String,
    /// Namespace of the object, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The field a result is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// Dotted path with list indexes, for example `spec.gateways[1].servers[0].tls.mode`.
    pub path: String,
    /// The value found at the path, when there is one worth showing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_value: Option<serde_json::Value>,
    /// A value that would fix the problem, when there is an obvious one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_value: Option<serde_json::Value>,
}

/// The file a result is about (relative, slash-delimited, as the orchestrator named it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct File {
    /// Path of the file.
    pub path: String,
    /// Index of the document within the file.
    #[serde(default)]
    pub index: u64,
}

/// One structured result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KrmResult {
    /// Human-readable message; self-contained, since kustomize users see only this text.
    pub message: String,
    /// Severity of the result.
    pub severity: Severity,
    /// The object the result is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_ref: Option<ResourceRef>,
    /// The field the result is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The file the result is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<File>,
    /// Machine-readable tags, such as the istioctl analyzer code (`code: IST0145`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl KrmResult {
    /// A result with only a message and a severity.
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        KrmResult {
            message: message.into(),
            severity,
            resource_ref: None,
            field: None,
            file: None,
            tags: BTreeMap::new(),
        }
    }

    /// An error result.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    /// A warning result.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    /// An info result.
    pub fn info(message: impl Into<String>) -> Self {
        Self::new(Severity::Info, message)
    }

    /// Attach the field path and, optionally, the value found there.
    pub fn at(mut self, path: impl Into<String>, value: Option<serde_json::Value>) -> Self {
        self.field = Some(Field { path: path.into(), current_value: value, proposed_value: None });
        self
    }

    /// Attach a value that would fix the problem (requires a field; ignored otherwise).
    pub fn proposing(mut self, value: serde_json::Value) -> Self {
        if let Some(field) = self.field.as_mut() {
            field.proposed_value = Some(value);
        }
        self
    }

    /// Attach an istioctl analyzer code (see `istioctl analyze`), as a tag and a message prefix.
    pub fn code(mut self, code: &str) -> Self {
        self.tags.insert("code".to_string(), code.to_string());
        self
    }

    /// Attach an istioctl analyzer code in place.
    pub fn set_code(&mut self, code: &str) -> &mut Self {
        self.tags.insert("code".to_string(), code.to_string());
        self
    }

    /// Attach the object the result is about.
    pub fn about(mut self, resource: ResourceRef) -> Self {
        self.resource_ref = Some(resource);
        self
    }

    /// Attach the file the result is about.
    pub fn in_file(mut self, file: Option<File>) -> Self {
        if file.is_some() {
            self.file = file;
        }
        self
    }

    /// The analyzer code, if one was attached.
    pub fn analyzer_code(&self) -> Option<&str> {
        self.tags.get("code").map(String::as_str)
    }

    /// One line for stderr: `error: spec.x: message [IST0101] (file.yaml)`.
    pub fn to_line(&self) -> String {
        let mut line = format!("{}: ", self.severity.as_str());
        if let Some(field) = &self.field {
            line.push_str(&field.path);
            line.push_str(": ");
        }
        line.push_str(&self.message);
        // Many messages name their code already ("... (IST0106)"); say it once.
        if let Some(code) = self.analyzer_code().filter(|code| !self.message.contains(code)) {
            line.push_str(&format!(" [{code}]"));
        }
        if let Some(file) = &self.file {
            line.push_str(&format!(" ({})", file.path));
        }
        // A result message must stay on one line on stderr.
        line.replace('\n', " ")
    }
}

/// Sort results the way kpt's SDK does (file, then severity, then message), with the field path as
/// a final key so the order is total and the output deterministic.
pub fn sort_results(results: &mut [KrmResult]) {
    results.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then(a.severity.cmp(&b.severity))
            .then_with(|| field_path(a).cmp(field_path(b)))
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| cmp_refs(a, b))
    });
}

fn field_path(result: &KrmResult) -> &str {
    result.field.as_ref().map(|f| f.path.as_str()).unwrap_or("")
}

fn cmp_refs(a: &KrmResult, b: &KrmResult) -> Ordering {
    a.resource_ref.cmp(&b.resource_ref)
}

/// Whether any result is an error (the function then exits 1).
pub fn has_errors(results: &[KrmResult]) -> bool {
    results.iter().any(|r| r.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_errors_before_warnings_and_by_path() {
        let mut results = vec![
            KrmResult::warning("w").at("spec.b", None),
            KrmResult::error("e2").at("spec.b", None),
            KrmResult::error("e1").at("spec.a", None),
        ];
        sort_results(&mut results);
        let order: Vec<&str> = results.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(order, ["e1", "e2", "w"]);
    }

    #[test]
    fn line_is_single_line_and_carries_code() {
        let r = KrmResult::error("two\nlines").at("spec.x", None).code("IST0145");
        assert_eq!(r.to_line(), "error: spec.x: two lines [IST0145]");
        let named = KrmResult::warning("no TLS here (IST0106); drop it").code("IST0106");
        assert_eq!(named.to_line(), "warning: no TLS here (IST0106); drop it");
    }

    #[test]
    fn serializes_camel_case_without_empty_fields() {
        let r = KrmResult::error("bad").at("spec.x", Some(serde_json::json!(7)));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"message": "bad", "severity": "error", "field": {"path": "spec.x", "currentValue": 7}})
        );
    }
}
