//! Rules for metadata the user adds to generated objects (ServiceAccount annotations, pod labels
//! and annotations of the gateway workloads) and for `spec.replaces`.

use super::{Findings, names, text};
use crate::api::decode::join_key;
use crate::api::v1alpha1::Workload;
use crate::model::Model;
use crate::render::gateway_workload::PROTECTED_POD_ANNOTATIONS;
use crate::render::labels::INSTANCE_LABEL;

/// Run the rules.
pub fn check(model: &Model, f: &mut Findings) {
    for gateway in &model.gateways {
        workload(&format!("{}.workload", gateway.path), &gateway.spec.workload, f);
    }
    if let Some(multicluster) = &model.spec.multicluster {
        workload("spec.multicluster.eastWestGateway.workload", &multicluster.east_west_gateway.workload, f);
    }
    replaces(model, f);
}

/// Whether a pod label key is one the function sets itself.
fn reserved_label(key: &str, workload: &Workload) -> bool {
    key.starts_with("app.kubernetes.io/")
        || key == INSTANCE_LABEL
        || key == "app"
        || key == "istio"
        || key == "istio.io/rev"
        || key == "istio.io/dataplane-mode"
        || key == "sidecar.istio.io/inject"
        || key == crate::model::NETWORK_LABEL
        || workload.labels.contains_key(key)
}

fn workload(path: &str, workload: &Workload, f: &mut Findings) {
    for key in workload.service_account.annotations.keys() {
        annotation_key(&join_key(&format!("{path}.serviceAccount.annotations"), key), key, f);
    }
    for key in workload.pod_annotations.keys() {
        let at = join_key(&format!("{path}.podAnnotations"), key);
        annotation_key(&at, key, f);
        if PROTECTED_POD_ANNOTATIONS.iter().any(|(protected, _)| protected == key) {
            f.error(
                at,
                text(key),
                format!("the pod annotation {key:?} is set by mesh-ingress: the gateway's sidecar injection needs it; remove it"),
            );
        }
    }
    for (key, value) in &workload.pod_labels {
        let at = join_key(&format!("{path}.podLabels"), key);
        if let Err(reason) = names::label_key(key) {
            f.error(&at, text(key), format!("label key {key:?} is not valid: {reason}"));
        }
        if let Err(reason) = names::label_value(value) {
            f.error(&at, text(value), format!("label value {value:?} is not valid: {reason}"));
        }
        if reserved_label(key, workload) {
            f.error(
                at,
                text(key),
                format!(
                    "the pod label {key:?} is set by mesh-ingress (selector, injection or ownership labels); remove it here, and set selector labels in labels"
                ),
            );
        }
    }
}

/// An annotation key is a label key with a longer name part (up to 63 characters either way).
fn annotation_key(path: &str, key: &str, f: &mut Findings) {
    if let Err(reason) = names::label_key(key) {
        f.error(path, text(key), format!("annotation key {key:?} is not valid: {reason}"));
    }
}

fn replaces(model: &Model, f: &mut Findings) {
    for (index, name) in model.spec.replaces.iter().enumerate() {
        let path = format!("spec.replaces[{index}]");
        if name == &model.instance {
            f.error(
                path,
                text(name),
                format!("{name:?} is this instance's own name; spec.replaces names former instances"),
            );
            continue;
        }
        f.name(&path, "instance name", name, names::label_value);
        if model.spec.replaces[..index].contains(name) {
            f.warning(path, text(name), format!("{name:?} is listed twice"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1alpha1::{Gateway, MeshIngressSpec};
    use crate::model;
    use std::collections::BTreeMap;

    #[test]
    fn reserved_pod_metadata_and_own_name_are_errors() {
        let mut gateway = Gateway { name: "external".into(), ..Default::default() };
        gateway.workload.pod_labels =
            BTreeMap::from([("app".into(), "x".into()), ("team".into(), "a".into())]);
        gateway.workload.pod_annotations =
            BTreeMap::from([("sidecar.istio.io/inject".into(), "false".into())]);
        gateway.workload.service_account.annotations =
            BTreeMap::from([("eks.amazonaws.com/role-arn".into(), "arn:aws:iam::1:role/x".into())]);
        let spec = MeshIngressSpec {
            gateways: vec![gateway],
            replaces: vec!["shop".into(), "old".into()],
            ..Default::default()
        };
        let model = model::resolve("shop", &spec);
        let mut f = Findings::default();
        check(&model, &mut f);
        let paths: Vec<String> =
            f.results.iter().map(|r| r.field.as_ref().map(|f| f.path.clone()).unwrap_or_default()).collect();
        assert_eq!(
            paths,
            [
                "spec.gateways[0].workload.podAnnotations[\"sidecar.istio.io/inject\"]",
                "spec.gateways[0].workload.podLabels.app",
                "spec.replaces[0]",
            ],
            "{:#?}",
            f.results
        );
    }
}
