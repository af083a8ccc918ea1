//! The Istio control plane as GitOps objects, in the format the platform runs: a Sail Operator Istio
//! ([`sail`]), Argo CD Applications for the upstream `base` and `istiod` charts ([`argocd`]), or Flux
//! HelmReleases with their chart source ([`flux`]).
//!
//! All three carry the same settings, built once here: the istiod chart's values (flat keys, as the
//! istio 1.29/1.30 charts document them) for Argo CD and Flux, and the same values in Sail's typed
//! form (istiod's keys under `pilot`, which the istiod chart copies to the top level, see its
//! `templates/zzy_descope_legacy.yaml`). A test checks every Helm key against the charts' values files
//! (`tests/upstream/istio-charts/`).

pub mod argocd;
pub mod flux;
pub mod sail;

use super::Generated;
use super::labels::{Component, metadata};
use super::waves::SYNC_WAVE;
use crate::api::v1alpha1::{ChartSource, Delivery, ExtensionProvider, Profile};
use crate::error::Error;
use crate::krm::object;
use crate::model::Model;
use crate::model::control_plane::ControlPlaneModel;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// File of the control plane objects.
pub const CONTROL_PLANE_FILE: &str = "control-plane.yaml";
/// Istio's Helm repository.
pub const HELM_REPOSITORY: &str = "https://istio-release.storage.googleapis.com/charts";
/// Istio's OCI chart registry.
pub const OCI_REPOSITORY: &str = "oci://registry.istio.io/release/charts";
/// Helm release name of the `base` chart.
pub const BASE_RELEASE: &str = "istio-base";
/// Where proxies write access logs.
pub const ACCESS_LOG_FILE: &str = "/dev/stdout";

/// Argo CD sync waves of the control plane: before everything else (namespaces start at 0), the root
/// namespace first, then the CRDs and sources, then istiod.
pub const WAVE_ROOT_NAMESPACE: i32 = -3;
/// Wave of the `base` chart and chart sources.
pub const WAVE_BASE: i32 = -2;
/// Wave of istiod.
pub const WAVE_ISTIOD: i32 = -1;

/// Render the control plane, when configured and the profile installs anything.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let Some(cp) = renders(model) else { return Ok(Vec::new()) };
    match cp.delivery() {
        Delivery::Sail => sail::render(model, cp),
        Delivery::Argocd => argocd::render(model, cp),
        Delivery::Flux => flux::render(model, cp),
    }
}

/// The control plane, when one is rendered.
pub fn renders(model: &Model) -> Option<&ControlPlaneModel> {
    model.control_plane.as_ref().filter(|cp| cp.traits.renders)
}

/// Metadata of a control plane object.
pub fn meta(model: &Model, name: &str, namespace: Option<&str>) -> ObjectMeta {
    metadata(model, name, namespace, "istio-control-plane", Component::ControlPlane)
}

/// A control plane object with its Argo CD wave, when `spec.argocd.syncWaves` is on (set here, so
/// the base chart precedes istiod although both are Applications).
pub fn generated(model: &Model, object: &impl Serialize, wave: i32) -> Result<Generated, Error> {
    let mut generated = Generated::new(object, CONTROL_PLANE_FILE)?;
    if model.spec.argocd.sync_waves {
        set_wave(&mut generated.object, wave);
    }
    Ok(generated)
}

fn set_wave(object: &mut Value, wave: i32) {
    if object.get("metadata").and_then(|m| m.get("annotations")).is_none()
        && let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut)
    {
        metadata.insert("annotations".to_string(), json!({}));
    }
    if let Some(annotations) = object::annotations_mut(object) {
        annotations.insert(SYNC_WAVE.to_string(), Value::String(wave.to_string()));
    }
}

/// With sync waves, move the mesh root Namespace before the control plane that installs into it.
pub fn order_root_namespace(model: &Model, generated: &mut [Generated]) {
    if renders(model).is_none() || !model.spec.argocd.sync_waves {
        return;
    }
    let root = model.spec.mtls.root_namespace.as_str();
    for g in generated.iter_mut() {
        if object::kind(&g.object) == "Namespace"
            && object::api_version(&g.object) == "v1"
            && object::name(&g.object) == root
        {
            set_wave(&mut g.object, WAVE_ROOT_NAMESPACE);
        }
    }
}

/// The chart repository: the configured mirror, else Istio's for the chart source.
pub fn chart_repository(cp: &ControlPlaneModel) -> String {
    cp.spec.chart_repository.clone().unwrap_or_else(|| match cp.spec.chart_source {
        ChartSource::Https => HELM_REPOSITORY.to_string(),
        ChartSource::Oci => OCI_REPOSITORY.to_string(),
    })
}

/// The control plane settings, grouped the way both value forms need them.
#[derive(Debug, Default)]
struct Settings {
    /// istiod chart keys of the istiod workload (`pilot.*` in Sail's form).
    pilot: Map<String, Value>,
    /// `global.*`.
    global: Map<String, Value>,
    /// `meshConfig.*`.
    mesh_config: Map<String, Value>,
}

fn to_value(value: &impl Serialize) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Serialize(e.to_string()))
}

fn settings(model: &Model, cp: &ControlPlaneModel) -> Result<Settings, Error> {
    let mut s = Settings::default();
    if cp.traits.istiod {
        istiod_settings(cp, &mut s)?;
    }
    if let Some(multicluster) = &model.spec.multicluster {
        s.global.insert("meshID".into(), json!(multicluster.mesh_id));
        s.global.insert("multiCluster".into(), json!({"clusterName": multicluster.cluster_name}));
        s.global.insert("network".into(), json!(multicluster.network));
    }
    if cp.spec.profile == Profile::Remote {
        if let Some(address) = &cp.spec.remote_pilot_address {
            s.global.insert("remotePilotAddress".into(), json!(address));
        }
    } else {
        s.mesh_config = mesh_config(model, cp)?;
    }
    Ok(s)
}

/// The istiod workload's keys (not rendered when the profile runs no istiod here).
fn istiod_settings(cp: &ControlPlaneModel, s: &mut Settings) -> Result<(), Error> {
    let istiod = &cp.spec.istiod;
    match (istiod.replicas, &istiod.autoscaling) {
        (Some(replicas), _) => {
            s.pilot.insert("autoscaleEnabled".into(), json!(false));
            s.pilot.insert("replicaCount".into(), json!(replicas));
        }
        (None, autoscaling) => {
            let autoscaling = autoscaling.clone().unwrap_or_default();
            s.pilot.insert("autoscaleEnabled".into(), json!(true));
            s.pilot.insert("autoscaleMin".into(), json!(autoscaling.min_replicas));
            s.pilot.insert("autoscaleMax".into(), json!(autoscaling.max_replicas));
            s.pilot.insert(
                "cpu".into(),
                json!({"targetAverageUtilization": autoscaling.target_cpu_utilization_percentage}),
            );
            if let Some(memory) = autoscaling.target_memory_utilization_percentage {
                s.pilot.insert("memory".into(), json!({"targetAverageUtilization": memory}));
            }
        }
    }
    if let Some(resources) = &istiod.resources {
        s.pilot.insert("resources".into(), to_value(resources)?);
    }
    if !istiod.node_selector.is_empty() {
        s.pilot.insert("nodeSelector".into(), to_value(&istiod.node_selector)?);
    }
    if !istiod.tolerations.is_empty() {
        s.pilot.insert("tolerations".into(), to_value(&istiod.tolerations)?);
    }
    if let Some(affinity) = &istiod.affinity {
        s.pilot.insert("affinity".into(), to_value(affinity)?);
    }
    if let Some(enabled) = cp.gateway_api {
        s.pilot.insert("env".into(), json!({"PILOT_ENABLE_GATEWAY_API": enabled.to_string()}));
    }
    if !istiod.pod_disruption_budget.enabled {
        s.global.insert("defaultPodDisruptionBudget".into(), json!({"enabled": false}));
    }
    Ok(())
}

/// istiod's `meshConfig`: only what the rest of the config relies on, each from its one source.
fn mesh_config(model: &Model, cp: &ControlPlaneModel) -> Result<Map<String, Value>, Error> {
    let mesh = &cp.spec.mesh_config;
    let mut out = Map::new();
    out.insert("trustDomain".into(), json!(model.spec.mtls.trust_domain));
    if let Some(logging) = &mesh.access_logging {
        out.insert("accessLogFile".into(), json!(ACCESS_LOG_FILE));
        out.insert("accessLogEncoding".into(), json!(logging.encoding.as_str()));
    }
    let tls = &mesh.tls_defaults;
    let mut tls_defaults = Map::new();
    tls_defaults.insert("minProtocolVersion".into(), json!(tls.min_protocol_version.as_str()));
    if !tls.cipher_suites.is_empty() {
        tls_defaults.insert("cipherSuites".into(), json!(tls.cipher_suites));
    }
    if !tls.ecdh_curves.is_empty() {
        tls_defaults.insert("ecdhCurves".into(), json!(tls.ecdh_curves));
    }
    out.insert("tlsDefaults".into(), Value::Object(tls_defaults));
    if !mesh.extension_providers.is_empty() {
        let providers: Result<Vec<Value>, Error> = mesh.extension_providers.iter().map(provider).collect();
        out.insert("extensionProviders".into(), Value::Array(providers?));
    }
    Ok(out)
}

/// One extension provider as meshConfig spells it (the same field names, empty lists left out).
fn provider(provider: &ExtensionProvider) -> Result<Value, Error> {
    let mut value = to_value(provider)?;
    prune_empty(&mut value);
    Ok(value)
}

/// Drop empty lists and `false` flags, which mean the same as absent and only add noise.
fn prune_empty(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !matches!(v, Value::Array(a) if a.is_empty()) && *v != Value::Bool(false));
        map.values_mut().for_each(prune_empty);
    }
}

/// The istiod chart's values (Helm form: istiod's keys at the top level).
pub fn helm_istiod_values(model: &Model, cp: &ControlPlaneModel) -> Result<Value, Error> {
    let s = settings(model, cp)?;
    let mut values = Map::new();
    if let Some(profile) = cp.traits.helm {
        values.insert("profile".into(), json!(profile));
    }
    if !cp.revision.is_empty() {
        values.insert("revision".into(), json!(cp.revision));
    }
    if !cp.tags.is_empty() {
        values.insert("revisionTags".into(), json!(cp.tags));
    }
    values.extend(s.pilot);
    let mut global = s.global;
    if cp.namespace != "istio-system" {
        global.insert("istioNamespace".into(), json!(cp.namespace));
    }
    if !global.is_empty() {
        values.insert("global".into(), Value::Object(global));
    }
    if !s.mesh_config.is_empty() {
        values.insert("meshConfig".into(), Value::Object(s.mesh_config));
    }
    Ok(Value::Object(values))
}

/// The base chart's values: the revision its config validation webhook sends to, and the profile.
pub fn helm_base_values(cp: &ControlPlaneModel) -> Value {
    let mut values = Map::new();
    values.insert("defaultRevision".into(), json!(cp.wanted()));
    if let Some(profile) = cp.traits.helm {
        values.insert("profile".into(), json!(profile));
    }
    if cp.namespace != "istio-system" {
        values.insert("global".into(), json!({"istioNamespace": cp.namespace}));
    }
    Value::Object(values)
}

/// The values in Sail's typed form (`spec.values`): istiod's keys under `pilot`. The revision,
/// `global.istioNamespace` and the profile are Sail's own fields, so they are not repeated here.
pub fn sail_values(model: &Model, cp: &ControlPlaneModel) -> Result<Option<Value>, Error> {
    let s = settings(model, cp)?;
    let mut values = Map::new();
    if !s.pilot.is_empty() {
        values.insert("pilot".into(), Value::Object(s.pilot));
    }
    if !s.global.is_empty() {
        values.insert("global".into(), Value::Object(s.global));
    }
    if !s.mesh_config.is_empty() {
        values.insert("meshConfig".into(), Value::Object(s.mesh_config));
    }
    Ok((!values.is_empty()).then_some(Value::Object(values)))
}
