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

/// ClusterIssuer and Issuer spec (exactly one issuer type set).
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
    /// Key in the secret's data (required by DNS provider credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
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

/// DNS-01 solver (exactly one provider set).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Dns01Solver {
    /// Route 53.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route53: Option<Route53>,
    /// Cloudflare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudflare: Option<Cloudflare>,
    /// Google Cloud DNS.
    #[serde(rename = "cloudDNS", skip_serializing_if = "Option::is_none")]
    pub cloud_dns: Option<CloudDns>,
    /// Azure DNS.
    #[serde(rename = "azureDNS", skip_serializing_if = "Option::is_none")]
    pub azure_dns: Option<AzureDns>,
    /// RFC 2136.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc2136: Option<Rfc2136>,
    /// Webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
}

/// Cloudflare settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cloudflare {
    /// API token.
    pub api_token_secret_ref: SecretKeySelector,
}

/// Google Cloud DNS settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudDns {
    /// Project.
    pub project: String,
    /// Managed zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_zone_name: Option<String>,
    /// Service account key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_secret_ref: Option<SecretKeySelector>,
}

/// Azure DNS settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureDns {
    /// Subscription.
    #[serde(rename = "subscriptionID")]
    pub subscription_id: String,
    /// Resource group.
    pub resource_group_name: String,
    /// Zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_zone_name: Option<String>,
    /// Azure cloud.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Managed identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_identity: Option<AzureManagedIdentity>,
}

/// Azure managed identity.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AzureManagedIdentity {
    /// Client ID.
    #[serde(rename = "clientID", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Resource ID.
    #[serde(rename = "resourceID", skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Tenant ID.
    #[serde(rename = "tenantID", skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// RFC 2136 settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rfc2136 {
    /// Nameserver.
    pub nameserver: String,
    /// TSIG key name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsig_key_name: Option<String>,
    /// TSIG algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsig_algorithm: Option<String>,
    /// TSIG secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsig_secret_secret_ref: Option<SecretKeySelector>,
    /// Transport.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// Webhook solver settings.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// API group of the webhook.
    pub group_name: String,
    /// Solver name.
    pub solver_name: String,
    /// Free-form settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
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
