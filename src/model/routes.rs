//! The resolved route model: what `spec.routes` and `spec.services` mean, whatever API carries it to
//! the cluster.
//!
//! Resolution applies every default (even weights, redirect code 301, fault and mirror percentages
//! of 100, the backend TLS mode that keeps a STRICT namespace on mTLS), turns each "set exactly one
//! of" group of fields into an enum, resolves destination hosts to Kubernetes Services, and finds the
//! gateway servers each TLS and TCP rule attaches to. A renderer maps these types onto its API and
//! derives nothing: [`crate::render::routes`] and [`crate::render::destination_rules`] onto
//! `networking.istio.io/v1`; a Gateway API renderer onto HTTPRoute, TLSRoute and TCPRoute.
//!
//! The meaning is Istio's, which is what users write against; where the Gateway API means something
//! else, the type says so, for that renderer to warn or refuse:
//! - HTTP rules are tried in order and the first match wins; the Gateway API orders rules by
//!   specificity instead (exact path, longest prefix, method, most headers, most query parameters);
//! - a [`StringMatch::Prefix`] path matches character by character (`/api` matches `/apis`); a
//!   Gateway API `PathPrefix` matches whole segments;
//! - subsets ([`Backend::subset`]) select pods by labels through a DestinationRule; the Gateway API
//!   routes to whole Services.
//!
//! As for the rest of [`crate::model`], resolution never fails: a field group with several members
//! set resolves to its first, a missing one to an empty value, and [`crate::validate::routes`]
//! reports the problem from the spec entry each model item keeps.

use super::{DemoModel, GatewayModel};
use crate::api::v1alpha1::*;
use std::collections::BTreeMap;

/// The Kubernetes cluster domain Service host names end with.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// The reserved gateway name that binds a route to the sidecars of the mesh.
pub const MESH: &str = "mesh";

/// A resolved route: one VirtualService (or one HTTPRoute, TLSRoute and TCPRoute each).
#[derive(Clone, Debug, PartialEq)]
pub struct RouteModel {
    /// Field path (`spec.routes[0]`).
    pub path: String,
    /// Object name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Bound gateways: (name of an entry of `spec.gateways`, or [`MESH`]; field path of the reference).
    pub gateways: Vec<(String, String)>,
    /// Hosts.
    pub hosts: Vec<String>,
    /// Where the hosts came from (`spec.domains` when defaulted).
    pub hosts_path: String,
    /// HTTP rules, in order.
    pub http: Vec<HttpRuleModel>,
    /// TLS (SNI) rules, in order.
    pub tls: Vec<TlsRuleModel>,
    /// TCP rules, in order.
    pub tcp: Vec<TcpRuleModel>,
    /// The spec entry, for the validation of what was written.
    pub spec: Route,
}

impl RouteModel {
    /// Whether the route also binds the sidecars of the mesh.
    pub fn binds_mesh(&self) -> bool {
        self.gateways.iter().any(|(g, _)| g == MESH)
    }

    /// Every backend the route sends traffic to: forwarded, mirrored, TLS and TCP.
    pub fn backends(&self) -> impl Iterator<Item = &Backend> {
        let http = self.http.iter().flat_map(|rule| {
            let forwarded: &[Backend] = match &rule.action {
                HttpAction::Forward(backends) => backends,
                _ => &[],
            };
            forwarded.iter().chain(rule.mirror.iter().map(|m| &m.backend))
        });
        http.chain(self.tls.iter().flat_map(|r| &r.backends)).chain(self.tcp.iter().flat_map(|r| &r.backends))
    }

    /// Whether the route sends traffic into `namespace`: it lives there, or a backend does.
    pub fn reaches_namespace(&self, namespace: &str) -> bool {
        self.namespace == namespace
            || self.backends().any(|b| b.service.as_ref().is_some_and(|s| s.namespace == namespace))
    }

    /// The bound gateways of this config, without [`MESH`], each once.
    pub fn bound_gateways(&self) -> Vec<&str> {
        bound_gateways(&self.gateways)
    }
}

fn bound_gateways(bindings: &[(String, String)]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (g, _) in bindings {
        if g != MESH && !out.contains(&g.as_str()) {
            out.push(g);
        }
    }
    out
}

/// A resolved HTTP rule.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRuleModel {
    /// Field path (`spec.routes[0].http[1]`).
    pub path: String,
    /// Name, for logs and metrics.
    pub name: Option<String>,
    /// Matches, any of which selects the rule; empty: every request.
    pub matches: Vec<HttpMatchModel>,
    /// What happens to matching requests.
    pub action: HttpAction,
    /// Path and authority rewrite before forwarding.
    pub rewrite: Option<RewriteModel>,
    /// Request header changes.
    pub request_headers: HeaderOperations,
    /// Response header changes.
    pub response_headers: HeaderOperations,
    /// CORS policy.
    pub cors: Option<CorsModel>,
    /// Fault injection (Istio only; the Gateway API has no equivalent).
    pub fault: Option<FaultModel>,
    /// Mirroring.
    pub mirror: Option<MirrorModel>,
    /// Request timeout.
    pub timeout: Option<String>,
    /// Retry policy (Istio only beyond attempts and per-try timeout).
    pub retries: Option<Retries>,
}

impl HttpRuleModel {
    /// Whether the rule matches every request.
    pub fn is_catch_all(&self) -> bool {
        self.matches.is_empty() || self.matches.iter().any(HttpMatchModel::is_catch_all)
    }
}

/// One HTTP match: every condition set must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpMatchModel {
    /// Field path (`...http[0].match` or `...http[0].matches[1]`).
    pub path: String,
    /// The path condition; `None`: any path.
    pub uri: Option<StringMatch>,
    /// Header conditions, by lowercase name, sorted.
    pub headers: Vec<(String, ValueMatch)>,
    /// Query parameter conditions, by name, sorted.
    pub query_params: Vec<(String, ValueMatch)>,
    /// The method.
    pub method: Option<String>,
    /// The gateway port the request arrived on.
    pub port: Option<u32>,
    /// The authority (`Host`).
    pub authority: Option<StringMatch>,
}

impl HttpMatchModel {
    /// Whether the match holds for every request (no condition, or only the path prefix `/`).
    pub fn is_catch_all(&self) -> bool {
        let any_path = match &self.uri {
            None => true,
            Some(StringMatch::Prefix(p)) => p == "/",
            Some(_) => false,
        };
        any_path
            && self.headers.is_empty()
            && self.query_params.is_empty()
            && self.method.is_none()
            && self.port.is_none()
            && self.authority.is_none()
    }

    /// The same conditions without the field path, to compare matches.
    pub fn conditions(&self) -> HttpMatchModel {
        HttpMatchModel { path: String::new(), ..self.clone() }
    }
}

/// A string condition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StringMatch {
    /// The whole string.
    Exact(String),
    /// A prefix, compared character by character.
    Prefix(String),
    /// An RE2 regular expression matching the whole string.
    Regex(String),
}

impl StringMatch {
    /// From the API's "set one of exact, prefix and regex" fields (the first set wins).
    pub fn from_fields(
        exact: &Option<String>,
        prefix: &Option<String>,
        regex: &Option<String>,
    ) -> Option<Self> {
        match (exact, prefix, regex) {
            (Some(e), _, _) => Some(StringMatch::Exact(e.clone())),
            (None, Some(p), _) => Some(StringMatch::Prefix(p.clone())),
            (None, None, Some(r)) => Some(StringMatch::Regex(r.clone())),
            (None, None, None) => None,
        }
    }
}

/// A header or query parameter condition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValueMatch {
    /// The whole value.
    Exact(String),
    /// A prefix of the value.
    Prefix(String),
    /// An RE2 regular expression matching the whole value.
    Regex(String),
    /// Present, with any value.
    Present,
    /// Absent.
    Absent,
}

/// What an HTTP rule does with a matching request.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpAction {
    /// Forward to weighted backends.
    Forward(Vec<Backend>),
    /// Answer with a redirect.
    Redirect(RedirectModel),
    /// Answer with a fixed response.
    DirectResponse(DirectResponseModel),
}

/// A destination, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Backend {
    /// Field path (`...destination`, `...destinations[1]`, `...mirror`).
    pub path: String,
    /// The host as written (Istio resolves short names in the route's namespace itself).
    pub host: String,
    /// The Kubernetes Service the host names, when it names one (a short name, or
    /// `<name>.<namespace>.svc.cluster.local`); `None` for other hosts (ServiceEntries).
    pub service: Option<ServiceRef>,
    /// Port.
    pub port: Option<u32>,
    /// Subset, declared on the Service's entry of `spec.services`.
    pub subset: Option<String>,
    /// Share of the traffic in percent; the weights of one rule add up to 100 once valid.
    pub weight: u32,
}

/// A Kubernetes Service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceRef {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
}

impl ServiceRef {
    /// The Service's fully qualified host name.
    pub fn fqdn(&self) -> String {
        format!("{}.{}.svc.{CLUSTER_DOMAIN}", self.name, self.namespace)
    }

    /// The Service a host names, as Istio resolves it from a route in `namespace`: a name without a
    /// dot is a Service of that namespace; `<name>.<namespace>.svc.cluster.local` is that Service;
    /// any other host (Istio does not expand `name.namespace`) is not a Kubernetes Service.
    pub fn of_host(host: &str, namespace: &str) -> Option<ServiceRef> {
        if !host.is_empty() && !host.contains('.') && host != "*" {
            return Some(ServiceRef { name: host.to_string(), namespace: namespace.to_string() });
        }
        let rest = host.strip_suffix(&format!(".svc.{CLUSTER_DOMAIN}"))?;
        match rest.split('.').collect::<Vec<_>>().as_slice() {
            [name, ns] if !name.is_empty() && !ns.is_empty() => {
                Some(ServiceRef { name: name.to_string(), namespace: ns.to_string() })
            }
            _ => None,
        }
    }
}

/// A resolved redirect.
#[derive(Clone, Debug, PartialEq)]
pub struct RedirectModel {
    /// Scheme (`http` or `https`); `None`: the request's.
    pub scheme: Option<String>,
    /// Host; `None`: the request's.
    pub host: Option<String>,
    /// Port.
    pub port: RedirectPort,
    /// Path replacing the whole path; `None`: the request's.
    pub path: Option<String>,
    /// Status code.
    pub code: u16,
}

/// The port of a redirect.
#[derive(Clone, Debug, PartialEq)]
pub enum RedirectPort {
    /// The port the request arrived on (no scheme change).
    Request,
    /// The default port of the new scheme (80 or 443), as the Gateway API defines it.
    SchemeDefault,
    /// This port.
    Port(u32),
}

/// A resolved fixed response.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectResponseModel {
    /// Status.
    pub status: u16,
    /// Body.
    pub body: Option<String>,
}

/// A resolved rewrite.
#[derive(Clone, Debug, PartialEq)]
pub struct RewriteModel {
    /// Path rewrite.
    pub path: Option<PathRewrite>,
    /// New authority (`Host`).
    pub authority: Option<String>,
}

/// A path rewrite.
#[derive(Clone, Debug, PartialEq)]
pub enum PathRewrite {
    /// Replace the matched prefix.
    Prefix(String),
    /// Replace the whole path.
    Full(String),
    /// Replace every match of an RE2 pattern (Istio only; the Gateway API has no equivalent).
    Regex {
        /// The pattern.
        pattern: String,
        /// The replacement.
        substitution: String,
    },
}

/// A resolved CORS policy.
#[derive(Clone, Debug, PartialEq)]
pub struct CorsModel {
    /// Allowed origins.
    pub allow_origins: Vec<StringMatch>,
    /// Allowed methods.
    pub allow_methods: Vec<String>,
    /// Allowed request headers.
    pub allow_headers: Vec<String>,
    /// Exposed response headers.
    pub expose_headers: Vec<String>,
    /// Preflight cache lifetime.
    pub max_age: Option<String>,
    /// Whether credentials are allowed.
    pub allow_credentials: Option<bool>,
}

/// Resolved fault injection.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultModel {
    /// Delay: (duration, percentage).
    pub delay: Option<(String, f64)>,
    /// Abort: (HTTP status, percentage).
    pub abort: Option<(u16, f64)>,
}

/// Resolved mirroring.
#[derive(Clone, Debug, PartialEq)]
pub struct MirrorModel {
    /// Where copies go (its weight is 100).
    pub backend: Backend,
    /// Percentage of requests mirrored.
    pub percentage: f64,
}

/// A gateway server a TLS or TCP rule attaches to.
#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    /// Name of the gateway (an entry of `spec.gateways`).
    pub gateway: String,
    /// Server port.
    pub port: u32,
    /// Server name (the Istio Gateway port name; a Gateway API listener name).
    pub name: String,
}

/// A resolved TLS (SNI) rule.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsRuleModel {
    /// Field path.
    pub path: String,
    /// SNI hosts matched.
    pub sni_hosts: Vec<String>,
    /// Where the SNI hosts came from (the route's hosts when defaulted).
    pub sni_hosts_path: String,
    /// Gateway port, when written.
    pub port: Option<u32>,
    /// Weighted backends.
    pub backends: Vec<Backend>,
    /// The `PASSTHROUGH` servers of the bound gateways that carry the rule.
    pub listeners: Vec<Listener>,
}

/// A resolved TCP rule.
#[derive(Clone, Debug, PartialEq)]
pub struct TcpRuleModel {
    /// Field path.
    pub path: String,
    /// Gateway port, when written.
    pub port: Option<u32>,
    /// Weighted backends.
    pub backends: Vec<Backend>,
    /// The `TCP` (and TLS-terminating `TLS`) servers of the bound gateways that carry the rule.
    pub listeners: Vec<Listener>,
}

/// A resolved backend Service: subsets and traffic policy, one DestinationRule.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceModel {
    /// Field path (`spec.services[0]`).
    pub path: String,
    /// The Service.
    pub service: ServiceRef,
    /// Subsets.
    pub subsets: Vec<SubsetModel>,
    /// TLS toward the Service: written, or `ISTIO_MUTUAL` in a managed STRICT namespace (whose
    /// `default-mtls` rule this one replaces for the Service), or `None` (Istio's automatic mTLS).
    pub tls: Option<BackendTls>,
    /// Whether `tls` is the STRICT-namespace default rather than written.
    pub tls_defaulted: bool,
    /// Connection limits.
    pub connection_pool: Option<ConnectionPool>,
    /// Outlier detection.
    pub outlier_detection: Option<OutlierDetection>,
    /// Load balancing.
    pub load_balancer: Option<LoadBalancerModel>,
    /// The spec entry.
    pub spec: BackendService,
}

/// A subset of a Service's pods.
#[derive(Clone, Debug, PartialEq)]
pub struct SubsetModel {
    /// Field path.
    pub path: String,
    /// Name.
    pub name: String,
    /// Pod labels selecting it.
    pub labels: BTreeMap<String, String>,
    /// The subset's own traffic policy, when written: the fields set replace the Service's.
    pub policy: Option<PolicyModel>,
}

/// A traffic policy written for a subset, resolved like a Service's (no STRICT default: an unset
/// `tls` keeps the Service's).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyModel {
    /// TLS toward the pods.
    pub tls: Option<BackendTls>,
    /// Connection limits.
    pub connection_pool: Option<ConnectionPool>,
    /// Outlier detection.
    pub outlier_detection: Option<OutlierDetection>,
    /// Load balancing.
    pub load_balancer: Option<LoadBalancerModel>,
}

/// Resolved load balancing.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadBalancerModel {
    /// An algorithm.
    Simple(LoadBalancerAlgorithm),
    /// Consistent hashing on a key.
    ConsistentHash(HashKey),
}

/// The key of consistent-hash load balancing.
#[derive(Clone, Debug, PartialEq)]
pub enum HashKey {
    /// A request header.
    Header(String),
    /// A cookie.
    Cookie(HashCookie),
    /// A query parameter.
    QueryParameter(String),
    /// The client's IP address.
    SourceIp,
}

/// The weights of `n` destinations: as written, or an even split (the first ones take the
/// remainder) when none is written. Unwritten weights beside written ones are 0 (an error).
pub fn weights(written: &[Option<u32>]) -> Vec<u32> {
    if written.iter().all(Option::is_none) {
        let n = written.len().max(1);
        // Each share is at most 100, so it always fits.
        return (0..written.len())
            .map(|i| u32::try_from(100 / n + usize::from(i < 100 % n)).unwrap_or(100))
            .collect();
    }
    written.iter().map(|w| w.unwrap_or(0)).collect()
}

fn backend(
    path: String,
    host: &str,
    port: Option<u32>,
    subset: &Option<String>,
    weight: u32,
    ns: &str,
) -> Backend {
    Backend {
        path,
        host: host.to_string(),
        service: ServiceRef::of_host(host, ns),
        port,
        subset: subset.clone(),
        weight,
    }
}

/// The backends of a `destination` / `destinations` pair (`destination` first when both are set).
fn backends(
    path: &str,
    destination: &Option<Destination>,
    destinations: &[WeightedDestination],
    namespace: &str,
) -> Vec<Backend> {
    if let Some(d) = destination {
        return vec![backend(format!("{path}.destination"), &d.host, d.port, &d.subset, 100, namespace)];
    }
    let weights = weights(&destinations.iter().map(|d| d.weight).collect::<Vec<_>>());
    destinations
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (d, w))| {
            backend(format!("{path}.destinations[{i}]"), &d.host, d.port, &d.subset, w, namespace)
        })
        .collect()
}

fn value_match(m: &crate::api::v1alpha1::ValueMatch) -> ValueMatch {
    match StringMatch::from_fields(&m.exact, &m.prefix, &m.regex) {
        Some(StringMatch::Exact(v)) => ValueMatch::Exact(v),
        Some(StringMatch::Prefix(v)) => ValueMatch::Prefix(v),
        Some(StringMatch::Regex(v)) => ValueMatch::Regex(v),
        None if m.absent && !m.present => ValueMatch::Absent,
        None => ValueMatch::Present,
    }
}

fn http_match(path: String, m: &HttpMatch) -> HttpMatchModel {
    HttpMatchModel {
        path,
        uri: StringMatch::from_fields(&m.exact, &m.prefix, &m.regex),
        headers: m.headers.iter().map(|(k, v)| (k.clone(), value_match(v))).collect(),
        query_params: m.query_params.iter().map(|(k, v)| (k.clone(), value_match(v))).collect(),
        method: m.method.clone(),
        port: m.port,
        authority: m.authority.as_ref().and_then(|a| StringMatch::from_fields(&a.exact, &a.prefix, &a.regex)),
    }
}

fn http_rule(path: String, rule: &HttpRule, namespace: &str) -> HttpRuleModel {
    let mut matches = Vec::new();
    if let Some(m) = &rule.match_ {
        matches.push(http_match(format!("{path}.match"), m));
    }
    matches
        .extend(rule.matches.iter().enumerate().map(|(i, m)| http_match(format!("{path}.matches[{i}]"), m)));
    let action = if let Some(d) = &rule.direct_response {
        HttpAction::DirectResponse(DirectResponseModel { status: d.status, body: d.body.clone() })
    } else if let Some(r) = &rule.redirect {
        HttpAction::Redirect(RedirectModel {
            scheme: r.scheme.clone(),
            host: r.host.clone(),
            port: match (r.port, &r.scheme) {
                (Some(p), _) => RedirectPort::Port(p),
                (None, Some(_)) => RedirectPort::SchemeDefault,
                (None, None) => RedirectPort::Request,
            },
            path: r.path.clone(),
            code: r.code.unwrap_or(301),
        })
    } else {
        HttpAction::Forward(backends(&path, &rule.destination, &rule.destinations, namespace))
    };
    let headers = rule.headers.clone().unwrap_or_default();
    HttpRuleModel {
        name: rule.name.clone(),
        matches,
        action,
        rewrite: rule.rewrite.as_ref().map(|r| RewriteModel {
            path: match (&r.prefix, &r.path, &r.regex) {
                (Some(p), _, _) => Some(PathRewrite::Prefix(p.clone())),
                (None, Some(p), _) => Some(PathRewrite::Full(p.clone())),
                (None, None, Some(re)) => Some(PathRewrite::Regex {
                    pattern: re.pattern.clone(),
                    substitution: re.substitution.clone(),
                }),
                (None, None, None) => None,
            },
            authority: r.authority.clone(),
        }),
        request_headers: headers.request,
        response_headers: headers.response,
        cors: rule.cors.as_ref().map(|c| CorsModel {
            allow_origins: c
                .allow_origins
                .iter()
                .filter_map(|o| StringMatch::from_fields(&o.exact, &o.prefix, &o.regex))
                .collect(),
            allow_methods: c.allow_methods.clone(),
            allow_headers: c.allow_headers.clone(),
            expose_headers: c.expose_headers.clone(),
            max_age: c.max_age.clone(),
            allow_credentials: c.allow_credentials,
        }),
        fault: rule.fault.as_ref().map(|f| FaultModel {
            delay: f.delay.as_ref().map(|d| (d.fixed_delay.clone(), d.percentage.unwrap_or(100.0))),
            abort: f.abort.as_ref().map(|a| (a.http_status, a.percentage.unwrap_or(100.0))),
        }),
        mirror: rule.mirror.as_ref().map(|m| MirrorModel {
            backend: backend(format!("{path}.mirror"), &m.host, m.port, &m.subset, 100, namespace),
            percentage: m.percentage.unwrap_or(100.0),
        }),
        timeout: rule.timeout.clone(),
        retries: rule.retries.clone(),
        path,
    }
}

/// The servers of the route's bound gateways that carry a TLS or TCP rule.
fn listeners(
    gateways: &[GatewayModel],
    bound: &[&str],
    port: Option<u32>,
    carries: impl Fn(&super::ServerModel) -> bool,
) -> Vec<Listener> {
    bound
        .iter()
        .filter_map(|name| gateways.iter().find(|g| g.name == *name))
        .flat_map(|g| {
            g.servers.iter().filter(|s| port.is_none_or(|p| p == s.port) && carries(s)).map(|s| Listener {
                gateway: g.name.clone(),
                port: s.port,
                name: s.name.clone(),
            })
        })
        .collect()
}

/// Whether a server passes TLS through (routed by SNI with `tls` rules).
pub fn is_passthrough(server: &super::ServerModel) -> bool {
    server.protocol == ServerProtocol::Tls
        && server.tls.as_ref().is_some_and(|t| t.mode == TlsMode::Passthrough)
}

/// Whether a server carries TCP rules: `TCP`, or `TLS` terminated at the gateway.
pub fn carries_tcp(server: &super::ServerModel) -> bool {
    server.protocol == ServerProtocol::Tcp
        || (server.protocol == ServerProtocol::Tls && !is_passthrough(server))
}

/// Whether a server carries HTTP rules.
pub fn carries_http(server: &super::ServerModel) -> bool {
    matches!(server.protocol, ServerProtocol::Http | ServerProtocol::Https)
}

/// Resolve `spec.routes`.
pub fn resolve_routes(spec: &MeshIngressSpec, gateways: &[GatewayModel]) -> Vec<RouteModel> {
    let first_gateway = spec.gateways.first().map(|g| g.name.clone()).unwrap_or_default();
    spec.routes
        .iter()
        .enumerate()
        .map(|(ri, route)| {
            let path = format!("spec.routes[{ri}]");
            let bindings = if route.gateways.is_empty() {
                vec![(first_gateway.clone(), format!("{path}.gateways"))]
            } else {
                route
                    .gateways
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (g.clone(), format!("{path}.gateways[{i}]")))
                    .collect()
            };
            let (hosts, hosts_path) = if route.hosts.is_empty() {
                (spec.domains.clone(), "spec.domains".to_string())
            } else {
                (route.hosts.clone(), format!("{path}.hosts"))
            };
            let ns = route.namespace.as_str();
            let bound = bound_gateways(&bindings);
            let http = route
                .http
                .iter()
                .enumerate()
                .map(|(i, r)| http_rule(format!("{path}.http[{i}]"), r, ns))
                .collect();
            let tls = route
                .tls
                .iter()
                .enumerate()
                .map(|(i, rule)| {
                    let rule_path = format!("{path}.tls[{i}]");
                    let (sni_hosts, sni_hosts_path) = if rule.sni_hosts.is_empty() {
                        (hosts.clone(), hosts_path.clone())
                    } else {
                        (rule.sni_hosts.clone(), format!("{rule_path}.sniHosts"))
                    };
                    let listeners = listeners(gateways, &bound, rule.port, |s| {
                        is_passthrough(s) && super::hosts_overlap(&s.hosts, &sni_hosts)
                    });
                    TlsRuleModel {
                        backends: backends(&rule_path, &rule.destination, &rule.destinations, ns),
                        path: rule_path,
                        sni_hosts,
                        sni_hosts_path,
                        port: rule.port,
                        listeners,
                    }
                })
                .collect();
            let tcp = route
                .tcp
                .iter()
                .enumerate()
                .map(|(i, rule)| {
                    let rule_path = format!("{path}.tcp[{i}]");
                    TcpRuleModel {
                        backends: backends(&rule_path, &rule.destination, &rule.destinations, ns),
                        path: rule_path,
                        port: rule.port,
                        listeners: listeners(gateways, &bound, rule.port, carries_tcp),
                    }
                })
                .collect();
            RouteModel {
                path,
                name: route.name.clone(),
                namespace: route.namespace.clone(),
                gateways: bindings,
                hosts,
                hosts_path,
                http,
                tls,
                tcp,
                spec: route.clone(),
            }
        })
        .collect()
}

/// The route of the demo app: every request for its host to its Service.
pub fn demo_route(demo: &DemoModel) -> RouteModel {
    let path = "spec.demoApp".to_string();
    let destination = Destination { host: demo.name.clone(), port: Some(demo.port), subset: None };
    let rule = HttpRule { destination: Some(destination.clone()), ..Default::default() };
    RouteModel {
        gateways: vec![(demo.gateway.clone(), format!("{path}.gateway"))],
        hosts: vec![demo.host.clone()],
        hosts_path: format!("{path}.host"),
        http: vec![http_rule(format!("{path}.route"), &rule, &demo.namespace)],
        tls: Vec::new(),
        tcp: Vec::new(),
        spec: Route {
            name: demo.name.clone(),
            namespace: demo.namespace.clone(),
            gateways: vec![demo.gateway.clone()],
            hosts: vec![demo.host.clone()],
            http: vec![rule],
            ..Default::default()
        },
        name: demo.name.clone(),
        namespace: demo.namespace.clone(),
        path,
    }
}

/// Resolve `spec.services`. `strict` tells whether a namespace is managed with STRICT mTLS.
pub fn resolve_services(spec: &MeshIngressSpec, strict: impl Fn(&str) -> bool) -> Vec<ServiceModel> {
    spec.services
        .iter()
        .enumerate()
        .map(|(si, service)| {
            let path = format!("spec.services[{si}]");
            let policy = service.traffic_policy.clone().unwrap_or_default();
            let (tls, tls_defaulted) = match policy.tls {
                Some(tls) => (Some(tls), false),
                None if strict(&service.namespace) => {
                    (Some(BackendTls { mode: BackendTlsMode::IstioMutual, ..Default::default() }), true)
                }
                None => (None, false),
            };
            let load_balancer = policy.load_balancer.as_ref().and_then(resolve_load_balancer);
            ServiceModel {
                service: ServiceRef { name: service.name.clone(), namespace: service.namespace.clone() },
                subsets: service
                    .subsets
                    .iter()
                    .enumerate()
                    .map(|(i, s)| SubsetModel {
                        path: format!("{path}.subsets[{i}]"),
                        name: s.name.clone(),
                        labels: s.labels.clone(),
                        policy: s.traffic_policy.as_ref().map(|p| PolicyModel {
                            tls: p.tls.clone(),
                            connection_pool: p.connection_pool.clone(),
                            outlier_detection: p.outlier_detection.clone(),
                            load_balancer: p.load_balancer.as_ref().and_then(resolve_load_balancer),
                        }),
                    })
                    .collect(),
                tls,
                tls_defaulted,
                connection_pool: policy.connection_pool.clone(),
                outlier_detection: policy.outlier_detection.clone(),
                load_balancer,
                spec: service.clone(),
                path,
            }
        })
        .collect()
}

/// Resolve load balancing: an algorithm, or consistent hashing on the one key set.
fn resolve_load_balancer(lb: &LoadBalancing) -> Option<LoadBalancerModel> {
    match (&lb.simple, &lb.consistent_hash) {
        (Some(a), _) => Some(LoadBalancerModel::Simple(*a)),
        (None, Some(h)) => {
            let key = if let Some(name) = &h.http_header_name {
                HashKey::Header(name.clone())
            } else if let Some(cookie) = &h.http_cookie {
                HashKey::Cookie(cookie.clone())
            } else if let Some(name) = &h.http_query_parameter_name {
                HashKey::QueryParameter(name.clone())
            } else {
                HashKey::SourceIp
            };
            Some(LoadBalancerModel::ConsistentHash(key))
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_evenly_or_stay_as_written() {
        assert_eq!(weights(&[None]), [100]);
        assert_eq!(weights(&[None, None, None]), [34, 33, 33]);
        assert_eq!(weights(&[Some(90), Some(10)]), [90, 10]);
        assert_eq!(weights(&[Some(90), None]), [90, 0]);
    }

    #[test]
    fn hosts_resolve_to_services_as_istio_resolves_them() {
        let svc = |n: &str, ns: &str| Some(ServiceRef { name: n.into(), namespace: ns.into() });
        assert_eq!(ServiceRef::of_host("reviews", "shop"), svc("reviews", "shop"));
        assert_eq!(ServiceRef::of_host("reviews.books.svc.cluster.local", "shop"), svc("reviews", "books"));
        assert_eq!(ServiceRef::of_host("reviews.books", "shop"), None);
        assert_eq!(ServiceRef::of_host("api.stripe.com", "shop"), None);
        assert_eq!(svc("reviews", "books").unwrap().fqdn(), "reviews.books.svc.cluster.local");
    }

    #[test]
    fn a_canary_rule_resolves_to_weighted_backends() {
        let rule = HttpRule {
            match_: Some(HttpMatch { prefix: Some("/".into()), ..Default::default() }),
            destinations: vec![
                WeightedDestination {
                    host: "shop".into(),
                    subset: Some("v1".into()),
                    weight: Some(90),
                    ..Default::default()
                },
                WeightedDestination {
                    host: "shop".into(),
                    subset: Some("v2".into()),
                    weight: Some(10),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let model = http_rule("r".into(), &rule, "shop");
        assert!(model.is_catch_all());
        let HttpAction::Forward(backends) = &model.action else { panic!("not forwarded") };
        assert_eq!(backends.iter().map(|b| b.weight).collect::<Vec<_>>(), [90, 10]);
        assert_eq!(backends[1].path, "r.destinations[1]");
        assert_eq!(
            backends[0].service.as_ref().map(ServiceRef::fqdn).as_deref(),
            Some("shop.shop.svc.cluster.local")
        );
    }

    #[test]
    fn redirects_take_the_default_code_and_port() {
        let rule = HttpRule {
            redirect: Some(Redirect { scheme: Some("https".into()), ..Default::default() }),
            ..Default::default()
        };
        let HttpAction::Redirect(r) = http_rule("r".into(), &rule, "ns").action else {
            panic!("no redirect")
        };
        assert_eq!((r.code, r.port), (301, RedirectPort::SchemeDefault));
    }
}
