//! Namespace objects: the gateway namespace and the application namespaces, labelled for injection.

use super::Generated;
use super::labels::{Component, metadata};
use crate::error::Error;
use crate::model::Model;
use k8s_openapi::api::core::v1::Namespace;
use std::collections::BTreeMap;

/// File of the Namespace objects.
pub const NAMESPACES_FILE: &str = "namespaces.yaml";

/// The namespace every cluster has, which applications commonly run in: it may be a managed
/// application namespace (labelled, with mTLS and authorization), but is never created or deleted.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Namespaces this function must never create, because the platform or Istio's installer owns them.
/// Emitting them with an ownership label would let a pruning `kubectl apply` delete them.
pub fn is_reserved_namespace(model: &Model, name: &str) -> bool {
    [DEFAULT_NAMESPACE, "kube-system", "kube-public", "kube-node-lease"].contains(&name)
        || name == model.spec.mtls.root_namespace
}

/// Namespaces that belong to Kubernetes and cannot be managed application namespaces.
pub fn is_system_namespace(name: &str) -> bool {
    ["kube-system", "kube-public", "kube-node-lease"].contains(&name)
}

/// Annotations that keep GitOps tools from pruning or deleting a namespace this function labels but
/// does not own (the mesh root namespace, `default`).
fn never_prune() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("argocd.argoproj.io/sync-options".to_string(), "Prune=false,Delete=false".to_string()),
        ("kustomize.toolkit.fluxcd.io/prune".to_string(), "disabled".to_string()),
    ])
}

/// Whether anything generated lives in the gateway namespace (`spec.namespace`): a rendered workload, an
/// Istio Gateway, a Certificate or an Issuer. With only external workloads elsewhere, or only an
/// east-west gateway, it stays uncreated.
fn gateway_namespace_used(model: &Model) -> bool {
    let namespace = &model.spec.namespace;
    model.workloads.iter().any(|w| !w.external && &w.namespace == namespace)
        || model.gateways.iter().any(|g| &g.namespace == namespace)
        || model.certificates.iter().any(|c| &c.namespace == namespace)
        || model.issuers.iter().any(|i| !i.external && i.namespaces.contains(namespace))
}

/// Render the Namespace objects.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    // The gateway namespace carries no injection label: the gateway pods opt in themselves
    // (`sidecar.istio.io/inject: "true"`), and a namespace label of `istio-injection=disabled` would
    // leave them with `image: auto` (istio/istio#46307).
    if !is_reserved_namespace(model, &model.spec.namespace) && gateway_namespace_used(model) {
        let namespace = Namespace {
            metadata: metadata(model, &model.spec.namespace, None, "mesh-ingress", Component::Namespace),
            ..Default::default()
        };
        out.push(Generated::new(&namespace, NAMESPACES_FILE)?);
    }
    // A multi-network mesh labels its root namespace with the network, and a rendered control plane
    // installs into it (the Sail Operator and Flux objects need it to exist). The namespace belongs
    // to Istio's installer, so the object says it must never be pruned or deleted by a GitOps tool.
    let network = super::eastwest::root_namespace_labels(model);
    if network.is_some() || super::control_plane::renders(model).is_some() {
        let root = model.spec.mtls.root_namespace.as_str();
        let mut meta = metadata(model, root, None, "mesh-ingress", Component::Namespace);
        meta.labels.get_or_insert_with(BTreeMap::new).extend(network);
        meta.annotations = Some(never_prune());
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
        // `default` exists in every cluster (and cannot be deleted); say so to pruning tools.
        if ns.name == DEFAULT_NAMESPACE {
            meta.annotations = Some(never_prune());
        }
        out.push(Generated::new(&Namespace { metadata: meta, ..Default::default() }, NAMESPACES_FILE)?);
    }
    Ok(out)
}
