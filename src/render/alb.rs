//! An AWS Application Load Balancer in front of a gateway (the ALB setup): an Ingress of class `alb`, in
//! the gateway's namespace, that the AWS Load Balancer Controller turns into an ALB. The ALB
//! terminates TLS with ACM certificates and forwards plain HTTP to the gateway Service (a NodePort
//! for `instance` targets, ClusterIP for `ip` targets), so the Istio Gateway serves HTTP and never
//! redirects (a redirect there would loop through the ALB).

use super::gateway_workload::{external_dns_annotations, workload_labels};
use super::labels::{Component, metadata};
use super::{Generated, file_name};
use crate::api::v1alpha1::{Alb, Provider, Scope};
use crate::error::Error;
use crate::model::{Model, WorkloadModel};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend,
    IngressSpec, ServiceBackendPort,
};
use std::collections::BTreeMap;

/// The IngressClass the AWS Load Balancer Controller's chart creates.
pub const INGRESS_CLASS: &str = "alb";

/// Render the ALB Ingress of every workload behind `aws-alb`.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let mut out = Vec::new();
    for workload in &model.workloads {
        let lb = &workload.gateway.load_balancer;
        if lb.provider != Provider::AwsAlb {
            continue;
        }
        let alb = lb.alb.clone().unwrap_or_default();
        let mut meta =
            metadata(model, &workload.name, Some(&workload.namespace), &workload.name, Component::Gateway);
        meta.labels = Some(workload_labels(model, workload, Component::Gateway));
        meta.annotations = Some(annotations(workload, &alb));
        let ingress = Ingress {
            metadata: meta,
            spec: Some(IngressSpec {
                ingress_class_name: Some(INGRESS_CLASS.to_string()),
                rules: Some(vec![IngressRule {
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![HTTPIngressPath {
                            path: Some("/".to_string()),
                            path_type: "Prefix".to_string(),
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: workload.name.clone(),
                                    port: Some(ServiceBackendPort {
                                        name: Some(http_port_name(workload)),
                                        ..Default::default()
                                    }),
                                }),
                                ..Default::default()
                            },
                        }],
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        out.push(Generated::new(&ingress, file_name("workload", &workload.name))?);
    }
    Ok(out)
}

/// The Service port the ALB forwards to: the gateway's plain HTTP port (80 by default).
fn http_port_name(workload: &WorkloadModel) -> String {
    workload
        .ports
        .iter()
        .find(|(name, _)| name.starts_with("http2"))
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| "http2".to_string())
}

fn annotations(workload: &WorkloadModel, alb: &Alb) -> BTreeMap<String, String> {
    let gateway = &workload.gateway;
    let key = |name: &str| format!("alb.ingress.kubernetes.io/{name}");
    let https = !alb.certificate_arns.is_empty();
    let mut a = BTreeMap::new();
    let scheme = if gateway.scope == Scope::Internal { "internal" } else { "internet-facing" };
    a.insert(key("scheme"), scheme.to_string());
    a.insert(key("target-type"), gateway.load_balancer.target_type.as_str().to_string());
    a.insert(
        key("listen-ports"),
        if https { r#"[{"HTTP": 80}, {"HTTPS": 443}]"# } else { r#"[{"HTTP": 80}]"# }.to_string(),
    );
    if https {
        a.insert(key("certificate-arn"), alb.certificate_arns.join(","));
        a.insert(key("ssl-policy"), alb.ssl_policy.clone());
        if alb.ssl_redirect {
            // Every HTTP listener redirects to HTTPS 443 (the controller's current form).
            a.insert(key("ssl-redirect"), "443".to_string());
        }
    }
    // The ALB health-checks Envoy's readiness on the status port. A named port resolves to the
    // status port's NodePort for `instance` targets and to 15021 for `ip` targets
    // (aws-load-balancer-controller pkg/ingress/model_build_target_group.go), so it reaches the pods
    // either way; a hand-written `traffic-port` would probe port 80, which answers 404 until routes exist.
    a.insert(key("healthcheck-protocol"), "HTTP".to_string());
    a.insert(key("healthcheck-port"), "status-port".to_string());
    a.insert(key("healthcheck-path"), "/healthz/ready".to_string());
    a.insert(key("success-codes"), "200".to_string());
    if let Some(name) = &gateway.load_balancer.name {
        a.insert(key("load-balancer-name"), name.clone());
    }
    if !alb.security_groups.is_empty() {
        a.insert(key("security-groups"), alb.security_groups.join(","));
    }
    if !alb.tags.is_empty() {
        a.insert(key("tags"), alb.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","));
    }
    if let Some(group) = &alb.group_name {
        a.insert(key("group.name"), group.clone());
    }
    // The NodePort Service has no address external-dns could publish; the Ingress has the ALB's.
    if gateway.external_dns.enabled && !workload.hosts.is_empty() {
        a.extend(external_dns_annotations(&gateway.external_dns, &workload.hosts));
    }
    a
}
