//! Argo CD sync waves: with `spec.argocd.syncWaves`, every generated object is annotated
//! `argocd.argoproj.io/sync-wave` so Argo CD applies in dependency order and waits for each wave to be
//! healthy: namespaces, issuers, certificates, gateway RBAC, Services, workloads, Gateways, then
//! policies and routes.

use super::Generated;
use crate::krm::object;

/// The annotation Argo CD orders a sync by.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The wave of an object, by kind.
pub fn wave(group: &str, kind: &str) -> i32 {
    match (group, kind) {
        ("", "Namespace") => 0,
        ("cert-manager.io", "ClusterIssuer" | "Issuer") => 1,
        ("cert-manager.io", "Certificate") => 2,
        ("", "ServiceAccount") | ("rbac.authorization.k8s.io", _) => 3,
        ("", "Service") => 4,
        ("apps", _) | ("autoscaling", _) | ("policy", _) => 5,
        ("networking.istio.io", "Gateway")
        | ("gateway.networking.k8s.io", _)
        | ("networking.k8s.io", "Ingress") => 6,
        ("security.istio.io", _) | ("networking.istio.io", "DestinationRule") | ("telemetry.istio.io", _) => {
            7
        }
        ("networking.istio.io", "VirtualService") => 8,
        _ => 8,
    }
}

/// Annotate every object with its wave.
pub fn annotate(generated: &mut [Generated]) {
    for g in generated {
        let group = object::group_of(object::api_version(&g.object)).to_string();
        let kind = object::kind(&g.object).to_string();
        if let Some(annotations) = object::annotations_mut(&mut g.object) {
            // A renderer that orders objects of one kind (the control plane's) set their waves already.
            annotations
                .entry(SYNC_WAVE.to_string())
                .or_insert_with(|| serde_json::Value::String(wave(&group, &kind).to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_order() {
        let order = [
            wave("", "Namespace"),
            wave("cert-manager.io", "ClusterIssuer"),
            wave("cert-manager.io", "Certificate"),
            wave("rbac.authorization.k8s.io", "Role"),
            wave("", "Service"),
            wave("apps", "Deployment"),
            wave("networking.istio.io", "Gateway"),
            wave("security.istio.io", "PeerAuthentication"),
            wave("networking.istio.io", "VirtualService"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    }
}
