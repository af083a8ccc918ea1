//! Route rules: `spec.routes` (HTTP, TLS and TCP rules) and `spec.services` (subsets and traffic
//! policy), checked on the resolved route model with the spec entries it keeps.
//!
//! The checks follow what Istio's validation webhook and `istioctl analyze` would report once the
//! objects are applied (IST0101 subset not found, IST0109 conflicting mesh hosts, IST0130 unreachable
//! rule, IST0131 ineffective match, IST0132 host not in gateway, IST0149 claim routing without
//! RequestAuthentication), plus what breaks at run time without a message anywhere: weights that do
//! not add up, two routes claiming the same host and match on one gateway, TLS and TCP rules no
//! server carries, and backend TLS modes a STRICT namespace refuses.

use super::mesh::{ServedHosts, gateway_exists, hosts_served};
use super::{Findings, names, re2, text};
use crate::api::decode::{join_key, suggest};
use crate::api::v1alpha1::{
    self as api, BackendTlsMode, HttpRule, MtlsMode, TcpRule, TlsRule, WeightedDestination,
};
use crate::model::routes::{
    Backend, HttpMatchModel, HttpRuleModel, RouteModel, StringMatch, ValueMatch, carries_http, is_passthrough,
};
use crate::model::{GatewayModel, Model, istio_host_matches, server_host_name};
use serde_json::{Value, json};
use std::collections::HashMap;

/// HTTP methods a match may name (the Gateway API's list, which Istio accepts too).
pub const METHODS: &[&str] =
    &["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// Redirect status codes both Istio and the Gateway API accept.
pub const REDIRECT_CODES: &[u16] = &[301, 302, 303, 307, 308];

/// Largest direct response body Istio accepts.
const MAX_BODY: usize = 1024 * 1024;

/// Run the route rules.
pub fn check(model: &Model, f: &mut Findings) {
    services(model, f);
    let mut first_by_name: HashMap<(&str, &str), &str> = HashMap::new();
    let mut served = ServedHosts::default();
    for route in &model.routes {
        let first = *first_by_name.entry((&route.name, &route.namespace)).or_insert(&route.path);
        let earlier = (first != route.path).then_some(first);
        route_entry(model, route, earlier, &mut served, f);
    }
    conflicts(model, f);
}

fn strings(values: &[String]) -> Option<Value> {
    Some(Value::Array(values.iter().cloned().map(Value::String).collect()))
}

/// The rules of one route; `earlier` is the path of an earlier route of the same name and namespace.
fn route_entry<'m>(
    model: &'m Model,
    route: &'m RouteModel,
    earlier: Option<&str>,
    served: &mut ServedHosts<'m>,
    f: &mut Findings,
) {
    let path = &route.path;
    f.name(&format!("{path}.name"), "route name", &route.name, names::object_name);
    f.name(&format!("{path}.namespace"), "namespace", &route.namespace, names::dns1123_label);
    if let Some(first) = earlier {
        f.error(
            format!("{path}.name"),
            text(&route.name),
            format!("route {}/{} is already defined by {first}", route.namespace, route.name),
        );
    }
    let binds_mesh = route.binds_mesh();
    for (gi, (gateway, at)) in route.gateways.iter().enumerate() {
        if gateway == crate::model::routes::MESH {
            continue;
        }
        if route.gateways[..gi].iter().any(|(g, _)| g == gateway) {
            f.warning(at, text(gateway), format!("gateway {gateway:?} is listed twice"));
        } else if gateway_exists(model, gateway, at, f) && !binds_mesh {
            // A route that also binds `mesh` may name in-mesh hosts its gateways do not serve.
            let what = format!("{}/{}", route.namespace, route.name);
            hosts_served(
                model,
                gateway,
                &route.hosts,
                &route.hosts_path,
                (&route.namespace, &what),
                served,
                f,
            );
        }
    }
    if route.hosts.is_empty() {
        f.error(format!("{path}.hosts"), None, "the route has no hosts: set hosts or spec.domains");
    }
    for (hi, host) in route.hosts.iter().enumerate() {
        if let Err(reason) = names::host(host, true) {
            let at = if route.hosts_path == "spec.domains" {
                format!("spec.domains[{hi}]")
            } else {
                format!("{}[{hi}]", route.hosts_path)
            };
            f.error(at, text(host), format!("host {host:?} is not valid: {reason}"));
        }
    }
    if route.http.is_empty() && route.tls.is_empty() && route.tcp.is_empty() {
        f.error(
            format!("{path}.http"),
            None,
            "the route has no rules; add at least one HTTP rule (`http: [{destination: {host: ...}}]`), or a tls or tcp rule",
        );
    }
    let gateways: Vec<&GatewayModel> = route
        .bound_gateways()
        .iter()
        .filter_map(|name| model.gateways.iter().find(|g| g.name == *name))
        .collect();
    if !route.http.is_empty() && !binds_mesh {
        for gateway in gateways.iter().filter(|g| !g.servers.iter().any(carries_http)) {
            f.error(
                format!("{path}.http"),
                None,
                format!(
                    "gateway {:?} has no HTTP or HTTPS server, so the HTTP rules of this route receive no traffic through it; bind a gateway that serves HTTP, or use tls or tcp rules",
                    gateway.name
                ),
            );
        }
    }
    for (rule, spec) in route.http.iter().zip(&route.spec.http) {
        http_rule(model, route, spec, rule, &gateways, f);
    }
    unreachable_http(route, f);
    for (rule, spec) in route.tls.iter().zip(&route.spec.tls) {
        tls_rule(model, route, spec, rule, &gateways, f);
    }
    for (rule, spec) in route.tcp.iter().zip(&route.spec.tcp) {
        tcp_rule(model, route, spec, rule, &gateways, f);
    }
    unreachable_l4(route, f);
}

// ---------------------------------------------------------------------------------------------
// HTTP rules

fn http_rule(
    model: &Model,
    route: &RouteModel,
    spec: &HttpRule,
    rule: &HttpRuleModel,
    gateways: &[&GatewayModel],
    f: &mut Findings,
) {
    let path = &rule.path;
    if let Some(name) = &rule.name {
        if name.is_empty() {
            f.error(format!("{path}.name"), text(name), "the rule name is empty; remove it or name the rule");
        } else if route.http.iter().take_while(|r| r.path != *path).any(|r| r.name.as_ref() == Some(name)) {
            f.error(
                format!("{path}.name"),
                text(name),
                format!("rule name {name:?} is already used in this route"),
            );
        }
    }
    if spec.match_.is_some() && !spec.matches.is_empty() {
        f.error(
            format!("{path}.matches"),
            None,
            "set either match (one match) or matches (several), not both",
        );
    }
    let written: Vec<&api::HttpMatch> = spec.match_.iter().chain(&spec.matches).collect();
    for (m, written) in rule.matches.iter().zip(written) {
        http_match(model, route, written, m, gateways, f);
    }
    destinations(spec.destination.is_some(), &spec.destinations, path, f);
    let forwards = spec.destination.is_some() || !spec.destinations.is_empty();
    let actions = usize::from(forwards)
        + usize::from(spec.redirect.is_some())
        + usize::from(spec.direct_response.is_some());
    if actions == 0 {
        f.error(
            path.as_str(),
            None,
            "the rule does nothing: set destination, destinations, redirect or directResponse",
        );
    } else if actions > 1 {
        let at = if spec.direct_response.is_some() { "directResponse" } else { "redirect" };
        f.error(
            format!("{path}.{at}"),
            None,
            "a rule forwards (destination, destinations), redirects (redirect) or answers (directResponse): set only one of them",
        );
    }
    if let crate::model::routes::HttpAction::Forward(backends) = &rule.action {
        for b in backends {
            backend(model, route, b, f);
        }
    }
    if let Some(redirect) = &spec.redirect {
        redirect_rules(redirect, &format!("{path}.redirect"), f);
    }
    if let Some(direct) = &spec.direct_response {
        let at = format!("{path}.directResponse");
        if !(200..=599).contains(&direct.status) {
            f.error(
                format!("{at}.status"),
                Some(json!(direct.status)),
                format!("status {} is not an HTTP status in the range 200-599", direct.status),
            );
        }
        if let Some(body) = &direct.body {
            if body.len() > MAX_BODY {
                f.error(
                    format!("{at}.body"),
                    None,
                    format!("the body is {} bytes; Istio accepts at most 1 MiB", body.len()),
                );
            } else if body.len() > 100 * 1024 {
                f.warning(
                    format!("{at}.body"),
                    None,
                    "a body over 100 KiB is held by istiod and every gateway pod; serve large content from a backend",
                );
            }
        }
    }
    if spec.redirect.is_some() || spec.direct_response.is_some() {
        let answer = if spec.direct_response.is_some() { "a fixed response" } else { "a redirect" };
        for (field, set) in [
            ("rewrite", spec.rewrite.is_some()),
            ("fault", spec.fault.is_some()),
            ("mirror", spec.mirror.is_some()),
        ] {
            if set {
                f.error(
                    format!("{path}.{field}"),
                    None,
                    format!("{field} applies to forwarded requests, and this rule answers with {answer}; remove it"),
                );
            }
        }
        for (field, set) in [("timeout", spec.timeout.is_some()), ("retries", spec.retries.is_some())] {
            if set {
                f.warning(
                    format!("{path}.{field}"),
                    None,
                    format!("{field} has no effect: this rule answers with {answer} and forwards nothing"),
                );
            }
        }
    }
    if let Some(rewrite) = &spec.rewrite {
        rewrite_rules(rewrite, rule, spec, &format!("{path}.rewrite"), f);
    }
    if let Some(headers) = &spec.headers {
        header_operations(&headers.request, &format!("{path}.headers.request"), true, f);
        header_operations(&headers.response, &format!("{path}.headers.response"), false, f);
    }
    if let Some(cors) = &spec.cors {
        cors_rules(cors, &format!("{path}.cors"), f);
    }
    if let Some(fault) = &spec.fault {
        let at = format!("{path}.fault");
        if fault.delay.is_none() && fault.abort.is_none() {
            f.error(at.as_str(), None, "fault injection needs a delay, an abort, or both");
        }
        if let Some(delay) = &fault.delay {
            duration(&format!("{at}.delay.fixedDelay"), "fixedDelay", &delay.fixed_delay, f);
            percentage(&format!("{at}.delay.percentage"), delay.percentage, f);
        }
        if let Some(abort) = &fault.abort {
            if !(200..=599).contains(&abort.http_status) {
                f.error(
                    format!("{at}.abort.httpStatus"),
                    Some(json!(abort.http_status)),
                    format!("status {} is not an HTTP status in the range 200-599", abort.http_status),
                );
            }
            percentage(&format!("{at}.abort.percentage"), abort.percentage, f);
        }
    }
    if let (Some(mirror), Some(spec_mirror)) = (&rule.mirror, &spec.mirror) {
        backend(model, route, &mirror.backend, f);
        percentage(&format!("{path}.mirror.percentage"), spec_mirror.percentage, f);
    }
    if let Some(timeout) = &rule.timeout {
        duration(&format!("{path}.timeout"), "timeout", timeout, f);
    }
    if let Some(retries) = &rule.retries {
        if let Some(per_try) = &retries.per_try_timeout {
            duration(&format!("{path}.retries.perTryTimeout"), "perTryTimeout", per_try, f);
        }
        if retries.attempts == 0 && (retries.per_try_timeout.is_some() || retries.retry_on.is_some()) {
            f.warning(
                format!("{path}.retries.attempts"),
                Some(json!(0)),
                "attempts is 0, so the other retry settings have no effect",
            );
        }
    }
}

fn duration(at: &str, what: &str, value: &str, f: &mut Findings) {
    if let Err(reason) = names::duration(value) {
        f.error(at, text(value), format!("{what} {value:?} is not valid: {reason}"));
    }
}

fn percentage(at: &str, value: Option<f64>, f: &mut Findings) {
    if let Some(v) = value
        && !(0.0..=100.0).contains(&v)
    {
        f.error(at, Some(json!(v)), format!("{v} is not a percentage from 0 to 100"));
    }
}

fn regex(at: &str, pattern: &str, f: &mut Findings) {
    if let Err(reason) = re2::check(pattern) {
        f.error(
            at,
            text(pattern),
            format!("regular expression {pattern:?} is not valid: {reason}; Istio and Envoy use RE2 syntax (https://github.com/google/re2/wiki/Syntax)"),
        );
    }
}

fn path_value(at: &str, value: &str, f: &mut Findings) {
    if !value.starts_with('/') {
        f.error(at, text(value), format!("{value:?} is not a path; paths start with '/'"));
    }
}

fn http_match(
    top: &Model,
    route: &RouteModel,
    m: &api::HttpMatch,
    model: &HttpMatchModel,
    gateways: &[&GatewayModel],
    f: &mut Findings,
) {
    let path = &model.path;
    if [&m.exact, &m.prefix, &m.regex].iter().filter(|v| v.is_some()).count() > 1 {
        f.error(path.as_str(), None, "set at most one of exact, prefix and regex (the path condition)");
    }
    for (field, value) in [("exact", &m.exact), ("prefix", &m.prefix)] {
        if let Some(value) = value {
            path_value(&format!("{path}.{field}"), value, f);
        }
    }
    if let Some(pattern) = &m.regex {
        regex(&format!("{path}.regex"), pattern, f);
    }
    for (name, value) in &m.headers {
        let at = join_key(&format!("{path}.headers"), name);
        match_header_name(top, route, &at, name, f);
        value_match(&at, value, true, f);
        if name.to_ascii_lowercase().starts_with(CLAIM_HEADER) && (value.present || value.absent) {
            f.error(
                at.as_str(),
                None,
                "Istio matches a JWT claim by exact, prefix or regex only; for \"has a valid token\" use an access rule with from[].jwt",
            );
        }
    }
    for (name, value) in &m.query_params {
        let at = join_key(&format!("{path}.queryParams"), name);
        if name.is_empty() {
            f.error(at.as_str(), text(name), "the query parameter name is empty");
        }
        value_match(&at, value, false, f);
    }
    if let Some(method) = &m.method
        && !METHODS.contains(&method.as_str())
    {
        let mut message = format!("{method:?} is not an HTTP method ({})", METHODS.join(", "));
        if let Some(s) = suggest(&method.to_ascii_uppercase(), METHODS) {
            message.push_str(&format!("; did you mean {s:?}?"));
        }
        f.error(format!("{path}.method"), text(method), message);
    }
    if let Some(port) = m.port
        && !route.binds_mesh()
        && !gateways.is_empty()
        && !gateways.iter().any(|g| g.servers.iter().any(|s| s.port == port && carries_http(s)))
    {
        let ports: Vec<String> = gateways
            .iter()
            .flat_map(|g| g.servers.iter().filter(|s| carries_http(s)).map(|s| s.port.to_string()))
            .collect();
        f.error(
            format!("{path}.port"),
            Some(json!(port)),
            format!(
                "port {port} is not the port of an HTTP or HTTPS server of the bound gateways (their Service exposes {}); requests never arrive on it",
                if ports.is_empty() { "none".to_string() } else { ports.join(", ") }
            ),
        );
    }
    if let Some(authority) = &m.authority {
        string_match(&format!("{path}.authority"), authority, f);
    }
}

/// The prefix of a header match on a JWT claim.
const CLAIM_HEADER: &str = "@request.auth.claims";

/// A header name in a match: lowercase, a token, and not a pseudo-header; or a JWT claim.
fn match_header_name(model: &Model, route: &RouteModel, at: &str, name: &str, f: &mut Findings) {
    if name.to_ascii_lowercase().starts_with(CLAIM_HEADER) {
        claim_header(model, route, at, name, f);
    } else if let Some(pseudo) = name.strip_prefix(':') {
        f.error(
            at,
            text(name),
            format!(
                "pseudo-header {name:?} is not matched as a header here; use the match's {} field",
                if pseudo == "method" {
                    "method"
                } else if pseudo == "authority" {
                    "authority"
                } else {
                    "path (exact, prefix, regex)"
                }
            ),
        );
    } else {
        header_name(at, name, f);
    }
}

/// A match on a JWT claim (`@request.auth.claims.groups`, `@request.auth.claims[realm][roles]`).
/// Istio routes on claims only at gateways whose pods validate the token, that is where a
/// RequestAuthentication selects them: here, a gateway with a JWT provider attached
/// ([`crate::model::access`]). A request without a valid token has no claims and skips the rule.
fn claim_header(model: &Model, route: &RouteModel, at: &str, name: &str, f: &mut Findings) {
    let rest = &name[CLAIM_HEADER.len()..];
    let well_formed = match (rest.strip_prefix('.'), rest.strip_prefix('[')) {
        (Some(dotted), _) => !dotted.is_empty() && dotted.split('.').all(|c| !c.is_empty()),
        (_, Some(bracketed)) => bracketed
            .strip_suffix(']')
            .is_some_and(|inner| inner.split("][").all(|c| !c.is_empty() && !c.contains(['[', ']']))),
        _ => false,
    };
    if !well_formed {
        f.error(
            at,
            text(name),
            format!(
                "{name:?} names no claim; write {CLAIM_HEADER}.<claim> (nested: {CLAIM_HEADER}.<claim>.<key>) or {CLAIM_HEADER}[<claim>][<key>] for names with dots"
            ),
        );
        return;
    }
    if route.binds_mesh() {
        f.error(
            at,
            text(name),
            "JWT claim routing works only at gateways, and this route also binds mesh, where sidecars never see the claims; put the claim rules in a route bound to gateways only",
        );
        return;
    }
    let unvalidated: Vec<&str> = route
        .gateways
        .iter()
        .filter_map(|(gateway, _)| model.gateways.iter().position(|g| g.name == *gateway))
        .filter(|&gi| {
            !model.access.targets.iter().any(|t| t.gateways.contains(&gi) && !t.providers.is_empty())
        })
        .map(|gi| model.gateways[gi].name.as_str())
        .collect();
    if !unvalidated.is_empty() {
        f.error(
            at,
            text(name),
            format!(
                "JWT claim routing needs a RequestAuthentication on the gateway pods, and gateway {} validates no JWT, so the claims are never there (IST0149); attach a provider: name it in a from[].jwt of this route's or the gateway's access rules, or list the gateway in spec.jwtProviders[].gateways",
                unvalidated.iter().map(|g| format!("{g:?}")).collect::<Vec<_>>().join(", ")
            ),
        )
        .set_code("IST0149");
    }
}

/// RFC 9110 token characters.
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

fn header_name(at: &str, name: &str, f: &mut Findings) {
    if !is_token(name) {
        f.error(
            at,
            text(name),
            format!("{name:?} is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)"),
        );
    } else if name.chars().any(|c| c.is_ascii_uppercase()) {
        f.error(
            at,
            text(name),
            format!(
                "header names are lowercase here (Envoy compares them lowercased); write {:?}",
                name.to_ascii_lowercase()
            ),
        );
    }
}

fn value_match(at: &str, value: &api::ValueMatch, absent_allowed: bool, f: &mut Findings) {
    let set =
        [value.exact.is_some(), value.prefix.is_some(), value.regex.is_some(), value.present, value.absent]
            .iter()
            .filter(|v| **v)
            .count();
    if set != 1 {
        let choices = if absent_allowed {
            "exact, prefix, regex, present and absent"
        } else {
            "exact, prefix, regex and present"
        };
        f.error(at, None, format!("set exactly one of {choices}"));
    }
    if value.absent && !absent_allowed {
        f.error(format!("{at}.absent"), Some(json!(true)), "Istio cannot match an absent query parameter");
    }
    if value.prefix.as_deref() == Some("") {
        f.error(format!("{at}.prefix"), text(""), "an empty prefix matches everything; use present: true");
    }
    if let Some(pattern) = &value.regex {
        regex(&format!("{at}.regex"), pattern, f);
    }
}

fn string_match(at: &str, m: &api::StringMatch, f: &mut Findings) {
    if [&m.exact, &m.prefix, &m.regex].iter().filter(|v| v.is_some()).count() != 1 {
        f.error(at, None, "set exactly one of exact, prefix and regex");
    }
    if m.prefix.as_deref() == Some("") {
        f.error(format!("{at}.prefix"), text(""), "the prefix is empty");
    }
    if let Some(pattern) = &m.regex {
        regex(&format!("{at}.regex"), pattern, f);
    }
}

// ---------------------------------------------------------------------------------------------
// Destinations

/// The exclusivity and weights of a `destination` / `destinations` pair.
fn destinations(single: bool, weighted: &[WeightedDestination], path: &str, f: &mut Findings) {
    if single && !weighted.is_empty() {
        f.error(format!("{path}.destinations"), None, "set either destination or destinations, not both");
        return;
    }
    let written = weighted.iter().filter(|d| d.weight.is_some()).count();
    if written != 0 && written != weighted.len() {
        for (i, _) in weighted.iter().enumerate().filter(|(_, d)| d.weight.is_none()) {
            f.error(
                format!("{path}.destinations[{i}].weight"),
                None,
                "set a weight on every destination (percentages adding up to 100) or on none (an even split)",
            );
        }
    } else if written > 0 {
        let sum: u32 = weighted.iter().filter_map(|d| d.weight).sum();
        if sum != 100 {
            f.error(
                format!("{path}.destinations"),
                Some(json!(sum)),
                format!(
                    "the destination weights add up to {sum}; they are percentages and must add up to 100"
                ),
            );
        }
    }
}

/// Namespaces this config knows about, to recognize partial Service names.
fn known_namespace(model: &Model, name: &str) -> bool {
    model.namespaces.iter().any(|n| n.name == name)
        || model.routes.iter().any(|r| r.namespace == name)
        || model.services.iter().any(|s| s.service.namespace == name)
}

fn backend(model: &Model, route: &RouteModel, b: &Backend, f: &mut Findings) {
    let host = &b.host;
    if let Err(reason) = names::host(host, false) {
        f.error(
            format!("{}.host", b.path),
            text(host),
            format!("destination host {host:?} is not valid: {reason}"),
        );
        return;
    }
    if b.service.is_none() {
        let labels: Vec<&str> = host.split('.').collect();
        let partial = match labels.as_slice() {
            [name, ns] if known_namespace(model, ns) => Some((*name, *ns)),
            [name, ns, "svc"] | [name, ns, "svc", "cluster"] => Some((*name, *ns)),
            _ => None,
        };
        if let Some((name, ns)) = partial {
            f.warning(
                format!("{}.host", b.path),
                text(host),
                format!(
                    "Istio does not expand partial Service names: {host:?} is taken as a complete host name and matches no Service; write \"{name}.{ns}.svc.cluster.local\"{}",
                    if ns == route.namespace { format!(" or \"{name}\"") } else { String::new() }
                ),
            );
        }
    }
    let Some(subset) = &b.subset else { return };
    let at = format!("{}.subset", b.path);
    let Some(service) = &b.service else {
        f.error(
            at,
            text(subset),
            format!(
                "Referenced subset not found: {subset:?} of host {host:?}; subsets belong to Kubernetes Services declared in spec.services, and {host:?} names none (write a short name or <name>.<namespace>.svc.cluster.local)"
            ),
        )
        .set_code("IST0101");
        return;
    };
    match model.services.iter().find(|s| &s.service == service) {
        None => {
            f.error(
                at,
                text(subset),
                format!(
                    "Referenced subset not found: {subset:?} of Service {}/{}; declare it in spec.services: {{name: {}, namespace: {}, subsets: [{{name: {subset}, labels: {{...}}}}]}}",
                    service.namespace, service.name, service.name, service.namespace
                ),
            )
            .set_code("IST0101");
        }
        Some(declared) if !declared.subsets.iter().any(|s| &s.name == subset) => {
            let known: Vec<&str> = declared.subsets.iter().map(|s| s.name.as_str()).collect();
            let mut message = format!(
                "Referenced subset not found: {subset:?} is not a subset of Service {}/{} ({}: {})",
                service.namespace,
                service.name,
                declared.path,
                if known.is_empty() { "no subsets".to_string() } else { known.join(", ") }
            );
            if let Some(s) = suggest(subset, &known) {
                message.push_str(&format!("; did you mean {s:?}?"));
            }
            f.error(at, text(subset), message).set_code("IST0101");
        }
        Some(_) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Redirect, rewrite, headers, CORS

fn redirect_rules(r: &api::Redirect, at: &str, f: &mut Findings) {
    if r.scheme.is_none() && r.host.is_none() && r.port.is_none() && r.path.is_none() {
        f.error(at, None, "the redirect changes nothing: set scheme, host, port or path");
    }
    if let Some(scheme) = &r.scheme
        && scheme != "http"
        && scheme != "https"
    {
        f.error(
            format!("{at}.scheme"),
            text(scheme),
            format!("scheme {scheme:?} is not \"http\" or \"https\""),
        );
    }
    if let Some(host) = &r.host
        && let Err(reason) = names::host(host, false)
    {
        f.error(format!("{at}.host"), text(host), format!("host {host:?} is not valid: {reason}"));
    }
    if let Some(path) = &r.path {
        path_value(&format!("{at}.path"), path, f);
    }
    if let Some(code) = r.code
        && !REDIRECT_CODES.contains(&code)
    {
        f.error(
            format!("{at}.code"),
            Some(json!(code)),
            format!("redirect code {code} is not one of 301, 302, 303, 307 and 308"),
        );
    }
}

fn rewrite_rules(r: &api::Rewrite, rule: &HttpRuleModel, spec: &HttpRule, at: &str, f: &mut Findings) {
    let paths = [r.prefix.is_some(), r.path.is_some(), r.regex.is_some()].iter().filter(|v| **v).count();
    if paths > 1 {
        f.error(at, None, "set at most one of prefix, path and regex (the path rewrite)");
    }
    if paths == 0 && r.authority.is_none() {
        f.error(at, None, "the rewrite changes nothing: set prefix, path, regex or authority");
    }
    if let Some(prefix) = &r.prefix {
        path_value(&format!("{at}.prefix"), prefix, f);
        for m in &rule.matches {
            if matches!(m.uri, Some(StringMatch::Exact(_) | StringMatch::Regex(_))) {
                f.error(
                    format!("{at}.prefix"),
                    text(prefix),
                    format!(
                        "a prefix rewrite replaces the matched path prefix, and {} matches an exact path or a regex; use rewrite.path to replace the whole path",
                        m.path
                    ),
                );
            }
        }
    }
    if let Some(path) = &r.path {
        path_value(&format!("{at}.path"), path, f);
    }
    if let Some(re) = &r.regex {
        regex(&format!("{at}.regex.pattern"), &re.pattern, f);
        if re.substitution.is_empty() {
            f.error(
                format!("{at}.regex.substitution"),
                text(""),
                "the substitution is empty; Istio requires one",
            );
        }
    }
    if let Some(authority) = &r.authority {
        let host = authority
            .rsplit_once(':')
            .filter(|(_, p)| p.parse::<u16>().is_ok())
            .map_or(authority.as_str(), |(h, _)| h);
        if let Err(reason) = names::host(host, false) {
            f.error(
                format!("{at}.authority"),
                text(authority),
                format!("authority {authority:?} is not valid: {reason}"),
            );
        }
        let request = spec.headers.as_ref().map(|h| &h.request);
        if request.is_some_and(|ops| ops.set.keys().chain(ops.add.keys()).any(|k| is_authority(k))) {
            f.error(
                format!("{at}.authority"),
                text(authority),
                "the authority is also set in headers.request; set it in one place",
            );
        }
    }
}

fn is_authority(name: &str) -> bool {
    name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case(":authority")
}

/// Envoy header value syntax: no control characters, and `%` only as `%%` or around a variable.
fn header_value(value: &str) -> Result<(), String> {
    if value.chars().any(|c| (c.is_control() && c != '\t') || c == '\u{7f}') {
        return Err("it contains control characters".to_string());
    }
    let mut rest = value;
    while let Some(i) = rest.find('%') {
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('%') {
            rest = stripped;
        } else if let Some(end) = after.find('%') {
            rest = &after[end + 1..];
        } else {
            return Err(
                "a '%' starts an Envoy variable such as %HOSTNAME%; write %% for a literal %".to_string()
            );
        }
    }
    Ok(())
}

fn header_operations(ops: &api::HeaderOperations, at: &str, request: bool, f: &mut Findings) {
    let check_name = |f: &mut Findings, field: &str, name: &str, may_set_authority: bool| {
        let at = join_key(&format!("{at}.{field}"), name);
        if is_authority(name) && may_set_authority {
            return;
        }
        if name.starts_with(':') || name.eq_ignore_ascii_case("host") {
            f.error(
                at,
                text(name),
                format!(
                    "{name:?} cannot be changed here{}",
                    if request { "; use rewrite.authority for the Host" } else { "" }
                ),
            );
        } else {
            header_name(&at, name, f);
        }
    };
    for (field, map) in [("set", &ops.set), ("add", &ops.add)] {
        for (name, value) in map {
            check_name(f, field, name, request);
            if let Err(reason) = header_value(value) {
                f.error(
                    join_key(&format!("{at}.{field}"), name),
                    text(value),
                    format!("header value {value:?} is not valid: {reason}"),
                );
            }
        }
    }
    for (i, name) in ops.remove.iter().enumerate() {
        let item = format!("{at}.remove[{i}]");
        if name.starts_with(':') || name.eq_ignore_ascii_case("host") {
            f.error(item, text(name), format!("{name:?} cannot be removed"));
        } else {
            header_name(&item, name, f);
        }
    }
}

fn cors_rules(cors: &api::Cors, at: &str, f: &mut Findings) {
    if cors.allow_origins.is_empty() {
        f.error(
            format!("{at}.allowOrigins"),
            None,
            "a CORS policy needs allowed origins, such as `allowOrigins: [{exact: https://shop.example.com}]`",
        );
    }
    for (i, origin) in cors.allow_origins.iter().enumerate() {
        string_match(&format!("{at}.allowOrigins[{i}]"), origin, f);
        if origin.exact.as_deref() == Some("*") && cors.allow_credentials == Some(true) {
            f.error(
                format!("{at}.allowOrigins[{i}].exact"),
                text("*"),
                "browsers refuse credentials for the origin \"*\"; list the allowed origins",
            );
        }
    }
    for (i, method) in cors.allow_methods.iter().enumerate() {
        if method != "*" && !METHODS.contains(&method.as_str()) {
            f.error(
                format!("{at}.allowMethods[{i}]"),
                text(method),
                format!("{method:?} is not an HTTP method ({}, or *)", METHODS.join(", ")),
            );
        }
    }
    for (field, list) in [("allowHeaders", &cors.allow_headers), ("exposeHeaders", &cors.expose_headers)] {
        for (i, name) in list.iter().enumerate() {
            if name != "*" && !is_token(name) {
                f.error(
                    format!("{at}.{field}[{i}]"),
                    text(name),
                    format!("{name:?} is not a valid header name"),
                );
            }
        }
    }
    if let Some(max_age) = &cors.max_age {
        duration(&format!("{at}.maxAge"), "maxAge", max_age, f);
        if max_age.contains("ms") || max_age.contains('.') {
            f.error(
                format!("{at}.maxAge"),
                text(max_age),
                "maxAge is counted in whole seconds, such as \"600s\" or \"24h\"",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unreachable rules

/// Whether every request `b` matches is also matched by `a`.
fn string_covers(a: &StringMatch, b: &StringMatch) -> bool {
    match (a, b) {
        (StringMatch::Prefix(p), StringMatch::Exact(v) | StringMatch::Prefix(v)) => v.starts_with(p.as_str()),
        _ => a == b,
    }
}

fn value_covers(a: &ValueMatch, b: &ValueMatch) -> bool {
    match (a, b) {
        (ValueMatch::Present, other) => *other != ValueMatch::Absent,
        (ValueMatch::Prefix(p), ValueMatch::Exact(v) | ValueMatch::Prefix(v)) => v.starts_with(p.as_str()),
        _ => a == b,
    }
}

fn conditions_cover(a: &[(String, ValueMatch)], b: &[(String, ValueMatch)]) -> bool {
    a.iter().all(|(name, av)| b.iter().any(|(n, bv)| n == name && value_covers(av, bv)))
}

/// Whether match `a` matches every request match `b` matches (so `b`, listed after `a`, is unused).
pub fn covers(a: &HttpMatchModel, b: &HttpMatchModel) -> bool {
    let optional = |x: &Option<StringMatch>, y: &Option<StringMatch>| match (x, y) {
        (None, _) => true,
        (Some(StringMatch::Prefix(p)), None) => p == "/",
        (Some(_), None) => false,
        (Some(x), Some(y)) => string_covers(x, y),
    };
    optional(&a.uri, &b.uri)
        && optional(&a.authority, &b.authority)
        && (a.method.is_none() || a.method == b.method)
        && (a.port.is_none() || a.port == b.port)
        && conditions_cover(&a.headers, &b.headers)
        && conditions_cover(&a.query_params, &b.query_params)
}

/// A rule's matches; a rule without matches has one that matches everything.
pub fn effective_matches(rule: &HttpRuleModel) -> Vec<HttpMatchModel> {
    if rule.matches.is_empty() {
        vec![HttpMatchModel {
            path: rule.path.clone(),
            uri: None,
            headers: Vec::new(),
            query_params: Vec::new(),
            method: None,
            port: None,
            authority: None,
        }]
    } else {
        rule.matches.clone()
    }
}

/// IST0130 (a rule no request reaches) and IST0131 (a match no request reaches), as Istio's
/// validation reports them, extended to matches covered by an earlier, broader one.
fn unreachable_http(route: &RouteModel, f: &mut Findings) {
    for (i, rule) in route.http.iter().enumerate() {
        let covering: Vec<(HttpMatchModel, Option<usize>)> = effective_matches(rule)
            .into_iter()
            .map(|m| {
                let by =
                    route.http[..i].iter().position(|e| effective_matches(e).iter().any(|em| covers(em, &m)));
                (m, by)
            })
            .collect();
        if let Some(first) = covering
            .iter()
            .map(|(_, by)| *by)
            .collect::<Option<Vec<usize>>>()
            .and_then(|b| b.first().copied())
        {
            let reason = if route.http[first].is_catch_all() {
                format!("rule {first} matches every request before it")
            } else {
                format!("rule {first} matches all its requests before it")
            };
            f.warning(rule.path.as_str(), None, format!("VirtualService rule {i} not used ({reason})"))
                .set_code("IST0130");
            continue;
        }
        for (k, (m, by)) in covering.iter().enumerate() {
            if let Some(j) = by {
                f.info(
                    m.path.as_str(),
                    None,
                    format!("VirtualService rule {i} match {k} is not used (rule {j} matches all its requests before it)"),
                )
                .set_code("IST0131");
            }
        }
    }
}

/// IST0130 for TLS and TCP rules that an earlier rule of the route already takes.
fn unreachable_l4(route: &RouteModel, f: &mut Findings) {
    for (i, rule) in route.tls.iter().enumerate() {
        if let Some(j) = route.tls[..i].iter().position(|e| {
            (e.port.is_none() || e.port == rule.port)
                && rule.sni_hosts.iter().all(|h| e.sni_hosts.iter().any(|eh| istio_host_matches(eh, h)))
        }) {
            f.warning(
                rule.path.as_str(),
                None,
                format!("VirtualService TLS rule {i} not used (TLS rule {j} matches its SNI hosts and port before it)"),
            )
            .set_code("IST0130");
        }
    }
    for (i, rule) in route.tcp.iter().enumerate() {
        if let Some(j) = route.tcp[..i].iter().position(|e| e.port.is_none() || e.port == rule.port) {
            f.warning(
                rule.path.as_str(),
                None,
                format!(
                    "VirtualService TCP rule {i} not used (TCP rule {j} takes the same connections before it)"
                ),
            )
            .set_code("IST0130");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// TLS and TCP rules

fn l4_destinations(
    model: &Model,
    route: &RouteModel,
    single: bool,
    weighted: &[WeightedDestination],
    backends: &[Backend],
    path: &str,
    f: &mut Findings,
) {
    if !single && weighted.is_empty() {
        f.error(path, None, "the rule has no destination: set destination or destinations");
    }
    destinations(single, weighted, path, f);
    for b in backends {
        backend(model, route, b, f);
    }
}

fn server_list(gateways: &[&GatewayModel], keep: impl Fn(&crate::model::ServerModel) -> bool) -> String {
    let list: Vec<String> = gateways
        .iter()
        .flat_map(|g| {
            g.servers
                .iter()
                .filter(|s| keep(s))
                .map(|s| format!("{} {} {}", g.name, s.protocol.as_str(), s.port))
        })
        .collect();
    if list.is_empty() { "none".to_string() } else { list.join(", ") }
}

fn tls_rule(
    model: &Model,
    route: &RouteModel,
    spec: &TlsRule,
    rule: &crate::model::routes::TlsRuleModel,
    gateways: &[&GatewayModel],
    f: &mut Findings,
) {
    let path = &rule.path;
    l4_destinations(model, route, spec.destination.is_some(), &spec.destinations, &rule.backends, path, f);
    for (i, host) in rule.sni_hosts.iter().enumerate() {
        let at = if spec.sni_hosts.is_empty() {
            rule.sni_hosts_path.clone()
        } else {
            format!("{path}.sniHosts[{i}]")
        };
        if let Err(reason) = names::host(host, false) {
            f.error(at, text(host), format!("SNI host {host:?} is not valid: {reason}"));
            continue;
        }
        if !route.hosts.iter().any(|h| istio_host_matches(h, host)) {
            f.error(
                at.as_str(),
                text(host),
                format!(
                    "SNI host {host:?} is not one of the route's hosts ({}); Istio requires each SNI host to be a host of the VirtualService or within one of its wildcards",
                    route.hosts.join(", ")
                ),
            );
        }
        let served = rule.listeners.iter().any(|l| {
            gateways
                .iter()
                .filter(|g| g.name == l.gateway)
                .flat_map(|g| g.servers.iter().filter(|s| s.port == l.port))
                .any(|s| s.hosts.iter().any(|pattern| istio_host_matches(server_host_name(pattern), host)))
        });
        if !gateways.is_empty() && !rule.listeners.is_empty() && !served {
            f.error(
                at,
                text(host),
                format!(
                    "SNI host {host:?} is not served by a PASSTHROUGH server of the bound gateways ({}) (IST0132); add it to that server's hosts",
                    server_list(gateways, is_passthrough)
                ),
            )
            .set_code("IST0132");
        }
    }
    if !gateways.is_empty() && rule.listeners.is_empty() {
        let (at, message) = match spec.port {
            Some(port) if !gateways.iter().any(|g| g.servers.iter().any(|s| s.port == port)) => (
                format!("{path}.port"),
                format!(
                    "port {port} is not a server port of the bound gateways ({})",
                    server_list(gateways, |_| true)
                ),
            ),
            Some(port)
                if !gateways
                    .iter()
                    .any(|g| g.servers.iter().any(|s| s.port == port && is_passthrough(s))) =>
            {
                (
                    format!("{path}.port"),
                    format!(
                        "port {port} is not a TLS PASSTHROUGH server of the bound gateways ({}); tls rules route passed-through TLS by SNI (a TLS server that terminates TLS takes tcp rules)",
                        server_list(gateways, |_| true)
                    ),
                )
            }
            _ if !gateways.iter().any(|g| g.servers.iter().any(is_passthrough)) => (
                path.clone(),
                format!(
                    "the bound gateways have no TLS server with mode PASSTHROUGH ({}); add one (`{{port: 8443, protocol: TLS, tls: {{mode: PASSTHROUGH}}}}`)",
                    server_list(gateways, |_| true)
                ),
            ),
            _ => (
                rule.sni_hosts_path.clone(),
                format!(
                    "no PASSTHROUGH server of the bound gateways serves the SNI hosts {} ({}) (IST0132)",
                    rule.sni_hosts.join(", "),
                    server_list(gateways, is_passthrough)
                ),
            ),
        };
        f.error(at, None, message);
    }
}

fn tcp_rule(
    model: &Model,
    route: &RouteModel,
    spec: &TcpRule,
    rule: &crate::model::routes::TcpRuleModel,
    gateways: &[&GatewayModel],
    f: &mut Findings,
) {
    let path = &rule.path;
    l4_destinations(model, route, spec.destination.is_some(), &spec.destinations, &rule.backends, path, f);
    if gateways.is_empty() || !rule.listeners.is_empty() {
        return;
    }
    match spec.port {
        Some(port) if !gateways.iter().any(|g| g.servers.iter().any(|s| s.port == port)) => {
            f.error(
                format!("{path}.port"),
                Some(json!(port)),
                format!(
                    "port {port} is not a server port of the bound gateways ({})",
                    server_list(gateways, |_| true)
                ),
            );
        }
        Some(port) => {
            f.error(
                format!("{path}.port"),
                Some(json!(port)),
                format!(
                    "port {port} of the bound gateways is not a TCP server ({}); tcp rules need protocol TCP, or TLS terminating TLS (HTTP and HTTPS servers take http rules, PASSTHROUGH servers tls rules)",
                    server_list(gateways, |s| s.port == port)
                ),
            );
        }
        None => {
            f.error(
                path.as_str(),
                None,
                format!(
                    "the bound gateways have no TCP server ({}); add one (`{{port: 5432, protocol: TCP, hosts: [\"*\"]}}`)",
                    server_list(gateways, |_| true)
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Conflicts between routes

fn conflicts(model: &Model, f: &mut Findings) {
    // Only routes that share a host, or a listener of their TLS or TCP rules, can conflict. Index
    // them by what they share, so the check costs what the sharing costs rather than every pair of
    // routes (16,000 routes are 128 million pairs). Pairs come in the order of the pairwise loop.
    let mut seen: HashMap<Shared<'_>, Vec<usize>> = HashMap::new();
    for (bi, b) in model.routes.iter().enumerate() {
        let keys = shared_keys(b);
        let mut earlier: Vec<usize> = keys.iter().filter_map(|k| seen.get(k)).flatten().copied().collect();
        earlier.sort_unstable();
        earlier.dedup();
        for a in earlier.iter().filter_map(|&ai| model.routes.get(ai)) {
            conflict(a, b, f);
        }
        for key in keys {
            let routes = seen.entry(key).or_default();
            if routes.last() != Some(&bi) {
                routes.push(bi);
            }
        }
    }
}

/// What a route can share with another: its hosts and the listeners of its TLS and TCP rules.
fn shared_keys(r: &RouteModel) -> Vec<Shared<'_>> {
    let hosts = r.hosts.iter().map(|h| Shared::Host(h));
    let tls = r.tls.iter().flat_map(|rule| &rule.listeners).map(|l| Shared::Tls(&l.gateway, l.port, &l.name));
    let tcp = r.tcp.iter().flat_map(|rule| &rule.listeners).map(|l| Shared::Tcp(&l.gateway, l.port, &l.name));
    hosts.chain(tls).chain(tcp).collect()
}

/// Something two routes can share, which is what makes them able to conflict.
#[derive(PartialEq, Eq, Hash)]
enum Shared<'m> {
    Host(&'m str),
    Tls(&'m str, u32, &'m str),
    Tcp(&'m str, u32, &'m str),
}

/// The conflicts between route `a` and the later route `b`.
fn conflict(a: &RouteModel, b: &RouteModel, f: &mut Findings) {
    let shared_hosts: Vec<&String> = b.hosts.iter().filter(|h| a.hosts.contains(h)).collect();
    let who = |r: &RouteModel| format!("{}/{} ({})", r.namespace, r.name, r.path);
    if a.binds_mesh() && b.binds_mesh() && !shared_hosts.is_empty() {
        f.error(
            b.hosts_path.as_str(),
            strings(&shared_hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>()),
            format!(
                "The VirtualServices {} and {} associated with mesh gateway define the same host {} which can lead to undefined behavior; merge them into one route (IST0109)",
                who(a),
                who(b),
                shared_hosts[0]
            ),
        )
        .set_code("IST0109");
    }
    let a_gateways = a.bound_gateways();
    let Some(gateway) = b.bound_gateways().into_iter().find(|g| a_gateways.contains(g)) else {
        return;
    };
    if let Some(host) = shared_hosts.first() {
        'rules: for rule in &b.http {
            for m in effective_matches(rule) {
                if a.http
                    .iter()
                    .any(|ar| effective_matches(ar).iter().any(|am| am.conditions() == m.conditions()))
                {
                    f.error(
                        m.path.as_str(),
                        None,
                        format!(
                            "conflicting routes: {} and {} both route host {host:?} on gateway {gateway:?} for the same match; Istio merges their rules in an unspecified order, so one never receives traffic. Merge them into one route, or tell them apart by host or match",
                            who(b),
                            who(a)
                        ),
                    );
                    break 'rules;
                }
            }
        }
    }
    for rule in &b.tls {
        let clash = a.tls.iter().any(|ar| {
            ar.listeners.iter().any(|l| rule.listeners.contains(l))
                && ar.sni_hosts.iter().any(|h| rule.sni_hosts.contains(h))
        });
        if clash {
            f.error(
                rule.path.as_str(),
                strings(&rule.sni_hosts),
                format!(
                    "conflicting routes: {} and {} both route SNI hosts {} on the same PASSTHROUGH server; only one receives the connections",
                    who(b),
                    who(a),
                    rule.sni_hosts.join(", ")
                ),
            );
        }
    }
    for rule in &b.tcp {
        if let Some(l) = rule.listeners.iter().find(|l| a.tcp.iter().any(|ar| ar.listeners.contains(l))) {
            f.error(
                rule.path.as_str(),
                None,
                format!(
                    "conflicting routes: port {} of gateway {:?} is already routed by {}; TCP connections carry no host name, so one route owns a TCP port",
                    l.port,
                    l.gateway,
                    who(a)
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backend services

fn services(model: &Model, f: &mut Findings) {
    for (si, service) in model.services.iter().enumerate() {
        let path = &service.path;
        let s = &service.service;
        f.name(&format!("{path}.name"), "Service name", &s.name, names::dns1035_label);
        f.name(&format!("{path}.namespace"), "namespace", &s.namespace, names::dns1123_label);
        if let Some(first) = model.services[..si].iter().find(|o| o.service == *s) {
            f.error(
                format!("{path}.name"),
                text(&s.name),
                format!(
                    "Service {}/{} is already declared by {}; Istio applies one DestinationRule per host, so declare each Service once",
                    s.namespace, s.name, first.path
                ),
            );
        }
        let namespace = model.namespaces.iter().find(|n| n.name == s.namespace);
        if s.name == "default-mtls" && namespace.is_some_and(|n| n.mtls == MtlsMode::Strict) {
            f.error(
                format!("{path}.name"),
                text(&s.name),
                "the DestinationRule of this Service would be named default-mtls, the name of the namespace's mTLS rule; this Service cannot be declared here",
            );
        }
        for (i, subset) in service.subsets.iter().enumerate() {
            f.name(&format!("{}.name", subset.path), "subset name", &subset.name, names::dns1123_label);
            if service.subsets[..i].iter().any(|o| o.name == subset.name) {
                f.error(
                    format!("{}.name", subset.path),
                    text(&subset.name),
                    format!("subset {:?} is listed twice", subset.name),
                );
            }
            if subset.labels.is_empty() {
                f.warning(
                    format!("{}.labels", subset.path),
                    None,
                    "a subset without labels selects every pod of the Service; give it the labels of its version, such as {version: v2}",
                );
            }
            for (key, value) in &subset.labels {
                let at = join_key(&format!("{}.labels", subset.path), key);
                if let Err(reason) = names::label_key(key) {
                    f.error(at.as_str(), text(key), format!("label key {key:?} is not valid: {reason}"));
                }
                if let Err(reason) = names::label_value(value) {
                    f.error(at, text(value), format!("label value {value:?} is not valid: {reason}"));
                }
            }
        }
        let mesh_strict = model.spec.mtls.mesh_wide && model.spec.mtls.mode == MtlsMode::Strict;
        let written = service.spec.traffic_policy.iter().map(|p| (format!("{path}.trafficPolicy"), p));
        let subsets =
            service.spec.subsets.iter().zip(&service.subsets).filter_map(|(s, m)| {
                s.traffic_policy.as_ref().map(|p| (format!("{}.trafficPolicy", m.path), p))
            });
        for (at, policy) in written.chain(subsets) {
            if let Some(tls) = &policy.tls {
                backend_tls(&service.service, tls, &format!("{at}.tls"), namespace, mesh_strict, f);
            }
            traffic_policy(&at, policy, f);
        }
    }
}

/// The checks of one traffic policy (a Service's or a subset's) besides TLS: durations,
/// load-balancer choices and hash keys.
fn traffic_policy(at: &str, policy: &api::TrafficPolicy, f: &mut Findings) {
    if let Some(pool) = &policy.connection_pool {
        if let Some(tcp) = &pool.tcp {
            for (field, value) in
                [("connectTimeout", &tcp.connect_timeout), ("idleTimeout", &tcp.idle_timeout)]
            {
                if let Some(v) = value {
                    duration(&format!("{at}.connectionPool.tcp.{field}"), field, v, f);
                }
            }
        }
        if let Some(idle) = pool.http.as_ref().and_then(|h| h.idle_timeout.as_ref()) {
            duration(&format!("{at}.connectionPool.http.idleTimeout"), "idleTimeout", idle, f);
        }
    }
    if let Some(outlier) = &policy.outlier_detection {
        for (field, value) in
            [("interval", &outlier.interval), ("baseEjectionTime", &outlier.base_ejection_time)]
        {
            if let Some(v) = value {
                duration(&format!("{at}.outlierDetection.{field}"), field, v, f);
            }
        }
    }
    if let Some(lb) = &policy.load_balancer {
        let lb_at = format!("{at}.loadBalancer");
        match (&lb.simple, &lb.consistent_hash) {
            (Some(_), Some(_)) => {
                f.error(lb_at.as_str(), None, "set either simple or consistentHash, not both");
            }
            (None, None) => {
                f.error(
                    lb_at.as_str(),
                    None,
                    "set simple (an algorithm) or consistentHash (session affinity)",
                );
            }
            _ => {}
        }
        if let Some(hash) = &lb.consistent_hash {
            let keys = [
                hash.http_header_name.is_some(),
                hash.http_cookie.is_some(),
                hash.http_query_parameter_name.is_some(),
                hash.use_source_ip,
            ];
            if keys.iter().filter(|k| **k).count() != 1 {
                f.error(
                    format!("{lb_at}.consistentHash"),
                    None,
                    "set exactly one of httpHeaderName, httpCookie, httpQueryParameterName and useSourceIp",
                );
            }
            if let Some(name) = &hash.http_header_name {
                header_name(&format!("{lb_at}.consistentHash.httpHeaderName"), name, f);
            }
            if let Some(cookie) = &hash.http_cookie {
                if cookie.name.is_empty() {
                    f.error(
                        format!("{lb_at}.consistentHash.httpCookie.name"),
                        text(""),
                        "the cookie name is empty",
                    );
                }
                if let Some(ttl) = &cookie.ttl {
                    duration(&format!("{lb_at}.consistentHash.httpCookie.ttl"), "ttl", ttl, f);
                }
            }
        }
    }
}

fn backend_tls(
    s: &crate::model::routes::ServiceRef,
    tls: &api::BackendTls,
    at: &str,
    namespace: Option<&crate::model::NamespaceModel>,
    mesh_strict: bool,
    f: &mut Findings,
) {
    match (tls.mode, namespace) {
        (BackendTlsMode::Disable | BackendTlsMode::Simple | BackendTlsMode::Mutual, Some(ns))
            if ns.mtls == MtlsMode::Strict && ns.injection =>
        {
            f.error(
                format!("{at}.mode"),
                text(tls.mode.as_str()),
                format!(
                    "namespace {:?} has STRICT mTLS: its sidecars accept only Istio mutual TLS, so {} toward Service {} fails; use ISTIO_MUTUAL (the default), or set the namespace's mtls to PERMISSIVE",
                    ns.name,
                    tls.mode.as_str(),
                    s.name
                ),
            );
        }
        (BackendTlsMode::IstioMutual, Some(ns)) if !ns.injection => {
            f.error(
                format!("{at}.mode"),
                text(tls.mode.as_str()),
                format!(
                    "namespace {:?} has no sidecars (injection: false), so ISTIO_MUTUAL toward Service {} fails; use DISABLE, or SIMPLE if the Service terminates TLS itself",
                    ns.name, s.name
                ),
            );
        }
        (BackendTlsMode::Disable | BackendTlsMode::Simple | BackendTlsMode::Mutual, None) if mesh_strict => {
            f.warning(
                format!("{at}.mode"),
                text(tls.mode.as_str()),
                format!(
                    "mTLS is STRICT mesh-wide (spec.mtls.meshWide): unless namespace {:?} has no sidecars or its own PERMISSIVE policy, they refuse {} from the gateway",
                    s.namespace,
                    tls.mode.as_str()
                ),
            );
        }
        _ => {}
    }
    match tls.mode {
        BackendTlsMode::Mutual if tls.credential_name.is_none() => {
            f.error(
                format!("{at}.credentialName"),
                None,
                "MUTUAL needs credentialName: a Secret with the client certificate (tls.crt, tls.key) and the CA (ca.crt)",
            );
        }
        BackendTlsMode::IstioMutual | BackendTlsMode::Disable => {
            for (field, set) in [
                ("credentialName", tls.credential_name.is_some()),
                ("sni", tls.sni.is_some()),
                ("subjectAltNames", !tls.subject_alt_names.is_empty()),
            ] {
                if set {
                    f.warning(
                        format!("{at}.{field}"),
                        None,
                        format!("{field} has no effect with mode {}", tls.mode.as_str()),
                    );
                }
            }
        }
        _ => {}
    }
    if let Some(name) = &tls.credential_name {
        f.name(&format!("{at}.credentialName"), "secret name", name, names::object_name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(uri: Option<StringMatch>, headers: &[(&str, ValueMatch)]) -> HttpMatchModel {
        HttpMatchModel {
            path: String::new(),
            uri,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            query_params: Vec::new(),
            method: None,
            port: None,
            authority: None,
        }
    }

    #[test]
    fn broader_matches_cover_narrower_ones() {
        let prefix = |p: &str| Some(StringMatch::Prefix(p.to_string()));
        assert!(covers(&m(prefix("/api"), &[]), &m(prefix("/api/v1"), &[])));
        assert!(covers(
            &m(prefix("/api"), &[]),
            &m(prefix("/api"), &[("x-canary", ValueMatch::Exact("1".into()))])
        ));
        assert!(!covers(&m(prefix("/api"), &[("x-canary", ValueMatch::Present)]), &m(prefix("/api"), &[])));
        assert!(covers(&m(None, &[]), &m(Some(StringMatch::Regex(".*".into())), &[])));
        assert!(!covers(&m(prefix("/api/v1"), &[]), &m(prefix("/api"), &[])));
        assert!(covers(
            &m(None, &[("x", ValueMatch::Present)]),
            &m(None, &[("x", ValueMatch::Prefix("a".into()))])
        ));
        assert!(!covers(&m(None, &[("x", ValueMatch::Present)]), &m(None, &[("x", ValueMatch::Absent)])));
    }

    #[test]
    fn header_values_follow_envoy_syntax() {
        assert!(header_value("plain").is_ok());
        assert!(header_value("%HOSTNAME%").is_ok());
        assert!(header_value("100%%").is_ok());
        assert!(header_value("50%").is_err());
        assert!(header_value("a\nb").is_err());
    }
}
