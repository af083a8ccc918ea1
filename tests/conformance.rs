//! Conformance of every generated object to the upstream APIs it claims, as an oracle that is
//! independent of the function's own types.
//!
//! For every golden case (`tests/golden/<case>/`), the function runs in-process and every
//! *generated* output item is checked (passthrough input is not: it is the user's, and the function
//! must not touch it). An item counts as generated when it carries `mesh-ingress.dev/instance:
//! <instance of the config>`, or when it was not among the input items at all (so an object the
//! function forgot to label is still checked).
//!
//! * **Custom resources** (kinds the CRD catalogs know): validated with the strict OpenAPI v3
//!   validator of `tests/support/crd_schema.rs`, twice: against Istio 1.30.3 + cert-manager v1.21.1 +
//!   Gateway API v1.6.1, and against Istio master + cert-manager + Gateway API. Unknown fields,
//!   wrong types, enum values, patterns, required fields and unserved versions all fail, and so do
//!   the CRDs' CEL rules (`x-kubernetes-validations`), evaluated at the schema node that declares
//!   them as the API server does on create (`tests/support/crd_cel.rs`; the rules it cannot run,
//!   transition rules only today, are printed). The CRD's `spec.scope` is checked too: a `Namespaced` kind must have `metadata.namespace`, a `Cluster`
//!   kind must not.
//! * **Kubernetes core kinds** (the list in [`core_kinds`]): deserialized into the k8s-openapi 0.29
//!   type (Kubernetes 1.37 API, feature `latest`) and serialized back; the JSON must be equal to the
//!   original. k8s-openapi silently drops unknown fields, and reserializes a missing required list
//!   as `[]`, so any difference means a misspelled, misplaced or missing field. Object key order is
//!   irrelevant (`serde_json::Map` equality ignores it); no other normalization is applied, because
//!   none turned out to be needed (see [`upstream_apis::json_differences`]). The k8s-openapi scope is checked as
//!   for CRDs.
//! * Any other generated kind fails: nothing is silently skipped.
//!
//! The checks themselves are in `tests/support/upstream_apis.rs`, shared with the config property
//! tests.
//!
//! Not checked here: the API server's built-in validation of core kinds beyond their shape (name
//! syntax of label values is checked by the CRD validator's `ObjectMeta` check only for CRD kinds).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/crd_schema.rs"]
mod crd_schema;
#[path = "support/golden_cases.rs"]
mod golden_cases;
#[path = "support/upstream_apis.rs"]
mod upstream_apis;

use std::collections::BTreeMap;

use serde_json::Value;
use upstream_apis::{catalogs, check_object, core_kinds, crd_scopes, describe, generated_items};

/// The oracle itself: every generated object of every golden case conforms.
#[test]
fn generated_objects_conform_to_upstream_apis() {
    let catalogs = catalogs();
    let scopes = crd_scopes();
    let core = core_kinds();
    for catalog in &catalogs {
        assert!(
            catalog.catalog.len() > 30,
            "{}: only {} CRD versions loaded",
            catalog.name,
            catalog.catalog.len()
        );
        for (pattern, error) in catalog.catalog.skipped_patterns() {
            eprintln!("note: {}: pattern not checked ({error}): {pattern}", catalog.name);
        }
        let (rules, evaluated) = catalog.catalog.cel_counts();
        eprintln!("note: {}: {evaluated} of {rules} distinct CEL rules evaluated", catalog.name);
        for (rule, reason) in catalog.catalog.cel_not_evaluable() {
            eprintln!("note: {}: CEL rule not evaluated ({reason}): {rule}", catalog.name);
        }
    }
    let cases = golden_cases::cases();
    assert!(cases.len() >= 10, "golden cases not found");
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for case in &cases {
        let items = golden_cases::rendered_items(case);
        let generated = generated_items(&case.config, &case.input, &items);
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        let mut bad = 0usize;
        for obj in &generated {
            *kinds.entry(obj["kind"].as_str().unwrap_or("?").to_string()).or_default() += 1;
            let problems = check_object(obj, &catalogs, &scopes, &core);
            if !problems.is_empty() {
                bad += 1;
            }
            for p in problems {
                failures.push(format!("{}: {}: {p}", case.name, describe(obj)));
            }
        }
        checked += generated.len();
        eprintln!("{}: {} generated object(s), {bad} failing; {:?}", case.name, generated.len(), kinds);
    }
    eprintln!("{checked} generated objects checked in {} cases", cases.len());
    assert!(checked > 0, "no generated object at all: the oracle checked nothing");
    assert!(failures.is_empty(), "{} conformance problem(s):\n{}", failures.len(), failures.join("\n"));
}

/// The ConfigMap form renders nothing in its golden case (no `data.namespace`; see the consistency
/// test `non_error_cases_render_a_stack`), so check it here with the namespace set explicitly.
#[test]
fn configmap_form_with_explicit_namespace_conforms() {
    let catalogs = catalogs();
    let scopes = crd_scopes();
    let core = core_kinds();
    let mut case = golden_cases::cases()
        .into_iter()
        .find(|c| c.name == "configmap-form")
        .expect("the configmap-form golden case");
    case.config["data"]["namespace"] = serde_json::json!("istio-ingress");
    let run = golden_cases::run_krm(&case.config, &case.input).unwrap();
    let items = run.list["items"].as_array().cloned().unwrap_or_default();
    let generated = generated_items(&case.config, &case.input, &items);
    assert!(!generated.is_empty(), "nothing rendered: {}", run.stdout);
    let failures: Vec<String> = generated
        .iter()
        .flat_map(|obj| {
            check_object(obj, &catalogs, &scopes, &core)
                .into_iter()
                .map(move |p| format!("{}: {p}", describe(obj)))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The oracle can fail: a misspelled field in a core kind is found by the round trip, an unknown
/// field in a custom resource by the schema, a broken CEL rule by the rule, a wrong scope by the
/// scope check, and an unhandled kind is reported rather than skipped.
#[test]
fn oracle_rejects_broken_objects() {
    let catalogs = catalogs();
    let scopes = crd_scopes();
    let core = core_kinds();
    let check = |obj: Value| check_object(&obj, &catalogs, &scopes, &core);

    let misspelled_service = serde_json::json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "gw", "namespace": "istio-ingress"},
        "spec": {"selector": {"app": "gw"}, "ports": [{"port": 80, "tragetPort": 80}]}
    });
    let problems = check(misspelled_service);
    assert!(
        problems.iter().any(|p| p.contains("spec.ports[0].tragetPort") && p.contains("dropped")),
        "{problems:?}"
    );

    let missing_containers = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "gw", "namespace": "istio-ingress"},
        "spec": {"selector": {"matchLabels": {"app": "gw"}},
                 "template": {"metadata": {"labels": {"app": "gw"}}, "spec": {}}}
    });
    let problems = check(missing_containers);
    assert!(problems.iter().any(|p| p.contains("spec.template.spec.containers")), "{problems:?}");

    let issuer = serde_json::json!({
        "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
        "metadata": {"name": "le", "namespace": "oops"},
        "spec": {"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory",
                          "privateKeySecretRef": {"name": "le"},
                          "solvers": [{"http01": {"gatewayHttpRoute": {"parentRefs": []}}}]}}
    });
    let problems = check(issuer);
    for catalog in ["istio-1.30.3", "istio-master"] {
        assert!(
            problems.iter().any(|p| p.starts_with(&format!("[{catalog}]")) && p.contains("gatewayHttpRoute")),
            "{problems:?}"
        );
    }
    assert!(problems.iter().any(|p| p.starts_with("[scope]")), "{problems:?}");

    let gateway_without_namespace = serde_json::json!({
        "apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "gw"},
        "spec": {"selector": {"istio": "gw"}, "servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}
    });
    let problems = check(gateway_without_namespace);
    assert_eq!(problems, vec!["[scope] metadata.namespace: missing on a namespaced kind".to_string()]);

    // The control plane's GitOps kinds are in every catalog: a misspelled Sail value, a Flux interval
    // out of its pattern and an Argo CD Application without a project all fail.
    let istio = serde_json::json!({
        "apiVersion": "sailoperator.io/v1", "kind": "Istio", "metadata": {"name": "default"},
        "spec": {"version": "v1.30.3", "namespace": "istio-system",
                 "values": {"pilot": {"replicas": 2}}}
    });
    let problems = check(istio);
    assert!(problems.iter().any(|p| p.contains("spec.values.pilot.replicas")), "{problems:?}");
    let release = serde_json::json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "istiod", "namespace": "istio-system"},
        "spec": {"interval": "1d", "chartRef": {"kind": "OCIRepository", "name": "istiod"}}
    });
    let problems = check(release);
    assert!(problems.iter().any(|p| p.contains("spec.interval")), "{problems:?}");
    let application = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "istiod", "namespace": "argocd"},
        "spec": {"destination": {"namespace": "istio-system"}}
    });
    let problems = check(application);
    assert!(problems.iter().any(|p| p.contains("project")), "{problems:?}");
    let tag = serde_json::json!({
        "apiVersion": "sailoperator.io/v1", "kind": "IstioRevisionTag",
        "metadata": {"name": "default", "namespace": "istio-system"},
        "spec": {"targetRef": {"kind": "Istio", "name": "prod"}}
    });
    assert!(check(tag).iter().any(|p| p.starts_with("[scope]")));
    // A CEL rule of the CRD: an AuthorizationPolicy cannot have both a selector and a targetRef.
    let both = serde_json::json!({
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "edge", "namespace": "istio-ingress"},
        "spec": {"selector": {"matchLabels": {"istio": "gw"}},
                 "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"},
                 "action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin"]}}]}]}
    });
    let problems = check(both);
    for catalog in ["istio-1.30.3", "istio-master"] {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("[{catalog}] spec: only one of targetRefs or selector"))),
            "{problems:?}"
        );
    }

    let unknown = serde_json::json!({
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}
    });
    let problems = check(unknown);
    assert!(problems.iter().any(|p| p.contains("neither a known CRD kind")), "{problems:?}");
}
