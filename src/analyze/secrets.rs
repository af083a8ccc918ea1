//! Secrets behind a Gateway server's `credentialName` (istio/istio `analyzers/gateway/secret.go`).
//!
//! Istio reads the Secret from the namespace of the gateway pods, not from the Gateway's namespace
//! (SDS resolves `kubernetes://name` in the proxy's namespace). So for each namespace in which the
//! Gateway's selector matches a workload of the package, something in that namespace must provide
//! the Secret: a Secret, a cert-manager Certificate (`spec.secretName`), an ExternalSecret or a
//! SealedSecret (IST0101). Gateways whose selector matches no workload of the package are skipped
//! (their pods' namespace is unknown; the selector check reports them), as are generated Gateways (a
//! config's `tls.credentialName` names a Secret created outside the package on purpose) and servers
//! that take no server certificate (PASSTHROUGH, AUTO_PASSTHROUGH, ISTIO_MUTUAL).

use super::gateways::Selected;
use super::package::{Package, same_namespace};
use super::{Finding, Level, did_you_mean, mappings, near_miss, text};
use serde_json::Value;
use std::collections::BTreeSet;

/// The Secret name a `credentialName` refers to, when it is one this check can judge (a plain name,
/// or `kubernetes://name`).
pub fn secret_name(credential: &str) -> Option<&str> {
    let name = credential.strip_prefix("kubernetes://").unwrap_or(credential);
    (!name.is_empty() && !name.contains('/') && !name.contains(':')).then_some(name)
}

/// Run the check over every Gateway the user wrote.
pub fn check(package: &Package<'_>, selected: &Selected<'_>, findings: &mut Vec<Finding>) {
    for (position, &gateway) in package.gateways.iter().enumerate() {
        let object = package.object(gateway);
        let workloads = &selected.workloads[position];
        if object.generated || workloads.is_empty() {
            continue;
        }
        // The namespaces the gateway pods run in, each with one workload to name in messages.
        let mut namespaces: Vec<(Option<&str>, usize)> = Vec::new();
        for &workload in workloads {
            let namespace = package.workload_namespace(workload);
            if !namespaces.iter().any(|(ns, _)| *ns == namespace) {
                namespaces.push((namespace, workload));
            }
        }
        let servers = object.value.get("spec").and_then(|s| s.get("servers"));
        for (index, server) in mappings(servers) {
            let Some(tls) = server.get("tls").and_then(Value::as_object) else { continue };
            let mode = tls.get("mode").and_then(Value::as_str).unwrap_or("");
            if matches!(mode, "PASSTHROUGH" | "AUTO_PASSTHROUGH" | "ISTIO_MUTUAL") {
                continue;
            }
            let Some(credential) = tls.get("credentialName").and_then(Value::as_str) else { continue };
            let Some(name) = secret_name(credential) else { continue };
            for &(namespace, workload) in &namespaces {
                if !package.secrets_named(namespace, name).is_empty() {
                    continue;
                }
                findings.push(missing(package, gateway, index, credential, name, namespace, workload));
            }
        }
    }
}

fn missing(
    package: &Package<'_>,
    gateway: usize,
    server: usize,
    credential: &str,
    name: &str,
    namespace: Option<&str>,
    workload: usize,
) -> Finding {
    let pods = package.object(package.workloads[workload].object).describe();
    let ns = namespace.unwrap_or("(unset)");
    let known: BTreeSet<&str> =
        package.secrets.iter().filter(|s| same_namespace(s.namespace, namespace)).map(|s| s.name).collect();
    let known: Vec<&str> = known.into_iter().collect();
    let proposal = near_miss(name, &known);
    let elsewhere: Vec<String> = package
        .secrets
        .iter()
        .filter(|s| s.name == name)
        .map(|s| {
            format!(
                "{} provides it in namespace {}",
                package.object(s.object).describe(),
                s.namespace.unwrap_or("(unset)")
            )
        })
        .collect();
    let elsewhere = if elsewhere.is_empty() {
        String::new()
    } else {
        format!("; {}, which the gateway cannot read: create the Secret in {ns}", elsewhere.join(", "))
    };
    Finding::new(
        gateway,
        "IST0101",
        Level::Error,
        format!("spec.servers[{server}].tls.credentialName"),
        format!(
            "Referenced credentialName not found: {credential:?}: Istio reads it from namespace {ns}, where the gateway pods this Gateway selects run ({pods}), and no Secret or cert-manager Certificate (spec.secretName) of the package provides it there{elsewhere}{}",
            did_you_mean(proposal.as_deref())
        ),
    )
    .value(text(credential))
    .proposing(proposal.map(|p| text(&p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gateway(namespace: &str, credential: &str, mode: &str) -> Value {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": namespace},
               "spec": {"selector": {"istio": "gw"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                        "hosts": ["a.com"], "tls": {"mode": mode, "credentialName": credential}}]}})
    }

    fn deployment(namespace: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "gw", "namespace": namespace},
               "spec": {"template": {"metadata": {"labels": {"istio": "gw"}}}}})
    }

    fn certificate(namespace: &str, secret: &str) -> Value {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c", "namespace": namespace},
               "spec": {"secretName": secret}})
    }

    fn run(items: &[Value]) -> Vec<Finding> {
        super::super::run_with_selection(items, check)
    }

    #[test]
    fn the_secret_must_be_in_the_gateway_pods_namespace() {
        assert!(
            run(&[deployment("gw"), gateway("apps", "tls", "SIMPLE"), certificate("gw", "tls")]).is_empty()
        );
        let secret =
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "gw"}});
        assert!(run(&[deployment("gw"), gateway("apps", "kubernetes://tls", "SIMPLE"), secret]).is_empty());
        // In the Gateway's namespace is not enough.
        let found = run(&[deployment("gw"), gateway("apps", "tls", "SIMPLE"), certificate("apps", "tls")]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "spec.servers[0].tls.credentialName");
        assert!(found[0].message.contains("provides it in namespace apps"), "{}", found[0].message);
    }

    #[test]
    fn near_misses_and_skipped_servers() {
        let found = run(&[
            deployment("gw"),
            gateway("gw", "letsencrypt-cert-prod", "SIMPLE"),
            certificate("gw", "letsencrypt-prod"),
        ]);
        assert_eq!(found[0].proposed, Some(json!("letsencrypt-prod")));
        assert!(run(&[deployment("gw"), gateway("gw", "tls", "PASSTHROUGH")]).is_empty());
        // No workload in the package: the namespace is unknown.
        assert!(run(&[gateway("gw", "tls", "SIMPLE")]).is_empty());
    }
}
