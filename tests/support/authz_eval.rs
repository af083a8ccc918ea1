//! A small model of how an Istio gateway proxy decides a request with the AuthorizationPolicies
//! selecting it, used as an oracle over rendered output (it never looks at the function's types).
//!
//! What it models, from Istio's authorization reference and `pilot/pkg/security/authz`:
//! * order: `CUSTOM` policies first, then `DENY`, then `ALLOW`; with any `ALLOW` policy on the
//!   workload, a request no `ALLOW` policy matches is denied;
//! * a rule matches when a `from` entry (any), a `to` entry (any) and every `when` condition match;
//!   within an entry every field set must match, and `not*` fields must not;
//! * string matching: exact, `prefix*`, `*suffix`, `*` (presence); hosts case-insensitively and
//!   literally (the `Host` header may carry a port); request principals on `<iss>/<sub>`;
//! * CIDR matching for `ipBlocks` (direct peer) and `remoteIpBlocks` (client);
//! * TCP connections: HTTP-only fields are dropped from `DENY` rules (so the rule matches more).
//!
//! Not modelled: path templates, `principals`/`namespaces`, AUDIT, dry-run, CUSTOM provider answers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A request (or a TCP connection) arriving at a gateway.
#[derive(Clone, Debug)]
pub struct Request {
    /// `Host` header, possibly with a port.
    pub host: String,
    /// The gateway port it arrived on.
    pub port: u32,
    /// Path, without query.
    pub path: String,
    /// Method.
    pub method: String,
    /// The client address (`remoteIpBlocks`).
    pub remote_ip: IpAddr,
    /// The direct peer (`ipBlocks`).
    pub peer_ip: IpAddr,
    /// `<iss>/<sub>` of a validated JWT.
    pub principal: Option<String>,
    /// Claims of the JWT by Istio attribute (`request.auth.claims[groups]`).
    pub claims: BTreeMap<String, Vec<String>>,
    /// A TCP connection (TLS passthrough) rather than an HTTP request.
    pub tcp: bool,
}

impl Request {
    /// A GET from `client` (also the direct peer) for `host` `path` on `port`, without a token.
    pub fn get(host: &str, port: u32, path: &str, client: &str) -> Self {
        let ip: IpAddr = client.parse().unwrap();
        Request {
            host: host.to_string(),
            port,
            path: path.to_string(),
            method: "GET".to_string(),
            remote_ip: ip,
            peer_ip: ip,
            principal: None,
            claims: BTreeMap::new(),
            tcp: false,
        }
    }

    /// The same request with another method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = method.to_string();
        self
    }

    /// The same request carrying a validated token.
    pub fn token(mut self, principal: &str, claims: &[(&str, &[&str])]) -> Self {
        self.principal = Some(principal.to_string());
        for (key, values) in claims {
            self.claims.insert(key.to_string(), values.iter().map(|v| v.to_string()).collect());
        }
        self
    }

    /// A TCP connection from `client` to `port`.
    pub fn tcp(port: u32, client: &str) -> Self {
        Request { tcp: true, ..Request::get("", port, "", client) }
    }
}

/// What the gateway does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Passed on to routing.
    Allowed,
    /// Refused (403).
    Denied,
    /// Sent to the external authorizer first, then (if it agrees) on as [`Decision::Allowed`].
    Custom(String),
}

/// The AuthorizationPolicies among `items` that select pods with `labels` in `namespace`.
pub fn policies_for<'a>(
    items: &'a [Value],
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|o| o["kind"] == "AuthorizationPolicy" && o["metadata"]["namespace"] == namespace)
        .filter(|o| {
            let selector = &o["spec"]["selector"]["matchLabels"];
            selector
                .as_object()
                .is_none_or(|m| m.iter().all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str()))
        })
        .collect()
}

/// Decide `request` with `policies`.
pub fn decide(policies: &[&Value], request: &Request) -> Decision {
    let action = |p: &&Value| p["spec"]["action"].as_str().unwrap_or("ALLOW").to_string();
    let matches = |p: &Value, deny: bool| rules(p).iter().any(|r| rule_matches(r, request, deny));
    for policy in policies.iter().filter(|p| action(p) == "CUSTOM") {
        if matches(policy, false) {
            return Decision::Custom(
                policy["spec"]["provider"]["name"].as_str().unwrap_or_default().to_string(),
            );
        }
    }
    if policies.iter().filter(|p| action(p) == "DENY").any(|p| matches(p, true)) {
        return Decision::Denied;
    }
    let allow: Vec<&&Value> = policies.iter().filter(|p| action(p) == "ALLOW").collect();
    if allow.is_empty() || allow.iter().any(|p| matches(p, false)) {
        Decision::Allowed
    } else {
        Decision::Denied
    }
}

fn rules(policy: &Value) -> Vec<Value> {
    policy["spec"]["rules"].as_array().cloned().unwrap_or_default()
}

fn list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Istio's string matcher.
fn string_matches(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (p, v) = if ignore_case {
        (pattern.to_lowercase(), value.to_lowercase())
    } else {
        (pattern.to_string(), value.to_string())
    };
    if p == "*" {
        return !v.is_empty();
    }
    if let Some(suffix) = p.strip_prefix('*') {
        return v.ends_with(suffix);
    }
    if let Some(prefix) = p.strip_suffix('*') {
        return v.starts_with(prefix);
    }
    p == v
}

fn cidr_contains(block: &str, ip: IpAddr) -> bool {
    let (address, prefix) = block.split_once('/').unwrap_or((block, ""));
    let address: IpAddr = address.parse().unwrap();
    match (address, ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let bits: u32 = if prefix.is_empty() { 32 } else { prefix.parse().unwrap() };
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let bits: u32 = if prefix.is_empty() { 128 } else { prefix.parse().unwrap() };
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// A field: absent, or one of `values` must match (`not_values`: none may).
fn field(values: &[String], not_values: &[String], one: impl Fn(&str) -> bool) -> bool {
    (values.is_empty() || values.iter().any(|v| one(v))) && !not_values.iter().any(|v| one(v))
}

/// Whether `rule` matches; `deny_on_tcp` drops HTTP-only fields on TCP connections (DENY rules).
fn rule_matches(rule: &Value, r: &Request, deny: bool) -> bool {
    let http = !r.tcp;
    if r.tcp && !deny {
        // ALLOW/CUSTOM rules with HTTP-only fields never match TCP; not needed by these tests.
        let uses_http = rule.to_string().contains("paths") || rule.to_string().contains("hosts");
        if uses_http {
            return false;
        }
    }
    let from_ok = rule["from"].as_array().is_none_or(|froms| {
        froms.iter().any(|f| {
            let s = &f["source"];
            let principal = |p: &str| r.principal.as_deref().is_some_and(|v| string_matches(p, v, false));
            field(&list(&s["ipBlocks"]), &list(&s["notIpBlocks"]), |b| cidr_contains(b, r.peer_ip))
                && field(&list(&s["remoteIpBlocks"]), &list(&s["notRemoteIpBlocks"]), |b| {
                    cidr_contains(b, r.remote_ip)
                })
                && (!http
                    || field(&list(&s["requestPrincipals"]), &list(&s["notRequestPrincipals"]), principal))
        })
    });
    let to_ok = rule["to"].as_array().is_none_or(|tos| {
        tos.iter().any(|t| {
            let o = &t["operation"];
            let port = r.port.to_string();
            field(&list(&o["ports"]), &list(&o["notPorts"]), |p| p == port)
                && (!http
                    || (field(&list(&o["hosts"]), &list(&o["notHosts"]), |h| {
                        string_matches(h, &r.host, true)
                    }) && field(&list(&o["methods"]), &list(&o["notMethods"]), |m| m == r.method)
                        && field(&list(&o["paths"]), &list(&o["notPaths"]), |p| {
                            string_matches(p, &r.path, false)
                        })))
        })
    });
    let when_ok = !http
        || rule["when"].as_array().is_none_or(|conditions| {
            conditions.iter().all(|c| {
                let key = c["key"].as_str().unwrap();
                let actual = r.claims.get(key).cloned().unwrap_or_default();
                field(&list(&c["values"]), &list(&c["notValues"]), |v| {
                    actual.iter().any(|a| string_matches(v, a, false))
                })
            })
        });
    from_ok && to_ok && when_ok
}
