//! The function config: `MeshIngress` (`mesh-ingress.dev/v1alpha1`) or a `v1` `ConfigMap`.
//!
//! Decoding runs the schema checks of [`decode`] first so that every problem is reported at once,
//! then deserializes into the typed [`v1alpha1::MeshIngressSpec`]. Semantic rules (cross-references,
//! host coverage, conflicts) live in [`crate::validate`].

pub mod access;
pub mod configmap;
pub mod control_plane;
pub mod decode;
pub mod reference;
pub mod schema;
pub mod v1alpha1;

use crate::krm::object;
use crate::krm::result::{File, KrmResult, ResourceRef};
use decode::{Problem, SchemaChecker};
use serde_json::Value;
use v1alpha1::MeshIngressSpec;

/// API group of MeshIngress.
pub const GROUP: &str = "mesh-ingress.dev";
/// API version of MeshIngress.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of MeshIngress.
pub const API_VERSION: &str = "mesh-ingress.dev/v1alpha1";
/// `kind` of MeshIngress.
pub const KIND: &str = "MeshIngress";

/// Where the config came from; decides how field paths are shown to the user.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigSource {
    /// A typed `MeshIngress` object.
    MeshIngress,
    /// A `v1` ConfigMap (kpt `configMap:` or `kpt fn eval -- key=value`), with the `data` key each
    /// derived spec field came from.
    ConfigMap(configmap::PathMap),
}

/// A decoded, schema-valid config (semantic rules not yet checked).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The instance name: `metadata.name`, or `data.name` for a ConfigMap. Stamped on every generated
    /// object as the ownership marker.
    pub instance: String,
    /// The spec.
    pub spec: MeshIngressSpec,
    /// Where the config came from.
    pub source: ConfigSource,
    /// The config object, for results.
    pub resource_ref: ResourceRef,
    /// The file the config was read from, when the orchestrator said.
    pub file: Option<File>,
    /// What decoding found worth saying that is not a problem (spec field paths, like the rules').
    pub notes: Vec<KrmResult>,
}

impl Config {
    /// The path users should see for a spec field path (ConfigMap configs map to `data.<key>`).
    pub fn display_path(&self, path: &str) -> String {
        match &self.source {
            ConfigSource::MeshIngress => path.to_string(),
            ConfigSource::ConfigMap(map) => map.translate(path),
        }
    }

    /// A result about this config.
    pub fn result(&self, result: KrmResult) -> KrmResult {
        let mut result = result.about(self.resource_ref.clone()).in_file(self.file.clone());
        let origin = match (&self.source, result.field.as_ref()) {
            (ConfigSource::ConfigMap(map), Some(field)) => Some(map.origin(&field.path)),
            _ => None,
        };
        if let Some(configmap::Origin::Default(key)) = origin {
            // About a default the user did not choose: said as such, at `data`, and a warning
            // becomes information (setting the key is how to act on it).
            result.message = format!("{} (the default of data.{key}, which is not set)", result.message);
            if result.severity == crate::krm::result::Severity::Warning {
                result.severity = crate::krm::result::Severity::Info;
            }
        }
        if let Some(field) = result.field.as_mut() {
            field.path = self.display_path(&field.path);
        }
        result
    }
}

/// The JSON Schema of the spec, generated once from the documented types.
pub fn spec_schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(schema::spec_json_schema)
}

/// A config that could not be decoded cleanly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecodeError {
    /// The problems, as error results.
    pub results: Vec<KrmResult>,
    /// The config with the offending values removed, when what remains still deserializes: the
    /// semantic rules run on it too, so a user sees every problem in one pass. Never rendered.
    pub recovered: Option<Box<Config>>,
    /// Field paths whose values were removed to recover; findings under them are not reported.
    pub removed: Vec<String>,
}

impl From<Vec<KrmResult>> for DecodeError {
    fn from(results: Vec<KrmResult>) -> Self {
        DecodeError { results, ..Default::default() }
    }
}

/// Decode a function config. Problems come back as error results, all of them at once.
pub fn decode_config(function_config: Option<&Value>) -> Result<Config, DecodeError> {
    let Some(config) = function_config else {
        return Err(vec![KrmResult::error(format!(
            "functionConfig is missing; expected a {KIND} ({API_VERSION}) or a ConfigMap (v1) \
             (kpt: set `configPath:` or `configMap:` in the Kptfile, or pass `-- name=... domains=...`)"
        ))]
        .into());
    };
    let api_version = object::api_version(config);
    let kind = object::kind(config);
    let resource_ref = ResourceRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        name: object::name(config).to_string(),
        namespace: object::namespace(config).map(str::to_string),
    };
    let file = object::file_of(config).map(|(path, index)| File { path, index });
    let fail = |problems: Vec<KrmResult>| -> DecodeError {
        problems
            .into_iter()
            .map(|r| r.about(resource_ref.clone()).in_file(file.clone()))
            .collect::<Vec<_>>()
            .into()
    };
    match (api_version, kind) {
        (API_VERSION, KIND) => decode_mesh_ingress(config, &resource_ref, file.clone()).map_err(|mut e| {
            e.results = e.results.into_iter().map(|r| r.about(resource_ref.clone()).in_file(file.clone())).collect();
            e
        }),
        ("v1", "ConfigMap") => configmap::decode(config, &resource_ref, file.clone()).map_err(fail),
        (_, KIND) => Err(fail(vec![KrmResult::error(format!(
            "apiVersion {api_version:?} is not supported for kind {KIND}, expected {API_VERSION:?}"
        ))
        .at("apiVersion", Some(Value::String(api_version.to_string())))
        .proposing(Value::String(API_VERSION.to_string()))])),
        _ => Err(fail(vec![KrmResult::error(format!(
            "unsupported functionConfig {kind:?} ({api_version}); expected {KIND} ({API_VERSION}) or ConfigMap (v1)"
        ))
        .at("kind", Some(Value::String(kind.to_string())))])),
    }
}

fn decode_mesh_ingress(
    config: &Value,
    resource_ref: &ResourceRef,
    file: Option<File>,
) -> Result<Config, DecodeError> {
    let mut problems = Vec::new();
    let Some(map) = config.as_object() else {
        return Err(vec![KrmResult::error("the MeshIngress is not a mapping")].into());
    };
    const TOP_LEVEL: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
    for key in map.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            let suggestion = decode::suggest(key, TOP_LEVEL);
            let message = match &suggestion {
                Some(s) => format!("unknown field {key:?}, did you mean {s:?}?"),
                None => format!("unknown field {key:?}, expected one of: {}", TOP_LEVEL.join(", ")),
            };
            problems.push(Problem { path: decode::join_key("", key), message, value: None, suggestion });
        }
    }
    let instance = match config.pointer("/metadata/name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        // `name: y` or `name: 12e3`: there is a name, but YAML did not read it as text.
        Some(other @ (Value::Bool(_) | Value::Number(_))) => {
            problems.push(Problem {
                path: "metadata.name".to_string(),
                message: format!(
                    "expected a string, found {}; quote it (name: \"...\")",
                    decode::what_yaml_made(other)
                ),
                value: Some(other.clone()),
                suggestion: None,
            });
            String::new()
        }
        other => {
            problems.push(Problem {
                path: "metadata.name".to_string(),
                message: "the instance name is missing; every generated object is stamped with it"
                    .to_string(),
                value: other.cloned(),
                suggestion: None,
            });
            String::new()
        }
    };
    let mut spec = match map.get("spec") {
        None | Some(Value::Null) => {
            problems.push(Problem {
                path: "spec".to_string(),
                message: "spec is missing; at least spec.gateways is required".to_string(),
                value: None,
                suggestion: None,
            });
            Value::Object(Default::default())
        }
        Some(spec) => spec.clone(),
    };
    problems.extend(SchemaChecker::new(spec_schema()).check(&mut spec, "spec"));
    let make = |spec: MeshIngressSpec| Config {
        instance: instance.clone(),
        spec,
        source: ConfigSource::MeshIngress,
        resource_ref: resource_ref.clone(),
        file: file.clone(),
        notes: Vec::new(),
    };
    if !problems.is_empty() {
        // Remove what is wrong and see whether the rest still reads, so the semantic rules can run too.
        // First drop only unknown fields (an out-of-range value often still reads); then every
        // offending value. Findings under any of these paths are suppressed either way.
        let removed: Vec<String> = problems.iter().map(|p| p.path.clone()).collect();
        let unknown: Vec<&String> =
            problems.iter().filter(|p| p.message.starts_with("unknown field")).map(|p| &p.path).collect();
        let attempt = |paths: &[&String]| {
            let mut candidate = spec.clone();
            for path in paths {
                remove_path(&mut candidate, path);
            }
            serde_json::from_value::<MeshIngressSpec>(candidate).ok()
        };
        let recovered = attempt(&unknown)
            .or_else(|| attempt(&removed.iter().collect::<Vec<_>>()))
            .filter(|_| !instance.is_empty())
            .map(|c| Box::new(make(c)));
        return Err(DecodeError {
            results: problems.into_iter().map(problem_result).collect(),
            recovered,
            removed,
        });
    }
    match serde_json::from_value::<MeshIngressSpec>(spec) {
        Ok(spec) => Ok(make(spec)),
        // The schema check should have caught this; report it rather than guess.
        Err(e) => Err(vec![KrmResult::error(format!("cannot read the spec: {e}")).at("spec", None)].into()),
    }
}

/// Split a field path (`spec.a[1]["k/x"].b`) after its first segment into map keys (`Ok`) and list
/// indexes (`Err`).
fn path_segments(path: &str) -> Vec<Result<String, usize>> {
    let start = path.find(['.', '[']).unwrap_or(path.len());
    let mut rest = &path[start..];
    let mut segments = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            segments.push(Ok(after[..end].to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]").unwrap_or(after.len());
            segments.push(Ok(after[..end].to_string()));
            rest = after.get(end + 2..).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            segments.push(Err(after[..end].parse().unwrap_or(usize::MAX)));
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    segments
}

/// Remove the value at a field path (relative to the value the path's first segment names).
fn remove_path(value: &mut Value, path: &str) {
    let segments = path_segments(path);
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = value;
    for segment in parents {
        let next = match (segment, current) {
            (Ok(key), Value::Object(map)) => map.get_mut(key),
            (Err(index), Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return,
        }
    }
    match (last, current) {
        (Ok(key), Value::Object(map)) => {
            map.remove(key);
        }
        (Err(index), Value::Array(items)) if *index < items.len() => {
            items[*index] = Value::Null;
        }
        _ => {}
    }
}

/// Turn a schema problem into an error result.
pub fn problem_result(problem: Problem) -> KrmResult {
    let mut result = KrmResult::error(problem.message).at(problem.path, problem.value);
    if let Some(suggestion) = problem.suggestion {
        result = result.proposing(Value::String(suggestion));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed(spec: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "sandbox"}, "spec": spec})
    }

    #[test]
    fn decodes_a_typed_config() {
        let config = decode_config(Some(&typed(
            json!({"domains": ["*.example.com"], "gateways": [{"name": "external"}]}),
        )))
        .unwrap();
        assert_eq!(config.instance, "sandbox");
        assert_eq!(config.spec.namespace, "istio-ingress");
        assert_eq!(config.spec.gateways[0].name, "external");
    }

    #[test]
    fn reports_all_problems_at_once() {
        let errors = decode_config(Some(&typed(json!({
            "gateways": [{"name": "a", "servers": [{"port": 443, "protocol": "HTTPS", "tls": {"mdoe": "SIMPLE"}}]}],
            "mtls": {"mode": "STRICTER"},
            "domain": ["x"]
        }))))
        .unwrap_err()
        .results;
        let paths: Vec<&str> =
            errors.iter().filter_map(|r| r.field.as_ref()).map(|f| f.path.as_str()).collect();
        assert_eq!(paths.len(), 3, "{errors:#?}");
        assert!(paths.contains(&"spec.gateways[0].servers[0].tls.mdoe"));
        assert!(paths.contains(&"spec.mtls.mode"));
        assert!(paths.contains(&"spec.domain"));
        assert!(errors.iter().all(|r| r.resource_ref.as_ref().is_some_and(|r| r.name == "sandbox")));
    }

    #[test]
    fn splits_paths_and_removes_values() {
        assert_eq!(
            path_segments("spec.a[1][\"k/x\"].b"),
            vec![Ok("a".to_string()), Err(1), Ok("k/x".to_string()), Ok("b".to_string())]
        );
        let mut v = json!({"a": [0, {"k/x": {"b": 1, "c": 2}}]});
        remove_path(&mut v, "spec.a[1][\"k/x\"].b");
        assert_eq!(v, json!({"a": [0, {"k/x": {"c": 2}}]}));
    }

    #[test]
    fn recovers_to_run_semantic_rules() {
        let error = decode_config(Some(&typed(
            json!({"gateways": [{"name": "a", "scope": "publik"}], "mtls": {"mdoe": 1}}),
        )))
        .unwrap_err();
        assert_eq!(error.results.len(), 2);
        assert_eq!(error.removed, ["spec.gateways[0].scope", "spec.mtls.mdoe"]);
        assert!(error.recovered.is_some());
    }

    #[test]
    fn rejects_unknown_kinds_and_missing_config() {
        assert!(decode_config(None).unwrap_err().results[0].message.contains("functionConfig is missing"));
        let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}});
        assert!(
            decode_config(Some(&other)).unwrap_err().results[0]
                .message
                .contains("unsupported functionConfig")
        );
        let wrong =
            json!({"apiVersion": "mesh-ingress.dev/v1", "kind": "MeshIngress", "metadata": {"name": "x"}});
        assert!(
            decode_config(Some(&wrong)).unwrap_err().results[0].message.contains("not supported for kind")
        );
    }
}
