//! Istio resources (`networking.istio.io/v1`, `security.istio.io/v1`, `telemetry.istio.io/v1`).

use serde::Serialize;
use std::collections::BTreeMap;

/// `networking.istio.io/v1`.
pub const NETWORKING_V1: &str = "networking.istio.io/v1";
/// `security.istio.io/v1`.
pub const SECURITY_V1: &str = "security.istio.io/v1";
/// `telemetry.istio.io/v1`.
pub const TELEMETRY_V1: &str = "telemetry.istio.io/v1";

/// Gateway spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    /// Labels of the gateway pods this Gateway configures.
    pub selector: BTreeMap<String, String>,
    /// Servers.
    pub servers: Vec<Server>,
}

/// A Gateway server.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    /// Port.
    pub port: Port,
    /// Hosts.
    pub hosts: Vec<String>,
    /// TLS settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServerTls>,
}

/// A Gateway server port.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    /// Number.
    pub number: u32,
    /// Name.
    pub name: String,
    /// Protocol.
    pub protocol: String,
}

/// Gateway server TLS settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTls {
    /// Redirect HTTP to HTTPS.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub https_redirect: bool,
    /// Mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Secret holding the server certificate (in the gateway pods' namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_name: Option<String>,
    /// Lowest TLS version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_protocol_version: Option<String>,
    /// Highest TLS version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_protocol_version: Option<String>,
    /// Cipher suites.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
    /// Client SANs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subject_alt_names: Vec<String>,
    /// The secret or ConfigMap holding the CA that verifies client certificates (Istio 1.28+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_cert_credential_name: Option<String>,
}

/// VirtualService spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualServiceSpec {
    /// Hosts.
    pub hosts: Vec<String>,
    /// Gateways (`namespace/name`).
    pub gateways: Vec<String>,
    /// HTTP routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpRoute>,
    /// TLS (SNI) routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<TlsRoute>,
}

/// An HTTP route.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// Name, for logs and metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Matches (any).
    #[serde(rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub match_: Vec<HttpMatch>,
    /// Destinations.
    pub route: Vec<RouteDestination>,
    /// Timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<Retries>,
}

/// An HTTP match.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpMatch {
    /// URI match.
    pub uri: StringMatch,
}

/// A string match (exactly one field set).
#[derive(Clone, Debug, Default, Serialize)]
pub struct StringMatch {
    /// Exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// Prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// RE2 regex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// A weighted destination.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RouteDestination {
    /// Destination.
    pub destination: Destination,
}

/// A destination service.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Destination {
    /// Host.
    pub host: String,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortSelector>,
}

/// A port selector.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PortSelector {
    /// Number.
    pub number: u32,
}

/// A retry policy.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Retries {
    /// Attempts.
    pub attempts: u32,
    /// Per-try timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_try_timeout: Option<String>,
    /// Retry conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_on: Option<String>,
}

/// A TLS (SNI) route.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsRoute {
    /// Matches.
    #[serde(rename = "match")]
    pub match_: Vec<TlsMatch>,
    /// Destinations.
    pub route: Vec<RouteDestination>,
}

/// A TLS match.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsMatch {
    /// Port.
    pub port: u32,
    /// SNI hosts.
    pub sni_hosts: Vec<String>,
}

/// DestinationRule spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    /// Host.
    pub host: String,
    /// Traffic policy.
    pub traffic_policy: TrafficPolicy,
}

/// A traffic policy.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrafficPolicy {
    /// Client TLS settings.
    pub tls: ClientTls,
}

/// Client TLS settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClientTls {
    /// Mode.
    pub mode: String,
}

/// PeerAuthentication spec.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeerAuthenticationSpec {
    /// Mutual TLS.
    pub mtls: PeerMtls,
}

/// Peer mutual TLS settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeerMtls {
    /// Mode.
    pub mode: String,
}

/// AuthorizationPolicy spec. An empty spec denies everything in its scope.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuthorizationPolicySpec {
    /// Action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// An authorization rule.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Rule {
    /// Sources (any).
    pub from: Vec<From>,
}

/// A source clause.
#[derive(Clone, Debug, Default, Serialize)]
pub struct From {
    /// Source.
    pub source: Source,
}

/// Request source.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Source {
    /// Peer identities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<String>,
    /// Peer namespaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

/// Telemetry spec.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TelemetrySpec {
    /// Tracing.
    pub tracing: Vec<Tracing>,
}

/// Tracing settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracing {
    /// Providers.
    pub providers: Vec<ProviderRef>,
    /// Sampling percentage.
    pub random_sampling_percentage: f64,
}

/// A provider reference.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProviderRef {
    /// Name.
    pub name: String,
}
