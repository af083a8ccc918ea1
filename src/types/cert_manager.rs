//! cert-manager resources (`cert-manager.io/v1`).

use serde::Serialize;

/// `cert-manager.io/v1`.
pub const V1: &str = "cert-manager.io/v1";
/// The cert-manager API group.
pub const GROUP: &str = "cert-manager.io";

/// Certificate spec.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// Secret the certificate is written to.
    pub secret_name: String,
    /// Issuer.
    pub issuer_ref: IssuerRef,
    /// DNS names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    /// Common name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// A CA certificate.
    #[serde(rename = "isCA", skip_serializing_if = "std::ops::Not::not")]
    pub is_ca: bool,
    /// Lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Renew this long before expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
    /// Private key settings.
    pub private_key: PrivateKey,
    /// Key usages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub usages: Vec<String>,
}

/// An issuer reference.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IssuerRef {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Group.
    pub group: String,
}

/// Private key settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    /// Algorithm.
    pub algorithm: String,
    /// Size.
    pub size: u32,
    /// Encoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Rotation policy.
    pub rotation_policy: String,
}

/// ClusterIssuer spec (exactly one issuer type set).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuerSpec {
    /// ACME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeIssuer>,
    /// Self-signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<Empty>,
    /// CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaIssuer>,
}

/// An empty object.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Empty {}

/// A CA issuer.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaIssuer {
    /// Secret with the CA key pair.
    pub secret_name: String,
}

/// An ACME issuer.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcmeIssuer {
    /// Account e-mail.
    pub email: String,
    /// Directory URL.
    pub server: String,
    /// Account key secret.
    pub private_key_secret_ref: SecretKeySelector,
    /// Solvers.
    pub solvers: Vec<AcmeSolver>,
}

/// A secret reference.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SecretKeySelector {
    /// Name.
    pub name: String,
}

/// An ACME challenge solver.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcmeSolver {
    /// Selector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<SolverSelector>,
    /// HTTP-01.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http01: Option<Http01Solver>,
    /// DNS-01.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns01: Option<Dns01Solver>,
}

/// Solver selector.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SolverSelector {
    /// DNS zones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_zones: Vec<String>,
    /// DNS names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
}

/// HTTP-01 solver.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Http01Solver {
    /// Gateway API solver: cert-manager attaches an HTTPRoute to these parents.
    #[serde(rename = "gatewayHTTPRoute")]
    pub gateway_http_route: GatewayHttpRouteSolver,
}

/// Gateway API HTTP-01 solver.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayHttpRouteSolver {
    /// Service type of the solver Service.
    pub service_type: String,
    /// Parents of the solver HTTPRoute.
    pub parent_refs: Vec<super::gateway_api::ParentRef>,
}

/// DNS-01 solver.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Dns01Solver {
    /// Route 53.
    pub route53: Route53,
}

/// Route 53 settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Route53 {
    /// Region.
    pub region: String,
    /// Hosted zone.
    #[serde(rename = "hostedZoneID", skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
    /// Role to assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}
