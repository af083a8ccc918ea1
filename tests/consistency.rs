//! Cross-object consistency of every rendered golden stack, checked by the independent oracle in
//! `tests/support/stack_checks.rs` ([`stack_checks::check_stack`]).
//!
//! * [`golden_stacks_are_consistent`]: every non-error golden case (names not starting with
//!   `error-`) renders a stack whose objects agree with each other (gateway selectors, credential
//!   secrets, Service ports, references, routes, issuers, Gateway API wiring, injection labels,
//!   authorization principals, ownership labels).
//! * [`non_error_cases_render_a_stack`]: those cases actually render something and report no error,
//!   so the consistency check above is not vacuous.
//! * [`new_output_objects_carry_the_instance_label`]: every output object that was not an input item
//!   carries `mesh-ingress.dev/instance: <instance>`, so the checker (which finds generated objects
//!   by that label) sees all of them.
//! * The remaining tests run the checker on a small hand-made stack that is consistent, then break
//!   it in one way per test, proving that each check can fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/golden_cases.rs"]
mod golden_cases;
#[path = "support/stack_checks.rs"]
mod stack_checks;

use serde_json::{Value, json};
use stack_checks::{CHECKS, INSTANCE_LABEL, cert_covers, check_stack, hosts_overlap};
use std::collections::BTreeSet;

/// The instance name of a config (`metadata.name`, or `data.name` of a ConfigMap).
fn instance_of(config: &Value) -> String {
    let name =
        if config["kind"] == "ConfigMap" { &config["data"]["name"] } else { &config["metadata"]["name"] };
    name.as_str().unwrap_or_default().trim().to_string()
}

/// The non-error golden cases.
fn non_error_cases() -> Vec<golden_cases::Case> {
    let cases: Vec<_> = golden_cases::cases().into_iter().filter(|c| !c.name.starts_with("error-")).collect();
    assert!(cases.len() >= 5, "expected the non-error golden cases, found {}", cases.len());
    cases
}

/// The oracle over the golden cases.
#[test]
fn golden_stacks_are_consistent() {
    let mut failures = Vec::new();
    for case in non_error_cases() {
        let items = golden_cases::rendered_items(&case);
        let violations = check_stack(&items, &case.config);
        eprintln!("{}: {} output item(s), {} violation(s)", case.name, items.len(), violations.len());
        failures.extend(violations.into_iter().map(|v| format!("{}: {v}", case.name)));
    }
    assert!(failures.is_empty(), "{} consistency violation(s):\n{}", failures.len(), failures.join("\n"));
}

/// A non-error case must render objects and report no error; otherwise the checks above would pass
/// on an empty stack.
#[test]
fn non_error_cases_render_a_stack() {
    let mut failures = Vec::new();
    for case in non_error_cases() {
        let run = golden_cases::run_krm(&case.config, &case.input).unwrap();
        let errors = run.errors();
        let instance = instance_of(&case.config);
        let generated = run.list["items"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|o| o["metadata"]["labels"][INSTANCE_LABEL].as_str() == Some(instance.as_str()))
            .count();
        if !errors.is_empty() || generated == 0 {
            failures.push(format!(
                "{}: exit code {}, {generated} generated object(s), error results: {errors:?}",
                case.name, run.code
            ));
        }
    }
    assert!(failures.is_empty(), "non-error golden cases that render nothing:\n{}", failures.join("\n"));
}

/// `(group, kind, namespace, name)` of an object.
fn identity(obj: &Value) -> (String, String, String, String) {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        group.to_string(),
        text(&obj["kind"]),
        text(&obj["metadata"]["namespace"]),
        text(&obj["metadata"]["name"]),
    )
}

/// Objects the function added must carry the instance label (the checker relies on it).
#[test]
fn new_output_objects_carry_the_instance_label() {
    let mut failures = Vec::new();
    for case in golden_cases::cases() {
        let instance = instance_of(&case.config);
        let inputs: BTreeSet<_> = case.input.iter().map(identity).collect();
        for item in golden_cases::rendered_items(&case) {
            let new = !inputs.contains(&identity(&item));
            if new && item["metadata"]["labels"][INSTANCE_LABEL].as_str() != Some(instance.as_str()) {
                failures.push(format!(
                    "{}: {:?} lacks {INSTANCE_LABEL}: {instance}",
                    case.name,
                    identity(&item)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Unit tests of the checker on a hand-made stack

/// Metadata of a generated object of instance `demo`, with extra labels.
fn meta(name: &str, ns: Option<&str>, extra: Value) -> Value {
    let mut labels = json!({
        "app.kubernetes.io/managed-by": "mesh-ingress",
        "app.kubernetes.io/instance": "demo",
        "mesh-ingress.dev/instance": "demo",
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        labels[k] = v;
    }
    let mut meta = json!({"name": name, "labels": labels});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    meta
}

/// The config of the hand-made stack.
fn base_config() -> Value {
    json!({
        "apiVersion": "mesh-ingress.dev/v1alpha1",
        "kind": "MeshIngress",
        "metadata": {"name": "demo"},
        "spec": {
            "namespace": "istio-ingress",
            "domains": ["web.example.com"],
            "gateways": [{"name": "web"}],
            "certificates": [{"name": "web-tls", "issuer": "le"}],
            "issuers": [{"name": "le", "acme": {"email": "ops@example.com", "solvers": [{"http01": {"gateway": "web"}}]}}],
            "namespaces": [{"name": "app"}]
        }
    })
}

/// A small consistent stack: one gateway workload with HTTP-01 through a Gateway API Gateway, one
/// certificate and issuer, one route into an application namespace with a demo workload and an
/// authorization policy.
fn base_items() -> Vec<Value> {
    let gw_labels = json!({"app": "istio-ingressgateway", "istio": "ingressgateway"});
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta("istio-ingress", None, json!({}))}),
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": meta("app", None, json!({"istio-injection": "enabled"}))}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": meta("istio-ingressgateway", Some("istio-ingress"), gw_labels.clone())}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
               "metadata": meta("istio-ingressgateway", Some("istio-ingress"), json!({})),
               "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": meta("istio-ingressgateway", Some("istio-ingress"), json!({})),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "istio-ingressgateway"},
               "subjects": [{"kind": "ServiceAccount", "name": "istio-ingressgateway"}]}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {
                   "name": "istio-ingressgateway", "namespace": "istio-ingress",
                   "labels": meta("x", None, json!({}))["labels"],
                   "annotations": {
                       "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": "status-port",
                       "external-dns.kubernetes.io/hostname": "web.example.com"
                   }
               },
               "spec": {"type": "LoadBalancer", "selector": gw_labels.clone(), "ports": [
                   {"name": "status-port", "port": 15021, "targetPort": 15021},
                   {"name": "http2", "port": 80, "targetPort": 80},
                   {"name": "https", "port": 443, "targetPort": 443}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": meta("istio-ingressgateway", Some("istio-ingress"), gw_labels.clone()),
        "spec": {
            "selector": {"matchLabels": gw_labels.clone()},
            "template": {
                "metadata": {
                    "labels": {"app": "istio-ingressgateway", "istio": "ingressgateway",
                               "sidecar.istio.io/inject": "true"},
                    "annotations": {"inject.istio.io/templates": "gateway"}
                },
                "spec": {"serviceAccountName": "istio-ingressgateway",
                         "containers": [{"name": "istio-proxy", "image": "auto"}]}
            }
        }}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": meta("istio-ingressgateway", Some("istio-ingress"), json!({})),
               "spec": {"minReplicas": 2, "maxReplicas": 5,
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "istio-ingressgateway"}}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": meta("istio-ingressgateway", Some("istio-ingress"), json!({})),
               "spec": {"minAvailable": 1, "selector": {"matchLabels": gw_labels.clone()}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": meta("web-tls", Some("istio-ingress"), json!({})),
               "spec": {"secretName": "web-tls", "dnsNames": ["web.example.com"],
                        "issuerRef": {"name": "le", "kind": "ClusterIssuer", "group": "cert-manager.io"}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
               "metadata": meta("le", None, json!({})),
               "spec": {"acme": {
                   "server": "https://acme-v02.api.letsencrypt.org/directory",
                   "privateKeySecretRef": {"name": "le-account-key"},
                   "solvers": [{"http01": {"gatewayHTTPRoute": {"parentRefs": [
                       {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web-http",
                        "namespace": "istio-ingress", "sectionName": "http"}]}}}]}}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
               "metadata": meta("web-http", Some("istio-ingress"), json!({})),
               "spec": {"gatewayClassName": "istio",
                        "addresses": [{"type": "Hostname", "value": "istio-ingressgateway.istio-ingress.svc.cluster.local"}],
                        "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                       "allowedRoutes": {"namespaces": {"from": "Same"}}}]}}),
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
               "metadata": meta("web-https-redirect", Some("istio-ingress"), json!({})),
               "spec": {"parentRefs": [{"name": "web-http", "sectionName": "http"}],
                        "hostnames": ["web.example.com"],
                        "rules": [{"filters": [{"type": "RequestRedirect",
                                                "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]}}),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
               "metadata": meta("web", Some("istio-ingress"), json!({})),
               "spec": {"selector": {"istio": "ingressgateway"}, "servers": [
                   {"port": {"number": 443, "name": "https-443", "protocol": "HTTPS"},
                    "hosts": ["web.example.com"],
                    "tls": {"mode": "SIMPLE", "credentialName": "web-tls"}}]}}),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
               "metadata": meta("web", Some("app"), json!({})),
               "spec": {"hosts": ["web.example.com"], "gateways": ["istio-ingress/web"],
                        "http": [{"route": [{"destination": {"host": "web", "port": {"number": 8080}}}]}]}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("web", Some("app"), json!({}))}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta("web", Some("app"), json!({})),
               "spec": {"selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 8080, "targetPort": "http"}]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web", Some("app"), json!({})),
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"serviceAccountName": "web", "containers": [
                                         {"name": "web", "image": "example/web:1",
                                          "ports": [{"name": "http", "containerPort": 8080}]}]}}}}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": meta("web", Some("app"), json!({})),
               "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
               "metadata": meta("allow-gateway", Some("app"), json!({})),
               "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {
                   "principals": ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"]}}]}]}}),
    ]
}

/// The object `kind` `ns`/`name` (`ns` empty for cluster-scoped) of a stack, for mutation.
fn obj<'a>(items: &'a mut [Value], kind: &str, ns: &str, name: &str) -> &'a mut Value {
    items
        .iter_mut()
        .find(|o| {
            o["kind"] == kind
                && o["metadata"]["namespace"].as_str().unwrap_or_default() == ns
                && o["metadata"]["name"] == name
        })
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name} in the base stack"))
}

/// Check the base stack after `mutate` changed its items and config.
fn broken(mutate: impl FnOnce(&mut Vec<Value>, &mut Value)) -> Vec<String> {
    let mut items = base_items();
    let mut config = base_config();
    mutate(&mut items, &mut config);
    check_stack(&as_generated(items), &config)
}

/// Objects as the function would have written them, mistakes included: every object carrying the
/// instance label gets its digest (the checker looks only at provably generated objects).
fn as_generated(mut items: Vec<Value>) -> Vec<Value> {
    for item in &mut items {
        if item["metadata"]["labels"][INSTANCE_LABEL].is_string() {
            mesh_ingress::krm::digest::stamp(item);
        }
    }
    items
}

/// Assert that some violation is of `check` and contains `needle`.
#[track_caller]
fn assert_violation(violations: &[String], check: &str, needle: &str) {
    assert!(CHECKS.iter().any(|(id, _)| *id == check), "{check} is not a check id");
    let prefix = format!("[{check}]");
    assert!(
        violations.iter().any(|v| v.starts_with(&prefix) && v.contains(needle)),
        "expected a {prefix} violation containing {needle:?}, got:\n{}",
        violations.join("\n")
    );
}

/// Assert that no violation is of `check`.
#[track_caller]
fn assert_no_violation(violations: &[String], check: &str) {
    let prefix = format!("[{check}]");
    assert!(
        !violations.iter().any(|v| v.starts_with(&prefix)),
        "expected no {prefix} violation, got:\n{}",
        violations.join("\n")
    );
}

#[test]
fn base_stack_is_consistent() {
    let violations = check_stack(&as_generated(base_items()), &base_config());
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn host_semantics() {
    assert!(hosts_overlap("*.a.com", "x.a.com"));
    assert!(hosts_overlap("x.y.a.com", "*.a.com"));
    assert!(hosts_overlap("*.b.a.com", "*.a.com"));
    assert!(hosts_overlap("*", "anything.example"));
    assert!(hosts_overlap("A.com", "a.COM"));
    assert!(!hosts_overlap("*.a.com", "a.com"));
    assert!(!hosts_overlap("x.a.com", "y.a.com"));
    assert!(cert_covers("*.a.com", "x.a.com"));
    assert!(cert_covers("*.a.com", "*.a.com"));
    assert!(!cert_covers("*.a.com", "x.y.a.com"));
    assert!(!cert_covers("*.a.com", "a.com"));
    assert!(!cert_covers("a.com", "*.a.com"));
}

/// Seed 000: the Gateway said `letsencrypt-cert-prod` while the Certificate wrote `letsencrypt-prod`.
#[test]
fn seed_000_credential_name_without_certificate() {
    let seed_000 = |items: &mut Vec<Value>, _: &mut Value| {
        obj(items, "Certificate", "istio-ingress", "web-tls")["spec"]["secretName"] =
            json!("letsencrypt-prod");
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["servers"][0]["tls"]["credentialName"] =
            json!("letsencrypt-cert-prod");
    };
    let violations = broken(seed_000);
    assert_violation(&violations, "gateway-credential", "\"letsencrypt-cert-prod\"");
    // The same name is fine when the config says it is an existing secret managed elsewhere.
    let violations = broken(|items, config| {
        seed_000(items, config);
        config["spec"]["gateways"][0]["servers"] =
            json!([{"port": 443, "protocol": "HTTPS", "tls": {"credentialName": "letsencrypt-cert-prod"}}]);
    });
    assert_no_violation(&violations, "gateway-credential");
}

#[test]
fn certificate_outside_the_gateway_pods_namespace() {
    let violations = broken(|items, _| {
        obj(items, "Certificate", "istio-ingress", "web-tls")["metadata"]["namespace"] = json!("app");
    });
    assert_violation(&violations, "gateway-credential", "no Certificate in namespace istio-ingress");
}

#[test]
fn certificate_not_covering_the_server_hosts() {
    let violations = broken(|items, _| {
        obj(items, "Certificate", "istio-ingress", "web-tls")["spec"]["dnsNames"] =
            json!(["*.web.example.com"]);
    });
    assert_violation(&violations, "cert-coverage", "\"web.example.com\"");
}

#[test]
fn gateway_selector_matching_no_pods() {
    let violations = broken(|items, _| {
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["selector"] =
            json!({"istio": "ingressgateway-typo"});
    });
    assert_violation(&violations, "gateway-selector", "matches the pod labels of no workload");
    let violations = broken(|items, _| {
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["selector"] = json!({});
    });
    assert_violation(&violations, "gateway-selector", "empty");
}

/// A Gateway bound to pods managed elsewhere (the AKS Istio add-on) selects nothing in the output;
/// that is fine exactly when the config declares that external workload.
#[test]
fn gateway_selector_on_a_declared_external_workload() {
    let external = |items: &mut Vec<Value>, _: &mut Value| {
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["selector"] =
            json!({"istio": "aks-istio-ingressgateway-external"});
    };
    assert_violation(&broken(external), "gateway-selector", "matches the pod labels of no workload");
    let violations = broken(|items, config| {
        external(items, config);
        config["spec"]["gateways"][0]["workload"] =
            json!({"external": true, "labels": {"istio": "aks-istio-ingressgateway-external"}});
    });
    assert_no_violation(&violations, "gateway-selector");
    assert_no_violation(&violations, "service-ports");
    // Declared in another namespace, it does not excuse this one.
    let violations = broken(|items, config| {
        external(items, config);
        config["spec"]["gateways"][0]["workload"] = json!({"external": true, "namespace": "aks-istio-ingress",
            "labels": {"istio": "aks-istio-ingressgateway-external"}});
    });
    assert_violation(&violations, "gateway-selector", "matches the pod labels of no workload");
}

#[test]
fn service_missing_server_and_status_ports() {
    let violations = broken(|items, _| {
        obj(items, "Service", "istio-ingress", "istio-ingressgateway")["spec"]["ports"] =
            json!([{"name": "http2", "port": 80, "targetPort": 80}]);
    });
    assert_violation(&violations, "service-ports", "port 443");
    assert_violation(&violations, "service-ports", "port 15021");
}

#[test]
fn conflicting_and_certificate_sharing_gateways() {
    let violations = broken(|items, _| {
        let mut second = obj(items, "Gateway", "istio-ingress", "web").clone();
        second["metadata"]["name"] = json!("web-2");
        second["spec"]["servers"][0]["hosts"] = json!(["*.example.com"]);
        items.push(second);
    });
    assert_violation(&violations, "gateway-conflict", "port 443");
    assert_violation(&violations, "gateway-duplicate-cert", "\"web-tls\"");
    // An Istio Gateway on port 80 of the pods that already serve the HTTP-01 listener (istio#33593).
    let violations = broken(|items, _| {
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["servers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"port": {"number": 80, "name": "http-80", "protocol": "HTTP"},
                         "hosts": ["web.example.com"], "tls": {"httpsRedirect": true}}));
    });
    assert_violation(&violations, "gateway-conflict", "port 80");
}

#[test]
fn virtual_service_gateway_and_hosts() {
    let violations = broken(|items, _| {
        obj(items, "VirtualService", "app", "web")["spec"]["gateways"] =
            json!(["istio-ingress/missing", "mesh"]);
    });
    assert_violation(&violations, "virtualservice", "\"istio-ingress/missing\"");
    let violations = broken(|items, _| {
        obj(items, "VirtualService", "app", "web")["spec"]["hosts"] = json!(["api.other.com"]);
    });
    assert_violation(&violations, "virtualservice", "\"api.other.com\"");
    // A server host restricted to another namespace does not serve the VirtualService.
    let violations = broken(|items, _| {
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["servers"][0]["hosts"] =
            json!(["other/web.example.com"]);
    });
    assert_violation(&violations, "virtualservice", "\"web.example.com\"");
    // A wildcard server host serves any subdomain.
    let violations = broken(|items, _| {
        obj(items, "VirtualService", "app", "web")["spec"]["hosts"] = json!(["web.example.com"]);
        obj(items, "Gateway", "istio-ingress", "web")["spec"]["servers"][0]["hosts"] =
            json!(["*/*.example.com"]);
        obj(items, "Certificate", "istio-ingress", "web-tls")["spec"]["dnsNames"] = json!(["*.example.com"]);
        obj(items, "ClusterIssuer", "", "le")["spec"]["acme"]["solvers"] =
            json!([{"dns01": {"route53": {"region": "us-east-1"}}}]);
    });
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // A destination port the Service does not have.
    let violations = broken(|items, _| {
        obj(items, "VirtualService", "app", "web")["spec"]["http"][0]["route"][0]["destination"]["port"]["number"] =
            json!(9090);
    });
    assert_violation(&violations, "virtualservice", "has no port 9090");
}

#[test]
fn virtual_service_weights() {
    let split = json!([
        {"destination": {"host": "web", "port": {"number": 8080}}, "weight": 90},
        {"destination": {"host": "web", "port": {"number": 8080}}, "weight": 20}]);
    let violations = broken(|items, _| {
        obj(items, "VirtualService", "app", "web")["spec"]["http"][0]["route"] = split.clone();
    });
    assert_violation(&violations, "virtualservice", "add up to 110");
}

/// A canary on the base stack: a DestinationRule with subsets v1 and v2 of Service `web`, and the
/// route split between them.
fn with_canary(items: &mut Vec<Value>) {
    items.push(json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": meta("web", Some("app"), json!({})),
        "spec": {"host": "web.app.svc.cluster.local",
                 "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
                 "subsets": [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": {"version": "v2"}}]}}));
    obj(items, "Deployment", "app", "web")["spec"]["template"]["metadata"]["labels"]["version"] = json!("v1");
    let mut v2 = obj(items, "Deployment", "app", "web").clone();
    v2["metadata"]["name"] = json!("web-v2");
    v2["spec"]["template"]["metadata"]["labels"]["version"] = json!("v2");
    items.push(v2);
    obj(items, "VirtualService", "app", "web")["spec"]["http"][0]["route"] = json!([
        {"destination": {"host": "web", "port": {"number": 8080}, "subset": "v1"}, "weight": 90},
        {"destination": {"host": "web", "port": {"number": 8080}, "subset": "v2"}, "weight": 10}]);
}

#[test]
fn destination_rule_subsets_and_tls() {
    let violations = broken(|items, _| with_canary(items));
    assert_no_violation(&violations, "destination-rule");
    // A subset the route names that no DestinationRule defines.
    let violations = broken(|items, _| {
        with_canary(items);
        obj(items, "VirtualService", "app", "web")["spec"]["http"][0]["route"][1]["destination"]["subset"] =
            json!("v3");
    });
    assert_violation(&violations, "destination-rule", "subset \"v3\"");
    // A subset whose labels select no pod.
    let violations = broken(|items, _| {
        with_canary(items);
        obj(items, "Deployment", "app", "web-v2")["spec"]["template"]["metadata"]["labels"]["version"] =
            json!("v2-rc");
    });
    assert_violation(&violations, "destination-rule", "selects no pods");
    // Two DestinationRules for one host.
    let violations = broken(|items, _| {
        with_canary(items);
        let mut second = obj(items, "DestinationRule", "app", "web").clone();
        second["metadata"]["name"] = json!("web-2");
        second["spec"]["host"] = json!("web");
        items.push(second);
    });
    assert_violation(&violations, "destination-rule", "Istio applies only one");
    // Plain text toward a STRICT namespace.
    let violations = broken(|items, _| {
        with_canary(items);
        obj(items, "DestinationRule", "app", "web")["spec"]["trafficPolicy"]["tls"]["mode"] =
            json!("DISABLE");
        items.push(json!({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
            "metadata": meta("default", Some("app"), json!({})), "spec": {"mtls": {"mode": "STRICT"}}}));
    });
    assert_violation(&violations, "destination-rule", "TLS mode DISABLE");
}

#[test]
fn tls_and_tcp_routes_need_their_servers() {
    let violations = broken(|items, _| {
        let vs = obj(items, "VirtualService", "app", "web");
        vs["spec"]["tls"] = json!([{"match": [{"sniHosts": ["web.example.com"]}],
                                     "route": [{"destination": {"host": "web", "port": {"number": 8080}}}]}]);
        vs["spec"]["tcp"] = json!([{"match": [{"port": 5432}],
                                     "route": [{"destination": {"host": "web", "port": {"number": 8080}}}]}]);
    });
    assert_violation(&violations, "l4-routes", "SNI host \"web.example.com\" has no PASSTHROUGH server");
    assert_violation(&violations, "l4-routes", "port Some(5432) has no TCP server");
}

#[test]
fn certificate_issuer_not_generated() {
    let unknown = |items: &mut Vec<Value>, _: &mut Value| {
        obj(items, "Certificate", "istio-ingress", "web-tls")["spec"]["issuerRef"]["name"] = json!("corp-ca");
    };
    let violations = broken(unknown);
    assert_violation(&violations, "issuer-ref", "\"corp-ca\"");
    // Fine when the config's certificate names an issuer that is not in spec.issuers.
    let violations = broken(|items, config| {
        unknown(items, config);
        config["spec"]["certificates"][0]["issuer"] = json!("corp-ca");
    });
    assert_no_violation(&violations, "issuer-ref");
    // And when the plugin CA names it: an existing ClusterIssuer that holds the mesh's root.
    let violations = broken(|items, config| {
        unknown(items, config);
        config["spec"]["multicluster"] =
            json!({"meshID": "m", "clusterName": "c", "network": "n", "pluginCA": {"issuer": "corp-ca"}});
    });
    assert_no_violation(&violations, "issuer-ref");
    // And when the config declares it as an existing issuer, which certificates take by default.
    let violations = broken(|items, config| {
        unknown(items, config);
        config["spec"]["issuers"] = json!([{"name": "corp-ca", "external": true}]);
        config["spec"]["certificates"][0] = json!({"name": "web-tls"});
    });
    assert_no_violation(&violations, "issuer-ref");
}

/// The `gatewayHttpRoute` misspelling: cert-manager prunes it and rejects the empty http01 solver.
#[test]
fn acme_http01_solver_without_type() {
    let violations = broken(|items, _| {
        let http01 = &mut obj(items, "ClusterIssuer", "", "le")["spec"]["acme"]["solvers"][0]["http01"];
        let route = http01["gatewayHTTPRoute"].take();
        *http01 = json!({"gatewayHttpRoute": route});
    });
    assert_violation(&violations, "acme-solver", "gatewayHttpRoute");
}

#[test]
fn wildcard_name_with_http01_only() {
    let violations = broken(|items, _| {
        obj(items, "Certificate", "istio-ingress", "web-tls")["spec"]["dnsNames"] =
            json!(["web.example.com", "*.web.example.com"]);
    });
    assert_violation(&violations, "acme-wildcard", "\"*.web.example.com\"");
}

#[test]
fn http01_challenge_on_pods_that_do_not_serve_the_host() {
    let violations = broken(|items, _| {
        obj(items, "Certificate", "istio-ingress", "web-tls")["spec"]["dnsNames"] =
            json!(["web.example.com", "api.example.com"]);
    });
    assert_violation(&violations, "http01-reachability", "\"api.example.com\"");
}

#[test]
fn gateway_api_wiring() {
    let violations = broken(|items, _| {
        obj(items, "Gateway", "istio-ingress", "web-http")["spec"]["addresses"][0]["value"] =
            json!("istio-gateway.istio-ingress.svc.cluster.local");
    });
    assert_violation(&violations, "gateway-api", "names no Service");
    let violations = broken(|items, _| {
        obj(items, "Gateway", "istio-ingress", "web-http")["spec"]["listeners"][0]["port"] = json!(8080);
    });
    assert_violation(&violations, "gateway-api", "port 8080 is not a port");
    let violations = broken(|items, _| {
        obj(items, "HTTPRoute", "istio-ingress", "web-https-redirect")["spec"]["parentRefs"][0]["sectionName"] =
            json!("https");
    });
    assert_violation(&violations, "gateway-api", "no listener sectionName Some(\"https\")");
    let violations = broken(|items, _| {
        obj(items, "ClusterIssuer", "", "le")["spec"]["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]["parentRefs"]
            [0]["name"] = json!("external-http");
    });
    assert_violation(&violations, "gateway-api", "no Gateway istio-ingress/external-http");
    // A route from another namespace is not accepted by a listener with allowedRoutes from: Same.
    let violations = broken(|items, _| {
        let route = obj(items, "HTTPRoute", "istio-ingress", "web-https-redirect");
        route["metadata"]["namespace"] = json!("app");
        route["spec"]["parentRefs"][0]["namespace"] = json!("istio-ingress");
    });
    assert_violation(&violations, "gateway-api", "from namespace app");
}

#[test]
fn injection_labels() {
    let violations = broken(|items, _| {
        obj(items, "Namespace", "", "app")["metadata"]["labels"]["istio.io/rev"] = json!("canary");
    });
    assert_violation(&violations, "injection", "IST0123");
    let violations = broken(|items, _| {
        obj(items, "Namespace", "", "istio-ingress")["metadata"]["labels"]["istio-injection"] =
            json!("disabled");
    });
    assert_violation(&violations, "injection", "istio-injection: disabled");
    let violations = broken(|items, _| {
        let template =
            &mut obj(items, "Deployment", "istio-ingress", "istio-ingressgateway")["spec"]["template"];
        template["metadata"]["labels"].as_object_mut().unwrap().remove("sidecar.istio.io/inject");
        template["metadata"]["annotations"] = json!({});
    });
    assert_violation(&violations, "injection", "sidecar.istio.io/inject");
    assert_violation(&violations, "injection", "inject.istio.io/templates");
    // With a revision, pods and namespaces must use istio.io/rev.
    let violations = broken(|_, config| {
        config["spec"]["revision"] = json!("canary");
    });
    assert_violation(&violations, "injection", "gateway pod label istio.io/rev is \"\"");
    assert_violation(&violations, "injection", "istio-injection: enabled but the config uses revision");
}

/// One way to break the base stack.
type Mutation = Box<dyn Fn(&mut Vec<Value>)>;

#[test]
fn kubernetes_references() {
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "scaleTargetRef",
            Box::new(|items| {
                obj(items, "HorizontalPodAutoscaler", "istio-ingress", "istio-ingressgateway")["spec"]["scaleTargetRef"]
                    ["name"] = json!("istio-gateway");
            }),
        ),
        (
            "selects no workload",
            Box::new(|items| {
                obj(items, "PodDisruptionBudget", "app", "web")["spec"]["selector"] =
                    json!({"matchLabels": {"app": "webb"}});
            }),
        ),
        (
            "roleRef",
            Box::new(|items| {
                obj(items, "RoleBinding", "istio-ingress", "istio-ingressgateway")["roleRef"]["name"] =
                    json!("istio-gateway");
            }),
        ),
        (
            "subjects[0] ServiceAccount istio-ingress/istio-gateway",
            Box::new(|items| {
                obj(items, "RoleBinding", "istio-ingress", "istio-ingressgateway")["subjects"][0]["name"] =
                    json!("istio-gateway");
            }),
        ),
        (
            "serviceAccountName \"webapp\"",
            Box::new(|items| {
                obj(items, "Deployment", "app", "web")["spec"]["template"]["spec"]["serviceAccountName"] =
                    json!("webapp");
            }),
        ),
        (
            "spec.selector {\"app\":\"webapp\"} selects no workload",
            Box::new(|items| {
                obj(items, "Service", "app", "web")["spec"]["selector"] = json!({"app": "webapp"});
            }),
        ),
        (
            "targetPort \"web\"",
            Box::new(|items| {
                obj(items, "Service", "app", "web")["spec"]["ports"][0]["targetPort"] = json!("web");
            }),
        ),
        (
            "does not select its own pod template",
            Box::new(|items| {
                obj(items, "Deployment", "app", "web")["spec"]["selector"] =
                    json!({"matchLabels": {"app": "other"}});
            }),
        ),
    ];
    for (needle, mutate) in cases {
        let violations = broken(|items, _| mutate(items));
        assert_violation(&violations, "refs", needle);
    }
}

#[test]
fn replicas_under_an_hpa_and_unevictable_pdb() {
    let violations = broken(|items, _| {
        obj(items, "Deployment", "istio-ingress", "istio-ingressgateway")["spec"]["replicas"] = json!(3);
    });
    assert_violation(&violations, "hpa-replicas", "spec.replicas");
    let violations = broken(|items, _| {
        obj(items, "Deployment", "app", "web")["spec"]["replicas"] = json!(1);
    });
    assert_violation(&violations, "pdb-evictable", "minimum of 1 replica");
}

#[test]
fn authorization_principals() {
    let violations = broken(|items, _| {
        obj(items, "AuthorizationPolicy", "app", "allow-gateway")["spec"]["rules"][0]["from"][0]["source"]
            ["principals"] = json!(["cluster.local/ns/istio-ingress/sa/istio-gateway"]);
    });
    assert_violation(
        &violations,
        "authz-principal",
        "no generated ServiceAccount istio-ingress/istio-gateway",
    );
    let violations = broken(|_, config| {
        config["spec"]["mtls"] = json!({"trustDomain": "corp.example"});
    });
    assert_violation(&violations, "authz-principal", "trust domain is not \"corp.example\"");
}

#[test]
fn security_policies_on_gateway_pods() {
    let gateway_policy = |name: &str, spec: Value| {
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
               "metadata": meta(name, Some("istio-ingress"), json!({})), "spec": spec})
    };
    let authn = json!({"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
        "metadata": meta("web-jwt", Some("istio-ingress"), json!({})),
        "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}},
                 "jwtRules": [{"issuer": "https://idp.example.com/"}]}});
    let require_jwt = |principal: &str| {
        gateway_policy(
            "web-admin",
            json!({
            "selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "DENY",
            "rules": [{"from": [{"source": {"notRequestPrincipals": [principal]}}],
                       "to": [{"operation": {"paths": ["/admin/*"]}}]}]}),
        )
    };
    // The way edge access renders a JWT requirement is consistent.
    let violations = broken(|items, _| {
        items.push(authn.clone());
        items.push(require_jwt("https://idp.example.com//*"));
    });
    assert!(violations.is_empty(), "{}", violations.join("\n"));

    let violations = broken(|items, _| {
        items.push(authn.clone());
        items.push(require_jwt("https://other.example.com/*"));
    });
    assert_violation(&violations, "jwt-issuer", "\"https://other.example.com/*\"");
    let violations = broken(|items, _| items.push(require_jwt("*")));
    assert_violation(&violations, "jwt-issuer", "\"*\"");

    let violations = broken(|items, _| {
        items.push(gateway_policy(
            "office-only",
            json!({
            "selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "ALLOW",
            "rules": [{"from": [{"source": {"remoteIpBlocks": ["203.0.113.0/24"]}}]}]}),
        ));
    });
    assert_violation(&violations, "gateway-allow", "deny every request");

    let violations = broken(|items, _| {
        items.push(gateway_policy(
            "typo",
            json!({
            "selector": {"matchLabels": {"istio": "ingress-gateway"}}, "action": "DENY",
            "rules": [{"to": [{"operation": {"paths": ["/internal/*"]}}]}]}),
        ));
    });
    assert_violation(&violations, "policy-selector", "matches no pods in namespace istio-ingress");
}

#[test]
fn ownership_labels_and_duplicates() {
    let violations = broken(|items, _| {
        obj(items, "Role", "istio-ingress", "istio-ingressgateway")["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("app.kubernetes.io/managed-by");
    });
    assert_violation(&violations, "labels", "app.kubernetes.io/managed-by");
    let violations = broken(|items, _| {
        let copy = obj(items, "ServiceAccount", "app", "web").clone();
        items.push(copy);
    });
    assert_violation(&violations, "duplicate", "same group, kind, namespace and name");
}

#[test]
fn selectors_with_mutable_labels() {
    let violations = broken(|items, _| {
        let deployment = obj(items, "Deployment", "app", "web");
        deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/version"] = json!("0.1.0");
        deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] = json!("0.1.0");
        obj(items, "Service", "app", "web")["spec"]["selector"]["app.kubernetes.io/instance"] = json!("demo");
    });
    assert_violation(&violations, "selector-labels", "app.kubernetes.io/version");
    assert_violation(&violations, "selector-labels", "app.kubernetes.io/instance");
}

#[test]
fn annotations_naming_ports_and_hosts() {
    let violations = broken(|items, _| {
        let annotations =
            &mut obj(items, "Service", "istio-ingress", "istio-ingressgateway")["metadata"]["annotations"];
        annotations["service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"] = json!("status");
        annotations["external-dns.kubernetes.io/hostname"] = json!("web.example.com,www.example.com");
    });
    assert_violation(&violations, "annotations", "\"status\"");
    assert_violation(&violations, "annotations", "\"www.example.com\"");
}

/// Every check id has at least one unit test above that makes it fail.
#[test]
fn every_check_is_exercised() {
    // Compare without whitespace, so that formatting cannot hide a call.
    let source: String = include_str!("consistency.rs").chars().filter(|c| !c.is_whitespace()).collect();
    for (id, _) in CHECKS {
        assert!(
            source.contains(&format!("assert_violation(&violations,\"{id}\"")),
            "check {id} has no failing unit test"
        );
    }
}

/// The ConfigMap form, with `data.namespace` set explicitly (the golden `configmap-form` case
/// currently renders nothing; see [`non_error_cases_render_a_stack`]), renders a consistent stack.
#[test]
fn configmap_form_with_explicit_namespace_is_consistent() {
    let case = golden_cases::cases()
        .into_iter()
        .find(|c| c.name == "configmap-form")
        .expect("the configmap-form golden case");
    let mut config = case.config.clone();
    config["data"]["namespace"] = json!("istio-ingress");
    let run = golden_cases::run_krm(&config, &case.input).unwrap();
    let items = run.list["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "nothing rendered: {}", run.stdout);
    let violations = check_stack(&items, &config);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The checker works on real output, not only on the hand-made stack: the seed 000 mistake
/// (`credentialName: letsencrypt-cert-prod` while the Certificate writes `letsencrypt-prod`) injected
/// into the rendered eks-nlb-letsencrypt example, which models seed 000, is found.
#[test]
fn seed_000_mistake_in_rendered_example_is_found() {
    let case = golden_cases::cases()
        .into_iter()
        .find(|c| c.name == "example-eks-nlb-letsencrypt")
        .expect("the example-eks-nlb-letsencrypt golden case");
    let mut items = golden_cases::rendered_items(&case);
    assert!(check_stack(&items, &case.config).is_empty());
    let server = items
        .iter_mut()
        .filter(|o| o["apiVersion"] == "networking.istio.io/v1" && o["kind"] == "Gateway")
        .flat_map(|g| g["spec"]["servers"].as_array_mut().unwrap().iter_mut())
        .find(|s| s["tls"]["credentialName"] == "letsencrypt-prod")
        .expect("a server using the letsencrypt-prod secret");
    server["tls"]["credentialName"] = json!("letsencrypt-cert-prod");
    let violations = check_stack(&as_generated(items), &case.config);
    assert_violation(&violations, "gateway-credential", "\"letsencrypt-cert-prod\"");
}

/// The rendered items of a golden case, consistent as rendered.
fn rendered_case(name: &str) -> (golden_cases::Case, Vec<Value>) {
    let case = golden_cases::cases().into_iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{name}"));
    let items = golden_cases::rendered_items(&case);
    assert!(check_stack(&items, &case.config).is_empty(), "{name} is consistent as rendered");
    (case, items)
}

fn find_mut<'a>(items: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    items.iter_mut().find(|o| o["kind"] == kind && o["metadata"]["name"] == name).unwrap()
}

/// The control plane and the data plane rendered from one config agree; each way they could drift
/// apart is found on real output.
#[test]
fn control_plane_and_data_plane_agree() {
    // Sail: a revision tag renamed, a tracing provider missing, an authorizer of the wrong kind.
    let (case, mut items) = rendered_case("control-plane-sail-revision-based");
    find_mut(&mut items, "IstioRevisionTag", "prod")["metadata"]["name"] = json!("stable");
    let istio = find_mut(&mut items, "Istio", "prod");
    istio["spec"]["values"]["meshConfig"]["extensionProviders"][0]["name"] = json!("jaeger");
    istio["spec"]["values"]["meshConfig"]["extensionProviders"][1] =
        json!({"name": "oauth2-proxy", "zipkin": {"service": "z", "port": 9411}});
    let violations = check_stack(&as_generated(items), &case.config);
    assert_violation(
        &violations,
        "control-plane",
        "names revision \"prod\"; the control plane serves default, stable",
    );
    assert_violation(&violations, "control-plane", "tracing provider \"otel\" is None");
    assert_violation(&violations, "control-plane", "CUSTOM provider \"oauth2-proxy\" is Some([\"zipkin\"])");

    // Flux: istiod on another network than the east-west gateway, and not after base.
    let (case, mut items) = rendered_case("example-multicluster-east-west");
    let istiod = find_mut(&mut items, "HelmRelease", "istiod");
    istiod["spec"]["values"]["global"]["network"] = json!("cluster2");
    istiod["spec"].as_object_mut().unwrap().remove("dependsOn");
    let violations = check_stack(&as_generated(items), &case.config);
    assert_violation(
        &violations,
        "control-plane",
        "network gateway on network \"cluster1\"; the control plane's is \"cluster2\"",
    );
    assert_violation(&violations, "control-plane", "does not dependsOn the istio-base HelmRelease");

    // Argo CD: istiod synced in the gateways' wave, and a revision the data plane does not use.
    let (case, mut items) = rendered_case("example-eks-nlb-letsencrypt");
    let istiod = find_mut(&mut items, "Application", "istiod");
    istiod["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = json!("5");
    istiod["spec"]["source"]["helm"]["valuesObject"]["revision"] = json!("canary");
    let violations = check_stack(&as_generated(items), &case.config);
    assert_violation(&violations, "control-plane", "gateway wave 5 does not follow istiod's 5");
    assert_violation(&violations, "control-plane", "the control plane serves canary");
}
