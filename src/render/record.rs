//! The instance's record of its last render: a local-config object holding the config it rendered.
//!
//! When a user edits a generated object and later changes the config, keeping the edit needs the
//! version the object had before the edit (the base of a three-way merge). Rendering the recorded
//! config again gives exactly that version; the digest on each object confirms it. The record is
//! written only where the output is written back to files (kpt), is marked
//! `config.kubernetes.io/local-config` so no tool applies it, and is never edited by hand.

use super::Generated;
use super::labels::{Component, common_labels};
use crate::api;
use crate::krm::object::LOCAL_CONFIG_ANNOTATION;
use crate::model::Model;
use serde_json::{Map, Value, json};

/// Kind of the record.
pub const RECORD_KIND: &str = "MeshIngressRecord";
/// File of the record, in the instance's directory of generated files.
pub const RECORD_FILE: &str = "record.yaml";

/// Whether an object is a record (of any instance).
pub fn is_record(object: &Value) -> bool {
    crate::krm::object::kind(object) == RECORD_KIND
        && crate::krm::object::group_of(crate::krm::object::api_version(object)) == api::GROUP
}

/// The record of rendering `config` (the function config as the orchestrator sent it).
pub fn render(model: &Model, config: &Value) -> Generated {
    // Only what decides the rendering: the kind, the instance name and the spec (or ConfigMap data).
    let mut recorded = Map::new();
    for key in ["apiVersion", "kind"] {
        if let Some(value) = config.get(key) {
            recorded.insert(key.to_string(), value.clone());
        }
    }
    if let Some(name) = config.get("metadata").and_then(|m| m.get("name")) {
        recorded.insert("metadata".to_string(), json!({"name": name}));
    }
    for key in ["spec", "data"] {
        if let Some(value) = config.get(key) {
            recorded.insert(key.to_string(), value.clone());
        }
    }
    let object = json!({
        "apiVersion": api::API_VERSION,
        "kind": RECORD_KIND,
        "metadata": {
            "name": model.instance,
            "labels": common_labels(model, "mesh-ingress", Component::Record),
            "annotations": {LOCAL_CONFIG_ANNOTATION: "true"},
        },
        "config": Value::Object(recorded),
    });
    Generated { object, file: RECORD_FILE.to_string() }
}

/// The config a record holds, when the object is a record.
pub fn recorded_config(record: &Value) -> Option<&Value> {
    is_record(record).then(|| record.get("config")).flatten()
}
