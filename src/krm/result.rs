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
            message: limit_message(message.into()),
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
    /// A large value is cut (see [`limit_value`]), so a result never carries megabytes of input.
    pub fn at(mut self, path: impl Into<String>, value: Option<serde_json::Value>) -> Self {
        let current_value = value.map(limit_value);
        self.field = Some(Field { path: path.into(), current_value, proposed_value: None });
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

/// How much of a user's value a message or result quotes, in bytes. Enough to recognize the value;
/// a bad value can be megabytes long, and quoting it whole in every message that names it would
/// multiply the input in memory, on stderr and in the output.
pub const QUOTE_LIMIT: usize = 200;

/// `text` as it is quoted in messages: whole when short, else its first [`QUOTE_LIMIT`] bytes (cut at
/// a character boundary), an ellipsis and its full length. The one place values are shortened.
pub fn shorten(text: &str) -> String {
    if text.len() <= QUOTE_LIMIT {
        return text.to_string();
    }
    let cut = (0..=QUOTE_LIMIT).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    format!("{}... ({} characters)", &text[..cut], text.chars().count())
}

/// A value as a message quotes it: a string in double quotes, anything else as JSON (a mapping or a
/// list as `{...}` or `[...]`), shortened like [`shorten`].
pub fn quote(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if s.len() > QUOTE_LIMIT => format!("{:?}", shorten(s)),
        serde_json::Value::String(s) => format!("{s:?}"),
        serde_json::Value::Object(_) => "{...}".to_string(),
        serde_json::Value::Array(_) => "[...]".to_string(),
        other => shorten(&other.to_string()),
    }
}

/// The longest message a result carries, in bytes; lists of objects in a message stop well before.
pub const MESSAGE_LIMIT: usize = 4096;

/// A message with every long word (a value quoted in it, typically) shortened like [`shorten`], and
/// the whole cut at [`MESSAGE_LIMIT`]: the backstop that keeps one huge value from being repeated in
/// full by every rule that names it.
pub fn limit_message(message: String) -> String {
    if message.len() <= QUOTE_LIMIT {
        return message;
    }
    let mut out = String::with_capacity(message.len().min(MESSAGE_LIMIT + 64));
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.len() > QUOTE_LIMIT {
            // Keep a closing quote (and what follows it, such as `:` or `,`) so the text still reads.
            let head = if word.starts_with('"') { "\"" } else { "" };
            let tail = word.rfind('"').filter(|&q| q > 0 && word.len() - q <= 3).map_or("", |q| &word[q..]);
            out.push_str(head);
            out.push_str(&shorten(&word[head.len()..word.len() - tail.len()]));
            out.push_str(tail);
        } else {
            out.push_str(word);
        }
        if out.len() > MESSAGE_LIMIT {
            break;
        }
    }
    if out.len() > MESSAGE_LIMIT {
        let cut = (0..=MESSAGE_LIMIT).rev().find(|&i| out.is_char_boundary(i)).unwrap_or(0);
        out.truncate(cut);
        out.push_str(&format!("... (message cut; {} characters in all)", message.chars().count()));
    }
    out
}

/// A value for a result's `currentValue`: itself when small, else a string holding its shortened
/// text, so a result stays small whatever the input held.
pub fn limit_value(value: serde_json::Value) -> serde_json::Value {
    match &value {
        serde_json::Value::String(s) if s.len() > QUOTE_LIMIT => serde_json::Value::String(shorten(s)),
        serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
            let text = value.to_string();
            if text.len() > QUOTE_LIMIT { serde_json::Value::String(shorten(&text)) } else { value }
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_quoted_shortened_once() {
        let long = "a".repeat(10_000);
        assert_eq!(shorten("short"), "short");
        let short = shorten(&long);
        assert!(short.len() < QUOTE_LIMIT + 40 && short.ends_with("... (10000 characters)"), "{short}");
        let message =
            KrmResult::error(format!("gateway name {long:?} is not valid: it is 10000 characters long"))
                .message;
        assert!(
            message.starts_with("gateway name \"aaa")
                && message.ends_with("... (10000 characters)\" is not valid: it is 10000 characters long"),
            "{message}"
        );
        let many = KrmResult::error(vec!["word"; 10_000].join(" ")).message;
        assert!(
            many.len() < MESSAGE_LIMIT + 100 && many.ends_with("(message cut; 49999 characters in all)"),
            "{many}"
        );
        let result = KrmResult::error("x").at("spec.a", Some(serde_json::Value::String(long)));
        let value = result.field.and_then(|f| f.current_value).unwrap_or_default();
        assert!(value.as_str().is_some_and(|v| v.len() < QUOTE_LIMIT + 40), "{value}");
    }

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
