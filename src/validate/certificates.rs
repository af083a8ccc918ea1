//! Certificate and issuer rules, including the conditions under which ACME HTTP-01 really works
//! through an Istio gateway.

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::*;
use crate::model::{Model, effective_service_type};
use serde_json::json;

/// Run the certificate and issuer rules.
pub fn check(model: &Model, f: &mut Findings) {
    certificates(model, f);
    issuers(model, f);
}

fn certificates(model: &Model, f: &mut Findings) {
    for (ci, certificate) in model.certificates.iter().enumerate() {
        let path = &certificate.path;
        f.name(&format!("{path}.name"), "certificate name", &certificate.name, names::object_name);
        if let Some(first) = model.certificates[..ci].iter().find(|c| c.name == certificate.name) {
            f.error(
                format!("{path}.name"),
                text(&certificate.name),
                format!("certificate name {:?} is already used by {}", certificate.name, first.path),
            );
        }
        let secret_path = if certificate.spec.secret_name.is_some() {
            format!("{path}.secretName")
        } else {
            format!("{path}.name")
        };
        f.name(&secret_path, "secret name", &certificate.secret_name, names::object_name);
        if let Some(first) =
            model.certificates[..ci].iter().find(|c| c.secret_name == certificate.secret_name)
        {
            f.error(
                secret_path,
                text(&certificate.secret_name),
                format!(
                    "secret {:?} is also written by {}; two certificates would overwrite each other",
                    certificate.secret_name, first.path
                ),
            );
        }

        if certificate.issuer.is_empty() {
            f.error(
                format!("{path}.issuer"),
                None,
                "the certificate has no issuer: set issuer, or add an entry to spec.issuers",
            );
        } else {
            let generated = model.spec.issuers.iter().any(|i| i.name == certificate.issuer);
            match (certificate.issuer_kind, generated) {
                (IssuerKind::Issuer, true) => {
                    f.error(
                        format!("{path}.issuerKind"),
                        text("Issuer"),
                        format!("{:?} is generated from spec.issuers as a ClusterIssuer; set issuerKind: ClusterIssuer", certificate.issuer),
                    );
                }
                (kind, false) => {
                    let where_ = if kind == IssuerKind::Issuer {
                        format!(" in namespace {}", model.spec.namespace)
                    } else {
                        String::new()
                    };
                    f.warning(
                        format!("{path}.issuer"),
                        text(&certificate.issuer),
                        format!(
                            "{} {:?} is not in spec.issuers; it must already exist in the cluster{where_}",
                            kind.as_str(),
                            certificate.issuer
                        ),
                    );
                }
                _ => {}
            }
        }

        if certificate.dns_names.is_empty() {
            f.error(
                format!("{path}.dnsNames"),
                None,
                "the certificate has no DNS names: set dnsNames or spec.domains",
            );
        }
        for (di, name) in certificate.dns_names.iter().enumerate() {
            let at = format!("{}[{di}]", certificate.dns_names_path);
            if let Err(reason) = names::host(name, false) {
                f.error(&at, text(name), format!("DNS name {name:?} is not valid: {reason}"));
                continue;
            }
            if certificate.dns_names[..di].contains(name) {
                f.warning(&at, text(name), format!("DNS name {name:?} is listed twice"));
            }
            acme_solver_for(model, certificate, name, &at, f);
        }
        if let Some(cn) = &certificate.spec.common_name {
            if cn.len() > 64 {
                f.error(
                    format!("{path}.commonName"),
                    text(cn),
                    "a common name is limited to 64 characters (X.509); rely on dnsNames instead",
                );
            } else if !certificate.dns_names.contains(cn) {
                f.warning(
                    format!("{path}.commonName"),
                    text(cn),
                    "the common name should also be one of the certificate's dnsNames",
                );
            }
        }
        let used = model
            .gateways
            .iter()
            .flat_map(|g| g.servers.iter())
            .any(|s| s.tls.as_ref().and_then(|t| t.certificate.as_ref()) == Some(&certificate.name));
        if !used {
            f.info(
                format!("{path}.name"),
                text(&certificate.name),
                "no server of this config uses the certificate; it is still issued",
            );
        }
    }
}

/// Which solver of a generated ACME issuer cert-manager picks for `name`: the most specific selector
/// wins (DNS names over zones, longer zones over shorter), then the first listed.
fn acme_solver_for(
    model: &Model,
    certificate: &crate::model::CertificateModel,
    name: &str,
    at: &str,
    f: &mut Findings,
) {
    let Some(issuer) = model.spec.issuers.iter().find(|i| i.name == certificate.issuer) else {
        return;
    };
    let Some(acme) = &issuer.acme else { return };
    let mut best: Option<(usize, &Solver)> = None;
    for solver in &acme.solvers {
        let score = match &solver.selector {
            None => Some(1),
            Some(selector) if selector.dns_names.is_empty() && selector.dns_zones.is_empty() => Some(1),
            Some(selector) => {
                if selector.dns_names.iter().any(|n| n == name) {
                    Some(10_000)
                } else {
                    let bare = name.strip_prefix("*.").unwrap_or(name);
                    selector
                        .dns_zones
                        .iter()
                        .filter(|zone| bare == zone.as_str() || bare.ends_with(&format!(".{zone}")))
                        .map(|zone| 2 + zone.len())
                        .max()
                }
            }
        };
        if let Some(score) = score
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, solver));
        }
    }
    match best {
        None if !acme.solvers.is_empty() => {
            f.error(
                at,
                text(name),
                format!(
                    "no solver of issuer {:?} applies to {name:?}; widen a solver's selector",
                    issuer.name
                ),
            );
        }
        Some((_, solver)) if solver.http01.is_some() && name.starts_with("*.") => {
            f.error(
                at,
                text(name),
                format!(
                    "wildcard {name:?} cannot be validated with HTTP-01 (Let's Encrypt requires DNS-01 for wildcards); add a dns01 solver to issuer {:?}",
                    issuer.name
                ),
            );
        }
        Some((_, Solver { http01: Some(http01), .. })) => {
            http01_host_served(model, &http01.gateway, name, &issuer.name, at, f);
        }
        _ => {}
    }
}

/// Let's Encrypt fetches the challenge from `name` on port 80, which reaches the solver's gateway
/// only if DNS points `name` at its Service: that is, when a gateway on the same workload serves
/// `name` (its hosts are what external-dns and users publish). The port-80 listener itself answers
/// challenges for any host, so the name may come from any server of those gateways.
fn http01_host_served(model: &Model, gateway: &str, name: &str, issuer: &str, at: &str, f: &mut Findings) {
    // An unknown gateway is reported on the solver itself.
    let Some(solver_gateway) = model.gateways.iter().find(|g| g.name == gateway) else {
        return;
    };
    let mut hosts: Vec<&str> = Vec::new();
    for host in model
        .gateways
        .iter()
        .filter(|g| g.workload == solver_gateway.workload)
        .flat_map(|g| g.servers.iter().flat_map(|s| s.hosts.iter().map(String::as_str)))
    {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    if !hosts.iter().any(|host| crate::model::istio_host_matches(host, name)) {
        f.error(
            at,
            text(name),
            format!(
                "issuer {issuer:?} answers HTTP-01 for {name:?} through gateway {gateway:?}, but no gateway on its workload {:?} serves that name, so the challenge would not reach it (hosts: {}); add it to a gateway's hosts or spec.domains, or give the issuer a dns01 solver for it",
                solver_gateway.workload,
                hosts.join(", ")
            ),
        );
    }
}

fn issuers(model: &Model, f: &mut Findings) {
    for (ii, issuer) in model.spec.issuers.iter().enumerate() {
        let path = format!("spec.issuers[{ii}]");
        f.name(&format!("{path}.name"), "issuer name", &issuer.name, names::object_name);
        if model.spec.issuers[..ii].iter().any(|i| i.name == issuer.name) {
            f.error(
                format!("{path}.name"),
                text(&issuer.name),
                format!("issuer name {:?} is listed twice", issuer.name),
            );
        }
        let kinds = [issuer.acme.is_some(), issuer.self_signed.is_some(), issuer.ca.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            f.error(path.as_str(), None, "set exactly one of acme, selfSigned and ca");
        }
        if let Some(ca) = &issuer.ca {
            f.name(&format!("{path}.ca.secretName"), "secret name", &ca.secret_name, names::object_name);
        }
        if let Some(acme) = &issuer.acme {
            acme_issuer(model, acme, &format!("{path}.acme"), f);
        }
        let used = model.certificates.iter().any(|c| c.issuer == issuer.name)
            || model.spec.multicluster.as_ref().is_some_and(|m| m.plugin_ca.issuer == issuer.name);
        if !used {
            f.info(
                format!("{path}.name"),
                text(&issuer.name),
                "no certificate of this config uses the issuer; it is still created",
            );
        }
    }
}

fn acme_issuer(model: &Model, acme: &Acme, path: &str, f: &mut Findings) {
    let email = acme.email.trim();
    let plausible =
        email.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
            && !email.contains(char::is_whitespace);
    if !plausible {
        f.error(
            format!("{path}.email"),
            text(&acme.email),
            "expected an e-mail address such as \"ops@example.com\"",
        );
    }
    if !matches!(acme.server.as_str(), "production" | "staging") && !acme.server.starts_with("https://") {
        f.error(
            format!("{path}.server"),
            text(&acme.server),
            "expected \"production\", \"staging\" or an https:// ACME directory URL",
        );
    }
    if let Some(secret) = &acme.private_key_secret_name {
        f.name(&format!("{path}.privateKeySecretName"), "secret name", secret, names::object_name);
    }
    if acme.solvers.is_empty() {
        f.error(
            format!("{path}.solvers"),
            None,
            "an ACME issuer needs at least one solver (http01 through a gateway, or dns01)",
        );
    }
    for (si, solver) in acme.solvers.iter().enumerate() {
        let at = format!("{path}.solvers[{si}]");
        if solver.http01.is_some() == solver.dns01.is_some() {
            f.error(at.as_str(), None, "set exactly one of http01 and dns01");
        }
        if let Some(dns01) = &solver.dns01 {
            match &dns01.route53 {
                None => {
                    f.error(format!("{at}.dns01"), None, "dns01 needs a provider: route53");
                }
                Some(route53) if route53.region.trim().is_empty() => {
                    f.error(format!("{at}.dns01.route53.region"), None, "the AWS region is required");
                }
                _ => {}
            }
        }
        if let Some(http01) = &solver.http01 {
            http01_gateway(model, &http01.gateway, &format!("{at}.http01.gateway"), f);
        }
    }
}

/// HTTP-01 through an Istio gateway works when Let's Encrypt can reach the gateway's port 80 and
/// the HTTPS redirect does not swallow the challenge (istio/istio#33593). This function serves that
/// port through the Gateway API (see [`crate::render::istio_gateway`]), which has prerequisites.
fn http01_gateway(model: &Model, name: &str, at: &str, f: &mut Findings) {
    let Some(gateway) = model.gateways.iter().find(|g| g.name == name) else {
        let known: Vec<&str> = model.gateways.iter().map(|g| g.name.as_str()).collect();
        let mut message = format!("Referenced gateway not found: {name:?} is not in spec.gateways");
        if let Some(s) = crate::api::decode::suggest(name, &known) {
            message.push_str(&format!("; did you mean {s:?}?"));
        }
        f.error(at, text(name), message).set_code("IST0101");
        return;
    };
    match gateway.servers.iter().find(|s| s.port == 80) {
        Some(server) if server.protocol == ServerProtocol::Http && server.https_redirect => {}
        Some(server) => {
            f.error(
                at,
                text(name),
                format!(
                    "HTTP-01 through gateway {name:?} needs its port-80 server ({}) to be HTTP with httpsRedirect (the default); cert-manager answers challenges there while every other request is redirected",
                    server.path
                ),
            );
        }
        None => {
            f.error(
                at,
                text(name),
                format!("HTTP-01 through gateway {name:?} needs an HTTP server on port 80 (the default servers have one); Let's Encrypt validates on port 80"),
            );
        }
    }
    // Port 80 of the workload belongs to the Gateway API listener: an Istio server of another
    // gateway on the same workload and port with a redirect for the same hosts would take the virtual
    // host over and redirect the challenge again.
    let challenge_hosts: Vec<String> = model
        .certificates
        .iter()
        .filter(|c| crate::render::istio_gateway::http01_issuer_for(model, &c.issuer) == Some(name))
        .flat_map(|c| c.dns_names.iter().cloned())
        .chain(gateway.redirect_server().map(|s| s.hosts.clone()).unwrap_or_default())
        .collect();
    for other in model.gateways.iter().filter(|g| g.workload == gateway.workload && g.name != gateway.name) {
        for server in other.servers.iter().filter(|s| s.port == 80) {
            if crate::model::hosts_overlap(&server.hosts, &challenge_hosts) {
                f.error(
                    format!("{}.port", server.path),
                    Some(json!(80)),
                    format!(
                        "gateway {:?} shares workload {:?} with HTTP-01 gateway {name:?}, which serves port 80 for these hosts; remove this port-80 server (the HTTP-01 gateway redirects them to HTTPS)",
                        other.name, gateway.workload
                    ),
                );
            }
        }
    }
    if gateway.scope == Scope::Internal {
        f.warning(at, text(name), format!("gateway {name:?} is internal; Let's Encrypt must reach it from the internet for HTTP-01, so use dns01"));
    }
    if effective_service_type(&gateway.spec) == ServiceType::ClusterIP {
        f.warning(at, text(name), format!("gateway {name:?} has a ClusterIP Service, which Let's Encrypt cannot reach; use dns01 or a LoadBalancer"));
    }
    f.info(
        at,
        text(name),
        format!(
            "HTTP-01 through gateway {name:?} is served by a Gateway API Gateway {:?} on port 80: the cluster needs the Gateway API CRDs (gateway.networking.k8s.io/v1), Istio with Gateway API support, and cert-manager 1.15+ started with --enable-gateway-api",
            crate::render::istio_gateway::http01_gateway_name(name)
        ),
    );
}
