//! The ConfigMap form of the config, for `kpt fn eval -- key=value` and a Kptfile's `configMap:`.
//!
//! kpt names this ConfigMap `function-input`, so the instance name comes from `data.name`, never from
//! `metadata.name`. The keys cover the common case, one gateway with a Let's Encrypt certificate;
//! everything else takes the MeshIngress defaults. For more, use the typed `MeshIngress`.

use super::decode::{Problem, suggest};
use super::v1alpha1::*;
use super::{Config, ConfigSource, problem_result};
use crate::krm::result::{File, KrmResult, ResourceRef};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One supported `data` key.
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// What it sets, and its default.
    pub doc: &'static str,
    /// The spec fields it fills, for mapping result paths back to the key.
    pub spec_paths: &'static [&'static str],
}

/// Every supported `data` key, documented; the README and kpt docs are checked against this list.
pub const KEYS: &[Key] = &[
    Key {
        name: "name",
        doc: "Instance name (required); stamped on every generated object.",
        spec_paths: &[],
    },
    Key {
        name: "domains",
        doc: "Host names, comma- or space-separated (`*.sandbox.example.com,example.com`); the gateway serves them and the certificate covers them.",
        spec_paths: &["spec.domains", "spec.certificates[0].dnsNames", "spec.gateways[0].servers"],
    },
    Key {
        name: "namespace",
        doc: "Gateway namespace. Default `istio-ingress`.",
        spec_paths: &["spec.namespace"],
    },
    Key {
        name: "revision",
        doc: "Istio revision. Default: the default revision.",
        spec_paths: &["spec.revision"],
    },
    Key { name: "gateway", doc: "Gateway name. Default `external`.", spec_paths: &["spec.gateways[0].name"] },
    Key {
        name: "scope",
        doc: "`external` (default) or `internal`.",
        spec_paths: &["spec.gateways[0].scope"],
    },
    Key {
        name: "provider",
        doc: "Load balancer preset: `none` (default), `aws-nlb`, `aws-alb`, `gcp` or `azure`.",
        spec_paths: &["spec.gateways[0].loadBalancer"],
    },
    Key {
        name: "loadBalancerName",
        doc: "AWS load balancer name.",
        spec_paths: &["spec.gateways[0].loadBalancer.name"],
    },
    Key {
        name: "serviceType",
        doc: "Gateway Service type: `LoadBalancer`, `NodePort` or `ClusterIP`.",
        spec_paths: &["spec.gateways[0].service"],
    },
    Key {
        name: "externalDNS",
        doc: "`true` to annotate the gateway Service for external-dns. Default `false`.",
        spec_paths: &["spec.gateways[0].externalDNS"],
    },
    Key {
        name: "certificate",
        doc: "Certificate (and Secret) name. Default `<name>-tls`.",
        spec_paths: &["spec.certificates[0]"],
    },
    Key {
        name: "issuer",
        doc: "ClusterIssuer that signs the certificate. Default `letsencrypt-prod` (`letsencrypt-staging` with `acmeServer=staging`).",
        spec_paths: &["spec.certificates[0].issuer", "spec.issuers[0].name"],
    },
    Key {
        name: "email",
        doc: "ACME account e-mail; when set, the ClusterIssuer `issuer` is generated (HTTP-01 through the gateway, or DNS-01 with the `route53*` keys).",
        spec_paths: &["spec.issuers[0].acme.email", "spec.issuers[0]"],
    },
    Key {
        name: "acmeServer",
        doc: "`production` (default), `staging` or an ACME directory URL.",
        spec_paths: &["spec.issuers[0].acme.server"],
    },
    Key {
        name: "route53Region",
        doc: "Use DNS-01 through Route 53 in this region (required for wildcard domains).",
        spec_paths: &["spec.issuers[0].acme.solvers[0].dns01.route53.region", "spec.issuers[0].acme.solvers"],
    },
    Key {
        name: "route53HostedZoneID",
        doc: "Route 53 hosted zone ID (with `route53Region`).",
        spec_paths: &["spec.issuers[0].acme.solvers[0].dns01.route53.hostedZoneID"],
    },
    Key {
        name: "route53Role",
        doc: "IAM role ARN to assume for Route 53 (with `route53Region`).",
        spec_paths: &["spec.issuers[0].acme.solvers[0].dns01.route53.role"],
    },
    Key {
        name: "namespaces",
        doc: "Application namespaces to manage (injection, mTLS), comma-separated.",
        spec_paths: &["spec.namespaces"],
    },
    Key { name: "mtls", doc: "`STRICT` (default) or `PERMISSIVE`.", spec_paths: &["spec.mtls.mode"] },
    Key {
        name: "meshWideMTLS",
        doc: "`true` to also emit the mesh-wide PeerAuthentication. Default `false`.",
        spec_paths: &["spec.mtls.meshWide"],
    },
    Key {
        name: "demoApp",
        doc: "`true` to render the demo app. Default `false`.",
        spec_paths: &["spec.demoApp"],
    },
    Key {
        name: "analysis",
        doc: "Findings of the checks over the whole package on objects you wrote: `Warning` (default), `Error` (what `istioctl analyze` rates an error fails the render) or `Off`.",
        spec_paths: &["spec.analysis"],
    },
];

/// Keys whose value is a boolean: an unquoted `true` (which YAML reads as a boolean) is what they mean.
const BOOLEAN_KEYS: &[&str] = &["externalDNS", "meshWideMTLS", "demoApp"];

/// Maps spec field paths back to the ConfigMap key they came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PathMap {
    /// The `data` keys the user wrote; a finding about a default is not blamed on a key left unset.
    pub written: Vec<String>,
}

/// Where a finding about a ConfigMap config points.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// `data.<key>`, a key the user wrote (or `metadata.*`/`data.*` paths as they are).
    Written(String),
    /// A spec field filled from the default of `data.<key>`, which the user did not set.
    Default(&'static str),
    /// A spec field no key sets.
    Derived(String),
}

impl PathMap {
    /// `data.<key>` for a spec path derived from a key; otherwise the spec path, marked as derived.
    pub fn translate(&self, path: &str) -> String {
        match self.origin(path) {
            Origin::Written(path) | Origin::Derived(path) => path,
            Origin::Default(_) => "data".to_string(),
        }
    }

    /// Where a spec path came from: a key the user wrote, a default, or neither.
    pub fn origin(&self, path: &str) -> Origin {
        // The instance name is `data.name`; kpt's `function-input` name is never used.
        if path == "metadata.name" {
            return Origin::Written("data.name".to_string());
        }
        let mut best: Option<(&str, usize)> = None;
        for key in KEYS {
            for prefix in key.spec_paths {
                let matches = path == *prefix
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['));
                if matches && best.is_none_or(|(_, len)| prefix.len() > len) {
                    best = Some((key.name, prefix.len()));
                }
            }
        }
        match best {
            // Without `data.certificate`, the certificate is named after `data.name`.
            Some(("certificate", _)) if !self.is_written("certificate") => {
                Origin::Written("data.name".to_string())
            }
            Some((key, _)) if self.is_written(key) || self.written.is_empty() => {
                Origin::Written(format!("data.{key}"))
            }
            Some((key, _)) => Origin::Default(key),
            None if path.starts_with("data.") || path.starts_with("metadata.") => {
                Origin::Written(path.to_string())
            }
            None => Origin::Derived(format!("{path} (derived from the ConfigMap)")),
        }
    }

    fn is_written(&self, key: &str) -> bool {
        self.written.iter().any(|k| k == key)
    }
}

fn list(value: &str) -> Vec<String> {
    value.split([',', ' ', '\n', '\t']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn parse_enum<T: DeserializeOwned>(
    key: &str,
    value: &str,
    options: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match serde_json::from_value::<T>(Value::String(value.to_string())) {
        Ok(parsed) => Some(parsed),
        Err(_) => {
            let suggestion = suggest(value, options);
            problems.push(Problem {
                path: format!("data.{key}"),
                message: match &suggestion {
                    Some(s) => format!(
                        "unsupported value {value:?}, did you mean {s:?}? (expected one of {})",
                        options.join(", ")
                    ),
                    None => format!("unsupported value {value:?}, expected one of {}", options.join(", ")),
                },
                value: Some(Value::String(value.to_string())),
                suggestion,
            });
            None
        }
    }
}

fn parse_bool(key: &str, value: &str, problems: &mut Vec<Problem>) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" | "" => Some(false),
        _ => {
            problems.push(Problem {
                path: format!("data.{key}"),
                message: format!("unsupported value {value:?}, expected \"true\" or \"false\""),
                value: Some(Value::String(value.to_string())),
                suggestion: None,
            });
            None
        }
    }
}

/// Decode a `v1` ConfigMap config into a spec.
pub fn decode(
    config: &Value,
    resource_ref: &ResourceRef,
    file: Option<File>,
) -> Result<Config, Vec<KrmResult>> {
    let mut problems = Vec::new();
    let mut data: std::collections::BTreeMap<String, String> = Default::default();
    match config.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let text = match value {
                    Value::String(s) => s.clone(),
                    // kpt writes every value as a string; an unquoted `true` on a yes/no key means it.
                    Value::Bool(b) if BOOLEAN_KEYS.contains(&key.as_str()) => b.to_string(),
                    // Elsewhere YAML turned text into something else (`name: y`, `gateway: 12e3`).
                    other @ (Value::Bool(_) | Value::Number(_)) => {
                        problems.push(Problem {
                            path: format!("data.{key}"),
                            message: format!(
                                "expected a string, found {}; quote it ({key}: \"...\")",
                                super::decode::what_yaml_made(other)
                            ),
                            value: Some(other.clone()),
                            suggestion: None,
                        });
                        continue;
                    }
                    other => {
                        problems.push(Problem {
                            path: format!("data.{key}"),
                            message: format!("expected a string, found {}", crate::krm::type_name(other)),
                            value: Some(other.clone()),
                            suggestion: None,
                        });
                        continue;
                    }
                };
                data.insert(key.clone(), text);
            }
        }
        Some(other) => problems.push(Problem {
            path: "data".to_string(),
            message: format!("expected a mapping, found {}", crate::krm::type_name(other)),
            value: None,
            suggestion: None,
        }),
    }
    let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
    for key in data.keys() {
        if !known.contains(&key.as_str()) {
            let suggestion = suggest(key, &known);
            problems.push(Problem {
                path: format!("data.{key}"),
                message: match &suggestion {
                    Some(s) => format!("unknown key {key:?}, did you mean {s:?}?"),
                    None => format!("unknown key {key:?}, expected one of: {}", known.join(", ")),
                },
                value: None,
                suggestion,
            });
        }
    }
    let get = |key: &str| data.get(key).map(String::as_str).filter(|v| !v.trim().is_empty());
    let written = |key: &str| get(key).is_some();
    let mut notes = Vec::new();

    let instance = match get("name") {
        Some(name) => {
            // Checked here, where the key is known: every generated name (the certificate's
            // `<name>-tls` among them) is built from it, so a bad name would be reported again and
            // again under keys the user never set.
            let name = name.trim();
            if let Err(reason) = crate::validate::names::dns1123_label(name) {
                problems.push(Problem {
                    path: "data.name".to_string(),
                    message: format!("instance name {name:?} is not valid: {reason}"),
                    value: Some(Value::String(name.to_string())),
                    suggestion: None,
                });
            }
            name.to_string()
        }
        // A non-string value was reported above.
        None if config.pointer("/data/name").is_some_and(|v| v.is_boolean() || v.is_number()) => {
            String::new()
        }
        None => {
            problems.push(Problem {
                path: "data.name".to_string(),
                message: "the instance name is missing; set data.name (kpt names the ConfigMap itself `function-input`, which is not used)".to_string(),
                value: None,
                suggestion: None,
            });
            String::new()
        }
    };

    let mut spec =
        MeshIngressSpec { domains: get("domains").map(list).unwrap_or_default(), ..Default::default() };
    if let Some(ns) = get("namespace") {
        spec.namespace = ns.trim().to_string();
    }
    if let Some(rev) = get("revision") {
        spec.revision = rev.trim().to_string();
    }

    let mut gateway =
        Gateway { name: get("gateway").unwrap_or("external").trim().to_string(), ..Default::default() };
    if let Some(scope) = get("scope")
        && let Some(s) = parse_enum("scope", scope, &["external", "internal"], &mut problems)
    {
        gateway.scope = s;
    }
    if let Some(provider) = get("provider")
        && let Some(p) =
            parse_enum("provider", provider, &["none", "aws-nlb", "aws-alb", "gcp", "azure"], &mut problems)
    {
        gateway.load_balancer.provider = p;
    }
    if let Some(name) = get("loadBalancerName") {
        gateway.load_balancer.name = Some(name.trim().to_string());
    }
    if let Some(t) = get("serviceType") {
        gateway.service.type_ =
            parse_enum("serviceType", t, &["LoadBalancer", "NodePort", "ClusterIP"], &mut problems);
    }
    if let Some(v) = get("externalDNS") {
        gateway.external_dns.enabled = parse_bool("externalDNS", v, &mut problems).unwrap_or(false);
    }
    spec.gateways.push(gateway);

    let acme_server = get("acmeServer").unwrap_or("production").trim().to_string();
    let default_issuer = if acme_server == "staging" { "letsencrypt-staging" } else { "letsencrypt-prod" };
    let issuer = get("issuer").unwrap_or(default_issuer).trim().to_string();
    spec.certificates.push(Certificate {
        name: get("certificate").map(|c| c.trim().to_string()).unwrap_or_else(|| format!("{instance}-tls")),
        issuer: Some(issuer.clone()),
        ..Default::default()
    });
    if let Some(email) = get("email") {
        let solver = match get("route53Region") {
            Some(region) => Solver {
                dns01: Some(Dns01 {
                    route53: Some(Route53 {
                        region: region.trim().to_string(),
                        hosted_zone_id: get("route53HostedZoneID").map(|v| v.trim().to_string()),
                        role: get("route53Role").map(|v| v.trim().to_string()),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            None => Solver {
                http01: Some(Http01 { gateway: spec.gateways[0].name.clone() }),
                ..Default::default()
            },
        };
        spec.issuers.push(Issuer {
            name: issuer,
            acme: Some(Acme {
                email: email.trim().to_string(),
                server: acme_server,
                private_key_secret_name: None,
                solvers: vec![solver],
            }),
            ..Default::default()
        });
    } else if get("route53Region").is_none() && get("acmeServer").is_none() {
        // Without data.email the issuer is one that already exists (the key's documented meaning),
        // which this form has no other way to say; what that needs is information, not a warning.
        spec.issuers.push(Issuer { name: issuer.clone(), external: true, ..Default::default() });
        let key = if written("issuer") { "data.issuer" } else { "data" };
        notes.push(
            KrmResult::info(format!(
                "the certificate is signed by ClusterIssuer {issuer:?}, which must already exist in the cluster; set data.email to have an ACME ClusterIssuer of that name generated"
            ))
            .at(key, None),
        );
    } else {
        problems.push(Problem {
            path: "data.email".to_string(),
            message: "acmeServer and route53* configure a generated ACME issuer, which needs data.email"
                .to_string(),
            value: None,
            suggestion: None,
        });
    }

    if let Some(namespaces) = get("namespaces") {
        spec.namespaces = list(namespaces)
            .into_iter()
            .map(|name| AppNamespace { name, injection: true, ..Default::default() })
            .collect();
    }
    if let Some(mode) = get("mtls")
        && let Some(m) = parse_enum("mtls", mode, &["STRICT", "PERMISSIVE"], &mut problems)
    {
        spec.mtls.mode = m;
    }
    if let Some(v) = get("meshWideMTLS") {
        spec.mtls.mesh_wide = parse_bool("meshWideMTLS", v, &mut problems).unwrap_or(false);
    }
    if let Some(v) = get("demoApp") {
        spec.demo_app.enabled = parse_bool("demoApp", v, &mut problems).unwrap_or(false);
    }
    if let Some(v) = get("analysis")
        && let Some(level) = parse_enum("analysis", v.trim(), &["Warning", "Error", "Off"], &mut problems)
    {
        spec.analysis.user_objects = level;
    }

    if !problems.is_empty() {
        return Err(problems.into_iter().map(problem_result).collect());
    }
    let mut resource_ref = resource_ref.clone();
    // Results about this config name the instance the user chose, not kpt's `function-input`.
    resource_ref.name = if instance.is_empty() { resource_ref.name } else { resource_ref.name.clone() };
    let written = data.keys().cloned().collect();
    Ok(Config {
        instance,
        spec,
        source: ConfigSource::ConfigMap(PathMap { written }),
        resource_ref,
        file,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"}, "data": data})
    }

    fn decode_cm(data: Value) -> Result<Config, Vec<KrmResult>> {
        let config = cm(data);
        let rr = ResourceRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "function-input".into(),
            namespace: None,
        };
        decode(&config, &rr, None)
    }

    #[test]
    fn builds_the_common_case() {
        let config = decode_cm(json!({"name": "sandbox", "domains": "*.sandbox.example.com, sandbox.example.com", "email": "ops@example.com", "route53Region": "us-east-1"})).unwrap();
        assert_eq!(config.instance, "sandbox");
        assert_eq!(config.spec.domains, ["*.sandbox.example.com", "sandbox.example.com"]);
        assert_eq!(config.spec.certificates[0].name, "sandbox-tls");
        let acme = config.spec.issuers[0].acme.as_ref().unwrap();
        assert_eq!(acme.email, "ops@example.com");
        assert!(acme.solvers[0].dns01.is_some());
        assert_eq!(config.spec.analysis.user_objects, FindingSeverity::Warning);
        let strict = decode_cm(json!({"name": "x", "analysis": "Error"})).unwrap();
        assert_eq!(strict.spec.analysis.user_objects, FindingSeverity::Error);
        let errors = decode_cm(json!({"name": "x", "analysis": "eror"})).unwrap_err();
        assert!(errors[0].to_line().contains("did you mean \"Error\""), "{errors:?}");
    }

    #[test]
    fn instance_comes_from_data_name_only() {
        let errors = decode_cm(json!({"domains": "a.example.com"})).unwrap_err();
        assert_eq!(errors[0].field.as_ref().unwrap().path, "data.name");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported_together() {
        let errors = decode_cm(json!({"name": "x", "domain": "a", "scope": "publik", "demoApp": "maybe"}))
            .unwrap_err();
        let messages: Vec<String> = errors.iter().map(|r| r.to_line()).collect();
        assert_eq!(errors.len(), 3, "{messages:#?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("data.domain: unknown key \"domain\", did you mean \"domains\""))
        );
        assert!(messages.iter().any(|m| m.contains("data.scope: unsupported value \"publik\"")));
    }

    #[test]
    fn translates_spec_paths_to_keys() {
        let map = PathMap::default();
        assert_eq!(map.translate("spec.certificates[0].dnsNames[1]"), "data.domains");
        assert_eq!(
            map.translate("spec.issuers[0].acme.solvers[0].dns01.route53.region"),
            "data.route53Region"
        );
        assert_eq!(map.translate("spec.gateways[0].name"), "data.gateway");
        assert_eq!(map.translate("spec.routes"), "spec.routes (derived from the ConfigMap)");
    }
}
