//! The Istio output and the Kubernetes Gateway API output of one config mean the same traffic.
//!
//! Every golden case that renders (the examples among them: `example-*` cases read the examples'
//! configs) is rendered twice, with `spec.output: istio` and with `spec.output: gateway-api`, and a
//! small semantic comparator, written apart from the renderers, reads both outputs back into the
//! same facts: per gateway, the ports, hosts, TLS mode and Secret of what it serves and where it
//! redirects to HTTPS; per route, its gateways and hosts, and its HTTP rules in order (matches,
//! destinations and weights, redirects, rewrites, header changes, mirrors, CORS, timeouts), its SNI
//! and TCP rules; and every other object (certificates, mesh and access policies, workloads) as
//! written. The facts must be equal.
//!
//! The one place that lists real differences: [`ISTIO_ONLY`], the configs that use a feature only
//! the Istio API has, with the reason; for them the `gateway-api` render must fail (so the table
//! cannot go stale). The documented near-equivalence, a path prefix that the Gateway API matches
//! by whole segments, is compared as the same prefix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/golden_cases.rs"]
mod golden_cases;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Golden cases that use a feature only the Istio API has, and why their `gateway-api` render is
/// refused. The README section "The Kubernetes Gateway API" lists the same features.
const ISTIO_ONLY: &[(&str, &str)] = &[
    ("example-canary", "subsets (HTTPRoute routes to whole Services), JWT claim routing, retries"),
    (
        "example-greenfield-mtls",
        "destinations without a port (a Gateway API backendRef to a Service names the port)",
    ),
    ("example-multicluster-east-west", "retries (not in the Gateway API v1.6 standard channel)"),
    ("example-platform-revision", "cipher suites on a server (a Gateway API listener has no such setting)"),
    (
        "example-platform-revision-flux",
        "cipher suites on a server (a Gateway API listener has no such setting)",
    ),
    (
        "external-workload-aks",
        "gateways on pods managed elsewhere (a Gateway binds to a Service the config does not know)",
    ),
    ("minimal-http01", "retries (not in the Gateway API v1.6 standard channel)"),
    ("mutual-client-ca", "a client CA apart from the credential, client SANs, OPTIONAL_MUTUAL"),
    ("routes-canary-subsets", "subsets (HTTPRoute routes to whole Services)"),
    ("routes-fault-mirror-direct-response", "fault injection, retries, direct responses"),
    ("routes-matches", "absence, authority and port matches"),
    ("routes-redirect-rewrite-headers-cors", "prefix and regex CORS origins, regex path rewrites"),
    (
        "routes-tcp",
        "TLS termination of TCP traffic (a terminating Gateway API TLS listener carries TLSRoutes)",
    ),
    ("tls-passthrough-mutual", "TLS versions and client SANs on a server, OPTIONAL_MUTUAL"),
    ("workload-knobs-nodeport", "a minimum TLS version on a server"),
];

/// Golden cases not compared, and why (none of them is about traffic).
const NOT_COMPARED: &[(&str, &str)] = &[
    ("configmap-form", "the ConfigMap form has no output key; its config is a MeshIngress once decoded"),
    ("configmap-defaults", "the ConfigMap form has no output key; its config is a MeshIngress once decoded"),
];

fn set_output(config: &Value, output: &str) -> Value {
    let mut config = config.clone();
    if let Some(spec) = config.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("output".to_string(), json!(output));
        if let Some(gateways) = spec.get_mut("gateways").and_then(Value::as_array_mut) {
            for gateway in gateways {
                if let Some(g) = gateway.as_object_mut() {
                    g.remove("output");
                    // Who deploys the pods (`deployment: automated`, Gateway API only) changes the
                    // workload objects, not the traffic compared here; both renders use the
                    // workload rendered here.
                    g.remove("deployment");
                }
            }
        }
    }
    config
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().map(text).collect()
}

/// A host without an Istio Gateway namespace part.
fn host_name(host: &str) -> String {
    host.split_once('/').map_or(host, |(_, h)| h).to_string()
}

fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// `name.namespace.svc.cluster.local` of an Istio destination host, as Istio resolves it.
fn istio_service(host: &str, namespace: &str) -> String {
    if host.contains('.') { host.to_string() } else { format!("{host}.{namespace}.svc.cluster.local") }
}

fn gateway_api_service(backend: &Value, namespace: &str) -> String {
    let ns = backend["namespace"].as_str().unwrap_or(namespace);
    format!("{}.{ns}.svc.cluster.local", text(&backend["name"]))
}

/// Seconds of a duration (`24h`, `90s`); CORS `maxAge` is seconds in the Gateway API.
fn seconds(duration: &str) -> Option<u64> {
    let (mut total, mut number) = (0, String::new());
    for c in duration.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    Some(total)
}

/// What one config means, read back from either output.
#[derive(Debug, Default, PartialEq)]
struct Facts {
    /// (gateway, port, host) → how it is served: `HTTP`, `HTTPS <secret> [MUTUAL]`, `PASSTHROUGH`, `TCP`.
    listeners: BTreeSet<(String, u64, String, String)>,
    /// (gateway, port) → hosts redirected to HTTPS.
    redirects: BTreeMap<(String, u64), BTreeSet<String>>,
    /// (namespace, route name) → what the route does.
    routes: BTreeMap<(String, String), RouteFacts>,
    /// Every other generated object: (kind, namespace, name) → spec or data.
    others: BTreeMap<(String, String, String), Value>,
}

#[derive(Debug, Default, PartialEq)]
struct RouteFacts {
    gateways: BTreeSet<String>,
    mesh: bool,
    hosts: BTreeSet<String>,
    http: Vec<Value>,
    tls: BTreeSet<String>,
    tcp: BTreeSet<String>,
}

fn istio_string_match(m: &Value) -> Value {
    if let Some(v) = m.get("exact") {
        json!({"exact": v})
    } else if let Some(v) = m.get("prefix") {
        json!({"prefix": v})
    } else if let Some(v) = m.get("regex") {
        json!({"regex": v})
    } else {
        json!({"present": true})
    }
}

/// A header or query condition; a value prefix is the same as the full-match RE2 regex
/// `<escaped prefix>.*`, and "present" as `.*`.
fn istio_value_match(m: &Value) -> String {
    match istio_string_match(m) {
        v if v.get("exact").is_some() => format!("= {}", text(&v["exact"])),
        v if v.get("prefix").is_some() => format!("~ {}.*", regex_escape(&text(&v["prefix"]))),
        v if v.get("regex").is_some() => format!("~ {}", text(&v["regex"])),
        _ => "~ .*".to_string(),
    }
}

fn gateway_api_value_match(m: &Value) -> String {
    match m["type"].as_str() {
        Some("RegularExpression") => format!("~ {}", text(&m["value"])),
        _ => format!("= {}", text(&m["value"])),
    }
}

fn headers_of(ops: &Value, gateway_api: bool) -> Value {
    if ops.is_null() {
        return Value::Null;
    }
    let pairs = |v: &Value| -> BTreeMap<String, String> {
        if gateway_api {
            v.as_array().into_iter().flatten().map(|h| (text(&h["name"]), text(&h["value"]))).collect()
        } else {
            v.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), text(v))).collect()
        }
    };
    json!({"set": pairs(&ops["set"]), "add": pairs(&ops["add"]), "remove": strings(&ops["remove"])})
}

fn istio_http_rule(rule: &Value, namespace: &str) -> Value {
    let matches: Vec<Value> = rule["match"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let headers: BTreeMap<String, String> = m["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), istio_value_match(v)))
                .collect();
            let query: BTreeMap<String, String> = m["queryParams"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), istio_value_match(v)))
                .collect();
            json!({
                "path": if m["uri"].is_null() { json!({"prefix": "/"}) } else { istio_string_match(&m["uri"]) },
                "headers": headers,
                "query": query,
                "method": m["method"]["exact"],
            })
        })
        .collect();
    let matches = if matches.is_empty() {
        vec![json!({"path": {"prefix": "/"}, "headers": {}, "query": {}, "method": null})]
    } else {
        matches
    };
    let destinations: BTreeSet<String> = rule["route"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let d = &r["destination"];
            format!(
                "{}:{} {}",
                istio_service(&text(&d["host"]), namespace),
                d["port"]["number"],
                r["weight"].as_u64().unwrap_or(100)
            )
        })
        .collect();
    let redirect = &rule["redirect"];
    let redirect = (!redirect.is_null()).then(|| {
        json!({
            "scheme": redirect["scheme"], "host": redirect["authority"], "path": redirect["uri"],
            "port": redirect["port"], "code": redirect["redirectCode"].as_u64().unwrap_or(301),
        })
    });
    let rewrite = &rule["rewrite"];
    let rewrite = (!rewrite.is_null()).then(|| {
        let path = match (&rewrite["uri"], &rewrite["uriRegexRewrite"]) {
            (Value::String(p), _) => json!({"prefix": p}),
            // Istio spells a full-path replacement as a regex rewrite of the whole path.
            (_, r) if r["match"] == "/.*" => json!({"full": r["rewrite"]}),
            (_, r) if !r.is_null() => json!({"regex": r}),
            _ => Value::Null,
        };
        json!({"path": path, "host": rewrite["authority"]})
    });
    let mirror = (!rule["mirror"].is_null()).then(|| {
        format!(
            "{}:{} {}%",
            istio_service(&text(&rule["mirror"]["host"]), namespace),
            rule["mirror"]["port"]["number"],
            rule["mirrorPercentage"]["value"].as_f64().unwrap_or(100.0)
        )
    });
    let cors = &rule["corsPolicy"];
    let cors = (!cors.is_null()).then(|| {
        json!({
            "origins": cors["allowOrigins"].as_array().into_iter().flatten().map(|o| text(&o["exact"])).collect::<Vec<_>>(),
            "methods": cors["allowMethods"], "headers": cors["allowHeaders"], "expose": cors["exposeHeaders"],
            "maxAge": cors["maxAge"].as_str().and_then(seconds), "credentials": cors["allowCredentials"],
        })
    });
    json!({
        "name": rule["name"], "matches": matches, "destinations": destinations, "redirect": redirect,
        "rewrite": rewrite, "request": headers_of(&rule["headers"]["request"], false),
        "response": headers_of(&rule["headers"]["response"], false), "mirror": mirror, "cors": cors,
        "timeout": rule["timeout"],
    })
}

fn gateway_api_http_rule(rule: &Value, namespace: &str) -> Value {
    let matches: Vec<Value> = rule["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let path = &m["path"];
            let path = match path["type"].as_str() {
                Some("Exact") => json!({"exact": path["value"]}),
                // Segment-wise in the Gateway API: the documented near-equivalence.
                Some("PathPrefix") => json!({"prefix": path["value"]}),
                _ => json!({"regex": path["value"]}),
            };
            let named = |v: &Value| -> BTreeMap<String, String> {
                v.as_array().into_iter().flatten().map(|h| (text(&h["name"]), gateway_api_value_match(h))).collect()
            };
            json!({"path": path, "headers": named(&m["headers"]), "query": named(&m["queryParams"]), "method": m["method"]})
        })
        .collect();
    let destinations: BTreeSet<String> = rule["backendRefs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            format!(
                "{}:{} {}",
                gateway_api_service(b, namespace),
                b["port"],
                b["weight"].as_u64().unwrap_or(1)
            )
        })
        .collect();
    let filter = |kind: &str| -> Value {
        rule["filters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["type"] == kind)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let redirect = filter("RequestRedirect");
    let redirect = (!redirect.is_null()).then(|| {
        let r = &redirect["requestRedirect"];
        json!({
            "scheme": r["scheme"], "host": r["hostname"], "path": r["path"]["replaceFullPath"],
            "port": r["port"], "code": r["statusCode"],
        })
    });
    let rewrite = filter("URLRewrite");
    let rewrite = (!rewrite.is_null()).then(|| {
        let r = &rewrite["urlRewrite"];
        let path = match r["path"]["type"].as_str() {
            Some("ReplacePrefixMatch") => json!({"prefix": r["path"]["replacePrefixMatch"]}),
            Some("ReplaceFullPath") => json!({"full": r["path"]["replaceFullPath"]}),
            _ => Value::Null,
        };
        json!({"path": path, "host": r["hostname"]})
    });
    let mirror = filter("RequestMirror");
    let mirror = (!mirror.is_null()).then(|| {
        let m = &mirror["requestMirror"];
        let percent = match (m["percent"].as_f64(), &m["fraction"]) {
            (Some(p), _) => p,
            (None, f) if !f.is_null() => {
                f["numerator"].as_f64().unwrap() * 100.0 / f["denominator"].as_f64().unwrap_or(100.0)
            }
            _ => 100.0,
        };
        format!(
            "{}:{} {}%",
            gateway_api_service(&m["backendRef"], namespace),
            m["backendRef"]["port"],
            percent
        )
    });
    let cors = filter("CORS");
    let cors = (!cors.is_null()).then(|| {
        let c = &cors["cors"];
        json!({
            "origins": strings(&c["allowOrigins"]), "methods": c["allowMethods"], "headers": c["allowHeaders"],
            "expose": c["exposeHeaders"], "maxAge": c["maxAge"], "credentials": c["allowCredentials"],
        })
    });
    json!({
        "name": rule["name"], "matches": matches, "destinations": destinations, "redirect": redirect,
        "rewrite": rewrite,
        "request": headers_of(&filter("RequestHeaderModifier")["requestHeaderModifier"], true),
        "response": headers_of(&filter("ResponseHeaderModifier")["responseHeaderModifier"], true),
        "mirror": mirror, "cors": cors, "timeout": rule["timeouts"]["request"],
    })
}

/// The weighted destinations of an Istio TLS or TCP rule, sorted.
fn istio_l4_destinations(rule: &Value, namespace: &str) -> Vec<String> {
    let mut d: Vec<String> = rule["route"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{}:{} {}",
                istio_service(&text(&r["destination"]["host"]), namespace),
                r["destination"]["port"]["number"],
                r["weight"].as_u64().unwrap_or(100)
            )
        })
        .collect();
    d.sort();
    d
}

/// The facts of one output; `instance` picks the generated objects.
fn facts(items: &[Value], instance: &str) -> Facts {
    let generated: Vec<&Value> =
        items.iter().filter(|i| i["metadata"]["labels"]["mesh-ingress.dev/instance"] == instance).collect();
    let mut out = Facts::default();
    // Gateway API listeners by (Gateway, listener name): (port, host).
    let mut sections: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    // Policies select their pods by labels (istio) or name their Gateway (gateway-api): both are
    // read back as the Deployment of the pods. Gateway → Deployment, by its `Hostname` address.
    let mut gateway_pods: BTreeMap<String, String> = BTreeMap::new();
    let pod_labels: Vec<(String, BTreeMap<String, String>)> = generated
        .iter()
        .filter(|i| i["kind"] == "Deployment")
        .map(|d| {
            let labels = d["spec"]["template"]["metadata"]["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect();
            (text(&d["metadata"]["name"]), labels)
        })
        .collect();
    for item in &generated {
        let (kind, api) = (text(&item["kind"]), text(&item["apiVersion"]));
        let name = text(&item["metadata"]["name"]);
        let spec = &item["spec"];
        match (kind.as_str(), api.starts_with("gateway.networking.k8s.io")) {
            ("Gateway", false) => {
                for server in spec["servers"].as_array().into_iter().flatten() {
                    let port = server["port"]["number"].as_u64().unwrap();
                    let tls = &server["tls"];
                    if tls["httpsRedirect"] == true {
                        let hosts: Vec<String> = strings(&server["hosts"])
                            .iter()
                            .map(|h| host_name(h))
                            .filter(|h| h != "*")
                            .collect();
                        out.redirects.entry((name.clone(), port)).or_default().extend(hosts);
                        continue;
                    }
                    let how = match (text(&server["port"]["protocol"]).as_str(), tls["mode"].as_str()) {
                        ("TCP", _) => "TCP".to_string(),
                        (_, Some("PASSTHROUGH")) => "PASSTHROUGH".to_string(),
                        (_, Some("MUTUAL")) => format!("HTTPS {} MUTUAL", text(&tls["credentialName"])),
                        (_, Some(_)) => format!("HTTPS {}", text(&tls["credentialName"])),
                        (protocol, None) => protocol.to_string(),
                    };
                    let hosts = if how == "TCP" { vec!["*".to_string()] } else { strings(&server["hosts"]) };
                    for host in hosts {
                        out.listeners.insert((name.clone(), port, host_name(&host), how.clone()));
                    }
                }
            }
            ("Gateway", true) => {
                // The port-80 Gateway of an HTTP-01 gateway in istio mode is named `<gateway>-http`.
                let listeners = spec["listeners"].as_array().map(Vec::as_slice).unwrap_or_default();
                let http01 = listeners.len() == 1 && listeners[0]["name"] == "http";
                let gateway = match name.strip_suffix("-http") {
                    Some(gateway) if http01 => gateway.to_string(),
                    _ => name.clone(),
                };
                if let Some((service, _)) =
                    spec["addresses"][0]["value"].as_str().and_then(|a| a.split_once('.'))
                {
                    gateway_pods.insert(name.clone(), service.to_string());
                }
                for l in spec["listeners"].as_array().into_iter().flatten() {
                    let port = l["port"].as_u64().unwrap();
                    let host = l["hostname"].as_str().unwrap_or("*").to_string();
                    sections.insert((name.clone(), text(&l["name"])), (port, gateway.clone()));
                    let tls = &l["tls"];
                    let how = match (text(&l["protocol"]).as_str(), tls["mode"].as_str()) {
                        ("TCP", _) => "TCP".to_string(),
                        (_, Some("Passthrough")) => "PASSTHROUGH".to_string(),
                        (_, Some(_)) => {
                            let secret = text(&tls["certificateRefs"][0]["name"]);
                            match tls["options"]["gateway.istio.io/tls-terminate-mode"].as_str() {
                                Some("MUTUAL") => format!("HTTPS {secret} MUTUAL"),
                                _ => format!("HTTPS {secret}"),
                            }
                        }
                        (protocol, None) => protocol.to_string(),
                    };
                    // The redirecting listener is known by its HTTPRoute below.
                    if how == "HTTP" && l["hostname"].is_null() && text(&l["name"]) == "http" {
                        continue;
                    }
                    out.listeners.insert((gateway.clone(), port, host, how));
                }
            }
            _ => {}
        }
    }
    let parent = |p: &Value| -> Option<(u64, String)> {
        sections.get(&(text(&p["name"]), text(&p["sectionName"]))).cloned()
    };
    for item in &generated {
        let kind = text(&item["kind"]);
        let name = text(&item["metadata"]["name"]);
        let namespace = text(&item["metadata"]["namespace"]);
        let spec = &item["spec"];
        let redirect_route = kind == "HTTPRoute"
            && spec["rules"].as_array().is_some_and(|r| r.len() == 1)
            && spec["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"
            && spec["rules"][0]["backendRefs"].is_null()
            && name.ends_with("-https-redirect");
        match kind.as_str() {
            "Gateway" => {}
            "HTTPRoute" if redirect_route => {
                for p in spec["parentRefs"].as_array().into_iter().flatten() {
                    let (port, gateway) = parent(p).unwrap();
                    out.redirects.entry((gateway, port)).or_default().extend(strings(&spec["hostnames"]));
                }
            }
            "VirtualService" => {
                let route = out.routes.entry((namespace.clone(), name.clone())).or_default();
                for g in strings(&spec["gateways"]) {
                    match g.split_once('/') {
                        Some((_, g)) => {
                            route.gateways.insert(g.to_string());
                        }
                        None => route.mesh = true,
                    }
                }
                // Hosts of a route are those of its HTTP rules; TLS rules name their SNI hosts.
                if spec["http"].as_array().is_some_and(|a| !a.is_empty()) {
                    route.hosts.extend(strings(&spec["hosts"]).into_iter().filter(|h| h != "*"));
                }
                if strings(&spec["gateways"]).iter().any(|g| g.contains('/')) || route.http.is_empty() {
                    route.http = spec["http"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| istio_http_rule(r, &namespace))
                        .collect();
                }
                for rule in spec["tls"].as_array().into_iter().flatten() {
                    let mut sni: Vec<String> = rule["match"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|m| strings(&m["sniHosts"]))
                        .collect();
                    sni.sort();
                    let d = istio_l4_destinations(rule, &namespace);
                    route.tls.insert(format!("{sni:?} → {d:?}"));
                }
                for rule in spec["tcp"].as_array().into_iter().flatten() {
                    let d = istio_l4_destinations(rule, &namespace);
                    route.tcp.insert(format!("{d:?}"));
                }
            }
            "HTTPRoute" | "TLSRoute" | "TCPRoute" => {
                // TLSRoutes and TCPRoutes of one route are named `<route>-<index>` when there are several.
                let route_name = if kind == "HTTPRoute" {
                    name.clone()
                } else {
                    match name.rsplit_once('-') {
                        Some((base, index))
                            if index.parse::<u32>().is_ok()
                                && !out.routes.contains_key(&(namespace.clone(), name.clone())) =>
                        {
                            base.to_string()
                        }
                        _ => name.clone(),
                    }
                };
                let route = out.routes.entry((namespace.clone(), route_name)).or_default();
                for p in spec["parentRefs"].as_array().into_iter().flatten() {
                    route.gateways.insert(text(&p["name"]));
                }
                let hostnames = strings(&spec["hostnames"]);
                let d = |rules: &Value| -> Vec<String> {
                    let mut d: Vec<String> = rules
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|r| r["backendRefs"].as_array().cloned().unwrap_or_default())
                        .map(|b| {
                            format!(
                                "{}:{} {}",
                                gateway_api_service(&b, &namespace),
                                b["port"],
                                b["weight"].as_u64().unwrap_or(1)
                            )
                        })
                        .collect();
                    d.sort();
                    d
                };
                match kind.as_str() {
                    "HTTPRoute" => {
                        route.hosts.extend(hostnames);
                        route.http = spec["rules"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|r| gateway_api_http_rule(r, &namespace))
                            .collect();
                    }
                    "TLSRoute" => {
                        let mut sni = hostnames;
                        sni.sort();
                        route.tls.insert(format!("{sni:?} → {:?}", d(&spec["rules"])));
                    }
                    _ => {
                        route.tcp.insert(format!("{:?}", d(&spec["rules"])));
                    }
                }
            }
            // What only one output needs to say: which API a ClusterIssuer's HTTP-01 routes attach
            // to, whether istiod serves the Gateway API, and consent for cross-namespace backends.
            // The record lists the generated objects, which are the API's by design.
            "ReferenceGrant" | "MeshIngressRecord" => {}
            _ => {
                let mut body = (*item).clone();
                if let Some(o) = body.as_object_mut() {
                    o.remove("metadata");
                }
                strip_parent_refs(&mut body);
                if kind == "Deployment"
                    && let Some(labels) =
                        body.pointer_mut("/spec/template/metadata/labels").and_then(Value::as_object_mut)
                {
                    labels.remove("gateway.networking.k8s.io/gateway-name");
                }
                if let Some(spec) = body.get_mut("spec").and_then(Value::as_object_mut) {
                    let by_refs = spec.remove("targetRefs").and_then(|refs| {
                        refs.as_array()?
                            .iter()
                            .map(|r| gateway_pods.get(&text(&r["name"])).cloned())
                            .collect::<Option<Vec<_>>>()
                    });
                    let by_selector =
                        spec.get("selector").and_then(|s| s["matchLabels"].as_object()).map(|wanted| {
                            pod_labels
                                .iter()
                                .filter(|(_, labels)| {
                                    wanted
                                        .iter()
                                        .all(|(k, v)| labels.get(k) == v.as_str().map(String::from).as_ref())
                                })
                                .map(|(name, _)| name.clone())
                                .collect::<Vec<_>>()
                        });
                    if matches!(kind.as_str(), "AuthorizationPolicy" | "RequestAuthentication")
                        && let Some(pods) = by_refs.or(by_selector.filter(|p| !p.is_empty()))
                    {
                        spec.remove("selector");
                        spec.insert("pods".to_string(), json!(pods));
                    }
                }
                out.others.insert((kind, namespace, name), body);
            }
        }
    }
    out
}

/// The HTTP-01 solver names the Gateway its challenge routes attach to, which is the API's.
fn strip_parent_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("parentRefs");
            map.values_mut().for_each(strip_parent_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_parent_refs),
        _ => {}
    }
}

/// istiod's Gateway API switch follows the output; nothing else of the control plane does.
fn strip_gateway_api_switch(facts: &mut Facts) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("PILOT_ENABLE_GATEWAY_API");
                map.values_mut().for_each(strip);
                map.retain(|_, v| v.as_object().is_none_or(|o| !o.is_empty()));
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    facts.others.values_mut().for_each(strip);
}

#[test]
fn both_outputs_mean_the_same_traffic() {
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut refused = BTreeSet::new();
    for case in golden_cases::cases() {
        if case.name.starts_with("error-") || NOT_COMPARED.iter().any(|(n, _)| *n == case.name) {
            continue;
        }
        if case.config["kind"] != "MeshIngress" {
            failures.push(format!("{}: not a MeshIngress config; list it in NOT_COMPARED", case.name));
            continue;
        }
        let instance = text(&case.config["metadata"]["name"]);
        let istio = golden_cases::run_krm(&set_output(&case.config, "istio"), &case.input).unwrap();
        let gateway_api =
            golden_cases::run_krm(&set_output(&case.config, "gateway-api"), &case.input).unwrap();
        if istio.code != 0 {
            failures.push(format!("{}: the istio render fails: {:?}", case.name, istio.errors()));
            continue;
        }
        let listed = ISTIO_ONLY.iter().any(|(n, _)| *n == case.name);
        match (gateway_api.code == 0, listed) {
            (false, true) => {
                refused.insert(case.name.clone());
                continue;
            }
            (false, false) => {
                failures.push(format!(
                    "{}: the gateway-api render fails; list it in ISTIO_ONLY with the reason: {:?}",
                    case.name,
                    gateway_api.errors()
                ));
                continue;
            }
            (true, true) => {
                failures.push(format!("{}: listed in ISTIO_ONLY but renders in gateway-api mode", case.name));
                continue;
            }
            (true, false) => {}
        }
        let mut a = facts(&istio.items(), &instance);
        let mut b = facts(&gateway_api.items(), &instance);
        strip_gateway_api_switch(&mut a);
        strip_gateway_api_switch(&mut b);
        if a != b {
            let show = |name: &str, x: &dyn std::fmt::Debug, y: &dyn std::fmt::Debug| {
                let (x, y) = (format!("{x:#?}"), format!("{y:#?}"));
                (x != y).then(|| format!("  {name}:\n{}", golden_cases::diff(&x, &y)))
            };
            let parts: Vec<String> = [
                show("listeners", &a.listeners, &b.listeners),
                show("redirects", &a.redirects, &b.redirects),
                show("routes", &a.routes, &b.routes),
                show("others", &a.others.keys().collect::<Vec<_>>(), &b.others.keys().collect::<Vec<_>>()),
            ]
            .into_iter()
            .flatten()
            .collect();
            let others_differ: Vec<String> = a
                .others
                .iter()
                .filter(|(k, v)| b.others.get(*k) != Some(*v))
                .map(|(k, _)| format!("{k:?}"))
                .collect();
            failures.push(format!(
                "{}: the outputs differ\n{}\n  other objects that differ: {others_differ:?}",
                case.name,
                parts.join("\n")
            ));
        }
        compared += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(compared > 20, "only {compared} configs compared");
    for (name, _) in ISTIO_ONLY {
        assert!(refused.contains(*name), "ISTIO_ONLY names {name}, which is no golden case");
    }
}
