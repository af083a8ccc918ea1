//! Certificate and issuer rules: issuer references and kinds (generated, namespaced or external),
//! DNS-01 providers as cert-manager v1.21 validates them, certificate namespaces, and the conditions
//! under which ACME HTTP-01 really works through an Istio gateway.

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::*;
use crate::model::{Model, effective_service_type, server_host_name};
use serde_json::json;

/// Run the certificate and issuer rules.
pub fn check(model: &Model, f: &mut Findings) {
    defaults(model, f);
    certificates(model, f);
    issuers(model, f);
}

/// Say what [`crate::model::defaults`] added, and for the self-signed issuer, how to switch to
/// Let's Encrypt: a self-signed certificate is not trusted by browsers, so it is a warning.
fn defaults(model: &Model, f: &mut Findings) {
    if let Some(name) = &model.defaulted.certificate {
        f.info(
            "spec.certificates",
            None,
            format!(
                "no certificate configured: Certificate {name:?} for spec.domains ({}) is generated, and every HTTPS server that names none uses it; add an entry to spec.certificates to choose its name, Secret or DNS names",
                model.spec.domains.join(", ")
            ),
        );
    }
    let Some(name) = &model.defaulted.issuer else {
        return;
    };
    let signed: Vec<String> =
        model.certificates.iter().filter(|c| &c.issuer == name).map(|c| format!("{:?}", c.name)).collect();
    // HTTP-01 needs a gateway Let's Encrypt can reach; without one, DNS-01 is the way.
    let reachable = model.gateways.iter().find(|g| {
        g.scope != Scope::Internal
            && effective_service_type(&g.spec) != ServiceType::ClusterIP
            && g.servers.iter().any(|s| s.port == 80)
    });
    let solver = match reachable {
        Some(gateway) => format!(
            "{{http01: {{gateway: {}}}}}]}}}} (HTTP-01 through the gateway needs cert-manager started with --enable-gateway-api)",
            gateway.name
        ),
        None => "{dns01: {...}}]}} (no gateway of this config is reachable on port 80 from the internet, so use DNS-01)".to_string(),
    };
    f.warning(
        "spec.issuers",
        None,
        format!(
            "no issuer configured: certificate {} is signed by a generated self-signed Issuer {name:?}, which browsers and clients do not trust (fine for a first try, not for users); to use Let's Encrypt, add to spec.issuers {{name: letsencrypt, acme: {{email: you@example.com, solvers: [{solver}, or declare an issuer that already exists with {{name: <issuer>, external: true}}",
            signed.join(", ")
        ),
    );
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

        if certificate.gateway_namespaces.len() > 1 {
            f.error(
                format!("{path}.name"),
                text(&certificate.name),
                format!(
                    "certificate {:?} is used by gateways in namespaces {}; Istio reads a server's secret from its gateway pods' namespace, so give each namespace its own certificate",
                    certificate.name,
                    certificate.gateway_namespaces.join(" and ")
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
            match model.issuer(&certificate.issuer) {
                Some(declared) => {
                    if let Some(kind) = certificate.spec.issuer_kind
                        && kind != declared.kind
                    {
                        f.error(
                            format!("{path}.issuerKind"),
                            text(kind.as_str()),
                            format!(
                                "issuer {:?} is a {} ({}.kind); set issuerKind: {}, or leave it unset to follow the issuer",
                                certificate.issuer,
                                declared.kind.as_str(),
                                declared.path,
                                declared.kind.as_str()
                            ),
                        );
                    }
                }
                None => {
                    let kind = certificate.issuer_kind;
                    let where_ = if kind == IssuerKind::Issuer {
                        format!(" in namespace {}", certificate.namespace)
                    } else {
                        String::new()
                    };
                    let known: Vec<&str> = model.issuers.iter().map(|i| i.name.as_str()).collect();
                    let declaration = match kind {
                        IssuerKind::ClusterIssuer => {
                            format!("{{name: {}, external: true}}", certificate.issuer)
                        }
                        IssuerKind::Issuer => {
                            format!("{{name: {}, kind: Issuer, external: true}}", certificate.issuer)
                        }
                    };
                    let mut message = format!(
                        "{} {:?} is not in spec.issuers, so it must already exist in the cluster{where_}; to say so, add {declaration} to spec.issuers",
                        kind.as_str(),
                        certificate.issuer
                    );
                    if let Some(s) = crate::api::decode::suggest(&certificate.issuer, &known) {
                        message.push_str(&format!(" (or did you mean {s:?}?)"));
                    }
                    f.warning(format!("{path}.issuer"), text(&certificate.issuer), message);
                }
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
            // cert-manager creates the challenge HTTPRoute beside the Certificate; the port-80 listener
            // admits routes of its own namespace only.
            let gateway_namespace = model.gateway_namespace(&http01.gateway);
            if model.gateways.iter().any(|g| g.name == http01.gateway)
                && certificate.namespace != gateway_namespace
            {
                f.error(
                    at,
                    text(name),
                    format!(
                        "certificate {:?} lives in namespace {} (beside the gateway pods that serve it), but issuer {:?} answers HTTP-01 through gateway {:?} in namespace {}, whose port-80 listener admits challenge routes of its own namespace only; use a dns01 solver for it",
                        certificate.name, certificate.namespace, issuer.name, http01.gateway, gateway_namespace
                    ),
                );
            }
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
        .flat_map(|g| g.servers.iter().flat_map(|s| s.hosts.iter().map(|h| server_host_name(h))))
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
    for (ii, model_issuer) in model.issuers.iter().enumerate() {
        let issuer = &model_issuer.spec;
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
        let set = kinds.iter().filter(|k| **k).count();
        if issuer.external {
            if set > 0 {
                f.error(
                    path.as_str(),
                    None,
                    "an external issuer already exists in the cluster, so nothing is generated from acme, selfSigned or ca; remove them, or remove external: true to generate the issuer",
                );
            }
            continue;
        }
        if set != 1 {
            f.error(
                path.as_str(),
                None,
                "set exactly one of acme, selfSigned and ca (or external: true for an issuer that already exists in the cluster)",
            );
        }
        if let Some(ca) = &issuer.ca {
            f.name(&format!("{path}.ca.secretName"), "secret name", &ca.secret_name, names::object_name);
        }
        if let Some(acme) = &issuer.acme {
            acme_issuer(model, acme, &format!("{path}.acme"), f);
            if issuer.kind == IssuerKind::Issuer {
                ambient_credentials(acme, &path, f);
            }
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
            dns01_provider(dns01, &format!("{at}.dns01"), f);
        }
        if let Some(http01) = &solver.http01 {
            http01_gateway(model, &http01.gateway, &format!("{at}.http01.gateway"), f);
        }
    }
}

/// The DNS-01 providers this config renders.
const DNS01_PROVIDERS: &str = "route53, cloudflare, cloudDNS, azureDNS, rfc2136 or webhook";

/// One DNS-01 provider, with the fields cert-manager's webhook requires
/// (`internal/apis/certmanager/validation/issuer.go` `ValidateACMEChallengeSolverDNS01`, v1.21).
fn dns01_provider(dns01: &Dns01, at: &str, f: &mut Findings) {
    let providers = [
        dns01.route53.is_some(),
        dns01.cloudflare.is_some(),
        dns01.cloud_dns.is_some(),
        dns01.azure_dns.is_some(),
        dns01.rfc2136.is_some(),
        dns01.webhook.is_some(),
    ];
    match providers.iter().filter(|p| **p).count() {
        0 => {
            f.error(at, None, format!("dns01 needs a provider: {DNS01_PROVIDERS}"));
        }
        1 => {}
        _ => {
            f.error(at, None, format!("set exactly one dns01 provider ({DNS01_PROVIDERS}); use one solver per provider, with selectors"));
        }
    }
    let required = |f: &mut Findings, path: String, value: &str, what: &str| {
        if value.trim().is_empty() {
            f.error(path, None, format!("{what} is required"));
        }
    };
    if let Some(route53) = &dns01.route53 {
        required(f, format!("{at}.route53.region"), &route53.region, "the AWS region");
    }
    if let Some(cloudflare) = &dns01.cloudflare {
        secret_key_ref(&cloudflare.api_token_secret_ref, &format!("{at}.cloudflare.apiTokenSecretRef"), f);
    }
    if let Some(cloud_dns) = &dns01.cloud_dns {
        let path = format!("{at}.cloudDNS");
        let project = cloud_dns.project.trim();
        let project_ok = (6..=30).contains(&project.len())
            && project.starts_with(|c: char| c.is_ascii_lowercase())
            && !project.ends_with('-')
            && project.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        // Legacy projects may carry a domain prefix (`example.com:project`); accept those as written.
        if project.is_empty() {
            f.error(format!("{path}.project"), None, "the Google Cloud project ID is required");
        } else if !project_ok && !project.contains(':') {
            f.error(
                format!("{path}.project"),
                text(&cloud_dns.project),
                format!("{project:?} is not a Google Cloud project ID (6-30 lowercase letters, digits and '-', starting with a letter)"),
            );
        }
        if let Some(zone) = &cloud_dns.hosted_zone_name {
            f.name(&format!("{path}.hostedZoneName"), "managed zone name", zone, names::dns1035_label);
        }
        if let Some(secret) = &cloud_dns.service_account_secret_ref {
            secret_key_ref(secret, &format!("{path}.serviceAccountSecretRef"), f);
        }
    }
    if let Some(azure) = &dns01.azure_dns {
        let path = format!("{at}.azureDNS");
        if azure.subscription_id.trim().is_empty() {
            f.error(format!("{path}.subscriptionID"), None, "the Azure subscription ID is required");
        } else if !is_guid(&azure.subscription_id) {
            f.error(
                format!("{path}.subscriptionID"),
                text(&azure.subscription_id),
                "expected a subscription ID such as \"00000000-0000-0000-0000-000000000000\"",
            );
        }
        required(
            f,
            format!("{path}.resourceGroupName"),
            &azure.resource_group_name,
            "the resource group of the zone",
        );
        if let Some(identity) = &azure.managed_identity {
            let at = format!("{path}.managedIdentity");
            match (&identity.client_id, &identity.resource_id, &identity.tenant_id) {
                (Some(_), Some(_), _) => {
                    f.error(at.as_str(), None, "set clientID or resourceID, not both");
                }
                (_, Some(_), Some(_)) => {
                    f.error(
                        format!("{at}.tenantID"),
                        None,
                        "tenantID goes with clientID, not with resourceID",
                    );
                }
                (None, None, Some(_)) => {
                    f.error(format!("{at}.clientID"), None, "tenantID needs the clientID of the identity");
                }
                _ => {}
            }
            for (field, value) in [("clientID", &identity.client_id), ("tenantID", &identity.tenant_id)] {
                if let Some(value) = value
                    && !is_guid(value)
                {
                    f.error(format!("{at}.{field}"), text(value), format!("{field} {value:?} is not a GUID"));
                }
            }
            if let Some(resource) = &identity.resource_id
                && !resource.to_ascii_lowercase().starts_with("/subscriptions/")
            {
                f.error(
                    format!("{at}.resourceID"),
                    text(resource),
                    "expected a resource ID such as /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
                );
            }
        }
    }
    if let Some(rfc2136) = &dns01.rfc2136 {
        let path = format!("{at}.rfc2136");
        if let Err(reason) = nameserver(&rfc2136.nameserver) {
            f.error(
                format!("{path}.nameserver"),
                text(&rfc2136.nameserver),
                format!("nameserver {:?} is not valid: {reason}", rfc2136.nameserver),
            );
        }
        match (&rfc2136.tsig_key_name, &rfc2136.tsig_secret_secret_ref) {
            (Some(_), None) => {
                f.error(
                    format!("{path}.tsigSecretSecretRef"),
                    None,
                    "tsigKeyName needs tsigSecretSecretRef, the Secret holding the key",
                );
            }
            (None, Some(_)) => {
                f.error(
                    format!("{path}.tsigKeyName"),
                    None,
                    "tsigSecretSecretRef needs tsigKeyName, the key's name on the server",
                );
            }
            (None, None) if rfc2136.tsig_algorithm.is_some() => {
                f.error(
                    format!("{path}.tsigAlgorithm"),
                    None,
                    "tsigAlgorithm is used only with a TSIG key: set tsigKeyName and tsigSecretSecretRef",
                );
            }
            _ => {}
        }
        if let Some(key) = &rfc2136.tsig_key_name
            && names::host(key.trim_end_matches('.'), false).is_err()
        {
            f.error(
                format!("{path}.tsigKeyName"),
                text(key),
                format!("TSIG key name {key:?} is not a DNS name (such as \"acme-update.\")"),
            );
        }
        if let Some(secret) = &rfc2136.tsig_secret_secret_ref {
            secret_key_ref(secret, &format!("{path}.tsigSecretSecretRef"), f);
        }
        if rfc2136.tsig_key_name.is_some()
            && rfc2136.tsig_algorithm.is_none_or(|a| a == TsigAlgorithm::Hmacmd5)
        {
            f.warning(
                format!("{path}.tsigAlgorithm"),
                rfc2136.tsig_algorithm.map(|a| serde_json::Value::String(a.as_str().to_string())),
                "HMACMD5 (cert-manager's default) is a weak TSIG algorithm (RFC 8945 recommends HMACSHA256); set tsigAlgorithm to match the key on the server",
            );
        }
    }
    if let Some(webhook) = &dns01.webhook {
        let path = format!("{at}.webhook");
        if webhook.group_name.trim().is_empty() {
            f.error(format!("{path}.groupName"), None, "the webhook's API group (its groupName) is required");
        } else if names::host(&webhook.group_name, false).is_err() || !webhook.group_name.contains('.') {
            f.error(
                format!("{path}.groupName"),
                text(&webhook.group_name),
                format!(
                    "{:?} is not an API group: a DNS subdomain such as \"acme.example.com\"",
                    webhook.group_name
                ),
            );
        }
        required(
            f,
            format!("{path}.solverName"),
            &webhook.solver_name,
            "the solver name the webhook implements",
        );
    }
}

/// A credential's Secret reference: a valid Secret name and, when given, a valid data key.
fn secret_key_ref(secret: &SecretKeyRef, path: &str, f: &mut Findings) {
    f.name(&format!("{path}.name"), "secret name", &secret.name, names::object_name);
    if let Some(key) = &secret.key {
        let valid = !key.is_empty()
            && key.len() <= 253
            && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            f.error(
                format!("{path}.key"),
                text(key),
                format!("{key:?} is not a Secret data key (letters, digits, '-', '_' and '.')"),
            );
        }
    }
}

/// Whether `text` is a GUID (`00000000-0000-0000-0000-000000000000`).
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An RFC 2136 nameserver as cert-manager accepts it: `host[:port]`, the host an IPv4 address, a host
/// name, or an IPv6 address in brackets (`util.ValidNameserver`).
fn nameserver(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("it is empty".to_string());
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (address, rest) = rest.split_once(']').ok_or("an IPv6 address needs its closing ']'")?;
        address.parse::<std::net::Ipv6Addr>().map_err(|_| format!("{address:?} is not an IPv6 address"))?;
        match rest {
            "" => return Ok(()),
            rest => ("", rest.strip_prefix(':').ok_or("expected ':<port>' after ']'")?),
        }
    } else if text.matches(':').count() > 1 {
        return Err("an IPv6 address goes in brackets: \"[2001:db8::53]:53\"".to_string());
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, port),
            None => (text, "53"),
        }
    };
    if !host.is_empty() && host.parse::<std::net::Ipv4Addr>().is_err() && names::host(host, false).is_err() {
        return Err(format!("{host:?} is neither an IPv4 address nor a host name"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("{port:?} is not a port number")),
    }
}

/// cert-manager lends ambient cloud credentials (workload identity, instance roles) to namespaced
/// Issuers only when started with `--issuer-ambient-credentials`, off by default
/// (`internal/apis/config/controller/v1alpha1/defaults.go`); these solvers then fail.
fn ambient_credentials(acme: &Acme, path: &str, f: &mut Findings) {
    for (si, solver) in acme.solvers.iter().enumerate() {
        let Some(dns01) = &solver.dns01 else { continue };
        let ambient = if dns01.route53.is_some() {
            Some("route53")
        } else if dns01.cloud_dns.as_ref().is_some_and(|c| c.service_account_secret_ref.is_none()) {
            Some("cloudDNS")
        } else if dns01.azure_dns.is_some() {
            Some("azureDNS")
        } else {
            None
        };
        if let Some(provider) = ambient {
            f.info(
                format!("{path}.acme.solvers[{si}].dns01.{provider}"),
                None,
                format!(
                    "a namespaced Issuer's {provider} solver uses cert-manager's ambient cloud credentials, which cert-manager lends to Issuers only when started with --issuer-ambient-credentials (off by default); otherwise use kind: ClusterIssuer"
                ),
            );
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
    if gateway.external {
        f.error(
            at,
            text(name),
            format!(
                "HTTP-01 needs a port-80 Gateway API listener on gateway {name:?}'s own Service, and its workload is external (managed elsewhere); use a dns01 solver"
            ),
        );
        return;
    }
    if let Some(server) =
        gateway.redirect_server().filter(|s| s.hosts.iter().any(|h| server_host_name(h) == "*"))
    {
        f.error(
            format!("{}.hosts", server.path),
            text("*"),
            format!(
                "HTTP-01 gateway {name:?} serves its port-80 redirect through a Gateway API HTTPRoute, which needs host names: list them instead of \"*\""
            ),
        );
    }
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
    // In gateway-api mode the challenges reach the gateway's own Gateway, on its `http` listener.
    let served_by = if gateway.gateway_api() {
        format!(
            "its Gateway API Gateway {name:?} on listener {:?}",
            crate::render::istio_gateway::HTTP_LISTENER
        )
    } else {
        format!(
            "a Gateway API Gateway {:?} on port 80",
            crate::render::istio_gateway::http01_gateway_name(name)
        )
    };
    f.info(
        at,
        text(name),
        format!(
            "HTTP-01 through gateway {name:?} is served by {served_by}: the cluster needs the Gateway API CRDs (gateway.networking.k8s.io/v1), Istio with Gateway API support, and cert-manager 1.15+ started with --enable-gateway-api"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers_as_cert_manager_reads_them() {
        for ok in [
            "10.0.0.53",
            "10.0.0.53:53",
            "ns1.example.com",
            "ns1.example.com:5353",
            "[2001:db8::53]",
            "[2001:db8::53]:53",
        ] {
            assert!(nameserver(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2001:db8::53",
            "[2001:db8::53",
            "[nope]:53",
            "ns1.example.com:0",
            "ns1.example.com:dns",
            "bad_host:53",
        ] {
            assert!(nameserver(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn guids() {
        assert!(is_guid("11111111-2222-3333-4444-555555555555"));
        assert!(is_guid("aBcDeF00-2222-3333-4444-555555555555"));
        assert!(!is_guid("11111111-2222-3333-4444-55555555555"));
        assert!(!is_guid("not-a-guid"));
    }
}
