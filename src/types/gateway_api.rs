//! Kubernetes Gateway API resources (`gateway.networking.k8s.io/v1`). Defaults the API server would
//! add are written out, so Argo CD sees no drift (argoproj/argo-helm#3538).

use serde::Serialize;

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
    pub addresses: Vec<GatewayAddress>,
    /// Listeners.
    pub listeners: Vec<Listener>,
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
    /// Port.
    pub port: u32,
    /// Protocol.
    pub protocol: String,
    /// Which routes may attach.
    pub allowed_routes: AllowedRoutes,
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
pub struct HttpRouteRule {
    /// Matches.
    pub matches: Vec<HttpRouteMatch>,
    /// Filters.
    pub filters: Vec<HttpRouteFilter>,
}

/// A match.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HttpRouteMatch {
    /// Path match.
    pub path: HttpPathMatch,
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

/// A filter.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteFilter {
    /// Type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Redirect.
    pub request_redirect: RequestRedirect,
}

/// A redirect.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRedirect {
    /// Scheme.
    pub scheme: String,
    /// Status code.
    pub status_code: u32,
}
