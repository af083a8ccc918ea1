//! Edge access rules: JWT providers, gateway and route access rules, and what breaks them in a
//! cluster (a load balancer that hides the client's address, `ipBlocks` that see the load balancer,
//! CUSTOM providers istiod must define).

use super::names;
use super::{Findings, text};
use crate::api::decode::suggest;
use crate::api::v1alpha1::*;
use crate::model::access::{RuleModel, TargetModel, server_host};
use crate::model::{Model, WorkloadModel, istio_host_matches, server_host_name};
use crate::render::authorization_policy::{MAX_RULES, allow_rule_count};
use crate::render::gateway_topology::AWS_PROXY_PROTOCOL_ANNOTATION;
use crate::render::request_authentication::request_authentication_name;
use crate::render::routes::MESH;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Run the access rules.
pub fn check(model: &Model, f: &mut Findings) {
    providers(model, f);
    for (gi, gateway) in model.gateways.iter().enumerate() {
        rule_list(model, &gateway.spec.access, &format!("{}.access", gateway.path), Context::Gateway(gi), f);
        topology(model, gi, f);
    }
    for (ri, route) in model.routes.iter().enumerate() {
        let Some(spec) = model.spec.routes.get(ri) else { continue };
        if spec.access.is_empty() {
            continue;
        }
        let at_gateway = route.gateways.iter().any(|(g, _)| g != MESH);
        if !at_gateway {
            f.warning(
                format!("{}.access", route.path),
                None,
                "access rules are enforced by gateways, and this route binds only `mesh`: they have no effect",
            );
        }
        rule_list(model, &spec.access, &format!("{}.access", route.path), Context::Route(ri), f);
    }
    for target in &model.access.targets {
        for rule in &target.rules {
            placed_rule(model, target, rule, f);
        }
    }
    client_address(model, f);
    custom_providers(model, f);
    object_names(model, f);
}

/// Where a rule list is written.
#[derive(Clone, Copy)]
enum Context {
    /// `spec.gateways[i].access`.
    Gateway(usize),
    /// `spec.routes[i].access`.
    Route(usize),
}

// ---------------------------------------------------------------------------------------------
// JWT providers

fn providers(model: &Model, f: &mut Findings) {
    let providers = &model.access.providers;
    let gateway_names: Vec<&str> = model.gateways.iter().map(|g| g.name.as_str()).collect();
    for (pi, provider) in providers.iter().enumerate() {
        let p = &provider.spec;
        let path = &provider.path;
        f.name(&format!("{path}.name"), "JWT provider name", &p.name, names::dns1123_label);
        if let Some(first) = providers[..pi].iter().find(|o| o.spec.name == p.name) {
            f.error(
                format!("{path}.name"),
                text(&p.name),
                format!("JWT provider {:?} is already defined by {}", p.name, first.path),
            );
        }
        if p.issuer.trim().is_empty() {
            f.error(
                format!("{path}.issuer"),
                text(&p.issuer),
                "the issuer is empty: set the tokens' `iss` claim",
            );
        } else if p.issuer.chars().any(char::is_whitespace) {
            f.error(format!("{path}.issuer"), text(&p.issuer), "the issuer contains whitespace");
        } else if p.issuer.contains("://")
            && let Err(reason) = http_url(&p.issuer)
        {
            f.error(
                format!("{path}.issuer"),
                text(&p.issuer),
                format!("issuer {:?} is not a valid URL: {reason}", p.issuer),
            );
        }
        if let Some(first) =
            providers[..pi].iter().find(|o| !p.issuer.is_empty() && o.spec.issuer == p.issuer)
        {
            f.error(
                format!("{path}.issuer"),
                text(&p.issuer),
                format!(
                    "issuer {:?} is already used by {}; access rules tell providers apart by issuer, so declare each issuer once",
                    p.issuer, first.path
                ),
            );
        }
        match (&p.jwks_uri, &p.jwks) {
            (Some(_), Some(_)) => {
                f.error(format!("{path}.jwks"), None, "set either jwksUri or jwks, not both");
            }
            (Some(uri), None) => {
                if let Err(reason) = http_url(uri) {
                    f.error(
                        format!("{path}.jwksUri"),
                        text(uri),
                        format!("jwksUri {uri:?} is not valid: {reason}"),
                    );
                } else if uri.len() > 2048 {
                    f.error(format!("{path}.jwksUri"), text(uri), "jwksUri is longer than 2048 characters");
                } else if uri.starts_with("http://") {
                    f.warning(
                        format!("{path}.jwksUri"),
                        text(uri),
                        "the keys are fetched over plain HTTP, where they can be replaced in transit; use https://",
                    );
                }
            }
            (None, Some(jwks)) => {
                if let Err(reason) = jwks_document(jwks) {
                    f.error(format!("{path}.jwks"), None, format!("jwks is not a JWKS document: {reason}"));
                }
            }
            (None, None) => {
                if !p.issuer.starts_with("https://") && !p.issuer.is_empty() {
                    f.error(
                        format!("{path}.jwksUri"),
                        None,
                        format!(
                            "set jwksUri or jwks: keys are discovered from <issuer>/.well-known/openid-configuration only for an https:// issuer, and {:?} is not one",
                            p.issuer
                        ),
                    );
                }
            }
        }
        for (i, audience) in p.audiences.iter().enumerate() {
            if audience.trim().is_empty() {
                f.error(format!("{path}.audiences[{i}]"), text(audience), "an audience is empty");
            }
        }
        for (i, header) in p.from_headers.iter().enumerate() {
            if let Err(reason) = header_name(&header.name) {
                f.error(
                    format!("{path}.fromHeaders[{i}].name"),
                    text(&header.name),
                    format!("header name {:?} is not valid: {reason}", header.name),
                );
            }
        }
        for (field, list) in [("fromParams", &p.from_params), ("fromCookies", &p.from_cookies)] {
            for (i, name) in list.iter().enumerate() {
                if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
                    f.error(format!("{path}.{field}[{i}]"), text(name), "expected a name without whitespace");
                }
            }
        }
        for (i, output) in p.output_claim_to_headers.iter().enumerate() {
            if let Err(reason) = output_header(&output.header) {
                f.error(
                    format!("{path}.outputClaimToHeaders[{i}].header"),
                    text(&output.header),
                    format!("header {:?} is not valid: {reason}", output.header),
                );
            }
            if output.claim.trim().is_empty() {
                f.error(
                    format!("{path}.outputClaimToHeaders[{i}].claim"),
                    text(&output.claim),
                    "the claim is empty",
                );
            }
        }
        if let Some(header) = &p.output_payload_to_header
            && let Err(reason) = output_header(header)
        {
            f.error(
                format!("{path}.outputPayloadToHeader"),
                text(header),
                format!("header {header:?} is not valid: {reason}"),
            );
        }
        for (i, gateway) in p.gateways.iter().enumerate() {
            if !gateway_names.contains(&gateway.as_str()) {
                reference_not_found(
                    f,
                    &format!("{path}.gateways[{i}]"),
                    "gateway",
                    gateway,
                    "spec.gateways",
                    &gateway_names,
                );
            }
        }
        let used = model.access.targets.iter().any(|t| t.providers.contains(&pi));
        if !used && !p.name.is_empty() {
            f.warning(
                format!("{path}.name"),
                text(&p.name),
                format!(
                    "JWT provider {:?} is named by no access rule and attached to no gateway, so no gateway validates its tokens; list gateways in `gateways` or require it in an access rule",
                    p.name
                ),
            );
        }
    }
}

/// An IST0101 "not found" error with a suggestion.
fn reference_not_found(f: &mut Findings, at: &str, what: &str, name: &str, list: &str, known: &[&str]) {
    let mut message = format!("Referenced {what} not found: {name:?} is not in {list}");
    if let Some(s) = suggest(name, known) {
        message.push_str(&format!("; did you mean {s:?}?"));
    }
    f.error(at, text(name), message).set_code("IST0101");
}

// ---------------------------------------------------------------------------------------------
// Access rules as written

fn rule_list(model: &Model, rules: &[AccessRule], path: &str, context: Context, f: &mut Findings) {
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if let Some(name) = &rule.name {
            f.name(&format!("{at}.name"), "access rule name", name, names::dns1123_label);
            if rules[..i].iter().any(|r| r.name.as_ref() == Some(name)) {
                f.error(
                    format!("{at}.name"),
                    text(name),
                    format!("access rule name {name:?} is used twice in this list"),
                );
            }
        }
        action(rule, &at, context, f);
        scope(model, rule, &at, context, f);
        for (j, entry) in rule.from.iter().enumerate() {
            source(model, entry, &format!("{at}.from[{j}]"), f);
        }
    }
}

fn action(rule: &AccessRule, at: &str, context: Context, f: &mut Findings) {
    match rule.action {
        AccessAction::Custom => {
            if rule.provider.as_deref().is_none_or(|p| p.trim().is_empty()) {
                f.error(
                    format!("{at}.provider"),
                    rule.provider.as_deref().and_then(text),
                    "a CUSTOM rule needs `provider`: the name of an extension provider in istiod's meshConfig.extensionProviders",
                );
            }
            if !rule.from.is_empty() {
                f.error(
                    format!("{at}.from"),
                    None,
                    "a CUSTOM rule sends every request in its scope to the provider, which decides; `from` does not apply. Narrow the scope with `to`",
                );
            }
        }
        AccessAction::Allow | AccessAction::Deny => {
            if let Some(provider) = &rule.provider {
                f.error(
                    format!("{at}.provider"),
                    text(provider),
                    format!(
                        "`provider` applies only to action: CUSTOM, and this rule's action is {}",
                        rule.action.as_str()
                    ),
                );
            }
        }
    }
    if rule.action == AccessAction::Allow {
        if rule.from.is_empty() {
            f.error(
                format!("{at}.from"),
                None,
                "an ALLOW rule names who may pass in `from` (remoteIpBlocks, ipBlocks or jwt); to block requests, use action: DENY",
            );
        }
        for (j, entry) in rule.from.iter().enumerate() {
            if entry.remote_ip_blocks.is_empty() && entry.ip_blocks.is_empty() && entry.jwt.is_none() {
                f.error(
                    format!("{at}.from[{j}]"),
                    None,
                    "this entry sets no condition, so it matches every request and the rule lets everything through; set remoteIpBlocks, ipBlocks or jwt",
                );
            }
        }
        let counts: Vec<usize> = rule.from.iter().map(condition_count).collect();
        let total = allow_rule_count(&counts);
        if total > MAX_RULES {
            f.error(
                format!("{at}.from"),
                None,
                format!(
                    "this ALLOW rule needs {total} Istio rules (one per choice of a failed condition from each `from` entry), over Istio's limit of {MAX_RULES}; use fewer entries or fewer conditions per entry"
                ),
            );
        }
    }
    let to = &rule.to;
    let unscoped = to.hosts.is_empty()
        && to.paths.is_empty()
        && to.not_paths.is_empty()
        && to.methods.is_empty()
        && to.ports.is_empty();
    if rule.action == AccessAction::Deny
        && rule.from.is_empty()
        && unscoped
        && matches!(context, Context::Gateway(_))
    {
        f.warning(
            format!("{at}.to"),
            None,
            "this DENY rule has neither `to` nor `from`: it denies every request on the gateway",
        );
    }
}

/// The number of conditions of a `from` entry (each may fail on its own).
fn condition_count(entry: &AccessSource) -> usize {
    usize::from(!entry.remote_ip_blocks.is_empty())
        + usize::from(!entry.ip_blocks.is_empty())
        + entry.jwt.as_ref().map_or(0, |j| 1 + j.claims.len())
}

fn scope(model: &Model, rule: &AccessRule, at: &str, context: Context, f: &mut Findings) {
    let to = &rule.to;
    // Hosts the rule may name, and the ports of the gateways it applies through.
    let (allowed_hosts, where_, ports): (Vec<String>, String, Vec<u32>) = match context {
        Context::Gateway(gi) => {
            let gateway = &model.gateways[gi];
            (
                gateway.hosts().iter().map(|h| server_host(h).to_string()).collect(),
                format!("gateway {:?}", gateway.name),
                gateway.servers.iter().map(|s| s.port).collect(),
            )
        }
        Context::Route(ri) => {
            let route = &model.routes[ri];
            let ports = route
                .gateways
                .iter()
                .filter_map(|(g, _)| model.gateways.iter().find(|m| &m.name == g))
                .flat_map(|g| g.servers.iter().map(|s| s.port))
                .collect();
            (route.hosts.clone(), format!("route {}/{}", route.namespace, route.name), ports)
        }
    };
    for (i, host) in to.hosts.iter().enumerate() {
        let at_host = format!("{at}.to.hosts[{i}]");
        if let Err(reason) = names::host(host, true) {
            f.error(&at_host, text(host), format!("host {host:?} is not valid: {reason}"));
        } else if !allowed_hosts.iter().any(|pattern| istio_host_matches(server_host_name(pattern), host)) {
            f.error(
                &at_host,
                text(host),
                format!(
                    "host {host:?} is not served by {where_} (hosts: {}), so the rule would never apply to it",
                    allowed_hosts.join(", ")
                ),
            );
        }
    }
    for (field, list) in [("paths", &to.paths), ("notPaths", &to.not_paths)] {
        for (i, pattern) in list.iter().enumerate() {
            let at_path = format!("{at}.to.{field}[{i}]");
            if let Err(reason) = path_pattern(pattern) {
                let mut result = format!("path {pattern:?} is not valid: {reason}");
                if !pattern.starts_with('/') && !pattern.starts_with('*') && !pattern.is_empty() {
                    result.push_str(&format!("; did you mean \"/{pattern}\"?"));
                }
                f.error(&at_path, text(pattern), result);
            }
        }
    }
    for (i, pattern) in to.paths.iter().enumerate() {
        let exact =
            !pattern.contains('*') && !pattern.contains('{') && pattern.len() > 1 && !pattern.ends_with('/');
        if exact && !to.paths.iter().any(|p| p.starts_with(&format!("{pattern}/"))) {
            f.info(
                format!("{at}.to.paths[{i}]"),
                text(pattern),
                format!(
                    "{pattern:?} matches only that exact path, not {pattern}/...; add \"{pattern}/*\" if the rule should cover what is below it"
                ),
            );
        }
    }
    for (i, method) in to.methods.iter().enumerate() {
        let at_method = format!("{at}.to.methods[{i}]");
        if method.is_empty() || !method.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            f.error(&at_method, text(method), format!("{method:?} is not an HTTP method"));
        } else if method.chars().any(|c| c.is_ascii_lowercase()) {
            f.error(
                &at_method,
                text(method),
                format!(
                    "HTTP methods are case-sensitive and {method:?} would never match; did you mean {:?}?",
                    method.to_ascii_uppercase()
                ),
            );
        }
    }
    for (i, port) in to.ports.iter().enumerate() {
        if !ports.contains(port) {
            let mut known: Vec<u32> = ports.clone();
            known.sort_unstable();
            known.dedup();
            f.error(
                format!("{at}.to.ports[{i}]"),
                Some(json!(port)),
                format!(
                    "port {port} is not a server port of {where_} (ports: {}), so the rule would never apply to it",
                    known.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
}

fn source(model: &Model, entry: &AccessSource, at: &str, f: &mut Findings) {
    for (field, list) in [("remoteIpBlocks", &entry.remote_ip_blocks), ("ipBlocks", &entry.ip_blocks)] {
        for (i, block) in list.iter().enumerate() {
            let at_block = format!("{at}.{field}[{i}]");
            match cidr(block) {
                Err(reason) => {
                    f.error(
                        &at_block,
                        text(block),
                        format!("{block:?} is not an IP address or CIDR block: {reason}"),
                    );
                }
                Ok(Some(network)) => {
                    let result = f.warning(
                        &at_block,
                        text(block),
                        format!("{block:?} has host bits set, so it means {network:?}; write {network:?} if that is intended"),
                    );
                    if let Some(field) = result.field.as_mut() {
                        field.proposed_value = Some(Value::String(network));
                    }
                }
                Ok(None) => {}
            }
        }
    }
    let Some(jwt) = &entry.jwt else { return };
    let known: Vec<&str> = model.access.providers.iter().map(|p| p.spec.name.as_str()).collect();
    for (i, provider) in jwt.providers.iter().enumerate() {
        if !known.contains(&provider.as_str()) {
            reference_not_found(
                f,
                &format!("{at}.jwt.providers[{i}]"),
                "JWT provider",
                provider,
                "spec.jwtProviders",
                &known,
            );
        }
    }
    if !jwt.subjects.is_empty() && jwt.providers.is_empty() {
        f.error(
            format!("{at}.jwt.subjects"),
            None,
            "subjects need `providers`: a subject is only meaningful with its issuer (the request principal is <issuer>/<subject>)",
        );
    }
    for (i, subject) in jwt.subjects.iter().enumerate() {
        if subject.is_empty() || subject.contains('/') {
            f.error(
                format!("{at}.jwt.subjects[{i}]"),
                text(subject),
                "a subject is the exact `sub` claim, non-empty and without '/' (Istio splits request principals at the last '/')",
            );
        }
    }
    for (i, claim) in jwt.claims.iter().enumerate() {
        let at_claim = format!("{at}.jwt.claims[{i}]");
        if claim.claim.is_empty()
            || claim.claim.iter().any(|c| c.is_empty() || c.contains('[') || c.contains(']'))
        {
            f.error(
                format!("{at_claim}.claim"),
                Some(json!(claim.claim)),
                "expected the claim's path: one or more non-empty names without '[' or ']', such as [groups] or [realm_access, roles]",
            );
        }
        if claim.values.is_empty() || claim.values.iter().any(String::is_empty) {
            f.error(format!("{at_claim}.values"), None, "list the accepted values (none may be empty)");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rules where they are enforced

/// Whether Istio can only evaluate the rule on HTTP requests.
fn http_dependent(rule: &RuleModel) -> bool {
    !rule.hosts.is_empty()
        || !rule.spec.to.paths.is_empty()
        || !rule.spec.to.methods.is_empty()
        || rule.spec.from.iter().any(|e| e.jwt.is_some())
        || rule.spec.action == AccessAction::Custom
}

fn placed_rule(model: &Model, target: &TargetModel, rule: &RuleModel, f: &mut Findings) {
    let gateway = &model.gateways[rule.gateway];
    if http_dependent(rule) {
        if target.http_ports.is_empty() {
            f.error(
                &rule.path,
                None,
                format!(
                    "gateway {:?} serves no HTTP or HTTPS, so host, path, method, JWT and CUSTOM conditions never apply; limit the rule to client addresses",
                    gateway.name
                ),
            );
        }
        for (i, port) in rule.spec.to.ports.iter().enumerate() {
            if target.tcp_ports.contains(port) {
                f.error(
                    format!("{}.to.ports[{i}]", rule.path),
                    Some(json!(port)),
                    format!("port {port} serves TLS, where hosts, paths, methods and JWTs cannot be checked; use an HTTP or HTTPS port"),
                );
            }
        }
    }
    let uses_jwt = rule.spec.from.iter().filter_map(|e| e.jwt.as_ref()).any(|j| j.providers.is_empty());
    if uses_jwt && target.providers.is_empty() {
        f.error(
            format!("{}.from", rule.path),
            None,
            format!(
                "the rule accepts a token from any JWT provider, but no provider validates tokens on gateway {:?}; name one in jwt.providers or list the gateway in spec.jwtProviders[].gateways",
                gateway.name
            ),
        );
    }
    // A route rule without paths covers every request for its hosts, including other routes'.
    if let Some(ri) = rule.route
        && rule.spec.to.paths.is_empty()
        && !rule.hosts.is_empty()
    {
        let this = &model.routes[ri];
        let gateway_name = &gateway.name;
        // Istio sends a request to the most specific host, so only hosts the rule's hosts cover
        // (the same host, or one under a wildcard of the rule) reach the other route.
        let other = model.routes.iter().enumerate().find(|(oi, other)| {
            *oi != ri
                && other.gateways.iter().any(|(g, _)| g == gateway_name)
                && other.hosts.iter().any(|h| rule.hosts.iter().any(|r| istio_host_matches(r, h)))
        });
        if let Some((_, other)) = other {
            f.warning(
                &rule.path,
                None,
                format!(
                    "this rule of route {}/{} applies to every request for its hosts on gateway {gateway_name:?}, including those route {}/{} serves; add to.paths to narrow it",
                    this.namespace, this.name, other.namespace, other.name
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client addresses behind load balancers

/// Whether the gateway sees the client's address, and if not, what fixes it.
enum Visibility {
    /// The client's address reaches the gateway.
    Client,
    /// The address is hidden: what hides it and the fix.
    Hidden(String),
}

fn annotation<'a>(workload: &'a WorkloadModel, suffix: &str) -> Option<&'a str> {
    workload
        .gateway
        .service
        .annotations
        .get(&format!("service.beta.kubernetes.io/aws-load-balancer-{suffix}"))
        .map(String::as_str)
}

fn preserves_client_ip(workload: &WorkloadModel) -> bool {
    annotation(workload, "target-group-attributes")
        .is_some_and(|a| a.replace(' ', "").contains("preserve_client_ip.enabled=true"))
}

fn local_policy(workload: &WorkloadModel) -> bool {
    workload.gateway.service.external_traffic_policy == Some(ExternalTrafficPolicy::Local)
}

/// What the gateway sees as the address of the client of a request (`remoteIpBlocks`).
fn remote_address(workload: &WorkloadModel) -> Visibility {
    let gateway = &workload.gateway;
    let topology = gateway.gateway_topology.clone().unwrap_or_default();
    if topology.num_trusted_proxies.unwrap_or(0) > 0 || topology.proxy_protocol {
        return Visibility::Client;
    }
    let lb = &gateway.load_balancer;
    match (lb.provider, workload.service_type) {
        (Provider::AwsAlb, _) => Visibility::Hidden(
            "the AWS ALB in front of it opens its own connections and passes the client in X-Forwarded-For, which the gateway does not trust yet: set gatewayTopology.numTrustedProxies: 1".to_string(),
        ),
        (_, ServiceType::ClusterIP) => Visibility::Client,
        (Provider::AwsNlb, _) if lb.target_type == TargetType::Ip => {
            if preserves_client_ip(workload) {
                Visibility::Client
            } else {
                Visibility::Hidden(
                    "an NLB with ip targets connects from its own address: set gatewayTopology.proxyProtocol: true (the NLB then sends the PROXY protocol), or turn on client IP preservation (service annotation service.beta.kubernetes.io/aws-load-balancer-target-group-attributes: preserve_client_ip.enabled=true)".to_string(),
                )
            }
        }
        _ if local_policy(workload) => Visibility::Client,
        (Provider::AwsNlb, _) => Visibility::Hidden(
            "with instance targets, nodes forward NLB traffic from their own address (externalTrafficPolicy: Cluster): set service.externalTrafficPolicy: Local, or gatewayTopology.proxyProtocol: true".to_string(),
        ),
        _ => Visibility::Hidden(format!(
            "kube-proxy replaces the client's address with a node's on a {} Service with externalTrafficPolicy: Cluster: set service.externalTrafficPolicy: Local (or gatewayTopology.proxyProtocol: true if your load balancer sends the PROXY protocol)",
            workload.service_type.as_str()
        )),
    }
}

/// What the direct peer of the gateway's connections is (`ipBlocks`), when it is not the client.
fn direct_peer(workload: &WorkloadModel) -> Option<&'static str> {
    let lb = &workload.gateway.load_balancer;
    match (lb.provider, workload.service_type) {
        (Provider::AwsAlb, _) => Some("the AWS ALB"),
        (_, ServiceType::ClusterIP) => None,
        (Provider::AwsNlb, _) if lb.target_type == TargetType::Ip => {
            (!preserves_client_ip(workload)).then_some("the NLB")
        }
        _ if local_policy(workload) => None,
        _ => Some("a node (kube-proxy forwards with the node's address)"),
    }
}

fn client_address(model: &Model, f: &mut Findings) {
    // First use per gateway of each field.
    let mut remote: BTreeMap<usize, String> = BTreeMap::new();
    let mut peer: BTreeMap<usize, String> = BTreeMap::new();
    for target in &model.access.targets {
        for rule in &target.rules {
            for (j, entry) in rule.spec.from.iter().enumerate() {
                if !entry.remote_ip_blocks.is_empty() {
                    remote
                        .entry(rule.gateway)
                        .or_insert_with(|| format!("{}.from[{j}].remoteIpBlocks", rule.path));
                }
                if !entry.ip_blocks.is_empty() {
                    peer.entry(rule.gateway).or_insert_with(|| format!("{}.from[{j}].ipBlocks", rule.path));
                }
            }
        }
    }
    let workload_of = |gi: usize| model.workloads.iter().find(|w| w.gateways.contains(&gi));
    for (gi, at) in remote {
        let Some(workload) = workload_of(gi) else { continue };
        if let Visibility::Hidden(fix) = remote_address(workload) {
            f.warning(
                at,
                None,
                format!(
                    "remoteIpBlocks needs the client's address, which gateway {:?} does not see: {fix}. Until then every request seems to come from the load balancer or a node",
                    model.gateways[gi].name
                ),
            );
        }
    }
    for (gi, at) in peer {
        let Some(workload) = workload_of(gi) else { continue };
        if let Some(peer) = direct_peer(workload) {
            let mut message = format!(
                "ipBlocks match the direct peer of gateway {:?}'s connections, which is {peer}, not the client; you probably want remoteIpBlocks",
                model.gateways[gi].name
            );
            if let Visibility::Hidden(fix) = remote_address(workload) {
                message.push_str(&format!(" (and for that: {fix})"));
            }
            f.warning(at, None, message);
        }
    }
}

fn topology(model: &Model, gi: usize, f: &mut Findings) {
    let gateway = &model.gateways[gi];
    let path = format!("{}.gatewayTopology", gateway.path);
    let spec = &gateway.spec;
    let proxy_protocol = spec.gateway_topology.as_ref().is_some_and(|t| t.proxy_protocol);
    let provider = spec.load_balancer.provider;
    let user_proxy_protocol = spec.service.annotations.contains_key(AWS_PROXY_PROTOCOL_ANNOTATION);
    if user_proxy_protocol && provider == Provider::AwsNlb && !proxy_protocol {
        f.warning(
            format!("{}.service.annotations", gateway.path),
            None,
            format!(
                "{AWS_PROXY_PROTOCOL_ANNOTATION} makes the NLB send the PROXY protocol, which the gateway does not expect: every connection fails. Set gatewayTopology.proxyProtocol: true instead (it sets both ends)"
            ),
        );
    }
    let Some(topology) = &spec.gateway_topology else { return };
    if proxy_protocol {
        match provider {
            Provider::AwsAlb => {
                f.error(
                    format!("{path}.proxyProtocol"),
                    Some(json!(true)),
                    "an AWS ALB forwards HTTP and never sends the PROXY protocol, so the gateway would reject every request; use gatewayTopology.numTrustedProxies: 1 instead",
                );
            }
            Provider::Gcp | Provider::Azure => {
                f.warning(
                    format!("{path}.proxyProtocol"),
                    Some(json!(true)),
                    format!(
                        "the {} load balancer this preset creates does not send the PROXY protocol, so the gateway would reject every connection; prefer service.externalTrafficPolicy: Local to keep the client's address",
                        provider.as_str()
                    ),
                );
            }
            Provider::AwsNlb | Provider::None => {}
        }
    }
    if let Some(n) = topology.num_trusted_proxies.filter(|n| *n > 0) {
        let l4 = matches!(provider, Provider::AwsNlb | Provider::Gcp | Provider::Azure);
        if l4 {
            f.warning(
                format!("{path}.numTrustedProxies"),
                Some(json!(n)),
                format!(
                    "the {} load balancer does not add X-Forwarded-For, so clients write the entries the gateway trusts and choose their own remoteIp; set numTrustedProxies only for HTTP proxies in front (an ALB, a CDN), or use proxyProtocol",
                    provider.as_str()
                ),
            );
        } else if provider == Provider::AwsAlb && n > 1 {
            f.warning(
                format!("{path}.numTrustedProxies"),
                Some(json!(n)),
                "the ALB appends one X-Forwarded-For entry; trusting more lets clients choose their own remoteIp unless another proxy (a CDN) always sits in front",
            );
        }
    }
    let shared =
        model.workloads.iter().find(|w| w.gateways.contains(&gi)).filter(|w| w.gateways.first() != Some(&gi));
    if let Some(workload) = shared
        && let Some(owner) = workload.gateways.first().map(|&g| &model.gateways[g])
    {
        f.warning(
            path,
            None,
            format!(
                "gateway {:?} shares workload {:?} with {}, whose settings the workload uses; set gatewayTopology there",
                gateway.name, workload.name, owner.path
            ),
        );
    }
}

fn custom_providers(model: &Model, f: &mut Findings) {
    // A rendered control plane defines the providers, and validate::control_plane checks them.
    if model.control_plane.as_ref().is_some_and(|cp| cp.traits.istiod) {
        return;
    }
    let mut first: Option<String> = None;
    let mut names: Vec<String> = Vec::new();
    for target in &model.access.targets {
        for rule in &target.rules {
            if rule.spec.action != AccessAction::Custom {
                continue;
            }
            let Some(provider) = rule.spec.provider.as_ref().filter(|p| !p.trim().is_empty()) else {
                continue;
            };
            first.get_or_insert_with(|| format!("{}.provider", rule.path));
            if !names.contains(provider) {
                names.push(provider.clone());
            }
        }
    }
    let Some(at) = first else { return };
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    f.info(
        at,
        None,
        format!(
            "CUSTOM rules use the extension provider(s) {}, which istiod's meshConfig.extensionProviders must define (envoyExtAuthzHttp or envoyExtAuthzGrpc); this function cannot see meshConfig. While a policy names a provider istiod does not know, Istio denies every request on that gateway",
            quoted.join(", ")
        ),
    );
}

fn object_names(model: &Model, f: &mut Findings) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for target in &model.access.targets {
        if !target.providers.is_empty() {
            let name = request_authentication_name(target);
            let at = model
                .gateways
                .get(target.gateways.first().copied().unwrap_or_default())
                .map(|g| format!("{}.name", g.path));
            if let Some(at) = at {
                f.name(&at, "derived RequestAuthentication name", &name, names::object_name);
            }
        }
        for rule in &target.rules {
            let at = if rule.spec.name.is_some() { format!("{}.name", rule.path) } else { rule.path.clone() };
            f.name(&at, "derived AuthorizationPolicy name", &rule.policy, names::object_name);
            if let Some(first) = seen.get(&rule.policy) {
                f.error(
                    &at,
                    text(&rule.policy),
                    format!(
                        "the AuthorizationPolicy name {:?} is already derived from {first}; give one of the rules another name",
                        rule.policy
                    ),
                );
            } else {
                seen.insert(rule.policy.clone(), rule.path.clone());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax

/// An `http://` or `https://` URL with a host.
pub fn http_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "expected an http:// or https:// URL".to_string())?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace".to_string());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err("it has no host".to_string());
    }
    Ok(())
}

/// A JWKS document: a JSON object whose `keys` is a non-empty array of keys with a `kty`.
pub fn jwks_document(jwks: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(jwks).map_err(|e| format!("not JSON ({e})"))?;
    let keys =
        value.get("keys").and_then(Value::as_array).ok_or("expected an object with a \"keys\" array")?;
    if keys.is_empty() {
        return Err("\"keys\" is empty".to_string());
    }
    if let Some(i) = keys.iter().position(|k| k.get("kty").and_then(Value::as_str).is_none()) {
        return Err(format!("key {i} has no \"kty\""));
    }
    Ok(())
}

/// An HTTP header name (an RFC 9110 token, no pseudo-headers).
pub fn header_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_string());
    }
    if name.starts_with(':') {
        return Err("pseudo-headers cannot carry a token".to_string());
    }
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !name.chars().all(token) {
        return Err("only letters, digits and !#$%&'*+-.^_`|~ are allowed".to_string());
    }
    Ok(())
}

/// A header RequestAuthentication may write (`^[-_A-Za-z0-9]+$`).
fn output_header(name: &str) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err("only letters, digits, '-' and '_' are allowed".to_string());
    }
    Ok(())
}

/// An IP address or CIDR block (IPv4 or IPv6). `Ok(Some(network))` when the block has host bits set
/// (Envoy masks them, so `10.1.2.3/8` means `10.0.0.0/8`).
pub fn cidr(block: &str) -> Result<Option<String>, String> {
    let (address, prefix) = match block.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (block, None),
    };
    let address: IpAddr =
        address.parse().map_err(|_| format!("{address:?} is not an IPv4 or IPv6 address"))?;
    let Some(prefix) = prefix else { return Ok(None) };
    let bits: u32 = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= bits)
        .ok_or_else(|| format!("the prefix length must be a number from 0 to {bits}"))?;
    let network = match address {
        IpAddr::V4(v4) => {
            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
            IpAddr::from(std::net::Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
            IpAddr::from(std::net::Ipv6Addr::from(u128::from(v6) & mask))
        }
    };
    Ok((network != address).then(|| format!("{network}/{prefix}")))
}

/// A path pattern as Istio's authorization accepts it: exact, `prefix*`, `*suffix`, `*`, or a
/// template with `{*}` (one segment) and `{**}` (the rest, last).
pub fn path_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("it is empty".to_string());
    }
    if pattern.contains('?') {
        return Err("paths never include the query string".to_string());
    }
    if pattern.contains('{') || pattern.contains('}') {
        if !pattern.starts_with('/') {
            return Err("a path template starts with '/'".to_string());
        }
        let segments: Vec<&str> = pattern.split('/').skip(1).collect();
        for (i, segment) in segments.iter().enumerate() {
            match *segment {
                "{*}" => {}
                "{**}" if i + 1 == segments.len() => {}
                "{**}" => return Err("{**} must be the last segment".to_string()),
                s if s.contains(['{', '}', '*']) => {
                    return Err(format!("segment {s:?}: a template segment is exactly {{*}} or {{**}}"));
                }
                _ => {}
            }
        }
        return Ok(());
    }
    if pattern == "*" {
        return Ok(());
    }
    let stars = pattern.matches('*').count();
    let inner = pattern.trim_start_matches('*').trim_end_matches('*');
    if stars > 1 || inner.contains('*') {
        return Err(
            "'*' is allowed once, at the start or the end (or use {*} and {**} templates)".to_string()
        );
    }
    if !pattern.starts_with('/') && !pattern.starts_with('*') {
        return Err("paths start with '/'".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_in_both_families() {
        assert_eq!(cidr("203.0.113.7"), Ok(None));
        assert_eq!(cidr("203.0.113.0/24"), Ok(None));
        assert_eq!(cidr("2001:db8::/32"), Ok(None));
        assert_eq!(cidr("0.0.0.0/0"), Ok(None));
        assert_eq!(cidr("10.1.2.3/8"), Ok(Some("10.0.0.0/8".to_string())));
        assert_eq!(cidr("2001:db8::1/32"), Ok(Some("2001:db8::/32".to_string())));
        assert!(cidr("10.0.0.0/33").is_err());
        assert!(cidr("2001:db8::/129").is_err());
        assert!(cidr("10.0.0/8").is_err());
        assert!(cidr("example.com").is_err());
        assert!(cidr("10.0.0.0/x").is_err());
    }

    #[test]
    fn path_patterns() {
        for ok in ["/admin", "/admin/*", "*.php", "*", "/users/{*}/profile", "/static/{**}"] {
            assert!(path_pattern(ok).is_ok(), "{ok}");
        }
        for bad in ["", "admin", "/a/*/b", "*a*", "/x?y=1", "/static/{**}/x", "/a{*}"] {
            assert!(path_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_headers_and_jwks() {
        assert!(http_url("https://issuer.example.com/").is_ok());
        assert!(http_url("https://").is_err());
        assert!(http_url("ftp://x").is_err());
        assert!(header_name("Authorization").is_ok());
        assert!(header_name("x jwt").is_err());
        assert!(header_name(":authority").is_err());
        assert!(jwks_document(r#"{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}"#).is_ok());
        assert!(jwks_document(r#"{"keys":[]}"#).is_err());
        assert!(jwks_document("not json").is_err());
    }
}
