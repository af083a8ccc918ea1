//! Mesh rules: application namespaces and the demo app (routes are in [`super::routes`]).

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::*;
use crate::model::{HostPatterns, Model, istio_host_matches, server_host_admits, server_host_name};
use crate::render::namespaces::is_system_namespace;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Run the mesh rules.
pub fn check(model: &Model, f: &mut Findings) {
    namespaces(model, f);
    demo(model, f);
}

fn namespaces(model: &Model, f: &mut Findings) {
    for (ni, ns) in model.namespaces.iter().enumerate() {
        let at = format!("{}.name", ns.path);
        f.name(&at, "namespace", &ns.name, names::dns1123_label);
        if model.namespaces[..ni].iter().any(|other| other.name == ns.name) {
            f.error(&at, text(&ns.name), format!("namespace {:?} is listed twice", ns.name));
        }
        if ns.name == model.spec.namespace {
            f.error(
                &at,
                text(&ns.name),
                format!(
                    "{:?} is the gateway namespace (spec.namespace), which this config manages already; its pods opt into injection themselves and must not get namespace-wide mTLS rules",
                    ns.name
                ),
            );
        } else if ns.name == model.spec.mtls.root_namespace {
            f.error(
                &at,
                text(&ns.name),
                format!(
                    "{:?} is the mesh root namespace, where a PeerAuthentication applies mesh-wide; use spec.mtls.meshWide: true instead",
                    ns.name
                ),
            );
        } else if let Some(gateway) = model.gateways.iter().find(|g| g.external && g.namespace == ns.name) {
            f.error(
                &at,
                text(&ns.name),
                format!(
                    "{:?} is the namespace of the external gateway workload of {}, which its own installer manages; namespace-wide mTLS rules there would change those gateways",
                    ns.name, gateway.path
                ),
            );
        } else if is_system_namespace(&ns.name) {
            f.error(
                &at,
                text(&ns.name),
                format!("namespace {:?} belongs to Kubernetes; choose an application namespace", ns.name),
            );
        }
        if !ns.injection && ns.mtls == MtlsMode::Strict {
            f.error(
                format!("{}.mtls", ns.path),
                text("STRICT"),
                format!(
                    "namespace {:?} has no sidecars (injection: false), so STRICT mTLS and the ISTIO_MUTUAL DestinationRule would break every call into it; set mtls: PERMISSIVE or injection: true",
                    ns.name
                ),
            );
        }
        if !ns.injection && ns.default_deny {
            f.warning(
                format!("{}.authorization.defaultDeny", ns.path),
                Some(json!(true)),
                "authorization policies are enforced by sidecars, and this namespace has injection: false",
            );
        }
    }
}

/// Whether a gateway of this config has the name; if not, an IST0101 error with a suggestion.
pub fn gateway_exists(model: &Model, name: &str, at: &str, f: &mut Findings) -> bool {
    if model.gateways.iter().any(|g| g.name == name) {
        return true;
    }
    if model.gateways.is_empty() {
        // Only an east-west gateway: nothing for a route to bind.
        f.error(
            at,
            text(name),
            "Referenced gateway not found: spec.gateways is empty; add an ingress gateway to route through",
        )
        .set_code("IST0101");
        return false;
    }
    let known: Vec<&str> = model.gateways.iter().map(|g| g.name.as_str()).collect();
    let mut message = format!("Referenced gateway not found: {name:?} is not in spec.gateways");
    if let Some(s) = crate::api::decode::suggest(name, &known) {
        message.push_str(&format!("; did you mean {s:?}?"));
    }
    f.error(at, text(name), message).set_code("IST0101");
    false
}

/// The hosts of each gateway's Istio servers as the routes of one namespace see them, built once per
/// gateway and namespace and shared by every route there.
#[derive(Default)]
pub struct ServedHosts<'m> {
    by_gateway: HashMap<(&'m str, &'m str), (Vec<&'m str>, HostPatterns<'m>)>,
}

/// Every host of a VirtualService must be served by each gateway it binds (IST0132); otherwise the
/// route never receives traffic through that gateway. A server host's namespace part (`shop/`, `./`)
/// admits only VirtualServices of that namespace.
pub fn hosts_served<'m>(
    model: &'m Model,
    gateway: &str,
    hosts: &[String],
    hosts_path: &str,
    (route_namespace, what): (&'m str, &str),
    cache: &mut ServedHosts<'m>,
    f: &mut Findings,
) {
    let Some(gateway) = model.gateways.iter().find(|g| g.name == gateway) else {
        return;
    };
    let (served, admitted) =
        cache.by_gateway.entry((gateway.name.as_str(), route_namespace)).or_insert_with(|| {
            let served: Vec<&str> = gateway
                .servers
                .iter()
                .filter(|s| !gateway.served_by_gateway_api(s))
                .flat_map(|s| s.hosts.iter().map(String::as_str))
                .collect();
            let admitted = HostPatterns::new(
                served
                    .iter()
                    .filter(|pattern| server_host_admits(pattern, route_namespace, &gateway.namespace))
                    .map(|pattern| server_host_name(pattern)),
            );
            (served, admitted)
        });
    for host in hosts {
        if !admitted.matches(host) {
            f.error(
                hosts_path,
                text(host),
                format!(
                    "one or more host {host:?} defined in VirtualService {what} not found in Gateway {:?} (serves: {}); {}",
                    gateway.name,
                    served.join(", "),
                    if served.iter().any(|p| istio_host_matches(server_host_name(p), host)) {
                        format!(
                            "the servers that match it admit VirtualServices of other namespaces only (a \"<namespace>/\" host prefix); route from one of those or widen the prefix to \"*/\" (this route is in {route_namespace})"
                        )
                    } else {
                        "add it to the gateway's hosts or spec.domains".to_string()
                    }
                ),
            )
            .set_code("IST0132");
        }
    }
}

fn demo(model: &Model, f: &mut Findings) {
    let Some(demo) = &model.demo else { return };
    let spec = &model.spec.demo_app;
    f.name("spec.demoApp.name", "demo app name", &demo.name, names::dns1035_label);
    if demo.namespace.is_empty() {
        f.error(
            "spec.demoApp.namespace",
            None,
            "the demo app needs a namespace: set demoApp.namespace or list one in spec.namespaces",
        );
    } else {
        let at = if spec.namespace.is_some() { "spec.demoApp.namespace" } else { "spec.namespaces[0].name" };
        f.name(at, "namespace", &demo.namespace, names::dns1123_label);
    }
    let host_at = if spec.host.is_some() { "spec.demoApp.host" } else { "spec.domains[0]" };
    if demo.host.is_empty() {
        f.error("spec.demoApp.host", None, "the demo app needs a host: set demoApp.host or spec.domains");
    } else if let Err(reason) = names::host(&demo.host, false) {
        f.error(host_at, text(&demo.host), format!("demo host {:?} is not valid: {reason}", demo.host));
    }
    let gateway_at = if spec.gateway.is_some() { "spec.demoApp.gateway" } else { "spec.gateways" };
    if !demo.gateway.is_empty()
        && gateway_exists(model, &demo.gateway, gateway_at, f)
        && !demo.host.is_empty()
    {
        hosts_served(
            model,
            &demo.gateway,
            std::slice::from_ref(&demo.host),
            host_at,
            (&demo.namespace, &format!("{}/{}", demo.namespace, demo.name)),
            &mut ServedHosts::default(),
            f,
        );
    }
    if demo.replicas == 0 {
        f.warning("spec.demoApp.replicas", Some(json!(0)), "replicas is 0: the demo app will have no pods");
    }
    if spec.image.contains(':') && !spec.image.contains('@') && spec.image.ends_with(":latest") {
        f.warning(
            "spec.demoApp.image",
            Some(Value::String(spec.image.clone())),
            "pin the image by digest (`repo@sha256:...`) instead of :latest",
        );
    }
}
