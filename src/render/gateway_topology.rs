//! How a gateway learns the client's address (`spec.gateways[].gatewayTopology`): the pods'
//! `proxy.istio.io/config` annotation (Istio's ProxyConfig `gatewayTopology`: trusted
//! `X-Forwarded-For` hops, PROXY protocol), and, behind an AWS NLB, the Service annotation that
//! makes the NLB send the PROXY protocol. Both ends must agree: a gateway that expects the PROXY
//! protocol rejects connections without it, and one that does not expect it cannot parse them.
//!
//! The NLB also sends the PROXY header on health check connections, and the gateway's status port
//! (15021, `/healthz/ready`) does not read it, so an HTTP check there fails with 400 and every target
//! goes unhealthy (istio/istio#25875, #39868). With the PROXY protocol the NLB checks TCP on each
//! traffic port instead: Envoy opens a gateway port only once its Gateway configuration arrived, and
//! the AWS Load Balancer Controller still removes pods that are not ready from the targets.

use crate::api::v1alpha1::{Gateway, GatewayTopology, Provider};
use std::collections::BTreeMap;

/// The pod annotation that carries per-proxy ProxyConfig.
pub const PROXY_CONFIG_ANNOTATION: &str = "proxy.istio.io/config";

/// The AWS Load Balancer Controller annotation that enables the PROXY protocol (v2) on an NLB.
pub const AWS_PROXY_PROTOCOL_ANNOTATION: &str = "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol";

/// The ProxyConfig (JSON) for a topology, when it sets anything.
pub fn proxy_config(topology: &GatewayTopology) -> Option<String> {
    let mut fields = serde_json::Map::new();
    if let Some(n) = topology.num_trusted_proxies {
        fields.insert("numTrustedProxies".to_string(), serde_json::Value::from(n));
    }
    if topology.proxy_protocol {
        fields.insert("proxyProtocol".to_string(), serde_json::Value::Object(serde_json::Map::new()));
    }
    if fields.is_empty() {
        return None;
    }
    Some(serde_json::json!({ "gatewayTopology": fields }).to_string())
}

/// Annotations for the gateway pods.
pub fn pod_annotations(gateway: &Gateway) -> BTreeMap<String, String> {
    gateway
        .gateway_topology
        .as_ref()
        .and_then(proxy_config)
        .map(|config| BTreeMap::from([(PROXY_CONFIG_ANNOTATION.to_string(), config)]))
        .unwrap_or_default()
}

/// Annotations for the gateway Service (before the user's own, which win).
pub fn service_annotations(gateway: &Gateway) -> BTreeMap<String, String> {
    let proxy_protocol = gateway.gateway_topology.as_ref().is_some_and(|t| t.proxy_protocol);
    if proxy_protocol && gateway.load_balancer.provider == Provider::AwsNlb {
        let aws = |key: &str| format!("service.beta.kubernetes.io/aws-load-balancer-{key}");
        BTreeMap::from([
            (AWS_PROXY_PROTOCOL_ANNOTATION.to_string(), "*".to_string()),
            (aws("healthcheck-protocol"), "tcp".to_string()),
            (aws("healthcheck-port"), "traffic-port".to_string()),
        ])
    } else {
        BTreeMap::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_config_sets_only_what_is_asked() {
        assert_eq!(proxy_config(&GatewayTopology::default()), None);
        let both = GatewayTopology { num_trusted_proxies: Some(1), proxy_protocol: true };
        assert_eq!(
            proxy_config(&both).as_deref(),
            Some(r#"{"gatewayTopology":{"numTrustedProxies":1,"proxyProtocol":{}}}"#)
        );
    }

    #[test]
    fn an_nlb_sending_proxy_protocol_is_health_checked_over_tcp() {
        let mut gateway = Gateway {
            gateway_topology: Some(GatewayTopology { num_trusted_proxies: None, proxy_protocol: true }),
            ..Default::default()
        };
        assert!(service_annotations(&gateway).is_empty(), "no preset: nothing to tell the load balancer");
        gateway.load_balancer.provider = Provider::AwsNlb;
        let annotations = service_annotations(&gateway);
        assert_eq!(annotations[AWS_PROXY_PROTOCOL_ANNOTATION], "*");
        assert_eq!(annotations["service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol"], "tcp");
        assert_eq!(
            annotations["service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"],
            "traffic-port"
        );
    }
}
