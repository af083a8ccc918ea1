//! Workload selectors of security policies: AuthorizationPolicy, RequestAuthentication and
//! PeerAuthentication (istio/istio `analyzers/authz/authorizationpolicies.go`, IST0127). A policy's
//! `selector.matchLabels` picks pods of its own namespace, or of every namespace when the policy is in
//! the mesh root namespace. Only judged when the package holds workloads in that scope (otherwise the
//! pods are plainly managed elsewhere), and always a warning: the pods may come from another
//! pipeline. Generated policies are skipped.

use super::Finding;
use super::gateways::{selector_not_found, selector_text};
use super::package::{Package, selector_of, selector_pairs};

/// Run the check over every policy the user wrote.
pub fn check(package: &Package<'_>, root_namespace: &str, findings: &mut Vec<Finding>) {
    for &policy in &package.policies {
        let object = package.object(policy);
        if object.generated {
            continue;
        }
        let Some(selector) = selector_of(object) else { continue };
        let Some(mut pairs) = selector_pairs(selector).filter(|p| !p.is_empty()) else { continue };
        pairs.sort();
        let scope = object.namespace.filter(|ns| *ns != root_namespace);
        if package.workloads_in(scope).next().is_none() || !package.select(&pairs, scope).is_empty() {
            continue;
        }
        let lead = format!(
            "No matching workloads for this resource with the following labels: {}",
            selector_text(&pairs)
        );
        let finding = selector_not_found(
            package,
            policy,
            "IST0127",
            lead,
            "",
            "spec.selector.matchLabels",
            &pairs,
            scope,
        );
        findings.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn policy(kind: &str, namespace: &str, labels: Value) -> Value {
        json!({"apiVersion": "security.istio.io/v1", "kind": kind, "metadata": {"name": "p", "namespace": namespace},
               "spec": {"selector": {"matchLabels": labels}}})
    }

    fn deployment(namespace: &str, app: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": namespace},
               "spec": {"template": {"metadata": {"labels": {"app": app}}}}})
    }

    fn run(items: &[Value]) -> Vec<Finding> {
        let package = Package::index(items, "shop");
        let mut findings = Vec::new();
        check(&package, "istio-system", &mut findings);
        findings
    }

    #[test]
    fn selectors_must_match_a_workload_of_their_namespace() {
        let found = run(&[
            deployment("shop", "catalog"),
            policy("AuthorizationPolicy", "shop", json!({"app": "catalgo"})),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].code, found[0].path.as_str()), ("IST0127", "spec.selector.matchLabels.app"));
        assert_eq!(found[0].proposed, Some(json!("catalog")));
        assert!(found[0].message.starts_with("No matching workloads for this resource with the following labels: app=catalgo: no workload in namespace shop"), "{}", found[0].message);
        // Another namespace's pods do not count; the root namespace's policies select everywhere.
        assert_eq!(
            run(&[
                deployment("shop", "catalog"),
                deployment("web", "x"),
                policy("PeerAuthentication", "web", json!({"app": "catalog"}))
            ])
            .len(),
            1
        );
        assert!(
            run(&[
                deployment("shop", "catalog"),
                policy("RequestAuthentication", "istio-system", json!({"app": "catalog"}))
            ])
            .is_empty()
        );
        // No workload of the package in that namespace: nothing to judge.
        assert!(
            run(&[deployment("shop", "catalog"), policy("AuthorizationPolicy", "web", json!({"app": "x"}))])
                .is_empty()
        );
    }
}
