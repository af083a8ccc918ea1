//! The proof that an object was written by an instance and not edited since: a digest of its
//! content, stamped on it as an annotation when it is generated.
//!
//! A label is no proof: users copy labels (and whole objects) into their own files. A digest is
//! harder to fake by accident: it covers the whole object (labels, spec, name, namespace), so a
//! copied label on another object, an edited field, or a renamed copy no longer matches. What it
//! leaves out is what orchestrators add and remove on their own (kpt's file path, index and id,
//! kustomize's id), which are not the object's content.

use super::object;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The annotation holding the digest of the content this function generated for the object:
/// `sha256:<64 hex digits>`.
pub const DIGEST_ANNOTATION: &str = "mesh-ingress.dev/digest";

/// Whether an annotation is left out of the digest: orchestrator bookkeeping and the digest itself.
fn excluded(key: &str) -> bool {
    key == DIGEST_ANNOTATION || object::is_orchestrator_annotation(key)
}

/// The digest of an object's content (`sha256:<hex>`), ignoring orchestrator annotations and the
/// digest annotation. An empty annotation map counts as no annotations.
pub fn content_digest(object: &Value) -> String {
    let mut text = String::new();
    canonical(object, &mut text, 0);
    let hash = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash.iter() {
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 0x0f)]);
    }
    out
}

const HEX: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];

/// Canonical JSON: keys sorted, no whitespace. `depth` tracks where `metadata.annotations` is, the
/// one place where keys are filtered.
fn canonical(value: &Value, out: &mut String, depth: usize) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            let mut first = true;
            for key in keys {
                let Some(child) = map.get(key) else { continue };
                let stripped = if depth == 0 && key == "metadata" { strip_annotations(child) } else { None };
                if !first {
                    out.push(',');
                }
                first = false;
                push_string(key, out);
                out.push(':');
                canonical(stripped.as_ref().unwrap_or(child), out, depth + 1);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::String(s) => push_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

/// `metadata` without the excluded annotations (and without `annotations` when none remain);
/// `None` when nothing needs removing.
fn strip_annotations(metadata: &Value) -> Option<Value> {
    let annotations = metadata.get("annotations")?.as_object()?;
    if !annotations.keys().any(|k| excluded(k)) && !annotations.is_empty() {
        return None;
    }
    let mut metadata = metadata.clone();
    if let Some(map) = metadata.as_object_mut() {
        let kept: serde_json::Map<String, Value> =
            annotations.iter().filter(|(k, _)| !excluded(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        if kept.is_empty() {
            map.remove("annotations");
        } else {
            map.insert("annotations".to_string(), Value::Object(kept));
        }
    }
    Some(metadata)
}

fn push_string(s: &str, out: &mut String) {
    // serde_json's string escaping is canonical (one spelling per string).
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// The digest recorded on an object, when it carries one.
pub fn recorded(object: &Value) -> Option<&str> {
    object::annotation(object, DIGEST_ANNOTATION)
}

/// Whether the object carries a digest that matches its content: it is exactly what was generated.
pub fn is_unedited(object: &Value) -> bool {
    recorded(object).is_some_and(|d| d == content_digest(object))
}

/// Stamp the digest of the object's content on it.
pub fn stamp(object: &mut Value) {
    let digest = content_digest(object);
    if let Some(annotations) = object::annotations_mut(object) {
        annotations.insert(DIGEST_ANNOTATION.to_string(), Value::String(digest));
    }
}

/// Whether two objects have the same content (orchestrator annotations and digests aside).
pub fn same_content(a: &Value, b: &Value) -> bool {
    content_digest(a) == content_digest(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_ignores_orchestrator_annotations_key_order_and_itself() {
        let a = json!({"kind": "ConfigMap", "metadata": {"name": "x", "annotations": {"internal.config.kubernetes.io/path": "a.yaml"}}, "data": {"b": "1", "a": "2"}});
        let b = json!({"data": {"a": "2", "b": "1"}, "metadata": {"name": "x"}, "kind": "ConfigMap"});
        assert_eq!(content_digest(&a), content_digest(&b));
        let mut stamped = b.clone();
        stamp(&mut stamped);
        assert!(is_unedited(&stamped));
        assert_eq!(content_digest(&stamped), content_digest(&b));
        assert!(recorded(&stamped).unwrap().starts_with("sha256:"));
        assert_eq!(recorded(&stamped).unwrap().len(), 7 + 64);
    }

    #[test]
    fn any_edit_breaks_the_proof() {
        let mut object = json!({"kind": "ServiceAccount", "metadata": {"name": "x", "labels": {"mesh-ingress.dev/instance": "a"}}});
        stamp(&mut object);
        let mut edited = object.clone();
        object::annotations_mut(&mut edited).unwrap().insert("eks.amazonaws.com/role-arn".into(), json!("r"));
        assert!(!is_unedited(&edited));
        let mut renamed = object.clone();
        renamed["metadata"]["name"] = json!("y");
        assert!(!is_unedited(&renamed));
        // A copied label alone proves nothing.
        let copied = json!({"kind": "ServiceAccount", "metadata": {"name": "z", "labels": {"mesh-ingress.dev/instance": "a"}}});
        assert!(!is_unedited(&copied));
    }
}
