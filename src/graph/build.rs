//! The graph of a resolved config: nodes from the model, in the order traffic meets them, and the
//! generated objects attributed to them ([`super::provenance`]).

use super::provenance;
use super::{Edge, Flow, Graph, Group, GroupKind, Node, NodeKind, Provenance, sanitize};
use crate::api::v1alpha1::*;
use crate::krm::object::{self, ObjectId};
use crate::model::routes::{
    Backend, HttpAction, HttpMatchModel, MESH, PathRewrite, RedirectPort, RouteModel, StringMatch, ValueMatch,
};
use crate::model::{Model, Replicas, WorkloadModel};
use crate::render::Generated;
use crate::render::eastwest::{CACERTS, CROSS_NETWORK_GATEWAY, ISTIOD_GATEWAY};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The longest detail line kept whole; longer ones end in `…`.
const MAX_LINE: usize = 64;
/// The most detail lines of one kind listed on a node (rules of a route, rules of a policy).
const MAX_ITEMS: usize = 6;

/// Build the picture of `model`, whose rendered objects are `generated`. `inputs` are the other
/// objects of the package: hand-written VirtualServices bound to the config's gateways are drawn
/// too (dashed), so the picture shows every route into the gateways.
pub fn build(model: &Model, generated: &[Generated], inputs: &[Value]) -> Graph {
    let mut b =
        Builder { model, graph: Graph::default(), keys: BTreeMap::new(), backend_ports: BTreeMap::new() };
    b.graph.title = format!("MeshIngress {}", model.instance);
    for workload in &model.workloads {
        b.ingress_path(workload);
    }
    b.issuers();
    b.certificates();
    for gateway in &model.gateways {
        b.gateway(gateway);
    }
    b.edge_policies();
    b.demo_app();
    for route in model.routes.iter().chain(&model.demo_route) {
        b.route(route);
    }
    b.hand_written_routes(inputs);
    b.traffic_policies();
    b.mesh_policies();
    b.east_west();
    b.plugin_ca();
    b.control_plane();
    b.finish_backends();
    b.attribute(generated);
    b.title_routes_by_kind();
    b.order_groups();
    b.graph
}

struct Builder<'m> {
    model: &'m Model,
    graph: Graph,
    /// Node key (`gateway/external`) to node id.
    keys: BTreeMap<String, String>,
    /// Ports each backend node is reached on, to list them once all routes are in.
    backend_ports: BTreeMap<String, BTreeSet<u32>>,
}

/// The id of the group of `namespace`.
pub fn namespace_group_id(namespace: &str) -> String {
    format!("g_ns_{}", sanitize(namespace))
}

const OUTSIDE: &str = "g_outside";
const CLUSTER: &str = "g_cluster";

impl Builder<'_> {
    fn group(&mut self, id: &str, label: String, kind: GroupKind) -> String {
        if !self.graph.groups.iter().any(|g| g.id == id) {
            self.graph.groups.push(Group { id: id.to_string(), label, kind });
        }
        id.to_string()
    }

    fn outside(&mut self) -> String {
        self.group(OUTSIDE, "outside the cluster".to_string(), GroupKind::Outside)
    }

    fn cluster(&mut self) -> String {
        self.group(CLUSTER, "cluster-wide".to_string(), GroupKind::Cluster)
    }

    fn namespace(&mut self, namespace: &str) -> String {
        let model = self.model;
        let mut label = format!("namespace {namespace}");
        if namespace == model.spec.namespace {
            label.push_str(" · gateways");
        }
        if let Some(ns) = model.namespaces.iter().find(|n| n.name == namespace) {
            label.push_str(if ns.injection { " · sidecar injection" } else { " · application" });
        }
        if namespace == model.spec.mtls.root_namespace {
            label.push_str(" · mesh root");
        }
        self.group(&namespace_group_id(namespace), label, GroupKind::Namespace)
    }

    /// Add a node under `key` (once: a second call returns the first node's id).
    fn node(
        &mut self,
        key: &str,
        kind: NodeKind,
        group: String,
        rendered: bool,
        title: String,
        lines: Vec<String>,
    ) -> String {
        if let Some(id) = self.keys.get(key) {
            return id.clone();
        }
        let base = sanitize(key);
        let mut id = base.clone();
        let mut n = 2;
        while self.graph.nodes.iter().any(|node| node.id == id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        let lines = lines.into_iter().map(|l| shorten(&l)).collect();
        self.graph.nodes.push(Node { id: id.clone(), kind, title, lines, group, rendered });
        self.keys.insert(key.to_string(), id.clone());
        id
    }

    fn id(&self, key: &str) -> Option<String> {
        self.keys.get(key).cloned()
    }

    /// Add an edge; a second edge between the same nodes with the same meaning adds its label to
    /// the first.
    fn edge(&mut self, from: &str, to: &str, label: &str, flow: Flow) {
        let label = shorten(label);
        if let Some(edge) =
            self.graph.edges.iter_mut().find(|e| e.from == from && e.to == to && e.flow == flow)
        {
            if !label.is_empty() && !edge.label.split("; ").any(|l| l == label) {
                edge.label = if edge.label.is_empty() { label } else { format!("{}; {label}", edge.label) };
            }
            return;
        }
        self.graph.edges.push(Edge { from: from.to_string(), to: to.to_string(), label, flow });
    }

    /// Clients, load balancer, Service and pods of one gateway workload.
    fn ingress_path(&mut self, workload: &WorkloadModel) {
        let gateway = &workload.gateway;
        let ports: Vec<String> = workload
            .ports
            .iter()
            .filter(|(_, p)| *p != crate::model::STATUS_PORT)
            .map(|(_, p)| p.to_string())
            .collect();
        let outside = self.outside();
        let (clients_key, clients_title) = match (gateway.scope, workload.service_type) {
            (_, ServiceType::ClusterIP) if gateway.load_balancer.provider != Provider::AwsAlb => {
                ("clients/cluster", "clients in the cluster")
            }
            (Scope::External, _) => ("clients/internet", "clients on the internet"),
            (Scope::Internal, _) => ("clients/private", "clients in the private network"),
        };
        let clients = self.node(
            clients_key,
            NodeKind::Clients,
            outside.clone(),
            false,
            clients_title.to_string(),
            vec![],
        );
        let group = self.namespace(&workload.namespace);
        if workload.external {
            let pods = self.node(
                &format!("workload/{}", workload.name),
                NodeKind::Workload,
                group,
                false,
                format!("gateway pods {}", labels(&workload.labels)),
                vec!["managed elsewhere (workload.external)".to_string()],
            );
            self.edge(&clients, &pods, "through their own Service", Flow::Traffic);
            return;
        }
        let service_lines = vec![
            format!("{} · ports {}", workload.service_type.as_str(), ports.join(", ")),
            format!("status port {}", crate::model::STATUS_PORT),
        ];
        // `deployment: automated`: Istio deploys the pods and their Service under its own name, from
        // the settings the Gateway's parametersRef ConfigMap carries.
        let automated = self.model.gateways.iter().find(|g| g.workload == workload.name && g.automated());
        let mut lines = vec![match automated {
            Some(_) => "gateway pods deployed by Istio (deployment: automated)".to_string(),
            None => "gateway pods, like the istio/gateway chart".to_string(),
        }];
        lines.push(match &workload.replicas {
            Replicas::Fixed(n) => format!("{n} replicas"),
            Replicas::Autoscaled(a) => {
                format!("{}–{} replicas (HorizontalPodAutoscaler)", a.min_replicas, a.max_replicas)
            }
        });
        if workload.replicas.minimum() > 1 {
            lines.push("PodDisruptionBudget".to_string());
        }
        match automated {
            Some(gateway) => {
                lines.push(format!("selector gateway.networking.k8s.io/gateway-name={}", gateway.name))
            }
            None => lines.push(format!("selector {}", labels(&workload.labels))),
        }
        let pods = self.workload_chain(workload, &clients, &ports.join(", "), service_lines, lines);
        if let Some(gateway) = automated {
            let name = gateway.automated_name();
            let service = self.id(&format!("service/{}", workload.name));
            for node in self.graph.nodes.iter_mut() {
                if node.id == pods || Some(&node.id) == service.as_ref() {
                    let kind = if node.id == pods { "Deployment" } else { "Service" };
                    node.title = format!("{kind} {name}");
                    node.rendered = false;
                }
            }
        }
    }

    /// Load balancer, Service and pods of a rendered gateway workload, entered from `clients`; the
    /// pods' node id.
    fn workload_chain(
        &mut self,
        workload: &WorkloadModel,
        clients: &str,
        entry_label: &str,
        service_lines: Vec<String>,
        pod_lines: Vec<String>,
    ) -> String {
        let outside = self.outside();
        let group = self.namespace(&workload.namespace);
        let lb = self.load_balancer(workload, outside);
        let service = self.node(
            &format!("service/{}", workload.name),
            NodeKind::Service,
            group.clone(),
            true,
            format!("Service {}", workload.name),
            service_lines,
        );
        let pods = self.node(
            &format!("workload/{}", workload.name),
            NodeKind::Workload,
            group,
            true,
            format!("Deployment {}", workload.name),
            pod_lines,
        );
        let entry = lb.unwrap_or_else(|| service.clone());
        self.edge(clients, &entry, entry_label, Flow::Traffic);
        if entry != service {
            let load_balancer = &workload.gateway.load_balancer;
            let label = match (load_balancer.provider, load_balancer.target_type) {
                (Provider::AwsNlb | Provider::AwsAlb, TargetType::Ip) => "to pod IPs",
                (Provider::AwsNlb | Provider::AwsAlb, TargetType::Instance) => "to node ports",
                _ => "",
            };
            self.edge(&entry, &service, label, Flow::Traffic);
        }
        self.edge(&service, &pods, "", Flow::Traffic);
        pods
    }

    /// The load balancer in front of a workload's Service, when there is one.
    fn load_balancer(&mut self, workload: &WorkloadModel, outside: String) -> Option<String> {
        let gateway = &workload.gateway;
        let lb = &gateway.load_balancer;
        let scope = match gateway.scope {
            Scope::External => "internet-facing",
            Scope::Internal => "internal",
        };
        let named = |what: &str| match &lb.name {
            Some(name) => format!("{what} {name}"),
            None => what.to_string(),
        };
        let (title, mut lines) = match (lb.provider, workload.service_type) {
            (Provider::AwsAlb, _) => {
                let alb = lb.alb.clone().unwrap_or_default();
                let mut lines = vec![format!("{scope} · Ingress {} (class alb)", workload.name)];
                lines.push(if alb.certificate_arns.is_empty() {
                    "listeners 80, 443 · TLS ends here".to_string()
                } else {
                    format!("TLS ends here: {}", list(&alb.certificate_arns))
                });
                (named("AWS ALB"), lines)
            }
            (_, ServiceType::ClusterIP) => return None,
            (Provider::AwsNlb, _) => {
                let mut lines = vec![format!("{scope} · {} targets", lb.target_type.as_str())];
                if lb.cross_zone {
                    lines.push("cross-zone load balancing".to_string());
                }
                (named("AWS NLB"), lines)
            }
            (Provider::Gcp, _) => ("Google Cloud load balancer".to_string(), vec![scope.to_string()]),
            (Provider::Azure, _) => ("Azure load balancer".to_string(), vec![scope.to_string()]),
            (Provider::None, ServiceType::NodePort) => ("node ports".to_string(), vec![scope.to_string()]),
            (Provider::None, _) => ("cloud load balancer".to_string(), vec![scope.to_string()]),
        };
        if let Some(address) = &lb.static_address {
            let values: Vec<String> = address
                .eip_allocations
                .iter()
                .chain(&address.private_ipv4_addresses)
                .chain(&address.address_names)
                .chain(&address.public_ip_name)
                .chain(&address.ip)
                .cloned()
                .collect();
            lines.push(format!("static address {}", list(&values)));
        }
        if !lb.subnets.is_empty() {
            lines.push(format!("subnets {}", list(&lb.subnets)));
        }
        if gateway.external_dns.enabled && !workload.hosts.is_empty() {
            lines.push(format!("DNS {}", list(&workload.hosts)));
        }
        Some(self.node(&format!("lb/{}", workload.name), NodeKind::LoadBalancer, outside, true, title, lines))
    }

    fn issuers(&mut self) {
        for issuer in &self.model.issuers {
            let group = match issuer.kind {
                IssuerKind::ClusterIssuer => self.cluster(),
                IssuerKind::Issuer => {
                    let namespace = issuer
                        .namespaces
                        .first()
                        .cloned()
                        .unwrap_or_else(|| self.model.spec.namespace.clone());
                    self.namespace(&namespace)
                }
            };
            let mut lines = issuer_lines(&issuer.spec);
            if issuer.external {
                lines.insert(0, "exists in the cluster (external)".to_string());
            }
            self.node(
                &format!("issuer/{}", issuer.name),
                NodeKind::Issuer,
                group,
                !issuer.external,
                format!("{} {}", issuer.kind.as_str(), issuer.name),
                lines,
            );
        }
    }

    /// The node of the issuer `name`, created (dashed) when the config does not declare it.
    fn issuer_node(&mut self, name: &str, kind: IssuerKind) -> String {
        if let Some(id) = self.id(&format!("issuer/{name}")) {
            return id;
        }
        let group = self.cluster();
        self.node(
            &format!("issuer/{name}"),
            NodeKind::Issuer,
            group,
            false,
            format!("{} {name}", kind.as_str()),
            vec!["not in spec.issuers: must exist in the cluster".to_string()],
        )
    }

    fn certificates(&mut self) {
        for certificate in &self.model.certificates {
            let group = self.namespace(&certificate.namespace);
            let node = self.node(
                &format!("certificate/{}", certificate.name),
                NodeKind::Certificate,
                group.clone(),
                true,
                format!("Certificate {}", certificate.name),
                vec![format!("for {}", list(&certificate.dns_names))],
            );
            if !certificate.issuer.is_empty() {
                let issuer = self.issuer_node(&certificate.issuer, certificate.issuer_kind);
                self.edge(&issuer, &node, "issues", Flow::Config);
            }
            let secret =
                self.secret(&certificate.namespace, &certificate.secret_name, "written by cert-manager");
            self.edge(&node, &secret, "writes", Flow::Config);
        }
    }

    fn secret(&mut self, namespace: &str, name: &str, note: &str) -> String {
        let group = self.namespace(namespace);
        self.node(
            &format!("secret/{namespace}/{name}"),
            NodeKind::Secret,
            group,
            false,
            format!("Secret {name}"),
            vec![note.to_string()],
        )
    }

    fn gateway(&mut self, gateway: &crate::model::GatewayModel) {
        let group = self.namespace(&gateway.namespace);
        let mut lines = Vec::new();
        let mut api_servers = Vec::new();
        for server in &gateway.servers {
            let hosts = list(&server.hosts);
            let what = match (&server.tls, server.https_redirect) {
                (Some(tls), _) => {
                    format!("{} {} {} · {hosts}", server.protocol.as_str(), server.port, tls.mode.as_str())
                }
                (None, true) => format!("{} {} → HTTPS · {hosts}", server.protocol.as_str(), server.port),
                (None, false) => format!("{} {} · {hosts}", server.protocol.as_str(), server.port),
            };
            if gateway.served_by_gateway_api(server) {
                api_servers.push(what);
            } else {
                lines.push(what);
            }
        }
        let title = format!("Gateway {}", gateway.name);
        let node = self.node(
            &format!("gateway/{}", gateway.name),
            NodeKind::Gateway,
            group.clone(),
            true,
            title,
            lines,
        );
        if let Some(pods) = self.id(&format!("workload/{}", gateway.workload)) {
            self.edge(&pods, &node, "", Flow::Traffic);
        }
        for server in &gateway.servers {
            let Some(tls) = &server.tls else { continue };
            if tls.mode == TlsMode::Passthrough || tls.credential_name.is_empty() {
                continue;
            }
            let secret = match &tls.certificate {
                Some(_) => self.secret(&gateway.namespace, &tls.credential_name, "written by cert-manager"),
                None => self.secret(&gateway.namespace, &tls.credential_name, "provided outside this config"),
            };
            self.edge(&secret, &node, &format!("credentialName, port {}", server.port), Flow::Config);
            if let Some(ca) = tls.spec.as_ref().and_then(|t| t.client_ca.as_ref()) {
                let (name, what) = match (&ca.secret_name, &ca.config_map_name) {
                    (Some(secret), _) => (secret.clone(), "Secret"),
                    (None, Some(map)) => (map.clone(), "ConfigMap"),
                    (None, None) => continue,
                };
                let group = self.namespace(&gateway.namespace);
                let ca_node = self.node(
                    &format!("secret/{}/{name}", gateway.namespace),
                    NodeKind::Secret,
                    group,
                    false,
                    format!("{what} {name}"),
                    vec!["client CA bundle".to_string()],
                );
                self.edge(&ca_node, &node, &format!("client CA, port {}", server.port), Flow::Config);
            }
        }
        if !api_servers.is_empty() {
            let names = format!(
                "{} + HTTPRoute {}",
                crate::render::istio_gateway::http01_gateway_name(&gateway.name),
                crate::render::istio_gateway::redirect_route_name(&gateway.name)
            );
            api_servers.push("lets ACME HTTP-01 challenges through".to_string());
            let http = self.node(
                &format!("http01/{}", gateway.name),
                NodeKind::Gateway,
                group,
                true,
                format!("Gateway API Gateway {names}"),
                api_servers,
            );
            if let Some(pods) = self.id(&format!("workload/{}", gateway.workload)) {
                self.edge(&pods, &http, "port 80", Flow::Traffic);
            }
            for issuer in &self.model.issuers {
                let solves = issuer
                    .spec
                    .acme
                    .iter()
                    .flat_map(|a| &a.solvers)
                    .any(|s| s.http01.as_ref().is_some_and(|h| h.gateway == gateway.name));
                if let (true, Some(issuer)) = (solves, self.id(&format!("issuer/{}", issuer.name))) {
                    self.edge(&issuer, &http, "HTTP-01 challenges", Flow::Config);
                }
            }
        }
    }

    fn edge_policies(&mut self) {
        let access = &self.model.access;
        for target in &access.targets {
            if target.providers.is_empty() && target.rules.is_empty() {
                continue;
            }
            let mut lines = Vec::new();
            if !target.providers.is_empty() {
                let names: Vec<String> = target
                    .providers
                    .iter()
                    .filter_map(|&i| access.providers.get(i))
                    .map(|p| p.spec.name.clone())
                    .collect();
                lines.push(format!("JWT from {}", list(&names)));
            }
            for rule in target.rules.iter().take(MAX_ITEMS) {
                lines.push(format!("{} {}", rule.action().as_str(), rule_summary(rule)));
            }
            if target.rules.len() > MAX_ITEMS {
                lines.push(format!("… and {} more rules", target.rules.len() - MAX_ITEMS));
            }
            let group = self.namespace(&target.namespace);
            let node = self.node(
                &format!("access/{}", target.name),
                NodeKind::EdgePolicy,
                group,
                true,
                format!("edge policies on {}", target.workload),
                lines,
            );
            if let Some(pods) = self.id(&format!("workload/{}", target.workload)) {
                self.edge(&node, &pods, "enforced at the gateway", Flow::Config);
            }
        }
    }

    fn demo_app(&mut self) {
        let Some(demo) = &self.model.demo else { return };
        let group = self.namespace(&demo.namespace);
        self.node(
            &format!("backend/{}/{}", demo.namespace, demo.name),
            NodeKind::Backend,
            group,
            true,
            format!("demo app {}", demo.name),
            vec![
                format!("Deployment + Service, {} replica(s)", demo.replicas),
                format!("image {}", demo.image),
            ],
        );
    }

    /// The node a backend is drawn as: its Service, or the host.
    fn backend(&mut self, backend: &Backend, route_namespace: &str) -> String {
        let (key, namespace, title) = match &backend.service {
            Some(service) => (
                format!("backend/{}/{}", service.namespace, service.name),
                service.namespace.clone(),
                format!("Service {}", service.name),
            ),
            None => (
                format!("host/{}", backend.host),
                route_namespace.to_string(),
                format!("host {}", backend.host),
            ),
        };
        let group = self.namespace(&namespace);
        let id = self.node(&key, NodeKind::Backend, group, false, title, vec![]);
        if let Some(port) = backend.port {
            self.backend_ports.entry(id.clone()).or_default().insert(port);
        }
        id
    }

    fn route(&mut self, route: &RouteModel) {
        let group = self.namespace(&route.namespace);
        let mut lines = vec![format!("hosts {}", list(&route.hosts))];
        if route.binds_mesh() {
            lines.push("also for the mesh's sidecars".to_string());
        }
        let mut edges: Vec<(String, String)> = Vec::new();
        let mut answered = Vec::new();
        for rule in &route.http {
            let when = matches_summary(&rule.matches);
            match &rule.action {
                HttpAction::Forward(backends) => {
                    let split = backends.len() > 1;
                    for backend in backends {
                        let id = self.backend(backend, &route.namespace);
                        edges.push((id, backend_label(&when, backend, split)));
                    }
                }
                HttpAction::Redirect(redirect) => {
                    let mut to = String::new();
                    if let Some(scheme) = &redirect.scheme {
                        to.push_str(&format!("{scheme}://"));
                    }
                    if let Some(host) = &redirect.host {
                        to.push_str(host);
                    }
                    if let RedirectPort::Port(port) = redirect.port {
                        to.push_str(&format!(":{port}"));
                    }
                    if let Some(path) = &redirect.path {
                        to.push_str(path);
                    }
                    answered.push(format!("{when} → {} redirect {to}", redirect.code));
                }
                HttpAction::DirectResponse(response) => {
                    answered.push(format!("{when} → answers {}", response.status));
                }
            }
            if let Some(mirror) = &rule.mirror {
                let id = self.backend(&mirror.backend, &route.namespace);
                edges.push((id, format!("{when} · mirror {}%", mirror.percentage)));
            }
            if let Some(rewrite) = &rule.rewrite
                && let Some(PathRewrite::Prefix(to) | PathRewrite::Full(to)) = &rewrite.path
            {
                answered.push(format!("{when} rewritten to {to}"));
            }
        }
        for rule in &route.tls {
            let split = rule.backends.len() > 1;
            for backend in &rule.backends {
                let id = self.backend(backend, &route.namespace);
                edges.push((id, backend_label(&format!("SNI {}", list(&rule.sni_hosts)), backend, split)));
            }
        }
        for rule in &route.tcp {
            let split = rule.backends.len() > 1;
            let when = rule.port.map_or_else(|| "TCP".to_string(), |p| format!("TCP port {p}"));
            for backend in &rule.backends {
                let id = self.backend(backend, &route.namespace);
                edges.push((id, backend_label(&when, backend, split)));
            }
        }
        lines.extend(answered.iter().take(MAX_ITEMS).cloned());
        if answered.len() > MAX_ITEMS {
            lines.push(format!("… and {} more", answered.len() - MAX_ITEMS));
        }
        let node = self.node(
            &format!("route/{}/{}", route.namespace, route.name),
            NodeKind::Route,
            group,
            true,
            format!("VirtualService {}", route.name),
            lines,
        );
        for (gateway, _) in &route.gateways {
            if gateway == MESH {
                continue;
            }
            if let Some(gw) = self.id(&format!("gateway/{gateway}")) {
                self.edge(&gw, &node, "", Flow::Traffic);
            }
        }
        for (backend, label) in edges {
            self.edge(&node, &backend, &label, Flow::Traffic);
        }
    }

    /// VirtualServices in the package, not generated, bound to a gateway of this config.
    fn hand_written_routes(&mut self, inputs: &[Value]) {
        for item in inputs {
            let id = ObjectId::of(item);
            if id.group != "networking.istio.io"
                || id.kind != "VirtualService"
                || object::label(item, crate::render::labels::INSTANCE_LABEL).is_some()
            {
                continue;
            }
            let namespace =
                if id.namespace.is_empty() { "default".to_string() } else { id.namespace.clone() };
            let strings = |value: Option<&Value>| -> Vec<String> {
                value
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                    .unwrap_or_default()
            };
            let gateways: Vec<String> = strings(item.pointer("/spec/gateways"))
                .into_iter()
                .filter_map(|g| {
                    let (ns, name) =
                        g.split_once('/').map_or((namespace.as_str(), g.as_str()), |(n, g)| (n, g));
                    self.model
                        .gateways
                        .iter()
                        .find(|gw| gw.name == name && gw.namespace == ns)
                        .and_then(|gw| self.id(&format!("gateway/{}", gw.name)))
                })
                .collect();
            if gateways.is_empty() {
                continue;
            }
            let group = self.namespace(&namespace);
            let hosts = strings(item.pointer("/spec/hosts"));
            let node = self.node(
                &format!("route/{namespace}/{}", id.name),
                NodeKind::Route,
                group,
                false,
                format!("VirtualService {}", id.name),
                vec![format!("hosts {}", list(&hosts)), "written by hand (not generated)".to_string()],
            );
            for gateway in gateways {
                self.edge(&gateway, &node, "", Flow::Traffic);
            }
            let mut destinations = Vec::new();
            for section in ["http", "tls", "tcp"] {
                for rule in
                    item.pointer(&format!("/spec/{section}")).and_then(Value::as_array).into_iter().flatten()
                {
                    // `route[].destination` and `mirror` have the same shape.
                    let routes = rule.get("route").and_then(Value::as_array).into_iter().flatten();
                    let targets = routes
                        .map(|r| ("", r.get("destination"), r.get("weight")))
                        .chain(std::iter::once(("mirror", rule.get("mirror"), None)));
                    for (path, destination, weight) in targets {
                        let Some(destination) = destination else { continue };
                        let Some(host) = destination.get("host").and_then(Value::as_str) else { continue };
                        destinations.push(Backend {
                            path: path.to_string(),
                            host: host.to_string(),
                            service: crate::model::routes::ServiceRef::of_host(host, &namespace),
                            port: destination
                                .pointer("/port/number")
                                .and_then(Value::as_u64)
                                .and_then(|p| u32::try_from(p).ok()),
                            subset: destination.get("subset").and_then(Value::as_str).map(String::from),
                            weight: weight
                                .and_then(Value::as_u64)
                                .map_or(100, |w| u32::try_from(w).unwrap_or(u32::MAX)),
                        });
                    }
                }
            }
            for backend in destinations {
                let to = self.backend(&backend, &namespace);
                let split = backend.weight < 100;
                let label = if backend.path == "mirror" {
                    "mirror".to_string()
                } else {
                    backend_label("", &backend, split)
                };
                self.edge(&node, &to, &label, Flow::Traffic);
            }
        }
    }

    fn traffic_policies(&mut self) {
        for service in &self.model.services {
            let backend = Backend {
                path: String::new(),
                host: service.service.name.clone(),
                service: Some(service.service.clone()),
                port: None,
                subset: None,
                weight: 100,
            };
            let target = self.backend(&backend, &service.service.namespace);
            let mut lines = Vec::new();
            if !service.subsets.is_empty() {
                let subsets: Vec<String> =
                    service.subsets.iter().map(|s| format!("{} ({})", s.name, labels(&s.labels))).collect();
                lines.push(format!("subsets {}", list(&subsets)));
            }
            if let Some(tls) = &service.tls {
                lines.push(format!("TLS {}", tls.mode.as_str()));
            }
            if service.connection_pool.is_some() {
                lines.push("connection limits".to_string());
            }
            if service.outlier_detection.is_some() {
                lines.push("outlier detection".to_string());
            }
            if service.load_balancer.is_some() {
                lines.push("load balancing policy".to_string());
            }
            let group = self.namespace(&service.service.namespace);
            let node = self.node(
                &format!("destinationrule/{}/{}", service.service.namespace, service.service.name),
                NodeKind::TrafficPolicy,
                group,
                true,
                format!("DestinationRule {}", service.service.name),
                lines,
            );
            self.edge(&node, &target, "traffic policy", Flow::Config);
        }
    }

    fn mesh_policies(&mut self) {
        let model = self.model;
        for ns in &model.namespaces {
            let mut lines = vec![format!("PeerAuthentication default: {}", ns.mtls.as_str())];
            if ns.mtls == MtlsMode::Strict {
                lines.push("DestinationRule default-mtls: ISTIO_MUTUAL".to_string());
            }
            if ns.default_deny {
                let mut allowed = vec!["same namespace".to_string()];
                allowed.extend(ns.gateway_service_accounts.iter().map(|(n, a)| format!("{n}/{a}")));
                lines.push(format!("default deny; allowed: {}", list(&allowed)));
            }
            let group = self.namespace(&ns.name);
            let node = self.node(
                &format!("mesh/{}", ns.name),
                NodeKind::MeshPolicy,
                group.clone(),
                true,
                "mTLS and authorization".to_string(),
                lines,
            );
            let backends: Vec<String> = self
                .graph
                .nodes
                .iter()
                .filter(|n| n.group == group && n.kind == NodeKind::Backend)
                .map(|n| n.id.clone())
                .collect();
            for backend in backends {
                self.edge(&node, &backend, "", Flow::Config);
            }
        }
        let mut lines = Vec::new();
        if model.spec.mtls.mesh_wide {
            lines.push(format!("PeerAuthentication default (mesh-wide): {}", model.spec.mtls.mode.as_str()));
        }
        if let Some(telemetry) = &model.spec.telemetry {
            lines.push(format!(
                "Telemetry mesh-default: tracing {}% to {}",
                telemetry.sampling_percentage, telemetry.provider
            ));
        }
        if !lines.is_empty() {
            let group = self.namespace(&model.spec.mtls.root_namespace);
            self.node("meshwide", NodeKind::MeshPolicy, group, true, "mesh-wide settings".to_string(), lines);
        }
    }

    fn east_west(&mut self) {
        let model = self.model;
        let (Some(workload), Some(multicluster)) = (&model.east_west, &model.spec.multicluster) else {
            return;
        };
        let outside = self.outside();
        let clients = self.node(
            "clients/eastwest",
            NodeKind::Clients,
            outside.clone(),
            false,
            "other clusters of the mesh".to_string(),
            vec![format!("mesh {}", multicluster.mesh_id)],
        );
        let group = self.namespace(&workload.namespace);
        let ports: Vec<String> = workload.ports.iter().map(|(_, p)| p.to_string()).collect();
        let pods = self.workload_chain(
            workload,
            &clients,
            "mTLS 15443",
            vec![format!("{} · ports {}", workload.service_type.as_str(), ports.join(", "))],
            vec![
                "east-west gateway, like the istio/gateway chart's network gateway".to_string(),
                format!("network {}", multicluster.network),
            ],
        );
        let cross = self.node(
            &format!("gateway/{CROSS_NETWORK_GATEWAY}"),
            NodeKind::Gateway,
            group.clone(),
            true,
            format!("Gateway {CROSS_NETWORK_GATEWAY}"),
            vec!["TLS 15443 AUTO_PASSTHROUGH · *.local".to_string()],
        );
        self.edge(&pods, &cross, "", Flow::Traffic);
        let cluster = self.cluster();
        let services = self.node(
            "host/*.local",
            NodeKind::Backend,
            cluster,
            false,
            "services of this cluster".to_string(),
            vec!["*.local, mTLS end to end (SNI routing)".to_string()],
        );
        self.edge(&cross, &services, "", Flow::Traffic);
        if multicluster.east_west_gateway.expose_istiod {
            let istiod = self.istiod();
            let gw = self.node(
                &format!("gateway/{ISTIOD_GATEWAY}"),
                NodeKind::Gateway,
                group,
                true,
                format!("Gateway + VirtualService {ISTIOD_GATEWAY}"),
                vec!["TLS 15012 (xDS), 15017 (webhooks) PASSTHROUGH".to_string()],
            );
            self.edge(&pods, &gw, "", Flow::Traffic);
            self.edge(&gw, &istiod, "15012, 15017 → 443", Flow::Traffic);
        }
    }

    /// istiod, installed outside this config, in the mesh root namespace.
    fn istiod(&mut self) -> String {
        let model = self.model;
        let title = if model.spec.revision.is_empty() {
            "istiod".to_string()
        } else {
            format!("istiod-{}", model.spec.revision)
        };
        let group = self.namespace(&model.spec.mtls.root_namespace);
        match crate::render::control_plane::renders(model) {
            Some(cp) => {
                let lines = vec![
                    format!(
                        "spec.controlPlane: Istio {}, profile {}",
                        cp.spec.version,
                        cp.spec.profile.as_str()
                    ),
                    format!("delivered as {}", cp.delivery().as_str()),
                ];
                self.node("backend/istiod", NodeKind::Backend, group, true, title, lines)
            }
            None => self.node(
                "backend/istiod",
                NodeKind::Backend,
                group,
                false,
                title,
                vec!["installed outside this config".to_string()],
            ),
        }
    }

    /// The control plane this config renders (`spec.controlPlane`), drawn as istiod.
    fn control_plane(&mut self) {
        if crate::render::control_plane::renders(self.model).is_some() {
            self.istiod();
        }
    }

    /// The cluster's intermediate CA for istiod (`spec.multicluster.pluginCA`), with or without an
    /// east-west gateway.
    fn plugin_ca(&mut self) {
        let model = self.model;
        let Some(multicluster) = &model.spec.multicluster else { return };
        if multicluster.plugin_ca.issuer.is_empty() {
            return;
        }
        let root = &model.spec.mtls.root_namespace;
        let istiod = self.istiod();
        let group = self.namespace(root);
        let certificate = self.node(
            "certificate/plugin-ca",
            NodeKind::Certificate,
            group,
            true,
            format!("Certificate {CACERTS}"),
            vec![format!("intermediate CA of cluster {}", multicluster.cluster_name)],
        );
        let issuer = self.issuer_node(&multicluster.plugin_ca.issuer, IssuerKind::ClusterIssuer);
        self.edge(&issuer, &certificate, "issues", Flow::Config);
        let secret = self.secret(root, CACERTS, "written by cert-manager");
        self.edge(&certificate, &secret, "writes", Flow::Config);
        self.edge(&secret, &istiod, "plugin CA", Flow::Config);
    }

    /// List each backend's ports on its node.
    fn finish_backends(&mut self) {
        for node in &mut self.graph.nodes {
            if let Some(ports) = self.backend_ports.get(&node.id) {
                let ports: Vec<String> = ports.iter().map(u32::to_string).collect();
                node.lines.insert(0, format!("port {}", ports.join(", ")));
            }
            if node.kind == NodeKind::Backend && !node.rendered && node.title.starts_with("Service ") {
                node.lines.push("not rendered: your Service".to_string());
            }
        }
    }

    /// Attribute every generated object to a node or namespace group.
    fn attribute(&mut self, generated: &[Generated]) {
        for g in generated {
            let attribution = provenance::attribute(self.model, g);
            let target = attribution.as_ref().and_then(|(key, _)| match key.strip_prefix("ns/") {
                Some(namespace) => Some(self.namespace(namespace)),
                None => self.id(key),
            });
            let object = g.id();
            match (target, attribution) {
                (Some(node), Some((_, why))) => {
                    self.graph.objects.push(Provenance { object, node, why, explained: true })
                }
                _ => {
                    let group = if object.namespace.is_empty() {
                        self.cluster()
                    } else {
                        self.namespace(&object.namespace)
                    };
                    let node = self.node(
                        &format!("unexplained/{}", object.namespace),
                        NodeKind::Unexplained,
                        group,
                        true,
                        "other generated objects".to_string(),
                        vec![],
                    );
                    if let Some(n) = self.graph.nodes.iter_mut().find(|n| n.id == node) {
                        n.lines.push(shorten(&super::object_name(&object)));
                    }
                    let why =
                        format!("rendered by mesh-ingress from {} (no finer provenance recorded)", g.file);
                    self.graph.objects.push(Provenance { object, node, why, explained: false });
                }
            }
        }
    }

    /// A route node is titled by the kinds of its objects (`VirtualService shop`; `HTTPRoute +
    /// TLSRoute shop` when routes are rendered through the Gateway API).
    fn title_routes_by_kind(&mut self) {
        for node in self.graph.nodes.iter_mut().filter(|n| n.kind == NodeKind::Route && n.rendered) {
            let mut kinds: Vec<&str> = Vec::new();
            for object in self.graph.objects.iter().filter(|o| o.node == node.id) {
                if !kinds.contains(&object.object.kind.as_str()) {
                    kinds.push(&object.object.kind);
                }
            }
            if let (false, Some((_, name))) = (kinds.is_empty(), node.title.split_once(' ')) {
                node.title = format!("{} {name}", kinds.join(" + "));
            }
        }
    }

    /// Outside the cluster first, then cluster-wide, then namespaces in order of first use; groups
    /// without nodes or objects are left out.
    fn order_groups(&mut self) {
        let graph = &mut self.graph;
        let used: BTreeSet<String> = graph
            .nodes
            .iter()
            .map(|n| n.group.clone())
            .chain(graph.objects.iter().map(|o| o.node.clone()))
            .collect();
        graph.groups.retain(|g| used.contains(&g.id));
        graph.groups.sort_by_key(|g| g.kind);
    }
}

/// `a, b, c` for up to four items, else the first three and how many more.
pub fn list(items: &[String]) -> String {
    match items.len() {
        0 => "(none)".to_string(),
        1..=4 => items.join(", "),
        n => format!("{} and {} more", items[..3].join(", "), n - 3),
    }
}

/// A line cut to [`MAX_LINE`] characters.
pub fn shorten(line: &str) -> String {
    if line.chars().count() <= MAX_LINE {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(MAX_LINE - 1).collect();
    cut.push('…');
    cut
}

fn labels(labels: &BTreeMap<String, String>) -> String {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// What an issuer does, one line per fact: `ACME Let's Encrypt`, `DNS-01 through Route 53`.
pub fn issuer_lines(issuer: &Issuer) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(acme) = &issuer.acme {
        let server = match acme.server.as_str() {
            "production" | "" => "Let's Encrypt".to_string(),
            "staging" => "Let's Encrypt staging".to_string(),
            url => url.to_string(),
        };
        lines.push(format!("ACME {server}"));
        for solver in &acme.solvers {
            if let Some(http01) = &solver.http01 {
                lines.push(format!("HTTP-01 through gateway {}", http01.gateway));
            }
            if let Some(dns01) = &solver.dns01 {
                let provider = if dns01.route53.is_some() {
                    "Route 53"
                } else if dns01.cloudflare.is_some() {
                    "Cloudflare"
                } else if dns01.cloud_dns.is_some() {
                    "Google Cloud DNS"
                } else if dns01.azure_dns.is_some() {
                    "Azure DNS"
                } else if dns01.rfc2136.is_some() {
                    "RFC 2136"
                } else {
                    "webhook"
                };
                lines.push(format!("DNS-01 through {provider}"));
            }
        }
    }
    if let Some(ca) = &issuer.ca {
        lines.push(format!("CA key pair from Secret {}", ca.secret_name));
    }
    if issuer.self_signed.is_some() {
        lines.push("self-signed".to_string());
    }
    lines
}

fn string_match(m: &StringMatch) -> String {
    match m {
        StringMatch::Exact(s) => format!("={s}"),
        StringMatch::Prefix(s) => s.clone(),
        StringMatch::Regex(s) => format!("~{s}"),
    }
}

fn value_match(name: &str, m: &ValueMatch) -> String {
    match m {
        ValueMatch::Exact(s) => format!("{name}={s}"),
        ValueMatch::Prefix(s) => format!("{name}={s}*"),
        ValueMatch::Regex(s) => format!("{name}~{s}"),
        ValueMatch::Present => format!("{name} present"),
        ValueMatch::Absent => format!("{name} absent"),
    }
}

fn match_summary(m: &HttpMatchModel) -> String {
    let mut parts = Vec::new();
    if let Some(method) = &m.method {
        parts.push(method.clone());
    }
    if let Some(authority) = &m.authority {
        parts.push(format!("host {}", string_match(authority)));
    }
    if let Some(port) = m.port {
        parts.push(format!(":{port}"));
    }
    if let Some(uri) = &m.uri {
        parts.push(string_match(uri));
    }
    parts.extend(m.headers.iter().map(|(n, v)| value_match(n, v)));
    parts.extend(m.query_params.iter().map(|(n, v)| value_match(&format!("?{n}"), v)));
    if parts.is_empty() { "/".to_string() } else { parts.join(" ") }
}

/// The matches of a rule, short: `/api`, `/reviews x-canary absent | GET /admin`.
pub fn matches_summary(matches: &[HttpMatchModel]) -> String {
    if matches.is_empty() {
        return "/".to_string();
    }
    matches.iter().map(match_summary).collect::<Vec<_>>().join(" | ")
}

fn backend_label(when: &str, backend: &Backend, split: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !when.is_empty() {
        parts.push(when.to_string());
    }
    if let Some(subset) = &backend.subset {
        parts.push(subset.clone());
    }
    let mut label = parts.join(" · ");
    if split {
        label.push_str(&format!(" {}%", backend.weight));
    }
    label.trim().to_string()
}

fn rule_summary(model: &crate::model::access::RuleModel) -> String {
    let rule = &model.spec;
    // The rule's own name is shorter than its policy's (`<gateway>-<namespace>-<route>-<name>`).
    let name =
        rule.name.clone().unwrap_or_else(|| model.path.rsplit('.').next().unwrap_or_default().to_string());
    let mut parts = vec![name];
    let to = &rule.to;
    let scope: Vec<String> =
        to.hosts.iter().chain(&model.hosts).chain(&to.paths).chain(&to.methods).cloned().collect();
    if !scope.is_empty() {
        parts.push(list(&scope));
    }
    if let Some(provider) = &rule.provider {
        parts.push(format!("via {provider}"));
    }
    for source in rule.from.iter().take(2) {
        let mut who: Vec<String> = source.remote_ip_blocks.iter().chain(&source.ip_blocks).cloned().collect();
        if let Some(jwt) = &source.jwt {
            who.push(format!("JWT {}", jwt.providers.join("/")));
        }
        if !who.is_empty() {
            parts.push(format!("from {}", list(&who)));
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_short() {
        assert_eq!(list(&["a".into(), "b".into()]), "a, b");
        assert_eq!(list(&(0..6).map(|i| i.to_string()).collect::<Vec<_>>()), "0, 1, 2 and 3 more");
        assert_eq!(shorten(&"x".repeat(80)).chars().count(), MAX_LINE);
        let m = HttpMatchModel {
            path: String::new(),
            uri: Some(StringMatch::Prefix("/reviews".into())),
            headers: vec![("x-canary".into(), ValueMatch::Absent)],
            query_params: vec![],
            method: Some("GET".into()),
            port: None,
            authority: None,
        };
        assert_eq!(matches_summary(&[m]), "GET /reviews x-canary absent");
        assert_eq!(matches_summary(&[]), "/");
    }

    #[test]
    fn a_default_gateway_draws_the_whole_path_and_explains_every_object() {
        let spec = MeshIngressSpec {
            domains: vec!["shop.example.com".into()],
            gateways: vec![Gateway { name: "external".into(), ..Default::default() }],
            certificates: vec![Certificate {
                name: "shop-tls".into(),
                issuer: Some("corp".into()),
                ..Default::default()
            }],
            issuers: vec![Issuer { name: "corp".into(), external: true, ..Default::default() }],
            namespaces: vec![AppNamespace { name: "shop".into(), ..Default::default() }],
            routes: vec![Route {
                name: "shop".into(),
                namespace: "shop".into(),
                http: vec![HttpRule {
                    destination: Some(Destination {
                        host: "web".into(),
                        port: Some(80),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let model = crate::model::resolve("shop", &spec);
        let generated = crate::render::render(&model).unwrap();
        let graph = build(&model, &generated, &[]);
        assert!(graph.objects.iter().all(|o| o.explained), "{:#?}", graph.objects);
        let path = [
            "clients_internet",
            "lb_istio_ingressgateway_external",
            "service_istio_ingressgateway_external",
            "workload_istio_ingressgateway_external",
            "gateway_external",
            "route_shop_shop",
            "backend_shop_web",
        ];
        for pair in path.windows(2) {
            assert!(
                graph.edges.iter().any(|e| e.from == pair[0] && e.to == pair[1] && e.flow == Flow::Traffic),
                "no traffic edge {} -> {}: {:#?}",
                pair[0],
                pair[1],
                graph.edges
            );
        }
        let issuer = graph.node("issuer_corp").unwrap();
        assert!(!issuer.rendered, "an external issuer is drawn dashed");
        assert!(
            graph
                .edges
                .iter()
                .any(|e| e.from == "secret_istio_ingress_shop_tls" && e.to == "gateway_external")
        );
        assert_eq!(graph.node("backend_shop_web").unwrap().lines[0], "port 80");
    }
}
