//! The resolved model: the spec with every default applied and every cross-reference looked up.
//!
//! Resolution never fails. A reference that points nowhere resolves to an empty value, and
//! [`crate::validate`] reports it, with the field path of the spec text it came from. Rendering
//! only runs on a model that validated without errors.

pub mod access;
pub mod control_plane;
pub mod defaults;
pub mod routes;

use crate::api::v1alpha1::*;
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;

pub use routes::{RouteModel, ServiceModel};

/// The resolved config.
#[derive(Clone, Debug)]
pub struct Model {
    /// Instance name.
    pub instance: String,
    /// The spec as written (defaults from serde applied), with the default certificate and issuer
    /// added when the config names none ([`defaults::apply`]).
    pub spec: MeshIngressSpec,
    /// What [`defaults::apply`] added to the spec.
    pub defaulted: defaults::Defaulted,
    /// Gateways, in spec order.
    pub gateways: Vec<GatewayModel>,
    /// Gateway workloads, one per distinct workload name, in order of first use.
    pub workloads: Vec<WorkloadModel>,
    /// Certificates, in spec order.
    pub certificates: Vec<CertificateModel>,
    /// Issuers, in spec order.
    pub issuers: Vec<IssuerModel>,
    /// Application namespaces, in spec order.
    pub namespaces: Vec<NamespaceModel>,
    /// Routes, in spec order (the demo app's route is not among them).
    pub routes: Vec<RouteModel>,
    /// Backend Services with subsets or a traffic policy, in spec order.
    pub services: Vec<ServiceModel>,
    /// The demo app, when enabled.
    pub demo: Option<DemoModel>,
    /// The demo app's route, when the demo app is enabled.
    pub demo_route: Option<RouteModel>,
    /// The east-west gateway workload, when enabled.
    pub east_west: Option<WorkloadModel>,
    /// JWT providers and access rules, by the workload that enforces them.
    pub access: access::AccessModel,
    /// The control plane, when `spec.controlPlane` is set.
    pub control_plane: Option<control_plane::ControlPlaneModel>,
}

/// A resolved gateway.
#[derive(Clone, Debug)]
pub struct GatewayModel {
    /// Field path of the entry (`spec.gateways[0]`).
    pub path: String,
    /// Istio Gateway name.
    pub name: String,
    /// Namespace of the Istio Gateway and of the pods it configures: `spec.namespace`, or an external
    /// workload's namespace.
    pub namespace: String,
    /// Whether the workload is managed elsewhere (`workload.external`).
    pub external: bool,
    /// Scope.
    pub scope: Scope,
    /// Name of the workload it configures.
    pub workload: String,
    /// The Istio Gateway's selector (the workload's `labels`).
    pub selector: BTreeMap<String, String>,
    /// Servers, with defaults applied.
    pub servers: Vec<ServerModel>,
    /// Whether an ACME HTTP-01 solver uses this gateway; its port-80 redirect is then served through
    /// the Gateway API so challenges are not redirected (istio/istio#33593).
    pub http01: bool,
    /// The API it is rendered to: `spec.gateways[].output`, else `spec.output`.
    pub output: OutputApi,
    /// The spec entry.
    pub spec: Gateway,
}

impl GatewayModel {
    /// Every host any of its servers serves, without namespace prefixes, sorted and deduplicated.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .servers
            .iter()
            .flat_map(|s| s.hosts.iter().map(|h| server_host_name(h).to_string()))
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// The port-80 HTTPS-redirect server, when there is one.
    pub fn redirect_server(&self) -> Option<&ServerModel> {
        self.servers.iter().find(|s| s.protocol == ServerProtocol::Http && s.https_redirect)
    }

    /// Whether a server is rendered through the Gateway API instead of the Istio Gateway.
    pub fn served_by_gateway_api(&self, server: &ServerModel) -> bool {
        self.http01 && server.protocol == ServerProtocol::Http && server.https_redirect && server.port == 80
    }

    /// Whether Istio deploys the gateway's pods (`deployment: automated` with `gateway-api` output).
    pub fn automated(&self) -> bool {
        self.gateway_api() && self.spec.deployment == GatewayDeployment::Automated
    }

    /// The name Istio gives the Deployment, Service and ServiceAccount it deploys for this gateway
    /// (`<name>-<class>`, class `istio`) with `deployment: automated`.
    pub fn automated_name(&self) -> String {
        format!("{}-istio", self.name)
    }

    /// Whether the whole gateway renders to the Kubernetes Gateway API (`output: gateway-api`).
    pub fn gateway_api(&self) -> bool {
        self.output == OutputApi::GatewayApi
    }
}

/// A resolved server.
#[derive(Clone, Debug)]
pub struct ServerModel {
    /// Field path of the server, or of `servers` when defaulted.
    pub path: String,
    /// Whether the server comes from the default server list.
    pub defaulted: bool,
    /// Port number.
    pub port: u32,
    /// Protocol.
    pub protocol: ServerProtocol,
    /// Port name on the Istio Gateway.
    pub name: String,
    /// Hosts served.
    pub hosts: Vec<String>,
    /// Where the hosts came from (`spec.domains` when defaulted).
    pub hosts_path: String,
    /// TLS settings.
    pub tls: Option<TlsModel>,
    /// HTTP servers: redirect to HTTPS.
    pub https_redirect: bool,
}

/// Resolved TLS settings of a server.
#[derive(Clone, Debug)]
pub struct TlsModel {
    /// Field path of the settings (or of the server when defaulted).
    pub path: String,
    /// Mode.
    pub mode: TlsMode,
    /// Name of the certificate used, when one of `spec.certificates` is used.
    pub certificate: Option<String>,
    /// The secret Istio reads: the certificate's secret, or the given credential name.
    pub credential_name: String,
    /// Lowest TLS version.
    pub min_protocol_version: TlsVersion,
    /// Highest TLS version.
    pub max_protocol_version: Option<TlsVersion>,
    /// Cipher suites.
    pub cipher_suites: Vec<String>,
    /// Client SANs for mutual TLS.
    pub subject_alt_names: Vec<String>,
    /// The spec entry, when written.
    pub spec: Option<ServerTls>,
}

/// How a workload's replica count is managed.
#[derive(Clone, Debug, PartialEq)]
pub enum Replicas {
    /// A fixed count.
    Fixed(u32),
    /// A HorizontalPodAutoscaler.
    Autoscaled(Autoscaling),
}

impl Replicas {
    /// The fewest replicas that always run.
    pub fn minimum(&self) -> u32 {
        match self {
            Replicas::Fixed(n) => *n,
            Replicas::Autoscaled(a) => a.min_replicas,
        }
    }
}

/// A resolved gateway workload.
#[derive(Clone, Debug)]
pub struct WorkloadModel {
    /// Name shared by its objects.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Managed elsewhere: nothing of it is rendered (`workload.external`).
    pub external: bool,
    /// Field path of the first gateway that uses it.
    pub path: String,
    /// Indexes (into [`Model::gateways`]) of the gateways it serves.
    pub gateways: Vec<usize>,
    /// `labels`: the Istio Gateway selector and pod labels.
    pub labels: BTreeMap<String, String>,
    /// Deployment, Service and PDB selector: `app: <name>` plus `labels`.
    pub selector: BTreeMap<String, String>,
    /// Replica management.
    pub replicas: Replicas,
    /// Resources, chart defaults merged with the user's.
    pub resources: ResourceRequirements,
    /// The gateway spec entry that defines the workload settings.
    pub gateway: Gateway,
    /// Service type.
    pub service_type: ServiceType,
    /// Service ports: (name, port), status port first, then server ports in ascending order.
    pub ports: Vec<(String, u32)>,
    /// Hosts of all gateways it serves, for external-dns.
    pub hosts: Vec<String>,
}

/// The label Istio reads a Gateway API Gateway's pods by: policies with `targetRefs` to a Gateway
/// apply to the pods that carry it with the Gateway's name.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";

/// The Gateway a workload's pods belong to in the Gateway API's eyes: the one gateway it serves,
/// when that gateway renders in `gateway-api` mode and the pods are rendered here (so they can carry
/// [`GATEWAY_NAME_LABEL`]). A workload shared by several gateways, or managed elsewhere, has none,
/// and its policies keep selecting its pods by labels.
pub fn gateway_api_owner<'a>(
    gateways: &'a [GatewayModel],
    served: &[usize],
    external: bool,
) -> Option<&'a str> {
    match served {
        [only] if !external => gateways.get(*only).filter(|g| g.gateway_api()).map(|g| g.name.as_str()),
        _ => None,
    }
}

/// The istio/gateway chart's default container resources.
pub fn default_resources() -> ResourceRequirements {
    let map = |cpu: &str, memory: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.to_string())),
            ("memory".to_string(), Quantity(memory.to_string())),
        ])
    };
    ResourceRequirements {
        limits: Some(map("2000m", "1024Mi")),
        requests: Some(map("100m", "128Mi")),
        ..Default::default()
    }
}

fn merge_resources(user: Option<&ResourceRequirements>) -> ResourceRequirements {
    let mut merged = default_resources();
    if let Some(user) = user {
        for (target, source) in [(&mut merged.requests, &user.requests), (&mut merged.limits, &user.limits)] {
            if let Some(source) = source {
                let target = target.get_or_insert_with(BTreeMap::new);
                for (k, v) in source {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
        merged.claims = user.claims.clone();
    }
    merged
}

/// A resolved certificate.
#[derive(Clone, Debug)]
pub struct CertificateModel {
    /// Field path.
    pub path: String,
    /// Name.
    pub name: String,
    /// Namespace: that of the gateways whose servers use it (Istio reads the secret from the gateway
    /// pods' namespace), else `spec.namespace`.
    pub namespace: String,
    /// Every namespace of a gateway that uses it, in gateway order; more than one is an error.
    pub gateway_namespaces: Vec<String>,
    /// Secret name.
    pub secret_name: String,
    /// Issuer name (empty when none could be resolved).
    pub issuer: String,
    /// Issuer kind: as written, else the named `spec.issuers` entry's, else `ClusterIssuer`.
    pub issuer_kind: IssuerKind,
    /// DNS names.
    pub dns_names: Vec<String>,
    /// Where the DNS names came from.
    pub dns_names_path: String,
    /// The spec entry.
    pub spec: Certificate,
}

/// A resolved issuer.
#[derive(Clone, Debug)]
pub struct IssuerModel {
    /// Field path.
    pub path: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: IssuerKind,
    /// Declared as existing in the cluster: not rendered.
    pub external: bool,
    /// A generated `Issuer`'s namespaces: those of the certificates that use it, in spec order, else
    /// `spec.namespace`. Empty for a ClusterIssuer.
    pub namespaces: Vec<String>,
    /// The spec entry.
    pub spec: Issuer,
}

impl Model {
    /// The namespace of the gateway named `name` (`spec.namespace` when there is none).
    pub fn gateway_namespace(&self, name: &str) -> &str {
        self.gateways.iter().find(|g| g.name == name).map_or(self.spec.namespace.as_str(), |g| &g.namespace)
    }

    /// Whether the gateway named `name` renders to the Kubernetes Gateway API.
    pub fn gateway_api(&self, name: &str) -> bool {
        self.gateways.iter().any(|g| g.name == name && g.gateway_api())
    }

    /// The entry of `spec.issuers` named `name`, if any.
    pub fn issuer(&self, name: &str) -> Option<&IssuerModel> {
        self.issuers.iter().find(|i| i.name == name)
    }
}

/// A resolved application namespace.
#[derive(Clone, Debug)]
pub struct NamespaceModel {
    /// Field path.
    pub path: String,
    /// Name.
    pub name: String,
    /// Sidecar injection.
    pub injection: bool,
    /// Peer authentication mode.
    pub mtls: MtlsMode,
    /// Default-deny authorization.
    pub default_deny: bool,
    /// Service accounts (`namespace/name`) of the gateway workloads that route into the namespace.
    pub gateway_service_accounts: Vec<(String, String)>,
}

/// The resolved demo app.
#[derive(Clone, Debug)]
pub struct DemoModel {
    /// Name of its objects.
    pub name: String,
    /// Namespace (empty when none could be resolved).
    pub namespace: String,
    /// Host (empty when none could be resolved).
    pub host: String,
    /// Gateway name (empty when there is none).
    pub gateway: String,
    /// Service port.
    pub port: u32,
    /// Replicas.
    pub replicas: u32,
    /// Image.
    pub image: String,
}

/// The demo app's default image: a small HTTP echo server from the Istio samples (httpbin), built from
/// Go, that runs as any non-root user and listens on 8080.
pub const DEMO_IMAGE: &str = "docker.io/mccutchen/go-httpbin:v2.15.0";
/// The port the demo image listens on.
pub const DEMO_CONTAINER_PORT: i32 = 8080;
/// The gateway's status and health port (`/healthz/ready`).
pub const STATUS_PORT: u32 = 15021;

/// Default name of the east-west gateway workload (the istio.io multi-network guide's).
pub const EAST_WEST_NAME: &str = "istio-eastwestgateway";
/// The label Istio reads a pod's or namespace's network from.
pub const NETWORK_LABEL: &str = "topology.istio.io/network";

/// Service ports of a network gateway, as the istio/gateway chart's `networkGatewayPorts`.
pub const NETWORK_GATEWAY_PORTS: &[(&str, u32)] =
    &[("status-port", STATUS_PORT), ("tls", 15443), ("tls-istiod", 15012), ("tls-webhook", 15017)];

/// The east-west gateway workload (in the mesh root namespace), as the istio/gateway chart renders it
/// with `networkGateway` set.
fn east_west(spec: &MeshIngressSpec) -> Option<WorkloadModel> {
    let multicluster = spec.multicluster.as_ref()?;
    let east_west = &multicluster.east_west_gateway;
    if !east_west.enabled {
        return None;
    }
    let name = east_west.workload.name.clone().unwrap_or_else(|| EAST_WEST_NAME.to_string());
    let labels = if east_west.workload.labels.is_empty() {
        BTreeMap::from([("istio".to_string(), istio_label(&name))])
    } else {
        east_west.workload.labels.clone()
    };
    let mut selector = BTreeMap::from([("app".to_string(), name.clone())]);
    selector.extend(labels.clone());
    // The workload settings travel as a gateway entry, so the ingress gateway renderers apply to them.
    let gateway = Gateway {
        name: name.clone(),
        scope: east_west.scope,
        workload: east_west.workload.clone(),
        service: east_west.service.clone(),
        load_balancer: east_west.load_balancer.clone(),
        ..Default::default()
    };
    let replicas = match (gateway.workload.replicas, &gateway.workload.autoscaling) {
        (Some(n), _) => Replicas::Fixed(n),
        (None, Some(a)) => Replicas::Autoscaled(a.clone()),
        (None, None) => Replicas::Autoscaled(Autoscaling::default()),
    };
    Some(WorkloadModel {
        name,
        namespace: spec.mtls.root_namespace.clone(),
        path: "spec.multicluster.eastWestGateway".to_string(),
        gateways: Vec::new(),
        labels,
        selector,
        replicas,
        resources: merge_resources(gateway.workload.resources.as_ref()),
        service_type: gateway.service.type_.unwrap_or(EastWestGateway::DEFAULT_SERVICE_TYPE),
        gateway,
        external: false,
        ports: NETWORK_GATEWAY_PORTS.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
        hosts: Vec::new(),
    })
}

/// Gateways bound to the same external pods (same namespace and labels) share one workload: each takes
/// the workload name of the first, so conflicts between their servers are checked as for a shared
/// rendered workload.
fn group_external_workloads(mut gateways: Vec<GatewayModel>) -> Vec<GatewayModel> {
    for index in 0..gateways.len() {
        if !gateways[index].external {
            continue;
        }
        let first = gateways[..index]
            .iter()
            .find(|g| {
                g.external
                    && g.namespace == gateways[index].namespace
                    && g.selector == gateways[index].selector
            })
            .map(|g| g.workload.clone());
        if let Some(workload) = first {
            gateways[index].workload = workload;
        }
    }
    gateways
}

/// Default workload name for a gateway.
pub fn default_workload_name(gateway: &str) -> String {
    format!("istio-ingressgateway-{gateway}")
}

/// The chart's `istio` label: the workload name without its leading `istio-`.
pub fn istio_label(workload: &str) -> String {
    workload.strip_prefix("istio-").unwrap_or(workload).to_string()
}

/// Split an Istio Gateway server host into its namespace part (`ns`, `.`, `*`, or none) and host name:
/// `shop/a.example.com` is `(Some("shop"), "a.example.com")`.
pub fn split_server_host(host: &str) -> (Option<&str>, &str) {
    match host.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, host),
    }
}

/// The host name of a server host, without its namespace part.
pub fn server_host_name(host: &str) -> &str {
    split_server_host(host).1
}

/// Whether a VirtualService in `route_namespace` may bind server host `server_host` of a Gateway in
/// `gateway_namespace`, by the server host's namespace part: none or `*` admits every namespace,
/// `.` the gateway's own, anything else that namespace only.
pub fn server_host_admits(server_host: &str, route_namespace: &str, gateway_namespace: &str) -> bool {
    match split_server_host(server_host).0 {
        None | Some("*") => true,
        Some(".") => route_namespace == gateway_namespace,
        Some(namespace) => route_namespace == namespace,
    }
}

/// Whether `pattern` (an Istio host, possibly `*.suffix` or `*`) matches `host` the way Istio
/// matches hosts: a wildcard matches any number of labels.
pub fn istio_host_matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" || pattern == host {
        return true;
    }
    match (pattern.strip_prefix('*'), host.strip_prefix('*')) {
        (Some(suffix), Some(host_suffix)) => host_suffix.ends_with(suffix),
        (Some(suffix), None) => host.ends_with(suffix) && host.len() > suffix.len(),
        _ => false,
    }
}

/// A set of Istio host patterns, indexed so that [`HostPatterns::matches`] costs a few hash lookups
/// (one per distinct wildcard suffix length) instead of a pass over every pattern: validation asks it
/// once per route host, and a config can hold thousands of domains and routes.
#[derive(Clone, Debug, Default)]
pub struct HostPatterns<'a> {
    everything: bool,
    plain: std::collections::HashSet<&'a str>,
    /// What follows the `*` of each wildcard pattern.
    suffixes: std::collections::HashSet<&'a str>,
    lengths: std::collections::BTreeSet<usize>,
}

impl<'a> HostPatterns<'a> {
    /// Index `patterns` (hosts without namespace parts).
    pub fn new(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = HostPatterns::default();
        for pattern in patterns {
            match pattern.strip_prefix('*') {
                Some("") => index.everything = true,
                Some(suffix) => {
                    index.suffixes.insert(suffix);
                    index.lengths.insert(suffix.len());
                }
                None => {
                    index.plain.insert(pattern);
                }
            }
        }
        index
    }

    /// Whether some pattern matches `host`, exactly as [`istio_host_matches`] would.
    pub fn matches(&self, host: &str) -> bool {
        if self.everything || self.plain.contains(host) {
            return true;
        }
        // `*S` matches `*T` when T ends with S, and a plain host when it ends with S and is longer.
        let (body, wildcard) = match host.strip_prefix('*') {
            Some(rest) => (rest, true),
            None => (host, false),
        };
        self.lengths.iter().any(|&length| {
            (length < body.len() || (wildcard && length == body.len()))
                && body.is_char_boundary(body.len() - length)
                && self.suffixes.contains(&body[body.len() - length..])
        })
    }
}

/// Whether two host sets overlap as Istio sees it (one host matches the other, either way), ignoring
/// namespace parts: two servers on one port share Envoy's virtual hosts and SNI filter chains whatever
/// namespaces they admit.
pub fn hosts_overlap(a: &[String], b: &[String]) -> bool {
    a.iter().map(|x| server_host_name(x)).any(|x| {
        b.iter().map(|y| server_host_name(y)).any(|y| istio_host_matches(x, y) || istio_host_matches(y, x))
    })
}

/// Whether a certificate DNS name covers a host, by X.509 rules: a wildcard covers exactly one label.
pub fn certificate_covers(dns_name: &str, host: &str) -> bool {
    if dns_name == host {
        return true;
    }
    match dns_name.strip_prefix("*.") {
        Some(suffix) if !host.starts_with('*') => {
            host.split_once('.').is_some_and(|(first, rest)| !first.is_empty() && rest == suffix)
        }
        _ => false,
    }
}

/// The protocol-prefixed Service port name for a server port (the chart names 80 `http2` and 443 `https`).
pub fn service_port_name(protocol: ServerProtocol, port: u32) -> String {
    let (prefix, conventional) = match protocol {
        ServerProtocol::Http => ("http2", 80),
        ServerProtocol::Https => ("https", 443),
        ServerProtocol::Tls => ("tls", 443),
        ServerProtocol::Tcp => ("tcp", 0),
    };
    if port == conventional { prefix.to_string() } else { format!("{prefix}-{port}") }
}

/// The effective Service type of a gateway's workload.
pub fn effective_service_type(gateway: &Gateway) -> ServiceType {
    if let Some(t) = gateway.service.type_ {
        return t;
    }
    match (gateway.load_balancer.provider, gateway.scope) {
        (Provider::AwsAlb, _) if gateway.load_balancer.target_type == TargetType::Instance => {
            ServiceType::NodePort
        }
        (Provider::AwsAlb, _) => ServiceType::ClusterIP,
        (Provider::None, Scope::Internal) => ServiceType::ClusterIP,
        _ => ServiceType::LoadBalancer,
    }
}

/// Resolve a spec into a model.
pub fn resolve(instance: &str, written: &MeshIngressSpec) -> Model {
    let (with_defaults, added) = defaults::apply(instance, written);
    let spec = &with_defaults;
    let first_certificate = spec.certificates.first().map(|c| c.name.clone());
    let domains_path = "spec.domains".to_string();
    let http01_gateways: Vec<&str> = spec
        .issuers
        .iter()
        .filter_map(|i| i.acme.as_ref())
        .flat_map(|a| a.solvers.iter())
        .filter_map(|s| s.http01.as_ref().map(|h| h.gateway.as_str()))
        .collect();

    let gateways: Vec<GatewayModel> = spec
        .gateways
        .iter()
        .enumerate()
        .map(|(gi, gateway)| {
            let path = format!("spec.gateways[{gi}]");
            let workload =
                gateway.workload.name.clone().unwrap_or_else(|| default_workload_name(&gateway.name));
            let selector = if gateway.workload.labels.is_empty() {
                BTreeMap::from([("istio".to_string(), istio_label(&workload))])
            } else {
                gateway.workload.labels.clone()
            };
            let defaulted = gateway.servers.is_empty();
            let written: Vec<Server> = if defaulted && gateway.load_balancer.provider == Provider::AwsAlb {
                // Behind an ALB, TLS ends at the ALB: the gateway serves plain HTTP and must not redirect.
                vec![Server {
                    port: 80,
                    protocol: ServerProtocol::Http,
                    https_redirect: Some(false),
                    ..Default::default()
                }]
            } else if defaulted {
                vec![
                    Server { port: 443, protocol: ServerProtocol::Https, ..Default::default() },
                    Server {
                        port: 80,
                        protocol: ServerProtocol::Http,
                        https_redirect: Some(true),
                        ..Default::default()
                    },
                ]
            } else {
                gateway.servers.clone()
            };
            // Istio's redirect sends clients to https://host/ (port 443), so it is a sensible default
            // only for port 80 of a gateway that serves HTTPS on 443: an HTTP server on another port
            // is there to serve HTTP.
            let has_https = written.iter().any(|s| s.protocol == ServerProtocol::Https && s.port == 443);
            let servers = written
                .iter()
                .enumerate()
                .map(|(si, server)| {
                    let server_path =
                        if defaulted { format!("{path}.servers") } else { format!("{path}.servers[{si}]") };
                    let (hosts, hosts_path) = if server.hosts.is_empty() {
                        (spec.domains.clone(), domains_path.clone())
                    } else {
                        (server.hosts.clone(), format!("{server_path}.hosts"))
                    };
                    let tls = match (server.protocol, &server.tls) {
                        (ServerProtocol::Http | ServerProtocol::Tcp, _) => None,
                        (_, written_tls) => {
                            let tls_spec = written_tls.clone();
                            let base = tls_spec.clone().unwrap_or(ServerTls {
                                min_protocol_version: TlsVersion::Tlsv12,
                                ..Default::default()
                            });
                            let tls_path = if written_tls.is_some() {
                                format!("{server_path}.tls")
                            } else {
                                server_path.clone()
                            };
                            let mut certificate = base.certificate.clone();
                            if certificate.is_none()
                                && base.credential_name.is_none()
                                && base.mode != TlsMode::Passthrough
                            {
                                certificate = first_certificate.clone();
                            }
                            let credential_name = match (&certificate, &base.credential_name) {
                                (Some(cert), _) => spec
                                    .certificates
                                    .iter()
                                    .find(|c| &c.name == cert)
                                    .map(|c| c.secret_name.clone().unwrap_or_else(|| c.name.clone()))
                                    .unwrap_or_default(),
                                (None, Some(name)) => name.clone(),
                                (None, None) => String::new(),
                            };
                            Some(TlsModel {
                                path: tls_path,
                                mode: base.mode,
                                certificate,
                                credential_name,
                                min_protocol_version: base.min_protocol_version,
                                max_protocol_version: base.max_protocol_version,
                                cipher_suites: base.cipher_suites.clone(),
                                subject_alt_names: base.subject_alt_names.clone(),
                                spec: tls_spec,
                            })
                        }
                    };
                    ServerModel {
                        path: server_path,
                        defaulted,
                        port: server.port,
                        protocol: server.protocol,
                        name: server.name.clone().unwrap_or_else(|| {
                            format!("{}-{}", server.protocol.as_str().to_ascii_lowercase(), server.port)
                        }),
                        hosts,
                        hosts_path,
                        tls,
                        https_redirect: server.protocol == ServerProtocol::Http
                            && server.https_redirect.unwrap_or(has_https && server.port == 80),
                    }
                })
                .collect();
            let external = gateway.workload.external;
            GatewayModel {
                path,
                name: gateway.name.clone(),
                namespace: match (&gateway.workload.namespace, external) {
                    (Some(namespace), true) => namespace.clone(),
                    _ => spec.namespace.clone(),
                },
                external,
                scope: gateway.scope,
                workload,
                selector,
                servers,
                http01: http01_gateways.contains(&gateway.name.as_str()),
                output: gateway.output.unwrap_or(spec.output),
                spec: gateway.clone(),
            }
        })
        .collect();
    let gateways = group_external_workloads(gateways);

    let mut workloads: Vec<WorkloadModel> = Vec::new();
    for (index, gateway) in gateways.iter().enumerate() {
        if let Some(existing) = workloads.iter_mut().find(|w| w.name == gateway.workload) {
            existing.gateways.push(index);
            continue;
        }
        let spec_gateway = &gateway.spec;
        // An external workload's `app` label is unknown: its pods are known by `labels` alone.
        let mut selector = if gateway.external {
            BTreeMap::new()
        } else {
            BTreeMap::from([("app".to_string(), gateway.workload.clone())])
        };
        selector.extend(gateway.selector.clone());
        let replicas = match (spec_gateway.workload.replicas, &spec_gateway.workload.autoscaling) {
            (Some(n), _) => Replicas::Fixed(n),
            (None, Some(a)) => Replicas::Autoscaled(a.clone()),
            (None, None) => Replicas::Autoscaled(Autoscaling::default()),
        };
        workloads.push(WorkloadModel {
            name: gateway.workload.clone(),
            namespace: gateway.namespace.clone(),
            external: gateway.external,
            path: gateway.path.clone(),
            gateways: vec![index],
            labels: gateway.selector.clone(),
            selector,
            replicas,
            resources: merge_resources(spec_gateway.workload.resources.as_ref()),
            gateway: spec_gateway.clone(),
            service_type: effective_service_type(spec_gateway),
            ports: Vec::new(),
            hosts: Vec::new(),
        });
    }
    for workload in &mut workloads {
        let mut ports: BTreeMap<u32, String> = BTreeMap::new();
        let mut hosts = Vec::new();
        for &index in &workload.gateways {
            for server in &gateways[index].servers {
                ports.entry(server.port).or_insert_with(|| service_port_name(server.protocol, server.port));
            }
            hosts.extend(gateways[index].hosts());
        }
        hosts.sort();
        hosts.dedup();
        workload.ports = std::iter::once(("status-port".to_string(), STATUS_PORT))
            .chain(ports.into_iter().filter(|(p, _)| *p != STATUS_PORT).map(|(p, n)| (n, p)))
            .collect();
        workload.hosts = hosts;
    }

    let first_issuer = spec.issuers.first().map(|i| i.name.clone());
    let certificates: Vec<CertificateModel> = spec
        .certificates
        .iter()
        .enumerate()
        .map(|(ci, certificate)| {
            // The default certificate is not written anywhere: its findings point at the list.
            let path = if added.certificate.is_some() {
                "spec.certificates".to_string()
            } else {
                format!("spec.certificates[{ci}]")
            };
            let (dns_names, dns_names_path) = if certificate.dns_names.is_empty() {
                (spec.domains.clone(), domains_path.clone())
            } else {
                (certificate.dns_names.clone(), format!("{path}.dnsNames"))
            };
            let issuer = certificate.issuer.clone().or_else(|| first_issuer.clone()).unwrap_or_default();
            let declared_kind = spec.issuers.iter().find(|i| i.name == issuer).map(|i| i.kind);
            let mut gateway_namespaces: Vec<String> = Vec::new();
            for gateway in &gateways {
                let uses = gateway.servers.iter().any(|s| {
                    s.tls.as_ref().and_then(|t| t.certificate.as_deref()) == Some(certificate.name.as_str())
                });
                if uses && !gateway_namespaces.contains(&gateway.namespace) {
                    gateway_namespaces.push(gateway.namespace.clone());
                }
            }
            CertificateModel {
                path,
                name: certificate.name.clone(),
                namespace: gateway_namespaces.first().cloned().unwrap_or_else(|| spec.namespace.clone()),
                gateway_namespaces,
                secret_name: certificate.secret_name.clone().unwrap_or_else(|| certificate.name.clone()),
                issuer,
                issuer_kind: certificate.issuer_kind.or(declared_kind).unwrap_or_default(),
                dns_names,
                dns_names_path,
                spec: certificate.clone(),
            }
        })
        .collect();
    let issuers = spec
        .issuers
        .iter()
        .enumerate()
        .map(|(ii, issuer)| {
            let mut namespaces: Vec<String> = Vec::new();
            if issuer.kind == IssuerKind::Issuer {
                for certificate in &certificates {
                    if certificate.issuer == issuer.name
                        && certificate.issuer_kind == IssuerKind::Issuer
                        && !namespaces.contains(&certificate.namespace)
                    {
                        namespaces.push(certificate.namespace.clone());
                    }
                }
                if namespaces.is_empty() {
                    namespaces.push(spec.namespace.clone());
                }
            }
            IssuerModel {
                path: if added.issuer.is_some() {
                    "spec.issuers".to_string()
                } else {
                    format!("spec.issuers[{ii}]")
                },
                name: issuer.name.clone(),
                kind: issuer.kind,
                external: issuer.external,
                namespaces,
                spec: issuer.clone(),
            }
        })
        .collect();

    let demo = spec.demo_app.enabled.then(|| DemoModel {
        name: spec.demo_app.name.clone(),
        namespace: spec
            .demo_app
            .namespace
            .clone()
            .or_else(|| spec.namespaces.first().map(|n| n.name.clone()))
            .unwrap_or_default(),
        host: spec.demo_app.host.clone().unwrap_or_else(|| {
            spec.domains
                .first()
                .map(|d| format!("demo.{}", d.strip_prefix("*.").unwrap_or(d)))
                .unwrap_or_default()
        }),
        gateway: spec
            .demo_app
            .gateway
            .clone()
            .or_else(|| spec.gateways.first().map(|g| g.name.clone()))
            .unwrap_or_default(),
        port: spec.demo_app.port,
        replicas: spec.demo_app.replicas,
        image: if spec.demo_app.image.is_empty() {
            DEMO_IMAGE.to_string()
        } else {
            spec.demo_app.image.clone()
        },
    });

    let routes = routes::resolve_routes(spec, &gateways);
    let demo_route = demo.as_ref().map(routes::demo_route);

    // An external workload's ServiceAccount is its `workload.name` when given, else any of its
    // namespace (`*`, a suffix match in Istio principals).
    let service_account_of = |gateway_name: &str| {
        gateways.iter().find(|g| g.name == gateway_name).map(|g| match (g.external, &g.spec.workload.name) {
            (true, Some(name)) => (g.namespace.clone(), name.clone()),
            (true, None) => (g.namespace.clone(), "*".to_string()),
            // Istio names the pods it deploys (and their ServiceAccount) `<gateway>-istio`.
            (false, _) if g.automated() => (g.namespace.clone(), g.automated_name()),
            (false, _) => (g.namespace.clone(), g.workload.clone()),
        })
    };
    let namespaces = spec
        .namespaces
        .iter()
        .enumerate()
        .map(|(ni, ns)| {
            // A gateway reaches the namespace of every backend of its routes, not only the routes' own.
            let mut accounts: Vec<(String, String)> = routes
                .iter()
                .filter(|r| r.reaches_namespace(&ns.name))
                .flat_map(|r| r.gateways.iter().filter_map(|(g, _)| service_account_of(g)))
                .chain(
                    demo.iter()
                        .filter(|d| d.namespace == ns.name)
                        .filter_map(|d| service_account_of(&d.gateway)),
                )
                .collect();
            accounts.sort();
            accounts.dedup();
            NamespaceModel {
                path: format!("spec.namespaces[{ni}]"),
                name: ns.name.clone(),
                injection: ns.injection,
                mtls: ns.mtls.unwrap_or(spec.mtls.mode),
                default_deny: ns.authorization.default_deny,
                gateway_service_accounts: accounts,
            }
        })
        .collect();

    let access = access::resolve(spec, &gateways, &workloads, &routes);
    let mut model = Model {
        instance: instance.to_string(),
        spec: spec.clone(),
        defaulted: added,
        gateways,
        workloads,
        certificates,
        issuers,
        namespaces,
        services: routes::resolve_services(spec, |name| {
            spec.namespaces
                .iter()
                .any(|n| n.name == name && n.mtls.unwrap_or(spec.mtls.mode) == MtlsMode::Strict)
        }),
        routes,
        demo,
        demo_route,
        east_west: east_west(spec),
        access,
        control_plane: None,
    };
    // The control plane follows what the rest of the model renders (the Gateway API switch).
    model.control_plane = control_plane::resolve(spec, control_plane::uses_gateway_api(&model));
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_host_patterns_match_as_istio_does() {
        let patterns =
            ["shop.example.com", "*.example.com", "*.internal.example.org", "*ample.net", "ü.de", "*.ü.de"];
        let hosts = [
            "shop.example.com",
            "x.example.com",
            "example.com",
            ".example.com",
            "*.example.com",
            "*example.com",
            "*.shop.example.com",
            "a.internal.example.org",
            "*.example.org",
            "*",
            "example.net",
            "ample.net",
            "*ample.net",
            "*.net",
            "ü.de",
            "x.ü.de",
            "*.ü.de",
            "",
        ];
        for n in 0..=patterns.len() {
            let index = HostPatterns::new(patterns[..n].iter().copied());
            for host in hosts {
                let expected = patterns[..n].iter().any(|p| istio_host_matches(p, host));
                assert_eq!(index.matches(host), expected, "{host:?} against {:?}", &patterns[..n]);
            }
        }
        assert!(HostPatterns::new(["*"]).matches("anything"));
    }

    #[test]
    fn host_matching_follows_istio_and_x509() {
        assert!(istio_host_matches("*.example.com", "a.b.example.com"));
        assert!(istio_host_matches("*.example.com", "*.sub.example.com"));
        assert!(!istio_host_matches("*.example.com", "example.com"));
        assert!(istio_host_matches("*", "anything"));
        assert!(certificate_covers("*.example.com", "a.example.com"));
        assert!(!certificate_covers("*.example.com", "a.b.example.com"));
        assert!(!certificate_covers("*.example.com", "example.com"));
        assert!(certificate_covers("*.example.com", "*.example.com"));
    }

    #[test]
    fn defaults_match_the_api_contract() {
        let spec = MeshIngressSpec {
            domains: vec!["*.sandbox.example.com".into()],
            gateways: vec![Gateway { name: "external".into(), ..Default::default() }],
            certificates: vec![Certificate { name: "letsencrypt-prod".into(), ..Default::default() }],
            ..Default::default()
        };
        let model = resolve("sandbox", &spec);
        let gw = &model.gateways[0];
        assert_eq!(gw.workload, "istio-ingressgateway-external");
        assert_eq!(gw.selector.get("istio").map(String::as_str), Some("ingressgateway-external"));
        assert_eq!(gw.servers.len(), 2);
        let https = &gw.servers[0];
        assert_eq!(https.tls.as_ref().unwrap().credential_name, "letsencrypt-prod");
        assert_eq!(https.tls.as_ref().unwrap().min_protocol_version, TlsVersion::Tlsv12);
        assert!(gw.servers[1].https_redirect);
        let wl = &model.workloads[0];
        assert_eq!(
            wl.ports,
            [("status-port".to_string(), 15021), ("http2".to_string(), 80), ("https".to_string(), 443)]
        );
        assert_eq!(wl.replicas.minimum(), 2);
        assert_eq!(wl.service_type, ServiceType::LoadBalancer);
    }

    #[test]
    fn only_port_80_redirects_to_https_by_default() {
        let server = |port, protocol| Server { port, protocol, ..Default::default() };
        let spec = MeshIngressSpec {
            domains: vec!["shop.example.com".into()],
            gateways: vec![Gateway {
                name: "external".into(),
                servers: vec![
                    server(443, ServerProtocol::Https),
                    server(80, ServerProtocol::Http),
                    server(8080, ServerProtocol::Http),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let servers = &resolve("shop", &spec).gateways[0].servers;
        assert!(servers[1].https_redirect, "port 80 redirects");
        assert!(!servers[2].https_redirect, "port 8080 serves its routes");
    }

    #[test]
    fn gateways_reach_the_namespaces_of_their_backends() {
        let spec = MeshIngressSpec {
            domains: vec!["shop.example.com".into()],
            gateways: vec![Gateway { name: "external".into(), ..Default::default() }],
            namespaces: ["shop", "payments"]
                .map(|n| AppNamespace { name: n.into(), ..Default::default() })
                .to_vec(),
            routes: vec![Route {
                name: "shop".into(),
                namespace: "shop".into(),
                http: vec![HttpRule {
                    destination: Some(Destination {
                        host: "api.payments.svc.cluster.local".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let model = resolve("shop", &spec);
        let gateway = [("istio-ingress".to_string(), "istio-ingressgateway-external".to_string())];
        assert_eq!(model.namespaces[0].gateway_service_accounts, gateway);
        assert_eq!(model.namespaces[1].gateway_service_accounts, gateway);
    }

    #[test]
    fn server_hosts_with_namespace_parts() {
        assert_eq!(split_server_host("shop/a.example.com"), (Some("shop"), "a.example.com"));
        assert_eq!(split_server_host("a.example.com"), (None, "a.example.com"));
        assert!(server_host_admits("a.example.com", "shop", "istio-ingress"));
        assert!(server_host_admits("*/a.example.com", "shop", "istio-ingress"));
        assert!(server_host_admits("shop/a.example.com", "shop", "istio-ingress"));
        assert!(!server_host_admits("shop/a.example.com", "docs", "istio-ingress"));
        assert!(server_host_admits("./a.example.com", "istio-ingress", "istio-ingress"));
        assert!(!server_host_admits("./a.example.com", "shop", "istio-ingress"));
        // One port's virtual hosts are shared whatever namespaces they admit.
        assert!(hosts_overlap(&["shop/a.example.com".into()], &["docs/*.example.com".into()]));
        assert!(!hosts_overlap(&["shop/a.example.com".into()], &["b.example.com".into()]));
    }

    fn external_gateway(name: &str, certificate: &str) -> Gateway {
        Gateway {
            name: name.into(),
            workload: Workload {
                external: true,
                namespace: Some("aks-istio-ingress".into()),
                labels: BTreeMap::from([("istio".into(), "aks-istio-ingressgateway-external".into())]),
                ..Default::default()
            },
            servers: vec![Server {
                port: 443,
                protocol: ServerProtocol::Https,
                tls: Some(ServerTls { certificate: Some(certificate.into()), ..Default::default() }),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn external_workloads_place_gateways_certificates_and_issuers() {
        let spec = MeshIngressSpec {
            domains: vec!["shop.example.com".into()],
            gateways: vec![
                external_gateway("shop", "shop"),
                external_gateway("api", "api"),
                Gateway { name: "internal".into(), ..Default::default() },
            ],
            certificates: vec![
                Certificate { name: "shop".into(), ..Default::default() },
                Certificate { name: "api".into(), ..Default::default() },
                Certificate { name: "unused".into(), issuer: Some("corp".into()), ..Default::default() },
            ],
            issuers: vec![
                Issuer { name: "team".into(), kind: IssuerKind::Issuer, ..Default::default() },
                Issuer { name: "corp".into(), external: true, ..Default::default() },
            ],
            namespaces: vec![AppNamespace { name: "app".into(), ..Default::default() }],
            routes: vec![Route {
                name: "r".into(),
                namespace: "app".into(),
                gateways: vec!["api".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let model = resolve("i", &spec);
        // Both external gateways bind the same pods, so they share one (unrendered) workload.
        assert_eq!(model.gateways[0].workload, model.gateways[1].workload);
        let external = model.workloads.iter().find(|w| w.external).unwrap();
        assert_eq!(external.gateways, [0, 1]);
        assert_eq!(external.namespace, "aks-istio-ingress");
        assert!(!external.selector.contains_key("app"));
        assert_eq!(model.gateway_namespace("api"), "aks-istio-ingress");
        assert_eq!(model.gateway_namespace("internal"), "istio-ingress");
        // Certificates follow the gateways that use them; the first certificate is also the
        // default of the internal gateway, so it spans two namespaces (a validation error).
        assert_eq!(model.certificates[0].gateway_namespaces, ["aks-istio-ingress", "istio-ingress"]);
        assert_eq!(model.certificates[1].namespace, "aks-istio-ingress");
        assert_eq!(model.certificates[2].namespace, "istio-ingress");
        // Certificates take their declared issuer's kind; a namespaced Issuer goes where they are.
        assert_eq!(model.certificates[0].issuer, "team");
        assert_eq!(model.certificates[0].issuer_kind, IssuerKind::Issuer);
        assert_eq!(model.certificates[2].issuer_kind, IssuerKind::ClusterIssuer);
        assert_eq!(model.issuers[0].namespaces, ["aks-istio-ingress"]);
        assert!(model.issuers[1].namespaces.is_empty());
        // Default-deny admits any ServiceAccount of the external gateways' namespace.
        assert_eq!(
            model.namespaces[0].gateway_service_accounts,
            [("aks-istio-ingress".to_string(), "*".to_string())]
        );
    }

    #[test]
    fn user_resources_merge_over_chart_defaults() {
        let user = ResourceRequirements {
            requests: Some(BTreeMap::from([("cpu".to_string(), Quantity("500m".into()))])),
            ..Default::default()
        };
        let merged = merge_resources(Some(&user));
        let requests = merged.requests.unwrap();
        assert_eq!(requests["cpu"].0, "500m");
        assert_eq!(requests["memory"].0, "128Mi");
        assert_eq!(merged.limits.unwrap()["cpu"].0, "2000m");
    }
}
