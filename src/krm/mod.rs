//! The KRM function wire format: `ResourceList` in, `ResourceList` out.
//!
//! See the KRM Functions Specification (kustomize `cmd/config/docs/api-conventions/functions-spec.md`)
//! and `../shared/research/krm-kustomize-kpt-contract.md` for how kustomize v5.5 and kpt
//! 1.0.0-beta.56 really call a function.

pub mod digest;
pub mod io;
pub mod merge;
pub mod merge3;
pub mod object;
pub mod result;
pub mod verbatim;

use crate::error::Error;
use io::Limits;
use result::KrmResult;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::ops::Range;

/// `apiVersion` of the ResourceList this function writes.
pub const RESOURCE_LIST_API_VERSION: &str = "config.kubernetes.io/v1";
/// Older `apiVersion` some orchestrators still send; accepted on input.
pub const RESOURCE_LIST_API_VERSION_BETA: &str = "config.kubernetes.io/v1beta1";
/// `kind` of a ResourceList.
pub const RESOURCE_LIST_KIND: &str = "ResourceList";

/// A parsed ResourceList. Items stay opaque JSON values so that what this function does not own
/// passes through unchanged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceList {
    /// The items, in input order.
    pub items: Vec<Value>,
    /// The function config, when the orchestrator sent one.
    pub function_config: Option<Value>,
    /// Results to report.
    pub results: Vec<KrmResult>,
    /// Where each item's text is in the input, when it can be written back as is
    /// (see [`verbatim`]); empty for lists not parsed from text.
    pub segments: Vec<Option<Range<usize>>>,
    /// Items this function cannot read but kpt accepts (a `.nan` or `1e400` value, a `!!binary`
    /// value that is not UTF-8, a null item): never processed, written back as their text.
    pub opaque: Vec<Opaque>,
}

/// An input item kept only as its text (see [`ResourceList::opaque`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Opaque {
    /// Its position among all input items.
    pub index: usize,
    /// Where its text is in the input.
    pub range: Range<usize>,
    /// Why it could not be read.
    pub reason: String,
}

impl Opaque {
    /// The warning that says the item was passed through unread, naming its file when its text does.
    pub fn result(&self, text: &str) -> KrmResult {
        let item = text.get(self.range.clone()).unwrap_or_default();
        let annotation = |key: &str| {
            item.lines().find_map(|line| {
                let value = line.trim().strip_prefix(key)?.strip_prefix(':')?.trim();
                Some(value.trim_matches(['\'', '"']).to_string())
            })
        };
        let file = annotation(object::PATH_ANNOTATION).map(|path| result::File {
            path,
            index: annotation(object::INDEX_ANNOTATION).and_then(|i| i.parse().ok()).unwrap_or(0),
        });
        KrmResult::warning(format!(
            "items[{}] is passed through untouched and unchecked: mesh-ingress cannot read it ({})",
            self.index, self.reason
        ))
        .in_file(file)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceListOut<'a> {
    api_version: &'static str,
    kind: &'static str,
    items: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    function_config: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[KrmResult]>::is_empty")]
    results: &'a [KrmResult],
}

impl ResourceList {
    /// Parse a ResourceList from input bytes, enforcing `limits`.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        Self::parse_text(io::decode_text(bytes, limits)?, limits)
    }

    /// Parse a ResourceList from text, recording where each item's text is. Items that cannot be
    /// read as JSON-like values but that kpt accepts are kept as text (see [`Self::opaque`]).
    pub fn parse_text(text: &str, limits: &Limits) -> Result<Self, Error> {
        match Self::parse_strict(text, limits) {
            Ok(list) => Ok(list),
            // A safety limit guards against hostile input: such input is refused, never passed on.
            Err(error @ Error::Yaml { .. }) if error.to_string().contains(io::SAFETY_LIMIT) => Err(error),
            Err(error @ (Error::Yaml { .. } | Error::NotResourceList(_))) => {
                Self::parse_tolerant(text, limits).ok_or(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Read each item on its own, keeping those that cannot be read as text. `None` when the layout
    /// cannot be cut into items safely or the rest of the list is unreadable too.
    fn parse_tolerant(text: &str, limits: &Limits) -> Option<Self> {
        let ranges = verbatim::segment(text)?;
        let (first, last) = (ranges.first()?.start, ranges.last()?.end);
        // Everything but the items: the header, functionConfig and whatever follows.
        let rest = format!("{}{}", &text[..first], &text[last..]);
        let mut list = Self::from_value(io::parse_document(&rest, "stdin", limits).ok()?).ok()?;
        if !list.items.is_empty() {
            return None;
        }
        for (index, range) in ranges.into_iter().enumerate() {
            let segment = &text[range.clone()];
            match io::parse_document(segment, "stdin", limits) {
                Ok(Value::Array(mut one)) if one.len() == 1 => {
                    let item = one.remove(0);
                    if item.is_object() {
                        list.segments.push(verbatim::reusable(segment, &item, limits).then_some(range));
                        list.items.push(item);
                    } else {
                        let reason = format!("it is a {}, not a Kubernetes object", type_name(&item));
                        list.opaque.push(Opaque { index, range, reason });
                    }
                }
                // An alias may name an anchor in another item: that text cannot stand alone.
                Err(_) if segment.contains('*') => return None,
                Err(error) if error.to_string().contains(io::SAFETY_LIMIT) => return None,
                Err(Error::Yaml { message, .. }) => {
                    // The position is within the item's own text, which would mislead; the parser's
                    // advice is about its Rust options.
                    let reason = message.split(" at line ").next().unwrap_or(&message);
                    let reason = reason.split(". If you").next().unwrap_or(reason).to_string();
                    list.opaque.push(Opaque { index, range, reason });
                }
                _ => return None,
            }
        }
        Some(list)
    }

    fn parse_strict(text: &str, limits: &Limits) -> Result<Self, Error> {
        let docs = io::parse_documents(text, "stdin", limits)?;
        let doc = match docs.len() {
            0 => return Err(Error::EmptyInput),
            1 => docs.into_iter().next().unwrap_or_default(),
            n => {
                return Err(Error::NotResourceList(format!(
                    "stdin holds {n} YAML documents, expected one ResourceList \
                     (to render a plain YAML stream, use `mesh-ingress render CONFIG -`)"
                )));
            }
        };
        let mut list = Self::from_value(doc)?;
        list.segments = verbatim::item_segments(text, &list.items, limits);
        Ok(list)
    }

    /// Build a ResourceList from an already parsed document.
    pub fn from_value(doc: Value) -> Result<Self, Error> {
        let Value::Object(mut map) = doc else {
            return Err(Error::NotResourceList(format!(
                "the document is a {}, not a mapping",
                type_name(&doc)
            )));
        };
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind != RESOURCE_LIST_KIND {
            return Err(Error::NotResourceList(format!(
                "kind is {kind:?}, expected \"ResourceList\" (apiVersion: {RESOURCE_LIST_API_VERSION})"
            )));
        }
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if api_version != RESOURCE_LIST_API_VERSION && api_version != RESOURCE_LIST_API_VERSION_BETA {
            return Err(Error::NotResourceList(format!(
                "apiVersion is {api_version:?}, expected {RESOURCE_LIST_API_VERSION:?}"
            )));
        }
        let items = match map.remove("items") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(Error::NotResourceList(format!(
                    "items is a {}, expected a list",
                    type_name(&other)
                )));
            }
        };
        if let Some((index, item)) = items.iter().enumerate().find(|(_, item)| !item.is_object()) {
            return Err(Error::NotResourceList(format!(
                "items[{index}] is a {}, expected a Kubernetes object",
                type_name(item)
            )));
        }
        let function_config = match map.remove("functionConfig") {
            None | Some(Value::Null) => None,
            Some(config) => Some(config),
        };
        Ok(ResourceList { items, function_config, ..Default::default() })
    }

    /// Write the ResourceList (items, the function config as received, and results) as block YAML.
    pub fn write(&self, out: &mut dyn std::io::Write) -> Result<(), Error> {
        let doc = ResourceListOut {
            api_version: RESOURCE_LIST_API_VERSION,
            kind: RESOURCE_LIST_KIND,
            items: &self.items,
            function_config: self.function_config.as_ref(),
            results: &self.results,
        };
        io::write_yaml(&doc, out)
    }
}

/// Write a ResourceList whose items are either reused input text (`Some`) or serialized (`None`).
///
/// Items are written one by one as entries of a block sequence at column 0, the layout kpt and
/// kustomize use, so text reused from the input lands exactly where it was. The `function_config`
/// goes back as it came in, as kyaml's framework and the kpt SDK do, so the output is itself a
/// complete input: `mesh-ingress < in | mesh-ingress` renders the same again.
pub fn write_list(
    items: &[Value],
    verbatim: &[Option<&str>],
    function_config: Option<&Value>,
    results: &[KrmResult],
    out: &mut dyn Write,
) -> Result<(), Error> {
    fn put(w: &mut impl Write, bytes: &[u8]) -> Result<(), Error> {
        w.write_all(bytes).map_err(Error::Write)
    }
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    put(&mut w, format!("apiVersion: {RESOURCE_LIST_API_VERSION}\nkind: {RESOURCE_LIST_KIND}\n").as_bytes())?;
    put(&mut w, if items.is_empty() { b"items: []\n" } else { b"items:\n" })?;
    for (index, item) in items.iter().enumerate() {
        if let Some(text) = verbatim.get(index).copied().flatten() {
            put(&mut w, text.as_bytes())?;
            put(&mut w, b"\n")?;
            continue;
        }
        let yaml = io::to_yaml(item)?;
        for (line_number, line) in yaml.lines().enumerate() {
            let prefix: &[u8] = if line_number == 0 {
                b"- "
            } else if line.is_empty() {
                b""
            } else {
                b"  "
            };
            put(&mut w, prefix)?;
            put(&mut w, line.as_bytes())?;
            put(&mut w, b"\n")?;
        }
    }
    if let Some(function_config) = function_config {
        let mut wrapper = serde_json::Map::new();
        wrapper.insert("functionConfig".to_string(), function_config.clone());
        put(&mut w, io::to_yaml(&Value::Object(wrapper))?.as_bytes())?;
    }
    if !results.is_empty() {
        #[derive(Serialize)]
        struct Results<'a> {
            results: &'a [KrmResult],
        }
        put(&mut w, io::to_yaml_value(&Results { results })?.as_bytes())?;
    }
    w.flush().map_err(Error::Write)
}

/// A short name for the JSON type of a value, for messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_items_and_function_config() {
        let input = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: function-input}\n";
        let rl = ResourceList::parse(input, &Limits::default()).unwrap();
        assert_eq!(rl.items.len(), 1);
        assert!(rl.function_config.is_some());
    }

    #[test]
    fn rejects_other_documents_with_a_reason() {
        let err = ResourceList::parse(b"apiVersion: v1\nkind: ConfigMap\n", &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("kind is \"ConfigMap\""), "{err}");
        let err = ResourceList::parse(b"- a\n", &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("not a mapping"), "{err}");
        let err = ResourceList::parse(b"", &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::EmptyInput));
        let err = ResourceList::parse(
            b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [1]\n",
            &Limits::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("items[0]"), "{err}");
    }

    #[test]
    fn keeps_unreadable_items_as_text() {
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n  x: .nan\n- null\n- apiVersion: v1\n  kind: B\n  metadata: {name: b}\nfunctionConfig: {kind: X}\n";
        let list = ResourceList::parse_text(text, &Limits::default()).unwrap();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.function_config, Some(serde_json::json!({"kind": "X"})));
        let kept: Vec<(usize, &str)> =
            list.opaque.iter().map(|o| (o.index, &text[o.range.clone()])).collect();
        assert_eq!(
            kept,
            [(0, "- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n  x: .nan"), (1, "- null")]
        );
        // An item that may alias another cannot stand alone: the parse error stands.
        let alias =
            "kind: ResourceList\napiVersion: config.kubernetes.io/v1\nitems:\n- a: &x .nan\n- b: *x\n";
        assert!(matches!(ResourceList::parse_text(alias, &Limits::default()), Err(Error::Yaml { .. })));
    }

    #[test]
    fn writes_results_only_when_present() {
        let mut rl = ResourceList::default();
        let mut out = Vec::new();
        rl.write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n");
        rl.results.push(KrmResult::error("boom"));
        let mut out = Vec::new();
        rl.write(&mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("results:"));
    }
}
