//! Rendering: a validated [`Model`] becomes Kubernetes objects, one module per emitted concern.
//!
//! Each object comes with the file it belongs in (kpt writes it there), grouped so that removing a
//! gateway, namespace or route from the config removes its file too.

pub mod alb;
pub mod authorization_policy;
pub mod certificates;
pub mod control_plane;
pub mod demo_app;
pub mod destination_rules;
pub mod eastwest;
pub mod gateway_api;
pub mod gateway_topology;
pub mod gateway_workload;
pub mod istio_gateway;
pub mod labels;
pub mod mtls;
pub mod namespaces;
pub mod network_policy;
pub mod record;
pub mod request_authentication;
pub mod routes;
pub mod telemetry;
pub mod waves;

use crate::error::Error;
use crate::krm::object::ObjectId;
use crate::model::Model;
use serde::Serialize;
use serde_json::{Map, Value};

/// One generated object and the file it belongs in.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// The object.
    pub object: Value,
    /// File name, relative to the instance's output directory (`gateway-external.yaml`).
    pub file: String,
}

impl Generated {
    /// Serialize a typed object into a generated object.
    pub fn new(object: &impl Serialize, file: impl Into<String>) -> Result<Self, Error> {
        let value = serde_json::to_value(object).map_err(|e| Error::Serialize(e.to_string()))?;
        Ok(Generated { object: normalize_metadata(value), file: file.into() })
    }

    /// The object's identity.
    pub fn id(&self) -> ObjectId {
        ObjectId::of(&self.object)
    }
}

/// Put `metadata` keys in the conventional order (name, namespace, labels, annotations, then the rest),
/// so generated YAML reads like hand-written YAML. k8s-openapi serializes them alphabetically.
fn normalize_metadata(mut object: Value) -> Value {
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        let mut ordered = Map::new();
        for key in ["name", "namespace", "labels", "annotations"] {
            if let Some(value) = metadata.remove(key) {
                ordered.insert(key.to_string(), value);
            }
        }
        ordered.append(metadata);
        *metadata = ordered;
    }
    object
}

/// Render every object of the model, in dependency order.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    out.extend(namespaces::render(model)?);
    out.extend(control_plane::render(model)?);
    out.extend(certificates::render_issuers(model)?);
    out.extend(certificates::render_certificates(model)?);
    out.extend(eastwest::render_plugin_ca(model)?);
    for workload in &model.workloads {
        out.extend(gateway_workload::render(model, workload)?);
    }
    out.extend(alb::render(model)?);
    for gateway in &model.gateways {
        if gateway.gateway_api() {
            out.extend(gateway_api::render_gateway(model, gateway)?);
        } else {
            out.extend(istio_gateway::render(model, gateway)?);
        }
    }
    out.extend(eastwest::render(model)?);
    out.extend(mtls::render(model)?);
    out.extend(request_authentication::render(model)?);
    out.extend(authorization_policy::render(model)?);
    out.extend(telemetry::render(model)?);
    out.extend(routes::render(model)?);
    out.extend(gateway_api::render_routes(model)?);
    out.extend(destination_rules::render(model)?);
    out.extend(demo_app::render(model)?);
    if model.spec.argocd.sync_waves {
        waves::annotate(&mut out);
        control_plane::order_root_namespace(model, &mut out);
    }
    Ok(out)
}

/// A config integer as the `int32` Kubernetes and Istio hold it. Decoding refuses every value above
/// `i32::MAX` with its field path (`api::decode`), so this never saturates on a decoded config; it
/// exists so that no value can wrap to a negative number on the way out, whatever the caller.
pub fn int32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A file name for an object group, safe for any DNS-1123 name.
pub fn file_name(prefix: &str, name: &str) -> String {
    format!("{prefix}-{name}.yaml")
}
