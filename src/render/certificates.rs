//! cert-manager objects: Certificates in the namespace of the gateway pods whose servers use them
//! (Istio reads `credentialName` secrets only from there), and the issuers of `spec.issuers` that
//! are not `external`: ClusterIssuers, or namespaced Issuers beside the certificates that use them.

use super::Generated;
use super::istio_gateway::http01_parent_ref;
use super::labels::{Component, metadata};
use crate::api::v1alpha1::{self as api, IssuerKind};
use crate::error::Error;
use crate::model::{IssuerModel, Model};
use crate::types::Resource;
use crate::types::cert_manager::*;

/// File of the Certificates.
pub const CERTIFICATES_FILE: &str = "certificates.yaml";
/// File of the ClusterIssuers and Issuers.
pub const ISSUERS_FILE: &str = "issuers.yaml";
/// Key of a Cloudflare API token, when the config names none (cert-manager's documented example).
pub const CLOUDFLARE_TOKEN_KEY: &str = "api-token";
/// Key of a Google service account key, when the config names none.
pub const CLOUD_DNS_KEY: &str = "key.json";
/// Key of an RFC 2136 TSIG secret, when the config names none (cert-manager's documented example).
pub const TSIG_SECRET_KEY: &str = "tsig-secret-key";
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
    model
        .certificates
        .iter()
        .map(|c| {
            let certificate = Resource::new(
                V1,
                "Certificate",
                metadata(model, &c.name, Some(&c.namespace), "mesh-ingress", Component::Certificate),
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

/// Render the generated issuers: a ClusterIssuer, or an Issuer in each namespace of its certificates.
pub fn render_issuers(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    for issuer in model.issuers.iter().filter(|i| !i.external) {
        let namespaces: Vec<Option<&str>> = match issuer.kind {
            IssuerKind::ClusterIssuer => vec![None],
            IssuerKind::Issuer => issuer.namespaces.iter().map(|n| Some(n.as_str())).collect(),
        };
        for namespace in namespaces {
            let object = Resource::new(
                V1,
                match issuer.kind {
                    IssuerKind::ClusterIssuer => "ClusterIssuer",
                    IssuerKind::Issuer => "Issuer",
                },
                metadata(model, &issuer.name, namespace, "mesh-ingress", Component::Issuer),
                issuer_spec(model, issuer),
            );
            out.push(Generated::new(&object, ISSUERS_FILE)?);
        }
    }
    Ok(out)
}

fn secret_ref(secret: &api::SecretKeyRef, default_key: &str) -> SecretKeySelector {
    SecretKeySelector {
        name: secret.name.clone(),
        key: Some(secret.key.clone().unwrap_or_else(|| default_key.to_string())),
    }
}

/// The cert-manager form of a DNS-01 provider.
fn dns01_solver(dns01: &api::Dns01) -> Dns01Solver {
    Dns01Solver {
        route53: dns01.route53.as_ref().map(|r| Route53 {
            region: r.region.clone(),
            hosted_zone_id: r.hosted_zone_id.clone(),
            role: r.role.clone(),
        }),
        cloudflare: dns01.cloudflare.as_ref().map(|c| Cloudflare {
            api_token_secret_ref: secret_ref(&c.api_token_secret_ref, CLOUDFLARE_TOKEN_KEY),
        }),
        cloud_dns: dns01.cloud_dns.as_ref().map(|c| CloudDns {
            project: c.project.clone(),
            hosted_zone_name: c.hosted_zone_name.clone(),
            service_account_secret_ref: c
                .service_account_secret_ref
                .as_ref()
                .map(|s| secret_ref(s, CLOUD_DNS_KEY)),
        }),
        azure_dns: dns01.azure_dns.as_ref().map(|a| AzureDns {
            subscription_id: a.subscription_id.clone(),
            resource_group_name: a.resource_group_name.clone(),
            hosted_zone_name: a.hosted_zone_name.clone(),
            environment: a.environment.map(|e| e.as_str().to_string()),
            managed_identity: a.managed_identity.as_ref().map(|m| AzureManagedIdentity {
                client_id: m.client_id.clone(),
                resource_id: m.resource_id.clone(),
                tenant_id: m.tenant_id.clone(),
            }),
        }),
        rfc2136: dns01.rfc2136.as_ref().map(|r| Rfc2136 {
            nameserver: r.nameserver.clone(),
            tsig_key_name: r.tsig_key_name.clone(),
            tsig_algorithm: r.tsig_algorithm.map(|a| a.as_str().to_string()),
            tsig_secret_secret_ref: r.tsig_secret_secret_ref.as_ref().map(|s| secret_ref(s, TSIG_SECRET_KEY)),
            protocol: r.protocol.map(|p| p.as_str().to_string()),
        }),
        webhook: dns01.webhook.as_ref().map(|w| Webhook {
            group_name: w.group_name.clone(),
            solver_name: w.solver_name.clone(),
            config: w.config.clone(),
        }),
    }
}

fn issuer_spec(model: &Model, issuer: &IssuerModel) -> ClusterIssuerSpec {
    let spec = &issuer.spec;
    if let Some(acme) = &spec.acme {
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
                        parent_refs: vec![http01_parent_ref(model, &h.gateway)],
                    },
                }),
                dns01: solver.dns01.as_ref().map(dns01_solver),
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
                    key: None,
                },
                solvers,
            }),
            ..Default::default()
        };
    }
    if let Some(ca) = &spec.ca {
        return ClusterIssuerSpec {
            ca: Some(CaIssuer { secret_name: ca.secret_name.clone() }),
            ..Default::default()
        };
    }
    ClusterIssuerSpec { self_signed: Some(Empty {}), ..Default::default() }
}
