//! The control plane resolved: what the chosen profile installs in this cluster, which injection
//! labels the rendered control plane serves, and the names of what it renders.
//!
//! Every value the data plane also uses is taken from the config's single source: the revision from
//! `spec.revision`, the trust domain and root namespace from `spec.mtls`, the mesh ID, cluster name and
//! network from `spec.multicluster`.

use super::Model;
use crate::api::v1alpha1::{ControlPlane, Delivery, MeshIngressSpec, Profile, SailUpdateStrategy};

/// The name Istio gives the revision without a name, and the revision tag that serves
/// `istio-injection: enabled`.
pub const DEFAULT_REVISION: &str = "default";

/// What a profile installs in this cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileTraits {
    /// istiod runs in this cluster (and reads the mesh config rendered here).
    pub istiod: bool,
    /// An injection webhook is installed in this cluster (it serves the `sidecar` and `gateway`
    /// injection templates, from the local istiod or the primary cluster's).
    pub injector: bool,
    /// The chart profile (`profile` value of the Helm charts); `None`: the charts' defaults.
    pub helm: Option<&'static str>,
    /// The Sail `spec.profile`; `None` with [`ProfileTraits::renders`] false.
    pub sail: Option<&'static str>,
    /// Anything is rendered at all.
    pub renders: bool,
}

impl ProfileTraits {
    /// The traits of a profile. Istio 1.30's charts have profile files for `ambient`, `demo`,
    /// `preview` and `remote` (no `default`, `minimal` or `empty`: with the charts, those are their
    /// defaults); Sail knows `default`, `demo`, `preview`, `ambient`, `remote` and `empty`, where
    /// `empty` still installs istiod, so istioctl's `empty` (nothing at all) renders no Istio.
    pub fn of(profile: Profile) -> Self {
        let full = |helm, sail| ProfileTraits { istiod: true, injector: true, helm, sail, renders: true };
        match profile {
            Profile::Default | Profile::Minimal => full(None, Some("default")),
            Profile::Demo => full(Some("demo"), Some("demo")),
            Profile::Preview => full(Some("preview"), Some("preview")),
            Profile::Ambient => full(Some("ambient"), Some("ambient")),
            Profile::Remote => ProfileTraits {
                istiod: false,
                injector: true,
                helm: Some("remote"),
                sail: Some("remote"),
                renders: true,
            },
            Profile::Empty => {
                ProfileTraits { istiod: false, injector: false, helm: None, sail: None, renders: false }
            }
        }
    }
}

/// The resolved control plane.
#[derive(Clone, Debug)]
pub struct ControlPlaneModel {
    /// The spec entry.
    pub spec: ControlPlane,
    /// Namespace istiod is installed in: the mesh root namespace.
    pub namespace: String,
    /// The revision (`spec.revision`); empty: the default revision.
    pub revision: String,
    /// What the profile installs.
    pub traits: ProfileTraits,
    /// Sail: the Istio's name (the revision, or `default`).
    pub istio_name: String,
    /// Revision tags rendered: Sail IstioRevisionTags, or the istiod chart's `revisionTags`.
    pub tags: Vec<String>,
    /// The injection label values the rendered control plane serves (`istio.io/rev: <value>`;
    /// [`DEFAULT_REVISION`] also stands for `istio-injection: enabled`). Empty when nothing injects.
    pub served: Vec<String>,
    /// The Helm release name of istiod (`istiod`, or `istiod-<revision>`).
    pub istiod_release: String,
    /// Suffix that keeps object names of several clusters apart in one Argo CD (`-<clusterName>` with
    /// `spec.multicluster`, else empty).
    pub cluster_suffix: String,
    /// `PILOT_ENABLE_GATEWAY_API` as rendered; `None`: istiod's default.
    pub gateway_api: Option<bool>,
}

impl ControlPlaneModel {
    /// The label value a data-plane object uses for the config's revision.
    pub fn wanted(&self) -> &str {
        if self.revision.is_empty() { DEFAULT_REVISION } else { &self.revision }
    }

    /// Whether the rendered control plane serves an injection label value.
    pub fn serves(&self, revision: &str) -> bool {
        let revision = if revision.is_empty() { DEFAULT_REVISION } else { revision };
        self.served.iter().any(|s| s == revision)
    }

    /// The delivery format.
    pub fn delivery(&self) -> Delivery {
        self.spec.delivery
    }
}

/// Whether the config renders Gateway API objects istiod must serve: a gateway in `gateway-api`
/// output mode, or the port-80 Gateway of a gateway used by an ACME HTTP-01 solver.
pub fn uses_gateway_api(model: &Model) -> bool {
    model.gateways.iter().any(|g| g.http01 || g.gateway_api())
}

/// Resolve the control plane of a spec; `uses_gateway_api` from [`uses_gateway_api`].
pub fn resolve(spec: &MeshIngressSpec, uses_gateway_api: bool) -> Option<ControlPlaneModel> {
    let control_plane = spec.control_plane.as_ref()?;
    let revision = spec.revision.clone();
    let traits = ProfileTraits::of(control_plane.profile);
    let named = if revision.is_empty() { DEFAULT_REVISION.to_string() } else { revision.clone() };
    let mut tags = Vec::new();
    let revision_based = control_plane.delivery == Delivery::Sail
        && control_plane.sail.update_strategy == SailUpdateStrategy::RevisionBased;
    if revision_based {
        // Each version is its own revision (`<name>-v1-30-3`): the labels reach it through a tag.
        tags.push(named.clone());
    }
    if control_plane.default_tag && !revision.is_empty() && !tags.iter().any(|t| t == DEFAULT_REVISION) {
        tags.push(DEFAULT_REVISION.to_string());
    }
    let mut served = Vec::new();
    if traits.injector {
        if !revision_based {
            served.push(named.clone());
        }
        served.extend(tags.iter().cloned());
        served.sort();
        served.dedup();
    }
    let istiod_release =
        if revision.is_empty() { "istiod".to_string() } else { format!("istiod-{revision}") };
    let cluster_suffix = spec
        .multicluster
        .as_ref()
        .filter(|m| !m.cluster_name.is_empty())
        .map(|m| format!("-{}", m.cluster_name))
        .unwrap_or_default();
    let gateway_api = match control_plane.gateway_api {
        Some(value) => Some(value),
        None if uses_gateway_api => Some(true),
        None => None,
    };
    Some(ControlPlaneModel {
        spec: control_plane.clone(),
        namespace: spec.mtls.root_namespace.clone(),
        revision,
        traits,
        istio_name: named,
        tags,
        served,
        istiod_release,
        cluster_suffix,
        gateway_api,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(revision: &str, control_plane: serde_json::Value) -> MeshIngressSpec {
        serde_json::from_value(serde_json::json!({"revision": revision, "controlPlane": control_plane}))
            .unwrap()
    }

    #[test]
    fn the_default_revision_serves_istio_injection_enabled() {
        let cp = resolve(&spec("", serde_json::json!({"delivery": "argocd"})), false).unwrap();
        assert_eq!(cp.served, vec!["default"]);
        assert!(cp.serves(""));
        assert_eq!(cp.istiod_release, "istiod");
        assert!(cp.tags.is_empty());
    }

    #[test]
    fn a_named_revision_serves_its_label_and_the_default_tag_when_asked() {
        let cp = resolve(&spec("prod", serde_json::json!({"delivery": "flux", "defaultTag": true})), false)
            .unwrap();
        assert_eq!(cp.served, vec!["default", "prod"]);
        assert_eq!(cp.tags, vec!["default"]);
        assert_eq!(cp.istiod_release, "istiod-prod");
        assert!(!cp.serves("canary"));
    }

    #[test]
    fn revision_based_sail_serves_labels_through_tags_only() {
        let cp = resolve(
            &spec(
                "prod",
                serde_json::json!({"delivery": "sail", "sail": {"updateStrategy": "RevisionBased"}}),
            ),
            false,
        )
        .unwrap();
        assert_eq!(cp.tags, vec!["prod"]);
        assert_eq!(cp.served, vec!["prod"]);
        assert_eq!(cp.istio_name, "prod");
    }

    #[test]
    fn the_empty_profile_serves_nothing() {
        let cp =
            resolve(&spec("", serde_json::json!({"delivery": "sail", "profile": "empty"})), false).unwrap();
        assert!(cp.served.is_empty());
        assert!(!cp.traits.renders);
    }

    #[test]
    fn the_gateway_api_is_switched_on_when_used_and_left_alone_otherwise() {
        let used = resolve(&spec("", serde_json::json!({"delivery": "sail"})), true).unwrap();
        assert_eq!(used.gateway_api, Some(true));
        let unused = resolve(&spec("", serde_json::json!({"delivery": "sail"})), false).unwrap();
        assert_eq!(unused.gateway_api, None);
        let off =
            resolve(&spec("", serde_json::json!({"delivery": "sail", "gatewayAPI": false})), true).unwrap();
        assert_eq!(off.gateway_api, Some(false));
    }
}
