//! Cross-object consistency of a rendered ingress stack: an oracle that looks only at the output
//! items and the function config, never at the function's own types.
//!
//! [`check_stack`] takes every output item (generated objects and passthrough input alike) and the
//! function config, and returns one human-readable violation per problem, each as
//! `[<check>] <group>/<Kind> <namespace>/<name>: <message>`. The `<check>` ids are listed in
//! [`CHECKS`]; tests match on them.
//!
//! *Sources* of references (the objects whose fields are checked) are the **generated** objects:
//! those labelled `mesh-ingress.dev/instance: <instance of the config>`. *Targets* of references may
//! be any output item, because a user may supply, say, the gateway namespace or a Deployment as input.
//!
//! The rules and where they come from (paths are in the upstream repositories;
//! `research` is `../shared/research/istio-certmanager-resources.md`):
//!
//! * Istio Gateways select gateway pods in their namespace (`istioctl analyze` IST0101,
//!   `pkg/config/analysis/analyzers/gateway/gateway.go`); a `credentialName` secret is read from the
//!   namespace of the gateway *pods* (`gateway/secret.go`, `pilot/pkg/xds/sds.go`), so a Certificate
//!   writing that secret must live there; the Services selecting the pods expose every server port
//!   (IST0162) and the status port 15021 (load balancer health checks, research section 7).
//! * Two Gateways on the same pods must not serve the same port with overlapping hosts (IST0145,
//!   `gateway/conflictinggateway.go`) nor share a `credentialName` (IST0138, `gateway/certificate.go`).
//! * VirtualService `gateways` resolve (IST0101, `virtualservice/gateways.go`) and each host is
//!   served by one of them (IST0132), with Istio's host semantics (`ns/host` restrictions, leftmost
//!   `*` wildcards; `pkg/config/host/name.go` `Matches`); the weights of a rule with several
//!   destinations add up to 100 (the function's contract: percentages). TLS routes' SNI hosts are
//!   served by a `PASSTHROUGH` server of the route's gateways and TCP routes' ports by a `TCP` (or
//!   TLS-terminating) server (`pilot/pkg/networking/core/gateway.go` builds filter chains only there).
//! * DestinationRules: Istio applies one per host and merges none (`pilot/pkg/model/sidecar.go`
//!   picks the most specific), so no two generated ones share a host; a subset a VirtualService
//!   names is defined by the host's DestinationRule (IST0101, `virtualservice/destinationrules.go`)
//!   and, when the Service is in the output, selects pods (IST0173, `destinationrule/subset.go`);
//!   a namespace whose PeerAuthentication is STRICT accepts only `ISTIO_MUTUAL` from clients.
//! * cert-manager: `issuerRef` resolves; an HTTP-01 solver configures exactly one of `ingress` /
//!   `gatewayHTTPRoute` (`internal/apis/certmanager/validation/issuer.go`: "no HTTP01 solver type
//!   configured"); wildcard names need DNS-01 (Let's Encrypt; `../shared/API.md`); the certificate
//!   covers every host of the server using its secret.
//! * Gateway API: a `Hostname` address names the Service of a manually deployed Istio gateway
//!   (`pilot/pkg/config/kube/gateway`), which must expose the listener ports; parentRefs resolve to
//!   a Gateway and listener that accept the route (`allowedRoutes`, default `Same` namespace). A
//!   challenge route is created in the Certificate's namespace (`gatewayHTTPRoute` docs).
//! * Injection (research sections 1.4 and 8): a namespace never has both `istio-injection` and
//!   `istio.io/rev` (IST0123); gateway pods carry `sidecar.istio.io/inject: "true"` and
//!   `inject.istio.io/templates: gateway`, and their namespace is not `istio-injection: disabled`;
//!   with a revision, pods and namespaces use `istio.io/rev: <revision>`.
//! * Kubernetes references: Service, PDB and workload selectors select pods; named `targetPort`s
//!   exist on those pods; HPA `scaleTargetRef`, RoleBinding `roleRef`/`subjects` and
//!   `serviceAccountName` resolve; a Deployment under an HPA has no `spec.replicas` (Kubernetes docs,
//!   "Migrating Deployments and StatefulSets to horizontal autoscaling"); a PDB leaves room for at
//!   least one voluntary eviction at the minimum replica count (the gateway chart renders a PDB only
//!   above one replica, research section 1.1).
//! * AuthorizationPolicy principals `<trust domain>/ns/<ns>/sa/<sa>` name generated
//!   ServiceAccounts.
//! * Security policies with a `selector` select the pods of a workload in their namespace
//!   (`istioctl analyze` IST0127, `authz/authorizationpolicies.go`); no generated `ALLOW`
//!   AuthorizationPolicy selects gateway pods, because one `ALLOW` policy makes a workload deny every
//!   request no `ALLOW` policy matches (Istio "Authorization Policy" reference, policy evaluation
//!   order), so it would block every route it does not name; and a JWT request principal
//!   (`<issuer>/<subject>`, split at the last `/` as `authz/model/generator.go` does) names an issuer
//!   that a RequestAuthentication on the same pods validates (`*` needs any), or it never matches.
//! * Ownership: every generated object has `app.kubernetes.io/managed-by: mesh-ingress`,
//!   `app.kubernetes.io/instance` and `mesh-ingress.dev/instance` (both the instance name); no two
//!   output objects share `(group, kind, namespace, name)`; selectors never use the mutable labels
//!   `app.kubernetes.io/version` or `app.kubernetes.io/instance` (a Deployment selector is immutable).
//! * Annotations that name ports or hosts: an AWS `healthcheck-port` names a port of the Service;
//!   external-dns `hostname` lists only hosts the gateway pods serve.
//! * The control plane, when the output holds one (a Sail Operator Istio, or Argo CD Applications or
//!   Flux HelmReleases of the istiod chart): every injection label of a generated Namespace or gateway
//!   pod names a revision it serves (the istiod chart's `revision` or `default`, and its
//!   `revisionTags`; an `InPlace` Sail Istio's name, and IstioRevisionTags that target it,
//!   `istio-injection: enabled` meaning `default`); a network gateway's `topology.istio.io/network`
//!   and the root namespace's are its `global.network`; Telemetry providers and CUSTOM
//!   AuthorizationPolicy providers are `meshConfig.extensionProviders` of a kind that fits; istiod
//!   follows the `base` chart (Flux `dependsOn`, Argo CD waves) and precedes the gateways' waves.
//!
//! Gateway workloads the config declares `external` (managed elsewhere, such as the AKS Istio add-on)
//! have no pods in the output: an Istio Gateway selecting exactly such a workload's labels in its
//! namespace is exempt from `gateway-selector` and `service-ports`; its credentials must still be
//! written by Certificates in that namespace.
//!
//! Deliberately not checked: PDB percentages (only integer `minAvailable` / `maxUnavailable` are
//! evaluated); `allowedRoutes.namespaces.from: Selector` (accepted without evaluating namespace
//! labels); VirtualService destinations and application namespaces that are not in the output (user
//! workloads live elsewhere); Istio Gateway `bind`; cluster domains other than `cluster.local`; and
//! anything that needs the live cluster (DNS records, existing secrets and issuers).
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The label that marks an object as generated by one instance.
pub const INSTANCE_LABEL: &str = "mesh-ingress.dev/instance";

/// The Istio gateway status port (readiness `/healthz/ready`), which load balancers probe.
pub const STATUS_PORT: i64 = 15021;

/// Every check id [`check_stack`] can report, with what it checks.
pub const CHECKS: &[(&str, &str)] = &[
    ("gateway-selector", "an Istio Gateway selects the pods of a workload in its namespace"),
    ("gateway-credential", "a credentialName is written by a Certificate in the gateway pods' namespace"),
    ("cert-coverage", "that Certificate covers every host of the server"),
    ("service-ports", "Services selecting gateway pods expose every server port and 15021"),
    ("gateway-conflict", "no two Gateways on the same pods serve one port with overlapping hosts (IST0145)"),
    ("gateway-duplicate-cert", "no two Gateways on the same pods share a credentialName (IST0138)"),
    (
        "virtualservice",
        "VirtualService gateways resolve, its hosts are served by them, weights add up to 100",
    ),
    (
        "destination-rule",
        "one DestinationRule per host; subsets routes name exist there and select pods; TLS suits the namespace's mTLS",
    ),
    ("l4-routes", "TLS routes' SNI hosts and TCP routes' ports are served by PASSTHROUGH and TCP servers"),
    ("issuer-ref", "a Certificate's issuerRef resolves to a generated (Cluster)Issuer"),
    ("acme-solver", "each ACME solver configures exactly one solver type"),
    ("acme-wildcard", "wildcard dnsNames are issued with a DNS-01 solver"),
    ("http01-reachability", "an HTTP-01 challenge route sits on the pods that serve the certificate's hosts"),
    ("gateway-api", "Gateway API addresses, listeners and parentRefs resolve and accept the route"),
    ("injection", "injection labels and annotations of namespaces and gateway pods"),
    ("refs", "selectors, scaleTargetRef, roleRef, subjects, serviceAccountName, backends resolve"),
    ("hpa-replicas", "a Deployment under an HPA does not set spec.replicas"),
    ("pdb-evictable", "a PDB allows at least one voluntary eviction at the minimum replica count"),
    ("authz-principal", "AuthorizationPolicy principals name generated ServiceAccounts"),
    ("policy-selector", "security policies with a selector select pods in their namespace (IST0127)"),
    ("gateway-allow", "no generated ALLOW AuthorizationPolicy selects gateway pods (it would deny the rest)"),
    ("jwt-issuer", "request principals name an issuer a RequestAuthentication on the same pods validates"),
    ("labels", "generated objects carry the ownership labels"),
    ("duplicate", "no two output objects share group, kind, namespace and name"),
    ("selector-labels", "selectors never use app.kubernetes.io/version or app.kubernetes.io/instance"),
    ("annotations", "load balancer and external-dns annotations name real ports and served hosts"),
    (
        "control-plane",
        "injection labels name a served revision; networks, extension providers and ordering agree with the rendered control plane",
    ),
];

/// Check that the objects of a rendered stack agree with each other; see the module docs.
///
/// `items` are all output items, `config` the function config (a `mesh-ingress.dev/v1alpha1`
/// MeshIngress or a v1 ConfigMap). Returns the violations, empty when the stack is consistent.
pub fn check_stack(items: &[Value], config: &Value) -> Vec<String> {
    let facts = ConfigFacts::of(config);
    let generated: Vec<&Value> = items
        .iter()
        .filter(|o| !facts.instance.is_empty() && label(o, INSTANCE_LABEL) == Some(facts.instance.as_str()))
        // Only what the instance provably generated: a copied label, an edited object the function
        // kept, or the config itself are the user's.
        .filter(|o| mesh_ingress::krm::digest::is_unedited(o))
        .collect();
    let mut ctx = Ctx { items, generated, facts, out: Vec::new() };
    check_istio_gateways(&mut ctx);
    check_gateway_conflicts(&mut ctx);
    check_virtual_services(&mut ctx);
    check_destination_rules(&mut ctx);
    check_l4_routes(&mut ctx);
    check_certificates(&mut ctx);
    check_issuers(&mut ctx);
    check_gateway_api(&mut ctx);
    check_injection(&mut ctx);
    check_references(&mut ctx);
    check_authorization(&mut ctx);
    check_security_policies(&mut ctx);
    check_ownership(&mut ctx);
    check_annotations(&mut ctx);
    check_control_plane(&mut ctx);
    ctx.out
}

// ---------------------------------------------------------------------------------------------
// Config facts

/// What the checker needs to know from the config.
struct ConfigFacts {
    /// Instance name: `metadata.name`, or `data.name` of a ConfigMap.
    instance: String,
    /// Istio revision (`spec.revision` / `data.revision`), empty for the default revision.
    revision: String,
    /// Trust domain of workload identities (`spec.mtls.trustDomain`, default `cluster.local`).
    trust_domain: String,
    /// Every `tls.credentialName` the config names: existing secrets managed elsewhere.
    external_credentials: BTreeSet<String>,
    /// Issuer names that may exist outside the output.
    external_issuers: Exempt,
    /// Gateway workloads managed outside the output: (namespace, pod labels).
    external_workloads: Vec<(String, BTreeMap<String, String>)>,
}

/// A set of exempt names, or every name.
enum Exempt {
    /// Only these names.
    Names(BTreeSet<String>),
    /// Every name.
    All,
}

impl Exempt {
    /// Whether `name` is exempt.
    fn contains(&self, name: &str) -> bool {
        match self {
            Exempt::All => true,
            Exempt::Names(names) => names.contains(name),
        }
    }
}

impl ConfigFacts {
    /// Read the facts from either config form.
    fn of(config: &Value) -> Self {
        let is_config_map = config["kind"] == "ConfigMap";
        let text = |v: &Value| v.as_str().unwrap_or_default().trim().to_string();
        if is_config_map {
            let data = &config["data"];
            // Without `email`, the ConfigMap form generates no issuer: whatever it names exists.
            let external_issuers = if data["email"].as_str().is_some_and(|e| !e.trim().is_empty()) {
                Exempt::Names(BTreeSet::new())
            } else {
                Exempt::All
            };
            return Self {
                instance: text(&data["name"]),
                revision: text(&data["revision"]),
                trust_domain: "cluster.local".to_string(),
                external_credentials: BTreeSet::new(),
                external_issuers,
                external_workloads: Vec::new(),
            };
        }
        let spec = &config["spec"];
        let mut external_credentials = BTreeSet::new();
        collect_credential_names(spec, &mut external_credentials);
        // Issuers declared `external` exist in the cluster, like issuers the config does not list.
        let generated: BTreeSet<String> = array(&spec["issuers"])
            .iter()
            .filter(|i| i["external"].as_bool() != Some(true))
            .map(|i| text(&i["name"]))
            .collect();
        // Certificates and the plugin CA may name a ClusterIssuer that already exists in the cluster,
        // and the config may declare existing issuers (which certificates take by default when first).
        let named: BTreeSet<String> = array(&spec["certificates"])
            .iter()
            .filter_map(|c| c["issuer"].as_str())
            .chain(spec["multicluster"]["pluginCA"]["issuer"].as_str())
            .chain(
                array(&spec["issuers"])
                    .iter()
                    .filter(|i| i["external"].as_bool() == Some(true))
                    .filter_map(|i| i["name"].as_str()),
            )
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let trust_domain = match text(&spec["mtls"]["trustDomain"]) {
            t if t.is_empty() => "cluster.local".to_string(),
            t => t,
        };
        let gateway_namespace = match text(&spec["namespace"]) {
            n if n.is_empty() => "istio-ingress".to_string(),
            n => n,
        };
        let external_workloads = array(&spec["gateways"])
            .iter()
            .map(|g| &g["workload"])
            .filter(|w| w["external"].as_bool() == Some(true))
            .map(|w| {
                let namespace = match text(&w["namespace"]) {
                    n if n.is_empty() => gateway_namespace.clone(),
                    n => n,
                };
                (namespace, string_map(&w["labels"]))
            })
            .collect();
        Self {
            instance: text(&config["metadata"]["name"]),
            revision: text(&spec["revision"]),
            trust_domain,
            external_credentials,
            external_issuers: Exempt::Names(named.difference(&generated).cloned().collect()),
            external_workloads,
        }
    }
}

/// Collect every string under `tls.credentialName` anywhere in `value`.
fn collect_credential_names(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("tls").and_then(|t| t["credentialName"].as_str())
                && !name.trim().is_empty()
            {
                out.insert(name.trim().to_string());
            }
            map.values().for_each(|v| collect_credential_names(v, out));
        }
        Value::Array(list) => list.iter().for_each(|v| collect_credential_names(v, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Object helpers

/// The API group of an object (`""` for the core group).
pub fn group(obj: &Value) -> &str {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or_default()
}

/// The group of an `apiVersion` string.
fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or_default()
}

/// `kind` of an object.
fn kind(obj: &Value) -> &str {
    obj["kind"].as_str().unwrap_or_default()
}

/// `metadata.namespace`, or `""`.
fn namespace(obj: &Value) -> &str {
    obj["metadata"]["namespace"].as_str().unwrap_or_default()
}

/// `metadata.name`, or `""`.
fn name(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

/// One label of an object.
fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj["metadata"]["labels"][key].as_str()
}

/// Whether `obj` is `group`/`kind`.
fn is(obj: &Value, g: &str, k: &str) -> bool {
    group(obj) == g && kind(obj) == k
}

/// `group/Kind namespace/name` of an object, for messages.
pub fn describe(obj: &Value) -> String {
    let g = group(obj);
    let gk = if g.is_empty() { kind(obj).to_string() } else { format!("{g}/{}", kind(obj)) };
    if namespace(obj).is_empty() {
        format!("{gk} {}", name(obj))
    } else {
        format!("{gk} {}/{}", namespace(obj), name(obj))
    }
}

/// A JSON array's elements, or nothing.
fn array(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// A JSON object's string entries.
fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
        .unwrap_or_default()
}

/// Whether a plain `key: value` selector (Service, Istio Gateway) is non-empty and matches `labels`.
fn map_selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let selector = string_map(selector);
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a Kubernetes `LabelSelector` matches `labels` (`matchLabels` and `matchExpressions`).
/// An empty selector matches everything, as in Kubernetes.
fn label_selector_selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let by_label = string_map(&selector["matchLabels"]).iter().all(|(k, v)| labels.get(k) == Some(v));
    let by_expression = array(&selector["matchExpressions"]).iter().all(|e| {
        let key = e["key"].as_str().unwrap_or_default();
        let values: Vec<&str> = array(&e["values"]).iter().filter_map(Value::as_str).collect();
        let value = labels.get(key).map(String::as_str);
        match e["operator"].as_str().unwrap_or_default() {
            "In" => value.is_some_and(|v| values.contains(&v)),
            "NotIn" => value.is_none_or(|v| !values.contains(&v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    by_label && by_expression
}

/// Whether a `LabelSelector` is empty (selects everything).
fn label_selector_is_empty(selector: &Value) -> bool {
    string_map(&selector["matchLabels"]).is_empty() && array(&selector["matchExpressions"]).is_empty()
}

/// Pod-template workload kinds (group `apps`).
const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];

/// Whether `obj` is a pod-template workload.
fn is_workload(obj: &Value) -> bool {
    group(obj) == "apps" && WORKLOAD_KINDS.contains(&kind(obj))
}

/// Labels of a workload's pod template.
fn pod_labels(workload: &Value) -> BTreeMap<String, String> {
    string_map(&workload["spec"]["template"]["metadata"]["labels"])
}

/// Annotations of a workload's pod template.
fn pod_annotations(workload: &Value) -> BTreeMap<String, String> {
    string_map(&workload["spec"]["template"]["metadata"]["annotations"])
}

/// Names of the container ports of a workload's pod template.
fn container_port_names(workload: &Value) -> BTreeSet<String> {
    let spec = &workload["spec"]["template"]["spec"];
    array(&spec["containers"])
        .iter()
        .chain(array(&spec["initContainers"]))
        .flat_map(|c| array(&c["ports"]))
        .filter_map(|p| p["name"].as_str())
        .map(str::to_string)
        .collect()
}

/// The `port`s of a Service.
fn service_ports(service: &Value) -> BTreeSet<i64> {
    array(&service["spec"]["ports"]).iter().filter_map(|p| p["port"].as_i64()).collect()
}

/// Strip an Istio `ns/` prefix from a server host.
fn bare_host(host: &str) -> &str {
    host.split_once('/').map(|(_, h)| h).unwrap_or(host)
}

/// Whether two hosts overlap with Istio semantics (`pkg/config/host/name.go` `Matches`): `*` matches
/// everything, `*.a.com` matches every name ending in `.a.com` (and narrower wildcards), other names
/// match themselves, case-insensitively.
pub fn hosts_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    if a == "*" || b == "*" {
        return true;
    }
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(sa), Some(sb)) => sa.ends_with(sb) || sb.ends_with(sa),
        (Some(sa), None) => b.ends_with(sa),
        (None, Some(sb)) => a.ends_with(sb),
        (None, None) => a == b,
    }
}

/// Whether a certificate name (`dnsNames` entry) covers a TLS host: exact match, or `*.a.com`
/// covering exactly one more label (RFC 6125 section 6.4.3), or the same wildcard.
pub fn cert_covers(dns_name: &str, host: &str) -> bool {
    let (d, h) = (dns_name.to_ascii_lowercase(), host.to_ascii_lowercase());
    if d == h {
        return true;
    }
    match d.strip_prefix("*.") {
        Some(suffix) => h
            .strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.') && label != "*"),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// The context

/// Everything a check needs, plus the violations found so far.
struct Ctx<'a> {
    /// Every output item.
    items: &'a [Value],
    /// The generated ones.
    generated: Vec<&'a Value>,
    /// Facts from the config.
    facts: ConfigFacts,
    /// Violations.
    out: Vec<String>,
}

impl<'a> Ctx<'a> {
    /// Report a violation of `check` on `obj`.
    fn fail(&mut self, check: &str, obj: &Value, message: impl AsRef<str>) {
        self.out.push(format!("[{check}] {}: {}", describe(obj), message.as_ref()));
    }

    /// Whether `obj` (an element of the output) is a generated object.
    fn is_generated(&self, obj: &Value) -> bool {
        self.generated.iter().any(|g| std::ptr::eq(*g, obj))
    }

    /// Every output item of `group`/`kind`.
    fn all(&self, g: &str, k: &str) -> Vec<&'a Value> {
        self.items.iter().filter(|o| is(o, g, k)).collect()
    }

    /// Every generated object of `group`/`kind`.
    fn gen_of(&self, g: &str, k: &str) -> Vec<&'a Value> {
        self.generated.iter().copied().filter(|o| is(o, g, k)).collect()
    }

    /// The output item `group`/`kind` `ns`/`name` (`ns` empty for cluster-scoped kinds).
    fn find(&self, g: &str, k: &str, ns: &str, n: &str) -> Option<&'a Value> {
        self.items.iter().find(|o| is(o, g, k) && namespace(o) == ns && name(o) == n)
    }

    /// Every workload in the output.
    fn workloads(&self) -> Vec<&'a Value> {
        self.items.iter().filter(|o| is_workload(o)).collect()
    }

    /// Workloads in `ns` (any namespace when `None`) whose pod labels match a plain selector.
    fn workloads_selected_by_map(&self, selector: &Value, ns: Option<&str>) -> Vec<&'a Value> {
        self.workloads()
            .into_iter()
            .filter(|w| ns.is_none_or(|ns| namespace(w) == ns))
            .filter(|w| map_selects(selector, &pod_labels(w)))
            .collect()
    }

    /// Services in the namespace of `workload` whose selector selects its pods.
    fn services_selecting(&self, workload: &Value) -> Vec<&'a Value> {
        let labels = pod_labels(workload);
        self.all("", "Service")
            .into_iter()
            .filter(|s| namespace(s) == namespace(workload) && map_selects(&s["spec"]["selector"], &labels))
            .collect()
    }

    /// Namespace object `ns` in the output, if any.
    fn namespace_object(&self, ns: &str) -> Option<&'a Value> {
        self.find("", "Namespace", "", ns)
    }

    /// The Service a Gateway API Gateway's `Hostname` address names (`<svc>.<ns>.svc.cluster.local`),
    /// as `(address, service namespace, service name)`.
    fn hostname_addresses(gateway: &Value) -> Vec<(String, String, String)> {
        array(&gateway["spec"]["addresses"])
            .iter()
            .filter(|a| a["type"].as_str() == Some("Hostname"))
            .filter_map(|a| a["value"].as_str())
            .map(|value| {
                let parts: Vec<&str> = value.trim_end_matches('.').split('.').collect();
                let (svc, ns) = match parts.as_slice() {
                    [svc, ns, "svc", "cluster", "local"] => (svc.to_string(), ns.to_string()),
                    _ => (String::new(), String::new()),
                };
                (value.to_string(), ns, svc)
            })
            .collect()
    }

    /// Workloads behind a Gateway API Gateway: those selected by the Services its `Hostname`
    /// addresses name.
    fn gateway_api_workloads(&self, gateway: &Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        for (_, ns, svc) in Self::hostname_addresses(gateway) {
            if let Some(service) = self.find("", "Service", &ns, &svc) {
                for w in self.workloads() {
                    if namespace(w) == ns && map_selects(&service["spec"]["selector"], &pod_labels(w)) {
                        out.push(w);
                    }
                }
            }
        }
        out
    }

    /// Hosts of every Istio Gateway server whose selector picks any of `workloads` (the same pods,
    /// compared by identity).
    fn istio_hosts_on(&self, workloads: &[&Value]) -> Vec<String> {
        let mut hosts = Vec::new();
        for gw in self.all("networking.istio.io", "Gateway") {
            let on_pods = self
                .workloads_selected_by_map(&gw["spec"]["selector"], None)
                .iter()
                .any(|w| workloads.iter().any(|x| std::ptr::eq(*w, *x)));
            if on_pods {
                hosts.extend(istio_servers(gw).iter().flat_map(|s| server_hosts(s)));
            }
        }
        hosts
    }

    /// Host names of every HTTPS or TLS listener of a Gateway API Gateway bound to any of
    /// `workloads` (`*` for a listener without one): what those pods serve through the Gateway API.
    fn gateway_api_hosts_on(&self, workloads: &[&Value]) -> Vec<String> {
        let mut hosts = Vec::new();
        for gw in self.all("gateway.networking.k8s.io", "Gateway") {
            let on_pods =
                self.gateway_api_workloads(gw).iter().any(|w| workloads.iter().any(|x| std::ptr::eq(*w, *x)));
            if !on_pods {
                continue;
            }
            for listener in array(&gw["spec"]["listeners"]) {
                if matches!(listener["protocol"].as_str(), Some("HTTPS" | "TLS")) {
                    hosts.push(listener["hostname"].as_str().unwrap_or("*").to_string());
                }
            }
        }
        hosts
    }

    /// Workloads that run gateway proxies: selected by a generated Istio Gateway (in its namespace)
    /// or behind a generated Gateway API Gateway.
    fn gateway_workloads(&self) -> Vec<&'a Value> {
        let mut out: Vec<&'a Value> = Vec::new();
        for gw in self.gen_of("networking.istio.io", "Gateway") {
            out.extend(self.workloads_selected_by_map(&gw["spec"]["selector"], Some(namespace(gw))));
        }
        for gw in self.gen_of("gateway.networking.k8s.io", "Gateway") {
            out.extend(self.gateway_api_workloads(gw));
        }
        let mut seen = BTreeSet::new();
        out.retain(|w| seen.insert((namespace(w).to_string(), kind(w).to_string(), name(w).to_string())));
        out
    }
}

/// Every server of an Istio Gateway.
fn istio_servers(gateway: &Value) -> Vec<&Value> {
    array(&gateway["spec"]["servers"]).iter().collect()
}

/// The credential names of an Istio Gateway server that Istio reads as secrets, if any: none for
/// passthrough modes and `ISTIO_MUTUAL`.
fn server_credentials(server: &Value) -> Vec<String> {
    let tls = &server["tls"];
    let mode = tls["mode"].as_str().unwrap_or("SIMPLE");
    if matches!(mode, "PASSTHROUGH" | "AUTO_PASSTHROUGH" | "ISTIO_MUTUAL") {
        return Vec::new();
    }
    let mut names: Vec<String> = tls["credentialName"]
        .as_str()
        .into_iter()
        .chain(array(&tls["credentialNames"]).iter().filter_map(Value::as_str))
        .map(|n| n.trim_start_matches("kubernetes://").to_string())
        .filter(|n| !n.is_empty())
        .collect();
    names.dedup();
    names
}

/// The host names of an Istio Gateway server, with any `ns/` prefix removed.
fn server_hosts(server: &Value) -> Vec<String> {
    array(&server["hosts"]).iter().filter_map(Value::as_str).map(|h| bare_host(h).to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Istio Gateways

/// `gateway-selector`, `gateway-credential`, `cert-coverage` and `service-ports`.
fn check_istio_gateways(ctx: &mut Ctx<'_>) {
    for gw in ctx.gen_of("networking.istio.io", "Gateway") {
        let selector = &gw["spec"]["selector"];
        if string_map(selector).is_empty() {
            ctx.fail("gateway-selector", gw, "spec.selector is empty: it would configure every proxy");
            continue;
        }
        let local = ctx.workloads_selected_by_map(selector, Some(namespace(gw)));
        let external = ctx
            .facts
            .external_workloads
            .iter()
            .any(|(ns, labels)| ns == namespace(gw) && string_map(selector) == *labels);
        if local.is_empty() && !external {
            ctx.fail(
                "gateway-selector",
                gw,
                format!(
                    "spec.selector {} matches the pod labels of no workload in namespace {}",
                    selector,
                    namespace(gw)
                ),
            );
        }
        // Istio applies a Gateway to matching pods in every namespace; each reads secrets locally.
        let everywhere = ctx.workloads_selected_by_map(selector, None);
        let mut pod_namespaces: BTreeSet<String> =
            everywhere.iter().map(|w| namespace(w).to_string()).collect();
        if pod_namespaces.is_empty() {
            pod_namespaces.insert(namespace(gw).to_string());
        }
        for (i, server) in istio_servers(gw).into_iter().enumerate() {
            for credential in server_credentials(server) {
                if ctx.facts.external_credentials.contains(&credential) {
                    continue;
                }
                for ns in &pod_namespaces {
                    let certificate = ctx.all("cert-manager.io", "Certificate").into_iter().find(|c| {
                        namespace(c) == ns && c["spec"]["secretName"].as_str() == Some(&credential)
                    });
                    match certificate {
                        None => ctx.fail(
                            "gateway-credential",
                            gw,
                            format!(
                                "spec.servers[{i}].tls.credentialName {credential:?}: no Certificate in \
                                 namespace {ns} (where the gateway pods read secrets) writes secretName \
                                 {credential:?}, and the \
                                 config does not name it as an existing credential"
                            ),
                        ),
                        Some(cert) => {
                            let mut names: Vec<&str> =
                                array(&cert["spec"]["dnsNames"]).iter().filter_map(Value::as_str).collect();
                            names.extend(cert["spec"]["commonName"].as_str());
                            for host in server_hosts(server) {
                                if host != "*" && !names.iter().any(|d| cert_covers(d, &host)) {
                                    ctx.fail(
                                        "cert-coverage",
                                        gw,
                                        format!(
                                            "spec.servers[{i}] host {host:?} is not covered by Certificate \
                                             {}/{} \
                                             (dnsNames {names:?})",
                                            namespace(cert),
                                            name(cert)
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        for workload in local {
            let services = ctx.services_selecting(workload);
            if services.is_empty() {
                ctx.fail(
                    "service-ports",
                    gw,
                    format!("no Service selects the gateway pods of {}", describe(workload)),
                );
                continue;
            }
            let exposed: BTreeSet<i64> = services.iter().flat_map(|s| service_ports(s)).collect();
            let mut wanted: Vec<i64> =
                istio_servers(gw).iter().filter_map(|s| s["port"]["number"].as_i64()).collect();
            wanted.push(STATUS_PORT);
            for port in wanted {
                if !exposed.contains(&port) {
                    let names: Vec<String> = services.iter().map(|s| describe(s)).collect();
                    ctx.fail(
                        "service-ports",
                        gw,
                        format!("port {port} is not a port of the Services selecting its pods ({names:?})"),
                    );
                }
            }
        }
    }
}

/// One port a gateway serves on a workload, for conflict detection.
struct Served<'a> {
    /// The Gateway object (Istio or Gateway API).
    gateway: &'a Value,
    /// Port number.
    port: i64,
    /// Hosts on the port (`*` for a listener without hostname).
    hosts: Vec<String>,
    /// Secrets used on the port.
    credentials: Vec<String>,
}

/// The hosts a hostname-less Gateway API listener (the HTTP-01 gateway's port 80) actually claims.
/// It is the port's `*` virtual host, and Envoy prefers any more specific host of an Istio server
/// there, so only the hosts its routes name can be taken over: the HTTPRoutes attached to it and
/// the challenge routes cert-manager attaches for certificates whose ACME issuer solves HTTP-01
/// through it.
fn catch_all_hosts(ctx: &Ctx<'_>, gw: &Value) -> Vec<String> {
    let attached = |parent: &Value, default_ns: &str| {
        parent["name"].as_str() == Some(name(gw))
            && parent["namespace"].as_str().unwrap_or(default_ns) == namespace(gw)
    };
    let mut hosts: Vec<String> = Vec::new();
    for route in ctx.all("gateway.networking.k8s.io", "HTTPRoute") {
        if array(&route["spec"]["parentRefs"]).iter().any(|p| attached(p, namespace(route))) {
            hosts.extend(
                array(&route["spec"]["hostnames"]).iter().filter_map(|h| h.as_str()).map(String::from),
            );
        }
    }
    // (kind, namespace, name) of issuers solving HTTP-01 through this Gateway; "" for a ClusterIssuer.
    let solving: Vec<(&str, &str, &str)> = ["ClusterIssuer", "Issuer"]
        .into_iter()
        .flat_map(|k| ctx.all("cert-manager.io", k).into_iter().map(move |issuer| (k, issuer)))
        .filter(|(_, issuer)| {
            array(&issuer["spec"]["acme"]["solvers"]).iter().any(|solver| {
                array(&solver["http01"]["gatewayHTTPRoute"]["parentRefs"])
                    .iter()
                    .any(|p| attached(p, namespace(issuer)))
            })
        })
        .map(|(k, issuer)| (k, namespace(issuer), name(issuer)))
        .collect();
    for certificate in ctx.all("cert-manager.io", "Certificate") {
        let issuer_ref = &certificate["spec"]["issuerRef"];
        let kind = issuer_ref["kind"].as_str().unwrap_or("Issuer");
        let issuer_ns = if kind == "ClusterIssuer" { "" } else { namespace(certificate) };
        if solving.contains(&(kind, issuer_ns, issuer_ref["name"].as_str().unwrap_or_default())) {
            hosts.extend(
                array(&certificate["spec"]["dnsNames"]).iter().filter_map(|h| h.as_str()).map(String::from),
            );
        }
    }
    hosts
}

/// `gateway-conflict` (IST0145) and `gateway-duplicate-cert` (IST0138).
fn check_gateway_conflicts(ctx: &mut Ctx<'_>) {
    let mut by_workload: BTreeMap<(String, String, String), Vec<Served<'_>>> = BTreeMap::new();
    let key = |w: &Value| (namespace(w).to_string(), kind(w).to_string(), name(w).to_string());
    for gw in ctx.all("networking.istio.io", "Gateway") {
        for w in ctx.workloads_selected_by_map(&gw["spec"]["selector"], None) {
            for server in istio_servers(gw) {
                by_workload.entry(key(w)).or_default().push(Served {
                    gateway: gw,
                    port: server["port"]["number"].as_i64().unwrap_or_default(),
                    hosts: server_hosts(server),
                    credentials: server_credentials(server),
                });
            }
        }
    }
    for gw in ctx.all("gateway.networking.k8s.io", "Gateway") {
        for w in ctx.gateway_api_workloads(gw) {
            for listener in array(&gw["spec"]["listeners"]) {
                by_workload.entry(key(w)).or_default().push(Served {
                    gateway: gw,
                    port: listener["port"].as_i64().unwrap_or_default(),
                    hosts: match listener["hostname"].as_str() {
                        Some(hostname) => vec![hostname.to_string()],
                        None => catch_all_hosts(ctx, gw),
                    },
                    credentials: Vec::new(),
                });
            }
        }
    }
    let mut reported = BTreeSet::new();
    for ((ns, k, n), served) in &by_workload {
        for (i, a) in served.iter().enumerate() {
            for b in &served[i + 1..] {
                if std::ptr::eq(a.gateway, b.gateway) {
                    continue;
                }
                if !ctx.is_generated(a.gateway) && !ctx.is_generated(b.gateway) {
                    continue;
                }
                let overlapping: Vec<(&String, &String)> = a
                    .hosts
                    .iter()
                    .flat_map(|x| b.hosts.iter().map(move |y| (x, y)))
                    .filter(|(x, y)| hosts_overlap(x, y))
                    .collect();
                if a.port == b.port && !overlapping.is_empty() {
                    let msg = format!(
                        "{} and {} both serve port {} with overlapping hosts {:?} on the pods of {k} \
                         {ns}/{n} (IST0145)",
                        describe(a.gateway),
                        describe(b.gateway),
                        a.port,
                        overlapping[0]
                    );
                    if reported.insert(msg.clone()) {
                        ctx.fail("gateway-conflict", a.gateway, msg);
                    }
                }
                for credential in a.credentials.iter().filter(|c| b.credentials.contains(c)) {
                    let msg = format!(
                        "{} and {} both use credentialName {credential:?} on the pods of {k} {ns}/{n} \
                         (IST0138)",
                        describe(a.gateway),
                        describe(b.gateway)
                    );
                    if reported.insert(msg.clone()) {
                        ctx.fail("gateway-duplicate-cert", a.gateway, msg);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// VirtualServices

/// `virtualservice`: gateways resolve, hosts are served, destinations match Services in the output.
fn check_virtual_services(ctx: &mut Ctx<'_>) {
    for vs in ctx.gen_of("networking.istio.io", "VirtualService") {
        let vs_ns = namespace(vs).to_string();
        let mut gateways = Vec::new();
        // A VirtualService also bound to `mesh` routes sidecar traffic too, so it may name in-mesh
        // hosts that no gateway serves (istioctl's IST0132 looks at gateway-only hosts the same way).
        let binds_mesh = array(&vs["spec"]["gateways"]).iter().any(|g| g.as_str() == Some("mesh"));
        for entry in array(&vs["spec"]["gateways"]).iter().filter_map(Value::as_str) {
            if entry == "mesh" {
                continue;
            }
            let (ns, n) = entry.split_once('/').unwrap_or((vs_ns.as_str(), entry));
            match ctx.find("networking.istio.io", "Gateway", ns, n) {
                Some(gw) => gateways.push(gw),
                None => ctx.fail(
                    "virtualservice",
                    vs,
                    format!("spec.gateways entry {entry:?} names no Istio Gateway in the output"),
                ),
            }
        }
        if !gateways.is_empty() && !binds_mesh {
            for host in array(&vs["spec"]["hosts"]).iter().filter_map(Value::as_str) {
                let served = gateways.iter().any(|gw| {
                    istio_servers(gw).iter().any(|server| {
                        array(&server["hosts"]).iter().filter_map(Value::as_str).any(|entry| {
                            let (ns, h) = entry.split_once('/').unwrap_or(("*", entry));
                            let ns_ok = ns == "*" || (ns == "." && namespace(gw) == vs_ns) || ns == vs_ns;
                            ns_ok && hosts_overlap(h, host)
                        })
                    })
                });
                if !served {
                    ctx.fail(
                        "virtualservice",
                        vs,
                        format!("host {host:?} matches no host of the servers of its gateways (IST0132)"),
                    );
                }
            }
        }
        // A rule with several destinations splits its traffic by percentages.
        for rule in ["http", "tcp", "tls"].iter().flat_map(|k| array(&vs["spec"][*k])) {
            let destinations = array(&rule["route"]);
            let sum: i64 = destinations.iter().map(|d| d["weight"].as_i64().unwrap_or(0)).sum();
            if destinations.len() > 1 && sum != 100 {
                ctx.fail("virtualservice", vs, format!("the weights of a rule add up to {sum}, not 100"));
            }
        }
        // Destinations that name a Service of the output must name one of its ports.
        let routes = ["http", "tcp", "tls"]
            .iter()
            .flat_map(|k| array(&vs["spec"][*k]))
            .flat_map(|rule| array(&rule["route"]))
            .collect::<Vec<_>>();
        for route in routes {
            let destination = &route["destination"];
            let host = destination["host"].as_str().unwrap_or_default();
            let parts: Vec<&str> = host.split('.').collect();
            let (svc, ns) = match parts.as_slice() {
                [svc] => (*svc, vs_ns.as_str()),
                [svc, ns] | [svc, ns, "svc", ..] => (*svc, *ns),
                _ => continue,
            };
            let Some(service) = ctx.find("", "Service", ns, svc) else {
                continue;
            };
            let ports = service_ports(service);
            match destination["port"]["number"].as_i64() {
                Some(port) if !ports.contains(&port) => ctx.fail(
                    "virtualservice",
                    vs,
                    format!("destination {host}:{port}: {} has no port {port}", describe(service)),
                ),
                None if ports.len() > 1 => ctx.fail(
                    "virtualservice",
                    vs,
                    format!(
                        "destination {host} has no port but {} exposes several (IST0112)",
                        describe(service)
                    ),
                ),
                _ => {}
            }
        }
    }
}

/// A destination or DestinationRule host as a fully qualified name: Istio resolves a name without a
/// dot in the object's namespace (`pilot/pkg/model/config.go` `ResolveShortnameToFQDN`).
fn fqdn(host: &str, ns: &str) -> String {
    if host.contains('.') || host == "*" {
        host.to_string()
    } else {
        format!("{host}.{ns}.svc.cluster.local")
    }
}

/// The (name, namespace) of the Service a fully qualified `<name>.<ns>.svc.cluster.local` names.
fn service_of(fqdn: &str) -> Option<(&str, &str)> {
    fqdn.strip_suffix(".svc.cluster.local")?.split_once('.').filter(|(_, ns)| !ns.contains('.'))
}

/// Every destination of a VirtualService: routed and mirrored.
fn vs_destinations(vs: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = ["http", "tcp", "tls"]
        .iter()
        .flat_map(|k| array(&vs["spec"][*k]))
        .flat_map(|rule| array(&rule["route"]))
        .map(|r| &r["destination"])
        .collect();
    out.extend(array(&vs["spec"]["http"]).iter().map(|rule| &rule["mirror"]).filter(|m| !m.is_null()));
    out
}

/// `destination-rule`: one DestinationRule per host, subsets exist and select pods, TLS modes suit
/// the namespace's peer authentication.
fn check_destination_rules(ctx: &mut Ctx<'_>) {
    let rules = ctx.all("networking.istio.io", "DestinationRule");
    for (i, dr) in rules.iter().enumerate() {
        let host = fqdn(dr["spec"]["host"].as_str().unwrap_or_default(), namespace(dr));
        if !ctx.is_generated(dr) {
            continue;
        }
        if let Some(other) = rules[..i]
            .iter()
            .find(|o| fqdn(o["spec"]["host"].as_str().unwrap_or_default(), namespace(o)) == host)
        {
            ctx.fail(
                "destination-rule",
                dr,
                format!(
                    "{} is also a DestinationRule for host {host}; Istio applies only one",
                    describe(other)
                ),
            );
        }
        // `*.<ns>.svc.cluster.local` and `<name>.<ns>.svc.cluster.local` both live in `<ns>`.
        if let Some((_, ns)) = service_of(&host) {
            let strict = ctx.all("security.istio.io", "PeerAuthentication").into_iter().any(|pa| {
                namespace(pa) == ns
                    && pa["spec"]["selector"].is_null()
                    && pa["spec"]["mtls"]["mode"] == "STRICT"
            });
            let mode = dr["spec"]["trafficPolicy"]["tls"]["mode"].as_str().unwrap_or("ISTIO_MUTUAL");
            if strict && mode != "ISTIO_MUTUAL" {
                ctx.fail(
                    "destination-rule",
                    dr,
                    format!(
                        "TLS mode {mode} toward {host}, whose namespace {ns} only accepts Istio mTLS (STRICT)"
                    ),
                );
            }
        }
        let service = service_of(&host).and_then(|(n, ns)| ctx.find("", "Service", ns, n));
        if let Some(service) = service {
            let selector = string_map(&service["spec"]["selector"]);
            for subset in array(&dr["spec"]["subsets"]) {
                let mut wanted = selector.clone();
                wanted.extend(string_map(&subset["labels"]));
                let selects = ctx.workloads().into_iter().any(|w| {
                    namespace(w) == namespace(service) && {
                        let labels = pod_labels(w);
                        wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
                    }
                });
                if !selects {
                    ctx.fail(
                        "destination-rule",
                        dr,
                        format!(
                            "subset {:?} selects no pods of {} (IST0173)",
                            subset["name"].as_str().unwrap_or_default(),
                            describe(service)
                        ),
                    );
                }
            }
        }
    }
    for vs in ctx.gen_of("networking.istio.io", "VirtualService") {
        for destination in vs_destinations(vs) {
            let Some(subset) = destination["subset"].as_str() else { continue };
            let host = fqdn(destination["host"].as_str().unwrap_or_default(), namespace(vs));
            let defined = rules.iter().any(|dr| {
                fqdn(dr["spec"]["host"].as_str().unwrap_or_default(), namespace(dr)) == host
                    && array(&dr["spec"]["subsets"]).iter().any(|s| s["name"].as_str() == Some(subset))
            });
            if !defined {
                ctx.fail(
                    "destination-rule",
                    vs,
                    format!("subset {subset:?} of host {host} is defined by no DestinationRule for that host (IST0101)"),
                );
            }
        }
    }
}

/// `l4-routes`: TLS and TCP routes land on servers that carry them.
fn check_l4_routes(ctx: &mut Ctx<'_>) {
    for vs in ctx.gen_of("networking.istio.io", "VirtualService") {
        let vs_ns = namespace(vs).to_string();
        let servers: Vec<&Value> = array(&vs["spec"]["gateways"])
            .iter()
            .filter_map(Value::as_str)
            .filter(|g| *g != "mesh")
            .filter_map(|entry| {
                let (ns, n) = entry.split_once('/').unwrap_or((vs_ns.as_str(), entry));
                ctx.find("networking.istio.io", "Gateway", ns, n)
            })
            .flat_map(istio_servers)
            .collect();
        if servers.is_empty() {
            continue;
        }
        let port_ok = |server: &Value, port: Option<i64>| {
            port.is_none_or(|p| server["port"]["number"].as_i64() == Some(p))
        };
        let passthrough = |server: &Value| {
            matches!(server["tls"]["mode"].as_str(), Some("PASSTHROUGH" | "AUTO_PASSTHROUGH"))
        };
        for rule in array(&vs["spec"]["tls"]) {
            for m in array(&rule["match"]) {
                let port = m["port"].as_i64();
                for sni in array(&m["sniHosts"]).iter().filter_map(Value::as_str) {
                    let served = servers.iter().any(|s| {
                        s["port"]["protocol"] == "TLS"
                            && passthrough(s)
                            && port_ok(s, port)
                            && array(&s["hosts"])
                                .iter()
                                .filter_map(Value::as_str)
                                .any(|h| hosts_overlap(bare_host(h), sni))
                    });
                    if !served {
                        ctx.fail(
                            "l4-routes",
                            vs,
                            format!("TLS route for SNI host {sni:?} has no PASSTHROUGH server"),
                        );
                    }
                }
            }
        }
        for rule in array(&vs["spec"]["tcp"]) {
            let ports: Vec<Option<i64>> = match array(&rule["match"]) {
                [] => vec![None],
                matches => matches.iter().map(|m| m["port"].as_i64()).collect(),
            };
            for port in ports {
                let carried = servers.iter().any(|s| {
                    let protocol = s["port"]["protocol"].as_str().unwrap_or_default();
                    port_ok(s, port) && (protocol == "TCP" || (protocol == "TLS" && !passthrough(s)))
                });
                if !carried {
                    ctx.fail("l4-routes", vs, format!("TCP route for port {port:?} has no TCP server"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cert-manager

/// Resolve a Certificate's issuer: `Some(issuer)` when in the output, `None` otherwise.
fn certificate_issuer<'a>(ctx: &Ctx<'a>, cert: &Value) -> Option<&'a Value> {
    let issuer_ref = &cert["spec"]["issuerRef"];
    let n = issuer_ref["name"].as_str().unwrap_or_default();
    match issuer_ref["kind"].as_str().unwrap_or("Issuer") {
        "ClusterIssuer" => ctx.find("cert-manager.io", "ClusterIssuer", "", n),
        "Issuer" => ctx.find("cert-manager.io", "Issuer", namespace(cert), n),
        _ => None,
    }
}

/// Whether an issuer can solve a wildcard name: a non-ACME issuer, or an ACME issuer with a DNS-01
/// solver.
fn issuer_solves_wildcards(issuer: &Value) -> bool {
    let acme = &issuer["spec"]["acme"];
    acme.is_null() || array(&acme["solvers"]).iter().any(|s| s.get("dns01").is_some())
}

/// `issuer-ref`, `acme-wildcard` and `http01-reachability`.
fn check_certificates(ctx: &mut Ctx<'_>) {
    for cert in ctx.gen_of("cert-manager.io", "Certificate") {
        let issuer_ref = &cert["spec"]["issuerRef"];
        let issuer_group = issuer_ref["group"].as_str().unwrap_or("cert-manager.io");
        if issuer_group != "cert-manager.io" {
            continue; // an external issuer type: nothing to resolve in the output
        }
        let issuer_name = issuer_ref["name"].as_str().unwrap_or_default();
        let issuer_kind = issuer_ref["kind"].as_str().unwrap_or("Issuer");
        let Some(issuer) = certificate_issuer(ctx, cert) else {
            if !ctx.facts.external_issuers.contains(issuer_name) {
                ctx.fail(
                    "issuer-ref",
                    cert,
                    format!(
                        "spec.issuerRef {issuer_kind} {issuer_name:?} is not in the output, and the config \
                         does not name it as an existing issuer"
                    ),
                );
            }
            continue;
        };
        let dns_names: Vec<&str> =
            array(&cert["spec"]["dnsNames"]).iter().filter_map(Value::as_str).collect();
        if !issuer_solves_wildcards(issuer) {
            for d in dns_names.iter().filter(|d| d.starts_with('*')) {
                ctx.fail(
                    "acme-wildcard",
                    cert,
                    format!("dnsName {d:?} is a wildcard but {} has no DNS-01 solver", describe(issuer)),
                );
            }
        }
        // HTTP-01 through a Gateway API Gateway: the pods behind it must serve the names.
        for solver in array(&issuer["spec"]["acme"]["solvers"]) {
            let refs = array(&solver["http01"]["gatewayHTTPRoute"]["parentRefs"]);
            for parent in refs {
                let ns = parent["namespace"].as_str().unwrap_or(namespace(cert));
                let Some(gw) = ctx.find(
                    "gateway.networking.k8s.io",
                    "Gateway",
                    ns,
                    parent["name"].as_str().unwrap_or_default(),
                ) else {
                    continue; // reported by the gateway-api check
                };
                let workloads = ctx.gateway_api_workloads(gw);
                if workloads.is_empty() {
                    continue; // reported by the gateway-api check
                }
                let mut hosts = ctx.istio_hosts_on(&workloads);
                hosts.extend(ctx.gateway_api_hosts_on(&workloads));
                for d in &dns_names {
                    if !hosts.iter().any(|h| hosts_overlap(h, d)) {
                        ctx.fail(
                            "http01-reachability",
                            cert,
                            format!(
                                "dnsName {d:?} is validated over HTTP-01 through {} but no Istio Gateway or \
                                 Gateway API listener on its pods serves that host",
                                describe(gw)
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// `acme-solver`: every ACME solver of a generated issuer configures exactly one solver type, and
/// an HTTP-01 solver exactly one of `ingress` / `gatewayHTTPRoute`.
fn check_issuers(ctx: &mut Ctx<'_>) {
    let issuers: Vec<&Value> = ctx
        .gen_of("cert-manager.io", "ClusterIssuer")
        .into_iter()
        .chain(ctx.gen_of("cert-manager.io", "Issuer"))
        .collect();
    for issuer in issuers {
        for (i, solver) in array(&issuer["spec"]["acme"]["solvers"]).iter().enumerate() {
            let types = ["http01", "dns01"].iter().filter(|t| solver.get(**t).is_some()).count();
            if types != 1 {
                ctx.fail(
                    "acme-solver",
                    issuer,
                    format!("spec.acme.solvers[{i}] configures {types} solver types, exactly one is needed"),
                );
            }
            if let Some(http01) = solver.get("http01") {
                let kinds =
                    ["ingress", "gatewayHTTPRoute"].iter().filter(|t| http01.get(**t).is_some()).count();
                if kinds != 1 {
                    let keys: Vec<&String> =
                        http01.as_object().map(|m| m.keys().collect()).unwrap_or_default();
                    ctx.fail(
                        "acme-solver",
                        issuer,
                        format!(
                            "spec.acme.solvers[{i}].http01 has keys {keys:?}: exactly one of ingress / \
                             gatewayHTTPRoute is needed (cert-manager: \"no HTTP01 solver type configured\")"
                        ),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway API

/// Resolve one parentRef of a route living in `route_ns`; report what does not resolve.
fn check_parent_ref(
    ctx: &mut Ctx<'_>,
    source: &Value,
    at: &str,
    parent: &Value,
    route_ns: &str,
    hostnames: &[&str],
) {
    let g = parent["group"].as_str().unwrap_or("gateway.networking.k8s.io");
    let k = parent["kind"].as_str().unwrap_or("Gateway");
    if g != "gateway.networking.k8s.io" || k != "Gateway" {
        return;
    }
    let ns = parent["namespace"].as_str().unwrap_or(route_ns);
    let n = parent["name"].as_str().unwrap_or_default();
    let Some(gw) = ctx.find(g, k, ns, n) else {
        ctx.fail("gateway-api", source, format!("{at}: no Gateway {ns}/{n} in the output"));
        return;
    };
    let section = parent["sectionName"].as_str();
    let port = parent["port"].as_i64();
    let listeners: Vec<&Value> = array(&gw["spec"]["listeners"])
        .iter()
        .filter(|l| section.is_none_or(|s| l["name"].as_str() == Some(s)))
        .filter(|l| port.is_none_or(|p| l["port"].as_i64() == Some(p)))
        .collect();
    if listeners.is_empty() {
        ctx.fail(
            "gateway-api",
            source,
            format!("{at}: Gateway {ns}/{n} has no listener sectionName {section:?} port {port:?}"),
        );
        return;
    }
    let accepting = listeners.iter().any(|l| {
        let protocol_ok = matches!(l["protocol"].as_str(), Some("HTTP" | "HTTPS"));
        let from = l["allowedRoutes"]["namespaces"]["from"].as_str().unwrap_or("Same");
        let namespace_ok = match from {
            "Same" => route_ns == ns,
            "All" | "Selector" => true,
            _ => false,
        };
        let kinds = array(&l["allowedRoutes"]["kinds"]);
        let kind_ok = kinds.is_empty() || kinds.iter().any(|k| k["kind"].as_str() == Some("HTTPRoute"));
        let host_ok = match l["hostname"].as_str() {
            None => true,
            Some(lh) => hostnames.is_empty() || hostnames.iter().any(|h| hosts_overlap(lh, h)),
        };
        protocol_ok && namespace_ok && kind_ok && host_ok
    });
    if !accepting {
        ctx.fail(
            "gateway-api",
            source,
            format!(
                "{at}: no listener of Gateway {ns}/{n} matching sectionName {section:?} accepts an HTTPRoute \
                 from namespace {route_ns} with hostnames {hostnames:?} (protocol, allowedRoutes, hostname)"
            ),
        );
    }
}

/// `gateway-api`: addresses, HTTPRoute parentRefs and HTTP-01 solver parentRefs.
fn check_gateway_api(ctx: &mut Ctx<'_>) {
    for gw in ctx.gen_of("gateway.networking.k8s.io", "Gateway") {
        for (address, ns, svc) in Ctx::hostname_addresses(gw) {
            if ns != namespace(gw) || svc.is_empty() {
                ctx.fail(
                    "gateway-api",
                    gw,
                    format!(
                        "Hostname address {address:?} is not <service>.{}.svc.cluster.local",
                        namespace(gw)
                    ),
                );
                continue;
            }
            let Some(service) = ctx.find("", "Service", &ns, &svc) else {
                ctx.fail(
                    "gateway-api",
                    gw,
                    format!("Hostname address {address:?} names no Service in the output"),
                );
                continue;
            };
            let ports = service_ports(service);
            for listener in array(&gw["spec"]["listeners"]) {
                if let Some(port) = listener["port"].as_i64()
                    && !ports.contains(&port)
                {
                    ctx.fail(
                        "gateway-api",
                        gw,
                        format!(
                            "listener {:?} port {port} is not a port of {}",
                            listener["name"].as_str().unwrap_or_default(),
                            describe(service)
                        ),
                    );
                }
            }
            if ctx.gateway_api_workloads(gw).is_empty() {
                ctx.fail("gateway-api", gw, format!("{} selects no workload", describe(service)));
            }
        }
    }
    for route in ctx.gen_of("gateway.networking.k8s.io", "HTTPRoute") {
        let hostnames: Vec<&str> =
            array(&route["spec"]["hostnames"]).iter().filter_map(Value::as_str).collect();
        for (i, parent) in array(&route["spec"]["parentRefs"]).iter().enumerate() {
            check_parent_ref(
                ctx,
                route,
                &format!("spec.parentRefs[{i}]"),
                parent,
                namespace(route),
                &hostnames,
            );
        }
    }
    let issuers: Vec<&Value> = ctx
        .gen_of("cert-manager.io", "ClusterIssuer")
        .into_iter()
        .chain(ctx.gen_of("cert-manager.io", "Issuer"))
        .collect();
    for issuer in issuers {
        // The challenge HTTPRoute is created in the namespace of each Certificate using the issuer.
        let certs: Vec<&Value> = ctx
            .all("cert-manager.io", "Certificate")
            .into_iter()
            .filter(|c| certificate_issuer(ctx, c).is_some_and(|i| std::ptr::eq(i, issuer)))
            .collect();
        for (i, solver) in array(&issuer["spec"]["acme"]["solvers"]).iter().enumerate() {
            for (j, parent) in array(&solver["http01"]["gatewayHTTPRoute"]["parentRefs"]).iter().enumerate() {
                let at = format!("spec.acme.solvers[{i}].http01.gatewayHTTPRoute.parentRefs[{j}]");
                if certs.is_empty() {
                    let route_ns = parent["namespace"].as_str().unwrap_or(namespace(issuer)).to_string();
                    check_parent_ref(ctx, issuer, &at, parent, &route_ns, &[]);
                }
                for cert in &certs {
                    let names: Vec<&str> =
                        array(&cert["spec"]["dnsNames"]).iter().filter_map(Value::as_str).collect();
                    let at = format!("{at} (for Certificate {}/{})", namespace(cert), name(cert));
                    check_parent_ref(ctx, issuer, &at, parent, namespace(cert), &names);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Injection

/// `injection`: namespace labels and gateway pod labels/annotations, revision-aware.
fn check_injection(ctx: &mut Ctx<'_>) {
    let revision = ctx.facts.revision.clone();
    for ns in ctx.gen_of("", "Namespace") {
        let injection = label(ns, "istio-injection");
        let rev = label(ns, "istio.io/rev");
        if injection.is_some() && rev.is_some() {
            ctx.fail("injection", ns, "has both istio-injection and istio.io/rev labels (IST0123)");
        }
        if revision.is_empty() {
            if let Some(rev) = rev {
                ctx.fail(
                    "injection",
                    ns,
                    format!("istio.io/rev: {rev} but the config uses the default revision"),
                );
            }
        } else {
            if injection == Some("enabled") {
                ctx.fail(
                    "injection",
                    ns,
                    format!(
                        "istio-injection: enabled but the config uses revision {revision:?} (istio.io/rev)"
                    ),
                );
            }
            if let Some(rev) = rev.filter(|r| *r != revision) {
                ctx.fail(
                    "injection",
                    ns,
                    format!("istio.io/rev: {rev} but the config uses revision {revision:?}"),
                );
            }
        }
    }
    for w in ctx.gateway_workloads() {
        let ns_object = ctx.namespace_object(namespace(w));
        let injection = ns_object.and_then(|ns| label(ns, "istio-injection"));
        let ns_rev = ns_object.and_then(|ns| label(ns, "istio.io/rev"));
        if injection == Some("disabled") {
            ctx.fail(
                "injection",
                w,
                format!(
                    "gateway pods run in namespace {} labelled istio-injection: disabled: image: auto is \
                     never \
                     injected",
                    namespace(w)
                ),
            );
        }
        if !ctx.is_generated(w) {
            continue; // a gateway workload supplied as input is the user's to label
        }
        let labels = pod_labels(w);
        let annotations = pod_annotations(w);
        if labels.get("sidecar.istio.io/inject").map(String::as_str) != Some("true") {
            ctx.fail("injection", w, "gateway pod template lacks label sidecar.istio.io/inject: \"true\"");
        }
        if annotations.get("inject.istio.io/templates").map(String::as_str) != Some("gateway") {
            ctx.fail(
                "injection",
                w,
                "gateway pod template lacks annotation inject.istio.io/templates: gateway",
            );
        }
        let pod_rev = labels.get("istio.io/rev").map(String::as_str).unwrap_or_default();
        if pod_rev != revision {
            ctx.fail(
                "injection",
                w,
                format!(
                    "gateway pod label istio.io/rev is {pod_rev:?} but the config's revision is {revision:?}"
                ),
            );
        }
        // A namespace-level injection label wins over the pod's revision label (mutatingwebhook.yaml).
        if (!revision.is_empty() && injection == Some("enabled")) || ns_rev.is_some_and(|r| r != revision) {
            ctx.fail(
                "injection",
                w,
                format!(
                    "namespace {} injection labels (istio-injection {injection:?}, istio.io/rev {ns_rev:?}) \
                     select another revision than the pods' {revision:?}",
                    namespace(w)
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes references

/// `refs`, `hpa-replicas` and `pdb-evictable`.
fn check_references(ctx: &mut Ctx<'_>) {
    // Services select pods; named target ports exist on them.
    for svc in ctx.gen_of("", "Service") {
        let selector = &svc["spec"]["selector"];
        if string_map(selector).is_empty() {
            continue; // no selector: endpoints are managed elsewhere
        }
        let selected: Vec<&Value> = ctx
            .workloads()
            .into_iter()
            .filter(|w| namespace(w) == namespace(svc) && map_selects(selector, &pod_labels(w)))
            .collect();
        if selected.is_empty() {
            ctx.fail("refs", svc, format!("spec.selector {selector} selects no workload's pods"));
        }
        for port in array(&svc["spec"]["ports"]) {
            if let Some(target) = port["targetPort"].as_str() {
                for w in &selected {
                    if !container_port_names(w).contains(target) {
                        ctx.fail(
                            "refs",
                            svc,
                            format!("targetPort {target:?} is no container port name of {}", describe(w)),
                        );
                    }
                }
            }
        }
    }
    // HPA targets.
    let hpas = ctx.gen_of("autoscaling", "HorizontalPodAutoscaler");
    for hpa in &hpas {
        let target = &hpa["spec"]["scaleTargetRef"];
        let g = group_of(target["apiVersion"].as_str().unwrap_or_default());
        let k = target["kind"].as_str().unwrap_or_default();
        let n = target["name"].as_str().unwrap_or_default();
        match ctx.find(g, k, namespace(hpa), n) {
            None => ctx.fail("refs", hpa, format!("spec.scaleTargetRef {g}/{k} {n} is not in the output")),
            Some(target) => {
                if target["spec"].get("replicas").is_some() && is(target, "apps", "Deployment") {
                    ctx.fail(
                        "hpa-replicas",
                        target,
                        format!("sets spec.replicas although {} scales it", describe(hpa)),
                    );
                }
            }
        }
    }
    // PDBs select pods and allow evictions.
    for pdb in ctx.gen_of("policy", "PodDisruptionBudget") {
        let selector = &pdb["spec"]["selector"];
        if label_selector_is_empty(selector) {
            ctx.fail("refs", pdb, "spec.selector is empty: it covers every pod of the namespace");
            continue;
        }
        let selected: Vec<&Value> = ctx
            .workloads()
            .into_iter()
            .filter(|w| namespace(w) == namespace(pdb) && label_selector_selects(selector, &pod_labels(w)))
            .collect();
        if selected.is_empty() {
            ctx.fail("refs", pdb, "spec.selector selects no workload's pods");
        }
        for w in selected {
            let hpa_min = hpas.iter().find_map(|h| {
                let t = &h["spec"]["scaleTargetRef"];
                (namespace(h) == namespace(w) && t["kind"] == kind(w) && t["name"] == name(w))
                    .then(|| h["spec"]["minReplicas"].as_i64().unwrap_or(1))
            });
            let min_replicas = hpa_min.unwrap_or_else(|| w["spec"]["replicas"].as_i64().unwrap_or(1));
            let blocked = match (pdb["spec"]["minAvailable"].as_i64(), pdb["spec"]["maxUnavailable"].as_i64())
            {
                (Some(min), _) => min >= min_replicas,
                (_, Some(0)) => true,
                _ => false,
            };
            if blocked {
                ctx.fail(
                    "pdb-evictable",
                    pdb,
                    format!(
                        "allows no voluntary eviction when {} runs its minimum of {min_replicas} replica(s)",
                        describe(w)
                    ),
                );
            }
        }
    }
    // RBAC.
    let bindings: Vec<&Value> = ctx
        .gen_of("rbac.authorization.k8s.io", "RoleBinding")
        .into_iter()
        .chain(ctx.gen_of("rbac.authorization.k8s.io", "ClusterRoleBinding"))
        .collect();
    for rb in bindings {
        let role = &rb["roleRef"];
        let n = role["name"].as_str().unwrap_or_default();
        let found = match role["kind"].as_str().unwrap_or_default() {
            "Role" => ctx.find("rbac.authorization.k8s.io", "Role", namespace(rb), n),
            "ClusterRole" => ctx.find("rbac.authorization.k8s.io", "ClusterRole", "", n),
            _ => None,
        };
        if found.is_none() || role["apiGroup"].as_str() != Some("rbac.authorization.k8s.io") {
            ctx.fail("refs", rb, format!("roleRef {role} is not in the output"));
        }
        for (i, subject) in array(&rb["subjects"]).iter().enumerate() {
            if subject["kind"].as_str() != Some("ServiceAccount") {
                continue;
            }
            let ns = subject["namespace"].as_str().unwrap_or(namespace(rb));
            let sa = subject["name"].as_str().unwrap_or_default();
            if ctx.find("", "ServiceAccount", ns, sa).is_none() {
                ctx.fail("refs", rb, format!("subjects[{i}] ServiceAccount {ns}/{sa} is not in the output"));
            }
        }
    }
    // Workloads: own selector, service account.
    let workloads: Vec<&Value> = ctx.generated.iter().copied().filter(|o| is_workload(o)).collect();
    for w in workloads {
        let selector = &w["spec"]["selector"];
        if label_selector_is_empty(selector) || !label_selector_selects(selector, &pod_labels(w)) {
            ctx.fail(
                "refs",
                w,
                "spec.selector does not select its own pod template (the API server rejects it)",
            );
        }
        let pod = &w["spec"]["template"]["spec"];
        if let Some(sa) = pod["serviceAccountName"].as_str().or(pod["serviceAccount"].as_str())
            && sa != "default"
            && ctx.find("", "ServiceAccount", namespace(w), sa).is_none()
        {
            ctx.fail("refs", w, format!("serviceAccountName {sa:?} is not a ServiceAccount in the output"));
        }
    }
    // Ingress backends.
    for ingress in ctx.gen_of("networking.k8s.io", "Ingress") {
        let spec = &ingress["spec"];
        let backends: Vec<&Value> = std::iter::once(&spec["defaultBackend"])
            .chain(
                array(&spec["rules"]).iter().flat_map(|r| array(&r["http"]["paths"])).map(|p| &p["backend"]),
            )
            .filter(|b| b.get("service").is_some())
            .collect();
        for backend in backends {
            let svc_name = backend["service"]["name"].as_str().unwrap_or_default();
            let port = &backend["service"]["port"];
            if port["name"].as_str() == Some("use-annotation") {
                continue; // an ALB action, not a Service
            }
            let Some(svc) = ctx.find("", "Service", namespace(ingress), svc_name) else {
                ctx.fail("refs", ingress, format!("backend Service {svc_name:?} is not in the output"));
                continue;
            };
            let exists = array(&svc["spec"]["ports"]).iter().any(|p| {
                port["number"].as_i64().is_some_and(|n| p["port"].as_i64() == Some(n))
                    || port["name"].as_str().is_some_and(|n| p["name"].as_str() == Some(n))
            });
            if !exists {
                ctx.fail("refs", ingress, format!("backend port {port} is not a port of {}", describe(svc)));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization

/// `authz-principal`: principals and serviceAccounts of AuthorizationPolicy sources.
fn check_security_policies(ctx: &mut Ctx<'_>) {
    let gateway_pods = ctx.gateway_workloads();
    for kind in ["AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication"] {
        for policy in ctx.gen_of("security.istio.io", kind) {
            let selector = &policy["spec"]["selector"]["matchLabels"];
            if selector.is_null() {
                continue;
            }
            let selected = ctx.workloads_selected_by_map(selector, Some(namespace(policy)));
            if selected.is_empty() {
                ctx.fail(
                    "policy-selector",
                    policy,
                    format!(
                        "spec.selector.matchLabels {selector} matches no pods in namespace {}",
                        namespace(policy)
                    ),
                );
                continue;
            }
            let on_gateway = selected.iter().any(|w| gateway_pods.iter().any(|g| std::ptr::eq(*w, *g)));
            if kind == "AuthorizationPolicy"
                && on_gateway
                && policy["spec"]["action"].as_str().is_none_or(|a| a == "ALLOW")
            {
                ctx.fail(
                    "gateway-allow",
                    policy,
                    "an ALLOW policy on gateway pods makes them deny every request no ALLOW policy matches",
                );
            }
            if kind != "AuthorizationPolicy" {
                continue;
            }
            // Issuers validated on these pods.
            let mut issuers: BTreeSet<String> = BTreeSet::new();
            let mut any_request_authentication = false;
            for authn in ctx.all("security.istio.io", "RequestAuthentication") {
                let labels = &authn["spec"]["selector"]["matchLabels"];
                let applies = namespace(authn) == namespace(policy)
                    && (labels.is_null() || selected.iter().any(|w| map_selects(labels, &pod_labels(w))));
                if applies {
                    any_request_authentication = true;
                    issuers.extend(
                        array(&authn["spec"]["jwtRules"])
                            .iter()
                            .filter_map(|r| r["issuer"].as_str())
                            .map(str::to_string),
                    );
                }
            }
            for (i, rule) in array(&policy["spec"]["rules"]).iter().enumerate() {
                for from in array(&rule["from"]) {
                    let source = &from["source"];
                    let principals = array(&source["requestPrincipals"])
                        .iter()
                        .chain(array(&source["notRequestPrincipals"]));
                    for principal in principals.filter_map(Value::as_str) {
                        let known = if principal == "*" {
                            any_request_authentication
                        } else {
                            principal.rsplit_once('/').is_some_and(|(issuer, _)| issuers.contains(issuer))
                        };
                        if !known {
                            ctx.fail(
                                "jwt-issuer",
                                policy,
                                format!(
                                    "spec.rules[{i}] request principal {principal:?}: no RequestAuthentication on the same pods validates its issuer"
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Whether `ns`/`sa` is the ServiceAccount Istio deploys for a generated Gateway API Gateway
/// without addresses (automated deployment names it `<gateway>-istio`, class `istio`): the
/// function renders no workload for such a gateway.
fn istio_deployed_account(ctx: &Ctx<'_>, ns: &str, sa: &str) -> bool {
    ctx.gen_of("gateway.networking.k8s.io", "Gateway").iter().any(|g| {
        namespace(g) == ns
            && g["spec"]["addresses"].is_null()
            && g["spec"]["gatewayClassName"] == "istio"
            && format!("{}-istio", name(g)) == sa
    })
}

fn check_authorization(ctx: &mut Ctx<'_>) {
    let trust_domain = ctx.facts.trust_domain.clone();
    for policy in ctx.gen_of("security.istio.io", "AuthorizationPolicy") {
        for (i, rule) in array(&policy["spec"]["rules"]).iter().enumerate() {
            for (j, from) in array(&rule["from"]).iter().enumerate() {
                let source = &from["source"];
                let principals = array(&source["principals"]).iter().chain(array(&source["notPrincipals"]));
                for principal in principals.filter_map(Value::as_str) {
                    if principal.contains('*') {
                        continue;
                    }
                    let parts: Vec<&str> = principal.split('/').collect();
                    let at = format!("spec.rules[{i}].from[{j}] principal {principal:?}");
                    match parts.as_slice() {
                        [td, "ns", ns, "sa", sa] => {
                            if *td != trust_domain {
                                ctx.fail(
                                    "authz-principal",
                                    policy,
                                    format!("{at}: trust domain is not {trust_domain:?}"),
                                );
                            }
                            let generated = ctx
                                .gen_of("", "ServiceAccount")
                                .iter()
                                .any(|s| namespace(s) == *ns && name(s) == *sa)
                                || istio_deployed_account(ctx, ns, sa);
                            if !generated {
                                ctx.fail(
                                    "authz-principal",
                                    policy,
                                    format!("{at}: no generated ServiceAccount {ns}/{sa}"),
                                );
                            }
                        }
                        _ => ctx.fail(
                            "authz-principal",
                            policy,
                            format!("{at}: not <trust domain>/ns/<namespace>/sa/<name>"),
                        ),
                    }
                }
                for account in array(&source["serviceAccounts"]).iter().filter_map(Value::as_str) {
                    let (ns, sa) = account.split_once('/').unwrap_or((namespace(policy), account));
                    let generated =
                        ctx.gen_of("", "ServiceAccount").iter().any(|s| namespace(s) == ns && name(s) == sa)
                            || istio_deployed_account(ctx, ns, sa);
                    if !generated {
                        ctx.fail(
                            "authz-principal",
                            policy,
                            format!(
                                "spec.rules[{i}].from[{j}] serviceAccount {account:?}: no generated \
                                 ServiceAccount"
                            ),
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ownership

/// `labels`, `duplicate` and `selector-labels`.
fn check_ownership(ctx: &mut Ctx<'_>) {
    let instance = ctx.facts.instance.clone();
    let generated = ctx.generated.clone();
    for obj in &generated {
        for (key, want) in [
            ("app.kubernetes.io/managed-by", "mesh-ingress"),
            ("app.kubernetes.io/instance", instance.as_str()),
            (INSTANCE_LABEL, instance.as_str()),
        ] {
            if label(obj, key) != Some(want) {
                ctx.fail("labels", obj, format!("label {key} is {:?}, expected {want:?}", label(obj, key)));
            }
        }
    }
    let mut seen: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for obj in ctx.items {
        let key = (
            group(obj).to_string(),
            kind(obj).to_string(),
            namespace(obj).to_string(),
            name(obj).to_string(),
        );
        *seen.entry(key).or_default() += 1;
    }
    for obj in &generated {
        let key = (
            group(obj).to_string(),
            kind(obj).to_string(),
            namespace(obj).to_string(),
            name(obj).to_string(),
        );
        if seen.get(&key).copied().unwrap_or_default() > 1 {
            ctx.fail("duplicate", obj, "another output object has the same group, kind, namespace and name");
            seen.insert(key, 0); // report once
        }
    }
    const MUTABLE: &[&str] = &["app.kubernetes.io/version", "app.kubernetes.io/instance"];
    for obj in &generated {
        let selector_keys: Vec<String> = if is_workload(obj) || is(obj, "policy", "PodDisruptionBudget") {
            let sel = &obj["spec"]["selector"];
            string_map(&sel["matchLabels"])
                .into_keys()
                .chain(
                    array(&sel["matchExpressions"])
                        .iter()
                        .filter_map(|e| e["key"].as_str().map(str::to_string)),
                )
                .collect()
        } else if is(obj, "", "Service") {
            string_map(&obj["spec"]["selector"]).into_keys().collect()
        } else {
            continue;
        };
        for key in selector_keys.iter().filter(|k| MUTABLE.contains(&k.as_str())) {
            ctx.fail(
                "selector-labels",
                obj,
                format!("selector uses {key}, which changes between releases or instances"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Annotations

/// `annotations`: AWS health-check ports name Service ports; external-dns hostnames are served.
fn check_annotations(ctx: &mut Ctx<'_>) {
    for svc in ctx.gen_of("", "Service") {
        let annotations = string_map(&svc["metadata"]["annotations"]);
        if let Some(port) = annotations.get("service.beta.kubernetes.io/aws-load-balancer-healthcheck-port") {
            let named = array(&svc["spec"]["ports"]).iter().any(|p| p["name"].as_str() == Some(port));
            if port != "traffic-port" && port.parse::<u16>().is_err() && !named {
                ctx.fail(
                    "annotations",
                    svc,
                    format!("aws-load-balancer-healthcheck-port {port:?} is not a port name of the Service"),
                );
            }
        }
        let workloads: Vec<&Value> = ctx
            .workloads()
            .into_iter()
            .filter(|w| {
                namespace(w) == namespace(svc) && map_selects(&svc["spec"]["selector"], &pod_labels(w))
            })
            .collect();
        let served = ctx.istio_hosts_on(&workloads);
        for key in ["external-dns.kubernetes.io/hostname", "external-dns.alpha.kubernetes.io/hostname"] {
            let Some(hosts) = annotations.get(key) else {
                continue;
            };
            for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                if !served.iter().any(|s| hosts_overlap(s, host)) {
                    ctx.fail(
                        "annotations",
                        svc,
                        format!("{key} lists {host:?}, which no Istio Gateway on its pods serves"),
                    );
                }
            }
        }
    }
    for ingress in ctx.gen_of("networking.k8s.io", "Ingress") {
        let annotations = string_map(&ingress["metadata"]["annotations"]);
        let Some(port) = annotations.get("alb.ingress.kubernetes.io/healthcheck-port") else {
            continue;
        };
        if port == "traffic-port" || port.parse::<u16>().is_ok() {
            continue;
        }
        let spec = &ingress["spec"];
        let services: BTreeSet<&str> = std::iter::once(&spec["defaultBackend"])
            .chain(
                array(&spec["rules"]).iter().flat_map(|r| array(&r["http"]["paths"])).map(|p| &p["backend"]),
            )
            .filter_map(|b| b["service"]["name"].as_str())
            .collect();
        for svc_name in services {
            if let Some(svc) = ctx.find("", "Service", namespace(ingress), svc_name)
                && !array(&svc["spec"]["ports"]).iter().any(|p| p["name"].as_str() == Some(port))
            {
                ctx.fail(
                    "annotations",
                    ingress,
                    format!("alb healthcheck-port {port:?} is not a port name of {}", describe(svc)),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The control plane

/// What the output's control plane serves, read from its objects.
struct ControlPlane<'a> {
    /// The object the findings are about (the Sail Istio, or the istiod Application/HelmRelease).
    object: &'a Value,
    /// Injection label values served (`default` also stands for `istio-injection: enabled`).
    served: BTreeSet<String>,
    /// `global` of the values.
    global: Value,
    /// `meshConfig` of the values (absent with a remote profile).
    mesh_config: Value,
}

fn control_plane<'a>(ctx: &Ctx<'a>) -> Option<ControlPlane<'a>> {
    if let Some(istio) = ctx.gen_of("sailoperator.io", "Istio").first().copied() {
        let mut served = BTreeSet::new();
        if istio["spec"]["updateStrategy"]["type"] != "RevisionBased" {
            served.insert(name(istio).to_string());
        }
        for tag in ctx.gen_of("sailoperator.io", "IstioRevisionTag") {
            if tag["spec"]["targetRef"]["name"].as_str() == Some(name(istio)) {
                served.insert(name(tag).to_string());
            }
        }
        let values = &istio["spec"]["values"];
        return Some(ControlPlane {
            object: istio,
            served,
            global: values["global"].clone(),
            mesh_config: values["meshConfig"].clone(),
        });
    }
    let istiod = ctx
        .gen_of("argoproj.io", "Application")
        .into_iter()
        .find(|a| a["spec"]["source"]["chart"] == "istiod")
        .map(|a| (a, &a["spec"]["source"]["helm"]["valuesObject"]))
        .or_else(|| {
            ctx.gen_of("helm.toolkit.fluxcd.io", "HelmRelease")
                .into_iter()
                .find(|h| h["spec"]["releaseName"].as_str().is_some_and(|r| r.starts_with("istiod")))
                .map(|h| (h, &h["spec"]["values"]))
        });
    let (object, values) = istiod?;
    let mut served = BTreeSet::new();
    served.insert(values["revision"].as_str().filter(|r| !r.is_empty()).unwrap_or("default").to_string());
    served.extend(array(&values["revisionTags"]).iter().filter_map(Value::as_str).map(str::to_string));
    Some(ControlPlane {
        object,
        served,
        global: values["global"].clone(),
        mesh_config: values["meshConfig"].clone(),
    })
}

/// The sync wave of an object, when annotated.
fn wave(obj: &Value) -> Option<i64> {
    obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"].as_str().and_then(|w| w.parse().ok())
}

/// `control-plane`.
fn check_control_plane(ctx: &mut Ctx<'_>) {
    let Some(cp) = control_plane(ctx) else { return };
    let served = cp.served.iter().cloned().collect::<Vec<_>>().join(", ");
    // Injection labels of generated namespaces and gateway pods.
    for ns in ctx.gen_of("", "Namespace") {
        let wanted = match (label(ns, "istio.io/rev"), label(ns, "istio-injection")) {
            (Some(rev), _) => rev,
            (None, Some("enabled")) => "default",
            _ => continue,
        };
        if !cp.served.contains(wanted) {
            ctx.fail(
                "control-plane",
                ns,
                format!("injection label names revision {wanted:?}; the control plane serves {served}"),
            );
        }
    }
    for w in ctx.gateway_workloads() {
        if !ctx.is_generated(w) {
            continue;
        }
        let labels = pod_labels(w);
        let wanted = labels.get("istio.io/rev").map(String::as_str).unwrap_or("default");
        if !cp.served.contains(wanted) {
            ctx.fail(
                "control-plane",
                w,
                format!("gateway pods name revision {wanted:?}; the control plane serves {served}"),
            );
        }
    }
    // Networks.
    if let Some(network) = cp.global["network"].as_str() {
        for w in ctx.generated.clone() {
            if !is_workload(w) {
                continue;
            }
            if let Some(pods) =
                pod_labels(w).get("topology.istio.io/network").filter(|n| n.as_str() != network)
            {
                ctx.fail(
                    "control-plane",
                    w,
                    format!("network gateway on network {pods:?}; the control plane's is {network:?}"),
                );
            }
        }
        for ns in ctx.gen_of("", "Namespace") {
            if let Some(label) = label(ns, "topology.istio.io/network").filter(|n| *n != network) {
                ctx.fail(
                    "control-plane",
                    ns,
                    format!("labelled network {label:?}; the control plane's is {network:?}"),
                );
            }
        }
    }
    // Extension providers, when this cluster's istiod reads a mesh config.
    if cp.mesh_config.is_object() {
        let providers = array(&cp.mesh_config["extensionProviders"]);
        let kind_of = |provider: &str| -> Option<Vec<String>> {
            providers.iter().find(|p| p["name"] == provider).map(|p| {
                p.as_object()
                    .map(|m| m.keys().filter(|k| *k != "name").cloned().collect())
                    .unwrap_or_default()
            })
        };
        for telemetry in ctx.gen_of("telemetry.istio.io", "Telemetry") {
            for tracing in array(&telemetry["spec"]["tracing"]) {
                for provider in array(&tracing["providers"]).iter().filter_map(|p| p["name"].as_str()) {
                    match kind_of(provider) {
                        Some(kinds) if kinds.iter().any(|k| k == "opentelemetry" || k == "zipkin") => {}
                        other => ctx.fail(
                            "control-plane",
                            telemetry,
                            format!(
                                "tracing provider {provider:?} is {other:?} in meshConfig.extensionProviders"
                            ),
                        ),
                    }
                }
            }
        }
        for policy in ctx.gen_of("security.istio.io", "AuthorizationPolicy") {
            if policy["spec"]["action"] != "CUSTOM" {
                continue;
            }
            let provider = policy["spec"]["provider"]["name"].as_str().unwrap_or_default();
            match kind_of(provider) {
                Some(kinds) if kinds.iter().any(|k| k.starts_with("envoyExtAuthz")) => {}
                other => ctx.fail(
                    "control-plane",
                    policy,
                    format!("CUSTOM provider {provider:?} is {other:?} in meshConfig.extensionProviders"),
                ),
            }
        }
    }
    // Ordering: istiod after base, before the gateways.
    let object = cp.object;
    if is(object, "helm.toolkit.fluxcd.io", "HelmRelease")
        && !array(&object["spec"]["dependsOn"]).iter().any(|d| d["name"] == "istio-base")
    {
        ctx.fail("control-plane", object, "istiod does not dependsOn the istio-base HelmRelease");
    }
    if let Some(istiod_wave) = wave(object) {
        let base = ctx
            .gen_of("argoproj.io", "Application")
            .into_iter()
            .find(|a| a["spec"]["source"]["chart"] == "base")
            .and_then(wave);
        if base.is_some_and(|b| b >= istiod_wave) {
            ctx.fail(
                "control-plane",
                object,
                format!("istiod's wave {istiod_wave} does not follow the base chart's {base:?}"),
            );
        }
        for w in ctx.gateway_workloads() {
            if let Some(gateway_wave) = wave(w).filter(|g| *g <= istiod_wave) {
                ctx.fail(
                    "control-plane",
                    w,
                    format!("gateway wave {gateway_wave} does not follow istiod's {istiod_wave}"),
                );
            }
        }
    }
}
