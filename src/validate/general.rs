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
    secrets_beside_the_gateway(model, f);
    // A multi-network cluster without ingress of its own renders only its east-west gateway.
    if spec.gateways.is_empty() && model.east_west.is_none() {
        f.error(
            "spec.gateways",
            None,
            "at least one gateway is required, for example `gateways: [{name: external}]` (or only an east-west gateway: multicluster.eastWestGateway.enabled: true)",
        );
    }
}

/// The generated gateway workloads in `namespace` (those whose Role this function writes), and
/// whether any of them is internet-facing.
fn gateways_in(model: &Model, namespace: &str) -> Option<(Vec<String>, bool)> {
    let names: Vec<String> = model
        .workloads
        .iter()
        .filter(|w| !w.external && w.namespace == namespace)
        .map(|w| w.name.clone())
        .collect();
    let internet_facing = model
        .gateways
        .iter()
        .any(|g| !g.external && g.namespace == namespace && g.scope == crate::api::v1alpha1::Scope::External);
    (!names.is_empty()).then_some((names, internet_facing))
}

fn exposure(names: &[String], internet_facing: bool) -> String {
    let which = if internet_facing { "internet-facing " } else { "" };
    format!(
        "the {which}gateway workload(s) {} get a Role that reads every Secret of their namespace (istiod \
         checks that a gateway may list the Secrets it serves), so a compromised gateway pod could read",
        names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
    )
}

/// The gateway Role may read every Secret in the gateway namespace: warn when istiod or the mesh CA
/// (`cacerts`, the plugin CA's signing key) lives there too.
fn secrets_beside_the_gateway(model: &Model, f: &mut Findings) {
    let spec = &model.spec;
    let root = &spec.mtls.root_namespace;
    let Some((names, internet_facing)) = gateways_in(model, root) else {
        return;
    };
    let plugin_ca = spec.multicluster.as_ref().is_some_and(|m| !m.plugin_ca.issuer.is_empty());
    let what = if plugin_ca {
        "istiod's Secrets and the mesh CA's signing key (Secret cacerts, from spec.multicluster.pluginCA)"
    } else {
        "istiod's Secrets (and the mesh CA's key, Secret cacerts, wherever a plugin CA is installed)"
    };
    f.warning(
        "spec.namespace",
        text(&spec.namespace),
        format!(
            "the gateway namespace {:?} is also the mesh root namespace (spec.mtls.rootNamespace), where istiod runs: {} {what}; give the gateways a namespace of their own (spec.namespace, default istio-ingress)",
            spec.namespace,
            exposure(&names, internet_facing)
        ),
    );
}

/// A `cacerts` Secret (the mesh CA's key) among the package's objects, in a namespace whose gateway
/// Role may read it. The root-namespace case is reported by the rules already.
pub fn cacerts_in_the_package(
    model: &Model,
    items: &[serde_json::Value],
) -> Vec<crate::krm::result::KrmResult> {
    use crate::krm::object;
    let mut results = Vec::new();
    for item in items {
        let namespace = object::namespace(item).unwrap_or_default();
        if object::kind(item) != "Secret"
            || object::name(item) != "cacerts"
            || namespace == model.spec.mtls.root_namespace
        {
            continue;
        }
        let Some((names, internet_facing)) = gateways_in(model, namespace) else {
            continue;
        };
        results.push(
            crate::krm::result::KrmResult::warning(format!(
                "Secret {namespace}/cacerts (the mesh CA's signing key) is in the gateway namespace: {} it; keep cacerts in the mesh root namespace ({}) or give the gateways another namespace (spec.namespace)",
                exposure(&names, internet_facing),
                model.spec.mtls.root_namespace
            ))
            .at("spec.namespace", text(namespace)),
        );
    }
    results
}
