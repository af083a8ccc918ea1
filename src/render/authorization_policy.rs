//! Access rules as `security.istio.io/v1` AuthorizationPolicies on the gateway workloads, one per
//! rule and workload, in the gateway namespace (selector: the workload's pod labels).
//!
//! Istio evaluates a workload's `CUSTOM` policies, then its `DENY` policies, then its `ALLOW`
//! policies; and as soon as one `ALLOW` policy selects a workload, every request that no `ALLOW`
//! policy matches is denied. An `ALLOW` rule on one route rendered as an Istio `ALLOW` policy would
//! therefore block every other route of the gateway. So this module never emits `ALLOW` policies:
//!
//! * an `ALLOW` rule ("within scope S, only requests matching F1 or F2 pass", each `Fi` a
//!   conjunction of conditions) becomes a `DENY` policy for `S and not F1 and not F2`. Negating a
//!   conjunction gives a disjunction, so the policy has one Istio rule per choice of one negated
//!   condition from each entry (conditions of one kind are merged: `notRemoteIpBlocks` of both);
//!   requests outside `S` are never touched, and several rules on one request intersect.
//! * a `DENY` rule becomes a `DENY` policy with one Istio rule per `from` entry.
//! * a `CUSTOM` rule becomes a `CUSTOM` policy naming the extension provider.
//!
//! Scopes are made exact where Istio's matching is looser or stricter than routing:
//! * hosts: Istio routes `Host: shop.example.com:443` to `shop.example.com` (virtual host domains
//!   `host` and `host:*`; a wildcard host gets `*.example.com:<server port>`), but an authorization
//!   `hosts` entry matches the header literally. A DENY scoped to the bare host could be skipped by
//!   adding a port, so each host is also listed with its port forms.
//! * TCP: on `TLS` server ports Istio drops HTTP-only fields from DENY rules, which would turn a
//!   host, path, method or JWT rule into "deny every connection". Rules that depend on such fields
//!   are limited to the HTTP and HTTPS ports of the workload when it also serves TLS.
//! * ACME HTTP-01: where a solver answers challenges through the gateway, `ALLOW` and `CUSTOM` rules
//!   leave `/.well-known/acme-challenge/*` on port 80 alone, or certificates could not be renewed.

use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::{AccessAction, AccessSource};
use crate::error::Error;
use crate::model::Model;
use crate::model::access::{AccessModel, RuleModel, TargetModel};
use crate::types::Resource;
use crate::types::istio::{
    AuthorizationPolicySpec, Condition, From, Operation, PolicyTargetReference, ProviderRef, Rule,
    SECURITY_V1, Source, To, WorkloadSelector,
};
use std::collections::BTreeMap;

/// Istio's limit of rules per AuthorizationPolicy (CRD `maxItems`).
pub const MAX_RULES: usize = 512;

/// The path ACME HTTP-01 challenges use, as an Istio path pattern.
pub const ACME_CHALLENGE_PATHS: &str = "/.well-known/acme-challenge/*";

/// The port ACME HTTP-01 challenges arrive on.
pub const ACME_PORT: u32 = 80;

/// The file the policies of a target are written to.
pub fn access_file(target: &TargetModel) -> String {
    file_name("access", &target.name)
}

/// How a target's policies attach to what they protect.
#[derive(Clone, Debug, PartialEq)]
pub enum Attachment {
    /// The pods of a workload in the policy's namespace, by labels (a gateway rendered by this
    /// function, or bound to one managed elsewhere).
    Selector(BTreeMap<String, String>),
    /// Gateway API Gateways (`targetRefs`), for Gateways whose deployment Istio manages.
    Gateways(Vec<String>),
}

impl Attachment {
    /// The `selector` field.
    pub fn selector(&self) -> Option<WorkloadSelector> {
        match self {
            Attachment::Selector(labels) => Some(WorkloadSelector { match_labels: labels.clone() }),
            Attachment::Gateways(_) => None,
        }
    }

    /// The `targetRefs` field.
    pub fn target_refs(&self) -> Vec<PolicyTargetReference> {
        match self {
            Attachment::Selector(_) => Vec::new(),
            Attachment::Gateways(names) => names
                .iter()
                .map(|name| PolicyTargetReference {
                    group: "gateway.networking.k8s.io".to_string(),
                    kind: "Gateway".to_string(),
                    name: name.clone(),
                })
                .collect(),
        }
    }
}

/// How the policies of `target` attach: with `targetRefs` to the Gateway API Gateway whose pods
/// they are (`output: gateway-api`; the pods carry its name label), else by the pods' labels.
/// Istio ignores a selector-only policy on pods that carry a Gateway's name label (unless
/// `ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY`), so the two never mix on one workload.
pub fn attachment(target: &TargetModel) -> Attachment {
    match &target.gateway_api {
        Some(gateway) => Attachment::Gateways(vec![gateway.clone()]),
        None => Attachment::Selector(target.selector.clone()),
    }
}

/// Render every access rule.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    for target in &model.access.targets {
        for rule in &target.rules {
            if let Some(spec) = policy_spec(&model.access, target, rule, &attachment(target)) {
                out.push(security_policy(model, target, "AuthorizationPolicy", &rule.policy, spec)?);
            }
        }
    }
    Ok(out)
}

/// A `security.istio.io/v1` policy of a target, in the target's namespace and access file.
pub fn security_policy(
    model: &Model,
    target: &TargetModel,
    kind: &'static str,
    name: &str,
    spec: impl serde::Serialize,
) -> Result<Generated, Error> {
    let meta = metadata(model, name, Some(&target.namespace), "mesh-ingress", Component::Authorization);
    Generated::new(&Resource::new(SECURITY_V1, kind, meta, spec), access_file(target))
}

/// The policy of one rule; `None` when the rule restricts nothing (an `ALLOW` rule with a `from`
/// entry that matches every request, which validation reports).
pub fn policy_spec(
    access: &AccessModel,
    target: &TargetModel,
    rule: &RuleModel,
    attach: &Attachment,
) -> Option<AuthorizationPolicySpec> {
    let scope = scope(target, rule);
    let (action, rules, provider) = match rule.action() {
        AccessAction::Allow => {
            let entries: Vec<Vec<Cond>> = rule.spec.from.iter().map(|e| conditions(access, e)).collect();
            if entries.is_empty() || entries.iter().any(Vec::is_empty) {
                return None;
            }
            let rules = combinations(&entries)
                .into_iter()
                .map(|choice| finish(target, rule, &scope, negated(&choice)))
                .collect();
            ("DENY", rules, None)
        }
        AccessAction::Deny => {
            let rules = if rule.spec.from.is_empty() {
                vec![finish(target, rule, &scope, (Source::default(), Vec::new()))]
            } else {
                rule.spec
                    .from
                    .iter()
                    .map(|e| finish(target, rule, &scope, positive(&conditions(access, e))))
                    .collect()
            };
            ("DENY", rules, None)
        }
        AccessAction::Custom => {
            let provider = rule.spec.provider.clone().map(|name| ProviderRef { name });
            ("CUSTOM", vec![finish(target, rule, &scope, (Source::default(), Vec::new()))], provider)
        }
    };
    let mut unique: Vec<Rule> = Vec::new();
    for r in rules {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    Some(AuthorizationPolicySpec {
        selector: attach.selector(),
        target_refs: attach.target_refs(),
        action: Some(action.to_string()),
        provider,
        rules: unique,
    })
}

/// One condition of a `from` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cond {
    /// `remoteIpBlocks`.
    RemoteIp(Vec<String>),
    /// `ipBlocks`.
    PeerIp(Vec<String>),
    /// Request principals.
    Principal(Vec<String>),
    /// A claim attribute and its accepted values.
    Claim(String, Vec<String>),
}

/// The request principals a JWT requirement accepts: `<issuer>/<subject>` per provider and subject,
/// `<issuer>/*` without subjects, `*` (any validated token) without providers.
pub fn request_principals(access: &AccessModel, providers: &[String], subjects: &[String]) -> Vec<String> {
    if providers.is_empty() {
        return vec!["*".to_string()];
    }
    let mut principals = Vec::new();
    for name in providers {
        let Some(provider) = access.providers.iter().find(|p| &p.spec.name == name) else { continue };
        if subjects.is_empty() {
            principals.push(format!("{}/*", provider.spec.issuer));
        }
        for subject in subjects {
            principals.push(format!("{}/{subject}", provider.spec.issuer));
        }
    }
    principals
}

/// The Istio attribute of a claim path: `request.auth.claims[realm_access][roles]`.
pub fn claim_key(path: &[String]) -> String {
    let mut key = "request.auth.claims".to_string();
    for part in path {
        key.push('[');
        key.push_str(part);
        key.push(']');
    }
    key
}

fn conditions(access: &AccessModel, entry: &AccessSource) -> Vec<Cond> {
    let mut out = Vec::new();
    if !entry.remote_ip_blocks.is_empty() {
        out.push(Cond::RemoteIp(entry.remote_ip_blocks.clone()));
    }
    if !entry.ip_blocks.is_empty() {
        out.push(Cond::PeerIp(entry.ip_blocks.clone()));
    }
    if let Some(jwt) = &entry.jwt {
        out.push(Cond::Principal(request_principals(access, &jwt.providers, &jwt.subjects)));
        for claim in &jwt.claims {
            out.push(Cond::Claim(claim_key(&claim.claim), claim.values.clone()));
        }
    }
    out
}

/// The number of Istio rules an `ALLOW` rule with these entries (condition counts) expands to.
pub fn allow_rule_count(entries: &[usize]) -> usize {
    entries.iter().fold(1usize, |n, &k| n.saturating_mul(k.max(1)))
}

/// Every choice of one condition from each entry, at most [`MAX_RULES`] (validation refuses more).
fn combinations(entries: &[Vec<Cond>]) -> Vec<Vec<Cond>> {
    let mut out: Vec<Vec<Cond>> = vec![Vec::new()];
    for entry in entries {
        let mut next = Vec::new();
        for partial in &out {
            for cond in entry {
                if next.len() == MAX_RULES {
                    break;
                }
                let mut choice = partial.clone();
                choice.push(cond.clone());
                next.push(choice);
            }
        }
        out = next;
    }
    out
}

fn add_all(target: &mut Vec<String>, values: &[String]) {
    for v in values {
        if !target.contains(v) {
            target.push(v.clone());
        }
    }
}

/// `not` of each chosen condition, ANDed: conditions of one kind merge into one `not*` list.
fn negated(choice: &[Cond]) -> (Source, Vec<Condition>) {
    let mut source = Source::default();
    let mut when: Vec<Condition> = Vec::new();
    for cond in choice {
        match cond {
            Cond::RemoteIp(v) => add_all(&mut source.not_remote_ip_blocks, v),
            Cond::PeerIp(v) => add_all(&mut source.not_ip_blocks, v),
            Cond::Principal(v) => add_all(&mut source.not_request_principals, v),
            Cond::Claim(key, v) => match when.iter_mut().find(|c| &c.key == key) {
                Some(existing) => add_all(&mut existing.not_values, v),
                None => when.push(Condition { key: key.clone(), values: Vec::new(), not_values: v.clone() }),
            },
        }
    }
    (source, when)
}

/// The conditions of one entry, ANDed.
fn positive(conds: &[Cond]) -> (Source, Vec<Condition>) {
    let mut source = Source::default();
    let mut when = Vec::new();
    for cond in conds {
        match cond {
            Cond::RemoteIp(v) => add_all(&mut source.remote_ip_blocks, v),
            Cond::PeerIp(v) => add_all(&mut source.ip_blocks, v),
            Cond::Principal(v) => add_all(&mut source.request_principals, v),
            Cond::Claim(key, v) => {
                when.push(Condition { key: key.clone(), values: v.clone(), not_values: Vec::new() })
            }
        }
    }
    (source, when)
}

/// The host forms Istio routes to a virtual host: `host` and `host:<any port>`; for a wildcard host,
/// `*.example.com` and `*.example.com:<server port>` (Envoy allows one wildcard per domain).
pub fn host_forms(hosts: &[String], http_ports: &[u32]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for host in hosts {
        if host == "*" {
            return Vec::new();
        }
        let mut forms = vec![host.clone()];
        if host.starts_with('*') {
            forms.extend(http_ports.iter().map(|p| format!("{host}:{p}")));
        } else {
            forms.push(format!("{host}:*"));
        }
        add_all(&mut out, &forms);
    }
    out
}

/// The request scope of a rule, before the TCP and ACME adjustments.
fn scope(target: &TargetModel, rule: &RuleModel) -> Operation {
    let to = &rule.spec.to;
    let ports = if to.ports.is_empty() { &rule.ports } else { &to.ports };
    Operation {
        hosts: host_forms(&rule.hosts, &target.http_ports),
        ports: ports.iter().map(u32::to_string).collect(),
        not_ports: Vec::new(),
        methods: to.methods.clone(),
        paths: to.paths.clone(),
        not_paths: to.not_paths.clone(),
    }
}

/// One Istio rule from a scope and its source conditions, with the port adjustments: TCP ports,
/// redirect-only ports and ACME challenges.
fn finish(
    target: &TargetModel,
    rule: &RuleModel,
    scope: &Operation,
    (source, when): (Source, Vec<Condition>),
) -> Rule {
    let mut operation = scope.clone();
    let http_scope = !operation.hosts.is_empty()
        || !operation.methods.is_empty()
        || !operation.paths.is_empty()
        || !source.request_principals.is_empty()
        || !source.not_request_principals.is_empty()
        || !when.is_empty()
        || rule.action() == AccessAction::Custom;
    let restricts = rule.action() != AccessAction::Deny;
    let redirect: Vec<String> = target.redirect_ports.iter().map(u32::to_string).collect();
    if http_scope && !target.tcp_ports.is_empty() && operation.ports.is_empty() {
        operation.ports = target.http_ports.iter().map(u32::to_string).collect();
    }
    // Requests on a port that only redirects to HTTPS never reach a backend: a restriction there would
    // only turn the redirect into a 403 (or an external authorization round trip).
    if restricts && rule.spec.to.ports.is_empty() {
        if operation.ports.is_empty() {
            operation.not_ports = redirect;
        } else {
            let kept: Vec<String> =
                operation.ports.iter().filter(|p| !redirect.contains(p)).cloned().collect();
            if !kept.is_empty() {
                operation.ports = kept;
            }
        }
    }
    let mut to = vec![operation];
    if target.http01 && restricts {
        to = exempt_acme(to.remove(0));
    }
    let to: Vec<To> =
        to.into_iter().filter(|o| *o != Operation::default()).map(|operation| To { operation }).collect();
    let from = if source == Source::default() { Vec::new() } else { vec![From { source }] };
    Rule { from, to, when }
}

/// Leave ACME HTTP-01 challenges on port 80 out of an operation that covers port 80.
fn exempt_acme(operation: Operation) -> Vec<Operation> {
    let acme_port = ACME_PORT.to_string();
    let covers = if operation.ports.is_empty() {
        !operation.not_ports.contains(&acme_port)
    } else {
        operation.ports.contains(&acme_port)
    };
    if !covers {
        return vec![operation];
    }
    let challenge = |mut o: Operation| {
        o.ports = vec![acme_port.clone()];
        o.not_ports.clear();
        add_all(&mut o.not_paths, &[ACME_CHALLENGE_PATHS.to_string()]);
        o
    };
    let mut elsewhere = operation.clone();
    if operation.ports.is_empty() {
        elsewhere.not_ports.push(acme_port.clone());
    } else {
        elsewhere.ports.retain(|p| p != &acme_port);
        if elsewhere.ports.is_empty() {
            return vec![challenge(operation)];
        }
    }
    vec![elsewhere, challenge(operation)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond_ip(v: &str) -> Cond {
        Cond::RemoteIp(vec![v.to_string()])
    }

    #[test]
    fn negating_alternatives_takes_one_condition_from_each() {
        let entries = vec![
            vec![cond_ip("10.0.0.0/8"), Cond::Principal(vec!["iss/*".into()])],
            vec![cond_ip("192.0.2.0/24")],
        ];
        let choices = combinations(&entries);
        assert_eq!(choices.len(), 2);
        let (source, when) = negated(&choices[0]);
        assert_eq!(source.not_remote_ip_blocks, ["10.0.0.0/8", "192.0.2.0/24"]);
        assert!(when.is_empty());
        let (source, _) = negated(&choices[1]);
        assert_eq!(source.not_request_principals, ["iss/*"]);
        assert_eq!(source.not_remote_ip_blocks, ["192.0.2.0/24"]);
        assert_eq!(allow_rule_count(&[2, 1]), 2);
    }

    #[test]
    fn claims_merge_per_key() {
        let (_, when) = negated(&[
            Cond::Claim("request.auth.claims[groups]".into(), vec!["a".into()]),
            Cond::Claim("request.auth.claims[groups]".into(), vec!["b".into()]),
        ]);
        assert_eq!(when.len(), 1);
        assert_eq!(when[0].not_values, ["a", "b"]);
    }

    #[test]
    fn hosts_are_listed_with_the_port_forms_istio_routes() {
        let forms = host_forms(&["shop.example.com".into(), "*.example.com".into()], &[80, 443]);
        assert_eq!(
            forms,
            [
                "shop.example.com",
                "shop.example.com:*",
                "*.example.com",
                "*.example.com:80",
                "*.example.com:443"
            ]
        );
        assert!(host_forms(&["*".into()], &[443]).is_empty());
    }

    #[test]
    fn acme_challenges_on_port_80_are_left_alone() {
        let split = exempt_acme(Operation::default());
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].not_ports, ["80"]);
        assert_eq!(split[1].ports, ["80"]);
        assert_eq!(split[1].not_paths, [ACME_CHALLENGE_PATHS]);
        let https_only = Operation { ports: vec!["443".into()], ..Default::default() };
        assert_eq!(exempt_acme(https_only.clone()), [https_only]);
        let not_80 = Operation { not_ports: vec!["80".into()], ..Default::default() };
        assert_eq!(exempt_acme(not_80.clone()), [not_80]);
    }

    #[test]
    fn claim_keys_use_nested_brackets() {
        assert_eq!(
            claim_key(&["realm_access".into(), "roles".into()]),
            "request.auth.claims[realm_access][roles]"
        );
    }

    #[test]
    fn gateway_attachment_uses_target_refs() {
        let attach = Attachment::Gateways(vec!["external".into()]);
        assert!(attach.selector().is_none());
        assert_eq!(attach.target_refs()[0].kind, "Gateway");
    }
}
