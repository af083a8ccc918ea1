//! Instance-wide rules: the instance name, namespaces, revision, domains, and fields whose support has
//! not landed yet.

use super::names;
use super::{Findings, text};
use crate::api::v1alpha1::Provider;
use crate::model::Model;

/// Run the instance-wide rules.
pub fn check(model: &Model, f: &mut Findings) {
    let spec = &model.spec;
    // The instance name is a label value on every object and part of generated file paths.
    f.name("metadata.name", "instance name", &model.instance, names::dns1123_label);
    f.name("spec.namespace", "namespace", &spec.namespace, names::dns1123_label);
    if !spec.revision.is_empty() {
        f.name("spec.revision", "revision", &spec.revision, names::dns1123_label);
    }
    f.name("spec.mtls.rootNamespace", "namespace", &spec.mtls.root_namespace, names::dns1123_label);
    if spec.mtls.trust_domain.is_empty() || names::host(&spec.mtls.trust_domain, false).is_err() {
        f.error(
            "spec.mtls.trustDomain",
            text(&spec.mtls.trust_domain),
            "the trust domain must be a DNS name such as \"cluster.local\"",
        );
    }
    for (i, domain) in spec.domains.iter().enumerate() {
        if let Err(reason) = names::host(domain, false) {
            f.error(
                format!("spec.domains[{i}]"),
                text(domain),
                format!("host {domain:?} is not valid: {reason}"),
            );
        }
        if spec.domains[..i].contains(domain) {
            f.error(format!("spec.domains[{i}]"), text(domain), format!("host {domain:?} is listed twice"));
        }
    }
    if spec.gateways.is_empty() {
        f.error(
            "spec.gateways",
            None,
            "at least one gateway is required, for example `gateways: [{name: external}]`",
        );
    }
    unsupported(model, f);
}

/// Fields of the API contract whose rendering has not landed yet are rejected, never ignored.
fn unsupported(model: &Model, f: &mut Findings) {
    let spec = &model.spec;
    let later = "is not supported yet by this version of mesh-ingress";
    if spec.multicluster.is_some() {
        f.error("spec.multicluster", None, format!("spec.multicluster {later}; remove it for now"));
    }
    if spec.argocd.sync_waves {
        f.error("spec.argocd.syncWaves", None, format!("Argo CD sync waves {later}; remove it for now"));
    }
    if spec.telemetry.is_some() {
        f.error("spec.telemetry", None, format!("spec.telemetry {later}; remove it for now"));
    }
    for (i, gateway) in spec.gateways.iter().enumerate() {
        let provider = gateway.load_balancer.provider;
        if matches!(provider, Provider::AwsAlb | Provider::Gcp | Provider::Azure) {
            f.error(
                format!("spec.gateways[{i}].loadBalancer.provider"),
                text(provider.as_str()),
                format!(
                    "load balancer provider {:?} {later}; use \"none\" or \"aws-nlb\"",
                    provider.as_str()
                ),
            );
        }
        if gateway.load_balancer.alb.is_some() {
            f.error(
                format!("spec.gateways[{i}].loadBalancer.alb"),
                None,
                format!("loadBalancer.alb (provider aws-alb) {later}"),
            );
        }
    }
}
