//! Routes: one VirtualService per route, bound to gateways as `<gateway namespace>/<gateway name>`.

use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::HttpRule;
use crate::error::Error;
use crate::model::Model;
use crate::types::Resource;
use crate::types::istio::*;

/// Render the VirtualServices of `spec.routes`.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    model
        .routes
        .iter()
        .map(|route| {
            let service = Resource::new(
                NETWORKING_V1,
                "VirtualService",
                metadata(model, &route.name, Some(&route.namespace), "mesh-ingress", Component::Route),
                VirtualServiceSpec {
                    hosts: route.hosts.clone(),
                    gateways: route.gateways.iter().map(|(g, _)| gateway_ref(model, g)).collect(),
                    http: route.http.iter().map(http_route).collect(),
                    tls: Vec::new(),
                },
            );
            Generated::new(&service, file_name("routes", &route.namespace))
        })
        .collect()
}

/// The reserved gateway name that binds a VirtualService to the sidecars of the mesh.
pub const MESH: &str = "mesh";

/// How a VirtualService names a gateway of this config (`mesh` stays `mesh`): in the gateway's
/// namespace, which is an external workload's when it binds one.
pub fn gateway_ref(model: &Model, gateway: &str) -> String {
    if gateway == MESH { MESH.to_string() } else { format!("{}/{gateway}", model.gateway_namespace(gateway)) }
}

/// One HTTP rule as an Istio HTTPRoute.
pub fn http_route(rule: &HttpRule) -> HttpRoute {
    HttpRoute {
        name: None,
        match_: rule
            .match_
            .as_ref()
            .map(|m| {
                vec![HttpMatch {
                    uri: StringMatch {
                        exact: m.exact.clone(),
                        prefix: m.prefix.clone(),
                        regex: m.regex.clone(),
                    },
                }]
            })
            .unwrap_or_default(),
        route: vec![RouteDestination {
            destination: Destination {
                host: rule.destination.host.clone(),
                port: rule.destination.port.map(|number| PortSelector { number }),
            },
        }],
        timeout: rule.timeout.clone(),
        retries: rule.retries.as_ref().map(|r| Retries {
            attempts: r.attempts,
            per_try_timeout: r.per_try_timeout.clone(),
            retry_on: r.retry_on.clone(),
        }),
    }
}
