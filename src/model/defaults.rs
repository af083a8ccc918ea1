//! The certificate and issuer a config gets when it names none, so the smallest config (domains and
//! one gateway) renders on the first try instead of failing twice (no certificate, then no issuer).
//!
//! The defaults are deliberately safe rather than production-ready: a self-signed issuer needs no
//! e-mail address, no DNS provider and no reachable load balancer, and never asks Let's Encrypt for
//! a certificate the user did not mean to request. [`crate::validate::certificates`] says what was
//! added and how to switch to Let's Encrypt. A config that names a certificate or an issuer renders
//! exactly as before.

use crate::api::v1alpha1::*;

/// What [`apply`] added to a spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Defaulted {
    /// Name of the certificate added because `spec.certificates` was empty while a gateway server
    /// terminating TLS named no certificate.
    pub certificate: Option<String>,
    /// Name of the self-signed issuer added because `spec.issuers` was empty while a certificate
    /// named no issuer.
    pub issuer: Option<String>,
}

/// Name of the default certificate (and of its Secret) of instance `instance`.
pub fn certificate_name(instance: &str) -> String {
    format!("{instance}-tls")
}

/// Name of the default self-signed issuer of instance `instance`.
pub fn issuer_name(instance: &str) -> String {
    format!("{instance}-selfsigned")
}

/// Whether a gateway server, as written (or defaulted), terminates TLS without naming a certificate
/// or a secret: the case the default certificate is for.
fn server_needs_certificate(server: &Server) -> bool {
    match server.protocol {
        ServerProtocol::Http | ServerProtocol::Tcp => false,
        ServerProtocol::Https | ServerProtocol::Tls => match &server.tls {
            None => true,
            Some(tls) => {
                tls.certificate.is_none() && tls.credential_name.is_none() && tls.mode != TlsMode::Passthrough
            }
        },
    }
}

/// Whether gateway `gateway` has a server that needs the default certificate. A gateway without
/// servers gets HTTPS on 443, except behind an ALB, where TLS ends at the ALB.
fn gateway_needs_certificate(gateway: &Gateway) -> bool {
    if gateway.servers.is_empty() {
        gateway.load_balancer.provider != Provider::AwsAlb
    } else {
        gateway.servers.iter().any(server_needs_certificate)
    }
}

/// The spec with the default certificate and issuer added where the config names none, and what was
/// added.
///
/// - No `spec.certificates`, `spec.domains` set, and a gateway server terminating TLS without a
///   certificate: one certificate `<instance>-tls` for `spec.domains` (every such server then uses
///   it, as it would use the first certificate written).
/// - No `spec.issuers` and a certificate without `issuer`: a namespaced self-signed `Issuer`
///   `<instance>-selfsigned`, rendered beside the certificates (a ClusterIssuer would let every
///   namespace mint self-signed certificates).
pub fn apply(instance: &str, spec: &MeshIngressSpec) -> (MeshIngressSpec, Defaulted) {
    let mut spec = spec.clone();
    let mut defaulted = Defaulted::default();
    if spec.certificates.is_empty()
        && !spec.domains.is_empty()
        && spec.gateways.iter().any(gateway_needs_certificate)
    {
        let name = certificate_name(instance);
        spec.certificates.push(Certificate { name: name.clone(), ..Default::default() });
        defaulted.certificate = Some(name);
    }
    if spec.issuers.is_empty()
        && let Some(unsigned) = spec.certificates.iter().find(|c| c.issuer.is_none())
    {
        let name = issuer_name(instance);
        spec.issuers.push(Issuer {
            name: name.clone(),
            // A certificate that asks for a ClusterIssuer gets one; otherwise stay in the namespace.
            kind: unsigned.issuer_kind.unwrap_or(IssuerKind::Issuer),
            self_signed: Some(SelfSigned {}),
            ..Default::default()
        });
        defaulted.issuer = Some(name);
    }
    (spec, defaulted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(value: serde_json::Value) -> MeshIngressSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn domains_and_one_gateway_get_a_certificate_and_a_self_signed_issuer() {
        let (spec, defaulted) = apply(
            "shop",
            &spec(serde_json::json!({"domains": ["shop.example.com"], "gateways": [{"name": "external"}]})),
        );
        assert_eq!(defaulted.certificate.as_deref(), Some("shop-tls"));
        assert_eq!(defaulted.issuer.as_deref(), Some("shop-selfsigned"));
        assert_eq!(spec.certificates[0].name, "shop-tls");
        assert_eq!(spec.issuers[0].kind, IssuerKind::Issuer);
        assert!(spec.issuers[0].self_signed.is_some());
    }

    #[test]
    fn written_certificates_and_issuers_are_kept() {
        let written = spec(serde_json::json!({
            "domains": ["shop.example.com"],
            "gateways": [{"name": "external"}],
            "certificates": [{"name": "shop", "issuer": "corp"}],
        }));
        let (spec, defaulted) = apply("shop", &written);
        assert_eq!(defaulted, Defaulted::default());
        assert_eq!(spec, written);
    }

    #[test]
    fn nothing_is_added_where_no_server_terminates_tls() {
        for gateways in [
            serde_json::json!([{"name": "alb", "loadBalancer": {"provider": "aws-alb"}}]),
            serde_json::json!([{"name": "plain", "servers": [{"port": 80, "protocol": "HTTP"}]}]),
            serde_json::json!([{"name": "own", "servers": [{"port": 443, "protocol": "HTTPS", "tls": {"credentialName": "own"}}]}]),
            serde_json::json!([{"name": "sni", "servers": [{"port": 443, "protocol": "TLS", "tls": {"mode": "PASSTHROUGH"}}]}]),
        ] {
            let written = spec(serde_json::json!({"domains": ["shop.example.com"], "gateways": gateways}));
            let (_, defaulted) = apply("shop", &written);
            assert_eq!(defaulted, Defaulted::default(), "{gateways}");
        }
    }

    #[test]
    fn a_written_certificate_without_issuer_gets_the_self_signed_issuer_of_its_kind() {
        let (spec, defaulted) = apply(
            "shop",
            &spec(serde_json::json!({
                "domains": ["shop.example.com"],
                "gateways": [{"name": "external"}],
                "certificates": [{"name": "shop", "issuerKind": "ClusterIssuer"}],
            })),
        );
        assert_eq!(defaulted.certificate, None);
        assert_eq!(spec.issuers[0].kind, IssuerKind::ClusterIssuer);
    }
}
