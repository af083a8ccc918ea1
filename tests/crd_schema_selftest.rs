//! Self-tests of the strict CRD schema validator in `tests/support/crd_schema.rs`,
//! against the upstream CRDs in `../shared/crds` (beside the repository) and small synthetic CRDs.

// This whole crate is test code (see clippy.toml): its assertion helpers panic
// on purpose, which clippy only recognises inside `#[test]` functions.
#![allow(clippy::panic)]

#[path = "support/crd_schema.rs"]
mod crd_schema;
#[path = "support/upstream_apis.rs"]
mod upstream_apis;

use std::path::Path;
use std::sync::OnceLock;

use crd_schema::{CrdCatalog, parse_yaml_documents};
use serde_json::{Value, json};

/// Istio 1.30.3 + cert-manager + Gateway API, loaded once for all tests.
fn catalog() -> &'static CrdCatalog {
    static CATALOG: OnceLock<CrdCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let crds = upstream_apis::crds_dir();
        let istio = crds.join("istio/istio-crds-1.30.3.yaml");
        let cert_manager = crds.join("cert-manager");
        let gateway_api = crds.join("gateway-api");
        CrdCatalog::load_all(&[&istio, &cert_manager, &gateway_api])
            .unwrap_or_else(|e| panic!("loading upstream CRDs: {e}"))
    })
}

/// Assert that `obj` is valid, printing every error otherwise.
#[track_caller]
fn assert_valid(catalog: &CrdCatalog, obj: &Value) {
    if let Err(errs) = catalog.validate(obj) {
        panic!(
            "expected {} {} to be valid, got:\n  {}",
            obj["kind"],
            obj["metadata"]["name"],
            errs.join("\n  ")
        );
    }
}

/// Assert that `obj` is invalid and return its errors.
#[track_caller]
fn errors_of(catalog: &CrdCatalog, obj: &Value) -> Vec<String> {
    match catalog.validate(obj) {
        Ok(()) => panic!("expected {} {} to be invalid", obj["kind"], obj["metadata"]["name"]),
        Err(errs) => errs,
    }
}

/// What the validator reports, like the API server, when an object with CEL rules has an error
/// that keeps the rules from running (wrong type, unsupported value, missing required field, too
/// long or too many).
const CEL_NOT_CHECKED: &str = "<root>: some validation rules were not checked because the object was invalid";

/// Assert that `obj` is invalid with some error starting with `prefix`.
#[track_caller]
fn assert_fails_with(catalog: &CrdCatalog, obj: &Value, prefix: &str) {
    assert_has_error(&errors_of(catalog, obj), prefix);
}

/// Assert that some error starts with `prefix`.
#[track_caller]
fn assert_has_error(errs: &[String], prefix: &str) {
    assert!(
        errs.iter().any(|e| e.starts_with(prefix)),
        "no error starting with {prefix:?} in:\n  {}",
        errs.join("\n  ")
    );
}

fn istio_gateway() -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": "public-gateway",
            "namespace": "istio-ingress",
            "labels": { "app.kubernetes.io/managed-by": "mesh-ingress" },
            "annotations": { "mesh-ingress.example.com/source": "tenant a/b" }
        },
        "spec": {
            "selector": { "istio": "ingressgateway" },
            "servers": [
                {
                    "port": { "number": 443, "name": "https", "protocol": "HTTPS" },
                    "hosts": ["app.example.com", "*.apps.example.com"],
                    "tls": { "mode": "SIMPLE", "credentialName": "app-example-com-tls" }
                },
                {
                    "port": { "number": 80, "name": "http", "protocol": "HTTP" },
                    "hosts": ["app.example.com"],
                    "tls": { "httpsRedirect": true }
                }
            ]
        }
    })
}

#[test]
fn loads_all_upstream_crds() {
    let catalog = catalog();
    for (api_version, kind) in [
        ("networking.istio.io/v1", "Gateway"),
        ("networking.istio.io/v1", "VirtualService"),
        ("networking.istio.io/v1alpha3", "EnvoyFilter"),
        ("security.istio.io/v1", "PeerAuthentication"),
        ("security.istio.io/v1", "AuthorizationPolicy"),
        ("cert-manager.io/v1", "Certificate"),
        ("cert-manager.io/v1", "ClusterIssuer"),
        ("acme.cert-manager.io/v1", "Challenge"),
        ("gateway.networking.k8s.io/v1", "Gateway"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
        // Known but not served.
        ("gateway.networking.k8s.io/v1alpha2", "TCPRoute"),
    ] {
        assert!(catalog.knows(api_version, kind), "{api_version} {kind}");
    }
    assert!(!catalog.knows("networking.istio.io/v2", "Gateway"));
    assert!(!catalog.knows("v1", "ConfigMap"));
    // 15 Istio kinds (31 versions) + 6 cert-manager + 10 Gateway API kinds (21 versions).
    assert_eq!(catalog.len(), 58, "{:#?}", catalog.entries());
    let not_served: Vec<_> = catalog.entries().into_iter().filter(|(_, _, served)| !served).collect();
    assert_eq!(not_served.len(), 5, "{not_served:?}");

    // Every upstream `pattern` compiles with the regex crate; list any that do not.
    let skipped = catalog.skipped_patterns();
    for (pattern, error) in &skipped {
        eprintln!("skipped pattern {pattern:?}: {error}");
    }
    assert!(skipped.is_empty(), "patterns skipped: {skipped:?}");
}

#[test]
fn load_rejects_paths_without_crds() {
    let err = CrdCatalog::load(Path::new("/nonexistent/crds.yaml")).unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
    let empty = std::env::temp_dir().join(format!("crd-schema-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let err = CrdCatalog::load(&empty).unwrap_err();
    assert!(err.contains("no CustomResourceDefinition"), "{err}");
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn istio_gateway_is_valid() {
    assert_valid(catalog(), &istio_gateway());
}

#[test]
fn istio_gateway_typo_field_is_reported_with_path() {
    let mut gw = istio_gateway();
    gw["spec"]["servers"][0]["tls"]["mdoe"] = json!("SIMPLE");
    let errs = errors_of(catalog(), &gw);
    assert_eq!(errs, vec!["spec.servers[0].tls.mdoe: unknown field".to_string()]);
}

#[test]
fn istio_gateway_wrong_enum_is_reported() {
    let mut gw = istio_gateway();
    gw["spec"]["servers"][0]["tls"]["mode"] = json!("FOO");
    let errs = errors_of(catalog(), &gw);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[1].starts_with(CEL_NOT_CHECKED), "{errs:?}");
    assert_eq!(
        errs[0],
        "spec.servers[0].tls.mode: unsupported value \"FOO\", expected one of \
         [\"PASSTHROUGH\", \"SIMPLE\", \"MUTUAL\", \"AUTO_PASSTHROUGH\", \"ISTIO_MUTUAL\", \
         \"OPTIONAL_MUTUAL\"]"
    );
}

#[test]
fn all_errors_are_collected() {
    let mut gw = istio_gateway();
    gw["metadata"]["labelz"] = json!({});
    gw["spec"]["servers"][0]["port"]["number"] = json!("443");
    gw["spec"]["servers"][0]["tls"]["mode"] = json!("simple");
    gw["spec"]["servers"][1]["hosts"] = json!("app.example.com");
    gw["spec"]["servers"][1]["port"].as_object_mut().unwrap().remove("protocol");
    gw["spec"]["selector"]["istio"] = json!(1);
    gw["spec"]["extra"] = json!(true);
    let errs = errors_of(catalog(), &gw);
    for prefix in [
        "metadata.labelz: unknown field",
        "spec.servers[0].port.number: expected integer, got string",
        "spec.servers[0].tls.mode: unsupported value \"simple\"",
        "spec.servers[1].hosts: expected array, got string",
        "spec.servers[1].port.protocol: required field missing",
        "spec.selector.istio: expected string, got integer",
        "spec.extra: unknown field",
        CEL_NOT_CHECKED,
    ] {
        assert_has_error(&errs, prefix);
    }
    assert_eq!(errs.len(), 8, "{errs:#?}");
}

#[test]
fn istio_virtual_service_is_valid_and_checks_one_of() {
    let catalog = catalog();
    let mut vs = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": { "name": "app", "namespace": "tenant-a" },
        "spec": {
            "hosts": ["app.example.com"],
            "gateways": ["istio-ingress/public-gateway"],
            "http": [
                {
                    "name": "api",
                    "match": [ { "uri": { "prefix": "/api/" } }, { "uri": { "exact": "/api" } } ],
                    "route": [
                        {
                            "destination": {
                                "host": "api.tenant-a.svc.cluster.local",
                                "port": { "number": 8080 }
                            },
                            "weight": 100
                        }
                    ],
                    "timeout": "15s",
                    "retries": {
                        "attempts": 3,
                        "perTryTimeout": "5s",
                        "retryOn": "gateway-error,connect-failure,refused-stream"
                    }
                }
            ]
        }
    });
    assert_valid(catalog, &vs);

    // Two alternatives of the StringMatch oneOf at once.
    vs["spec"]["http"][0]["match"][0]["uri"]["exact"] = json!("/api/");
    // int32 range.
    vs["spec"]["http"][0]["retries"]["attempts"] = json!(1_u64 << 31);
    // Integer field given a fraction.
    vs["spec"]["http"][0]["route"][0]["weight"] = json!(50.5);
    // Nullable fields accept null, others do not.
    vs["spec"]["http"][0]["retries"]["retryRemoteLocalities"] = Value::Null;
    vs["spec"]["http"][0]["timeout"] = Value::Null;
    let errs = errors_of(catalog, &vs);
    assert_has_error(&errs, "spec.http[0].match[0].uri: must match exactly one oneOf schema, matched 2");
    assert_has_error(
        &errs,
        "spec.http[0].retries.attempts: value 2147483648 is out of range for format int32",
    );
    assert_has_error(&errs, "spec.http[0].route[0].weight: expected integer, got number");
    assert_has_error(&errs, "spec.http[0].timeout: expected string, got null");
    assert_has_error(&errs, CEL_NOT_CHECKED);
    assert_eq!(errs.len(), 5, "{errs:#?}");
}

#[test]
fn istio_security_policies_are_valid() {
    let catalog = catalog();
    let peer = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": { "name": "default", "namespace": "tenant-a" },
        "spec": {
            "selector": { "matchLabels": { "app": "api" } },
            "mtls": { "mode": "STRICT" },
            "portLevelMtls": { "8080": { "mode": "PERMISSIVE" } }
        }
    });
    assert_valid(catalog, &peer);

    let authz = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": { "name": "allow-ingress", "namespace": "tenant-a" },
        "spec": {
            "selector": { "matchLabels": { "app": "api" } },
            "action": "ALLOW",
            "rules": [
                {
                    "from": [ {
                        "source": {
                            "principals": ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"]
                        }
                    } ],
                    "to": [ { "operation": { "methods": ["GET", "POST"], "paths": ["/api/*"] } } ],
                    "when": [ { "key": "request.headers[x-tenant]", "values": ["a"] } ]
                }
            ]
        }
    });
    assert_valid(catalog, &authz);

    let mut bad = peer.clone();
    bad["spec"]["mtls"]["mode"] = json!("strict");
    bad["spec"]["portLevelMtls"] = json!({});
    let errs = errors_of(catalog, &bad);
    assert_has_error(&errs, "spec.mtls.mode: unsupported value \"strict\"");
    assert_has_error(&errs, "spec.portLevelMtls: has 0 properties, must have at least 1");

    let mut bad = authz.clone();
    bad["spec"]["action"] = json!("PERMIT");
    bad["spec"]["rules"][0]["when"][0].as_object_mut().unwrap().remove("key");
    bad["spec"]["targetRef"] = json!({ "kind": "Gateway", "name": "gw", "group": "Not_A_Group" });
    let errs = errors_of(catalog, &bad);
    assert_has_error(&errs, "spec.action: unsupported value \"PERMIT\"");
    assert_has_error(&errs, "spec.rules[0].when[0].key: required field missing");
    assert_has_error(&errs, "spec.targetRef.group: value \"Not_A_Group\" does not match pattern");
    // `selector` and `targetRef` together break a CEL rule, which is not run here.
    assert_has_error(&errs, CEL_NOT_CHECKED);
    assert_eq!(errs.len(), 4, "{errs:#?}");
}

fn certificate() -> Value {
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": { "name": "app-example-com", "namespace": "istio-ingress" },
        "spec": {
            "secretName": "app-example-com-tls",
            "commonName": "app.example.com",
            "dnsNames": ["app.example.com", "*.apps.example.com"],
            "duration": "2160h",
            "renewBefore": "360h",
            "privateKey": { "algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always" },
            "usages": ["digital signature", "key encipherment", "server auth"],
            "issuerRef": { "name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io" }
        }
    })
}

#[test]
fn cert_manager_certificate_is_valid() {
    let catalog = catalog();
    assert_valid(catalog, &certificate());

    let mut bad = certificate();
    bad["spec"].as_object_mut().unwrap().remove("issuerRef");
    bad["spec"]["privateKey"]["algorithm"] = json!("DSA");
    bad["spec"]["dnsNames"] = json!([1]);
    let errs = errors_of(catalog, &bad);
    assert_has_error(&errs, "spec.issuerRef: required field missing");
    assert_has_error(&errs, "spec.privateKey.algorithm: unsupported value \"DSA\"");
    assert_has_error(&errs, "spec.dnsNames[0]: expected string, got integer");
    assert_eq!(errs.len(), 3, "{errs:#?}");
}

#[test]
fn cert_manager_acme_cluster_issuer_is_valid() {
    let catalog = catalog();
    let issuer = json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": { "name": "letsencrypt" },
        "spec": {
            "acme": {
                "server": "https://acme-v02.api.letsencrypt.org/directory",
                "email": "ops@example.com",
                "privateKeySecretRef": { "name": "letsencrypt-account-key" },
                "solvers": [
                    {
                        "http01": {
                            "gatewayHTTPRoute": {
                                "parentRefs": [ {
                                    "name": "public-gateway",
                                    "namespace": "istio-ingress",
                                    "kind": "Gateway",
                                    "sectionName": "http"
                                } ]
                            }
                        }
                    },
                    {
                        "selector": { "dnsZones": ["example.com"] },
                        "dns01": {
                            "route53": {
                                "region": "eu-west-1",
                                "hostedZoneID": "Z0123456789ABCDEFGHIJ",
                                "accessKeyIDSecretRef": { "name": "route53", "key": "access-key-id" },
                                "secretAccessKeySecretRef": { "name": "route53", "key": "secret-access-key" }
                            }
                        }
                    }
                ]
            }
        }
    });
    assert_valid(catalog, &issuer);

    let mut bad = issuer.clone();
    bad["spec"]["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]["parentRefs"][0]["sectionName"] =
        json!("HTTP");
    bad["spec"]["acme"]["solvers"][1]["dns01"]["route53"]["hostedZoneId"] = json!("typo");
    bad["spec"]["acme"]["caBundle"] = json!("not base64!");
    let errs = errors_of(catalog, &bad);
    assert_has_error(
        &errs,
        "spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].sectionName: value \"HTTP\" \
         does not match pattern",
    );
    assert_has_error(&errs, "spec.acme.solvers[1].dns01.route53.hostedZoneId: unknown field");
    assert_has_error(&errs, "spec.acme.caBundle: value is not valid base64");
    assert_eq!(errs.len(), 3, "{errs:#?}");
}

fn gateway_api_gateway() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": { "name": "public", "namespace": "istio-ingress" },
        "spec": {
            "gatewayClassName": "istio",
            "listeners": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "hostname": "*.example.com",
                    "allowedRoutes": { "namespaces": { "from": "All" } }
                },
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "hostname": "*.example.com",
                    "tls": {
                        "mode": "Terminate",
                        "certificateRefs": [ { "kind": "Secret", "name": "wildcard-example-com-tls" } ]
                    },
                    "allowedRoutes": {
                        "namespaces": {
                            "from": "Selector",
                            "selector": { "matchLabels": { "mesh-ingress/expose": "true" } }
                        },
                        "kinds": [ { "kind": "HTTPRoute" } ]
                    }
                }
            ]
        }
    })
}

fn http_route() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": { "name": "https-redirect", "namespace": "istio-ingress" },
        "spec": {
            "parentRefs": [ { "name": "public", "sectionName": "http" } ],
            "hostnames": ["app.example.com"],
            "rules": [
                {
                    "matches": [ { "path": { "type": "PathPrefix", "value": "/" } } ],
                    "filters": [
                        {
                            "type": "RequestRedirect",
                            "requestRedirect": { "scheme": "https", "statusCode": 301 }
                        }
                    ]
                }
            ]
        }
    })
}

#[test]
fn gateway_api_gateway_and_http_route_are_valid() {
    let catalog = catalog();
    assert_valid(catalog, &gateway_api_gateway());
    assert_valid(catalog, &http_route());

    let mut route = http_route();
    route["spec"]["rules"][0]["filters"][0]["requestRedirect"]["statusCode"] = json!(300);
    route["spec"]["hostnames"][0] = json!("App.Example.com");
    route["spec"]["rules"][0]["filters"][0]["type"] = json!("Redirect");
    let errs = errors_of(catalog, &route);
    assert_has_error(
        &errs,
        "spec.rules[0].filters[0].requestRedirect.statusCode: unsupported value 300, expected \
         one of [301, 302, 303, 307, 308]",
    );
    assert_has_error(&errs, "spec.hostnames[0]: value \"App.Example.com\" does not match pattern");
    assert_has_error(&errs, "spec.rules[0].filters[0].type: unsupported value \"Redirect\"");
    assert_has_error(&errs, CEL_NOT_CHECKED);
    assert_eq!(errs.len(), 4, "{errs:#?}");

    let mut gw = gateway_api_gateway();
    gw["spec"]["listeners"][1]["name"] = json!("http");
    gw["spec"]["listeners"][0]["port"] = json!(0);
    let errs = errors_of(catalog, &gw);
    assert_has_error(&errs, "spec.listeners[1]: duplicate entry with key (name=\"http\"), same as [0]");
    assert_has_error(&errs, "spec.listeners[0].port: value 0 must be at least 1");
    assert_has_error(&errs, "spec.listeners: Listener name must be unique within the Gateway");
    assert_eq!(errs.len(), 3, "{errs:#?}");
}

#[test]
fn defaults_are_applied_before_validation() {
    let catalog = catalog();
    // Gateway API addresses: `type` defaults to IPAddress, which the oneOf relies
    // on; without defaulting, both oneOf branches would match.
    let mut gw = gateway_api_gateway();
    gw["spec"]["addresses"] = json!([
        { "value": "10.0.0.10" },
        { "value": "2001:db8::1" },
        { "type": "Hostname", "value": "lb.example.com" }
    ]);
    assert_valid(catalog, &gw);
    gw["spec"]["addresses"] = json!([ { "value": "lb.example.com" } ]);
    let errs = errors_of(catalog, &gw);
    assert_has_error(&errs, "spec.addresses[0]: must match exactly one oneOf schema, matched none");

    // HTTPRoute without rules gets the default catch-all rule.
    let mut route = http_route();
    route["spec"].as_object_mut().unwrap().remove("rules");
    let defaulted = catalog.with_defaults(&route).unwrap();
    assert_eq!(
        defaulted["spec"]["rules"],
        json!([ { "matches": [ { "path": { "type": "PathPrefix", "value": "/" } } ] } ])
    );
    assert_eq!(defaulted["spec"]["parentRefs"][0]["kind"], json!("Gateway"));
    assert_valid(catalog, &route);
}

#[test]
fn unknown_and_unserved_kinds_are_reported() {
    let catalog = catalog();
    let mut obj = istio_gateway();
    obj["kind"] = json!("Gateway2");
    let errs = errors_of(catalog, &obj);
    assert_eq!(
        errs,
        vec!["apiVersion/kind: unknown apiVersion \"networking.istio.io/v1\" kind \"Gateway2\"".to_string()]
    );

    let mut obj = istio_gateway();
    obj["apiVersion"] = json!("networking.istio.io/v2");
    let errs = errors_of(catalog, &obj);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("known apiVersions of this kind: [\"networking.istio.io/v1\""), "{errs:?}");

    let tcp_route = json!({
        "apiVersion": "gateway.networking.k8s.io/v1alpha2",
        "kind": "TCPRoute",
        "metadata": { "name": "db" },
        "spec": { "rules": [ { "backendRefs": [ { "name": "db", "port": 5432 } ] } ] }
    });
    let errs = errors_of(catalog, &tcp_route);
    assert_eq!(
        errs,
        vec![
            "apiVersion: version \"gateway.networking.k8s.io/v1alpha2\" of kind \"TCPRoute\" is not \
             served"
                .to_string()
        ]
    );

    let errs = errors_of(catalog, &json!({ "kind": "Gateway", "metadata": { "name": "x" } }));
    assert_eq!(errs, vec!["apiVersion: required field missing".to_string()]);
    let errs = errors_of(catalog, &json!([]));
    assert_eq!(errs, vec!["<root>: expected object, got array".to_string()]);
}

#[test]
fn metadata_is_checked_as_object_meta() {
    let catalog = catalog();
    let mut gw = istio_gateway();
    gw["metadata"] = json!({
        "namespace": "Istio_Ingress",
        "labels": { "bad key!": "x", "ok": "not valid value" },
        "annotations": { "note": 5 },
        "finalizers": ["example.com/cleanup"],
        "resourceVersion": "12",
        "creationTimestamp": null,
        "owner": "me"
    });
    let errs = errors_of(catalog, &gw);
    for prefix in [
        "metadata.name: required field missing",
        "metadata.namespace: invalid namespace \"Istio_Ingress\"",
        "metadata.labels[\"bad key!\"]: invalid key",
        "metadata.labels.ok: invalid label value \"not valid value\"",
        "metadata.annotations.note: expected string, got integer",
        "metadata.owner: unknown field",
    ] {
        assert_has_error(&errs, prefix);
    }
    assert_eq!(errs.len(), 6, "{errs:#?}");

    gw["metadata"] = json!({ "name": "Public" });
    let errs = errors_of(catalog, &gw);
    assert_has_error(&errs, "metadata.name: invalid name \"Public\"");
    gw["metadata"] = json!("public");
    let errs = errors_of(catalog, &gw);
    assert_eq!(errs, vec!["metadata: expected object, got string".to_string()]);
}

#[test]
fn cel_rules_are_listed() {
    let catalog = catalog();
    let rules = catalog.cel_rules_at("gateway.networking.k8s.io/v1", "HTTPRoute");
    assert!(rules.len() > 20, "{}", rules.len());
    assert!(
        rules.iter().any(|(path, rule)| path == "spec.rules[*].filters[*]"
            && rule == "!(has(self.requestRedirect) && self.type != 'RequestRedirect')"),
        "{rules:#?}"
    );
    for (path, rule) in rules.iter().take(5) {
        eprintln!("{path}: {rule}");
    }
    let istio = catalog.cel_rules_at("networking.istio.io/v1", "Gateway");
    assert!(!istio.is_empty());
    assert!(catalog.cel_rules_at("example.com/v1", "Nope").is_empty());
}

#[test]
fn istio_master_crds_load_and_validate() {
    let master = CrdCatalog::load(&upstream_apis::crds_dir().join("istio/istio-crds-master.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(master.knows("networking.istio.io/v1", "Gateway"));
    assert!(master.knows("security.istio.io/v1", "AuthorizationPolicy"));
    assert!(master.len() >= 31, "{}", master.len());
    assert!(master.skipped_patterns().is_empty(), "{:?}", master.skipped_patterns());
    assert_valid(&master, &istio_gateway());
    assert!(
        master
            .validate(&json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": { "name": "x" }
            }))
            .is_err()
    );
}

#[test]
fn yaml_manifests_validate() {
    let manifest = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: yaml-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: tls}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
spec:
  mtls:
    mode: STRICT
"#;
    let docs = parse_yaml_documents(manifest).unwrap();
    assert_eq!(docs.len(), 2);
    for doc in &docs {
        assert_valid(catalog(), doc);
    }
}

/// A synthetic CRD exercising every implemented keyword.
const SYNTHETIC: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-crd
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            x-kubernetes-validations:
            - rule: self.size > 0
            properties:
              size: {type: integer, format: int32, minimum: 1, maximum: 10, exclusiveMaximum: true}
              ratio: {type: number, exclusiveMinimum: true, minimum: 0, multipleOf: 0.5}
              name: {type: string, minLength: 2, maxLength: 4}
              code: {type: string, pattern: "[0-9]{3}"}
              lookahead: {type: string, pattern: "^(?=a)a$"}
              port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
              comment: {type: string, nullable: true}
              mode: {type: string, default: Fast, enum: [Fast, Slow]}
              addr: {type: string, format: ipv4}
              labels: {type: object, additionalProperties: {type: string, maxLength: 3}}
              closed: {type: object, additionalProperties: false, properties: {a: {type: string}}}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {n: {type: integer}}}
              anything: {x-kubernetes-preserve-unknown-fields: true}
              tags: {type: array, items: {type: string}, uniqueItems: true, minItems: 1, maxItems: 3}
              set: {type: array, items: {type: integer}, x-kubernetes-list-type: set}
              limits: {type: object, minProperties: 1, maxProperties: 2, additionalProperties: true}
              even:
                type: integer
                allOf: [{minimum: 0}, {multipleOf: 2}]
              choice:
                type: object
                properties:
                  a: {type: string}
                  b: {type: string}
                anyOf: [{required: [a]}, {required: [b]}]
                not: {required: [a, b]}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
  - name: v1beta1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

fn synthetic() -> CrdCatalog {
    CrdCatalog::from_yaml_str(SYNTHETIC, "synthetic").unwrap_or_else(|e| panic!("{e}"))
}

fn widget(spec: Value) -> Value {
    json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": { "name": "w", "generateName": "w-" },
        "spec": spec
    })
}

#[test]
fn synthetic_valid_widget() {
    let catalog = synthetic();
    assert_eq!(catalog.len(), 2);
    assert!(!catalog.knows("v1", "ConfigMap"));
    assert_valid(
        &catalog,
        &widget(json!({
            "size": 9,
            "ratio": 2,
            "name": "ab€",
            "code": "x123y",
            "lookahead": "anything: skipped pattern",
            "port": "http",
            "comment": null,
            "addr": "192.168.0.1",
            "labels": { "a": "xyz" },
            "closed": { "a": "x" },
            "free": { "n": 1, "other": [1, { "x": null }] },
            "anything": [1, "two"],
            "tags": ["a", "b"],
            "set": [1, 2, 3],
            "limits": { "cpu": 1 },
            "even": 4,
            "choice": { "b": "x" },
            "template": {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": { "labels": { "a": "b" } },
                "data": { "k": "v" }
            }
        })),
    );
    assert_valid(&catalog, &widget(json!({ "size": 1, "port": 80, "mode": null })));
    assert_eq!(
        catalog.skipped_patterns().iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        vec!["^(?=a)a$"]
    );
    assert_eq!(
        catalog.cel_rules_at("example.com/v1", "Widget"),
        vec![("spec".to_string(), "self.size > 0".to_string())]
    );
}

#[test]
fn synthetic_invalid_widget_reports_every_keyword() {
    let catalog = synthetic();
    let errs = errors_of(
        &catalog,
        &widget(json!({
            "size": 10,
            "ratio": 0.7,
            "name": "abcde",
            "code": "12",
            "port": 1.5,
            "addr": "300.1.1.1",
            "labels": { "a": "long" },
            "closed": { "b": "x" },
            "free": { "n": "one" },
            "tags": ["a", "a", "b", "c"],
            "set": [1, 2, 1],
            "limits": {},
            "even": -3,
            "choice": { "a": "x", "b": "y" },
            "template": { "kind": "ConfigMap", "metadata": { "bogus": 1 } },
            "mode": "Medium",
            "comment": 1,
            "unknown": 1
        })),
    );
    for prefix in [
        "spec.size: value 10 must be less than 10",
        "spec.ratio: value 0.7 must be a multiple of 0.5",
        "spec.name: is 5 characters long, must be at most 4",
        "spec.code: value \"12\" does not match pattern \"[0-9]{3}\"",
        "spec.port: expected integer or string, got number",
        "spec.addr: value \"300.1.1.1\" is not an IPv4 address",
        "spec.labels.a: is 4 characters long, must be at most 3",
        "spec.closed.b: unknown field",
        "spec.free.n: expected integer, got string",
        "spec.tags: has 4 items, must have at most 3",
        "spec.tags[1]: duplicate value \"a\", same as [0]",
        "spec.set[2]: duplicate value 1, same as [0]",
        "spec.limits: has 0 properties, must have at least 1",
        "spec.even: value -3 must be at least 0",
        "spec.even: value -3 must be a multiple of 2",
        "spec.choice: must not match the schema",
        "spec.template.apiVersion: required field missing",
        "spec.template.metadata.bogus: unknown field",
        "spec.mode: unsupported value \"Medium\", expected one of [\"Fast\", \"Slow\"]",
        "spec.comment: expected string, got integer",
        "spec.unknown: unknown field",
        CEL_NOT_CHECKED,
    ] {
        assert_has_error(&errs, prefix);
    }
    assert_eq!(errs.len(), 22, "{errs:#?}");

    let errs = errors_of(&catalog, &widget(json!({ "choice": {}, "size": 0, "ratio": 0 })));
    assert_has_error(&errs, "spec.choice: must match at least one anyOf schema");
    assert_has_error(&errs, "spec.size: value 0 must be at least 1");
    assert_has_error(&errs, "spec.ratio: value 0 must be greater than 0");
    // A rule without a message reports itself.
    assert_has_error(
        &errs,
        "spec: failed rule: self.size > 0 (x-kubernetes-validations rule: self.size > 0)",
    );
    assert_eq!(errs.len(), 4, "{errs:#?}");

    let errs = errors_of(&catalog, &widget(json!({})));
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0], "spec.size: required field missing");
    assert!(errs[1].starts_with(CEL_NOT_CHECKED), "{errs:?}");

    let mut unserved = widget(json!({ "anything": 1 }));
    unserved["apiVersion"] = json!("example.com/v1beta1");
    let errs = errors_of(&catalog, &unserved);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].ends_with("is not served"), "{errs:?}");
}

#[test]
fn malformed_crds_are_load_errors() {
    let err = CrdCatalog::from_yaml_str(
        "kind: CustomResourceDefinition\nspec:\n  group: example.com\n",
        "bad.yaml",
    )
    .unwrap_err();
    assert!(err.contains("bad.yaml") && err.contains("spec.names.kind"), "{err}");
    let err = CrdCatalog::from_yaml_str("a: [unclosed", "broken.yaml").unwrap_err();
    assert!(err.contains("broken.yaml") && err.contains("invalid YAML"), "{err}");
}

// ---- CEL rules (`x-kubernetes-validations`) ----

/// Every CRD source under `../shared/crds`, loaded on its own (the two Istio bundles define the
/// same kinds): `(name, catalog)`.
fn every_crd_source() -> Vec<(String, CrdCatalog)> {
    let crds = upstream_apis::crds_dir();
    let mut sources =
        vec![crds.join("istio/istio-crds-1.30.3.yaml"), crds.join("istio/istio-crds-master.yaml")];
    let mut dirs: Vec<_> = std::fs::read_dir(&crds)
        .unwrap_or_else(|e| panic!("{}: {e}", crds.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("istio"))
        .collect();
    dirs.sort();
    sources.extend(dirs);
    sources
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(&crds).unwrap_or(&path).display().to_string();
            let catalog = CrdCatalog::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, catalog)
        })
        .collect()
}

/// Every CEL rule of every upstream CRD compiles and is evaluated, except transition rules (which
/// the API server runs on update only): a rule calling a function the evaluator lacks fails here
/// rather than passing silently. The rules left out are printed with their reason.
#[test]
fn every_upstream_cel_rule_is_evaluated_or_explained() {
    let sources = every_crd_source();
    let names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["cert-manager", "gateway-api", "sail-operator", "argocd", "flux"] {
        assert!(names.contains(&expected), "{expected} not among {names:?}");
    }
    let mut unexplained = Vec::new();
    let mut total = 0;
    for (name, catalog) in &sources {
        let (compiled, ready) = catalog.cel_counts();
        total += compiled;
        eprintln!("{name}: {compiled} distinct CEL rules, {ready} evaluated");
        for (rule, reason) in catalog.cel_not_evaluable() {
            eprintln!("note: {name}: CEL rule not evaluated ({reason}): {rule}");
            if !reason.starts_with("transition rule") {
                unexplained.push(format!("{name}: {rule}: {reason}"));
            }
        }
    }
    assert!(total > 100, "only {total} CEL rules found");
    assert!(unexplained.is_empty(), "CEL rules the evaluator cannot run:\n{}", unexplained.join("\n"));
}

/// Functions and rule shapes the evaluator must not let pass: an unknown function, a typo'd method
/// and an unparsable rule are not evaluable (with the reason); `oldSelf` marks a transition rule.
#[test]
fn cel_rules_that_cannot_run_are_explained() {
    use crd_schema::crd_cel::{Compiled, compile};
    let reason = |rule: &str| match compile(rule) {
        Compiled::NotEvaluable(reason) => reason,
        Compiled::Ready(_) => panic!("{rule} compiled"),
    };
    assert!(reason("quantity(self).isGreaterThan(quantity('1'))").contains("isGreaterThan, quantity"));
    assert!(reason("self.lowerAscii().trimSpace() == ''").contains("trimSpace"));
    assert!(reason("self ==").starts_with("does not parse"));
    assert!(reason("self == oldSelf").starts_with("transition rule"));
    assert!(matches!(compile("isURL(self) && url(self).getHostname() != ''"), Compiled::Ready(_)));
}

/// The Kubernetes library functions behave as the API server's: Go's `url.ParseRequestURI` for
/// `isURL` / `url`, and `isIP` without zones or IPv4-mapped IPv6.
#[test]
fn kubernetes_cel_library_functions() {
    use crd_schema::crd_cel::{is_ip, parse_request_uri};
    for good in
        ["https://example.com/jwks", "http://[::1]:8080/x", "/absolute/path", "oci:ghcr.io/a", "file:///x"]
    {
        assert!(parse_request_uri(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "example.com/jwks",
        "ghcr.io/a/b:1",
        ":no-scheme",
        "https://exa mple.com/",
        "https://h:port/",
        "http://x/%zz",
    ] {
        assert!(parse_request_uri(bad).is_err(), "{bad}");
    }
    assert!(is_ip("10.0.0.1") && is_ip("2001:db8::1"));
    assert!(
        !is_ip("::ffff:10.0.0.1") && !is_ip("example.com") && !is_ip("10.0.0.1/32") && !is_ip("010.0.0.1")
    );
    assert_eq!(crd_schema::crd_cel::escape_property("namespace").as_deref(), Some("__namespace__"));
    assert_eq!(
        crd_schema::crd_cel::escape_property("x-y.z/w__v").as_deref(),
        Some("x__dash__y__dot__z__slash__w__underscores__v")
    );
    assert_eq!(crd_schema::crd_cel::escape_property("1abc"), None);
}

/// The sail-operator catalog (root rules on `metadata.name`, escaped `namespace`).
fn sail_catalog() -> CrdCatalog {
    CrdCatalog::load(&upstream_apis::crds_dir().join("sail-operator")).unwrap_or_else(|e| panic!("{e}"))
}

/// Known-bad objects fail with the message of the rule they break, at the node that declares it;
/// the same objects, fixed, pass.
#[test]
fn cel_rules_reject_known_bad_objects_with_their_message() {
    let catalog = catalog();

    // Istio AuthorizationPolicy: `selector` and `targetRef` at once.
    let mut authz = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": { "name": "edge", "namespace": "istio-ingress" },
        "spec": {
            "selector": { "matchLabels": { "istio": "ingressgateway" } },
            "action": "DENY",
            "rules": [ { "to": [ { "operation": { "paths": ["/admin"] } } ] } ]
        }
    });
    assert_valid(catalog, &authz);
    authz["spec"]["targetRef"] =
        json!({ "kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw" });
    let errs = errors_of(catalog, &authz);
    assert_eq!(
        errs,
        vec![
            "spec: only one of targetRefs or selector can be set (x-kubernetes-validations rule: \
             (has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1)"
                .to_string()
        ]
    );

    // Gateway API HTTPRoute: path matches that are not absolute or not normalized.
    for (value, message) in [
        ("api", "spec.rules[0].matches[0].path: value must be an absolute path and start with '/'"),
        ("/a//b", "spec.rules[0].matches[0].path: must not contain '//'"),
        ("/a/..", "spec.rules[0].matches[0].path: must not end with '/..'"),
        ("/a b", "spec.rules[0].matches[0].path: must only contain valid characters"),
    ] {
        let mut route = http_route();
        route["spec"]["rules"][0]["matches"][0]["path"]["value"] = json!(value);
        let errs = errors_of(catalog, &route);
        assert_has_error(&errs, message);
        assert_eq!(errs.len(), 1, "{value}: {errs:#?}");
    }
    // A regular expression is not held to those rules.
    let mut route = http_route();
    route["spec"]["rules"][0]["matches"][0]["path"] =
        json!({ "type": "RegularExpression", "value": "api.*" });
    assert_valid(catalog, &route);
    // Timeouts: `duration()` comparisons.
    route["spec"]["rules"][0]["timeouts"] = json!({ "request": "10s", "backendRequest": "15s" });
    assert_fails_with(
        catalog,
        &route,
        "spec.rules[0].timeouts: backendRequest timeout cannot be longer than request timeout",
    );
    route["spec"]["rules"][0]["timeouts"] = json!({ "request": "10s", "backendRequest": "1500ms" });
    assert_valid(catalog, &route);

    // cert-manager ClusterIssuer: exactly one Venafi connection.
    let mut issuer = json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": { "name": "venafi" },
        "spec": { "venafi": {
            "zone": "DevOps\\Default",
            "cloud": { "apiTokenSecretRef": { "name": "venafi-cloud", "key": "token" } }
        } }
    });
    assert_valid(catalog, &issuer);
    issuer["spec"]["venafi"]["tpp"] =
        json!({ "url": "https://tpp.example.com/vedsdk", "credentialsRef": { "name": "tpp" } });
    assert_fails_with(catalog, &issuer, "spec.venafi: exactly one of tpp, cloud, or ngts must be configured");

    // Istio RequestAuthentication: `url(...).getScheme()` on the JWKS URI.
    let mut request_authn = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "RequestAuthentication",
        "metadata": { "name": "jwt", "namespace": "istio-ingress" },
        "spec": {
            "selector": { "matchLabels": { "istio": "ingressgateway" } },
            "jwtRules": [ { "issuer": "https://issuer.example.com", "jwksUri": "https://issuer.example.com/jwks" } ]
        }
    });
    assert_valid(catalog, &request_authn);
    request_authn["spec"]["jwtRules"][0]["jwksUri"] = json!("ftp://issuer.example.com/jwks");
    assert_fails_with(
        catalog,
        &request_authn,
        "spec.jwtRules[0].jwksUri: url must have scheme http:// or https://",
    );
    // Not a URL at all: `url()` errs, and that rejects the object too.
    request_authn["spec"]["jwtRules"][0]["jwksUri"] = json!("issuer.example.com/jwks");
    assert_fails_with(catalog, &request_authn, "spec.jwtRules[0].jwksUri: x-kubernetes-validations rule");
    // A second JWKS source on the same rule.
    request_authn["spec"]["jwtRules"][0]["jwksUri"] = json!("https://issuer.example.com/jwks");
    request_authn["spec"]["jwtRules"][0]["jwks"] = json!("{\"keys\":[]}");
    assert_fails_with(catalog, &request_authn, "spec.jwtRules[0]: only one of jwks or jwksUri can be set");

    // Istio WasmPlugin: `isURL` / `url` with a bare registry reference, and a wrong scheme.
    let mut wasm = json!({
        "apiVersion": "extensions.istio.io/v1alpha1",
        "kind": "WasmPlugin",
        "metadata": { "name": "filter", "namespace": "istio-ingress" },
        "spec": { "url": "ghcr.io/example/filter:1.0" }
    });
    assert_valid(catalog, &wasm);
    wasm["spec"]["url"] = json!("oci://ghcr.io/example/filter:1.0");
    assert_valid(catalog, &wasm);
    wasm["spec"]["url"] = json!("ftp://example.com/filter.wasm");
    assert_fails_with(catalog, &wasm, "spec.url: url must have schema one of [http, https, file, oci]");

    // Istio ServiceEntry: `substring` on a unix socket address; `int()` on PeerAuthentication ports.
    let mut entry = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": { "name": "socket", "namespace": "tenant-a" },
        "spec": {
            "hosts": ["uds.local"],
            "ports": [ { "number": 80, "name": "http", "protocol": "HTTP" } ],
            "resolution": "STATIC",
            "endpoints": [ { "address": "unix:///var/run/app.sock" } ]
        }
    });
    assert_valid(catalog, &entry);
    entry["spec"]["endpoints"][0]["address"] = json!("unix://var/run/app.sock/");
    let errs = errors_of(catalog, &entry);
    assert_has_error(&errs, "spec.endpoints[0].address: UDS must be an absolute path or abstract socket");
    assert_has_error(&errs, "spec.endpoints[0].address: UDS may not be a dir");
    let peer = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": { "name": "ports", "namespace": "tenant-a" },
        "spec": { "portLevelMtls": { "0": { "mode": "DISABLE" } } }
    });
    let errs = errors_of(catalog, &peer);
    assert_has_error(&errs, "spec.portLevelMtls: port must be between 1-65535");
    assert_has_error(&errs, "spec: portLevelMtls requires selector");

    // Gateway API TLSRoute: `isIP` on hostnames.
    let served_tls_route = catalog
        .entries()
        .into_iter()
        .find(|(_, kind, served)| kind == "TLSRoute" && *served)
        .map(|(api_version, _, _)| api_version)
        .unwrap_or_else(|| panic!("no served TLSRoute version"));
    let mut tls_route = json!({
        "apiVersion": served_tls_route,
        "kind": "TLSRoute",
        "metadata": { "name": "passthrough", "namespace": "istio-ingress" },
        "spec": {
            "parentRefs": [ { "name": "public" } ],
            "hostnames": ["db.example.com"],
            "rules": [ { "backendRefs": [ { "name": "db", "port": 5432 } ] } ]
        }
    });
    assert_valid(catalog, &tls_route);
    tls_route["spec"]["hostnames"] = json!(["10.0.0.1"]);
    assert_fails_with(catalog, &tls_route, "spec.hostnames: Hostnames cannot contain an IP");

    // Sail operator: rules on the root (`metadata.name`) and on an escaped property (`namespace`).
    let sail = sail_catalog();
    let mut cni = json!({
        "apiVersion": "sailoperator.io/v1",
        "kind": "IstioCNI",
        "metadata": { "name": "default" },
        "spec": { "namespace": "istio-cni" }
    });
    assert_valid(&sail, &cni);
    cni["metadata"]["name"] = json!("cni");
    assert_eq!(
        errors_of(&sail, &cni),
        vec!["<root>: metadata.name must be 'default' (x-kubernetes-validations rule: self.metadata.name == 'default')"
            .to_string()]
    );
    let mut revision = json!({
        "apiVersion": "sailoperator.io/v1",
        "kind": "IstioRevision",
        "metadata": { "name": "default" },
        "spec": {
            "version": "v1.30.3",
            "namespace": "istio-system",
            "values": { "global": { "istioNamespace": "istio-system" } }
        }
    });
    assert_valid(&sail, &revision);
    revision["spec"]["values"]["global"]["istioNamespace"] = json!("other");
    assert_fails_with(&sail, &revision, "spec: spec.values.global.istioNamespace must match spec.namespace");
}

/// `messageExpression` wins over `message`; `fieldPath` moves the error; a transition rule is not
/// run on create.
#[test]
fn cel_message_expression_field_path_and_transition_rules() {
    let catalog = CrdCatalog::from_yaml_str(
        r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.min <= self.max
              message: min must not exceed max
              messageExpression: "'min ' + string(self.min) + ' exceeds max ' + string(self.max)"
            - rule: "!has(self.alias) || self.alias != self.name"
              fieldPath: .alias
              message: alias repeats the name
            - rule: self.name == oldSelf.name
              message: name is immutable
            properties:
              min: {type: integer}
              max: {type: integer}
              name: {type: string}
              alias: {type: string}
"#,
        "gadget",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let gadget = |spec: Value| json!({ "apiVersion": "example.com/v1", "kind": "Gadget", "metadata": { "name": "g" }, "spec": spec });
    assert_valid(&catalog, &gadget(json!({ "min": 1, "max": 2, "name": "a" })));
    let errs = errors_of(&catalog, &gadget(json!({ "min": 3, "max": 2, "name": "a", "alias": "a" })));
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs[0].starts_with("spec: min 3 exceeds max 2 (x-kubernetes-validations rule"), "{errs:#?}");
    assert!(errs[1].starts_with("spec.alias: alias repeats the name"), "{errs:#?}");
    assert_eq!(catalog.cel_not_evaluable().len(), 1, "{:?}", catalog.cel_not_evaluable());
}
