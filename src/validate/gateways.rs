//! Gateway rules: names, workloads, Services, load balancer presets, servers and TLS, and conflicts
//! between gateways that share a workload (IST0145, IST0138).

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::*;
use crate::model::{GatewayModel, Model, STATUS_PORT, ServerModel, certificate_covers, hosts_overlap};
use crate::render::istio_gateway::{http01_gateway_name, redirect_route_name};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

/// Ports the injected gateway proxy itself listens on; a server on one of them cannot work.
pub const RESERVED_PORTS: &[u32] =
    &[15000, 15001, 15004, 15006, 15008, 15009, 15020, STATUS_PORT, 15053, 15090];

/// Run the gateway rules.
pub fn check(model: &Model, f: &mut Findings) {
    for (gi, gateway) in model.gateways.iter().enumerate() {
        let path = &gateway.path;
        f.name(&format!("{path}.name"), "gateway name", &gateway.name, names::dns1123_label);
        if let Some(first) = model.gateways[..gi].iter().find(|g| g.name == gateway.name) {
            f.error(
                format!("{path}.name"),
                text(&gateway.name),
                format!("gateway name {:?} is already used by {}", gateway.name, first.path),
            );
        }
        workload(model, gateway, f);
        service(gateway, f);
        load_balancer(gateway, f);
        servers(model, gateway, f);
        if gateway.http01 {
            for derived in [http01_gateway_name(&gateway.name), redirect_route_name(&gateway.name)] {
                f.name(&format!("{path}.name"), "derived object name", &derived, names::object_name);
            }
        }
    }
    shared_workloads(model, f);
}

fn workload(model: &Model, gateway: &GatewayModel, f: &mut Findings) {
    let path = format!("{}.workload", gateway.path);
    let spec = &gateway.spec.workload;
    let name_path =
        if spec.name.is_some() { format!("{path}.name") } else { format!("{}.name", gateway.path) };
    f.name(&name_path, "workload name", &gateway.workload, names::dns1035_label);
    for (key, value) in &spec.labels {
        let at = crate::api::decode::join_key(&format!("{path}.labels"), key);
        if let Err(reason) = names::label_key(key) {
            f.error(&at, text(key), format!("label key {key:?} is not valid: {reason}"));
        }
        if let Err(reason) = names::label_value(value) {
            f.error(&at, text(value), format!("label value {value:?} is not valid: {reason}"));
        }
    }
    if let Some(selector_owner) = model
        .gateways
        .iter()
        .find(|other| other.workload != gateway.workload && other.selector == gateway.selector)
        .filter(|other| other.path < gateway.path)
    {
        f.error(
            format!("{path}.labels"),
            None,
            format!(
                "workload {:?} has the same labels as workload {:?} of {}; each Istio Gateway would configure both workloads. Give each workload distinct labels",
                gateway.workload, selector_owner.workload, selector_owner.path
            ),
        );
    }
    if spec.replicas.is_some() && spec.autoscaling.is_some() {
        f.error(
            format!("{path}.autoscaling"),
            None,
            "set either replicas (a fixed count) or autoscaling, not both",
        );
    }
    if spec.replicas == Some(0) {
        f.warning(format!("{path}.replicas"), Some(json!(0)), "replicas is 0: the gateway will have no pods");
    }
    if let Some(a) = &spec.autoscaling
        && a.min_replicas > a.max_replicas
    {
        f.error(
            format!("{path}.autoscaling.minReplicas"),
            Some(json!(a.min_replicas)),
            format!("minReplicas {} is greater than maxReplicas {}", a.min_replicas, a.max_replicas),
        );
    }
    if let Some(rendered) = model.workloads.iter().find(|w| w.name == gateway.workload) {
        pdb_evictable(&path, &spec.pod_disruption_budget, rendered.replicas.minimum(), f);
    }
    let pdb = &spec.pod_disruption_budget;
    if pdb.min_available.is_some() && pdb.max_unavailable.is_some() {
        f.error(
            format!("{path}.podDisruptionBudget"),
            None,
            "set either minAvailable or maxUnavailable, not both",
        );
    }
    for (field, value) in [("minAvailable", &pdb.min_available), ("maxUnavailable", &pdb.max_unavailable)] {
        if let Some(IntOrString::String(s)) = value {
            let ok = s.strip_suffix('%').and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n <= 100);
            if !ok {
                f.error(
                    format!("{path}.podDisruptionBudget.{field}"),
                    text(s),
                    format!("{s:?} is not a count or a percentage such as \"50%\""),
                );
            }
        }
    }
    for (key, value) in &spec.node_selector {
        let at = crate::api::decode::join_key(&format!("{path}.nodeSelector"), key);
        if names::label_key(key).is_err() || names::label_value(value).is_err() {
            f.error(at, text(value), format!("nodeSelector {key:?}: {value:?} is not a valid label"));
        }
    }
}

/// A budget that never allows an eviction blocks every node drain and cluster upgrade for good,
/// the failure the single-replica rule avoids (kubernetes/kubernetes#93476). It is emitted only when
/// at least two replicas always run, so it must leave one of `replicas` pods evictable.
pub fn pdb_evictable(path: &str, pdb: &PodDisruptionBudget, replicas: u32, f: &mut Findings) {
    if !pdb.enabled || replicas < 2 {
        return;
    }
    let percent = |s: &str| s.strip_suffix('%').and_then(|n| n.parse::<u32>().ok());
    let blocked = match (&pdb.min_available, &pdb.max_unavailable) {
        (Some(IntOrString::Int(n)), _) if i64::from(*n) >= i64::from(replicas) => {
            Some(("minAvailable", json!(n)))
        }
        (Some(IntOrString::String(s)), _) if percent(s) == Some(100) => Some(("minAvailable", json!(s))),
        (_, Some(IntOrString::Int(0))) => Some(("maxUnavailable", json!(0))),
        (_, Some(IntOrString::String(s))) if percent(s) == Some(0) => Some(("maxUnavailable", json!(s))),
        _ => None,
    };
    if let Some((field, value)) = blocked {
        f.error(
            format!("{path}.podDisruptionBudget.{field}"),
            Some(value),
            format!(
                "with {replicas} replicas at the least, this budget never lets a pod be evicted, so node drains block forever; expected minAvailable below {replicas} (default 1) or maxUnavailable of at least 1"
            ),
        );
    }
}

fn service(gateway: &GatewayModel, f: &mut Findings) {
    let path = format!("{}.service", gateway.path);
    let spec = &gateway.spec.service;
    let service_type = crate::model::effective_service_type(&gateway.spec);
    if spec.external_traffic_policy.is_some() && service_type == ServiceType::ClusterIP {
        f.error(
            format!("{path}.externalTrafficPolicy"),
            None,
            "externalTrafficPolicy applies only to LoadBalancer and NodePort Services, and this Service is ClusterIP",
        );
    }
    if !spec.load_balancer_source_ranges.is_empty() && service_type != ServiceType::LoadBalancer {
        f.error(
            format!("{path}.loadBalancerSourceRanges"),
            None,
            format!(
                "loadBalancerSourceRanges applies only to LoadBalancer Services, and this Service is {}",
                service_type.as_str()
            ),
        );
    }
    for (i, cidr) in spec.load_balancer_source_ranges.iter().enumerate() {
        if !is_cidr(cidr) {
            f.error(
                format!("{path}.loadBalancerSourceRanges[{i}]"),
                text(cidr),
                format!("{cidr:?} is not a CIDR such as \"10.0.0.0/8\""),
            );
        }
    }
    for key in spec.annotations.keys() {
        if let Err(reason) = names::label_key(key) {
            f.error(
                crate::api::decode::join_key(&format!("{path}.annotations"), key),
                text(key),
                format!("annotation key {key:?} is not valid: {reason}"),
            );
        }
    }
    if gateway.scope == Scope::Internal
        && service_type == ServiceType::LoadBalancer
        && gateway.spec.load_balancer.provider == Provider::None
        && spec.annotations.is_empty()
    {
        f.warning(
            format!("{path}.type"),
            text("LoadBalancer"),
            "an internal gateway with a plain LoadBalancer Service is internet-facing on most clouds; set loadBalancer.provider (or the cloud's internal annotation in service.annotations), or use ClusterIP",
        );
    }
    let dns = &gateway.spec.external_dns;
    if dns.enabled && service_type == ServiceType::ClusterIP {
        f.warning(
            format!("{}.externalDNS.enabled", gateway.path),
            Some(json!(true)),
            "external-dns publishes ClusterIP Services only with --publish-internal-services; the hostname annotation may be ignored",
        );
    }
    if dns.enabled && !dns.annotation_prefix.ends_with('/') {
        f.error(
            format!("{}.externalDNS.annotationPrefix", gateway.path),
            text(&dns.annotation_prefix),
            "the annotation prefix must end with '/' (\"external-dns.kubernetes.io/\")",
        );
    }
}

fn is_cidr(text: &str) -> bool {
    let Some((address, bits)) = text.split_once('/') else {
        return false;
    };
    match (address.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(b)) => b <= 32,
        (Ok(std::net::IpAddr::V6(_)), Ok(b)) => b <= 128,
        _ => false,
    }
}

fn load_balancer(gateway: &GatewayModel, f: &mut Findings) {
    let path = format!("{}.loadBalancer", gateway.path);
    let lb = &gateway.spec.load_balancer;
    let service_type = crate::model::effective_service_type(&gateway.spec);
    let aws = matches!(lb.provider, Provider::AwsNlb | Provider::AwsAlb);
    if lb.provider == Provider::AwsNlb && service_type != ServiceType::LoadBalancer {
        f.error(
            format!("{}.service.type", gateway.path),
            text(service_type.as_str()),
            "provider aws-nlb needs a LoadBalancer Service (the AWS Load Balancer Controller creates the NLB for it)",
        );
    }
    if let Some(name) = &lb.name {
        if !aws {
            f.warning(
                format!("{path}.name"),
                text(name),
                "loadBalancer.name is used only by the aws-nlb and aws-alb providers",
            );
        }
        let valid = !name.is_empty()
            && name.len() <= 32
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if aws && !valid {
            f.error(
                format!("{path}.name"),
                text(name),
                format!(
                    "AWS load balancer name {name:?} is not valid: at most 32 letters, digits and inner '-'"
                ),
            );
        }
    }
    if lb.alb.is_some() && lb.provider != Provider::AwsAlb {
        f.error(format!("{path}.alb"), None, "loadBalancer.alb is used only with provider aws-alb");
    }
}

fn servers(model: &Model, gateway: &GatewayModel, f: &mut Findings) {
    let has_https =
        gateway.servers.iter().any(|s| matches!(s.protocol, ServerProtocol::Https | ServerProtocol::Tls));
    let https_on_443 = gateway.servers.iter().any(|s| s.protocol == ServerProtocol::Https && s.port == 443);
    for (si, server) in gateway.servers.iter().enumerate() {
        let path = &server.path;
        if let Some(earlier) = gateway.servers[..si].iter().find(|s| s.port == server.port) {
            f.error(
                format!("{path}.port"),
                Some(json!(server.port)),
                format!(
                    "port {} is already served by {}; ports are unique per gateway",
                    server.port, earlier.path
                ),
            );
        }
        if let Some(earlier) = gateway.servers[..si].iter().find(|s| s.name == server.name) {
            f.error(
                format!("{path}.name"),
                text(&server.name),
                format!(
                    "port name {:?} is already used by {} (IST0106: port names in servers must be unique)",
                    server.name, earlier.path
                ),
            )
            .set_code("IST0106");
        }
        if RESERVED_PORTS.contains(&server.port) {
            f.error(
                format!("{path}.port"),
                Some(json!(server.port)),
                format!("port {} is used by the gateway proxy itself; choose another port", server.port),
            );
        }
        if server.hosts.is_empty() {
            let hint = if server.defaulted { "set spec.domains" } else { "set its hosts or spec.domains" };
            f.error(format!("{path}.hosts"), None, format!("the server has no hosts; {hint}"));
        }
        for (hi, host) in server.hosts.iter().enumerate() {
            if let Err(reason) = names::host(host, true) {
                let at = if server.hosts_path == "spec.domains" {
                    format!("spec.domains[{hi}]")
                } else {
                    format!("{}[{hi}]", server.hosts_path)
                };
                f.error(at, text(host), format!("host {host:?} is not valid: {reason}"));
            }
        }
        let written = gateway.spec.servers.get(si).filter(|_| !server.defaulted);
        match server.protocol {
            ServerProtocol::Http => {
                if written.is_some_and(|s| s.tls.is_some()) {
                    f.error(
                        format!("{path}.tls"),
                        None,
                        "HTTP servers take no TLS settings (IST0106); use httpsRedirect to send clients to HTTPS",
                    )
                    .set_code("IST0106");
                }
                if server.https_redirect && !has_https {
                    f.warning(
                        format!("{path}.httpsRedirect"),
                        Some(json!(true)),
                        "httpsRedirect is set but this gateway serves no HTTPS: redirected clients will find nothing",
                    );
                } else if server.https_redirect && !https_on_443 {
                    f.warning(
                        format!("{path}.httpsRedirect"),
                        Some(json!(true)),
                        "the redirect sends clients to https://<host>/ on port 443, but this gateway serves HTTPS on another port",
                    );
                }
            }
            ServerProtocol::Tcp => {
                if written.is_some_and(|s| s.tls.is_some()) {
                    f.error(
                        format!("{path}.tls"),
                        None,
                        "TCP servers take no TLS settings (IST0106); a TLS server terminates or passes TLS through",
                    )
                    .set_code("IST0106");
                }
                if written.is_some_and(|s| s.https_redirect.is_some()) {
                    f.error(
                        format!("{path}.httpsRedirect"),
                        None,
                        "httpsRedirect applies only to HTTP servers",
                    );
                }
            }
            ServerProtocol::Https | ServerProtocol::Tls => {
                if written.is_some_and(|s| s.https_redirect.is_some()) {
                    f.error(
                        format!("{path}.httpsRedirect"),
                        None,
                        "httpsRedirect applies only to HTTP servers",
                    );
                }
                tls(model, gateway, server, f);
            }
        }
    }
}

fn tls(model: &Model, gateway: &GatewayModel, server: &ServerModel, f: &mut Findings) {
    let Some(tls) = &server.tls else { return };
    let path = &tls.path;
    let spec = tls.spec.clone().unwrap_or_default();
    let _ = gateway;
    if tls.mode == TlsMode::Passthrough {
        if server.protocol == ServerProtocol::Https {
            f.error(
                format!("{path}.mode"),
                text("PASSTHROUGH"),
                "PASSTHROUGH needs protocol TLS; HTTPS terminates TLS at the gateway",
            )
            .set_code("IST0106");
        }
        if spec.certificate.is_some() || spec.credential_name.is_some() {
            f.error(
                path.as_str(),
                None,
                "PASSTHROUGH forwards TLS untouched; remove certificate and credentialName",
            );
        }
        return;
    }
    if spec.certificate.is_some() && spec.credential_name.is_some() {
        f.error(path.as_str(), None, "set either certificate or credentialName, not both");
    }
    match (&tls.certificate, &spec.credential_name) {
        (None, None) => {
            f.error(
                path.as_str(),
                None,
                format!(
                    "{} TLS needs a server certificate (IST0106): add an entry to spec.certificates, or set tls.certificate or tls.credentialName",
                    tls.mode.as_str()
                ),
            )
            .set_code("IST0106");
        }
        (Some(name), _) => match model.certificates.iter().find(|c| &c.name == name) {
            None => {
                let known: Vec<&str> = model.certificates.iter().map(|c| c.name.as_str()).collect();
                let mut message =
                    format!("Referenced certificate not found: {name:?} is not in spec.certificates");
                if let Some(s) = crate::api::decode::suggest(name, &known) {
                    message.push_str(&format!("; did you mean {s:?}?"));
                }
                f.error(format!("{path}.certificate"), text(name), message).set_code("IST0101");
            }
            Some(certificate) => {
                for host in &server.hosts {
                    let covered = certificate.dns_names.iter().any(|d| certificate_covers(d, host));
                    if !covered {
                        f.error(
                            server.hosts_path.clone(),
                            text(host),
                            format!(
                                "host {host:?} is not covered by certificate {:?} (dnsNames: {}); add it to {}",
                                certificate.name,
                                certificate.dns_names.join(", "),
                                certificate.dns_names_path
                            ),
                        );
                    }
                }
                if matches!(tls.mode, TlsMode::Mutual | TlsMode::OptionalMutual) {
                    let acme =
                        model.spec.issuers.iter().any(|i| i.name == certificate.issuer && i.acme.is_some());
                    if acme {
                        f.warning(
                            format!("{path}.mode"),
                            text(tls.mode.as_str()),
                            format!(
                                "{} needs a client CA, but secret {:?} is issued by ACME issuer {:?} and carries no ca.crt; create Secret {:?} with the client CA, or use a CA issuer",
                                tls.mode.as_str(),
                                certificate.secret_name,
                                certificate.issuer,
                                format!("{}-cacert", certificate.secret_name)
                            ),
                        );
                    }
                }
            }
        },
        (None, Some(name)) => {
            f.name(&format!("{path}.credentialName"), "secret name", name, names::object_name)
        }
    }
    if let Some(max) = tls.max_protocol_version
        && max != TlsVersion::TlsAuto
        && tls.min_protocol_version != TlsVersion::TlsAuto
        && tls.min_protocol_version > max
    {
        f.error(
            format!("{path}.minProtocolVersion"),
            text(tls.min_protocol_version.as_str()),
            format!(
                "minProtocolVersion {} is above maxProtocolVersion {}",
                tls.min_protocol_version.as_str(),
                max.as_str()
            ),
        );
    }
    if matches!(tls.min_protocol_version, TlsVersion::Tlsv10 | TlsVersion::Tlsv11) {
        f.warning(
            format!("{path}.minProtocolVersion"),
            text(tls.min_protocol_version.as_str()),
            "TLS 1.0 and 1.1 are deprecated (RFC 8996); TLSV1_2 is the default for a reason",
        );
    }
    if tls.min_protocol_version == TlsVersion::Tlsv13 && !tls.cipher_suites.is_empty() {
        f.warning(
            format!("{path}.cipherSuites"),
            None,
            "cipherSuites configure TLS 1.2 and below only; with minProtocolVersion TLSV1_3 they have no effect",
        );
    }
    if tls.mode == TlsMode::Simple && !tls.subject_alt_names.is_empty() {
        f.warning(
            format!("{path}.subjectAltNames"),
            None,
            "subjectAltNames verify client certificates; they have no effect with mode SIMPLE",
        );
    }
}

/// Gateways that share a workload must agree on it, and their servers must not conflict.
fn shared_workloads(model: &Model, f: &mut Findings) {
    for workload in &model.workloads {
        let first = &model.gateways[workload.gateways[0]];
        for &index in &workload.gateways[1..] {
            let other = &model.gateways[index];
            let same = other.spec.workload == first.spec.workload
                && other.spec.service == first.spec.service
                && other.spec.load_balancer == first.spec.load_balancer
                && other.spec.external_dns == first.spec.external_dns
                && other.scope == first.scope;
            if !same {
                f.error(
                    format!("{}.workload", other.path),
                    text(&workload.name),
                    format!(
                        "workload {:?} is shared with {}, so scope, workload, service, loadBalancer and externalDNS must be identical in both",
                        workload.name, first.path
                    ),
                );
            }
        }
        let gateways: Vec<&GatewayModel> = workload.gateways.iter().map(|&i| &model.gateways[i]).collect();
        for (ai, a) in gateways.iter().enumerate() {
            for b in &gateways[ai + 1..] {
                for sa in &a.servers {
                    for sb in b.servers.iter().filter(|sb| sb.port == sa.port) {
                        if sa.protocol != sb.protocol {
                            f.error(
                                format!("{}.port", sb.path),
                                Some(json!(sb.port)),
                                format!(
                                    "port {} is {} here but {} in {} on the same workload; one port has one protocol",
                                    sb.port,
                                    sb.protocol.as_str(),
                                    sa.protocol.as_str(),
                                    sa.path
                                ),
                            );
                        } else if hosts_overlap(&sa.hosts, &sb.hosts) {
                            f.error(
                                format!("{}.hosts", sb.path),
                                Some(Value::Array(sb.hosts.iter().cloned().map(Value::String).collect())),
                                format!(
                                    "Conflicting gateways: {} and {} select the same workload {:?} and serve port {} for overlapping hosts",
                                    a.name, b.name, workload.name, sb.port
                                ),
                            )
                            .set_code("IST0145");
                        }
                        let credential = |s: &ServerModel| {
                            s.tls.as_ref().map(|t| t.credential_name.clone()).filter(|c| !c.is_empty())
                        };
                        if let (Some(ca), Some(cb)) = (credential(sa), credential(sb))
                            && ca == cb
                        {
                            f.warning(
                                    format!("{}.tls", sb.path),
                                    text(&cb),
                                    format!(
                                        "Duplicate certificate in multiple gateways [{}, {}] may cause 404s if clients re-use HTTP2 connections",
                                        a.name, b.name
                                    ),
                                )
                                .set_code("IST0138");
                        }
                    }
                }
            }
        }
    }
}
