//! Multi-network mesh: the east-west gateway (the istio/gateway chart with `networkGateway` set,
//! `../shared/reference/gateway-chart-eastwest.yaml`), the cross-network Gateway of Istio's
//! `samples/multicluster/expose-services.yaml`, optionally istiod's exposure
//! (`expose-istiod.yaml`), and the plugin CA certificate.

use super::Generated;
use super::gateway_workload::{self, service_annotations};
use super::labels::{Component, metadata};
use crate::error::Error;
use crate::model::{Model, NETWORK_LABEL, WorkloadModel};
use crate::types::Resource;
use crate::types::cert_manager::{self, CertificateSpec, IssuerRef, PrivateKey};
use crate::types::istio::*;

/// File of the east-west objects.
pub const EASTWEST_FILE: &str = "eastwest.yaml";
/// File of the plugin CA certificate.
pub const PLUGIN_CA_FILE: &str = "plugin-ca.yaml";
/// Name of the cross-network Gateway.
pub const CROSS_NETWORK_GATEWAY: &str = "cross-network-gateway";
/// Name of istiod's Gateway and VirtualService on the east-west gateway.
pub const ISTIOD_GATEWAY: &str = "istiod-gateway";
/// The secret istiod reads a plugged-in CA from.
pub const CACERTS: &str = "cacerts";

/// Render the east-west gateway and its Gateways.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let (Some(workload), Some(multicluster)) = (&model.east_west, &model.spec.multicluster) else {
        return Ok(Vec::new());
    };
    let network = multicluster.network.as_str();
    let mut out = gateway_workload::render_network(
        model,
        workload,
        Component::EastWestGateway,
        EASTWEST_FILE,
        service_annotations(workload),
        network,
    )?;
    // mTLS traffic for any service of this cluster (`*.local`), routed by SNI without terminating TLS.
    out.push(Generated::new(
        &Resource::new(
            NETWORKING_V1,
            "Gateway",
            meta(model, workload, CROSS_NETWORK_GATEWAY),
            GatewaySpec {
                selector: workload.labels.clone(),
                servers: vec![passthrough(15443, "tls", "AUTO_PASSTHROUGH", &["*.local"])],
            },
        ),
        EASTWEST_FILE,
    )?);
    if multicluster.east_west_gateway.expose_istiod {
        out.extend(istiod(model, workload)?);
    }
    Ok(out)
}

fn meta(
    model: &Model,
    workload: &WorkloadModel,
    name: &str,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    metadata(model, name, Some(&workload.namespace), &workload.name, Component::EastWestGateway)
}

/// A TLS server that forwards connections untouched (`PASSTHROUGH`, or `AUTO_PASSTHROUGH` for mTLS
/// routed by SNI).
fn passthrough(number: u32, name: &str, mode: &str, hosts: &[&str]) -> Server {
    Server {
        port: Port { number, name: name.to_string(), protocol: "TLS".to_string() },
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        tls: Some(ServerTls { mode: Some(mode.to_string()), ..Default::default() }),
    }
}

fn istiod(model: &Model, workload: &WorkloadModel) -> Result<Vec<Generated>, Error> {
    let istiod = if model.spec.revision.is_empty() {
        format!("istiod.{}.svc.cluster.local", workload.namespace)
    } else {
        format!("istiod-{}.{}.svc.cluster.local", model.spec.revision, workload.namespace)
    };
    let gateway = Resource::new(
        NETWORKING_V1,
        "Gateway",
        meta(model, workload, ISTIOD_GATEWAY),
        GatewaySpec {
            selector: workload.labels.clone(),
            servers: vec![
                passthrough(15012, "tls-istiod", "PASSTHROUGH", &["*"]),
                passthrough(15017, "tls-istiodwebhook", "PASSTHROUGH", &["*"]),
            ],
        },
    );
    // XDS and CA on 15012; the injection and validation webhooks on 15017, served by istiod on 443.
    let route = |port: u32, target: u32| TlsRoute {
        match_: vec![TlsMatch { port: Some(port), sni_hosts: vec!["*".to_string()] }],
        route: vec![RouteDestination {
            destination: Destination {
                host: istiod.clone(),
                port: Some(PortSelector { number: target }),
                ..Default::default()
            },
            weight: None,
        }],
    };
    let service = Resource::new(
        NETWORKING_V1,
        "VirtualService",
        meta(model, workload, "istiod-vs"),
        VirtualServiceSpec {
            hosts: vec!["*".to_string()],
            gateways: vec![ISTIOD_GATEWAY.to_string()],
            tls: vec![route(15012, 15012), route(15017, 443)],
            ..Default::default()
        },
    );
    Ok(vec![Generated::new(&gateway, EASTWEST_FILE)?, Generated::new(&service, EASTWEST_FILE)?])
}

/// The cluster's intermediate CA: a cert-manager CA Certificate written to `<root>/cacerts`, which
/// istiod (1.15+) reads in the kubernetes.io/tls layout: `tls.crt`/`tls.key` sign workload
/// certificates, `ca.crt` (the issuer's certificate: the mesh's shared root) is the root of trust.
pub fn render_plugin_ca(model: &Model) -> Result<Vec<Generated>, Error> {
    let Some(multicluster) = &model.spec.multicluster else { return Ok(Vec::new()) };
    let plugin = &multicluster.plugin_ca;
    if plugin.issuer.is_empty() {
        return Ok(Vec::new());
    }
    let namespace = model.spec.mtls.root_namespace.as_str();
    let certificate = Resource::new(
        cert_manager::V1,
        "Certificate",
        metadata(model, CACERTS, Some(namespace), "mesh-ingress", Component::Certificate),
        CertificateSpec {
            secret_name: CACERTS.to_string(),
            issuer_ref: IssuerRef {
                name: plugin.issuer.clone(),
                kind: "ClusterIssuer".to_string(),
                group: cert_manager::GROUP.to_string(),
            },
            dns_names: vec![format!("istiod.{namespace}.svc")],
            common_name: Some(format!("Istio intermediate CA {}", multicluster.cluster_name)),
            is_ca: true,
            duration: Some(plugin.duration.clone()),
            renew_before: Some(plugin.renew_before.clone()),
            private_key: PrivateKey {
                algorithm: "RSA".to_string(),
                size: 4096,
                encoding: Some("PKCS8".to_string()),
                rotation_policy: "Always".to_string(),
            },
            usages: ["digital signature", "key encipherment", "cert sign", "crl sign"]
                .map(String::from)
                .to_vec(),
        },
    );
    Ok(vec![Generated::new(&certificate, PLUGIN_CA_FILE)?])
}

/// The network label on the mesh root namespace, so Istio knows which network its workloads are on.
pub fn root_namespace_labels(model: &Model) -> Option<(String, String)> {
    model.spec.multicluster.as_ref().map(|m| (NETWORK_LABEL.to_string(), m.network.clone()))
}
