//! `mesh-ingress.dev/v1alpha1` `MeshIngress`: the function config.
//!
//! Field names follow `../shared/API.md` and never change meaning. The `///` comments here are the
//! user documentation: they become the descriptions in `mesh-ingress schema` and the CRD, and the
//! field reference in `docs/reference.md` is checked against that schema by a test.
//!
//! Defaults that do not depend on other fields are declared with `#[serde(default = ...)]` so they
//! appear in the schema; defaults that depend on other fields (a workload name derived from the
//! gateway name, hosts taken from `spec.domains`) are described in the field's doc comment and
//! resolved in [`crate::model`].

use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Toleration};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The spec of a MeshIngress: one Istio ingress stack (gateway workloads, Istio Gateways,
/// certificates, issuers, mTLS and authorization policies, routes, a demo app).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeshIngressSpec {
    /// Namespace of the gateway workloads, their Istio Gateways and the TLS Certificates. Istio reads a
    /// server's `credentialName` secret only from the namespace of the gateway pods, so certificates
    /// always live here.
    #[serde(default = "default_gateway_namespace")]
    pub namespace: String,

    /// Istio revision of the control plane that injects the gateways and the application namespaces.
    /// Empty: the default revision (`istio-injection: enabled`). A name such as `prod`: revision-based
    /// injection (`istio.io/rev: prod`); the two labels are never set together.
    #[serde(default)]
    pub revision: String,

    /// Default host names, used by every server, certificate and route that names none. A wildcard
    /// is allowed only as the whole first label (`*.sandbox.example.com`).
    #[serde(default)]
    pub domains: Vec<String>,

    /// Ingress gateways, one entry per Istio Gateway; at least one is required. Each gets its own
    /// workload (Deployment, Service, autoscaler, ...) rendered like the istio/gateway Helm chart,
    /// unless several entries name the same `workload.name`.
    #[serde(default)]
    pub gateways: Vec<Gateway>,

    /// cert-manager Certificates, emitted into `spec.namespace` (the gateway namespace).
    #[serde(default)]
    pub certificates: Vec<Certificate>,

    /// cert-manager ClusterIssuers to generate. A certificate may also name an issuer that already
    /// exists in the cluster.
    #[serde(default)]
    pub issuers: Vec<Issuer>,

    /// Mesh-level mutual TLS.
    #[serde(default)]
    pub mtls: Mtls,

    /// Application namespaces this config manages: injection labels, PeerAuthentication,
    /// DestinationRule and (optionally) default-deny authorization.
    #[serde(default)]
    pub namespaces: Vec<AppNamespace>,

    /// Routes: one VirtualService each, bound to gateways of this config.
    #[serde(default)]
    pub routes: Vec<Route>,

    /// A small hardened demo workload routed through a gateway, for smoke tests.
    #[serde(default)]
    pub demo_app: DemoApp,

    /// Multi-network mesh settings: an east-west gateway and a plugin CA issued by cert-manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multicluster: Option<Multicluster>,

    /// Argo CD integration.
    #[serde(default)]
    pub argocd: Argocd,

    /// Tracing for the mesh: a `telemetry.istio.io/v1` Telemetry in the mesh root namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<Telemetry>,

    /// Checks over the whole package: the Istio objects passing through (hand-written ones beside
    /// this config) are analysed together with the generated ones, offline, the way `istioctl
    /// analyze` analyses a cluster.
    #[serde(default)]
    pub analysis: Analysis,
}

// `Default` must equal what serde reads from `{}` (a test checks it): configs built in code (the
// ConfigMap form) take the same defaults as configs read from YAML.
impl Default for MeshIngressSpec {
    fn default() -> Self {
        MeshIngressSpec {
            namespace: default_gateway_namespace(),
            revision: String::new(),
            domains: Vec::new(),
            gateways: Vec::new(),
            certificates: Vec::new(),
            issuers: Vec::new(),
            mtls: Mtls::default(),
            namespaces: Vec::new(),
            routes: Vec::new(),
            demo_app: DemoApp::default(),
            multicluster: None,
            argocd: Argocd::default(),
            telemetry: None,
            analysis: Analysis::default(),
        }
    }
}

/// Default gateway namespace, as the istio/gateway chart documentation uses.
pub fn default_gateway_namespace() -> String {
    "istio-ingress".to_string()
}

/// One ingress gateway: a workload and the Istio Gateway that configures it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gateway {
    /// Name of the Istio Gateway object; VirtualServices reference it as `<spec.namespace>/<name>`.
    /// A DNS-1123 label.
    pub name: String,

    /// `external` (internet-facing) or `internal` (a private load balancer, or cluster-only when no
    /// cloud load balancer is configured).
    #[serde(default)]
    pub scope: Scope,

    /// The gateway workload: what the istio/gateway Helm chart renders.
    #[serde(default)]
    pub workload: Workload,

    /// The gateway's Kubernetes Service.
    #[serde(default)]
    pub service: GatewayService,

    /// Cloud load balancer preset: Service annotations (and, for `aws-alb`, an Ingress).
    #[serde(default)]
    pub load_balancer: LoadBalancer,

    /// external-dns integration for this gateway's hosts.
    #[serde(default, rename = "externalDNS")]
    pub external_dns: ExternalDns,

    /// Servers of the Istio Gateway. Empty or omitted: HTTPS on 443 (TLS `SIMPLE` with the first
    /// certificate of `spec.certificates`) plus HTTP on 80 redirecting to HTTPS, both for
    /// `spec.domains`; behind an `aws-alb`, which terminates TLS, HTTP on 80 only.
    #[serde(default)]
    pub servers: Vec<Server>,
}

/// Who a gateway serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Internet-facing.
    #[default]
    External,
    /// Private network or cluster-only.
    Internal,
}

/// The gateway workload (Deployment, Service, ServiceAccount, Role, RoleBinding, HPA, PDB,
/// NetworkPolicy), rendered natively with the same substance as the istio/gateway Helm chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Name shared by the Deployment, Service, ServiceAccount, Role, RoleBinding, HPA, PDB and
    /// NetworkPolicy.
    /// Default: `istio-ingressgateway-<gateway name>`. Gateways that name the same workload share it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,

    /// Labels that select the gateway pods; the Istio Gateway's `selector`. Default:
    /// `istio: <workload name without its leading "istio-">` (the chart's convention, e.g.
    /// `istio: ingressgateway-external`). The Deployment and Service also select `app: <workload name>`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,

    /// A fixed number of replicas. Exclusive with `autoscaling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,

    /// A HorizontalPodAutoscaler (autoscaling/v2). Used when `replicas` is not set; default
    /// `{minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,

    /// A PodDisruptionBudget, emitted only when at least two replicas always run (fixed `replicas`
    /// above 1, or `autoscaling.minReplicas` above 1): a budget on a single replica would block node
    /// drains (kubernetes/kubernetes#93476); for the same reason a budget that leaves no pod
    /// evictable at the minimum replica count is an error. Default: `minAvailable: 1`.
    #[serde(default)]
    pub pod_disruption_budget: PodDisruptionBudget,

    /// Container resources (core ResourceRequirements), merged key by key over the chart's defaults:
    /// requests `cpu: 100m, memory: 128Mi`, limits `cpu: 2000m, memory: 1024Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Pod `nodeSelector`, as written.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,

    /// Pod `tolerations`, as written.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,

    /// Pod `affinity`, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,

    /// Spread the gateway pods across zones (`zone`, the default), nodes (`hostname`), or not at all
    /// (`none`). Spreading prefers but never blocks scheduling (`whenUnsatisfiable: ScheduleAnyway`).
    #[serde(default)]
    pub topology_spread: TopologySpread,

    /// A NetworkPolicy that admits traffic to the gateway pods only on the Service's ports (the
    /// servers and the status port 15021) and the proxy's metrics ports (15020, 15090), from any
    /// source. Egress is left open: the proxy must reach istiod and every backend.
    #[serde(default)]
    pub network_policy: NetworkPolicy,
}

/// NetworkPolicy settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Emit the NetworkPolicy. Turn it off when another tool owns the namespace's policies; it
    /// only takes effect where the cluster's network plugin enforces NetworkPolicy.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy { enabled: true }
    }
}

/// HorizontalPodAutoscaler settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaling {
    /// Fewest replicas.
    #[serde(default = "default_min_replicas")]
    #[schemars(range(min = 1))]
    pub min_replicas: u32,
    /// Most replicas.
    #[serde(default = "default_max_replicas")]
    #[schemars(range(min = 1))]
    pub max_replicas: u32,
    /// Average CPU utilization (percent of the request) to aim for.
    #[serde(default = "default_target_cpu", rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_utilization_percentage: u32,
    /// Average memory utilization (percent of the request) to aim for; unset: CPU only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_memory_utilization_percentage: Option<u32>,
}

impl Default for Autoscaling {
    fn default() -> Self {
        Autoscaling {
            min_replicas: default_min_replicas(),
            max_replicas: default_max_replicas(),
            target_cpu_utilization_percentage: default_target_cpu(),
            target_memory_utilization_percentage: None,
        }
    }
}

fn default_min_replicas() -> u32 {
    2
}
fn default_max_replicas() -> u32 {
    5
}
fn default_target_cpu() -> u32 {
    80
}

/// PodDisruptionBudget settings. Set exactly one of `minAvailable` and `maxUnavailable`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodDisruptionBudget {
    /// Emit the budget (when at least two replicas always run).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Pods that must stay available during voluntary disruptions: a count or a percentage.
    /// Default `1` when `maxUnavailable` is not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrString>,
    /// Pods that may be unavailable during voluntary disruptions: a count or a percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
}

impl Default for PodDisruptionBudget {
    fn default() -> Self {
        PodDisruptionBudget { enabled: true, min_available: None, max_unavailable: None }
    }
}

/// How gateway pods are spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TopologySpread {
    /// No topology spread constraint.
    None,
    /// Across zones (`topology.kubernetes.io/zone`).
    #[default]
    Zone,
    /// Across nodes (`kubernetes.io/hostname`).
    Hostname,
}

/// The gateway Service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayService {
    /// Service type. Default: `LoadBalancer`, except `ClusterIP` for an `internal` gateway without a
    /// cloud load balancer, and `NodePort` (target type `instance`) or `ClusterIP` (target type `ip`)
    /// behind an `aws-alb`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<ServiceType>,
    /// Annotations, merged over the load balancer preset's annotations (yours win).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `externalTrafficPolicy` (`Cluster` or `Local`); only for LoadBalancer and NodePort Services.
    /// Unset: the Kubernetes default (`Cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_traffic_policy: Option<ExternalTrafficPolicy>,
    /// Client CIDRs allowed to reach a LoadBalancer Service (`loadBalancerSourceRanges`).
    #[serde(default)]
    pub load_balancer_source_ranges: Vec<String>,
}

/// Kubernetes Service type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// A cloud load balancer.
    LoadBalancer,
    /// A port on every node.
    NodePort,
    /// A cluster-internal virtual IP.
    ClusterIP,
}

impl ServiceType {
    /// The spelling Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::NodePort => "NodePort",
            ServiceType::ClusterIP => "ClusterIP",
        }
    }
}

/// Service `externalTrafficPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExternalTrafficPolicy {
    /// Spread traffic over all nodes (client source IP is not preserved).
    Cluster,
    /// Only to nodes running a gateway pod (client source IP is preserved).
    Local,
}

/// Cloud load balancer preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// `none`, `aws-nlb` (AWS Load Balancer Controller NLB), `aws-alb` (an ALB Ingress in front of the
    /// gateway Service), `gcp` or `azure`.
    #[serde(default)]
    pub provider: Provider,
    /// AWS: the load balancer name (at most 32 characters; it cannot change after creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// AWS: `ip` (pods are targets; needs the VPC CNI) or `instance` (nodes are targets, via NodePorts).
    #[serde(default)]
    pub target_type: TargetType,
    /// aws-nlb: enable cross-zone load balancing (`load_balancing.cross_zone.enabled`).
    #[serde(default = "default_true")]
    pub cross_zone: bool,
    /// aws-alb: the ALB in front of the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alb: Option<Alb>,
}

impl Default for LoadBalancer {
    fn default() -> Self {
        LoadBalancer {
            provider: Provider::None,
            name: None,
            target_type: TargetType::Ip,
            cross_zone: true,
            alb: None,
        }
    }
}

/// Load balancer provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// No preset: a plain Service.
    #[default]
    None,
    /// AWS Network Load Balancer through the AWS Load Balancer Controller.
    AwsNlb,
    /// AWS Application Load Balancer (an Ingress of class `alb`) in front of the gateway.
    AwsAlb,
    /// Google Cloud load balancer (GKE).
    Gcp,
    /// Azure load balancer (AKS).
    Azure,
}

impl Provider {
    /// The spelling used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::None => "none",
            Provider::AwsNlb => "aws-nlb",
            Provider::AwsAlb => "aws-alb",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
        }
    }
}

/// AWS load balancer target type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetType {
    /// Pod IPs are the targets.
    #[default]
    Ip,
    /// Node ports are the targets.
    Instance,
}

impl TargetType {
    /// The spelling AWS annotations use.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Ip => "ip",
            TargetType::Instance => "instance",
        }
    }
}

/// An AWS Application Load Balancer in front of the gateway Service. The ALB terminates TLS with
/// ACM certificates and forwards plain HTTP to the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Alb {
    /// ACM certificate ARNs for the HTTPS listener; the first is the default certificate.
    #[serde(default)]
    pub certificate_arns: Vec<String>,
    /// Redirect HTTP (80) to HTTPS (443) at the ALB.
    #[serde(default = "default_true")]
    pub ssl_redirect: bool,
    /// Security group IDs or names for the ALB; empty: the controller creates one.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// ELB security policy for the HTTPS listener.
    #[serde(default = "default_ssl_policy")]
    pub ssl_policy: String,
    /// Tags added to the ALB (`alb.ingress.kubernetes.io/tags`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// ALB group name, to share one ALB between several Ingresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

impl Default for Alb {
    fn default() -> Self {
        Alb {
            certificate_arns: Vec::new(),
            ssl_redirect: true,
            security_groups: Vec::new(),
            ssl_policy: default_ssl_policy(),
            tags: BTreeMap::new(),
            group_name: None,
        }
    }
}

fn default_ssl_policy() -> String {
    "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string()
}

/// external-dns integration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalDns {
    /// Annotate the gateway's load balancer object (its Service, or the ALB Ingress) with the
    /// gateway's hosts, for external-dns's `service` and `ingress` sources. (Its `istio-gateway`
    /// source reads the Istio Gateway's hosts directly.)
    #[serde(default)]
    pub enabled: bool,
    /// Annotation prefix. external-dns v0.22 and later read `external-dns.kubernetes.io/`; older
    /// versions (or `--annotation-prefix`) read `external-dns.alpha.kubernetes.io/`.
    #[serde(default = "default_external_dns_prefix")]
    pub annotation_prefix: String,
    /// TTL of the records, in seconds; unset: the provider's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
}

impl Default for ExternalDns {
    fn default() -> Self {
        ExternalDns { enabled: false, annotation_prefix: default_external_dns_prefix(), ttl: None }
    }
}

fn default_external_dns_prefix() -> String {
    "external-dns.kubernetes.io/".to_string()
}

/// One server (port) of an Istio Gateway.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Server {
    /// Port number, 1-65535; unique within a gateway. Also exposed on the gateway Service.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// `HTTPS`, `HTTP` or `TLS`.
    pub protocol: ServerProtocol,
    /// Port name on the Istio Gateway. Default: `<protocol, lowercase>-<port>` (`https-443`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Hosts served. Default: `spec.domains`.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// TLS settings for `HTTPS` and `TLS` servers. Default for HTTPS: mode `SIMPLE` with the first
    /// certificate of `spec.certificates`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServerTls>,
    /// `HTTP` servers only: answer every request with a 301 redirect to `https://<host>/` (port 443).
    /// Default: `true` when the gateway also serves HTTPS on port 443, else `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_redirect: Option<bool>,
}

/// Istio Gateway server protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ServerProtocol {
    /// TLS terminated at the gateway, then HTTP.
    #[default]
    Https,
    /// Plain HTTP.
    Http,
    /// TLS (terminated at the gateway, or passed through with `PASSTHROUGH`).
    Tls,
}

impl ServerProtocol {
    /// The spelling Istio uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerProtocol::Https => "HTTPS",
            ServerProtocol::Http => "HTTP",
            ServerProtocol::Tls => "TLS",
        }
    }
}

/// TLS settings of a server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerTls {
    /// `SIMPLE` (server TLS), `MUTUAL` (client certificates required), `OPTIONAL_MUTUAL` (client
    /// certificates verified when presented) or `PASSTHROUGH` (TLS is forwarded untouched; `TLS`
    /// servers only).
    #[serde(default)]
    pub mode: TlsMode,
    /// Name of an entry of `spec.certificates`; the server's `credentialName` becomes that
    /// certificate's secret. Exclusive with `credentialName`. Default (HTTPS, when neither is set):
    /// the first certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// An existing TLS Secret in `spec.namespace`, managed outside this config. Exclusive with
    /// `certificate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_name: Option<String>,
    /// Lowest TLS version accepted. Default `TLSV1_2`.
    #[serde(default = "default_min_tls")]
    pub min_protocol_version: TlsVersion,
    /// Highest TLS version accepted; unset: Envoy's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_protocol_version: Option<TlsVersion>,
    /// Cipher suites, in OpenSSL names (TLS 1.2 and below); empty: Envoy's defaults.
    #[serde(default)]
    pub cipher_suites: Vec<String>,
    /// `MUTUAL` and `OPTIONAL_MUTUAL`: Subject Alternative Names a client certificate must carry.
    #[serde(default)]
    pub subject_alt_names: Vec<String>,
}

/// Server TLS mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TlsMode {
    /// Server-side TLS.
    #[default]
    Simple,
    /// Mutual TLS: a client certificate is required.
    Mutual,
    /// Mutual TLS when the client presents a certificate.
    OptionalMutual,
    /// Forward the TLS connection untouched (routing by SNI).
    Passthrough,
}

impl TlsMode {
    /// The spelling Istio uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Simple => "SIMPLE",
            TlsMode::Mutual => "MUTUAL",
            TlsMode::OptionalMutual => "OPTIONAL_MUTUAL",
            TlsMode::Passthrough => "PASSTHROUGH",
        }
    }
}

/// TLS protocol version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum TlsVersion {
    /// Envoy's default.
    #[serde(rename = "TLS_AUTO")]
    TlsAuto,
    /// TLS 1.0 (insecure).
    #[serde(rename = "TLSV1_0")]
    Tlsv10,
    /// TLS 1.1 (insecure).
    #[serde(rename = "TLSV1_1")]
    Tlsv11,
    /// TLS 1.2.
    #[default]
    #[serde(rename = "TLSV1_2")]
    Tlsv12,
    /// TLS 1.3.
    #[serde(rename = "TLSV1_3")]
    Tlsv13,
}

impl TlsVersion {
    /// The spelling Istio uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::TlsAuto => "TLS_AUTO",
            TlsVersion::Tlsv10 => "TLSV1_0",
            TlsVersion::Tlsv11 => "TLSV1_1",
            TlsVersion::Tlsv12 => "TLSV1_2",
            TlsVersion::Tlsv13 => "TLSV1_3",
        }
    }
}

fn default_min_tls() -> TlsVersion {
    TlsVersion::Tlsv12
}

/// A cert-manager Certificate, written into `spec.namespace`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// Name of the Certificate; servers reference it in `tls.certificate`.
    pub name: String,
    /// Secret the certificate is written to (in `spec.namespace`). Default: the certificate's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// Name of the issuer: an entry of `spec.issuers` or an issuer that already exists in the cluster.
    /// Default: the first entry of `spec.issuers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `ClusterIssuer` (default) or `Issuer` (a namespaced issuer in `spec.namespace`).
    #[serde(default)]
    pub issuer_kind: IssuerKind,
    /// DNS names in the certificate. Default: `spec.domains`. Must cover the hosts of every server that
    /// uses the certificate.
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// Common name (ignored by TLS clients when DNS names are present); unset: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
}

/// Kind of cert-manager issuer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IssuerKind {
    /// A cluster-scoped issuer.
    #[default]
    ClusterIssuer,
    /// A namespaced issuer in `spec.namespace`.
    Issuer,
}

impl IssuerKind {
    /// The spelling cert-manager uses.
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerKind::ClusterIssuer => "ClusterIssuer",
            IssuerKind::Issuer => "Issuer",
        }
    }
}

/// A cert-manager ClusterIssuer to generate. Set exactly one of `acme`, `selfSigned` and `ca`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Issuer {
    /// Name of the ClusterIssuer.
    pub name: String,
    /// An ACME issuer (Let's Encrypt by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acme: Option<Acme>,
    /// A self-signing issuer (to bootstrap an internal CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<SelfSigned>,
    /// A CA issuer signing with a key pair from a Secret (for internal and MUTUAL gateways).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaIssuer>,
}

/// ACME issuer settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Acme {
    /// Contact e-mail registered with the ACME account (expiry notices).
    pub email: String,
    /// `production` (Let's Encrypt), `staging` (Let's Encrypt staging) or an ACME directory URL.
    #[serde(default = "default_acme_server")]
    pub server: String,
    /// Secret holding the ACME account key (in cert-manager's cluster resource namespace).
    /// Default: `<issuer name>-account-key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_secret_name: Option<String>,
    /// Challenge solvers, tried in order (cert-manager picks the most specific selector); at least one.
    #[serde(default)]
    pub solvers: Vec<Solver>,
}

fn default_acme_server() -> String {
    "production".to_string()
}

/// One ACME challenge solver. Set exactly one of `http01` and `dns01`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Solver {
    /// HTTP-01 through one of this config's gateways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http01: Option<Http01>,
    /// DNS-01 (required for wildcard names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns01: Option<Dns01>,
    /// Limit the solver to some DNS zones or names; unset: every name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<SolverSelector>,
}

/// HTTP-01 through a gateway of this config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Http01 {
    /// Name of an entry of `spec.gateways` that serves HTTP on port 80 for the certificate's names.
    pub gateway: String,
}

/// DNS-01 settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dns01 {
    /// AWS Route 53.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route53: Option<Route53>,
}

/// Route 53 DNS-01 settings. Credentials come from the cert-manager pod's environment (IRSA / pod
/// identity, instance profile) or from assuming `role`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route53 {
    /// AWS region.
    pub region: String,
    /// Hosted zone ID; unset: cert-manager looks the zone up (needs `route53:ListHostedZonesByName`).
    #[serde(default, rename = "hostedZoneID", skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
    /// IAM role ARN to assume; unset: use the ambient credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Limits a solver to some names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SolverSelector {
    /// DNS zones (the name and its subdomains).
    #[serde(default)]
    pub dns_zones: Vec<String>,
    /// Exact DNS names.
    #[serde(default)]
    pub dns_names: Vec<String>,
}

/// A self-signing issuer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfSigned {}

/// A CA issuer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaIssuer {
    /// Secret with `tls.crt` and `tls.key` of the CA, in cert-manager's cluster resource namespace
    /// (`cert-manager` by default).
    pub secret_name: String,
}

/// Mesh-level mutual TLS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mtls {
    /// Default mode for managed namespaces and the mesh-wide policy: `STRICT` (mTLS only) or
    /// `PERMISSIVE` (mTLS and plain text, for migrations).
    #[serde(default)]
    pub mode: MtlsMode,
    /// Also emit the mesh-wide PeerAuthentication `default` in `rootNamespace`.
    #[serde(default)]
    pub mesh_wide: bool,
    /// The mesh root namespace (meshConfig `rootNamespace`).
    #[serde(default = "default_root_namespace")]
    pub root_namespace: String,
    /// Trust domain of workload identities, used in authorization principals.
    #[serde(default = "default_trust_domain")]
    pub trust_domain: String,
}

impl Default for Mtls {
    fn default() -> Self {
        Mtls {
            mode: MtlsMode::Strict,
            mesh_wide: false,
            root_namespace: default_root_namespace(),
            trust_domain: default_trust_domain(),
        }
    }
}

fn default_root_namespace() -> String {
    "istio-system".to_string()
}
fn default_trust_domain() -> String {
    "cluster.local".to_string()
}

/// Peer authentication mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum MtlsMode {
    /// Only mutual TLS is accepted.
    #[default]
    Strict,
    /// Mutual TLS and plain text are accepted.
    Permissive,
}

impl MtlsMode {
    /// The spelling Istio uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Strict => "STRICT",
            MtlsMode::Permissive => "PERMISSIVE",
        }
    }
}

/// An application namespace managed by this config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppNamespace {
    /// Namespace name.
    pub name: String,
    /// Label the namespace for sidecar injection (`istio-injection: enabled`, or `istio.io/rev` with a
    /// revision); `false` labels it `istio-injection: disabled`.
    #[serde(default = "default_true")]
    pub injection: bool,
    /// Peer authentication for the namespace (a PeerAuthentication `default`; with `STRICT` also a
    /// DestinationRule `default-mtls` with `ISTIO_MUTUAL` for `*.<namespace>.svc.cluster.local`).
    /// Default: `spec.mtls.mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtls: Option<MtlsMode>,
    /// Authorization defaults.
    #[serde(default)]
    pub authorization: Authorization,
}

/// Authorization defaults of a namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authorization {
    /// Deny all requests except those from the gateways that route into this namespace (by their
    /// service-account principal) and from workloads in the same namespace.
    #[serde(default)]
    pub default_deny: bool,
}

/// A route: one VirtualService bound to gateways of this config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    /// Name of the VirtualService.
    pub name: String,
    /// Namespace of the VirtualService (usually the destination service's namespace).
    pub namespace: String,
    /// Names of entries of `spec.gateways` to bind to, and `mesh` to also route traffic from sidecars
    /// inside the mesh. Default: the first gateway.
    #[serde(default)]
    pub gateways: Vec<String>,
    /// Hosts routed. Default: `spec.domains`. Each must be served by every bound gateway.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// HTTP rules, matched in order; at least one.
    #[serde(default)]
    pub http: Vec<HttpRule>,
}

/// One HTTP rule of a route.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpRule {
    /// URI match; set one of `exact`, `prefix` and `regex`. Unset: every request (a catch-all).
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_: Option<UriMatch>,
    /// Where matching requests go.
    pub destination: Destination,
    /// Request timeout, such as `10s` or `1m30s`; unset: no timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Retry policy; unset: Istio's default (2 attempts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Retries>,
}

/// A URI match. Set exactly one field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UriMatch {
    /// The whole path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// A path prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// An RE2 regular expression matching the whole path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// A route destination.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Destination {
    /// Service host: a short name (resolved in the route's namespace) or a fully qualified name.
    pub host: String,
    /// Service port; required when the service exposes more than one port (IST0112).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
}

/// A retry policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retries {
    /// Number of retries.
    pub attempts: u32,
    /// Timeout per attempt, such as `5s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_try_timeout: Option<String>,
    /// Envoy retry conditions, comma-separated (`5xx,reset,connect-failure`); unset: Istio's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on: Option<String>,
}

/// The demo workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DemoApp {
    /// Render the demo app (Deployment, Service, ServiceAccount, PodDisruptionBudget, NetworkPolicy,
    /// VirtualService).
    #[serde(default)]
    pub enabled: bool,
    /// Name of its objects.
    #[serde(default = "default_demo_name")]
    pub name: String,
    /// Namespace. Default: the first entry of `spec.namespaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Host it is served on. Default: `demo.<first domain without its wildcard label>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Name of the entry of `spec.gateways` it is routed through. Default: the first gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Service port.
    #[serde(default = "default_demo_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// Replicas.
    #[serde(default = "default_demo_replicas")]
    pub replicas: u32,
    /// Container image; empty: a small HTTP echo server (go-httpbin), listening on 8080 as a non-root
    /// user. Pin it by digest (`image: registry.example.com/go-httpbin@sha256:...`, the digest of the
    /// copy in your registry) anywhere but a sandbox: a tag can be moved to other content. An image
    /// without a digest is pulled on every pod start (`imagePullPolicy: Always`) so a node never runs
    /// a stale copy of a moved tag; one with a digest is pulled only if missing.
    #[serde(default)]
    pub image: String,
}

impl Default for DemoApp {
    fn default() -> Self {
        DemoApp {
            enabled: false,
            name: default_demo_name(),
            namespace: None,
            host: None,
            gateway: None,
            port: default_demo_port(),
            replicas: default_demo_replicas(),
            image: String::new(),
        }
    }
}

fn default_demo_name() -> String {
    "demo-app".to_string()
}
fn default_demo_port() -> u32 {
    8000
}
fn default_demo_replicas() -> u32 {
    2
}

/// Multi-network mesh settings. `meshID`, `clusterName` and `network` must equal the istiod Helm values
/// `global.meshID`, `global.multiCluster.clusterName` and `global.network` of this cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Multicluster {
    /// Mesh ID shared by every cluster of the mesh (istiod `global.meshID`).
    #[serde(rename = "meshID")]
    pub mesh_id: String,
    /// This cluster's name (istiod `global.multiCluster.clusterName`).
    pub cluster_name: String,
    /// This cluster's network (istiod `global.network`); labels the mesh root namespace
    /// `topology.istio.io/network` and the east-west gateway.
    pub network: String,
    /// The east-west gateway that exposes this cluster's services to other networks.
    #[serde(default)]
    pub east_west_gateway: EastWestGateway,
    /// The cluster's intermediate CA, issued by cert-manager.
    #[serde(default, rename = "pluginCA")]
    pub plugin_ca: PluginCa,
}

/// East-west gateway settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EastWestGateway {
    /// Render the east-west gateway workload (in the mesh root namespace) and the cross-network
    /// Gateway (port 15443, `AUTO_PASSTHROUGH`, hosts `*.local`).
    #[serde(default)]
    pub enabled: bool,
    /// Also expose istiod (ports 15012 and 15017) for primary-remote setups.
    #[serde(default)]
    pub expose_istiod: bool,
    /// Who reaches the gateway: `external` (other networks over the internet, the default) or
    /// `internal` (peered private networks); selects the load balancer scheme of the presets.
    #[serde(default)]
    pub scope: Scope,
    /// Workload settings (replicas, autoscaling, resources, placement), as for ingress gateways.
    /// Name default: `istio-eastwestgateway`; labels default: `istio: eastwestgateway`.
    #[serde(default)]
    pub workload: Workload,
    /// Service settings. Type default: `LoadBalancer`.
    #[serde(default)]
    pub service: GatewayService,
    /// Cloud load balancer preset (`aws-nlb`, `gcp`, `azure`; `aws-alb` is not allowed: an ALB
    /// terminates TLS, which breaks `AUTO_PASSTHROUGH`).
    #[serde(default)]
    pub load_balancer: LoadBalancer,
}

/// The plugin CA: this cluster's intermediate CA as a cert-manager Certificate written to
/// `istio-system/cacerts`, signed by a ClusterIssuer that holds the mesh's shared root.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginCa {
    /// Name of the ClusterIssuer that signs the intermediate (a CA issuer holding the shared root);
    /// empty: no plugin CA.
    #[serde(default)]
    pub issuer: String,
    /// Lifetime of the intermediate certificate.
    #[serde(default = "default_ca_duration")]
    pub duration: String,
    /// Renew this long before expiry.
    #[serde(default = "default_ca_renew_before")]
    pub renew_before: String,
}

impl Default for PluginCa {
    fn default() -> Self {
        PluginCa {
            issuer: String::new(),
            duration: default_ca_duration(),
            renew_before: default_ca_renew_before(),
        }
    }
}

fn default_ca_duration() -> String {
    "8760h".to_string()
}
fn default_ca_renew_before() -> String {
    "720h".to_string()
}

/// Argo CD integration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Argocd {
    /// Annotate every generated object with `argocd.argoproj.io/sync-wave` in dependency order:
    /// namespaces, issuers, certificates, gateway RBAC/Service/Deployment, Istio Gateways, then
    /// policies and VirtualServices.
    #[serde(default)]
    pub sync_waves: bool,
}

/// Checks over the whole package.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Analysis {
    /// How findings on objects you wrote are reported: a VirtualService naming a Gateway missing from
    /// the package or a subset no DestinationRule defines, or binding a Gateway that serves none of
    /// its hosts; a Gateway whose `credentialName` nothing provides in the gateway pods' namespace,
    /// that conflicts with another on one workload, or shares its certificate; a selector matching
    /// no workload. `Warning`: every finding is a warning. `Error`: what `istioctl analyze` rates an
    /// error (IST0101 references, IST0145 conflicts) fails the render; its warnings (IST0132,
    /// IST0138, IST0127) and selectors matching no workload of the package (the workload may be
    /// installed outside it) stay warnings. `Off`: no checks.
    #[serde(default)]
    pub user_objects: FindingSeverity,
}

/// How findings on objects the user wrote are reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FindingSeverity {
    /// No checks over the package.
    Off,
    /// Every finding is a warning.
    #[default]
    Warning,
    /// Findings `istioctl analyze` rates as errors fail the render.
    Error,
}

/// Mesh tracing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Telemetry {
    /// Name of a tracing extension provider defined in istiod's `meshConfig.extensionProviders`.
    pub provider: String,
    /// Percentage of requests traced, 0-100.
    #[serde(default = "default_sampling")]
    #[schemars(range(min = 0, max = 100))]
    pub sampling_percentage: f64,
}

fn default_sampling() -> f64 {
    1.0
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn same_as_empty<T: Default + DeserializeOwned + PartialEq + std::fmt::Debug>(what: &str) {
        let read: T = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(T::default(), read, "{what}: Default differs from the serde defaults");
    }

    #[test]
    fn defaults_in_code_equal_defaults_in_yaml() {
        same_as_empty::<MeshIngressSpec>("MeshIngressSpec");
        same_as_empty::<Workload>("Workload");
        same_as_empty::<Autoscaling>("Autoscaling");
        same_as_empty::<PodDisruptionBudget>("PodDisruptionBudget");
        same_as_empty::<GatewayService>("GatewayService");
        same_as_empty::<LoadBalancer>("LoadBalancer");
        same_as_empty::<Alb>("Alb");
        same_as_empty::<ExternalDns>("ExternalDns");
        same_as_empty::<ServerTls>("ServerTls");
        same_as_empty::<Mtls>("Mtls");
        same_as_empty::<Authorization>("Authorization");
        same_as_empty::<DemoApp>("DemoApp");
        same_as_empty::<EastWestGateway>("EastWestGateway");
        same_as_empty::<PluginCa>("PluginCa");
        same_as_empty::<Argocd>("Argocd");
        same_as_empty::<SolverSelector>("SolverSelector");
        same_as_empty::<Dns01>("Dns01");
        same_as_empty::<UriMatch>("UriMatch");
    }
}
