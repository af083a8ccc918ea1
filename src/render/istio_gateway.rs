//! Istio Gateways (`networking.istio.io/v1`), and the Gateway API objects that serve port 80 of a
//! gateway used for ACME HTTP-01.
//!
//! Why HTTP-01 gateways serve port 80 through the Gateway API: a server-level `httpsRedirect` makes
//! Envoy redirect every request of the virtual host before any route matches, so cert-manager's
//! challenge route is never reached (istio/istio#33593). Instead, a `gateway.networking.k8s.io/v1`
//! Gateway bound to the same gateway Service (Istio's "manual deployment": one `Hostname` address,
//! same namespace) listens on 80; an HTTPRoute redirects every path to HTTPS, and cert-manager's
//! `gatewayHTTPRoute` solver attaches its own HTTPRoute for
//! `/.well-known/acme-challenge/<token>`. Istio merges HTTPRoutes of one listener and hostname and
//! orders them by Gateway API precedence (an Exact path before a PathPrefix), so the challenge is
//! answered and everything else is redirected.

use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::{ServerProtocol, TlsMode};
use crate::error::Error;
use crate::model::{GatewayModel, Model, TlsModel, server_host_name};
use crate::types::Resource;
use crate::types::gateway_api::{self as gapi};
use crate::types::istio::{self, GatewaySpec, Port, Server, ServerTls};

/// Name of the Gateway API Gateway that serves port 80 of an HTTP-01 gateway.
pub fn http01_gateway_name(gateway: &str) -> String {
    format!("{gateway}-http")
}

/// Name of the HTTPRoute that redirects port 80 of an HTTP-01 gateway to HTTPS.
pub fn redirect_route_name(gateway: &str) -> String {
    format!("{gateway}-https-redirect")
}

/// The listener of [`http01_gateway_name`].
pub const HTTP_LISTENER: &str = "http";

/// The suffix Istio's secret server reads as "CA bundle only" (`pilot/pkg/model/credentials`
/// `SdsCaSuffix`).
pub const CA_SUFFIX: &str = "-cacert";

/// The `caCertCredentialName` of a mutual-TLS server with a separate client CA, or `None` when Istio
/// finds the CA by its own convention (the `<credentialName>-cacert` Secret, or `ca.crt` of the
/// credential). Istio's secret server serves a CA-only bundle for a Kubernetes Secret only when the
/// resource name ends in `-cacert`, and then reads the Secret of that name or, failing that, the
/// name without the suffix (`pilot/pkg/xds/sds.go`, `pilot/pkg/credentials/kube/secrets.go`
/// `GetCaCert`); a ConfigMap is named `configmap://<namespace>/<name>`.
pub fn ca_cert_credential_name(tls: &TlsModel, namespace: &str) -> Option<String> {
    let client_ca = tls.spec.as_ref()?.client_ca.as_ref()?;
    if let Some(config_map) = &client_ca.config_map_name {
        return Some(format!("configmap://{namespace}/{config_map}"));
    }
    let secret = client_ca.secret_name.as_ref()?;
    if *secret == format!("{}{CA_SUFFIX}", tls.credential_name) {
        return None;
    }
    if secret.ends_with(CA_SUFFIX) { Some(secret.clone()) } else { Some(format!("{secret}{CA_SUFFIX}")) }
}

/// Render the Istio Gateway of one gateway (and its port-80 Gateway API objects for HTTP-01).
pub fn render(model: &Model, gateway: &GatewayModel) -> Result<Vec<Generated>, Error> {
    let namespace = gateway.namespace.as_str();
    let file = file_name("gateway", &gateway.name);
    let servers: Vec<Server> = gateway
        .servers
        .iter()
        .filter(|server| !gateway.served_by_gateway_api(server))
        .map(|server| Server {
            port: Port {
                number: server.port,
                name: server.name.clone(),
                protocol: server.protocol.as_str().to_string(),
            },
            hosts: server.hosts.clone(),
            tls: match (&server.tls, server.protocol) {
                (_, ServerProtocol::Http) => {
                    server.https_redirect.then(|| ServerTls { https_redirect: true, ..Default::default() })
                }
                (Some(tls), _) => Some(ServerTls {
                    mode: Some(tls.mode.as_str().to_string()),
                    credential_name: (tls.mode != TlsMode::Passthrough && !tls.credential_name.is_empty())
                        .then(|| tls.credential_name.clone()),
                    min_protocol_version: (tls.mode != TlsMode::Passthrough)
                        .then(|| tls.min_protocol_version.as_str().to_string()),
                    max_protocol_version: tls.max_protocol_version.map(|v| v.as_str().to_string()),
                    cipher_suites: tls.cipher_suites.clone(),
                    subject_alt_names: tls.subject_alt_names.clone(),
                    ca_cert_credential_name: matches!(tls.mode, TlsMode::Mutual | TlsMode::OptionalMutual)
                        .then(|| ca_cert_credential_name(tls, namespace))
                        .flatten(),
                    ..Default::default()
                }),
                (None, _) => None,
            },
        })
        .collect();
    let mut out = Vec::new();
    if !servers.is_empty() {
        out.push(Generated::new(
            &Resource::new(
                istio::NETWORKING_V1,
                "Gateway",
                metadata(model, &gateway.name, Some(namespace), &gateway.workload, Component::Gateway),
                GatewaySpec { selector: gateway.selector.clone(), servers },
            ),
            &file,
        )?);
    }
    if gateway.http01 {
        out.extend(render_http01(model, gateway, &file)?);
    }
    Ok(out)
}

fn render_http01(model: &Model, gateway: &GatewayModel, file: &str) -> Result<Vec<Generated>, Error> {
    let Some(redirect) = gateway.servers.iter().find(|s| gateway.served_by_gateway_api(s)) else {
        return Ok(Vec::new());
    };
    let namespace = gateway.namespace.as_str();
    let k8s_gateway = http01_gateway_name(&gateway.name);
    let meta = |name: &str| metadata(model, name, Some(namespace), &gateway.workload, Component::Gateway);
    let gateway_object = Resource::new(
        gapi::V1,
        "Gateway",
        meta(&k8s_gateway),
        gapi::GatewaySpec {
            gateway_class_name: "istio".to_string(),
            addresses: vec![gapi::GatewayAddress {
                type_: "Hostname".to_string(),
                value: format!("{}.{namespace}.svc.cluster.local", gateway.workload),
            }],
            infrastructure: None,
            listeners: vec![gapi::Listener {
                name: HTTP_LISTENER.to_string(),
                port: redirect.port,
                protocol: "HTTP".to_string(),
                allowed_routes: gapi::AllowedRoutes {
                    namespaces: gapi::RouteNamespaces { from: "Same".to_string(), selector: None },
                },
                ..Default::default()
            }],
            tls: None,
        },
    );
    let route = https_redirect_route(model, gateway, redirect, parent_ref(&k8s_gateway, None));
    Ok(vec![Generated::new(&gateway_object, file)?, Generated::new(&route, file)?])
}

/// The HTTPRoute that redirects every request of an HTTP server to HTTPS, bound to `parent`: the
/// port-80 Gateway of an HTTP-01 gateway, or the HTTP listener of a gateway in `gateway-api` mode.
pub fn https_redirect_route(
    model: &Model,
    gateway: &GatewayModel,
    redirect: &crate::model::ServerModel,
    parent: gapi::ParentRef,
) -> Resource<gapi::HttpRouteSpec> {
    // cert-manager's challenge route names the exact DNS name being validated; the redirect must name
    // the same hostnames to share its virtual host, or requests for those names during a challenge
    // would not be redirected.
    let mut hostnames: Vec<String> = redirect.hosts.iter().map(|h| server_host_name(h).to_string()).collect();
    for certificate in &model.certificates {
        if http01_issuer_for(model, &certificate.issuer).is_some_and(|g| g == gateway.name) {
            hostnames.extend(certificate.dns_names.iter().cloned());
        }
    }
    // A listener or route host name `*` is "every host": the Gateway API writes that as no names.
    hostnames.retain(|h| h != "*");
    hostnames.sort();
    hostnames.dedup();
    Resource::new(
        gapi::V1,
        "HTTPRoute",
        metadata(
            model,
            &redirect_route_name(&gateway.name),
            Some(&gateway.namespace),
            &gateway.workload,
            Component::Gateway,
        ),
        gapi::HttpRouteSpec {
            parent_refs: vec![parent],
            hostnames,
            rules: vec![gapi::HttpRouteRule {
                matches: vec![gapi::HttpRouteMatch {
                    path: gapi::HttpPathMatch { type_: "PathPrefix".to_string(), value: "/".to_string() },
                    ..Default::default()
                }],
                filters: vec![gapi::HttpRouteFilter {
                    type_: "RequestRedirect".to_string(),
                    request_redirect: Some(gapi::RequestRedirect {
                        scheme: Some("https".to_string()),
                        status_code: 301,
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        },
    )
}

/// The parent reference cert-manager's HTTP-01 solver attaches its challenge route to: the port-80
/// listener of the gateway's HTTP-01 Gateway, or of the gateway itself in `gateway-api` mode.
pub fn http01_parent_ref(model: &Model, gateway: &str) -> gapi::ParentRef {
    let k8s_gateway =
        if model.gateway_api(gateway) { gateway.to_string() } else { http01_gateway_name(gateway) };
    parent_ref(&k8s_gateway, Some(model.gateway_namespace(gateway)))
}

/// A parent reference to the port-80 listener of an HTTP-01 gateway.
pub fn parent_ref(k8s_gateway: &str, namespace: Option<&str>) -> gapi::ParentRef {
    gapi::ParentRef {
        group: gapi::GROUP.to_string(),
        kind: "Gateway".to_string(),
        name: k8s_gateway.to_string(),
        namespace: namespace.map(str::to_string),
        section_name: HTTP_LISTENER.to_string(),
    }
}

/// The gateway an issuer of this config solves HTTP-01 through, if any.
pub fn http01_issuer_for<'a>(model: &'a Model, issuer: &str) -> Option<&'a str> {
    model
        .spec
        .issuers
        .iter()
        .find(|i| i.name == issuer)
        .and_then(|i| i.acme.as_ref())
        .and_then(|a| a.solvers.iter().find_map(|s| s.http01.as_ref()))
        .map(|h| h.gateway.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1alpha1::{ClientCa, ServerTls as SpecTls, TlsVersion};

    fn tls(credential: &str, client_ca: ClientCa) -> TlsModel {
        TlsModel {
            path: String::new(),
            mode: TlsMode::Mutual,
            certificate: None,
            credential_name: credential.to_string(),
            min_protocol_version: TlsVersion::Tlsv12,
            max_protocol_version: None,
            cipher_suites: Vec::new(),
            subject_alt_names: Vec::new(),
            spec: Some(SpecTls { client_ca: Some(client_ca), ..Default::default() }),
        }
    }

    #[test]
    fn client_ca_names_follow_istios_secret_server() {
        let secret = |name: &str| ClientCa { secret_name: Some(name.to_string()), config_map_name: None };
        // Istio's own convention needs no field.
        assert_eq!(ca_cert_credential_name(&tls("api", secret("api-cacert")), "ns"), None);
        // A CA-only bundle is served for -cacert names, which fall back to the bare Secret.
        assert_eq!(
            ca_cert_credential_name(&tls("api", secret("partner-ca")), "ns").as_deref(),
            Some("partner-ca-cacert")
        );
        assert_eq!(
            ca_cert_credential_name(&tls("api", secret("partner-cacert")), "ns").as_deref(),
            Some("partner-cacert")
        );
        let config_map = ClientCa { secret_name: None, config_map_name: Some("bundle".to_string()) };
        assert_eq!(
            ca_cert_credential_name(&tls("api", config_map), "istio-ingress").as_deref(),
            Some("configmap://istio-ingress/bundle")
        );
    }
}
