//! NetworkPolicies (networking.k8s.io/v1) for the pods this function runs: gateway pods and the demo
//! app admit connections only on the ports they serve, from any source. Who may talk to a workload
//! is decided by Istio (mTLS identities and AuthorizationPolicies), which NetworkPolicy cannot see;
//! these policies close everything else a pod might listen on.
//!
//! Only ingress is restricted. A gateway must reach istiod and every backend it routes to, and the
//! demo's sidecar must reach istiod, so an egress allow-list would be a second, stale copy of the
//! routing config.

use super::Generated;
use super::labels::{Component, metadata};
use crate::api::v1alpha1::PortProtocol;
use crate::error::Error;
use crate::model::{DEMO_CONTAINER_PORT, DemoModel, Model, STATUS_PORT, WorkloadModel};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet};

/// The proxy's metrics ports: pilot-agent's merged Prometheus endpoint (15020, the one the
/// `prometheus.io/port` annotation names) and Envoy's own (15090, `http-envoy-prom`, the port
/// Prometheus Operator PodMonitors for Istio scrape).
pub const METRICS_PORTS: [u32; 2] = [15020, 15090];

/// A policy selecting `selector` pods that admits `ports` (number and protocol) and nothing else.
fn admit_only(
    metadata: ObjectMeta,
    selector: &BTreeMap<String, String>,
    ports: BTreeSet<(u32, PortProtocol)>,
) -> NetworkPolicy {
    NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(selector.clone()), ..Default::default() }),
            policy_types: Some(vec!["Ingress".to_string()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                ports: Some(
                    ports
                        .into_iter()
                        .map(|(port, protocol)| NetworkPolicyPort {
                            port: Some(IntOrString::Int(super::int32(port))),
                            protocol: Some(protocol.as_str().to_string()),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

/// The gateway pods' policy, named after the workload: the target ports of its Service (status port
/// included, and the extra ports of `service.ports`) and the metrics ports.
pub fn gateway(
    metadata: ObjectMeta,
    workload: &WorkloadModel,
    file: &str,
) -> Result<Option<Generated>, Error> {
    if !workload.gateway.workload.network_policy.enabled {
        return Ok(None);
    }
    let mut ports: BTreeSet<(u32, PortProtocol)> = super::gateway_workload::service_ports(workload)
        .into_iter()
        .map(|(_, _, target, protocol)| (target, protocol))
        .collect();
    ports.insert((STATUS_PORT, PortProtocol::Tcp));
    ports.extend(METRICS_PORTS.map(|p| (p, PortProtocol::Tcp)));
    Generated::new(&admit_only(metadata, &workload.selector, ports), file).map(Some)
}

/// The demo app's policy: its container port, and the sidecar's status and metrics ports.
pub fn demo(
    model: &Model,
    demo: &DemoModel,
    selector: &BTreeMap<String, String>,
    file: &str,
) -> Result<Generated, Error> {
    let meta = metadata(model, &demo.name, Some(&demo.namespace), &demo.name, Component::Demo);
    let mut ports = BTreeSet::from([
        (u32::try_from(DEMO_CONTAINER_PORT).unwrap_or_default(), PortProtocol::Tcp),
        (STATUS_PORT, PortProtocol::Tcp),
    ]);
    ports.extend(METRICS_PORTS.map(|p| (p, PortProtocol::Tcp)));
    Generated::new(&admit_only(meta, selector, ports), file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn admits_each_port_once_in_ascending_order() {
        let selector = BTreeMap::from([("app".to_string(), "gw".to_string())]);
        let tcp = |p| (p, PortProtocol::Tcp);
        let policy = admit_only(
            ObjectMeta::default(),
            &selector,
            BTreeSet::from([tcp(443), tcp(80), tcp(15021), tcp(80), (53, PortProtocol::Udp)]),
        );
        let value = serde_json::to_value(policy).unwrap_or_default();
        assert_eq!(
            value["spec"],
            json!({
                "ingress": [{"ports": [
                    {"port": 53, "protocol": "UDP"},
                    {"port": 80, "protocol": "TCP"},
                    {"port": 443, "protocol": "TCP"},
                    {"port": 15021, "protocol": "TCP"},
                ]}],
                "podSelector": {"matchLabels": {"app": "gw"}},
                "policyTypes": ["Ingress"],
            })
        );
    }
}
