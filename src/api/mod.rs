//! The function config: `MeshIngress` (`mesh-ingress.dev/v1alpha1`) or a `v1` `ConfigMap`.
//!
//! Decoding runs the schema checks of [`decode`] first so that every problem is reported at once,
//! then deserializes into the typed [`v1alpha1::MeshIngressSpec`]. Semantic rules (cross-references,
//! host coverage, conflicts) live in [`crate::validate`].

pub mod configmap;
pub mod decode;
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
}

impl Config {
    /// The path users should see for a spec field path (ConfigMap configs map to `data.<key>`).
    pub fn display_path(&self, path: &str) -> String {
        match &self.source {
            ConfigSource::MeshIngress => path.to_string(),
            ConfigSource::ConfigMap(map) => map.translate(path),
        }
    }

    /// The directory of the config file (`""` for the package root), where generated files go.
    pub fn directory(&self) -> String {
        self.file
            .as_ref()
            .and_then(|f| f.path.rsplit_once('/').map(|(dir, _)| dir.to_string()))
            .unwrap_or_default()
    }

    /// A result about this config.
    pub fn result(&self, result: KrmResult) -> KrmResult {
        let mut result = result.about(self.resource_ref.clone()).in_file(self.file.clone());
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

/// Decode a function config. Problems come back as error results, all of them at once.
pub fn decode_config(function_config: Option<&Value>) -> Result<Config, Vec<KrmResult>> {
    let Some(config) = function_config else {
        return Err(vec![KrmResult::error(format!(
            "functionConfig is missing; expected a {KIND} ({API_VERSION}) or a ConfigMap (v1) \
             (kpt: set `configPath:` or `configMap:` in the Kptfile, or pass `-- name=... domains=...`)"
        ))]);
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
    let fail = |problems: Vec<KrmResult>| {
        problems
            .into_iter()
            .map(|r| r.about(resource_ref.clone()).in_file(file.clone()))
            .collect::<Vec<_>>()
    };
    match (api_version, kind) {
        (API_VERSION, KIND) => decode_mesh_ingress(config, &resource_ref, file.clone()).map_err(fail),
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
) -> Result<Config, Vec<KrmResult>> {
    let mut problems = Vec::new();
    let Some(map) = config.as_object() else {
        return Err(vec![KrmResult::error("the MeshIngress is not a mapping")]);
    };
    const TOP_LEVEL: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
    for key in map.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            let suggestion = decode::suggest(key, TOP_LEVEL);
            let message = match &suggestion {
                Some(s) => format!("unknown field {key:?}, did you mean {s:?}?"),
                None => format!("unknown field {key:?}, expected one of: {}", TOP_LEVEL.join(", ")),
            };
            problems.push(Problem {
                path: decode::join_key("", key),
                message,
                value: None,
                suggestion,
            });
        }
    }
    let instance = match config.pointer("/metadata/name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
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
    let results = |problems: Vec<Problem>| problems.into_iter().map(problem_result).collect::<Vec<_>>();
    if !problems.is_empty() {
        return Err(results(problems));
    }
    match serde_json::from_value::<MeshIngressSpec>(spec) {
        Ok(spec) => Ok(Config {
            instance,
            spec,
            source: ConfigSource::MeshIngress,
            resource_ref: resource_ref.clone(),
            file,
        }),
        // The schema check should have caught this; report it rather than guess.
        Err(e) => Err(vec![
            KrmResult::error(format!("cannot read the spec: {e}")).at("spec", None),
        ]),
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
        .unwrap_err();
        let paths: Vec<&str> = errors
            .iter()
            .filter_map(|r| r.field.as_ref())
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(paths.len(), 3, "{errors:#?}");
        assert!(paths.contains(&"spec.gateways[0].servers[0].tls.mdoe"));
        assert!(paths.contains(&"spec.mtls.mode"));
        assert!(paths.contains(&"spec.domain"));
        assert!(
            errors
                .iter()
                .all(|r| r.resource_ref.as_ref().is_some_and(|r| r.name == "sandbox"))
        );
    }

    #[test]
    fn rejects_unknown_kinds_and_missing_config() {
        assert!(
            decode_config(None).unwrap_err()[0]
                .message
                .contains("functionConfig is missing")
        );
        let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}});
        assert!(
            decode_config(Some(&other)).unwrap_err()[0]
                .message
                .contains("unsupported functionConfig")
        );
        let wrong =
            json!({"apiVersion": "mesh-ingress.dev/v1", "kind": "MeshIngress", "metadata": {"name": "x"}});
        assert!(
            decode_config(Some(&wrong)).unwrap_err()[0]
                .message
                .contains("not supported for kind")
        );
    }
}
