//! Mutual TLS and authorization policies: PeerAuthentication per managed namespace (and mesh-wide in
//! the root namespace), DestinationRule `ISTIO_MUTUAL` for STRICT namespaces, and default-deny
//! AuthorizationPolicies that admit only the gateways routing into the namespace and the namespace
//! itself.

use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::MtlsMode;
use crate::error::Error;
use crate::model::Model;
use crate::types::Resource;
use crate::types::istio::*;

/// File of mesh-wide objects.
pub const MESH_FILE: &str = "mesh.yaml";

/// Render the policies.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    if model.spec.mtls.mesh_wide {
        out.push(Generated::new(
            &peer_authentication(model, &model.spec.mtls.root_namespace, model.spec.mtls.mode),
            MESH_FILE,
        )?);
    }
    for ns in &model.namespaces {
        let file = file_name("policies", &ns.name);
        out.push(Generated::new(&peer_authentication(model, &ns.name, ns.mtls), &file)?);
        if ns.mtls == MtlsMode::Strict {
            // Clients in the mesh already use mTLS automatically; the explicit rule keeps them on mTLS
            // even when another DestinationRule without TLS settings matches (istio/istio#6279).
            let rule = Resource::new(
                NETWORKING_V1,
                "DestinationRule",
                metadata(model, "default-mtls", Some(&ns.name), "mesh-ingress", Component::Mtls),
                DestinationRuleSpec {
                    host: format!("*.{}.svc.cluster.local", ns.name),
                    traffic_policy: Some(TrafficPolicy {
                        tls: Some(ClientTls { mode: "ISTIO_MUTUAL".to_string(), ..Default::default() }),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            );
            out.push(Generated::new(&rule, &file)?);
        }
        if ns.default_deny {
            out.extend(authorization(model, ns, &file)?);
        }
    }
    Ok(out)
}

fn peer_authentication(model: &Model, namespace: &str, mode: MtlsMode) -> Resource<PeerAuthenticationSpec> {
    Resource::new(
        SECURITY_V1,
        "PeerAuthentication",
        metadata(model, "default", Some(namespace), "mesh-ingress", Component::Mtls),
        PeerAuthenticationSpec { mtls: PeerMtls { mode: mode.as_str().to_string() } },
    )
}

fn authorization(
    model: &Model,
    ns: &crate::model::NamespaceModel,
    file: &str,
) -> Result<Vec<Generated>, Error> {
    let meta = |name: &str| metadata(model, name, Some(&ns.name), "mesh-ingress", Component::Authorization);
    let policy = |name: &str, spec: AuthorizationPolicySpec| {
        Generated::new(&Resource::new(SECURITY_V1, "AuthorizationPolicy", meta(name), spec), file)
    };
    let allow = |source: Source| AuthorizationPolicySpec {
        action: Some("ALLOW".to_string()),
        rules: vec![Rule { from: vec![From { source }], ..Default::default() }],
        ..Default::default()
    };
    // An ALLOW-less policy with no rules matches nothing, so it denies every request: the documented
    // Istio idiom for default deny. The ALLOW policies below then open exactly what is needed.
    let mut out = vec![policy("allow-nothing", AuthorizationPolicySpec::default())?];
    out.push(policy(
        "allow-same-namespace",
        allow(Source { namespaces: vec![ns.name.clone()], ..Default::default() }),
    )?);
    if !ns.gateway_service_accounts.is_empty() {
        let principals = ns
            .gateway_service_accounts
            .iter()
            .map(|(namespace, account)| {
                format!("{}/ns/{namespace}/sa/{account}", model.spec.mtls.trust_domain)
            })
            .collect();
        out.push(policy("allow-ingress-gateways", allow(Source { principals, ..Default::default() }))?);
    }
    Ok(out)
}
