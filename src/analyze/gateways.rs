//! Istio Gateways and the workloads they configure (istio/istio `analyzers/gateway/`):
//!
//! - the selector matches the pod labels of a workload in the package (IST0101 "Referenced selector
//!   not found", `gateway.go`); always a warning, since the gateway workload may be installed by
//!   another tool;
//! - no two Gateways on the same pods serve the same port for overlapping hosts (IST0145,
//!   `conflictinggateway.go`): Istio keeps one server and drops the other;
//! - no two Gateways on the same pods use the same `credentialName` (IST0138, `certificate.go`):
//!   clients that reuse an HTTP/2 connection for the other Gateway's hosts get 404s.
//!
//! Two Gateways configure the same pods when their selectors are equal, one is a subset of the other
//! (every pod the larger selects, the smaller selects too; istioctl's rule), or both select one
//! workload of the package. Findings go on the Gateway the user wrote; a pair of generated Gateways
//! is the config validation's business.

use super::hosts::{overlap, without_namespace};
use super::package::{Package, selector_of, selector_pairs};
use super::{Finding, Level, did_you_mean, mappings, near_miss, strings, text};
use crate::api::decode::join_key;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What each Gateway's selector selects, in the order of [`Package::gateways`].
#[derive(Debug, Default)]
pub struct Selected<'a> {
    /// The selector as label pairs, sorted by key; `None` when it cannot be judged (not strings).
    pub selectors: Vec<Option<Vec<(&'a str, &'a str)>>>,
    /// Workloads (indexes into [`Package::workloads`]) each Gateway selects; empty for an empty or
    /// unjudgeable selector.
    pub workloads: Vec<Vec<usize>>,
}

/// Resolve every Gateway's selector against the workloads of the package.
pub fn selected_workloads<'a>(package: &Package<'a>) -> Selected<'a> {
    let mut selected = Selected::default();
    for &gateway in &package.gateways {
        let pairs = match selector_of(package.object(gateway)) {
            None => Some(Vec::new()),
            Some(selector) => selector_pairs(selector).map(|mut pairs| {
                pairs.sort();
                pairs
            }),
        };
        let workloads = match &pairs {
            Some(pairs) if !pairs.is_empty() => package.select(pairs, None),
            _ => Vec::new(),
        };
        selected.selectors.push(pairs);
        selected.workloads.push(workloads);
    }
    selected
}

/// A selector in the `k=v,k2=v2` form istioctl prints.
pub fn selector_text(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

fn is_subset(small: &[(&str, &str)], large: &[(&str, &str)]) -> bool {
    small.iter().all(|pair| large.contains(pair))
}

/// Whether Gateways `a` and `b` (positions in [`Package::gateways`]) configure the same pods.
fn same_pods(selected: &Selected<'_>, a: usize, b: usize) -> bool {
    if let (Some(sa), Some(sb)) = (&selected.selectors[a], &selected.selectors[b])
        && (is_subset(sa, sb) || is_subset(sb, sa))
    {
        return true;
    }
    let (wa, wb) = (&selected.workloads[a], &selected.workloads[b]);
    wa.iter().any(|w| wb.contains(w))
}

/// Run the Gateway checks.
pub fn check(package: &Package<'_>, selected: &Selected<'_>, findings: &mut Vec<Finding>) {
    selectors(package, selected, findings);
    conflicts(package, selected, findings);
    duplicate_certificates(package, selected, findings);
}

fn selectors(package: &Package<'_>, selected: &Selected<'_>, findings: &mut Vec<Finding>) {
    for (position, &gateway) in package.gateways.iter().enumerate() {
        let Some(pairs) = selected.selectors[position].as_ref().filter(|p| !p.is_empty()) else { continue };
        // A generated Gateway may select a workload the config declares external (managed elsewhere).
        if !selected.workloads[position].is_empty() || package.object(gateway).generated {
            continue;
        }
        let lead = format!("Referenced selector not found: {:?}", selector_text(pairs));
        let note = ", so this Gateway configures no gateway of the package (fine if its gateway workload is installed outside the package)";
        findings.push(selector_not_found(
            package,
            gateway,
            "IST0101",
            lead,
            note,
            "spec.selector",
            pairs,
            None,
        ));
    }
}

/// A selector that matches no workload (in `namespace` when given): the message (`lead`, what was
/// found, `note`) names the first label no workload carries, with the value that label most likely
/// meant. Always a [`Level::Hint`].
#[allow(clippy::too_many_arguments)]
pub fn selector_not_found(
    package: &Package<'_>,
    subject: usize,
    code: &'static str,
    lead: String,
    note: &str,
    path: &str,
    pairs: &[(&str, &str)],
    namespace: Option<&str>,
) -> Finding {
    let missing = pairs.iter().find(|pair| package.select(std::slice::from_ref(*pair), namespace).is_empty());
    let (at, value, proposal) = match missing {
        Some(&(key, value)) => {
            let mut known: BTreeSet<&str> = BTreeSet::new();
            for workload in package.workloads_in(namespace) {
                if let Some(v) = package.workloads[workload].labels.get(key).and_then(Value::as_str) {
                    known.insert(v);
                }
            }
            let known: Vec<&str> = known.into_iter().collect();
            (join_key(path, key), Some(text(value)), near_miss(value, &known))
        }
        None => (path.to_string(), None, None),
    };
    let hint = match (&proposal, missing) {
        (Some(p), Some((key, _))) => did_you_mean(Some(&format!("{key}: {p}"))),
        _ => String::new(),
    };
    let scope = match namespace {
        Some(ns) => format!(" in namespace {ns}"),
        None => String::new(),
    };
    let mut finding = Finding::new(
        subject,
        code,
        Level::Hint,
        at,
        format!(
            "{lead}: no workload{scope} in the package (Deployment, StatefulSet, DaemonSet, Job, Pod, ...) runs pods with these labels{note}{hint}"
        ),
    )
    .proposing(proposal.map(|p| text(&p)));
    finding.value = value;
    finding
}

struct ServerRef<'a> {
    position: usize,
    server: usize,
    hosts: Vec<&'a str>,
}

fn servers<'a>(
    package: &Package<'a>,
    gateway: usize,
) -> impl Iterator<Item = (usize, &'a Map<String, Value>)> {
    mappings(package.object(gateway).value.get("spec").and_then(|s| s.get("servers")))
}

fn conflicts(package: &Package<'_>, selected: &Selected<'_>, findings: &mut Vec<Finding>) {
    let mut by_port: BTreeMap<u64, Vec<ServerRef<'_>>> = BTreeMap::new();
    for (position, &gateway) in package.gateways.iter().enumerate() {
        for (index, server) in servers(package, gateway) {
            let Some(port) = server.get("port").and_then(|p| p.get("number")).and_then(Value::as_u64) else {
                continue;
            };
            let hosts = strings(server.get("hosts")).map(|(_, h)| without_namespace(h)).collect();
            by_port.entry(port).or_default().push(ServerRef { position, server: index, hosts });
        }
    }
    let mut reports: Vec<(usize, usize, u64, BTreeSet<String>)> = Vec::new();
    for (&port, entries) in &by_port {
        for a in entries {
            let gateway_a = package.gateways[a.position];
            if package.object(gateway_a).generated {
                continue;
            }
            let others: BTreeSet<String> = entries
                .iter()
                .filter(|b| b.position != a.position && same_pods(selected, a.position, b.position))
                .filter(|b| a.hosts.iter().any(|ha| b.hosts.iter().any(|hb| overlap(ha, hb))))
                .map(|b| package.object(package.gateways[b.position]).full_name())
                .collect();
            if !others.is_empty() {
                reports.push((a.position, a.server, port, others));
            }
        }
    }
    reports.sort_by_key(|(position, server, _, _)| (*position, *server));
    for (position, server, port, others) in reports {
        let gateway = package.gateways[position];
        let hosts: Vec<&str> = servers(package, gateway)
            .find(|(i, _)| *i == server)
            .map(|(_, s)| strings(s.get("hosts")).map(|(_, h)| h).collect())
            .unwrap_or_default();
        let selector = selected.selectors[position].as_deref().map(selector_text).unwrap_or_default();
        findings.push(
            Finding::new(
                gateway,
                "IST0145",
                Level::Error,
                format!("spec.servers[{server}].hosts"),
                format!(
                    "Conflict with gateways {} (workload selector {selector}, port {port}, hosts {}): both configure the same gateway pods on this port for overlapping hosts, so Istio keeps one server and drops the other",
                    others.into_iter().collect::<Vec<_>>().join(", "),
                    hosts.join(", ")
                ),
            )
            .value(Value::Array(hosts.iter().map(|h| text(h)).collect())),
        );
    }
}

fn credential(server: &Map<String, Value>) -> Option<&str> {
    server.get("tls")?.get("credentialName")?.as_str().filter(|c| !c.is_empty())
}

fn duplicate_certificates(package: &Package<'_>, selected: &Selected<'_>, findings: &mut Vec<Finding>) {
    let mut by_credential: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (position, &gateway) in package.gateways.iter().enumerate() {
        for (index, server) in servers(package, gateway) {
            if let Some(name) = credential(server) {
                by_credential.entry(name).or_default().push((position, index));
            }
        }
    }
    let mut reports: Vec<(usize, usize, &str, BTreeSet<String>)> = Vec::new();
    for (&name, entries) in &by_credential {
        for &(position, server) in entries {
            let gateway = package.gateways[position];
            if package.object(gateway).generated {
                continue;
            }
            let others: BTreeSet<String> = entries
                .iter()
                .filter(|(other, _)| *other != position && same_pods(selected, position, *other))
                .map(|(other, _)| package.object(package.gateways[*other]).full_name())
                .collect();
            if !others.is_empty() {
                reports.push((position, server, name, others));
            }
        }
    }
    reports.sort_by_key(|(position, server, _, _)| (*position, *server));
    for (position, server, name, others) in reports {
        let gateway = package.gateways[position];
        let mut all: Vec<String> = vec![package.object(gateway).full_name()];
        all.extend(others);
        findings.push(
            Finding::new(
                gateway,
                "IST0138",
                Level::Warning,
                format!("spec.servers[{server}].tls.credentialName"),
                format!(
                    "Duplicate certificate in multiple gateways [{}] may cause 404s if clients re-use HTTP2 connections: they configure the same gateway pods with credentialName {name:?}; serve these hosts from one Gateway, or give each its own certificate",
                    all.join(", ")
                ),
            )
            .value(text(name)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gateway(name: &str, selector: Value, port: u64, hosts: &[&str], credential: Option<&str>) -> Value {
        let mut server = json!({"port": {"number": port, "name": format!("p-{port}"), "protocol": "HTTPS"}, "hosts": hosts});
        if let Some(c) = credential {
            server["tls"] = json!({"mode": "SIMPLE", "credentialName": c});
        }
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": "istio-ingress"},
               "spec": {"selector": selector, "servers": [server]}})
    }

    fn deployment(labels: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "gw", "namespace": "istio-ingress"},
               "spec": {"template": {"metadata": {"labels": labels}}}})
    }

    fn run(items: &[Value]) -> Vec<Finding> {
        super::super::run_with_selection(items, check)
    }

    #[test]
    fn a_selector_matching_no_workload_is_a_hint_with_a_suggestion() {
        let found = run(&[
            deployment(json!({"istio": "ingressgateway"})),
            gateway("a", json!({"istio": "ingresgateway"}), 443, &["a.com"], None),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].code, found[0].level), ("IST0101", Level::Hint));
        assert_eq!(found[0].path, "spec.selector.istio");
        assert_eq!(found[0].proposed, Some(json!("ingressgateway")));
        assert!(
            run(&[
                deployment(json!({"istio": "gw"})),
                gateway("a", json!({"istio": "gw"}), 443, &["a"], None)
            ])
            .is_empty()
        );
    }

    #[test]
    fn gateways_on_one_workload_conflict_on_port_and_hosts() {
        let d = deployment(json!({"istio": "gw", "app": "x"}));
        let found = run(&[
            d.clone(),
            gateway("a", json!({"istio": "gw"}), 443, &["*.example.com"], None),
            gateway("b", json!({"istio": "gw", "app": "x"}), 443, &["shop/a.example.com"], None),
        ]);
        let codes: Vec<_> = found.iter().map(|f| (f.code, f.subject)).collect();
        assert_eq!(codes, [("IST0145", 1), ("IST0145", 2)], "{found:?}");
        assert!(found[0].message.contains("istio-ingress/b"), "{}", found[0].message);
        // Other port, or disjoint hosts: no conflict.
        assert!(
            run(&[
                d.clone(),
                gateway("a", json!({"istio": "gw"}), 443, &["a.example.com"], None),
                gateway("b", json!({"istio": "gw"}), 443, &["b.example.com"], None),
                gateway("c", json!({"istio": "gw"}), 8443, &["a.example.com"], None),
            ])
            .is_empty()
        );
    }

    #[test]
    fn one_credential_on_gateways_of_one_workload_is_a_duplicate() {
        let found = run(&[
            deployment(json!({"istio": "gw"})),
            gateway("a", json!({"istio": "gw"}), 443, &["a.example.com"], Some("tls")),
            gateway("b", json!({"istio": "gw"}), 8443, &["b.example.com"], Some("tls")),
            gateway("c", json!({"istio": "other"}), 443, &["c.example.com"], Some("tls")),
        ]);
        let duplicates: Vec<_> = found.iter().filter(|f| f.code == "IST0138").map(|f| f.subject).collect();
        assert_eq!(duplicates, [1, 2], "{found:?}");
        assert!(found.iter().any(|f| f.message.contains("[istio-ingress/a, istio-ingress/b]")), "{found:?}");
    }
}
