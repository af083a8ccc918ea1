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
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPolicySpec {
    /// Workloads (in the policy's namespace) it applies to; none: the whole namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<WorkloadSelector>,
    /// Gateway API Gateways it applies to (exclusive with `selector`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_refs: Vec<PolicyTargetReference>,
    /// Action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `CUSTOM`: the extension provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderRef>,
    /// Rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// An authorization rule: it matches when `from`, `to` and `when` all match.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rule {
    /// Sources (any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<From>,
    /// Operations (any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<To>,
    /// Further conditions (all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Condition>,
}

/// A source clause.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct From {
    /// Source.
    pub source: Source,
}

/// Request source; every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// Peer identities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<String>,
    /// Peer namespaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// JWT principals (`<iss>/<sub>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_principals: Vec<String>,
    /// JWT principals that must not match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_request_principals: Vec<String>,
    /// Direct peer addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip_blocks: Vec<String>,
    /// Direct peer addresses that must not match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_ip_blocks: Vec<String>,
    /// Client addresses (X-Forwarded-For or PROXY protocol).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote_ip_blocks: Vec<String>,
    /// Client addresses that must not match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_remote_ip_blocks: Vec<String>,
}

/// An operation clause.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct To {
    /// Operation.
    pub operation: Operation,
}

/// Request operation; every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Hosts (`Host` header, case-insensitive; a leading or trailing `*` is a suffix or prefix match).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Destination ports (strings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    /// Destination ports that must not match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_ports: Vec<String>,
    /// Methods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// Paths.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Paths that must not match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_paths: Vec<String>,
}

/// A condition on a request attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Attribute, such as `request.auth.claims[groups]`.
    pub key: String,
    /// Values, one of which must match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Values none of which may match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_values: Vec<String>,
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

/// A workload selector of a security policy.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSelector {
    /// Pod labels, all of which must match.
    pub match_labels: BTreeMap<String, String>,
}

/// A policy attachment to a Gateway API object (`targetRefs`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyTargetReference {
    /// API group, `gateway.networking.k8s.io`.
    pub group: String,
    /// Kind, `Gateway`.
    pub kind: String,
    /// Name, in the policy's namespace.
    pub name: String,
}

/// RequestAuthentication spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestAuthenticationSpec {
    /// Workloads (in the policy's namespace) it applies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<WorkloadSelector>,
    /// Gateway API Gateways it applies to (exclusive with `selector`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_refs: Vec<PolicyTargetReference>,
    /// Accepted issuers.
    pub jwt_rules: Vec<JwtRule>,
}

/// One accepted JWT issuer.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtRule {
    /// Issuer (`iss`).
    pub issuer: String,
    /// Accepted audiences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    /// JWKS URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Inline JWKS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// Token locations: headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_headers: Vec<JwtHeader>,
    /// Token locations: query parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_params: Vec<String>,
    /// Token locations: cookies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_cookies: Vec<String>,
    /// Pass the token to the backend.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub forward_original_token: bool,
    /// Claims copied to headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_claim_to_headers: Vec<ClaimToHeader>,
    /// Header receiving the payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_payload_to_header: Option<String>,
}

/// A JWT header location.
#[derive(Clone, Debug, Default, Serialize)]
pub struct JwtHeader {
    /// Name.
    pub name: String,
    /// Prefix before the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A claim copied to a header.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClaimToHeader {
    /// Header.
    pub header: String,
    /// Claim.
    pub claim: String,
}
