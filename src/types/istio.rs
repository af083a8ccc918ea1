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
    /// TCP routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tcp: Vec<TcpRoute>,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub route: Vec<RouteDestination>,
    /// Redirect (exclusive with `route` and `directResponse`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<HttpRedirect>,
    /// Fixed response (exclusive with `route` and `redirect`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_response: Option<HttpDirectResponse>,
    /// Rewrite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<HttpRewrite>,
    /// Timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<Retries>,
    /// Fault injection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<HttpFault>,
    /// Mirror destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror: Option<Destination>,
    /// Share of requests mirrored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror_percentage: Option<Percent>,
    /// CORS policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_policy: Option<CorsPolicy>,
    /// Header manipulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
}

/// An HTTP match (all conditions).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpMatch {
    /// URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<StringMatch>,
    /// Headers that must match; an empty match means "present".
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, StringMatch>,
    /// Headers that must not match; an empty match means "absent".
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub without_headers: BTreeMap<String, StringMatch>,
    /// Query parameters; an empty match means "present".
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub query_params: BTreeMap<String, StringMatch>,
    /// Method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<StringMatch>,
    /// Gateway port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    /// Authority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<StringMatch>,
}

/// A string match (at most one field set; none: presence).
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
    /// Weight, in percent of the rule's traffic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

/// A destination service.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Destination {
    /// Host.
    pub host: String,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortSelector>,
    /// Subset of a DestinationRule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
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

/// An HTTP redirect.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRedirect {
    /// New path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// New authority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// New port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    /// How the port is derived (`FROM_PROTOCOL_DEFAULT`, `FROM_REQUEST_PORT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derive_port: Option<String>,
    /// New scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_code: Option<u16>,
}

/// A fixed response.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpDirectResponse {
    /// Status.
    pub status: u16,
    /// Body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<HttpBody>,
}

/// A response body.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpBody {
    /// Text.
    pub string: String,
}

/// A rewrite.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRewrite {
    /// New path, or new prefix for a prefix match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Regex rewrite of the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_regex_rewrite: Option<RegexRewrite>,
    /// New authority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// A regex rewrite.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegexRewrite {
    /// RE2 pattern.
    #[serde(rename = "match")]
    pub match_: String,
    /// Replacement.
    pub rewrite: String,
}

/// Fault injection.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpFault {
    /// Delay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<FaultDelay>,
    /// Abort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort: Option<FaultAbort>,
}

/// An injected delay.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultDelay {
    /// Delay.
    pub fixed_delay: String,
    /// Share of requests.
    pub percentage: Percent,
}

/// An injected error.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultAbort {
    /// HTTP status.
    pub http_status: u16,
    /// Share of requests.
    pub percentage: Percent,
}

/// A percentage.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Percent {
    /// Value, 0-100.
    pub value: f64,
}

/// A CORS policy.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorsPolicy {
    /// Allowed origins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<StringMatch>,
    /// Allowed methods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_methods: Vec<String>,
    /// Allowed headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_headers: Vec<String>,
    /// Exposed headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    /// Preflight cache lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    /// Credentials allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
}

/// Header manipulation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Headers {
    /// On the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<HeaderOperations>,
    /// On the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<HeaderOperations>,
}

/// Header operations.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HeaderOperations {
    /// Set (overwrite).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, String>,
    /// Append.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub add: BTreeMap<String, String>,
    /// Remove.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
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
    /// Gateway port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    /// SNI hosts.
    pub sni_hosts: Vec<String>,
}

/// A TCP route.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TcpRoute {
    /// Matches (any).
    #[serde(rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub match_: Vec<L4Match>,
    /// Destinations.
    pub route: Vec<RouteDestination>,
}

/// A layer-4 match.
#[derive(Clone, Debug, Default, Serialize)]
pub struct L4Match {
    /// Gateway port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
}

/// DestinationRule spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    /// Host.
    pub host: String,
    /// Traffic policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic_policy: Option<TrafficPolicy>,
    /// Subsets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subsets: Vec<Subset>,
}

/// A subset of a host's endpoints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Subset {
    /// Name.
    pub name: String,
    /// Endpoint labels.
    pub labels: BTreeMap<String, String>,
    /// Policy of the subset; its fields replace the rule's.
    #[serde(rename = "trafficPolicy", skip_serializing_if = "Option::is_none")]
    pub traffic_policy: Option<TrafficPolicy>,
}

/// A traffic policy.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficPolicy {
    /// Client TLS settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// Connection pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_pool: Option<ConnectionPoolSettings>,
    /// Outlier detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<OutlierDetection>,
    /// Load balancer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerSettings>,
}

/// Client TLS settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTls {
    /// Mode.
    pub mode: String,
    /// Secret with client certificate and CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_name: Option<String>,
    /// SNI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// Server SANs to verify.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subject_alt_names: Vec<String>,
}

/// Connection pool settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ConnectionPoolSettings {
    /// TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpSettings>,
    /// HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpSettings>,
}

/// TCP connection pool settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpSettings {
    /// Most connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// Connect timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<String>,
    /// Idle timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<String>,
}

/// HTTP connection pool settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpSettings {
    /// Most pending requests.
    #[serde(rename = "http1MaxPendingRequests", skip_serializing_if = "Option::is_none")]
    pub http1_max_pending_requests: Option<u32>,
    /// Most concurrent requests.
    #[serde(rename = "http2MaxRequests", skip_serializing_if = "Option::is_none")]
    pub http2_max_requests: Option<u32>,
    /// Requests per connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_requests_per_connection: Option<u32>,
    /// Most concurrent retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// Idle timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<String>,
}

/// Outlier detection.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutlierDetection {
    /// Consecutive 5xx errors.
    #[serde(rename = "consecutive5xxErrors", skip_serializing_if = "Option::is_none")]
    pub consecutive_5xx_errors: Option<u32>,
    /// Consecutive gateway errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consecutive_gateway_errors: Option<u32>,
    /// Analysis interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Base ejection time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_ejection_time: Option<String>,
    /// Most ejected, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ejection_percent: Option<u32>,
    /// Panic threshold, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_health_percent: Option<u32>,
}

/// Load balancer settings (one of `simple` and `consistentHash`).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerSettings {
    /// Algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simple: Option<String>,
    /// Consistent hashing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_hash: Option<ConsistentHashLb>,
}

/// Consistent-hash settings (one key).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsistentHashLb {
    /// Header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_header_name: Option<String>,
    /// Cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_cookie: Option<HttpCookie>,
    /// Query parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_query_parameter_name: Option<String>,
    /// Source IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_source_ip: Option<bool>,
}

/// A hash cookie.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpCookie {
    /// Name.
    pub name: String,
    /// Path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
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
