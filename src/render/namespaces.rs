//! Namespace objects: the gateway namespace and the application namespaces, labelled for injection.

use super::Generated;
use super::labels::{Component, metadata};
use crate::error::Error;
use crate::model::Model;
use k8s_openapi::api::core::v1::Namespace;
use std::collections::BTreeMap;

/// File of the Namespace objects.
pub const NAMESPACES_FILE: &str = "namespaces.yaml";

/// Namespaces this function must never create, because the platform or Istio's installer owns them.
/// Emitting them with an ownership label would let a pruning `kubectl apply` delete them.
pub fn is_reserved_namespace(model: &Model, name: &str) -> bool {
    ["default", "kube-system", "kube-public", "kube-node-lease"].contains(&name)
        || name == model.spec.mtls.root_namespace
}

/// Render the Namespace objects.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    // The gateway namespace carries no injection label: the gateway pods opt in themselves
    // (`sidecar.istio.io/inject: "true"`), and a namespace label of `istio-injection=disabled` would
    // leave them with `image: auto` (istio/istio#46307).
    if !is_reserved_namespace(model, &model.spec.namespace) {
        let namespace = Namespace {
            metadata: metadata(model, &model.spec.namespace, None, "mesh-ingress", Component::Namespace),
            ..Default::default()
        };
        out.push(Generated::new(&namespace, NAMESPACES_FILE)?);
    }
    // A multi-network mesh labels its root namespace with the network. The namespace belongs to
    // Istio's installer, so the object says it must never be pruned or deleted by a GitOps tool.
    if let Some((key, network)) = super::eastwest::root_namespace_labels(model) {
        let root = model.spec.mtls.root_namespace.as_str();
        let mut meta = metadata(model, root, None, "mesh-ingress", Component::Namespace);
        meta.labels.get_or_insert_with(BTreeMap::new).insert(key, network);
        meta.annotations = Some(BTreeMap::from([
            ("argocd.argoproj.io/sync-options".to_string(), "Prune=false,Delete=false".to_string()),
            ("kustomize.toolkit.fluxcd.io/prune".to_string(), "disabled".to_string()),
        ]));
        out.push(Generated::new(&Namespace { metadata: meta, ..Default::default() }, NAMESPACES_FILE)?);
    }
    for ns in &model.namespaces {
        let mut meta = metadata(model, &ns.name, None, "mesh-ingress", Component::Namespace);
        let labels = meta.labels.get_or_insert_with(BTreeMap::new);
        // Revision-based and default injection labels are exclusive (IST0123).
        match (ns.injection, model.spec.revision.as_str()) {
            (true, "") => labels.insert("istio-injection".to_string(), "enabled".to_string()),
            (true, revision) => labels.insert("istio.io/rev".to_string(), revision.to_string()),
            (false, _) => labels.insert("istio-injection".to_string(), "disabled".to_string()),
        };
        out.push(Generated::new(&Namespace { metadata: meta, ..Default::default() }, NAMESPACES_FILE)?);
    }
    Ok(out)
}
