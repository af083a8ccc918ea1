//! Labels and metadata shared by every generated object.
//!
//! Every object carries the Kubernetes recommended labels (`app.kubernetes.io/*`) and the ownership
//! marker [`INSTANCE_LABEL`]. Selectors use a small, stable subset (never the version, never
//! `app.kubernetes.io/instance`, which Argo CD's label tracking may overwrite).

use crate::model::Model;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// The ownership marker: the MeshIngress instance that generated the object. On re-render, objects
/// carrying this label for the same instance are replaced, or pruned when no longer generated.
pub const INSTANCE_LABEL: &str = "mesh-ingress.dev/instance";
/// `app.kubernetes.io/managed-by` value on every generated object.
pub const MANAGED_BY: &str = "mesh-ingress";
/// `app.kubernetes.io/part-of` value on every generated object.
pub const PART_OF: &str = "mesh-ingress";
/// The version stamped on objects (`app.kubernetes.io/version`): this crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What part of the stack an object belongs to (`app.kubernetes.io/component`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// A gateway workload and its configuration.
    Gateway,
    /// The east-west gateway.
    EastWestGateway,
    /// A cert-manager Certificate.
    Certificate,
    /// A cert-manager issuer.
    Issuer,
    /// A namespace.
    Namespace,
    /// mTLS policy.
    Mtls,
    /// Authorization policy.
    Authorization,
    /// A route.
    Route,
    /// The demo app.
    Demo,
    /// Mesh telemetry.
    Telemetry,
    /// The Istio control plane (istiod, the base chart) as GitOps objects.
    ControlPlane,
    /// The instance's record of its last render (bookkeeping, never applied).
    Record,
}

impl Component {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Gateway => "gateway",
            Component::EastWestGateway => "eastwest-gateway",
            Component::Certificate => "certificate",
            Component::Issuer => "issuer",
            Component::Namespace => "namespace",
            Component::Mtls => "mtls",
            Component::Authorization => "authorization",
            Component::Route => "route",
            Component::Demo => "demo",
            Component::Telemetry => "telemetry",
            Component::ControlPlane => "control-plane",
            Component::Record => "record",
        }
    }
}

/// The recommended labels plus the ownership marker.
pub fn common_labels(model: &Model, app: &str, component: Component) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), app.to_string()),
        ("app.kubernetes.io/instance".to_string(), model.instance.clone()),
        ("app.kubernetes.io/component".to_string(), component.as_str().to_string()),
        ("app.kubernetes.io/part-of".to_string(), PART_OF.to_string()),
        ("app.kubernetes.io/managed-by".to_string(), MANAGED_BY.to_string()),
        ("app.kubernetes.io/version".to_string(), VERSION.to_string()),
        (INSTANCE_LABEL.to_string(), model.instance.clone()),
    ])
}

/// Pod template labels: the common labels without the version, so upgrading this function does not
/// roll every pod it manages.
pub fn pod_labels(model: &Model, app: &str, component: Component) -> BTreeMap<String, String> {
    let mut labels = common_labels(model, app, component);
    labels.remove("app.kubernetes.io/version");
    labels
}

/// Metadata for a generated object.
pub fn metadata(
    model: &Model,
    name: &str,
    namespace: Option<&str>,
    app: &str,
    component: Component,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(common_labels(model, app, component)),
        ..Default::default()
    }
}
