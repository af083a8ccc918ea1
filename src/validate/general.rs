//! Instance-wide rules: the instance name, namespaces, revision, domains, and fields whose support has
//! not landed yet.

use super::names;
use super::{Findings, text};
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
    // A multi-network cluster without ingress of its own renders only its east-west gateway.
    if spec.gateways.is_empty() && model.east_west.is_none() {
        f.error(
            "spec.gateways",
            None,
            "at least one gateway is required, for example `gateways: [{name: external}]` (or only an east-west gateway: multicluster.eastWestGateway.enabled: true)",
        );
    }
}
