//! Routes: one VirtualService per route of the model (and the demo app's), bound to gateways as
//! `<gateway namespace>/<gateway name>`. Everything here maps [`crate::model::routes`] onto
//! `networking.istio.io/v1`; nothing is decided that the model has not decided.

use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::error::Error;
use crate::model::Model;
use crate::model::routes::{
    Backend, HttpAction, HttpMatchModel, HttpRuleModel, PathRewrite, RedirectPort, RouteModel, StringMatch,
    TcpRuleModel, TlsRuleModel, ValueMatch,
};
use crate::types::Resource;
use crate::types::istio::{self, *};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub use crate::model::routes::MESH;

/// Render the VirtualServices of `spec.routes`: of every route that binds an Istio-mode gateway or
/// the mesh (the routes of `gateway-api` gateways are [`super::gateway_api`]'s).
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    model
        .routes
        .iter()
        .filter(|route| renders_virtual_service(model, route))
        .map(|route| {
            let meta = metadata(model, &route.name, Some(&route.namespace), "mesh-ingress", Component::Route);
            Generated::new(&virtual_service(model, route, meta), file_name("routes", &route.namespace))
        })
        .collect()
}

/// Whether a route binds anything served through a VirtualService: the mesh, or a gateway in
/// `istio` mode (a route bound to gateways of both modes renders both objects).
pub fn renders_virtual_service(model: &Model, route: &RouteModel) -> bool {
    route.gateways.iter().any(|(g, _)| !model.gateway_api(g))
}

/// How a VirtualService names a gateway of this config (`mesh` stays `mesh`): in the gateway's
/// namespace, which is an external workload's when it binds one.
pub fn gateway_ref(model: &Model, gateway: &str) -> String {
    if gateway == MESH { MESH.to_string() } else { format!("{}/{gateway}", model.gateway_namespace(gateway)) }
}

/// The VirtualService of a route.
pub fn virtual_service(
    model: &Model,
    route: &RouteModel,
    metadata: ObjectMeta,
) -> Resource<VirtualServiceSpec> {
    Resource::new(
        NETWORKING_V1,
        "VirtualService",
        metadata,
        VirtualServiceSpec {
            hosts: route.hosts.clone(),
            gateways: route
                .gateways
                .iter()
                .filter(|(g, _)| !model.gateway_api(g))
                .map(|(g, _)| gateway_ref(model, g))
                .collect(),
            http: route.http.iter().map(http_route).collect(),
            tls: route.tls.iter().map(tls_route).collect(),
            tcp: route.tcp.iter().map(tcp_route).collect(),
        },
    )
}

fn string_match(m: &StringMatch) -> istio::StringMatch {
    let (exact, prefix, regex) = match m {
        StringMatch::Exact(v) => (Some(v.clone()), None, None),
        StringMatch::Prefix(v) => (None, Some(v.clone()), None),
        StringMatch::Regex(v) => (None, None, Some(v.clone())),
    };
    istio::StringMatch { exact, prefix, regex }
}

fn http_match(m: &HttpMatchModel) -> HttpMatch {
    let mut out = HttpMatch {
        uri: m.uri.as_ref().map(string_match),
        method: m.method.as_ref().map(|method| string_match(&StringMatch::Exact(method.clone()))),
        port: m.port,
        authority: m.authority.as_ref().map(string_match),
        ..Default::default()
    };
    // Istio reads an empty string match as "present"; `withoutHeaders` with one as "absent".
    let value = |v: &ValueMatch| match v {
        ValueMatch::Exact(s) => string_match(&StringMatch::Exact(s.clone())),
        ValueMatch::Prefix(s) => string_match(&StringMatch::Prefix(s.clone())),
        ValueMatch::Regex(s) => string_match(&StringMatch::Regex(s.clone())),
        ValueMatch::Present | ValueMatch::Absent => istio::StringMatch::default(),
    };
    for (name, v) in &m.headers {
        let target = if *v == ValueMatch::Absent { &mut out.without_headers } else { &mut out.headers };
        target.insert(name.clone(), value(v));
    }
    for (name, v) in &m.query_params {
        // An absent query parameter is the inverse of "present", which Istio has no field for; the
        // validation refuses it for Istio output.
        if *v != ValueMatch::Absent {
            out.query_params.insert(name.clone(), value(v));
        }
    }
    out
}

fn destination(backend: &Backend) -> Destination {
    Destination {
        host: backend.host.clone(),
        port: backend.port.map(|number| PortSelector { number }),
        subset: backend.subset.clone(),
    }
}

/// Weighted destinations; a single destination takes all traffic and needs no weight.
fn route_destinations(backends: &[Backend]) -> Vec<RouteDestination> {
    backends
        .iter()
        .map(|b| RouteDestination {
            destination: destination(b),
            weight: (backends.len() > 1).then_some(b.weight),
        })
        .collect()
}

fn header_operations(ops: &crate::api::v1alpha1::HeaderOperations) -> Option<HeaderOperations> {
    (!ops.set.is_empty() || !ops.add.is_empty() || !ops.remove.is_empty()).then(|| HeaderOperations {
        set: ops.set.clone(),
        add: ops.add.clone(),
        remove: ops.remove.clone(),
    })
}

/// One HTTP rule as an Istio HTTPRoute.
pub fn http_route(rule: &HttpRuleModel) -> HttpRoute {
    let mut out = HttpRoute {
        name: rule.name.clone(),
        match_: rule.matches.iter().map(http_match).collect(),
        timeout: rule.timeout.clone(),
        retries: rule.retries.as_ref().map(|r| Retries {
            attempts: r.attempts,
            per_try_timeout: r.per_try_timeout.clone(),
            retry_on: r.retry_on.clone(),
        }),
        ..Default::default()
    };
    match &rule.action {
        HttpAction::Forward(backends) => out.route = route_destinations(backends),
        HttpAction::Redirect(r) => {
            let (port, derive_port) = match r.port {
                RedirectPort::Request => (None, None),
                RedirectPort::SchemeDefault => (None, Some("FROM_PROTOCOL_DEFAULT".to_string())),
                RedirectPort::Port(p) => (Some(p), None),
            };
            out.redirect = Some(HttpRedirect {
                uri: r.path.clone(),
                authority: r.host.clone(),
                port,
                derive_port,
                scheme: r.scheme.clone(),
                redirect_code: Some(r.code),
            });
        }
        HttpAction::DirectResponse(d) => {
            out.direct_response = Some(HttpDirectResponse {
                status: d.status,
                body: d.body.as_ref().map(|b| HttpBody { string: b.clone() }),
            });
        }
    }
    out.rewrite = rule.rewrite.as_ref().map(|r| {
        let mut rewrite = HttpRewrite { authority: r.authority.clone(), ..Default::default() };
        match &r.path {
            // Istio's `uri` replaces the matched prefix of a prefix match.
            Some(PathRewrite::Prefix(p)) => rewrite.uri = Some(p.clone()),
            // The whole path, as Istio itself translates the Gateway API's ReplaceFullPath.
            Some(PathRewrite::Full(p)) => {
                rewrite.uri_regex_rewrite =
                    Some(RegexRewrite { match_: "/.*".to_string(), rewrite: p.clone() })
            }
            Some(PathRewrite::Regex { pattern, substitution }) => {
                rewrite.uri_regex_rewrite =
                    Some(RegexRewrite { match_: pattern.clone(), rewrite: substitution.clone() })
            }
            None => {}
        }
        rewrite
    });
    let request = header_operations(&rule.request_headers);
    let response = header_operations(&rule.response_headers);
    if request.is_some() || response.is_some() {
        out.headers = Some(Headers { request, response });
    }
    out.cors_policy = rule.cors.as_ref().map(|c| CorsPolicy {
        allow_origins: c.allow_origins.iter().map(string_match).collect(),
        allow_methods: c.allow_methods.clone(),
        allow_headers: c.allow_headers.clone(),
        expose_headers: c.expose_headers.clone(),
        max_age: c.max_age.clone(),
        allow_credentials: c.allow_credentials,
    });
    out.fault = rule.fault.as_ref().map(|f| HttpFault {
        delay: f.delay.as_ref().map(|(fixed_delay, value)| FaultDelay {
            fixed_delay: fixed_delay.clone(),
            percentage: Percent { value: *value },
        }),
        abort: f.abort.as_ref().map(|(http_status, value)| FaultAbort {
            http_status: *http_status,
            percentage: Percent { value: *value },
        }),
    });
    if let Some(mirror) = &rule.mirror {
        out.mirror = Some(destination(&mirror.backend));
        out.mirror_percentage = Some(Percent { value: mirror.percentage });
    }
    out
}

fn tls_route(rule: &TlsRuleModel) -> TlsRoute {
    TlsRoute {
        match_: vec![TlsMatch { port: rule.port, sni_hosts: rule.sni_hosts.clone() }],
        route: route_destinations(&rule.backends),
    }
}

fn tcp_route(rule: &TcpRuleModel) -> TcpRoute {
    TcpRoute {
        match_: rule.port.map(|port| vec![L4Match { port: Some(port) }]).unwrap_or_default(),
        route: route_destinations(&rule.backends),
    }
}
