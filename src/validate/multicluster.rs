//! Topology rules: multi-network meshes (east-west gateway, plugin CA), the AWS ALB preset, the
//! other cloud presets, and mesh tracing.

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::*;
use crate::model::{GatewayModel, Model, effective_service_type};
use serde_json::json;

/// Run the topology rules.
pub fn check(model: &Model, f: &mut Findings) {
    multicluster(model, f);
    for gateway in &model.gateways {
        alb(model, gateway, f);
    }
    telemetry(model, f);
}

fn multicluster(model: &Model, f: &mut Findings) {
    let Some(mc) = &model.spec.multicluster else { return };
    let path = "spec.multicluster";
    for (field, value) in
        [("meshID", &mc.mesh_id), ("clusterName", &mc.cluster_name), ("network", &mc.network)]
    {
        if value.is_empty() {
            f.error(format!("{path}.{field}"), None, format!("{field} is required for a multi-network mesh"));
        } else if let Err(reason) = names::label_value(value) {
            f.error(
                format!("{path}.{field}"),
                text(value),
                format!("{field} {value:?} is not valid: {reason}"),
            );
        }
    }
    // A rendered control plane takes these values from here (validate::control_plane).
    if !mc.mesh_id.is_empty()
        && !mc.cluster_name.is_empty()
        && !mc.network.is_empty()
        && model.control_plane.is_none()
    {
        f.info(
            path,
            None,
            format!(
                "istiod of this cluster must be installed with the same values: helm install istiod istio/istiod -n {} --set global.meshID={} --set global.multiCluster.clusterName={} --set global.network={}",
                model.spec.mtls.root_namespace, mc.mesh_id, mc.cluster_name, mc.network
            ),
        );
    }
    let ew = &mc.east_west_gateway;
    let ew_path = format!("{path}.eastWestGateway");
    if ew.expose_istiod && !ew.enabled {
        f.error(
            format!("{ew_path}.exposeIstiod"),
            Some(json!(true)),
            "exposeIstiod needs the east-west gateway: set enabled: true",
        );
    }
    if let Some(reason) = EastWestGateway::refused_provider(ew.load_balancer.provider) {
        f.error(format!("{ew_path}.loadBalancer.provider"), text(ew.load_balancer.provider.as_str()), reason);
    }
    for unused in EastWestGateway::UNUSED_FIELDS.iter().filter(|u| (u.is_set)(ew)) {
        f.warning(
            format!("{ew_path}.{}", unused.field),
            None,
            format!("{} has no effect here: {}", unused.field, unused.reason),
        );
    }
    if let Some(workload) = &model.east_west {
        f.name(&format!("{ew_path}.workload.name"), "workload name", &workload.name, names::dns1035_label);
        super::gateways::pdb_evictable(
            &format!("{ew_path}.workload"),
            &workload.gateway.workload.pod_disruption_budget,
            workload.replicas.minimum(),
            f,
        );
        if model.workloads.iter().any(|w| w.name == workload.name && w.namespace == workload.namespace) {
            f.error(
                format!("{ew_path}.workload.name"),
                text(&workload.name),
                format!(
                    "workload {:?} is also an ingress gateway's workload; give the east-west gateway its own",
                    workload.name
                ),
            );
        }
        if model
            .gateways
            .iter()
            .any(|g| g.selector == workload.labels && model.spec.namespace == workload.namespace)
        {
            f.error(
                format!("{ew_path}.workload.labels"),
                None,
                "the east-west gateway's labels equal an ingress gateway's, so their Gateways would configure both",
            );
        }
        super::gateways::service_ports(&format!("{ew_path}.service"), &ew.service, &workload.ports, f);
        super::gateways::static_address(&ew_path, &workload.gateway, f);
        super::gateways::no_effect_with_provider(
            &format!("{ew_path}.loadBalancer"),
            &workload.gateway.load_balancer,
            f,
        );
        // With a rendered control plane this is an error (validate::control_plane).
        if effective_service_type(&workload.gateway) != ServiceType::LoadBalancer
            && ew.service.type_.is_some()
            && model.control_plane.is_none()
        {
            f.warning(
                format!("{ew_path}.service.type"),
                None,
                "other networks reach the east-west gateway through its load balancer; a non-LoadBalancer Service needs another way in",
            );
        }
    }
    let plugin = &mc.plugin_ca;
    let plugin_path = format!("{path}.pluginCA");
    if !plugin.issuer.is_empty() {
        f.name(&format!("{plugin_path}.issuer"), "issuer name", &plugin.issuer, names::object_name);
        match model.spec.issuers.iter().find(|i| i.name == plugin.issuer) {
            Some(issuer) if issuer.kind == IssuerKind::Issuer => {
                f.error(
                    format!("{plugin_path}.issuer"),
                    text(&plugin.issuer),
                    "the plugin CA certificate lives in the mesh root namespace and names a ClusterIssuer; declare this issuer with kind: ClusterIssuer",
                );
            }
            Some(issuer) if issuer.acme.is_some() => {
                f.error(
                    format!("{plugin_path}.issuer"),
                    text(&plugin.issuer),
                    "an ACME issuer cannot sign a CA certificate; use a CA issuer that holds the mesh's shared root",
                );
            }
            Some(issuer) if issuer.self_signed.is_some() => {
                f.warning(
                    format!("{plugin_path}.issuer"),
                    text(&plugin.issuer),
                    "a self-signed issuer gives every cluster its own root, so clusters will not trust each other; use a CA issuer with the shared root",
                );
            }
            Some(_) => {}
            None => {
                f.warning(
                    format!("{plugin_path}.issuer"),
                    text(&plugin.issuer),
                    format!("ClusterIssuer {:?} is not in spec.issuers; it must already exist in the cluster, holding the mesh's shared root", plugin.issuer),
                );
            }
        }
        for (field, value) in [("duration", &plugin.duration), ("renewBefore", &plugin.renew_before)] {
            if let Err(reason) = names::duration(value) {
                f.error(
                    format!("{plugin_path}.{field}"),
                    text(value),
                    format!("{field} {value:?} is not valid: {reason}"),
                );
            }
        }
        if let (Some(duration), Some(renew)) = (hours(&plugin.duration), hours(&plugin.renew_before))
            && renew >= duration
        {
            f.error(
                format!("{plugin_path}.renewBefore"),
                text(&plugin.renew_before),
                "renewBefore must be shorter than duration",
            );
        }
    }
}

/// A duration in hours, for comparing two durations (`8760h`, `720h`, `30m`).
fn hours(text: &str) -> Option<f64> {
    names::duration(text).ok()?;
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'h' => value,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                value / 3_600_000.0
            }
            'm' => value / 60.0,
            's' => value / 3600.0,
            _ => return None,
        };
    }
    Some(total)
}

fn alb(model: &Model, gateway: &GatewayModel, f: &mut Findings) {
    let lb = &gateway.spec.load_balancer;
    if lb.provider != Provider::AwsAlb {
        return;
    }
    let path = &gateway.path;
    let alb = lb.alb.clone().unwrap_or_default();
    for server in gateway.servers.iter().filter(|s| s.protocol != ServerProtocol::Http) {
        f.error(
            format!("{}.protocol", server.path),
            text(server.protocol.as_str()),
            "behind an ALB the gateway receives plain HTTP (the ALB terminates TLS with loadBalancer.alb.certificateArns); use HTTP servers",
        );
    }
    for server in gateway.servers.iter().filter(|s| s.https_redirect) {
        f.error(
            format!("{}.httpsRedirect", server.path),
            Some(json!(true)),
            "a redirect at the gateway loops through the ALB, which forwards every request as HTTP; use loadBalancer.alb.sslRedirect",
        );
    }
    if !gateway.servers.iter().any(|s| s.protocol == ServerProtocol::Http) {
        f.error(format!("{path}.servers"), None, "the ALB forwards HTTP: the gateway needs an HTTP server");
    }
    if alb.ssl_redirect && alb.certificate_arns.is_empty() && lb.alb.is_some() {
        f.error(
            format!("{path}.loadBalancer.alb.sslRedirect"),
            Some(json!(true)),
            "sslRedirect needs an HTTPS listener: add certificateArns, or set sslRedirect: false for an HTTP-only ALB",
        );
    }
    if alb.certificate_arns.is_empty() {
        f.warning(
            format!("{path}.loadBalancer.alb.certificateArns"),
            None,
            "without ACM certificate ARNs the ALB listens on HTTP 80 only",
        );
    }
    for (i, arn) in alb.certificate_arns.iter().enumerate() {
        if !(arn.starts_with("arn:aws:acm:")
            || arn.starts_with("arn:aws-")
            || arn.starts_with("arn:aws:iam:"))
        {
            f.error(
                format!("{path}.loadBalancer.alb.certificateArns[{i}]"),
                text(arn),
                format!("{arn:?} is not an ACM or IAM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"),
            );
        }
    }
    if alb.ssl_policy.trim().is_empty() {
        f.error(
            format!("{path}.loadBalancer.alb.sslPolicy"),
            None,
            "an ELB security policy name is required",
        );
    }
    let service_type = effective_service_type(&gateway.spec);
    if lb.target_type == TargetType::Instance && service_type == ServiceType::ClusterIP {
        f.error(
            format!("{path}.service.type"),
            text("ClusterIP"),
            "instance targets reach the gateway through NodePorts; use a NodePort Service or targetType: ip",
        );
    }
    if gateway.http01 {
        f.error(
            format!("{path}.name"),
            text(&gateway.name),
            "an HTTP-01 solver cannot use a gateway behind an ALB, which terminates TLS with ACM certificates",
        );
    }
    let _ = model;
}

fn telemetry(model: &Model, f: &mut Findings) {
    let Some(telemetry) = &model.spec.telemetry else { return };
    if telemetry.provider.trim().is_empty() {
        f.error(
            "spec.telemetry.provider",
            None,
            "Telemetry has an empty provider (IST0157): name an extension provider of meshConfig",
        )
        .set_code("IST0157");
        return;
    }
    // A rendered control plane defines the provider, and validate::control_plane checks it.
    if model.control_plane.is_some() {
        return;
    }
    f.info(
        "spec.telemetry.provider",
        text(&telemetry.provider),
        format!(
            "tracing uses the extension provider {:?}, which istiod's meshConfig must define, for example: meshConfig.extensionProviders: [{{name: {}, opentelemetry: {{service: otel-collector.observability.svc.cluster.local, port: 4317}}}}]",
            telemetry.provider, telemetry.provider
        ),
    );
}
