//! cert-manager objects: Certificates in the gateway namespace (Istio reads `credentialName` secrets
//! only from the gateway pods' namespace) and the ClusterIssuers of `spec.issuers`.

use super::Generated;
use super::istio_gateway::{http01_gateway_name, parent_ref};
use super::labels::{Component, metadata};
use crate::api::v1alpha1::Issuer;
use crate::error::Error;
use crate::model::Model;
use crate::types::Resource;
use crate::types::cert_manager::*;

/// File of the Certificates.
pub const CERTIFICATES_FILE: &str = "certificates.yaml";
/// File of the ClusterIssuers.
pub const ISSUERS_FILE: &str = "issuers.yaml";
/// Let's Encrypt production directory.
pub const LETSENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt staging directory.
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// The ACME directory URL for `server` (`production`, `staging` or a URL).
pub fn acme_server_url(server: &str) -> &str {
    match server {
        "production" => LETSENCRYPT_PRODUCTION,
        "staging" => LETSENCRYPT_STAGING,
        url => url,
    }
}

/// Render the Certificates.
pub fn render_certificates(model: &Model) -> Result<Vec<Generated>, Error> {
    let namespace = model.spec.namespace.as_str();
    model
        .certificates
        .iter()
        .map(|c| {
            let certificate = Resource::new(
                V1,
                "Certificate",
                metadata(model, &c.name, Some(namespace), "mesh-ingress", Component::Certificate),
                CertificateSpec {
                    secret_name: c.secret_name.clone(),
                    issuer_ref: IssuerRef {
                        name: c.issuer.clone(),
                        kind: c.issuer_kind.as_str().to_string(),
                        group: GROUP.to_string(),
                    },
                    dns_names: c.dns_names.clone(),
                    common_name: c.spec.common_name.clone(),
                    private_key: PrivateKey {
                        algorithm: "RSA".to_string(),
                        size: 2048,
                        encoding: None,
                        // cert-manager's default since v1.18; written out for older versions.
                        rotation_policy: "Always".to_string(),
                    },
                    ..Default::default()
                },
            );
            Generated::new(&certificate, CERTIFICATES_FILE)
        })
        .collect()
}

/// Render the ClusterIssuers.
pub fn render_issuers(model: &Model) -> Result<Vec<Generated>, Error> {
    model
        .spec
        .issuers
        .iter()
        .map(|issuer| {
            let object = Resource::new(
                V1,
                "ClusterIssuer",
                metadata(model, &issuer.name, None, "mesh-ingress", Component::Issuer),
                issuer_spec(model, issuer),
            );
            Generated::new(&object, ISSUERS_FILE)
        })
        .collect()
}

fn issuer_spec(model: &Model, issuer: &Issuer) -> ClusterIssuerSpec {
    if let Some(acme) = &issuer.acme {
        let solvers = acme
            .solvers
            .iter()
            .map(|solver| AcmeSolver {
                selector: solver.selector.as_ref().map(|s| SolverSelector {
                    dns_zones: s.dns_zones.clone(),
                    dns_names: s.dns_names.clone(),
                }),
                http01: solver.http01.as_ref().map(|h| Http01Solver {
                    gateway_http_route: GatewayHttpRouteSolver {
                        // The solver Service only needs to be reachable from the gateway pods.
                        service_type: "ClusterIP".to_string(),
                        parent_refs: vec![parent_ref(
                            &http01_gateway_name(&h.gateway),
                            Some(&model.spec.namespace),
                        )],
                    },
                }),
                dns01: solver.dns01.as_ref().and_then(|d| d.route53.as_ref()).map(|r| Dns01Solver {
                    route53: Route53 {
                        region: r.region.clone(),
                        hosted_zone_id: r.hosted_zone_id.clone(),
                        role: r.role.clone(),
                    },
                }),
            })
            .collect();
        return ClusterIssuerSpec {
            acme: Some(AcmeIssuer {
                email: acme.email.clone(),
                server: acme_server_url(&acme.server).to_string(),
                private_key_secret_ref: SecretKeySelector {
                    name: acme
                        .private_key_secret_name
                        .clone()
                        .unwrap_or_else(|| format!("{}-account-key", issuer.name)),
                },
                solvers,
            }),
            ..Default::default()
        };
    }
    if let Some(ca) = &issuer.ca {
        return ClusterIssuerSpec {
            ca: Some(CaIssuer { secret_name: ca.secret_name.clone() }),
            ..Default::default()
        };
    }
    ClusterIssuerSpec { self_signed: Some(Empty {}), ..Default::default() }
}
