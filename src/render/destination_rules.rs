//! DestinationRules for `spec.services`: one per backend Service, named after it, in its namespace,
//! with the subsets routes name and the traffic policy toward it.
//!
//! Istio applies exactly one DestinationRule to a host, the most specific, and merges none. A
//! Service of a managed STRICT namespace is otherwise covered by the namespace's `default-mtls` rule
//! (`*.<namespace>.svc.cluster.local`, see [`super::mtls`]); the Service's own rule replaces it, so
//! the model gives it `ISTIO_MUTUAL` unless the config says otherwise.

use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::{self as api, BackendTls, ConnectionPool};
use crate::error::Error;
use crate::model::Model;
use crate::model::routes::{HashKey, LoadBalancerModel, ServiceModel};
use crate::types::Resource;
use crate::types::istio::*;

/// Render the DestinationRules of `spec.services`.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    model
        .services
        .iter()
        .map(|service| {
            let namespace = &service.service.namespace;
            let rule = Resource::new(
                NETWORKING_V1,
                "DestinationRule",
                metadata(model, &service.service.name, Some(namespace), "mesh-ingress", Component::Route),
                destination_rule(service),
            );
            Generated::new(&rule, file_name("routes", namespace))
        })
        .collect()
}

/// The DestinationRule spec of a backend Service.
pub fn destination_rule(service: &ServiceModel) -> DestinationRuleSpec {
    DestinationRuleSpec {
        host: service.service.fqdn(),
        traffic_policy: traffic_policy(
            service.tls.as_ref(),
            service.connection_pool.as_ref(),
            service.outlier_detection.as_ref(),
            service.load_balancer.as_ref(),
        ),
        subsets: service
            .subsets
            .iter()
            .map(|s| Subset {
                name: s.name.clone(),
                labels: s.labels.clone(),
                traffic_policy: s.policy.as_ref().and_then(|p| {
                    traffic_policy(
                        p.tls.as_ref(),
                        p.connection_pool.as_ref(),
                        p.outlier_detection.as_ref(),
                        p.load_balancer.as_ref(),
                    )
                }),
            })
            .collect(),
    }
}

/// A traffic policy of a Service or a subset; `None` when nothing is set.
fn traffic_policy(
    tls: Option<&BackendTls>,
    pool: Option<&ConnectionPool>,
    outlier: Option<&api::OutlierDetection>,
    lb: Option<&LoadBalancerModel>,
) -> Option<TrafficPolicy> {
    let policy = TrafficPolicy {
        tls: tls.map(|tls| ClientTls {
            mode: tls.mode.as_str().to_string(),
            credential_name: tls.credential_name.clone(),
            sni: tls.sni.clone(),
            subject_alt_names: tls.subject_alt_names.clone(),
        }),
        connection_pool: pool.map(|pool| ConnectionPoolSettings {
            tcp: pool.tcp.as_ref().map(|tcp| TcpSettings {
                max_connections: tcp.max_connections,
                connect_timeout: tcp.connect_timeout.clone(),
                idle_timeout: tcp.idle_timeout.clone(),
            }),
            http: pool.http.as_ref().map(|http| HttpSettings {
                http1_max_pending_requests: http.http1_max_pending_requests,
                http2_max_requests: http.http2_max_requests,
                max_requests_per_connection: http.max_requests_per_connection,
                max_retries: http.max_retries,
                idle_timeout: http.idle_timeout.clone(),
            }),
        }),
        outlier_detection: outlier.map(|o| OutlierDetection {
            consecutive_5xx_errors: o.consecutive_5xx_errors,
            consecutive_gateway_errors: o.consecutive_gateway_errors,
            interval: o.interval.clone(),
            base_ejection_time: o.base_ejection_time.clone(),
            max_ejection_percent: o.max_ejection_percent,
            min_health_percent: o.min_health_percent,
        }),
        load_balancer: lb.map(|lb| match lb {
            LoadBalancerModel::Simple(algorithm) => {
                LoadBalancerSettings { simple: Some(algorithm.as_str().to_string()), ..Default::default() }
            }
            LoadBalancerModel::ConsistentHash(key) => {
                let mut hash = ConsistentHashLb::default();
                match key {
                    HashKey::Header(name) => hash.http_header_name = Some(name.clone()),
                    HashKey::Cookie(cookie) => {
                        hash.http_cookie = Some(HttpCookie {
                            name: cookie.name.clone(),
                            path: cookie.path.clone(),
                            ttl: cookie.ttl.clone(),
                        })
                    }
                    HashKey::QueryParameter(name) => hash.http_query_parameter_name = Some(name.clone()),
                    HashKey::SourceIp => hash.use_source_ip = Some(true),
                }
                LoadBalancerSettings { consistent_hash: Some(hash), ..Default::default() }
            }
        }),
    };
    let empty = policy.tls.is_none()
        && policy.connection_pool.is_none()
        && policy.outlier_detection.is_none()
        && policy.load_balancer.is_none();
    (!empty).then_some(policy)
}
