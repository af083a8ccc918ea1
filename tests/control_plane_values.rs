//! Every Helm value the control plane renders is a value the chart reads, for the chart version it
//! names: Argo CD `valuesObject` and Flux `values` of every golden case are checked key by key against
//! the istiod and base charts' `values.yaml` of that Istio release, stored as data in
//! `tests/upstream/istio-charts/` (sources and the chart behaviour behind the allowances in its
//! README). Helm ignores a key no template reads, so without this a misspelled or moved value would
//! render, apply and do nothing.
//!
//! `meshConfig` holds Istio's MeshConfig: its fields are checked against the Sail Operator CRD's
//! `spec.values.meshConfig` schema, which is generated from the same API. (The Sail Operator's own
//! `Istio` objects are validated against that CRD whole, by the conformance test.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/crd_schema.rs"]
mod crd_schema;
#[path = "support/golden_cases.rs"]
mod golden_cases;
#[path = "support/upstream_apis.rs"]
mod upstream_apis;

use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Toleration};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn charts_dir() -> PathBuf {
    golden_cases::root().join("tests/upstream/istio-charts")
}

/// The defaults of a chart's values file (under `_internal_defaults_do_not_set`).
fn chart_defaults(version: &str, chart: &str) -> Value {
    let path = charts_dir().join(version).join(format!("{chart}-values.yaml"));
    assert!(
        path.exists(),
        "no values of the {chart} chart of Istio {version} in {}: add them (see its README) or render a supported version",
        charts_dir().display()
    );
    let docs = golden_cases::read_yaml(&path);
    docs[0]["_internal_defaults_do_not_set"].clone()
}

/// The profiles a chart has files for (`profiles.txt`).
fn chart_profiles(version: &str, chart: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(charts_dir().join(version).join("profiles.txt")).unwrap();
    let chart_dir = if chart == "istiod" { "istio-discovery" } else { chart };
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .filter(|(c, _)| *c == chart_dir)
        .map(|(_, p)| p.to_string())
        .collect()
}

/// The Sail Operator CRD's schema of `spec.values.meshConfig`.
fn mesh_config_schema() -> Value {
    let path = upstream_apis::crds_dir().join("sail-operator/sailoperator.io_istios.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = crd_schema::parse_yaml_documents(&text).unwrap();
    docs[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["values"]
        ["properties"]["meshConfig"]
        .clone()
}

/// Keys of `value` the OpenAPI `schema` does not define.
fn check_schema(path: &str, value: &Value, schema: &Value, problems: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true)) {
        return;
    }
    match value {
        Value::Object(map) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                if schema.get("additionalProperties").is_none() {
                    problems.push(format!("{path}: a map where the schema has {}", schema["type"]));
                }
                return;
            };
            for (key, sub) in map {
                match properties.get(key) {
                    Some(s) => check_schema(&format!("{path}.{key}"), sub, s, problems),
                    None => problems.push(format!("{path}.{key}: not a MeshConfig field")),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_schema(&format!("{path}[{i}]"), item, &schema["items"], problems);
            }
        }
        _ => {}
    }
}

/// Keys of `values` that the chart does not read.
fn check_values(
    (version, chart): (&str, &str),
    values: &Value,
    mesh_config: &Value,
    problems: &mut Vec<String>,
) -> usize {
    let defaults = chart_defaults(version, chart);
    let profiles = chart_profiles(version, chart);
    let mut checked = 0;
    let Some(map) = values.as_object() else {
        problems.push(format!("{chart} {version}: values are not a map"));
        return 0;
    };
    for (key, value) in map {
        checked += 1;
        match key.as_str() {
            // Read by templates/zzz_profile.yaml: the name of one of the chart's profile files.
            "profile" => {
                if !value.as_str().is_some_and(|p| profiles.contains(p)) {
                    problems
                        .push(format!("{chart} {version}: profile {value} has no files/profile-<name>.yaml"));
                }
            }
            "meshConfig" => check_schema("meshConfig", value, mesh_config, problems),
            // Core Kubernetes types the templates render whole (the chart's default `resources` is
            // only an example: templates/_helpers.tpl renders its limits and requests alike).
            "resources" => {
                core::<ResourceRequirements>(&format!("{chart} {version}: resources"), value, problems)
            }
            "affinity" => core::<Affinity>(&format!("{chart} {version}: affinity"), value, problems),
            "tolerations" => {
                core::<Vec<Toleration>>(&format!("{chart} {version}: tolerations"), value, problems)
            }
            _ => check_key(&format!("{chart} {version}: {key}"), value, &defaults[key.as_str()], problems),
        }
    }
    checked
}

/// A value of a core Kubernetes type: it makes a round trip through the k8s-openapi type unchanged.
fn core<T: serde::de::DeserializeOwned + serde::Serialize>(
    path: &str,
    value: &Value,
    problems: &mut Vec<String>,
) {
    match upstream_apis::round_trip::<T>(value) {
        Err(e) => problems.push(format!("{path}: {e}")),
        Ok(back) => {
            let mut differences = Vec::new();
            upstream_apis::json_differences(path, Some(value), Some(&back), &mut differences);
            problems.extend(differences);
        }
    }
}

fn check_key(path: &str, value: &Value, default: &Value, problems: &mut Vec<String>) {
    match (default, value) {
        (Value::Null, _) => problems.push(format!("{path}: not a value of the chart")),
        (Value::Object(defaults), Value::Object(map)) if !defaults.is_empty() => {
            for (key, sub) in map {
                check_key(
                    &format!("{path}.{key}"),
                    sub,
                    &defaults.get(key).cloned().unwrap_or(Value::Null),
                    problems,
                );
            }
        }
        // An empty map or a list takes any content.
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => {}
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
            problems.push(format!("{path}: {value} where the chart has {default}"))
        }
        _ => {}
    }
}

/// `(version, chart, values)` of every Application and HelmRelease of the items.
fn rendered_values(items: &[Value]) -> Vec<(String, String, Value)> {
    let chart_of = |release: &str| if release == "istio-base" { "base" } else { "istiod" };
    let oci_tag = |name: &str| {
        items
            .iter()
            .find(|i| i["kind"] == "OCIRepository" && i["metadata"]["name"] == name)
            .and_then(|i| i["spec"]["ref"]["tag"].as_str())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for item in items {
        match item["kind"].as_str() {
            Some("Application") if item["apiVersion"] == "argoproj.io/v1alpha1" => {
                let source = &item["spec"]["source"];
                out.push((
                    source["targetRevision"].as_str().unwrap().to_string(),
                    source["chart"].as_str().unwrap().to_string(),
                    source["helm"]["valuesObject"].clone(),
                ));
            }
            Some("HelmRelease") => {
                let spec = &item["spec"];
                let release = spec["releaseName"].as_str().unwrap();
                let version = match spec["chart"]["spec"]["version"].as_str() {
                    Some(v) => v.to_string(),
                    None => oci_tag(spec["chartRef"]["name"].as_str().unwrap()).unwrap(),
                };
                out.push((version, chart_of(release).to_string(), spec["values"].clone()));
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_rendered_helm_value_is_a_value_of_the_chart() {
    let mesh_config = mesh_config_schema();
    assert!(
        mesh_config["properties"]["trustDomain"].is_object(),
        "the Sail CRD's meshConfig schema was not found"
    );
    let mut problems = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut keys = 0;
    for case in golden_cases::cases() {
        let items = golden_cases::rendered_items(&case);
        for (version, chart, values) in rendered_values(&items) {
            let mut found = Vec::new();
            keys += check_values((&version, &chart), &values, &mesh_config, &mut found);
            problems.extend(found.into_iter().map(|p| format!("{}: {p}", case.name)));
            seen.insert((version, chart));
        }
    }
    // Both supported releases and both charts are exercised, so the check cannot pass by checking nothing.
    for version in ["1.29.6", "1.30.3"] {
        for chart in ["base", "istiod"] {
            assert!(
                seen.contains(&(version.to_string(), chart.to_string())),
                "no golden case renders {chart} {version}"
            );
        }
    }
    assert!(problems.is_empty(), "values the charts do not read:\n{}", problems.join("\n"));
    assert!(keys > 30, "only {keys} top-level values checked");
}

#[test]
fn the_check_finds_values_the_chart_does_not_read() {
    let mesh_config = mesh_config_schema();
    let mut problems = Vec::new();
    let values = json!({
        "autoscaleMinimum": 2,
        "global": {"multiCluster": {"clustername": "c1"}, "meshID": "m"},
        "affinity": {"anything": {"goes": "here"}},
        "profile": "minimal",
        "meshConfig": {"trustDomian": "x", "extensionProviders": [{"name": "a", "opentelemetry": {"servce": "s"}}]},
        "pilot": {"affinity": {}},
        "tolerations": [{"key": "a", "operatr": "Exists"}]
    });
    check_values(("1.30.3", "istiod"), &values, &mesh_config, &mut problems);
    for expected in [
        "autoscaleMinimum",
        "global.multiCluster.clustername",
        "profile \"minimal\"",
        "meshConfig.trustDomian",
        "meshConfig.extensionProviders[0].opentelemetry.servce",
        "pilot: not a value",
        "tolerations[0].operatr",
        "affinity.anything",
    ] {
        assert!(problems.iter().any(|p| p.contains(expected)), "{expected} not found in {problems:#?}");
    }
    assert_eq!(problems.len(), 8, "{problems:#?}");
}
