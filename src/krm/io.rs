//! YAML in and out: the only place that parses input bytes and serializes output.
//!
//! Items are kept as `serde_json::Value` (with `preserve_order`), so an item this function does
//! not own goes out exactly as kubectl would read it in: same keys, same key order, same values.
//! serde-saphyr is used in both directions because it quotes every scalar that a YAML 1.1 reader
//! (kubectl, Argo CD) would otherwise retype: `"yes"`, `"on"`, `"0123"`, `"1e3"`, `"<<"` (see
//! `../shared/research/rust-crates-and-yaml.md`).
//!
//! Parsing follows YAML 1.1 where kubectl does: unquoted `yes`/`on` are booleans and a leading-zero
//! integer such as `0755` is octal, so a value reads the same here as in `kubectl apply`.

use crate::error::Error;
use serde_json::Value;
use std::io::Write;

/// Resource limits applied while reading input, so hostile input ends in a clear error rather
/// than exhausting memory or the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_input_bytes: usize,
    /// Deepest accepted nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most YAML nodes accepted in one input.
    pub max_nodes: usize,
    /// Most alias (`*name`) references accepted in one input.
    pub max_aliases: usize,
    /// Most events an alias may replay in total (guards against "billion laughs" alias bombs).
    pub max_alias_replay: usize,
}

impl Limits {
    /// Default largest input: 512 MiB, five times a 100,000-item ResourceList of 1 KB items.
    pub const DEFAULT_MAX_INPUT_BYTES: usize = 512 * 1024 * 1024;
    /// Default nesting limit. Real objects stay far below it (the deepest upstream CRD in
    /// `../shared/crds` nests 38 levels), and it keeps recursion well inside the stack.
    pub const DEFAULT_MAX_DEPTH: usize = 256;

    /// The limits, with `MESH_INGRESS_MAX_INPUT_BYTES` honoured when it is a valid number.
    pub fn from_env() -> Self {
        let mut limits = Limits::default();
        if let Some(bytes) =
            std::env::var("MESH_INGRESS_MAX_INPUT_BYTES").ok().and_then(|v| v.trim().parse::<usize>().ok())
        {
            limits.max_input_bytes = bytes;
        }
        limits
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: Self::DEFAULT_MAX_INPUT_BYTES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            // Large enough for 100,000 ordinary objects; the parser's own default (250,000) is not.
            max_nodes: 200_000_000,
            max_aliases: 50_000,
            max_alias_replay: 1_000_000,
        }
    }
}

fn parse_options(limits: &Limits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = limits.max_nodes;
    // Every node costs about two events; comments and document markers add a few more.
    budget.max_events = limits.max_nodes.saturating_mul(4);
    budget.max_depth = limits.max_depth;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    budget.max_total_scalar_bytes = limits.max_input_bytes;
    budget.max_total_comment_bytes = limits.max_input_bytes;
    budget.max_reader_input_bytes = Some(limits.max_input_bytes);
    budget.max_documents = usize::MAX;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = limits.max_alias_replay;
    // kubectl (go-yaml v2) reads `0755` as octal 493; read it the same way.
    options.legacy_octal_numbers = true;
    // A one-line message is what stderr and results need; snippets span several lines.
    options.with_snippet = false;
    options
}

fn serializer_options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Keep long single-line strings (JSON blobs in annotations, certificates) on one line instead of
    // folding them; multi-line strings still use literal block scalars.
    options.folded_wrap_chars = usize::MAX;
    options
}

/// A JSON value as serde-saphyr should write it for Kubernetes readers.
///
/// serde-saphyr writes multi-line strings as literal block scalars. go-yaml (kubectl, kustomize, Argo
/// CD) rejects a block scalar whose first content line starts with a tab ("found a tab character
/// where an indentation space is expected", yaml/go-yaml#383), so such strings are double-quoted.
struct KubeYaml<'a>(&'a Value);

fn tab_leads_a_line(s: &str) -> bool {
    s.contains('\n') && (s.starts_with('\t') || s.contains("\n\t"))
}

impl serde::Serialize for KubeYaml<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::String(s) if tab_leads_a_line(s) => {
                serde_saphyr::DoubleQuoted(s.as_str()).serialize(serializer)
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&KubeYaml(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    out.serialize_entry(key, &KubeYaml(value))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Check size and encoding, returning the input as text.
pub fn decode_text<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str, Error> {
    if bytes.len() > limits.max_input_bytes {
        return Err(Error::InputTooLarge { size: bytes.len(), limit: limits.max_input_bytes });
    }
    std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 { offset: e.valid_up_to() })
}

/// How a parse error caused by a safety limit (nesting, nodes, aliases, size) begins.
pub const SAFETY_LIMIT: &str = "input exceeds a safety limit";

/// A parse error on one line; when a safety limit stopped the parser, which limit, in the user's
/// terms, rather than the parser's internal counter names.
fn parse_message(error: &serde_saphyr::Error, limits: &Limits) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let mut inner = error;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let aliases =
        format!("more alias expansion than the limit (alias bomb guard, {} events)", limits.max_alias_replay);
    let limit = match inner {
        E::Budget { breach: B::Depth { .. }, .. } => {
            Some(format!("nesting deeper than {} levels", limits.max_depth))
        }
        E::Budget { breach: B::Nodes { .. } | B::Events { .. }, .. } => {
            Some(format!("more than {} YAML nodes", limits.max_nodes))
        }
        E::Budget { breach: B::Aliases { .. } | B::Anchors { .. }, .. } => {
            Some(format!("more than {} anchors or aliases", limits.max_aliases))
        }
        E::Budget {
            breach:
                B::RecordedAnchorEvents { .. } | B::RecordedAnchorBytes { .. } | B::AliasAnchorRatio { .. },
            ..
        }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => Some(aliases),
        E::Budget { breach: B::InputBytes { .. }, .. } => {
            Some(format!("more than {} bytes", limits.max_input_bytes))
        }
        // The scanner's own nesting guard reports only this text (granit-parser RecursionLimitExceeded).
        _ if inner.to_string().contains("recursion limit exceeded") => {
            Some(format!("nesting deeper than {} levels", limits.max_depth))
        }
        _ => None,
    };
    match (limit, inner.location()) {
        (Some(limit), Some(at)) => {
            format!("{SAFETY_LIMIT}: {limit} (line {}, column {})", at.line(), at.column())
        }
        (Some(limit), None) => format!("{SAFETY_LIMIT}: {limit}"),
        (None, at) => match key_problem(&inner.to_string()) {
            // Items are read into JSON values, so the only strings the reader is ever asked for are
            // mapping keys; serde's own wording ("use Option<String>") would point at Rust, not YAML.
            Some(problem) => match at {
                Some(at) => format!("{problem} (line {}, column {})", at.line(), at.column()),
                None => problem.to_string(),
            },
            None => one_line(error),
        },
    }
}

/// The user-facing cause when a mapping key is not a string.
fn key_problem(text: &str) -> Option<&'static str> {
    if text.starts_with("cannot deserialize null into string") {
        Some("a mapping key is null or empty; Kubernetes objects need string keys (quote it: \"null\": ...)")
    } else if text.starts_with("expected string scalar") {
        Some("a mapping key is a sequence or a mapping; Kubernetes objects need string keys")
    } else {
        None
    }
}

fn one_line(message: impl std::fmt::Display) -> String {
    let text = message.to_string();
    let mut parts = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out = parts.next().unwrap_or("unknown error").to_string();
    for part in parts {
        out.push_str("; ");
        out.push_str(part);
    }
    out
}

/// Parse every YAML document in `text` (empty documents are skipped).
pub fn parse_documents(text: &str, what: &str, limits: &Limits) -> Result<Vec<Value>, Error> {
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, parse_options(limits))
        .map_err(|e| Error::Yaml { what: what.to_string(), message: parse_message(&e, limits) })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Parse exactly one YAML document.
pub fn parse_document(text: &str, what: &str, limits: &Limits) -> Result<Value, Error> {
    let mut docs = parse_documents(text, what, limits)?;
    match docs.len() {
        0 => Err(Error::EmptyInput),
        1 => Ok(docs.remove(0)),
        n => Err(Error::BadInput(format!("{what} holds {n} YAML documents; expected one"))),
    }
}

/// Serialize one value as a block-style YAML document (no leading `---`).
pub fn to_yaml(value: &Value) -> Result<String, Error> {
    serde_saphyr::to_string_with_options(&KubeYaml(value), serializer_options())
        .map_err(|e| Error::Serialize(one_line(e)))
}

/// Serialize any serializable value as a block-style YAML document.
pub fn to_yaml_value(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_saphyr::to_string_with_options(value, serializer_options())
        .map_err(|e| Error::Serialize(one_line(e)))
}

/// Write one value as a block-style YAML document.
pub fn write_yaml(value: &impl serde::Serialize, out: &mut dyn Write) -> Result<(), Error> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_saphyr::to_io_writer_with_options(&mut buffered, value, serializer_options())
        .map_err(|e| Error::Serialize(one_line(e)))?;
    buffered.flush().map_err(Error::Write)
}

/// Write values as a multi-document YAML stream, each document introduced by `---`.
///
/// This is the format `kustomize build`, the legacy exec plugin protocol and Argo CD read.
pub fn write_stream(values: &[Value], out: &mut dyn Write) -> Result<(), Error> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    for value in values {
        buffered.write_all(b"---\n").map_err(Error::Write)?;
        serde_saphyr::to_io_writer_with_options(&mut buffered, &KubeYaml(value), serializer_options())
            .map_err(|e| Error::Serialize(one_line(e)))?;
    }
    buffered.flush().map_err(Error::Write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) -> Value {
        let text = to_yaml(v).unwrap();
        parse_document(&text, "test", &Limits::default()).unwrap()
    }

    #[test]
    fn quotes_yaml_11_traps() {
        let v = json!({"a": "yes", "b": "on", "c": "0123", "d": "1e3", "e": "~", "<<": "x", "f": "y"});
        assert_eq!(roundtrip(&v), v);
        let text = to_yaml(&v).unwrap();
        assert!(text.contains("\"yes\"") || text.contains("'yes'"), "{text}");
    }

    #[test]
    fn reads_unquoted_values_like_kubectl() {
        let v = parse_document("a: yes\nb: 0755\nc: on\nd: 1e3\n", "t", &Limits::default()).unwrap();
        assert_eq!(v["a"], json!(true));
        assert_eq!(v["b"], json!(493));
        assert_eq!(v["c"], json!(true));
        assert_eq!(v["d"].as_f64(), Some(1000.0));
    }

    #[test]
    fn keeps_key_order_and_block_scalars() {
        let v = json!({"z": 1, "a": "line1\nline2\n", "m": {"y": true, "b": [1, 2]}});
        assert_eq!(roundtrip(&v), v);
        let back = roundtrip(&v);
        let keys: Vec<&String> = back.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn multi_line_strings_with_a_leading_tab_are_quoted() {
        let v = json!({"a": "\tyes\n", "b": "x\n\ty\n", "c": "plain\nlines\n"});
        let text = to_yaml(&v).unwrap();
        assert!(text.contains("a: \"\\tyes\\n\""), "{text}");
        assert!(text.contains("c: |"), "{text}");
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn rejects_deep_nesting_with_a_clear_error() {
        crate::commands::on_large_stack(deep_nesting).unwrap();
    }

    fn deep_nesting() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse_document(&deep, "stdin", &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::Yaml { .. }), "{err}");
        let block: String = (0..10_000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        let err = parse_document(&block, "stdin", &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::Yaml { .. }), "{err}");
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn accepts_nesting_up_to_the_limit() {
        crate::commands::on_large_stack(|| {
            let depth = Limits::DEFAULT_MAX_DEPTH - 2;
            let doc = format!("a: {}1{}", "[".repeat(depth), "]".repeat(depth));
            let value = parse_document(&doc, "stdin", &Limits::default()).unwrap();
            assert_eq!(roundtrip(&value), value);
        })
        .unwrap();
    }

    #[test]
    fn keys_that_are_not_strings_are_named_as_such() {
        for (doc, want) in [
            ("a: 1\n: x\n", "a mapping key is null or empty"),
            ("a: 1\n~: x\n", "a mapping key is null or empty"),
            ("a: 1\n? [b, c]\n: x\n", "a mapping key is a sequence or a mapping"),
            ("a: 1\n? {b: c}\n: x\n", "a mapping key is a sequence or a mapping"),
        ] {
            let err = parse_document(doc, "stdin", &Limits::default()).unwrap_err().to_string();
            assert!(err.contains(want) && err.contains("(line "), "{doc:?}: {err}");
            assert!(!err.contains("Option<"), "{err}");
        }
    }

    #[test]
    fn rejects_alias_bombs() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse_document(&doc, "stdin", &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::Yaml { .. }), "{err}");
    }

    #[test]
    fn names_the_safety_limit_that_stopped_the_parser() {
        let message =
            |doc: &str, limits: &Limits| parse_document(doc, "stdin", limits).unwrap_err().to_string();
        let limits = Limits { max_depth: 8, ..Limits::default() };
        let flow = format!("a: {}1{}", "[".repeat(20), "]".repeat(20));
        assert!(message(&flow, &limits).contains("safety limit: nesting deeper than 8 levels"));
        let block: String = (0..20).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert!(message(&block, &limits).contains("safety limit: nesting deeper than 8 levels"));
        let mut bomb = String::from("x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..8 {
            bomb.push_str(&format!("x{i}: &x{i} [{}]\n", vec![format!("*x{}", i - 1); 10].join(", ")));
        }
        assert!(message(&bomb, &Limits::default()).contains("safety limit: more alias expansion"));
        let anchors: String = (0..20).map(|i| format!("- &a{i} 1\n")).collect();
        let limits = Limits { max_aliases: 10, ..Limits::default() };
        assert!(message(&anchors, &limits).contains("safety limit: more than 10 anchors or aliases"));
        let limits = Limits { max_nodes: 10, ..Limits::default() };
        assert!(
            message("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", &limits).contains("more than 10 YAML nodes")
        );
    }

    #[test]
    fn rejects_invalid_utf8_and_oversize() {
        assert!(matches!(decode_text(b"a: \xff\n", &Limits::default()), Err(Error::NotUtf8 { offset: 3 })));
        let small = Limits { max_input_bytes: 4, ..Limits::default() };
        assert!(matches!(decode_text(b"abcdef", &small), Err(Error::InputTooLarge { .. })));
    }

    #[test]
    fn big_integers_survive_as_numbers() {
        let v = parse_document(
            "a: 18446744073709551615\nb: 123456789012345678901234567890\n",
            "t",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(v["a"], json!(u64::MAX));
        assert!(v["b"].is_f64());
        assert_eq!(roundtrip(&v), v);
    }
}
