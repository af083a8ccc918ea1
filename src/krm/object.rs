//! Reading identity and metadata from opaque KRM objects, and the annotations orchestrators own.

use serde_json::{Map, Value};
use std::fmt;

/// Annotation prefixes that belong to the orchestrator (kpt, kustomize), not to the object's
/// author. When a generated object replaces its previous version, these are carried over so kpt
/// keeps the object in the file the user put it in and can copy comments back.
pub const ORCHESTRATOR_ANNOTATION_PREFIXES: &[&str] = &[
    "internal.config.kubernetes.io/",
    "config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
];

/// `internal.config.kubernetes.io/path`: the file kpt writes an object to.
pub const PATH_ANNOTATION: &str = "internal.config.kubernetes.io/path";
/// `internal.config.kubernetes.io/index`: the document index within that file.
pub const INDEX_ANNOTATION: &str = "internal.config.kubernetes.io/index";
/// Deprecated spelling of [`PATH_ANNOTATION`], still set by kpt.
pub const LEGACY_PATH_ANNOTATION: &str = "config.kubernetes.io/path";
/// Deprecated spelling of [`INDEX_ANNOTATION`], still set by kpt.
pub const LEGACY_INDEX_ANNOTATION: &str = "config.kubernetes.io/index";
/// `config.kubernetes.io/local-config`: the object is configuration for tools, never applied.
pub const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";

/// The identity of an object in a cluster: API group, kind, namespace and name. The version is
/// left out on purpose: `networking.istio.io/v1beta1` and `/v1` Gateways of one name are the same
/// object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    /// API group (`""` for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace (`""` for cluster-scoped objects or when unset).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectId {
    /// The identity of `object`, from `apiVersion`, `kind`, `metadata.namespace` and `metadata.name`.
    pub fn of(object: &Value) -> Self {
        ObjectId {
            group: group_of(api_version(object)).to_string(),
            kind: kind(object).to_string(),
            namespace: namespace(object).unwrap_or("").to_string(),
            name: name(object).to_string(),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.group.is_empty() { String::new() } else { format!(".{}", self.group) };
        if self.namespace.is_empty() {
            write!(f, "{}{} {}", self.kind, group, self.name)
        } else {
            write!(f, "{}{} {}/{}", self.kind, group, self.namespace, self.name)
        }
    }
}

/// The API group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(group, _)| group).unwrap_or("")
}

/// `apiVersion` of an object (empty when missing).
pub fn api_version(object: &Value) -> &str {
    object.get("apiVersion").and_then(Value::as_str).unwrap_or("")
}

/// `kind` of an object (empty when missing).
pub fn kind(object: &Value) -> &str {
    object.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// `metadata.name` of an object (empty when missing).
pub fn name(object: &Value) -> &str {
    // `get` rather than `pointer("/metadata/name")`: a JSON pointer allocates for every token it
    // unescapes, and this runs for every item of the input (BENCHMARKS.md).
    object.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("")
}

/// `metadata.namespace` of an object, when set and non-empty.
pub fn namespace(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("namespace")?.as_str().filter(|ns| !ns.is_empty())
}

/// One label of an object.
pub fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("labels")?.get(key)?.as_str()
}

/// One annotation of an object.
pub fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// The annotations of an object, if it has an annotation map.
pub fn annotations(object: &Value) -> Option<&Map<String, Value>> {
    object.get("metadata")?.get("annotations")?.as_object()
}

/// Mutable access to the annotation map, created when missing.
pub fn annotations_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    let metadata = object.as_object_mut()?.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let annotations =
        metadata.as_object_mut()?.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
    annotations.as_object_mut()
}

/// The file an orchestrator read the object from, with its document index.
pub fn file_of(object: &Value) -> Option<(String, u64)> {
    let path = annotation(object, PATH_ANNOTATION).or_else(|| annotation(object, LEGACY_PATH_ANNOTATION))?;
    let index = annotation(object, INDEX_ANNOTATION)
        .or_else(|| annotation(object, LEGACY_INDEX_ANNOTATION))
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    Some((path.to_string(), index))
}

/// Whether the annotation key belongs to the orchestrator rather than the object's author.
pub fn is_orchestrator_annotation(key: &str) -> bool {
    ORCHESTRATOR_ANNOTATION_PREFIXES.iter().any(|prefix| key.starts_with(prefix))
        && key != LOCAL_CONFIG_ANNOTATION
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_ignores_version() {
        let a = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "n"}});
        let b = json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "n"}});
        assert_eq!(ObjectId::of(&a), ObjectId::of(&b));
        assert_eq!(ObjectId::of(&a).to_string(), "Gateway.networking.istio.io n/g");
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}});
        assert_eq!(ObjectId::of(&ns).to_string(), "Namespace x");
    }

    #[test]
    fn reads_file_from_either_annotation() {
        let a = json!({"metadata": {"annotations": {"config.kubernetes.io/path": "a.yaml", "config.kubernetes.io/index": "2"}}});
        assert_eq!(file_of(&a), Some(("a.yaml".to_string(), 2)));
        assert!(is_orchestrator_annotation("internal.config.kubernetes.io/id"));
        assert!(!is_orchestrator_annotation("config.kubernetes.io/local-config"));
        assert!(!is_orchestrator_annotation("example.com/x"));
    }
}
