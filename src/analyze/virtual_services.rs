//! VirtualServices and the Gateways they bind (istio/istio `analyzers/virtualservice/gateways.go`):
//!
//! - every entry of `spec.gateways` other than `mesh` names an Istio Gateway of the package (IST0101).
//!   A short name is a Gateway in the VirtualService's own namespace; `ns/name` one in `ns`.
//! - every bound Gateway serves at least one host of the VirtualService (IST0132); a Gateway host
//!   `ns/host` serves only VirtualServices of `ns`, `./host` only those of the Gateway's namespace,
//!   `*/host` and a bare host every namespace.
//! - beyond istioctl: when those hold and the VirtualService is not also bound to `mesh`, each of its
//!   hosts is served by one of its Gateways (IST0132 on that host), since a host no bound Gateway
//!   serves is a route nothing reaches.

use super::hosts::{gateway_host_for, overlap};
use super::package::{Package, same_namespace};
use super::{Finding, Level, did_you_mean, mappings, near_miss, strings, text};
use crate::model::HostPatterns;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// The reserved gateway name binding a VirtualService to every sidecar.
pub const MESH: &str = "mesh";

/// A `gateways` entry as namespace and name, resolved from the VirtualService's namespace.
pub fn resolve<'r>(reference: &'r str, vs_namespace: Option<&'r str>) -> (Option<&'r str>, &'r str) {
    match reference.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (vs_namespace, reference),
    }
}

/// The hosts Gateway `gateway` serves to VirtualServices in `vs_namespace`, in server order.
pub fn served_hosts<'a>(package: &Package<'a>, gateway: usize, vs_namespace: Option<&str>) -> Vec<&'a str> {
    let object = package.object(gateway);
    let mut out: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    let servers = object.value.get("spec").and_then(|s| s.get("servers"));
    for (_, server) in mappings(servers) {
        for (_, host) in strings(server.get("hosts")) {
            if let Some(host) = gateway_host_for(host, object.namespace, vs_namespace)
                && seen.insert(host)
            {
                out.push(host);
            }
        }
    }
    out
}

/// The hosts a Gateway serves to one namespace, indexed so that asking whether a host is served
/// costs a few hash lookups rather than a pass over every host: a package with thousands of domains
/// and routes asks it once per route host.
pub struct Served<'a> {
    /// The hosts, in server order (for messages).
    pub hosts: Vec<&'a str>,
    patterns: HostPatterns<'a>,
}

impl<'a> Served<'a> {
    /// Index `hosts`.
    pub fn new(hosts: Vec<&'a str>) -> Self {
        Served { patterns: HostPatterns::new(hosts.iter().copied()), hosts }
    }

    /// Whether one of the hosts overlaps `host` ([`overlap`]: equal, or a wildcard covers the other).
    pub fn serves(&self, host: &str) -> bool {
        if self.hosts.is_empty() {
            return false;
        }
        if host.starts_with('*') {
            // A wildcard host can cover served hosts of any length; such route hosts are few.
            return self.hosts.iter().any(|g| overlap(g, host));
        }
        // A plain host covers only itself, so only the served side's patterns can match.
        self.patterns.matches(host)
    }
}

/// Run the check over every VirtualService.
pub fn check(package: &Package<'_>, findings: &mut Vec<Finding>) {
    // Every VirtualService of a namespace bound to one Gateway asks about the same hosts.
    let mut cache: HashMap<(usize, Option<&str>), Rc<Served<'_>>> = HashMap::new();
    for &vs in &package.virtual_services {
        let object = package.object(vs);
        let Some(spec) = object.spec() else { continue };
        let hosts: Vec<(usize, &str)> = strings(spec.get("hosts")).collect();
        let references: Vec<(usize, &str)> = strings(spec.get("gateways")).collect();
        let to_mesh = references.is_empty() || references.iter().any(|(_, r)| *r == MESH);
        let mut bound: Vec<(usize, Rc<Served<'_>>)> = Vec::new();
        let mut complete = true;
        for &(index, reference) in &references {
            if reference == MESH {
                continue;
            }
            let path = format!("spec.gateways[{index}]");
            let (namespace, name) = resolve(reference, object.namespace);
            let found = package.gateways_named(namespace, name);
            if found.is_empty() {
                findings.push(missing_gateway(package, vs, &path, reference));
                complete = false;
                continue;
            }
            for gateway in found {
                let served = Rc::clone(cache.entry((gateway, object.namespace)).or_insert_with(|| {
                    Rc::new(Served::new(served_hosts(package, gateway, object.namespace)))
                }));
                // No hosts at all is a schema error, not a matter of this check.
                if !hosts.is_empty() && !hosts.iter().any(|(_, host)| served.serves(host)) {
                    let listed: Vec<&str> = hosts.iter().map(|(_, h)| *h).collect();
                    findings.push(
                        Finding::new(
                            vs,
                            "IST0132",
                            Level::Warning,
                            path.clone(),
                            format!(
                                "one or more host [{}] defined in VirtualService {} not found in Gateway {}, which serves {}; this route is unreachable through it",
                                listed.join(", "),
                                object.full_name(),
                                package.object(gateway).full_name(),
                                describe_hosts(&served.hosts)
                            ),
                        )
                        .value(text(reference)),
                    );
                    complete = false;
                }
                bound.push((gateway, served));
            }
        }
        if !complete || to_mesh || bound.is_empty() {
            continue;
        }
        for &(index, host) in &hosts {
            if bound.iter().any(|(_, served)| served.serves(host)) {
                continue;
            }
            let gateways: Vec<String> = bound
                .iter()
                .map(|(g, served)| {
                    format!("{} serves {}", package.object(*g).full_name(), describe_hosts(&served.hosts))
                })
                .collect();
            findings.push(
                Finding::new(
                    vs,
                    "IST0132",
                    Level::Warning,
                    format!("spec.hosts[{index}]"),
                    format!(
                        "host {host:?} is served by none of the Gateways this VirtualService binds ({}); requests for it never reach this route",
                        gateways.join("; ")
                    ),
                )
                .value(text(host)),
            );
        }
    }
}

fn describe_hosts(hosts: &[&str]) -> String {
    if hosts.is_empty() { "no host to this namespace".to_string() } else { hosts.join(", ") }
}

fn missing_gateway(package: &Package<'_>, vs: usize, path: &str, reference: &str) -> Finding {
    let object = package.object(vs);
    let (namespace, name) = resolve(reference, object.namespace);
    let qualified = reference.contains('/');
    let gateways: Vec<_> = package.gateways.iter().map(|&g| package.object(g)).collect();
    // A near miss of the name in the same namespace; else the same name in another namespace (a short
    // name resolves in the VirtualService's namespace, a common slip); else a near miss of the
    // namespace.
    let in_namespace: Vec<&str> =
        gateways.iter().filter(|g| same_namespace(g.namespace, namespace)).map(|g| g.name).collect();
    let elsewhere: Vec<String> =
        gateways.iter().filter(|g| g.name == name && g.namespace.is_some()).map(|g| g.full_name()).collect();
    let mut note = String::new();
    let proposal = if let Some(s) = near_miss(name, &in_namespace) {
        Some(match (qualified, namespace) {
            (true, Some(ns)) => format!("{ns}/{s}"),
            _ => s,
        })
    } else if let [only] = elsewhere.as_slice() {
        if !qualified {
            note = format!(
                " (a short name refers to a Gateway in the VirtualService's own namespace {:?})",
                namespace.unwrap_or_default()
            );
        }
        Some(only.clone())
    } else if qualified {
        let namespaces: Vec<&str> =
            gateways.iter().filter(|g| g.name == name).filter_map(|g| g.namespace).collect();
        near_miss(namespace.unwrap_or_default(), &namespaces).map(|ns| format!("{ns}/{name}"))
    } else {
        None
    };
    let target = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    Finding::new(
        vs,
        "IST0101",
        Level::Error,
        path.to_string(),
        format!(
            "Referenced gateway not found: {reference:?}: the package holds no Istio Gateway {target}{note}{}",
            did_you_mean(proposal.as_deref())
        ),
    )
    .value(text(reference))
    .proposing(proposal.map(|p| text(&p)))
}

#[cfg(test)]
mod tests {
    use super::super::package::Package;
    use super::*;
    use serde_json::{Value, json};

    fn gateway(namespace: &str, name: &str, hosts: &[&str]) -> Value {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": namespace},
               "spec": {"selector": {"istio": "gw"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts}]}})
    }

    fn vs(namespace: &str, gateways: &[&str], hosts: &[&str]) -> Value {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "app", "namespace": namespace},
               "spec": {"hosts": hosts, "gateways": gateways, "http": [{"route": [{"destination": {"host": "app"}}]}]}})
    }

    fn run(items: &[Value]) -> Vec<Finding> {
        let package = Package::index(items, "shop");
        let mut findings = Vec::new();
        check(&package, &mut findings);
        findings
    }

    #[test]
    fn the_host_index_answers_as_overlap_does() {
        let hosts = [
            "shop.example.com",
            "*.example.com",
            "*.internal.example.org",
            "a.b.c",
            "*ample.net",
            "ü.example.de",
        ];
        let queries = [
            "shop.example.com",
            "x.example.com",
            "example.com",
            "*.example.com",
            "*.shop.example.com",
            "a.internal.example.org",
            "internal.example.org",
            "*.example.org",
            "*",
            "a.b.c",
            "b.c",
            "example.net",
            "ample.net",
            "*.net",
            "ü.example.de",
            "x.ü.example.de",
            "",
        ];
        for n in 0..=hosts.len() {
            let served = Served::new(hosts[..n].to_vec());
            for query in queries {
                let expected = hosts[..n].iter().any(|g| overlap(g, query));
                assert_eq!(served.serves(query), expected, "{query:?} against {:?}", &hosts[..n]);
            }
        }
        assert!(Served::new(vec!["*"]).serves("anything.example.com"));
    }

    #[test]
    fn a_typo_in_a_gateway_reference_gets_a_suggestion() {
        let found = run(&[
            gateway("istio-ingress", "external", &["*.example.com"]),
            vs("shop", &["istio-ingress/externl"], &["a.example.com"]),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "IST0101");
        assert_eq!(found[0].path, "spec.gateways[0]");
        assert_eq!(found[0].proposed, Some(json!("istio-ingress/external")));
        assert!(found[0].message.contains("did you mean \"istio-ingress/external\""), "{}", found[0].message);
    }

    #[test]
    fn a_short_name_resolves_in_the_virtual_service_namespace() {
        let found =
            run(&[gateway("istio-ingress", "external", &["*"]), vs("shop", &["external"], &["a.com"])]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].proposed, Some(json!("istio-ingress/external")));
        assert!(found[0].message.contains("own namespace"), "{}", found[0].message);
        assert!(
            run(&[gateway("shop", "external", &["*"]), vs("shop", &["external"], &["a.com"])]).is_empty()
        );
        assert!(run(&[gateway("istio-ingress", "x", &["*"]), vs("shop", &["mesh"], &["a.com"])]).is_empty());
    }

    #[test]
    fn hosts_must_be_served_by_the_bound_gateways() {
        let found = run(&[
            gateway("istio-ingress", "external", &["*.example.com"]),
            vs("shop", &["istio-ingress/external"], &["a.example.org"]),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].code, found[0].path.as_str()), ("IST0132", "spec.gateways[0]"));

        // Namespace-scoped gateway hosts serve only their namespace.
        let found = run(&[
            gateway("istio-ingress", "external", &["other/a.example.com"]),
            vs("shop", &["istio-ingress/external"], &["a.example.com"]),
        ]);
        assert_eq!(found.len(), 1);
        assert!(
            run(&[
                gateway("istio-ingress", "external", &["shop/a.example.com", "./b.example.com"]),
                vs("shop", &["istio-ingress/external"], &["a.example.com"]),
            ])
            .is_empty()
        );

        // One host of two unserved: reported on the host.
        let found = run(&[
            gateway("istio-ingress", "external", &["a.example.com"]),
            vs("shop", &["istio-ingress/external"], &["a.example.com", "b.example.com"]),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].code, found[0].path.as_str()), ("IST0132", "spec.hosts[1]"));
        // ... unless the VirtualService also binds the mesh.
        assert!(
            run(&[
                gateway("istio-ingress", "external", &["a.example.com"]),
                vs("shop", &["istio-ingress/external", "mesh"], &["a.example.com", "b"]),
            ])
            .is_empty()
        );
    }
}
