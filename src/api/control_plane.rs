//! The Istio control plane in `mesh-ingress.dev/v1alpha1` (`spec.controlPlane`): istiod and the
//! `base` chart, rendered from the same config as the ingress stack, as GitOps objects in the format
//! the platform runs (Sail Operator, Argo CD, Flux). Re-exported by [`super::v1alpha1`]; the `///`
//! comments are the user documentation, as there.
//!
//! What is never typed here because the config already says it: the revision (`spec.revision`), the
//! trust domain and root namespace (`spec.mtls`), the mesh ID, cluster name and network
//! (`spec.multicluster`). How those become Helm values and Sail fields is in
//! [`crate::model::control_plane`].

use super::v1alpha1::{Autoscaling, TlsVersion};
use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Toleration};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The Istio control plane this config's gateways and namespaces need (istiod, its mesh config and
/// the `base` chart), delivered as GitOps objects. Unset: nothing of the control plane is rendered and
/// the control plane is installed elsewhere. The revision is `spec.revision`, the trust domain
/// `spec.mtls.trustDomain`, and with `spec.multicluster` the mesh ID, cluster name and network come
/// from there: each is written once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlPlane {
    /// How the control plane reaches the cluster, in the format the platform runs: `sail` (a
    /// `sailoperator.io/v1` Istio for the Sail Operator), `argocd` (Argo CD Applications for the
    /// upstream `base` and `istiod` Helm charts) or `flux` (Flux HelmReleases with their chart source).
    /// Required: the choice depends on what runs in the cluster.
    pub delivery: Delivery,

    /// Istio release, `1.MINOR.PATCH`: the Helm chart version (`1.30.3`), or the Sail `version`
    /// (`v1.30.3`). Istio 1.29 and 1.30 are supported: every Helm value rendered is checked against
    /// those charts' values.
    #[serde(default = "default_istio_version")]
    pub version: String,

    /// Installation profile: `default`; `minimal` (istiod only, as istioctl's minimal profile; the
    /// same install as `default` here, since gateways are never part of the control plane rendered);
    /// `demo` (access logs, full tracing, small resources: not for production); `preview`
    /// (experimental features); `ambient` (istiod for ambient mode; istio-cni and ztunnel are needed
    /// too and not rendered); `remote` (no istiod in this cluster: only the injection webhook, served
    /// by the primary cluster's istiod at `remotePilotAddress`); `empty` (nothing installed, as
    /// istioctl's empty profile: no objects are rendered, and nothing injects gateways or sidecars).
    #[serde(default)]
    pub profile: Profile,

    /// Also make the revision the cluster's default (revision tag `default`), so namespaces labelled
    /// `istio-injection: enabled` and pods with `sidecar.istio.io/inject: "true"` are injected by it
    /// too. Needs a `spec.revision`: the default revision serves those labels already.
    #[serde(default)]
    pub default_tag: bool,

    /// The istiod workload: replicas, autoscaling, disruption budget, resources and placement.
    #[serde(default)]
    pub istiod: Istiod,

    /// Mesh-wide settings (istiod's `meshConfig`) the rest of the config relies on. `trustDomain`
    /// comes from `spec.mtls.trustDomain` and `rootNamespace` from `spec.mtls.rootNamespace`.
    #[serde(default)]
    pub mesh_config: MeshConfig,

    /// The Gateway API in istiod (`PILOT_ENABLE_GATEWAY_API`). Unset: switched on explicitly when the
    /// config renders Gateway API objects (an HTTP-01 gateway's port-80 Gateway), else left at
    /// istiod's default (on). `false` while the config renders Gateway API objects is an error.
    #[serde(default, rename = "gatewayAPI", skip_serializing_if = "Option::is_none")]
    pub gateway_api: Option<bool>,

    /// Profile `remote` only: the address of the primary cluster's istiod, usually the load balancer
    /// of the primary's east-west gateway (istiod `global.remotePilotAddress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_pilot_address: Option<String>,

    /// Where the Helm charts come from: `https` (the Helm repository
    /// `https://istio-release.storage.googleapis.com/charts`) or `oci` (`oci://registry.istio.io/release/charts`).
    /// Argo CD and Flux only.
    #[serde(default)]
    pub chart_source: ChartSource,

    /// A mirror of the chart repository to use instead of Istio's (`https://...` for `https`,
    /// `oci://...` for `oci`). Argo CD and Flux only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_repository: Option<String>,

    /// Settings of the `sail` delivery.
    #[serde(default)]
    pub sail: SailDelivery,

    /// Settings of the `argocd` delivery.
    #[serde(default)]
    pub argocd: ArgocdDelivery,

    /// Settings of the `flux` delivery.
    #[serde(default)]
    pub flux: FluxDelivery,
}

/// The Istio release the control plane defaults to: the one whose CRDs the output is validated against.
pub fn default_istio_version() -> String {
    "1.30.3".to_string()
}

/// The format the control plane is delivered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// A `sailoperator.io/v1` Istio (and IstioRevisionTags) for the Sail Operator.
    Sail,
    /// Argo CD Applications for the upstream `base` and `istiod` charts.
    Argocd,
    /// Flux HelmReleases for the upstream `base` and `istiod` charts, with their chart source.
    Flux,
}

impl Delivery {
    /// The spelling used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sail => "sail",
            Delivery::Argocd => "argocd",
            Delivery::Flux => "flux",
        }
    }
}

/// An Istio installation profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// istiod and the injection webhook.
    #[default]
    Default,
    /// istiod only (here the same install as `default`).
    Minimal,
    /// Demo settings: access logs, full tracing, small resources.
    Demo,
    /// Experimental features.
    Preview,
    /// istiod for ambient mode (istio-cni and ztunnel are installed separately).
    Ambient,
    /// No istiod here: the injection webhook of a primary cluster's istiod.
    Remote,
    /// Nothing installed.
    Empty,
}

impl Profile {
    /// The spelling used in the config and by Istio.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Minimal => "minimal",
            Profile::Demo => "demo",
            Profile::Preview => "preview",
            Profile::Ambient => "ambient",
            Profile::Remote => "remote",
            Profile::Empty => "empty",
        }
    }
}

/// Where the Istio Helm charts are pulled from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChartSource {
    /// A Helm repository over HTTPS (Flux: a HelmRepository).
    #[default]
    Https,
    /// An OCI registry (Flux: one OCIRepository per chart).
    Oci,
}

/// The istiod workload. Rendered as the istiod chart's values (`replicaCount`, `autoscaleMin`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Istiod {
    /// A fixed number of istiod replicas. Exclusive with `autoscaling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub replicas: Option<u32>,

    /// A HorizontalPodAutoscaler for istiod. Used when `replicas` is not set; default
    /// `{minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80}` (the chart's own default
    /// is a single replica, which a node drain takes down together with every injection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,

    /// istiod's PodDisruptionBudget (`minAvailable: 1`), which the chart renders only while more than
    /// one replica always runs.
    #[serde(default)]
    pub pod_disruption_budget: IstiodDisruptionBudget,

    /// Container resources (core ResourceRequirements); unset: the chart's requests
    /// (`cpu: 500m, memory: 2048Mi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// Pod `nodeSelector`, as written.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,

    /// Pod `tolerations`, as written.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,

    /// Pod `affinity`, as written (for example a `nodeAffinity` that keeps istiod on core nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
}

/// istiod's PodDisruptionBudget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IstiodDisruptionBudget {
    /// Render the budget (`global.defaultPodDisruptionBudget.enabled`).
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl Default for IstiodDisruptionBudget {
    fn default() -> Self {
        IstiodDisruptionBudget { enabled: true }
    }
}

fn default_true() -> bool {
    true
}

/// Mesh-wide settings (istiod `meshConfig`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeshConfig {
    /// Extension providers: the tracing backend `spec.telemetry.provider` names and the external
    /// authorizers that access rules with `action: CUSTOM` name in `provider`. Every provider those
    /// name must be defined here, of a kind that fits (tracing: `opentelemetry` or `zipkin`; external
    /// authorization: `envoyExtAuthzHttp` or `envoyExtAuthzGrpc`).
    #[serde(default)]
    pub extension_providers: Vec<ExtensionProvider>,

    /// Envoy access logs of every proxy (`meshConfig.accessLogFile`). Unset: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_logging: Option<AccessLogging>,

    /// TLS settings of the mesh's own mTLS connections (`meshConfig.tlsDefaults`).
    #[serde(default)]
    pub tls_defaults: TlsDefaults,
}

/// An extension provider: a name and exactly one kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtensionProvider {
    /// Name that Telemetry and CUSTOM authorization policies use; unique.
    pub name: String,
    /// An external authorizer spoken to over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envoy_ext_authz_http: Option<ExtAuthzHttp>,
    /// An external authorizer spoken to over gRPC (Envoy's `ext_authz` service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envoy_ext_authz_grpc: Option<ExtAuthzGrpc>,
    /// An OpenTelemetry tracing collector (OTLP over gRPC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opentelemetry: Option<TracingCollector>,
    /// A Zipkin tracing collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipkin: Option<TracingCollector>,
}

/// An external authorizer over HTTP.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtAuthzHttp {
    /// The authorizer's Service, fully qualified (`authz.auth.svc.cluster.local`), optionally behind
    /// its namespace (`auth/authz.auth.svc.cluster.local`).
    pub service: String,
    /// Its port, 1-65535.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// How long a check may take, such as `2s`; unset: Istio's default (10 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// A prefix added to the checked request's path (`/authorize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// Request headers sent to the authorizer (Istio sends only a few by default).
    #[serde(default)]
    pub include_request_headers_in_check: Vec<String>,
    /// Headers of the authorizer's answer added to an allowed request.
    #[serde(default)]
    pub headers_to_upstream_on_allow: Vec<String>,
    /// Headers of the authorizer's answer returned to the client of a denied request.
    #[serde(default)]
    pub headers_to_downstream_on_deny: Vec<String>,
    /// Let requests through when the authorizer cannot be reached. Default `false` (fail closed).
    #[serde(default)]
    pub fail_open: bool,
}

/// An external authorizer over gRPC.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtAuthzGrpc {
    /// The authorizer's Service, fully qualified, optionally behind its namespace.
    pub service: String,
    /// Its port, 1-65535.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// How long a check may take, such as `2s`; unset: Istio's default (10 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Let requests through when the authorizer cannot be reached. Default `false` (fail closed).
    #[serde(default)]
    pub fail_open: bool,
}

/// A tracing collector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TracingCollector {
    /// The collector's Service, fully qualified (`otel-collector.observability.svc.cluster.local`).
    pub service: String,
    /// Its port, 1-65535 (OTLP gRPC: 4317; Zipkin: 9411).
    #[schemars(range(min = 1, max = 65535))]
    pub port: u32,
    /// Longest tag value recorded, in characters; unset: Istio's default (256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_tag_length: Option<u32>,
}

/// Envoy access logs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLogging {
    /// `TEXT` (Envoy's default format) or `JSON`.
    #[serde(default)]
    pub encoding: AccessLogEncoding,
}

/// Encoding of the access log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AccessLogEncoding {
    /// Plain text.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

impl AccessLogEncoding {
    /// The spelling Istio uses.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLogEncoding::Text => "TEXT",
            AccessLogEncoding::Json => "JSON",
        }
    }
}

/// TLS settings of the mesh's mTLS connections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsDefaults {
    /// Lowest TLS version: `TLSV1_2` (default) or `TLSV1_3`.
    #[serde(default = "default_mesh_min_tls")]
    pub min_protocol_version: TlsVersion,
    /// Cipher suites for TLS 1.2, in OpenSSL names; empty: Istio's defaults.
    #[serde(default)]
    pub cipher_suites: Vec<String>,
    /// ECDH curves (`X25519`, `P-256`); empty: Envoy's defaults.
    #[serde(default)]
    pub ecdh_curves: Vec<String>,
}

impl Default for TlsDefaults {
    fn default() -> Self {
        TlsDefaults {
            min_protocol_version: default_mesh_min_tls(),
            cipher_suites: Vec::new(),
            ecdh_curves: Vec::new(),
        }
    }
}

fn default_mesh_min_tls() -> TlsVersion {
    TlsVersion::Tlsv12
}

/// Settings of the `sail` delivery.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SailDelivery {
    /// `InPlace` (default): the Istio's revision is named after it (`default`, or `spec.revision`) and
    /// a version change upgrades istiod in place. `RevisionBased`: each version gets its own revision
    /// (`<name>-v1-30-3`) and the injection labels name a revision tag (`spec.revision`, or `default`),
    /// which the operator moves to the new revision once it is ready.
    #[serde(default)]
    pub update_strategy: SailUpdateStrategy,
}

/// The Sail Operator's update strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SailUpdateStrategy {
    /// Upgrade istiod in place.
    #[default]
    InPlace,
    /// A new revision per version, reached through a revision tag.
    RevisionBased,
}

impl SailUpdateStrategy {
    /// The spelling Sail uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SailUpdateStrategy::InPlace => "InPlace",
            SailUpdateStrategy::RevisionBased => "RevisionBased",
        }
    }
}

/// Settings of the `argocd` delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgocdDelivery {
    /// Namespace of the Applications: Argo CD's own (`argocd`), unless it watches Applications in
    /// other namespaces too.
    #[serde(default = "default_argocd_namespace")]
    pub namespace: String,
    /// The AppProject of the Applications.
    #[serde(default = "default_argocd_project")]
    pub project: String,
    /// The cluster to install into, by API server URL; default: the cluster Argo CD runs in.
    /// Exclusive with `destinationName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_server: Option<String>,
    /// The cluster to install into, by its name in Argo CD (a hub Argo CD managing several clusters).
    /// Exclusive with `destinationServer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_name: Option<String>,
    /// Sync automatically, pruning and reverting drift (`syncPolicy.automated`).
    #[serde(default = "default_true")]
    pub automated: bool,
}

impl Default for ArgocdDelivery {
    fn default() -> Self {
        ArgocdDelivery {
            namespace: default_argocd_namespace(),
            project: default_argocd_project(),
            destination_server: None,
            destination_name: None,
            automated: true,
        }
    }
}

fn default_argocd_namespace() -> String {
    "argocd".to_string()
}
fn default_argocd_project() -> String {
    "default".to_string()
}

/// Settings of the `flux` delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FluxDelivery {
    /// Namespace of the HelmReleases and their source. Default: the mesh root namespace
    /// (`spec.mtls.rootNamespace`), where the charts install, so no reference crosses namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// How often Flux reconciles the releases, such as `10m`.
    #[serde(default = "default_flux_interval")]
    pub interval: String,
}

impl Default for FluxDelivery {
    fn default() -> Self {
        FluxDelivery { namespace: None, interval: default_flux_interval() }
    }
}

fn default_flux_interval() -> String {
    "10m".to_string()
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
        same_as_empty::<Istiod>("Istiod");
        same_as_empty::<IstiodDisruptionBudget>("IstiodDisruptionBudget");
        same_as_empty::<MeshConfig>("MeshConfig");
        same_as_empty::<TlsDefaults>("TlsDefaults");
        same_as_empty::<AccessLogging>("AccessLogging");
        same_as_empty::<SailDelivery>("SailDelivery");
        same_as_empty::<ArgocdDelivery>("ArgocdDelivery");
        same_as_empty::<FluxDelivery>("FluxDelivery");
    }

    #[test]
    fn delivery_is_required() {
        let read: Result<ControlPlane, _> = serde_json::from_value(serde_json::json!({}));
        assert!(read.is_err());
        let read: ControlPlane = serde_json::from_value(serde_json::json!({"delivery": "flux"})).unwrap();
        assert_eq!(read.version, "1.30.3");
        assert_eq!(read.profile, Profile::Default);
    }
}
