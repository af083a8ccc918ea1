//! Injection labels of objects the user wrote beside a config that renders the control plane: a
//! Namespace or pod template labelled `istio.io/rev: <revision>` (or a Namespace labelled
//! `istio-injection: enabled`) that the rendered control plane does not serve gets no sidecars, and
//! pods with `image: auto` never start (IST0147). Such an object may be served by a control plane
//! installed elsewhere (a canary), so the finding is always a warning.

use super::package::Package;
use crate::api::v1alpha1::MeshIngressSpec;
use crate::krm::object;
use crate::krm::result::{File, KrmResult, ResourceRef};
use crate::model::control_plane::{self, DEFAULT_REVISION};
use crate::render::labels::INSTANCE_LABEL;
use serde_json::Value;

/// The revision label.
pub const REVISION_LABEL: &str = "istio.io/rev";
/// The default revision's namespace label.
pub const INJECTION_LABEL: &str = "istio-injection";

/// Check the injection labels of the user's Namespaces and workloads.
pub fn check(items: &[Value], spec: &MeshIngressSpec, package: &Package<'_>) -> Vec<KrmResult> {
    let Some(cp) = control_plane::resolve(spec, false).filter(|cp| cp.traits.injector) else {
        return Vec::new();
    };
    let served = cp.served.join(", ");
    let mut out = Vec::new();
    let mut report = |item: &Value, path: &str, wanted: &str| {
        let label = if path.ends_with(INJECTION_LABEL) {
            format!("{INJECTION_LABEL}: enabled")
        } else {
            format!("{REVISION_LABEL}: {wanted}")
        };
        let message = format!(
            "{} {}: labelled {label}, a revision the control plane of this MeshIngress does not serve (it serves {served}); its pods get no sidecar unless another control plane serves it",
            object::kind(item),
            object::name(item)
        );
        out.push(
            KrmResult::warning(message)
                .at(path, Some(Value::String(wanted.to_string())))
                .about(ResourceRef {
                    api_version: object::api_version(item).to_string(),
                    kind: object::kind(item).to_string(),
                    name: object::name(item).to_string(),
                    namespace: object::namespace(item).map(str::to_string),
                })
                .in_file(object::file_of(item).map(|(path, index)| File { path, index })),
        );
    };
    let users = |item: &&Value| object::label(item, INSTANCE_LABEL).is_none();
    for item in items.iter().filter(users) {
        if (object::api_version(item), object::kind(item)) != ("v1", "Namespace") {
            continue;
        }
        if let Some(revision) = object::label(item, REVISION_LABEL) {
            if !cp.serves(revision) {
                report(item, &format!("metadata.labels.{REVISION_LABEL}"), revision);
            }
        } else if object::label(item, INJECTION_LABEL) == Some("enabled") && !cp.serves(DEFAULT_REVISION) {
            report(item, &format!("metadata.labels.{INJECTION_LABEL}"), "enabled");
        }
    }
    for workload in &package.workloads {
        let item = package.object(workload.object).value;
        if !users(&item) {
            continue;
        }
        if let Some(revision) = workload.labels.get(REVISION_LABEL).and_then(Value::as_str)
            && !cp.serves(revision)
        {
            let template = if object::kind(item) == "Pod" { "metadata" } else { "spec.template.metadata" };
            report(item, &format!("{template}.labels.{REVISION_LABEL}"), revision);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_no_rendered_control_plane_serves_are_reported() {
        let spec: MeshIngressSpec =
            serde_json::from_value(json!({"revision": "prod", "controlPlane": {"delivery": "sail"}}))
                .unwrap();
        let items = vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"istio.io/rev": "prod"}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b", "labels": {"istio.io/rev": "canary"}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c", "labels": {"istio-injection": "enabled"}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "a"},
                   "spec": {"template": {"metadata": {"labels": {"istio.io/rev": "stable"}}}}}),
        ];
        let package = Package::index(&items, "shop");
        let results = check(&items, &spec, &package);
        let names: Vec<&str> =
            results.iter().map(|r| r.resource_ref.as_ref().unwrap().name.as_str()).collect();
        assert_eq!(names, ["b", "c", "d"]);
    }

    #[test]
    fn without_a_control_plane_nothing_is_checked() {
        let spec = MeshIngressSpec::default();
        let items = vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b", "labels": {"istio.io/rev": "x"}}}),
        ];
        assert!(check(&items, &spec, &Package::index(&items, "shop")).is_empty());
    }
}
