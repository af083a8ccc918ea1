//! Gateway rules: names, workloads (rendered or external), Services and their extra ports, load
//! balancer presets and static addresses, servers, hosts and TLS, and conflicts between gateways that
//! share a workload (IST0145, IST0138).

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::*;
use crate::model::{
    GatewayModel, Model, STATUS_PORT, ServerModel, certificate_covers, hosts_overlap, server_host_name,
};
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
        if gateway.external {
            external_workload(gateway, f);
        } else {
            service(model, gateway, f);
            load_balancer(gateway, f);
        }
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
    if gateway.external {
        // An external workload's name is its ServiceAccount's, a DNS-1123 subdomain.
        if let Some(name) = &spec.name {
            f.name(&name_path, "ServiceAccount name", name, names::object_name);
        }
    } else {
        f.name(&name_path, "workload name", &gateway.workload, names::dns1035_label);
    }
    match (&spec.namespace, spec.external) {
        (Some(namespace), true) => {
            f.name(&format!("{path}.namespace"), "namespace", namespace, names::dns1123_label)
        }
        (Some(namespace), false) => {
            f.error(
                format!("{path}.namespace"),
                text(namespace),
                "workload.namespace applies only to an external workload (external: true); a rendered workload lives in spec.namespace",
            );
        }
        (None, _) => {}
    }
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
        .take_while(|other| other.path != gateway.path)
        .find(|other| other.workload != gateway.workload && other.selector == gateway.selector)
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
    if gateway.external {
        return; // the rest shapes a rendered workload; external_workload reports it
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

fn service(model: &Model, gateway: &GatewayModel, f: &mut Findings) {
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
    let existing = model.workloads.iter().find(|w| w.name == gateway.workload).map(|w| w.ports.clone());
    service_ports(&path, spec, &existing.unwrap_or_default(), f);
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

/// An external workload is managed elsewhere: it needs the labels of its pods, and none of the
/// settings that shape a rendered workload apply.
fn external_workload(gateway: &GatewayModel, f: &mut Findings) {
    let path = &gateway.path;
    let spec = &gateway.spec;
    let workload = &spec.workload;
    if workload.labels.is_empty() {
        f.error(
            format!("{path}.workload.labels"),
            None,
            "an external workload needs the labels of its pods, which the Istio Gateway selects; for the AKS Istio add-on: {istio: aks-istio-ingressgateway-external} (or -internal)",
        );
    }
    let defaults = Workload::default();
    let unused = [
        ("workload.replicas", workload.replicas.is_some()),
        ("workload.autoscaling", workload.autoscaling.is_some()),
        ("workload.podDisruptionBudget", workload.pod_disruption_budget != defaults.pod_disruption_budget),
        ("workload.resources", workload.resources.is_some()),
        ("workload.nodeSelector", !workload.node_selector.is_empty()),
        ("workload.tolerations", !workload.tolerations.is_empty()),
        ("workload.affinity", workload.affinity.is_some()),
        ("workload.topologySpread", workload.topology_spread != defaults.topology_spread),
        ("workload.networkPolicy", workload.network_policy != defaults.network_policy),
        ("service", spec.service != GatewayService::default()),
        ("loadBalancer", spec.load_balancer != LoadBalancer::default()),
        ("externalDNS.enabled", spec.external_dns.enabled),
    ];
    for (field, set) in unused {
        if set {
            f.error(
                format!("{path}.{field}"),
                None,
                format!(
                    "{field} shapes a rendered workload, and this one is external (managed elsewhere, such as the AKS Istio add-on or an existing Helm release); configure it there, or remove external: true"
                ),
            );
        }
    }
}

/// Extra Service ports: valid, unique names and numbers that the status port and the server ports
/// (`existing`, as name and port) do not already take.
pub fn service_ports(path: &str, service: &GatewayService, existing: &[(String, u32)], f: &mut Findings) {
    for (pi, port) in service.ports.iter().enumerate() {
        let at = format!("{path}.ports[{pi}]");
        f.name(&format!("{at}.name"), "port name", &port.name, names::dns1123_label);
        if port.name.len() > 15 {
            f.error(
                format!("{at}.name"),
                text(&port.name),
                format!("port name {:?} is {} characters long; Service port names are limited to 15 (IANA service names)", port.name, port.name.len()),
            );
        }
        if existing.iter().any(|(name, _)| *name == port.name) {
            f.error(
                format!("{at}.name"),
                text(&port.name),
                format!(
                    "port name {:?} is already taken by the status port or a server port of the gateway Service; choose another, such as \"tcp-{}\"",
                    port.name, port.port
                ),
            );
        }
        if let Some(earlier) = service.ports[..pi].iter().position(|p| p.name == port.name) {
            f.error(
                format!("{at}.name"),
                text(&port.name),
                format!("port name {:?} is already used by {path}.ports[{earlier}]", port.name),
            );
        }
        if port.port == 0 || port.port > 65535 {
            f.error(format!("{at}.port"), Some(json!(port.port)), "expected a port number from 1 to 65535");
        } else if port.protocol == PortProtocol::Tcp && existing.iter().any(|(_, p)| *p == port.port) {
            // The same number over UDP is a different port (HTTP/3 beside HTTPS on 443).
            f.error(
                format!("{at}.port"),
                Some(json!(port.port)),
                format!(
                    "TCP port {} is already on the gateway Service (the status port or a server's port); extra ports are for ports no server serves",
                    port.port
                ),
            );
        } else if let Some(earlier) =
            service.ports[..pi].iter().position(|p| p.port == port.port && p.protocol == port.protocol)
        {
            f.error(
                format!("{at}.port"),
                Some(json!(port.port)),
                format!("port {} is already listed at {path}.ports[{earlier}]", port.port),
            );
        }
        if let Some(target) = port.target_port
            && (target == 0 || target > 65535)
        {
            f.error(
                format!("{at}.targetPort"),
                Some(json!(target)),
                "expected a port number from 1 to 65535",
            );
        }
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
    no_effect_with_provider(&path, lb, f);
    static_address(&gateway.path, &gateway.spec, f);
}

/// Settings only one provider reads, set (away from their defaults) with another provider: they
/// would be dropped silently, so say so.
pub fn no_effect_with_provider(path: &str, lb: &crate::api::v1alpha1::LoadBalancer, f: &mut Findings) {
    let defaults = crate::api::v1alpha1::LoadBalancer::default();
    let provider = lb.provider.as_str();
    let aws = matches!(lb.provider, Provider::AwsNlb | Provider::AwsAlb);
    if !aws && lb.target_type != defaults.target_type {
        f.warning(
            format!("{path}.targetType"),
            text(lb.target_type.as_str()),
            format!(
                "loadBalancer.targetType has no effect with provider {provider}: only the AWS providers (aws-nlb, aws-alb) read it; remove it or choose an AWS provider"
            ),
        );
    }
    if lb.provider != Provider::AwsNlb && lb.cross_zone != defaults.cross_zone {
        f.warning(
            format!("{path}.crossZone"),
            Some(serde_json::Value::Bool(lb.cross_zone)),
            format!(
                "loadBalancer.crossZone has no effect with provider {provider}: only aws-nlb reads it; remove it or choose provider aws-nlb"
            ),
        );
    }
}

/// A static load balancer address, checked against what each provider accepts (the AWS Load
/// Balancer Controller's `buildLoadBalancerSubnetMappings`, ingress-gce's `l4_static_address.go`,
/// cloud-provider-azure's annotations).
pub fn static_address(gateway_path: &str, gateway: &Gateway, f: &mut Findings) {
    let lb = &gateway.load_balancer;
    let path = format!("{gateway_path}.loadBalancer");
    if !lb.subnets.is_empty() && lb.provider != Provider::AwsNlb {
        f.error(
            format!("{path}.subnets"),
            None,
            format!("loadBalancer.subnets is used only by provider aws-nlb, not {}", lb.provider.as_str()),
        );
    }
    for (i, subnet) in lb.subnets.iter().enumerate() {
        if subnet.trim().is_empty() || subnet.contains(',') {
            f.error(
                format!("{path}.subnets[{i}]"),
                text(subnet),
                "expected a subnet ID (subnet-0123456789abcdef0) or Name tag, without commas",
            );
        }
    }
    let Some(address) = &lb.static_address else { return };
    let at = format!("{path}.staticAddress");
    let service_type = crate::model::effective_service_type(gateway);
    let cloud = matches!(lb.provider, Provider::AwsNlb | Provider::Gcp | Provider::Azure);
    if service_type != ServiceType::LoadBalancer && cloud {
        f.error(
            &at,
            None,
            format!(
                "a static address belongs to a cloud load balancer, and this Service is {}",
                service_type.as_str()
            ),
        );
    }
    let internal = gateway.scope == Scope::Internal;
    // Fields of other providers: name what this provider takes instead.
    let set: Vec<(&str, bool)> = vec![
        ("eipAllocations", !address.eip_allocations.is_empty()),
        ("privateIPv4Addresses", !address.private_ipv4_addresses.is_empty()),
        ("addressNames", !address.address_names.is_empty()),
        ("publicIPName", address.public_ip_name.is_some()),
        ("resourceGroup", address.resource_group.is_some()),
        ("ip", address.ip.is_some()),
    ];
    let (allowed, instead): (&[&str], &str) = match lb.provider {
        Provider::AwsNlb if internal => (&["privateIPv4Addresses"], "privateIPv4Addresses (an internal NLB)"),
        Provider::AwsNlb => (&["eipAllocations"], "eipAllocations (an internet-facing NLB)"),
        Provider::Gcp => (&["addressNames", "ip"], "addressNames (reserved address names) or ip"),
        Provider::Azure if internal => (&["ip"], "ip (a free address of the load balancer subnet)"),
        Provider::Azure => {
            (&["publicIPName", "resourceGroup", "ip"], "publicIPName (with resourceGroup) or ip")
        }
        Provider::AwsAlb => {
            f.error(
                &at,
                None,
                "an ALB has no static addresses (AWS assigns them); use provider aws-nlb with eipAllocations, or put AWS Global Accelerator in front of the ALB",
            );
            return;
        }
        Provider::None => {
            f.error(
                &at,
                None,
                "a static address needs loadBalancer.provider (aws-nlb, gcp or azure); for another load balancer set its own annotation in service.annotations (MetalLB: metallb.io/loadBalancerIPs)",
            );
            return;
        }
    };
    for (field, is_set) in &set {
        if *is_set && !allowed.contains(field) {
            let scope = if internal { "internal" } else { "external" };
            f.error(
                format!("{at}.{field}"),
                None,
                format!(
                    "staticAddress.{field} does not apply to provider {} with scope {scope}; set {instead}",
                    lb.provider.as_str()
                ),
            );
        }
    }
    if !set.iter().any(|(field, is_set)| *is_set && allowed.contains(field)) {
        f.error(
            &at,
            None,
            format!("staticAddress sets no address for provider {}; set {instead}", lb.provider.as_str()),
        );
    }
    match lb.provider {
        Provider::AwsNlb => {
            let (field, values) = if internal {
                ("privateIPv4Addresses", &address.private_ipv4_addresses)
            } else {
                ("eipAllocations", &address.eip_allocations)
            };
            for (i, value) in values.iter().enumerate() {
                let ok = if internal {
                    value.parse::<std::net::Ipv4Addr>().is_ok()
                } else {
                    value.strip_prefix("eipalloc-").is_some_and(|id| {
                        !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                    })
                };
                if !ok {
                    let expected = if internal {
                        "an IPv4 address such as \"10.0.1.10\""
                    } else {
                        "an allocation ID such as \"eipalloc-0123456789abcdef0\""
                    };
                    f.error(
                        format!("{at}.{field}[{i}]"),
                        text(value),
                        format!("{value:?} is not {expected}"),
                    );
                }
                if values[..i].contains(value) {
                    f.error(format!("{at}.{field}[{i}]"), text(value), format!("{value:?} is listed twice"));
                }
            }
            if !values.is_empty() && lb.subnets.is_empty() {
                f.error(
                    format!("{path}.subnets"),
                    None,
                    format!(
                        "the NLB takes one of {field} per subnet, so name its subnets: set loadBalancer.subnets with {} entries",
                        values.len()
                    ),
                );
            } else if !values.is_empty() && lb.subnets.len() != values.len() {
                f.error(
                    format!("{at}.{field}"),
                    None,
                    format!(
                        "{} {field} for {} subnets; the AWS Load Balancer Controller requires exactly one per subnet",
                        values.len(),
                        lb.subnets.len()
                    ),
                );
            }
        }
        Provider::Gcp => {
            if address.address_names.len() > 2 {
                f.error(
                    format!("{at}.addressNames"),
                    None,
                    "GKE reads at most two address names: one IPv4 and one IPv6 address",
                );
            }
            for (i, name) in address.address_names.iter().enumerate() {
                if let Err(reason) = gcp_resource_name(name) {
                    f.error(
                        format!("{at}.addressNames[{i}]"),
                        text(name),
                        format!("address name {name:?} is not valid: {reason}"),
                    );
                }
            }
            if !address.address_names.is_empty() && address.ip.is_some() {
                f.error(
                    format!("{at}.ip"),
                    None,
                    "set either addressNames or ip; GKE prefers the address names and ignores loadBalancerIP",
                );
            }
            ipv4(&format!("{at}.ip"), address.ip.as_deref(), f);
        }
        Provider::Azure => {
            if address.public_ip_name.is_some() && address.ip.is_some() {
                f.error(format!("{at}.ip"), None, "set either publicIPName or ip, not both");
            }
            if let Some(name) = &address.public_ip_name
                && !azure_resource_name(name)
            {
                f.error(
                    format!("{at}.publicIPName"),
                    text(name),
                    format!("{name:?} is not an Azure public IP name (1-80 letters, digits, '_', '.', '-'; starting with a letter or digit, ending with a letter, digit or '_')"),
                );
            }
            if let Some(group) = &address.resource_group
                && (group.is_empty() || group.len() > 90 || group.ends_with('.'))
            {
                f.error(
                    format!("{at}.resourceGroup"),
                    text(group),
                    format!("{group:?} is not an Azure resource group name"),
                );
            }
            if address.resource_group.is_some() && address.public_ip_name.is_none() && address.ip.is_none() {
                f.error(
                    format!("{at}.resourceGroup"),
                    None,
                    "resourceGroup locates a public IP: set publicIPName or ip too",
                );
            }
            ipv4(&format!("{at}.ip"), address.ip.as_deref(), f);
        }
        Provider::AwsAlb | Provider::None => {}
    }
}

fn ipv4(path: &str, value: Option<&str>, f: &mut Findings) {
    if let Some(ip) = value
        && ip.parse::<std::net::Ipv4Addr>().is_err()
    {
        f.error(path, text(ip), format!("{ip:?} is not an IPv4 address such as \"203.0.113.10\""));
    }
}

/// A Google Cloud resource name: a lowercase letter, then up to 62 lowercase letters, digits and `-`,
/// not ending in `-` (RFC 1035).
fn gcp_resource_name(name: &str) -> Result<(), String> {
    names::dns1035_label(name)
        .map_err(|reason| format!("{reason}; Google Cloud resource names follow RFC 1035"))
}

/// An Azure public IP name: 1-80 characters of letters, digits, `_`, `.` and `-`, starting with a
/// letter or digit and ending with a letter, digit or `_`.
fn azure_resource_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
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
            if let Err(reason) = names::server_host(host) {
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
    client_ca(server, f);
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
                    // A catch-all `*` takes any name, which no certificate covers; clients asking for
                    // a name outside dnsNames get the certificate anyway and reject it.
                    if names::server_host(host).is_err() {
                        continue; // reported as invalid
                    }
                    let name = server_host_name(host);
                    let covered =
                        name == "*" || certificate.dns_names.iter().any(|d| certificate_covers(d, name));
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
                if matches!(tls.mode, TlsMode::Mutual | TlsMode::OptionalMutual) && spec.client_ca.is_none() {
                    let acme =
                        model.spec.issuers.iter().any(|i| i.name == certificate.issuer && i.acme.is_some());
                    if acme {
                        f.warning(
                            format!("{path}.mode"),
                            text(tls.mode.as_str()),
                            format!(
                                "{} needs a client CA, but secret {:?} is issued by ACME issuer {:?} and carries no ca.crt; name the Secret or ConfigMap that holds the client CA in tls.clientCA (for example clientCA: {{secretName: {}-cacert}}), or use a CA issuer",
                                tls.mode.as_str(),
                                certificate.secret_name,
                                certificate.issuer,
                                certificate.secret_name
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

/// `tls.clientCA`: one source, valid names, and only where client certificates are verified.
fn client_ca(server: &ServerModel, f: &mut Findings) {
    let Some(tls) = &server.tls else { return };
    let Some(client_ca) = tls.spec.as_ref().and_then(|s| s.client_ca.as_ref()) else { return };
    let path = format!("{}.clientCA", tls.path);
    if !matches!(tls.mode, TlsMode::Mutual | TlsMode::OptionalMutual) {
        f.error(
            path.as_str(),
            None,
            format!(
                "clientCA verifies client certificates, which mode {} does not ask for; use MUTUAL or OPTIONAL_MUTUAL, or remove clientCA",
                tls.mode.as_str()
            ),
        );
        return;
    }
    match (&client_ca.secret_name, &client_ca.config_map_name) {
        (Some(_), Some(_)) | (None, None) => {
            f.error(path.as_str(), None, "set exactly one of secretName and configMapName");
        }
        (Some(secret), None) => {
            f.name(&format!("{path}.secretName"), "secret name", secret, names::object_name);
            if *secret == tls.credential_name {
                f.info(
                    format!("{path}.secretName"),
                    text(secret),
                    format!(
                        "the client CA is the ca.crt of the server certificate's own secret, which Istio reads without clientCA (after looking for Secret {:?})",
                        format!("{secret}{}", crate::render::istio_gateway::CA_SUFFIX)
                    ),
                );
            }
        }
        (None, Some(config_map)) => {
            f.name(&format!("{path}.configMapName"), "ConfigMap name", config_map, names::object_name);
        }
    }
}

/// Gateways that share a workload must agree on it, and their servers must not conflict.
fn shared_workloads(model: &Model, f: &mut Findings) {
    for workload in &model.workloads {
        let first = &model.gateways[workload.gateways[0]];
        for &index in &workload.gateways[1..] {
            let other = &model.gateways[index];
            // Gateways bound to the same external pods only share their namespace and labels.
            let same_external = first.external
                && other.external
                && first.namespace == other.namespace
                && first.selector == other.selector;
            let same = same_external
                || other.spec.workload == first.spec.workload
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
