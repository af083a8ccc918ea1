//! DestinationRule subsets that VirtualService destinations name (istio/istio
//! `analyzers/virtualservice/destinationrules.go`): a destination with a `subset` needs a
//! DestinationRule for its host that defines that subset (IST0101), or Envoy answers 503 (no
//! cluster). Hosts compare as fully qualified service names: a short name is a Service of the
//! VirtualService's (or the DestinationRule's) namespace. A DestinationRule with a wildcard host
//! covers the hosts it matches.

use super::hosts::{overlap, same_service, service_fqdn};
use super::package::Package;
use super::{Finding, Level, did_you_mean, mappings, near_miss, text};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A destination of a VirtualService route or mirror, with its field path.
pub struct Destination<'v> {
    /// Path of the destination mapping (`spec.http[0].route[1].destination`).
    pub path: String,
    /// The destination.
    pub destination: &'v Map<String, Value>,
}

/// Every destination of a VirtualService spec: HTTP, TLS and TCP routes, HTTP mirrors.
pub fn destinations(spec: &Map<String, Value>) -> Vec<Destination<'_>> {
    let mut out = Vec::new();
    for kind in ["http", "tls", "tcp"] {
        for (ri, route) in mappings(spec.get(kind)) {
            for (di, weighted) in mappings(route.get("route")) {
                if let Some(destination) = weighted.get("destination").and_then(Value::as_object) {
                    out.push(Destination {
                        path: format!("spec.{kind}[{ri}].route[{di}].destination"),
                        destination,
                    });
                }
            }
            if kind != "http" {
                continue;
            }
            if let Some(destination) = route.get("mirror").and_then(Value::as_object) {
                out.push(Destination { path: format!("spec.http[{ri}].mirror"), destination });
            }
            for (mi, mirror) in mappings(route.get("mirrors")) {
                if let Some(destination) = mirror.get("destination").and_then(Value::as_object) {
                    out.push(Destination {
                        path: format!("spec.http[{ri}].mirrors[{mi}].destination"),
                        destination,
                    });
                }
            }
        }
    }
    out
}

struct Rule<'a> {
    object: usize,
    host: Cow<'a, str>,
    subsets: Vec<&'a str>,
}

/// Run the check over every VirtualService destination that names a subset.
pub fn check(package: &Package<'_>, findings: &mut Vec<Finding>) {
    let rules: Vec<Rule<'_>> = package
        .destination_rules
        .iter()
        .filter_map(|&index| {
            let object = package.object(index);
            let spec = object.spec()?;
            let host = service_fqdn(spec.get("host")?.as_str()?, object.namespace);
            let subsets = mappings(spec.get("subsets"))
                .filter_map(|(_, s)| s.get("name").and_then(Value::as_str))
                .collect();
            Some(Rule { object: index, host, subsets })
        })
        .collect();
    for &vs in &package.virtual_services {
        let object = package.object(vs);
        let Some(spec) = object.spec() else { continue };
        for Destination { path, destination } in destinations(spec) {
            let Some(subset) = destination.get("subset").and_then(Value::as_str).filter(|s| !s.is_empty())
            else {
                continue;
            };
            let Some(host) = destination.get("host").and_then(Value::as_str) else { continue };
            let host = service_fqdn(host, object.namespace);
            let for_host: Vec<&Rule<'_>> = rules
                .iter()
                .filter(|r| {
                    same_service(&r.host, &host) || (r.host.starts_with('*') && overlap(&r.host, &host))
                })
                .collect();
            if for_host.iter().any(|r| r.subsets.contains(&subset)) {
                continue;
            }
            let known: Vec<&str> = for_host.iter().flat_map(|r| r.subsets.iter().copied()).collect();
            let proposal = near_miss(subset, &known);
            let context = match for_host.as_slice() {
                [] => format!("no DestinationRule in the package defines subsets for {host}"),
                rules => {
                    let names: Vec<String> = rules
                        .iter()
                        .map(|r| format!("DestinationRule {}", package.object(r.object).full_name()))
                        .collect();
                    if known.is_empty() {
                        format!("{} defines no subsets", names.join(", "))
                    } else {
                        format!("{} defines subsets {}", names.join(", "), known.join(", "))
                    }
                }
            };
            findings.push(
                Finding::new(
                    vs,
                    "IST0101",
                    Level::Error,
                    format!("{path}.subset"),
                    format!(
                        "Referenced host+subset in destinationrule not found: \"{host}+{subset}\": {context}, so requests routed here fail with 503{}",
                        did_you_mean(proposal.as_deref())
                    ),
                )
                .value(text(subset))
                .proposing(proposal.map(|p| text(&p))),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(items: &[Value]) -> Vec<Finding> {
        let package = Package::index(items, "shop");
        let mut findings = Vec::new();
        check(&package, &mut findings);
        findings
    }

    fn vs(host: &str, subset: &str) -> Value {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "r", "namespace": "shop"},
               "spec": {"hosts": ["r"], "http": [{"route": [{"destination": {"host": host, "subset": subset}}], "mirror": {"host": host}}]}})
    }

    fn dr(namespace: &str, host: &str, subsets: &[&str]) -> Value {
        let subsets: Vec<Value> =
            subsets.iter().map(|s| json!({"name": s, "labels": {"version": s}})).collect();
        json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "r", "namespace": namespace},
               "spec": {"host": host, "subsets": subsets}})
    }

    #[test]
    fn subsets_resolve_by_fully_qualified_host() {
        assert!(run(&[vs("reviews", "v1"), dr("shop", "reviews", &["v1"])]).is_empty());
        assert!(
            run(&[vs("reviews", "v1"), dr("other", "reviews.shop.svc.cluster.local", &["v1"])]).is_empty()
        );
        assert!(run(&[vs("reviews", "v1"), dr("shop", "*.shop.svc.cluster.local", &["v1"])]).is_empty());
        // Same short name, other namespace: another service.
        assert_eq!(run(&[vs("reviews", "v1"), dr("other", "reviews", &["v1"])]).len(), 1);
    }

    #[test]
    fn a_missing_subset_is_reported_with_the_ones_that_exist() {
        let found = run(&[vs("reviews", "v3"), dr("shop", "reviews", &["v1", "v2"])]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "spec.http[0].route[0].destination.subset");
        assert!(found[0].message.contains("defines subsets v1, v2"), "{}", found[0].message);
        let found = run(&[vs("reviews", "v1-canary"), dr("shop", "reviews", &["v1-canery"])]);
        assert_eq!(found[0].proposed, Some(json!("v1-canery")));
        let found = run(&[vs("reviews", "v1")]);
        assert!(found[0].message.contains("no DestinationRule"), "{}", found[0].message);
    }
}
