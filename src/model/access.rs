//! Edge access resolved onto the places it is enforced: JWT providers and access rules grouped by
//! *target*, the unit a policy attaches to.
//!
//! Today a target is a gateway workload (policies select its pod labels in the gateway namespace);
//! gateways that share a workload share a target. A Gateway API rendering attaches the same
//! policies to each Gateway (`targetRefs`) instead: it needs one target per gateway and nothing
//! else changes, which is why the renderers take a [`TargetModel`] rather than a workload.

use super::{GatewayModel, RouteModel, WorkloadModel};
use crate::api::v1alpha1::{AccessAction, AccessRule, JwtProvider, MeshIngressSpec, ServerProtocol};
use std::collections::BTreeMap;

/// The reserved route gateway that binds a route to the mesh's sidecars (no gateway workload).
const MESH: &str = "mesh";

/// Edge access, resolved.
#[derive(Clone, Debug, Default)]
pub struct AccessModel {
    /// `spec.jwtProviders`, in spec order.
    pub providers: Vec<ProviderModel>,
    /// One entry per gateway workload, in workload order; targets without rules or providers are
    /// listed too (they render nothing).
    pub targets: Vec<TargetModel>,
}

/// A JWT provider.
#[derive(Clone, Debug)]
pub struct ProviderModel {
    /// Field path (`spec.jwtProviders[0]`).
    pub path: String,
    /// The spec entry.
    pub spec: JwtProvider,
}

/// Where policies attach.
#[derive(Clone, Debug)]
pub struct TargetModel {
    /// Name of the target's first gateway: the prefix of its RequestAuthentication's name.
    pub name: String,
    /// Namespace of the policies (the gateway pods' namespace).
    pub namespace: String,
    /// The workload name.
    pub workload: String,
    /// Pod labels the policies select (the Istio Gateway selector).
    pub selector: BTreeMap<String, String>,
    /// Indexes into [`super::Model::gateways`] of the gateways served by the target.
    pub gateways: Vec<usize>,
    /// Indexes into [`AccessModel::providers`] of the JWT providers validated here, in spec order.
    pub providers: Vec<usize>,
    /// Access rules enforced here: the gateways' rules first, then the routes' rules.
    pub rules: Vec<RuleModel>,
    /// Ports of `HTTP` and `HTTPS` servers, ascending.
    pub http_ports: Vec<u32>,
    /// Ports of other (`TLS`) servers, where only connection-level conditions apply, ascending.
    pub tcp_ports: Vec<u32>,
    /// Ports where every server redirects to HTTPS (so no request reaches a backend, except ACME
    /// HTTP-01 challenges), ascending.
    pub redirect_ports: Vec<u32>,
    /// Whether an ACME HTTP-01 solver answers challenges through one of the target's gateways.
    pub http01: bool,
    /// The Gateway API Gateway whose pods these are ([`super::gateway_api_owner`]): its policies
    /// attach with `targetRefs` to it.
    pub gateway_api: Option<String>,
}

/// An access rule on a target.
#[derive(Clone, Debug)]
pub struct RuleModel {
    /// Field path of the rule (`spec.gateways[0].access[1]`, `spec.routes[2].access[0]`).
    pub path: String,
    /// Name of the AuthorizationPolicy.
    pub policy: String,
    /// The rule as written.
    pub spec: AccessRule,
    /// Index of the gateway the rule applies through.
    pub gateway: usize,
    /// Index into [`super::Model::routes`] for a route rule.
    pub route: Option<usize>,
    /// Hosts the rule is limited to (not yet expanded for ports); empty: any host.
    pub hosts: Vec<String>,
    /// Ports the rule is limited to besides `to.ports` (a gateway rule on a shared workload whose
    /// ports are its own); empty: no such limit.
    pub ports: Vec<u32>,
}

impl RuleModel {
    /// The rule's action.
    pub fn action(&self) -> AccessAction {
        self.spec.action
    }
}

/// The default name of the access rule at `index`.
pub fn default_rule_name(index: usize) -> String {
    format!("access-{index}")
}

/// The rule's name: written or defaulted.
fn rule_name(rule: &AccessRule, index: usize) -> String {
    rule.name.clone().unwrap_or_else(|| default_rule_name(index))
}

/// The host part of a server host (`ns/host`, `./host` and `*/host` name a namespace first).
pub fn server_host(host: &str) -> &str {
    host.rsplit_once('/').map_or(host, |(_, h)| h)
}

/// Resolve the access part of a spec.
pub fn resolve(
    spec: &MeshIngressSpec,
    gateways: &[GatewayModel],
    workloads: &[WorkloadModel],
    routes: &[RouteModel],
) -> AccessModel {
    let providers: Vec<ProviderModel> = spec
        .jwt_providers
        .iter()
        .enumerate()
        .map(|(i, p)| ProviderModel { path: format!("spec.jwtProviders[{i}]"), spec: p.clone() })
        .collect();
    let mut targets: Vec<TargetModel> = workloads
        .iter()
        .map(|workload| {
            let mut http_ports = Vec::new();
            let mut tcp_ports = Vec::new();
            for &g in &workload.gateways {
                for server in &gateways[g].servers {
                    match server.protocol {
                        ServerProtocol::Http | ServerProtocol::Https => http_ports.push(server.port),
                        ServerProtocol::Tls | ServerProtocol::Tcp => tcp_ports.push(server.port),
                    }
                }
            }
            for ports in [&mut http_ports, &mut tcp_ports] {
                ports.sort_unstable();
                ports.dedup();
            }
            let servers_on = |port: u32| {
                workload
                    .gateways
                    .iter()
                    .flat_map(|&g| gateways[g].servers.iter())
                    .filter(move |s| s.port == port)
            };
            let redirect_ports: Vec<u32> = http_ports
                .iter()
                .copied()
                .filter(|&p| servers_on(p).all(|s| s.protocol == ServerProtocol::Http && s.https_redirect))
                .collect();
            TargetModel {
                name: workload.gateways.first().map(|&g| gateways[g].name.clone()).unwrap_or_default(),
                namespace: workload.namespace.clone(),
                workload: workload.name.clone(),
                selector: workload.labels.clone(),
                gateways: workload.gateways.clone(),
                providers: Vec::new(),
                rules: Vec::new(),
                http_ports,
                tcp_ports,
                redirect_ports,
                http01: workload.gateways.iter().any(|&g| gateways[g].http01),
                gateway_api: super::gateway_api_owner(gateways, &workload.gateways, workload.external)
                    .map(str::to_string),
            }
        })
        .collect();
    let target_of = |gateway: usize| targets.iter().position(|t| t.gateways.contains(&gateway));

    // Gateway rules.
    let mut placed: Vec<(usize, RuleModel)> = Vec::new();
    for (gi, gateway) in gateways.iter().enumerate() {
        let Some(ti) = target_of(gi) else { continue };
        let (hosts, ports) = gateway_scope(gateways, &targets[ti], gi);
        for (ri, rule) in gateway.spec.access.iter().enumerate() {
            placed.push((
                ti,
                RuleModel {
                    path: format!("{}.access[{ri}]", gateway.path),
                    policy: format!("{}-{}", gateway.name, rule_name(rule, ri)),
                    spec: rule.clone(),
                    gateway: gi,
                    route: None,
                    hosts: if rule.to.hosts.is_empty() { hosts.clone() } else { rule.to.hosts.clone() },
                    ports: ports.clone(),
                },
            ));
        }
    }

    // Route rules: once per target the route reaches, named after the first gateway it binds there.
    for (ri, route) in routes.iter().enumerate() {
        let Some(spec_route) = spec.routes.get(ri) else { continue };
        let mut reached: Vec<usize> = Vec::new();
        for (name, _) in &route.gateways {
            if name == MESH {
                continue;
            }
            let Some(gi) = gateways.iter().position(|g| &g.name == name) else { continue };
            let Some(ti) = target_of(gi) else { continue };
            if reached.contains(&ti) {
                continue;
            }
            reached.push(ti);
            let shared = targets[ti].gateways.len() > 1;
            for (ai, rule) in spec_route.access.iter().enumerate() {
                let mut hosts =
                    if rule.to.hosts.is_empty() { route.hosts.clone() } else { rule.to.hosts.clone() };
                if hosts.iter().any(|h| h == "*") {
                    // `*` is every host of the gateway; on a shared workload, only this gateway's.
                    hosts = if shared { gateway_hosts(&gateways[gi]) } else { Vec::new() };
                }
                placed.push((
                    ti,
                    RuleModel {
                        path: format!("{}.access[{ai}]", route.path),
                        policy: format!(
                            "{}-{}-{}-{}",
                            name,
                            route.namespace,
                            route.name,
                            rule_name(rule, ai)
                        ),
                        spec: rule.clone(),
                        gateway: gi,
                        route: Some(ri),
                        hosts,
                        ports: Vec::new(),
                    },
                ));
            }
        }
    }
    for (ti, rule) in placed {
        targets[ti].rules.push(rule);
    }

    // Providers: where rules name them, and where they are attached explicitly.
    for target in &mut targets {
        let mut used: Vec<usize> = Vec::new();
        for (pi, provider) in providers.iter().enumerate() {
            let explicit = provider
                .spec
                .gateways
                .iter()
                .any(|g| target.gateways.iter().any(|&t| &gateways[t].name == g));
            let named = target.rules.iter().any(|r| {
                r.spec
                    .from
                    .iter()
                    .filter_map(|f| f.jwt.as_ref())
                    .any(|j| j.providers.contains(&provider.spec.name))
            });
            if explicit || named {
                used.push(pi);
            }
        }
        target.providers = used;
    }
    AccessModel { providers, targets }
}

/// Every host a gateway's servers serve, without namespace prefixes, sorted.
pub fn gateway_hosts(gateway: &GatewayModel) -> Vec<String> {
    let mut hosts: Vec<String> = gateway.hosts().iter().map(|h| server_host(h).to_string()).collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The implicit scope of a gateway rule: none on a workload of its own; on a shared workload, the
/// gateway's own ports when no other gateway of the workload uses them (this also covers TLS
/// servers), else its hosts.
fn gateway_scope(gateways: &[GatewayModel], target: &TargetModel, gateway: usize) -> (Vec<String>, Vec<u32>) {
    if target.gateways.len() < 2 {
        return (Vec::new(), Vec::new());
    }
    let own: Vec<u32> = gateways[gateway].servers.iter().map(|s| s.port).collect();
    let others_use = target
        .gateways
        .iter()
        .filter(|&&g| g != gateway)
        .any(|&g| gateways[g].servers.iter().any(|s| own.contains(&s.port)));
    if others_use {
        (gateway_hosts(&gateways[gateway]), Vec::new())
    } else {
        let mut ports = own;
        ports.sort_unstable();
        ports.dedup();
        (Vec::new(), ports)
    }
}

#[cfg(test)]
mod tests {
    use crate::api::v1alpha1::*;
    use crate::model::resolve;

    fn spec(yaml: serde_json::Value) -> MeshIngressSpec {
        serde_json::from_value(yaml).unwrap()
    }

    #[test]
    fn rules_land_on_the_workload_and_providers_where_used() {
        let spec = spec(serde_json::json!({
            "domains": ["a.example.com"],
            "gateways": [
                {"name": "public", "workload": {"name": "istio-ingressgateway"}},
                {"name": "partner", "workload": {"name": "istio-ingressgateway"},
                 "servers": [{"port": 8443, "protocol": "HTTPS", "hosts": ["p.example.com"]}],
                 "access": [{"from": [{"jwt": {"providers": ["idp"]}}]}]},
                {"name": "other"}
            ],
            "jwtProviders": [
                {"name": "idp", "issuer": "https://idp.example.com"},
                {"name": "spare", "issuer": "https://spare.example.com", "gateways": ["other"]}
            ],
            "routes": [{"name": "r", "namespace": "n", "gateways": ["public", "partner"],
                        "access": [{"action": "DENY", "to": {"paths": ["/x"]}}]}]
        }));
        let model = resolve("t", &spec);
        let shared = &model.access.targets[0];
        assert_eq!(shared.gateways, [0, 1]);
        assert_eq!(shared.providers, [0]);
        // The partner gateway's own port is its scope on the shared workload.
        assert_eq!(shared.rules[0].policy, "partner-access-0");
        assert_eq!(shared.rules[0].ports, [8443]);
        // The route binds both gateways of one workload: one policy, named after the first.
        let route_rules: Vec<_> = shared.rules.iter().filter(|r| r.route.is_some()).collect();
        assert_eq!(route_rules.len(), 1);
        assert_eq!(route_rules[0].policy, "public-n-r-access-0");
        assert_eq!(route_rules[0].hosts, ["a.example.com"]);
        assert_eq!(shared.redirect_ports, [80]);
        assert_eq!(model.access.targets[1].providers, [1]);
    }
}
