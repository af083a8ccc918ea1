//! Kubernetes Gateway API resources (`gateway.networking.k8s.io/v1`, standard channel v1.6). Defaults
//! the API server would add are written out, so Argo CD sees no drift (argoproj/argo-helm#3538):
//! listener `allowedRoutes`, match `path` and match `type`, backendRef `group`, `kind` and `weight`.

use serde::Serialize;
use std::collections::BTreeMap;

/// `gateway.networking.k8s.io/v1`.
pub const V1: &str = "gateway.networking.k8s.io/v1";
/// The Gateway API group.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// Gateway spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    /// Gateway class.
    pub gateway_class_name: String,
    /// Addresses; one `Hostname` binds the Gateway to an existing Service (Istio "manual deployment").
    /// None: Istio deploys the gateway itself ("automated deployment").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<GatewayAddress>,
    /// Infrastructure of an automatically deployed gateway: the ConfigMap Istio customizes it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infrastructure: Option<GatewayInfrastructure>,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// Gateway-wide TLS settings (client certificate validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<GatewayTlsConfig>,
}

/// `spec.infrastructure` of a Gateway.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayInfrastructure {
    /// The object with implementation-specific parameters (a ConfigMap for Istio).
    pub parameters_ref: ObjectRef,
}

/// A Gateway address.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GatewayAddress {
    /// Type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Value.
    pub value: String,
}

/// A listener.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// Name.
    pub name: String,
    /// Host name; `None`: every host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Port.
    pub port: u32,
    /// Protocol.
    pub protocol: String,
    /// TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ListenerTls>,
    /// Which routes may attach.
    pub allowed_routes: AllowedRoutes,
}

/// TLS of a listener.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerTls {
    /// `Terminate` or `Passthrough`.
    pub mode: String,
    /// Certificates (Secrets) for `Terminate`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificate_refs: Vec<ObjectRef>,
    /// Implementation-specific options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// Gateway-wide TLS settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GatewayTlsConfig {
    /// Toward clients.
    pub frontend: FrontendTls,
}

/// Client certificate validation, per port.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontendTls {
    /// Default for every HTTPS listener (required by the schema).
    pub default: TlsConfig,
    /// Per port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_port: Vec<PortTlsConfig>,
}

/// TLS settings of one port.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PortTlsConfig {
    /// Port.
    pub port: u32,
    /// Settings.
    pub tls: TlsConfig,
}

/// Client validation settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TlsConfig {
    /// Validation; `None`: no client certificate asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<FrontendValidation>,
}

/// How client certificates are validated.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontendValidation {
    /// CA bundles.
    pub ca_certificate_refs: Vec<ObjectRef>,
    /// `AllowValidOnly` (required) or `AllowInsecureFallback` (optional).
    pub mode: String,
}

/// A reference to an object by group, kind and name.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ObjectRef {
    /// Group (`""`: core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// Which routes may attach to a listener.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AllowedRoutes {
    /// Namespaces.
    pub namespaces: RouteNamespaces,
}

/// Route namespace policy.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RouteNamespaces {
    /// `Same`, `All` or `Selector`.
    pub from: String,
    /// The namespaces, for `Selector`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

/// A label selector.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Expressions.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One label selector expression.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LabelSelectorRequirement {
    /// Label.
    pub key: String,
    /// Operator.
    pub operator: String,
    /// Values.
    pub values: Vec<String>,
}

/// A parent reference.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// Group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Listener name.
    pub section_name: String,
}

/// HTTPRoute spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// Parents.
    pub parent_refs: Vec<ParentRef>,
    /// Hostnames.
    pub hostnames: Vec<String>,
    /// Rules.
    pub rules: Vec<HttpRouteRule>,
}

/// An HTTPRoute rule.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRule {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Matches.
    pub matches: Vec<HttpRouteMatch>,
    /// Filters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<HttpRouteFilter>,
    /// Backends.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backend_refs: Vec<BackendRef>,
    /// Timeouts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<HttpRouteTimeouts>,
}

/// Timeouts of a rule.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpRouteTimeouts {
    /// The whole request.
    pub request: String,
}

/// A match.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteMatch {
    /// Path match.
    pub path: HttpPathMatch,
    /// Header matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<NameMatch>,
    /// Query parameter matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query_params: Vec<NameMatch>,
    /// Method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// A path match.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpPathMatch {
    /// Type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Value.
    pub value: String,
}

/// A header or query parameter match.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NameMatch {
    /// Name.
    pub name: String,
    /// `Exact` or `RegularExpression`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Value.
    pub value: String,
}

/// A filter.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteFilter {
    /// Type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Redirect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_redirect: Option<RequestRedirect>,
    /// Rewrite.
    #[serde(rename = "urlRewrite", skip_serializing_if = "Option::is_none")]
    pub url_rewrite: Option<UrlRewrite>,
    /// Request header changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_header_modifier: Option<HeaderModifier>,
    /// Response header changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_header_modifier: Option<HeaderModifier>,
    /// Mirroring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_mirror: Option<RequestMirror>,
    /// CORS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
}

/// A redirect.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRedirect {
    /// Scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathModifier>,
    /// Port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    /// Status code.
    pub status_code: u32,
}

/// A path change.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathModifier {
    /// `ReplaceFullPath` or `ReplacePrefixMatch`.
    #[serde(rename = "type")]
    pub type_: String,
    /// For `ReplaceFullPath`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_full_path: Option<String>,
    /// For `ReplacePrefixMatch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_prefix_match: Option<String>,
}

/// A rewrite.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UrlRewrite {
    /// Host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathModifier>,
}

/// Header changes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HeaderModifier {
    /// Set (replace).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<HttpHeader>,
    /// Add (append).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<HttpHeader>,
    /// Remove.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

/// A header.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpHeader {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// Mirroring.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestMirror {
    /// Where copies go.
    pub backend_ref: BackendObjectRef,
    /// Percentage, when whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    /// Fraction, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<Fraction>,
}

/// A fraction.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Fraction {
    /// Numerator.
    pub numerator: u32,
    /// Denominator.
    pub denominator: u32,
}

/// CORS.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cors {
    /// Origins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<String>,
    /// Methods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_methods: Vec<String>,
    /// Request headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_headers: Vec<String>,
    /// Response headers exposed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    /// Preflight cache seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// Credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
}

/// A backend without weight (mirror).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BackendObjectRef {
    /// Group (`""`: core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, when another than the route's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Port.
    pub port: u32,
}

/// A weighted backend.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BackendRef {
    /// Group (`""`: core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, when another than the route's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Port.
    pub port: u32,
    /// Weight.
    pub weight: u32,
}

/// TLSRoute spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsRouteSpec {
    /// Parents.
    pub parent_refs: Vec<ParentRef>,
    /// SNI host names.
    pub hostnames: Vec<String>,
    /// Rules.
    pub rules: Vec<L4Rule>,
}

/// TCPRoute spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpRouteSpec {
    /// Parents.
    pub parent_refs: Vec<ParentRef>,
    /// Rules.
    pub rules: Vec<L4Rule>,
}

/// A TLSRoute or TCPRoute rule.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L4Rule {
    /// Backends.
    pub backend_refs: Vec<BackendRef>,
}

/// ReferenceGrant spec.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReferenceGrantSpec {
    /// Who may refer.
    pub from: Vec<ReferenceGrantFrom>,
    /// To what.
    pub to: Vec<ReferenceGrantTo>,
}

/// A referring kind and namespace.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReferenceGrantFrom {
    /// Group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
}

/// A referred-to kind (and name).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReferenceGrantTo {
    /// Group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Name; `None`: every object of the kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
