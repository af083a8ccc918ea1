//! What the Kubernetes Gateway API output (`output: gateway-api`) cannot say. Every feature that
//! exists only in the Istio API is refused with an error naming the field, for the gateways and
//! routes rendered in that mode, never dropped; where the output means nearly the same traffic, a
//! warning says how it differs. The list is the one of README section "The Kubernetes Gateway API".

use super::{Findings, text};
use crate::api::v1alpha1::{GatewayDeployment, Provider, ServerProtocol, TlsMode, TlsVersion};
use crate::model::routes::{
    Backend, HttpAction, HttpMatchModel, HttpRuleModel, PathRewrite, RouteModel, StringMatch, ValueMatch,
};
use crate::model::{GatewayModel, Model};
use crate::render::gateway_api::{duration_seconds, gateway_api_gateways, listeners};
use crate::render::istio_gateway::ca_cert_credential_name;
use serde_json::{Value, json};

/// The methods an HTTPRoute match accepts.
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// The most rules, host names and listeners the v1.6 schema accepts.
const MAX_RULES: usize = 16;
const MAX_HOSTNAMES: usize = 16;
const MAX_LISTENERS: usize = 64;

/// Run the checks.
pub fn check(model: &Model, f: &mut Findings) {
    for gateway in model.gateways.iter().filter(|g| g.spec.deployment == GatewayDeployment::Automated) {
        check_automated(model, gateway, f);
    }
    for gateway in model.gateways.iter().filter(|g| g.gateway_api()) {
        check_gateway(gateway, f);
    }
    for route in model.routes.iter().chain(model.demo_route.iter()) {
        if gateway_api_gateways(model, route).is_empty() {
            continue;
        }
        check_route(route, f);
    }
}

const MODE: &str = "in output: gateway-api";

fn section_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `deployment: automated`: Istio deploys and names the workload (`<gateway>-istio`), so nothing
/// may depend on the workload this function would render.
fn check_automated(model: &Model, gateway: &GatewayModel, f: &mut Findings) {
    let at = |field: &str| format!("{}.{field}", gateway.path);
    let name = &gateway.name;
    if !gateway.gateway_api() {
        f.error(
            at("deployment"),
            Some(json!("automated")),
            format!(
                "gateway {name} asks for Istio's automated deployment, which only the Gateway API output has; set output: gateway-api on it (or spec.output), or deployment: manual"
            ),
        );
        return;
    }
    // `workload.external` is refused for every gateway-api gateway (check_gateway).
    let shared = model.workloads.iter().any(|w| w.name == gateway.workload && w.gateways.len() > 1);
    if shared {
        f.error(
            at("workload.name"),
            Some(json!(gateway.workload)),
            format!("gateway {name} has deployment: automated but shares workload {} with other gateways; Istio deploys one workload per Gateway: give it its own workload name or use deployment: manual", gateway.workload),
        );
    }
    let east_west = model.east_west.as_ref().is_some_and(|w| w.name == gateway.workload);
    if east_west {
        f.error(
            at("workload.name"),
            Some(json!(gateway.workload)),
            format!("gateway {name} has deployment: automated but its workload is the east-west gateway, which this function renders; use deployment: manual"),
        );
    }
    if gateway.spec.load_balancer.provider == Provider::AwsAlb {
        f.error(
            at("loadBalancer.provider"),
            Some(json!("aws-alb")),
            format!(
                "gateway {name} has deployment: automated, and the ALB Ingress would point at a Service Istio names {}; use an NLB (aws-nlb) or deployment: manual",
                crate::render::gateway_api::automated_service_name(gateway)
            ),
        );
    }
}

fn check_gateway(gateway: &GatewayModel, f: &mut Findings) {
    if gateway.external {
        f.error(
            format!("{}.workload.external", gateway.path),
            Some(json!(true)),
            format!(
                "gateway {} binds pods managed elsewhere {MODE}: a Gateway API Gateway is bound to its pods through their Service's host name (spec.addresses), and the config knows labels of external pods, not their Service; keep output: istio for this gateway",
                gateway.name
            ),
        );
    }
    let listeners = listeners(gateway);
    if listeners.len() > MAX_LISTENERS {
        f.error(
            format!("{}.servers", gateway.path),
            Some(json!(listeners.len())),
            format!(
                "gateway {} has {} listeners (one per server and host) {MODE}; a Gateway holds at most {MAX_LISTENERS}: use wildcard hosts or split the gateway",
                gateway.name,
                listeners.len()
            ),
        );
    }
    for server in &gateway.servers {
        if !section_name(&server.name) {
            f.error(
                format!("{}.name", server.path),
                text(&server.name),
                format!(
                    "server name {:?} cannot name a Gateway API listener {MODE}: expected lowercase letters, digits, '-' and '.' (a DNS subdomain)",
                    server.name
                ),
            );
        }
        let Some(tls) = &server.tls else { continue };
        if server.protocol == ServerProtocol::Tls && tls.mode != TlsMode::Passthrough {
            f.error(
                format!("{}.mode", tls.path),
                text(tls.mode.as_str()),
                format!(
                    "TLS termination of TCP traffic (protocol TLS, mode {}) is Istio-only {MODE}: a Gateway API TLS listener that terminates carries TLSRoutes, not TCPRoutes; use mode PASSTHROUGH, protocol HTTPS, or output: istio for this gateway",
                    tls.mode.as_str()
                ),
            );
            continue;
        }
        match tls.mode {
            TlsMode::Simple | TlsMode::Passthrough => {}
            TlsMode::Mutual => {
                if let Some(ca) = ca_cert_credential_name(tls, &gateway.namespace) {
                    f.error(
                        format!("{}.clientCA", tls.path),
                        text(&ca),
                        format!(
                            "a client CA apart from the credential is Istio-only {MODE}: Istio's Gateway API listener option {} reads the CA from the credential Secret's ca.crt or from Secret {}-cacert; put the bundle there",
                            crate::render::gateway_api::TLS_TERMINATE_MODE,
                            tls.credential_name
                        ),
                    );
                }
            }
            other => {
                f.error(
                    format!("{}.mode", tls.path),
                    text(other.as_str()),
                    format!(
                        "TLS mode {} is Istio-only {MODE}: expected SIMPLE, MUTUAL or PASSTHROUGH",
                        other.as_str()
                    ),
                );
            }
        }
        if tls.mode == TlsMode::Passthrough {
            continue;
        }
        let istio_only = |field: &str, f: &mut Findings, value: Option<Value>| {
            f.error(
                format!("{}.{field}", tls.path),
                value,
                format!(
                    "{field} is Istio-only {MODE}: a Gateway API listener has no such setting (Istio's Gateway API listeners accept TLS 1.2 and newer with its default ciphers)"
                ),
            );
        };
        if tls.min_protocol_version != TlsVersion::Tlsv12 {
            istio_only("minProtocolVersion", f, text(tls.min_protocol_version.as_str()));
        }
        if let Some(max) = tls.max_protocol_version {
            istio_only("maxProtocolVersion", f, text(max.as_str()));
        }
        if !tls.cipher_suites.is_empty() {
            istio_only("cipherSuites", f, Some(json!(tls.cipher_suites)));
        }
        if !tls.subject_alt_names.is_empty() {
            istio_only("subjectAltNames", f, Some(json!(tls.subject_alt_names)));
        }
    }
}

fn check_route(route: &RouteModel, f: &mut Findings) {
    if route.http.len() > MAX_RULES {
        f.error(
            format!("{}.http", route.path),
            Some(json!(route.http.len())),
            format!(
                "route {} has {} HTTP rules {MODE}; an HTTPRoute holds at most {MAX_RULES}: split the route",
                route.name,
                route.http.len()
            ),
        );
    }
    if route.hosts.len() > MAX_HOSTNAMES {
        f.error(
            route.hosts_path.clone(),
            Some(json!(route.hosts)),
            format!("an HTTPRoute names at most {MAX_HOSTNAMES} host names {MODE}: split the route"),
        );
    }
    for rule in &route.http {
        http_rule(rule, f);
    }
    rule_order(route, f);
    for backend in
        route.tls.iter().flat_map(|r| &r.backends).chain(route.tcp.iter().flat_map(|r| &r.backends))
    {
        self::backend(backend, f);
    }
}

/// The Gateway API's precedence of a match (higher wins): an exact path, then the longest path
/// prefix, then a method, then the most header and query parameter conditions. Regex paths rank
/// last (their order is implementation-specific).
fn precedence(m: &HttpMatchModel) -> (u8, usize, bool, usize, usize) {
    let (kind, length) = match &m.uri {
        Some(StringMatch::Exact(p)) => (2, p.len()),
        Some(StringMatch::Prefix(p)) => (1, p.len()),
        None => (1, 1),
        Some(StringMatch::Regex(_)) => (0, 0),
    };
    (kind, length, m.method.is_some(), m.headers.len(), m.query_params.len())
}

/// Whether one request can satisfy both matches (conservatively: `true` unless they provably
/// exclude each other).
fn may_overlap(a: &HttpMatchModel, b: &HttpMatchModel) -> bool {
    let path = |m: &HttpMatchModel| m.uri.clone().unwrap_or(StringMatch::Prefix("/".to_string()));
    let paths = match (path(a), path(b)) {
        (StringMatch::Exact(x), StringMatch::Exact(y)) => x == y,
        (StringMatch::Exact(x), StringMatch::Prefix(p)) | (StringMatch::Prefix(p), StringMatch::Exact(x)) => {
            x.starts_with(p.trim_end_matches('/'))
        }
        (StringMatch::Prefix(p), StringMatch::Prefix(q)) => {
            let (p, q) = (p.trim_end_matches('/'), q.trim_end_matches('/'));
            p.starts_with(q) || q.starts_with(p)
        }
        _ => true,
    };
    let disjoint = |x: &[(String, ValueMatch)], y: &[(String, ValueMatch)]| {
        x.iter().any(|(name, v)| {
            y.iter().any(|(other, w)| {
                name == other
                    && match (v, w) {
                        (ValueMatch::Exact(v), ValueMatch::Exact(w)) => v != w,
                        _ => false,
                    }
            })
        })
    };
    let methods = match (&a.method, &b.method) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    paths && methods && !disjoint(&a.headers, &b.headers) && !disjoint(&a.query_params, &b.query_params)
}

/// Istio tries a route's HTTP rules in order; the Gateway API tries the most specific match first
/// (and keeps the order only between equals). Where a later rule outranks an earlier one that a
/// request can match too, the two outputs send that request to different rules: warn.
fn rule_order(route: &RouteModel, f: &mut Findings) {
    let matches = super::routes::effective_matches;
    for (j, later) in route.http.iter().enumerate() {
        for earlier in &route.http[..j] {
            let outranked = matches(later).into_iter().find_map(|b| {
                matches(earlier)
                    .into_iter()
                    .find(|a| may_overlap(a, &b) && precedence(&b) > precedence(a))
                    .map(|a| (a, b))
            });
            if let Some((a, b)) = outranked {
                f.warning(
                    b.path.clone(),
                    None,
                    format!(
                        "a request that matches both this and {} (an earlier rule) goes to the earlier rule with Istio, but to this one {MODE}: the Gateway API tries the more specific match first (exact path, longest prefix, method, headers, query parameters); put this rule first, or make the matches exclude each other",
                        a.path
                    ),
                );
                break;
            }
        }
    }
}

fn istio_only(f: &mut Findings, at: String, value: Option<Value>, what: &str, instead: &str) {
    f.error(at, value, format!("{what} is Istio-only {MODE}: the Gateway API has no equivalent; {instead}"));
}

fn http_rule(rule: &HttpRuleModel, f: &mut Findings) {
    let at = &rule.path;
    let keep = "remove it, or keep this route's gateways on output: istio";
    if rule.fault.is_some() {
        istio_only(f, format!("{at}.fault"), None, "fault injection", keep);
    }
    if rule.retries.is_some() {
        istio_only(f, format!("{at}.retries"), None, "a retry policy", keep);
    }
    if let HttpAction::DirectResponse(d) = &rule.action {
        istio_only(f, format!("{at}.directResponse"), Some(json!(d.status)), "a direct response", keep);
    }
    if let Some(timeout) = &rule.timeout
        && !gateway_api_duration(timeout)
    {
        f.error(
            format!("{at}.timeout"),
            text(timeout),
            format!(
                "timeout {timeout:?} cannot be written as a Gateway API duration {MODE}: expected whole numbers of h, m, s or ms (`1500ms`, not `1.5s`)"
            ),
        );
    }
    if let Some(rewrite) = &rule.rewrite {
        match &rewrite.path {
            Some(PathRewrite::Regex { pattern, .. }) => {
                istio_only(f, format!("{at}.rewrite.regex"), text(pattern), "a regex path rewrite", keep)
            }
            Some(PathRewrite::Prefix(p))
                if rule.matches.is_empty()
                    || rule.matches.iter().any(|m| !matches!(m.uri, Some(StringMatch::Prefix(_)))) =>
            {
                f.error(
                    format!("{at}.rewrite.prefix"),
                    text(p),
                    format!(
                        "a prefix rewrite needs every match of the rule to be a path prefix {MODE} (ReplacePrefixMatch): add `prefix:` to each match"
                    ),
                );
            }
            _ => {}
        }
    }
    if let Some(cors) = &rule.cors {
        if cors.allow_origins.iter().any(|o| !matches!(o, StringMatch::Exact(_))) {
            istio_only(
                f,
                format!("{at}.cors.allowOrigins"),
                None,
                "a prefix or regex CORS origin",
                "write each origin exactly (`https://*.example.com` is allowed)",
            );
        }
        if let Some(max_age) = &cors.max_age
            && duration_seconds(max_age).is_none()
        {
            f.error(
                format!("{at}.cors.maxAge"),
                text(max_age),
                format!("maxAge {max_age:?} is not a whole number of h, m or s {MODE}"),
            );
        }
    }
    for m in &rule.matches {
        if let Some(port) = m.port {
            istio_only(
                f,
                format!("{}.port", m.path),
                Some(json!(port)),
                "a port match",
                "bind the route to a gateway whose servers serve only that port",
            );
        }
        if m.authority.is_some() {
            istio_only(
                f,
                format!("{}.authority", m.path),
                None,
                "an authority match",
                "use the route's hosts",
            );
        }
        if let Some(method) = &m.method
            && !METHODS.contains(&method.as_str())
        {
            f.error(
                format!("{}.method", m.path),
                text(method),
                format!(
                    "method {method:?} is not one an HTTPRoute matches {MODE}: expected one of {}",
                    METHODS.join(", ")
                ),
            );
        }
        for (field, conditions) in [("headers", &m.headers), ("queryParams", &m.query_params)] {
            for (name, value) in conditions {
                if name.starts_with('@') {
                    istio_only(
                        f,
                        format!("{}.{field}.{name}", m.path),
                        text(name),
                        "routing on JWT claims",
                        keep,
                    );
                } else if *value == ValueMatch::Absent {
                    istio_only(f, format!("{}.{field}.{name}", m.path), None, "an absence match", keep);
                }
            }
        }
        if let Some(StringMatch::Prefix(p)) = &m.uri
            && p != "/"
        {
            let trimmed = p.trim_end_matches('/');
            let differs = if p.ends_with('/') {
                format!("a trailing slash is ignored, so {p:?} also matches {trimmed:?}")
            } else {
                format!("{p:?} matches {p:?} and {:?} but no longer {:?}", format!("{p}/…"), format!("{p}x…"))
            };
            f.warning(
                format!("{}.prefix", m.path),
                text(p),
                format!("a Gateway API PathPrefix matches whole path segments {MODE}: {differs}"),
            );
        }
    }
    if let HttpAction::Forward(backends) = &rule.action {
        backends.iter().for_each(|b| backend(b, f));
    }
    if let Some(mirror) = &rule.mirror {
        backend(&mirror.backend, f);
    }
}

fn backend(b: &Backend, f: &mut Findings) {
    if b.service.is_none() {
        f.error(
            format!("{}.host", b.path),
            text(&b.host),
            format!(
                "host {:?} names no Kubernetes Service {MODE}: a Gateway API backend is a Service (a short name, or <name>.<namespace>.svc.cluster.local); ServiceEntry hosts are Istio-only",
                b.host
            ),
        );
    }
    if b.port.is_none() && b.service.is_some() {
        f.error(
            format!("{}.port", b.path),
            None,
            format!("a Gateway API backend needs the Service port {MODE}: set port on {:?}", b.host),
        );
    }
    if let Some(subset) = &b.subset {
        istio_only(
            f,
            format!("{}.subset", b.path),
            text(subset),
            "routing to a subset",
            "route to a Service per version instead (a canary by weights between two Services), or keep output: istio",
        );
    }
}

/// Whether a duration is one the Gateway API accepts (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`).
pub fn gateway_api_duration(value: &str) -> bool {
    let mut parts = 0;
    let mut rest = value;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 5 {
            return false;
        }
        rest = &rest[digits..];
        rest = if let Some(r) = rest.strip_prefix("ms") {
            r
        } else if let Some(r) = rest.strip_prefix(['h', 'm', 's']) {
            r
        } else {
            return false;
        };
        parts += 1;
    }
    (1..=4).contains(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_gateway_api_pattern() {
        assert!(gateway_api_duration("10s"));
        assert!(gateway_api_duration("1h30m"));
        assert!(gateway_api_duration("1500ms"));
        assert!(!gateway_api_duration("1.5s"));
        assert!(!gateway_api_duration(""));
        assert!(!gateway_api_duration("123456s"));
    }

    fn m(path: &str, uri: StringMatch, headers: &[(&str, &str)]) -> HttpMatchModel {
        HttpMatchModel {
            path: path.to_string(),
            uri: Some(uri),
            headers: headers.iter().map(|(k, v)| (k.to_string(), ValueMatch::Exact(v.to_string()))).collect(),
            query_params: Vec::new(),
            method: None,
            port: None,
            authority: None,
        }
    }

    #[test]
    fn a_later_more_specific_rule_that_overlaps_is_reported() {
        let prefix = |p: &str| StringMatch::Prefix(p.to_string());
        // `/api` for testers, then `/api/v2`: a tester's /api/v2 request goes to the first rule in
        // Istio, to the second in the Gateway API (longer prefix beats a header).
        let testers = m("r.http[0].match", prefix("/api"), &[("x-tester", "1")]);
        let v2 = m("r.http[1].match", prefix("/api/v2"), &[]);
        assert!(may_overlap(&testers, &v2) && precedence(&v2) > precedence(&testers));
        // Disjoint by an exact header value, or by path: no difference.
        let other = m("x", prefix("/api/v2"), &[("x-tester", "2")]);
        assert!(!may_overlap(&testers, &other));
        assert!(!may_overlap(&m("x", prefix("/shop"), &[]), &m("y", prefix("/api"), &[])));
    }

    #[test]
    fn listener_names_are_dns_subdomains() {
        assert!(section_name("https-443.shop.example.com"));
        assert!(!section_name("HTTPS"));
        assert!(!section_name("a..b"));
    }
}
