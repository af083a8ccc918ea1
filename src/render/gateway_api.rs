//! The Kubernetes Gateway API renderer (`output: gateway-api`): a `gateway.networking.k8s.io/v1`
//! Gateway per gateway entry, and HTTPRoutes, TLSRoutes and TCPRoutes for the routes bound to it.
//! It maps the same [`crate::model`] that [`super::istio_gateway`] and [`super::routes`] map onto
//! `networking.istio.io/v1`, and decides nothing the model has not decided; what the Gateway API
//! cannot say is refused by [`crate::validate::gateway_api`] before anything is rendered.
//!
//! Deployment mode: Istio's *manual deployment*. Each Gateway carries one `Hostname` address, the
//! cluster DNS name of the gateway Service this function renders (same namespace), so Istio
//! programs the existing pods instead of deploying its own. Why not the automated deployment: the
//! workload keeps every setting of the config (replicas, autoscaling, PDB, placement, Service type,
//! annotations, load-balancer presets, static addresses), keeps its name, Service and load balancer
//! across a migration from `istio` output (no new address, no DNS change), and stays one renderer
//! for both modes.
//!
//! Listeners: one per server and host name (`<server name>.<host>`, `*` spelled `wildcard`; a server
//! for every host keeps the server name), so each HTTPS host names its certificate Secret. The
//! port-80 server that redirects to HTTPS is one listener `http` for every host: the redirect
//! HTTPRoute and cert-manager's HTTP-01 challenge routes attach to it by that name, and user routes
//! do not (Istio's `httpsRedirect` redirects before any route matches, too).

use super::istio_gateway::{HTTP_LISTENER, https_redirect_route, parent_ref};
use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::{ServerProtocol, TlsMode};
use crate::error::Error;
use crate::model::routes::{
    Backend, HttpAction, HttpMatchModel, HttpRuleModel, Listener as L4Listener, PathRewrite, RedirectPort,
    RouteModel, StringMatch, ValueMatch, carries_http, is_passthrough,
};
use crate::model::{GatewayModel, Model, ServerModel, hosts_overlap, server_host_name};
use crate::types::Resource;
use crate::types::gateway_api::{self as gapi, *};
use k8s_openapi::api::core::v1::ConfigMap;
use std::collections::{BTreeMap, BTreeSet};

/// The label every namespace carries with its own name, which listeners select route namespaces by.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Istio's listener option for client certificate validation (`MUTUAL`), read from
/// `tls.options` of a Gateway API listener.
pub const TLS_TERMINATE_MODE: &str = "gateway.istio.io/tls-terminate-mode";

/// A listener of a gateway in `gateway-api` mode, with the server it comes from.
#[derive(Clone, Debug)]
pub struct ListenerModel<'a> {
    /// Listener name.
    pub name: String,
    /// Host name; `None`: every host.
    pub hostname: Option<String>,
    /// The server.
    pub server: &'a ServerModel,
}

/// Whether a server is the HTTP server that redirects every request to HTTPS.
fn redirects(server: &ServerModel) -> bool {
    server.protocol == ServerProtocol::Http && server.https_redirect
}

/// The listeners of a gateway, in server order.
pub fn listeners(gateway: &GatewayModel) -> Vec<ListenerModel<'_>> {
    let mut out = Vec::new();
    for server in &gateway.servers {
        if redirects(server) {
            let name = if server.port == 80 { HTTP_LISTENER.to_string() } else { server.name.clone() };
            out.push(ListenerModel { name, hostname: None, server });
            continue;
        }
        if server.protocol == ServerProtocol::Tcp {
            out.push(ListenerModel { name: server.name.clone(), hostname: None, server });
            continue;
        }
        let mut hosts: Vec<&str> = server.hosts.iter().map(|h| server_host_name(h)).collect();
        hosts.dedup();
        for host in hosts {
            if host == "*" {
                out.push(ListenerModel { name: server.name.clone(), hostname: None, server });
            } else {
                out.push(ListenerModel {
                    name: format!("{}.{}", server.name, host.replace('*', "wildcard")),
                    hostname: Some(host.to_string()),
                    server,
                });
            }
        }
    }
    out
}

/// The cluster DNS name of a gateway's Service, the `Hostname` address of its Gateway.
pub fn service_address(gateway: &GatewayModel) -> String {
    format!("{}.{}.svc.{}", gateway.workload, gateway.namespace, crate::model::routes::CLUSTER_DOMAIN)
}

/// The name of the ConfigMap an automatically deployed gateway is customized by.
pub fn options_name(gateway: &GatewayModel) -> String {
    format!("{}-gateway-options", gateway.name)
}

/// The name Istio gives the Service (and Deployment) of an automatically deployed gateway.
pub fn automated_service_name(gateway: &GatewayModel) -> String {
    gateway.automated_name()
}

/// The `parametersRef` ConfigMap of a gateway with `deployment: automated`; `None` otherwise.
fn automated_options(model: &Model, gateway: &GatewayModel) -> Result<Option<ConfigMap>, Error> {
    if !gateway.automated() {
        return Ok(None);
    }
    let Some(workload) = model.workloads.iter().find(|w| w.name == gateway.workload) else {
        return Ok(None);
    };
    Ok(Some(ConfigMap {
        metadata: metadata(
            model,
            &options_name(gateway),
            Some(&gateway.namespace),
            &gateway.workload,
            Component::Gateway,
        ),
        data: Some(super::gateway_workload::automated_options(model, workload)?),
        ..Default::default()
    }))
}

/// Which routes a listener admits: exactly the namespaces the config routes from (`Same` when that
/// is the gateway's own).
fn allowed_routes(gateway: &GatewayModel, mut namespaces: Vec<String>) -> AllowedRoutes {
    namespaces.sort();
    namespaces.dedup();
    let same = namespaces.iter().all(|n| *n == gateway.namespace);
    AllowedRoutes {
        namespaces: if same {
            RouteNamespaces { from: "Same".to_string(), selector: None }
        } else {
            RouteNamespaces {
                from: "Selector".to_string(),
                selector: Some(LabelSelector {
                    match_expressions: vec![LabelSelectorRequirement {
                        key: NAMESPACE_NAME_LABEL.to_string(),
                        operator: "In".to_string(),
                        values: namespaces,
                    }],
                }),
            }
        },
    }
}

/// Every route of the config (the demo app's too).
fn all_routes(model: &Model) -> impl Iterator<Item = &RouteModel> {
    model.routes.iter().chain(model.demo_route.iter())
}

/// The namespaces of the routes that attach to a listener.
fn route_namespaces(model: &Model, gateway: &GatewayModel, listener: &ListenerModel) -> Vec<String> {
    all_routes(model)
        .filter(|route| {
            http_listeners(model, route)
                .iter()
                .any(|(g, l)| g.name == gateway.name && l.name == listener.name)
                || route.tls.iter().any(|r| {
                    l4_listeners(model, &r.listeners, Some(&r.sni_hosts))
                        .iter()
                        .any(|(g, l)| g.name == gateway.name && l.name == listener.name)
                })
                || route.tcp.iter().any(|r| {
                    l4_listeners(model, &r.listeners, None)
                        .iter()
                        .any(|(g, l)| g.name == gateway.name && l.name == listener.name)
                })
        })
        .map(|route| route.namespace.clone())
        .collect()
}

/// Render the Gateway of a gateway in `gateway-api` mode, and its HTTPS-redirect HTTPRoute.
pub fn render_gateway(model: &Model, gateway: &GatewayModel) -> Result<Vec<Generated>, Error> {
    let file = file_name("gateway", &gateway.name);
    let namespace = gateway.namespace.as_str();
    let automated = automated_options(model, gateway)?;
    let listeners = listeners(gateway);
    let rendered = listeners
        .iter()
        .map(|l| {
            let server = l.server;
            let protocol = if server.protocol == ServerProtocol::Tls && !is_passthrough(server) {
                // A TLS-terminating server carries TCP rules; validation refuses it in this mode.
                "TLS"
            } else {
                server.protocol.as_str()
            };
            let tls = server.tls.as_ref().and_then(|tls| match (server.protocol, tls.mode) {
                (ServerProtocol::Http | ServerProtocol::Tcp, _) => None,
                (_, TlsMode::Passthrough) => {
                    Some(ListenerTls { mode: "Passthrough".to_string(), ..Default::default() })
                }
                (_, mode) => {
                    let mut options = BTreeMap::new();
                    if mode == TlsMode::Mutual {
                        // Istio reads the client CA from the credential's `ca.crt` or its `-cacert`
                        // Secret, as for an Istio Gateway's `MUTUAL` server.
                        options.insert(TLS_TERMINATE_MODE.to_string(), "MUTUAL".to_string());
                    }
                    Some(ListenerTls {
                        mode: "Terminate".to_string(),
                        certificate_refs: vec![ObjectRef {
                            group: String::new(),
                            kind: "Secret".to_string(),
                            name: tls.credential_name.clone(),
                        }],
                        options,
                    })
                }
            });
            let namespaces = if redirects(server) {
                vec![namespace.to_string()]
            } else {
                route_namespaces(model, gateway, l)
            };
            gapi::Listener {
                name: l.name.clone(),
                hostname: l.hostname.clone(),
                port: server.port,
                protocol: protocol.to_string(),
                tls,
                allowed_routes: allowed_routes(gateway, namespaces),
            }
        })
        .collect();
    let object = Resource::new(
        gapi::V1,
        "Gateway",
        metadata(model, &gateway.name, Some(namespace), &gateway.workload, Component::Gateway),
        GatewaySpec {
            gateway_class_name: "istio".to_string(),
            addresses: if automated.is_some() {
                Vec::new()
            } else {
                vec![GatewayAddress { type_: "Hostname".to_string(), value: service_address(gateway) }]
            },
            infrastructure: automated.as_ref().map(|options| GatewayInfrastructure {
                parameters_ref: ObjectRef {
                    group: String::new(),
                    kind: "ConfigMap".to_string(),
                    name: options.metadata.name.clone().unwrap_or_default(),
                },
            }),
            listeners: rendered,
            tls: None,
        },
    );
    let mut out = Vec::new();
    if let Some(options) = &automated {
        out.push(Generated::new(options, &file)?);
    }
    out.push(Generated::new(&object, &file)?);
    for l in listeners.iter().filter(|l| redirects(l.server)) {
        let mut parent = parent_ref(&gateway.name, None);
        parent.section_name = l.name.clone();
        out.push(Generated::new(&https_redirect_route(model, gateway, l.server, parent), &file)?);
    }
    Ok(out)
}

/// The gateways in `gateway-api` mode a route binds, with the listeners its HTTP rules attach to:
/// HTTP and HTTPS listeners that do not redirect, whose host overlaps the route's hosts.
pub fn http_listeners<'a>(
    model: &'a Model,
    route: &RouteModel,
) -> Vec<(&'a GatewayModel, ListenerModel<'a>)> {
    if route.http.is_empty() {
        return Vec::new();
    }
    gateway_api_gateways(model, route)
        .into_iter()
        .flat_map(|g| {
            listeners(g)
                .into_iter()
                .filter(|l| carries_http(l.server) && !redirects(l.server))
                .filter(|l| match &l.hostname {
                    Some(host) => hosts_overlap(std::slice::from_ref(host), &route.hosts),
                    None => true,
                })
                .map(move |l| (g, l))
        })
        .collect()
}

/// The listeners of a TLS or TCP rule's servers (for TLS, those whose host overlaps `sni`).
fn l4_listeners<'a>(
    model: &'a Model,
    servers: &[L4Listener],
    sni: Option<&[String]>,
) -> Vec<(&'a GatewayModel, ListenerModel<'a>)> {
    let mut out = Vec::new();
    for server in servers {
        let Some(gateway) = model.gateways.iter().find(|g| g.name == server.gateway && g.gateway_api())
        else {
            continue;
        };
        for l in listeners(gateway) {
            let host_ok = match (&l.hostname, sni) {
                (Some(host), Some(sni)) => hosts_overlap(std::slice::from_ref(host), sni),
                _ => true,
            };
            if l.server.port == server.port && l.server.name == server.name && host_ok {
                out.push((gateway, l));
            }
        }
    }
    out
}

/// The gateways in `gateway-api` mode a route binds.
pub fn gateway_api_gateways<'a>(model: &'a Model, route: &RouteModel) -> Vec<&'a GatewayModel> {
    route
        .bound_gateways()
        .into_iter()
        .filter_map(|name| model.gateways.iter().find(|g| g.name == name && g.gateway_api()))
        .collect()
}

fn parents(pairs: &[(&GatewayModel, ListenerModel)]) -> Vec<ParentRef> {
    pairs
        .iter()
        .map(|(g, l)| {
            let mut parent = parent_ref(&g.name, Some(&g.namespace));
            parent.section_name = l.name.clone();
            parent
        })
        .collect()
}

/// Route host names as the Gateway API writes them: `*` (every host) is no names.
fn hostnames(hosts: &[String]) -> Vec<String> {
    hosts.iter().filter(|h| *h != "*").cloned().collect()
}

/// The name of the `index`th TLSRoute or TCPRoute of a route with `count` of them.
pub fn l4_route_name(route: &str, index: usize, count: usize) -> String {
    if count == 1 { route.to_string() } else { format!("{route}-{index}") }
}

/// What the ReferenceGrant of one target namespace admits: the referring (kind, namespace) pairs,
/// and the Services referred to.
type Grant = (BTreeSet<(String, String)>, BTreeSet<String>);

/// Render the HTTPRoutes, TLSRoutes and TCPRoutes of the routes bound to gateways in `gateway-api`
/// mode, and the ReferenceGrants their backends in other namespaces need.
pub fn render_routes(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    let mut grants: BTreeMap<String, Grant> = BTreeMap::new();
    for route in all_routes(model) {
        let file = if Some(route) == model.demo_route.as_ref() {
            super::demo_app::DEMO_FILE.to_string()
        } else {
            file_name("routes", &route.namespace)
        };
        let meta = || metadata(model, &route.name, Some(&route.namespace), "mesh-ingress", Component::Route);
        let mut grant = |kind: &str, backend: &Backend| {
            if let Some(service) = &backend.service
                && service.namespace != route.namespace
            {
                let entry = grants.entry(service.namespace.clone()).or_default();
                entry.0.insert((kind.to_string(), route.namespace.clone()));
                entry.1.insert(service.name.clone());
            }
        };
        let http = http_listeners(model, route);
        if !http.is_empty() {
            for rule in &route.http {
                if let HttpAction::Forward(backends) = &rule.action {
                    backends.iter().for_each(|b| grant("HTTPRoute", b));
                }
                if let Some(mirror) = &rule.mirror {
                    grant("HTTPRoute", &mirror.backend);
                }
            }
            let spec = HttpRouteSpec {
                parent_refs: parents(&http),
                hostnames: hostnames(&route.hosts),
                rules: route.http.iter().map(|r| http_rule(route, r)).collect(),
            };
            out.push(Generated::new(&Resource::new(gapi::V1, "HTTPRoute", meta(), spec), &file)?);
        }
        let tls: Vec<_> = route
            .tls
            .iter()
            .map(|r| (r, l4_listeners(model, &r.listeners, Some(&r.sni_hosts))))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        for (index, (rule, listeners)) in tls.iter().enumerate() {
            rule.backends.iter().for_each(|b| grant("TLSRoute", b));
            let mut meta = meta();
            meta.name = Some(l4_route_name(&route.name, index, tls.len()));
            let spec = TlsRouteSpec {
                parent_refs: parents(listeners),
                hostnames: hostnames(&rule.sni_hosts),
                rules: vec![L4Rule { backend_refs: backend_refs(route, &rule.backends) }],
            };
            out.push(Generated::new(&Resource::new(gapi::V1, "TLSRoute", meta, spec), &file)?);
        }
        let tcp: Vec<_> = route
            .tcp
            .iter()
            .map(|r| (r, l4_listeners(model, &r.listeners, None)))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        for (index, (rule, listeners)) in tcp.iter().enumerate() {
            rule.backends.iter().for_each(|b| grant("TCPRoute", b));
            let mut meta = meta();
            meta.name = Some(l4_route_name(&route.name, index, tcp.len()));
            let spec = TcpRouteSpec {
                parent_refs: parents(listeners),
                rules: vec![L4Rule { backend_refs: backend_refs(route, &rule.backends) }],
            };
            out.push(Generated::new(&Resource::new(gapi::V1, "TCPRoute", meta, spec), &file)?);
        }
    }
    for (namespace, (from, services)) in grants {
        // The API allows 16 entries a side; past that, any Service of the namespace.
        let to = if services.len() <= 16 {
            services
                .into_iter()
                .map(|name| ReferenceGrantTo {
                    group: String::new(),
                    kind: "Service".to_string(),
                    name: Some(name),
                })
                .collect()
        } else {
            vec![ReferenceGrantTo { group: String::new(), kind: "Service".to_string(), name: None }]
        };
        let spec = ReferenceGrantSpec {
            from: from
                .into_iter()
                .map(|(kind, namespace)| ReferenceGrantFrom {
                    group: gapi::GROUP.to_string(),
                    kind,
                    namespace,
                })
                .collect(),
            to,
        };
        let meta =
            metadata(model, &reference_grant_name(model), Some(&namespace), "mesh-ingress", Component::Route);
        out.push(Generated::new(
            &Resource::new("gateway.networking.k8s.io/v1", "ReferenceGrant", meta, spec),
            file_name("routes", &namespace),
        )?);
    }
    Ok(out)
}

/// The name of the ReferenceGrant that lets this instance's routes reach Services of a namespace.
pub fn reference_grant_name(model: &Model) -> String {
    format!("{}-routes", model.instance)
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A header or query parameter condition; `Absent` is refused by validation and matches nothing here.
fn name_match(name: &str, value: &ValueMatch) -> Option<NameMatch> {
    let (type_, value) = match value {
        ValueMatch::Exact(v) => ("Exact", v.clone()),
        // Istio matches a regex and a prefix against the whole value (RE2 full match), as Istio's
        // Gateway API `RegularExpression` does.
        ValueMatch::Prefix(v) => ("RegularExpression", format!("{}.*", regex_escape(v))),
        ValueMatch::Regex(v) => ("RegularExpression", v.clone()),
        ValueMatch::Present => ("RegularExpression", ".*".to_string()),
        ValueMatch::Absent => return None,
    };
    Some(NameMatch { name: name.to_string(), type_: type_.to_string(), value })
}

fn path_match(uri: Option<&StringMatch>) -> HttpPathMatch {
    let (type_, value) = match uri {
        None => ("PathPrefix", "/".to_string()),
        Some(StringMatch::Exact(p)) => ("Exact", p.clone()),
        // Segment-wise in the Gateway API (`/api` no longer matches `/apis`); validation warns.
        Some(StringMatch::Prefix(p)) => ("PathPrefix", p.clone()),
        Some(StringMatch::Regex(p)) => ("RegularExpression", p.clone()),
    };
    HttpPathMatch { type_: type_.to_string(), value }
}

fn http_match(m: &HttpMatchModel) -> HttpRouteMatch {
    HttpRouteMatch {
        path: path_match(m.uri.as_ref()),
        headers: m.headers.iter().filter_map(|(n, v)| name_match(n, v)).collect(),
        query_params: m.query_params.iter().filter_map(|(n, v)| name_match(n, v)).collect(),
        method: m.method.clone(),
    }
}

fn backend_ref(route: &RouteModel, backend: &Backend) -> Option<BackendObjectRef> {
    let service = backend.service.as_ref()?;
    Some(BackendObjectRef {
        group: String::new(),
        kind: "Service".to_string(),
        name: service.name.clone(),
        namespace: (service.namespace != route.namespace).then(|| service.namespace.clone()),
        port: backend.port.unwrap_or_default(),
    })
}

fn backend_refs(route: &RouteModel, backends: &[Backend]) -> Vec<BackendRef> {
    backends
        .iter()
        .filter_map(|b| {
            let r = backend_ref(route, b)?;
            Some(BackendRef {
                group: r.group,
                kind: r.kind,
                name: r.name,
                namespace: r.namespace,
                port: r.port,
                weight: b.weight,
            })
        })
        .collect()
}

fn header_modifier(ops: &crate::api::v1alpha1::HeaderOperations) -> Option<HeaderModifier> {
    let headers = |map: &BTreeMap<String, String>| {
        map.iter().map(|(name, value)| HttpHeader { name: name.clone(), value: value.clone() }).collect()
    };
    (!ops.set.is_empty() || !ops.add.is_empty() || !ops.remove.is_empty()).then(|| HeaderModifier {
        set: headers(&ops.set),
        add: headers(&ops.add),
        remove: ops.remove.clone(),
    })
}

/// Seconds of a Go-style duration (`24h`, `90m`, `30s`), for CORS `maxAge`.
pub fn duration_seconds(duration: &str) -> Option<u32> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut chars = duration.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: u64 = number.parse().ok()?;
        number.clear();
        let factor = match c {
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                total += value / 1000;
                continue;
            }
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total += value * factor;
    }
    if !number.is_empty() {
        return None;
    }
    u32::try_from(total).ok()
}

fn filter(type_: &str) -> HttpRouteFilter {
    HttpRouteFilter { type_: type_.to_string(), ..Default::default() }
}

/// One HTTP rule as an HTTPRoute rule.
fn http_rule(route: &RouteModel, rule: &HttpRuleModel) -> HttpRouteRule {
    let matches = if rule.matches.is_empty() {
        vec![HttpRouteMatch { path: path_match(None), ..Default::default() }]
    } else {
        rule.matches.iter().map(http_match).collect()
    };
    let mut filters = Vec::new();
    if let Some(modifier) = header_modifier(&rule.request_headers) {
        filters.push(HttpRouteFilter {
            request_header_modifier: Some(modifier),
            ..filter("RequestHeaderModifier")
        });
    }
    if let Some(modifier) = header_modifier(&rule.response_headers) {
        filters.push(HttpRouteFilter {
            response_header_modifier: Some(modifier),
            ..filter("ResponseHeaderModifier")
        });
    }
    if let Some(rewrite) = &rule.rewrite {
        let path = match &rewrite.path {
            Some(PathRewrite::Prefix(p)) => Some(PathModifier {
                type_: "ReplacePrefixMatch".to_string(),
                replace_prefix_match: Some(p.clone()),
                ..Default::default()
            }),
            Some(PathRewrite::Full(p)) => Some(PathModifier {
                type_: "ReplaceFullPath".to_string(),
                replace_full_path: Some(p.clone()),
                ..Default::default()
            }),
            Some(PathRewrite::Regex { .. }) | None => None,
        };
        filters.push(HttpRouteFilter {
            url_rewrite: Some(UrlRewrite { hostname: rewrite.authority.clone(), path }),
            ..filter("URLRewrite")
        });
    }
    if let Some(cors) = &rule.cors {
        filters.push(HttpRouteFilter {
            cors: Some(Cors {
                allow_origins: cors
                    .allow_origins
                    .iter()
                    .filter_map(|o| match o {
                        StringMatch::Exact(origin) => Some(origin.clone()),
                        _ => None,
                    })
                    .collect(),
                allow_methods: cors.allow_methods.clone(),
                allow_headers: cors.allow_headers.clone(),
                expose_headers: cors.expose_headers.clone(),
                max_age: cors.max_age.as_deref().and_then(duration_seconds),
                allow_credentials: cors.allow_credentials,
            }),
            ..filter("CORS")
        });
    }
    if let Some(mirror) = &rule.mirror
        && let Some(backend_ref) = backend_ref(route, &mirror.backend)
    {
        let whole = mirror.percentage.fract() == 0.0;
        filters.push(HttpRouteFilter {
            request_mirror: Some(RequestMirror {
                backend_ref,
                percent: whole.then_some(mirror.percentage as u32),
                fraction: (!whole).then(|| Fraction {
                    numerator: (mirror.percentage * 10_000.0).round() as u32,
                    denominator: 1_000_000,
                }),
            }),
            ..filter("RequestMirror")
        });
    }
    let mut backend = Vec::new();
    match &rule.action {
        HttpAction::Forward(backends) => backend = backend_refs(route, backends),
        HttpAction::Redirect(r) => {
            let port = match r.port {
                RedirectPort::Port(p) => Some(p),
                RedirectPort::Request | RedirectPort::SchemeDefault => None,
            };
            filters.push(HttpRouteFilter {
                request_redirect: Some(RequestRedirect {
                    scheme: r.scheme.clone(),
                    hostname: r.host.clone(),
                    path: r.path.as_ref().map(|p| PathModifier {
                        type_: "ReplaceFullPath".to_string(),
                        replace_full_path: Some(p.clone()),
                        ..Default::default()
                    }),
                    port,
                    status_code: u32::from(r.code),
                }),
                ..filter("RequestRedirect")
            });
        }
        // Refused by validation in this mode.
        HttpAction::DirectResponse(_) => {}
    }
    HttpRouteRule {
        name: rule.name.clone(),
        matches,
        filters,
        backend_refs: backend,
        timeouts: rule.timeout.as_ref().map(|t| HttpRouteTimeouts { request: t.clone() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1alpha1::{
        Destination, Gateway, HttpRule, MeshIngressSpec, OutputApi, Route, Server, ServerProtocol as Protocol,
    };

    fn spec(output: Option<OutputApi>) -> MeshIngressSpec {
        let https = Server { port: 443, protocol: Protocol::Https, ..Default::default() };
        let http =
            Server { port: 80, protocol: Protocol::Http, https_redirect: Some(true), ..Default::default() };
        MeshIngressSpec {
            domains: vec!["shop.example.com".into(), "*.api.example.com".into()],
            gateways: vec![
                Gateway { name: "public".into(), output, servers: vec![https, http], ..Default::default() },
                Gateway { name: "legacy".into(), ..Default::default() },
            ],
            certificates: vec![crate::api::v1alpha1::Certificate {
                name: "tls".into(),
                ..Default::default()
            }],
            routes: vec![Route {
                name: "shop".into(),
                namespace: "shop".into(),
                gateways: vec!["public".into(), "legacy".into()],
                hosts: vec!["shop.example.com".into()],
                http: vec![HttpRule {
                    destination: Some(Destination { host: "web".into(), port: Some(80), subset: None }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn an_automated_gateway_names_its_options_and_renders_no_workload() {
        let mut spec = spec(Some(OutputApi::GatewayApi));
        spec.gateways[0].deployment = crate::api::v1alpha1::GatewayDeployment::Automated;
        let model = crate::model::resolve("shop", &spec);
        let gateway = render_gateway(&model, &model.gateways[0]).unwrap();
        assert_eq!(gateway[0].object["kind"], "ConfigMap");
        assert_eq!(gateway[0].object["metadata"]["name"], "public-gateway-options");
        let options = &gateway[0].object["data"];
        assert!(options["deployment"].is_string() && options["horizontalPodAutoscaler"].is_string());
        let gateway_spec = &gateway[1].object["spec"];
        assert!(gateway_spec.get("addresses").is_none());
        assert_eq!(gateway_spec["infrastructure"]["parametersRef"]["name"], "public-gateway-options");
        // The legacy gateway's workload is still rendered, the automated one's is Istio's.
        let all = super::super::render(&model).unwrap();
        let deployments: Vec<&str> = all
            .iter()
            .filter(|g| g.object["kind"] == "Deployment")
            .filter_map(|g| g.object["metadata"]["name"].as_str())
            .collect();
        assert_eq!(deployments, ["istio-ingressgateway-legacy"]);
    }

    #[test]
    fn listeners_are_named_by_server_and_host_and_the_redirect_is_one() {
        let model = crate::model::resolve("shop", &spec(Some(OutputApi::GatewayApi)));
        let names: Vec<String> = listeners(&model.gateways[0]).into_iter().map(|l| l.name).collect();
        assert_eq!(names, ["https-443.shop.example.com", "https-443.wildcard.api.example.com", "http"]);
    }

    #[test]
    fn a_route_bound_to_both_apis_renders_both_objects() {
        let model = crate::model::resolve("shop", &spec(Some(OutputApi::GatewayApi)));
        let routes = render_routes(&model).unwrap();
        let kinds: Vec<&str> = routes.iter().map(|g| g.object["kind"].as_str().unwrap_or_default()).collect();
        assert_eq!(kinds, ["HTTPRoute"]);
        // Only the listener whose host the route serves, and never the redirecting one.
        let parents = &routes[0].object["spec"]["parentRefs"];
        assert_eq!(parents.as_array().map(Vec::len), Some(1));
        assert_eq!(parents[0]["sectionName"], "https-443.shop.example.com");
        let vs = super::super::routes::render(&model).unwrap();
        assert_eq!(vs[0].object["spec"]["gateways"], serde_json::json!(["istio-ingress/legacy"]));
        // The HTTPS listener admits exactly the route's namespace.
        let gateway = render_gateway(&model, &model.gateways[0]).unwrap();
        let allowed = &gateway[0].object["spec"]["listeners"][0]["allowedRoutes"]["namespaces"];
        assert_eq!(allowed["from"], "Selector");
        assert_eq!(allowed["selector"]["matchExpressions"][0]["values"], serde_json::json!(["shop"]));
        assert_eq!(gateway[0].object["spec"]["listeners"][2]["allowedRoutes"]["namespaces"]["from"], "Same");
    }

    #[test]
    fn istio_output_renders_no_gateway_api_routes() {
        let model = crate::model::resolve("shop", &spec(None));
        assert!(render_routes(&model).unwrap().is_empty());
        assert!(!crate::model::control_plane::uses_gateway_api(&model));
        let model = crate::model::resolve("shop", &spec(Some(OutputApi::GatewayApi)));
        assert!(crate::model::control_plane::uses_gateway_api(&model));
    }

    #[test]
    fn durations_become_seconds() {
        assert_eq!(duration_seconds("24h"), Some(86400));
        assert_eq!(duration_seconds("1h30m"), Some(5400));
        assert_eq!(duration_seconds("1500ms"), Some(1));
        assert_eq!(duration_seconds("10"), None);
        assert_eq!(duration_seconds("1.5s"), None);
    }

    #[test]
    fn prefixes_of_values_are_escaped_regexes() {
        let m = name_match("x-version", &ValueMatch::Prefix("v1.2".into())).map(|m| (m.type_, m.value));
        assert_eq!(m, Some(("RegularExpression".to_string(), "v1\\.2.*".to_string())));
        assert!(name_match("x", &ValueMatch::Absent).is_none());
    }
}
