//! The field reference (`docs/reference.md`), generated from the same JSON Schema the config checks
//! walk, so documentation, schema and behaviour cannot drift apart (a test compares the file).

use super::configmap::KEYS;
use super::spec_schema;
use super::v1alpha1::{EastWestGateway, Provider};
use crate::model::{EAST_WEST_NAME, istio_label};
use serde_json::Value;
use std::fmt::Write;

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    let mut current = schema;
    let mut name = None;
    for _ in 0..8 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(def) = reference.strip_prefix("#/$defs/") else {
            break;
        };
        match root.get("$defs").and_then(|d| d.get(def)) {
            Some(target) => {
                name = Some(def);
                current = target;
            }
            None => break,
        }
    }
    (current, name)
}

/// The schema of a property, looking through `Option` (`anyOf: [T, null]`).
fn unwrap_optional<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array)
        && let Some(non_null) =
            alternatives.iter().find(|a| a.get("type").and_then(Value::as_str) != Some("null"))
    {
        return resolve(root, non_null);
    }
    resolve(root, schema)
}

fn enum_values(root: &Value, schema: &Value) -> Option<Vec<String>> {
    let (schema, _) = unwrap_optional(root, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(
            values.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect(),
        );
    }
    let alternatives = schema.get("oneOf").and_then(Value::as_array)?;
    alternatives.iter().map(|a| a.get("const").and_then(Value::as_str).map(str::to_string)).collect()
}

fn type_name(root: &Value, schema: &Value) -> String {
    if let Some(values) = enum_values(root, schema) {
        return values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(" \\| ");
    }
    let (resolved, name) = unwrap_optional(root, schema);
    if let Some(name) = name.filter(|n| n.starts_with("io.k8s.")) {
        let short = name.rsplit('.').next().unwrap_or(name);
        return if short == "IntOrString" || short == "Quantity" {
            "integer or string".to_string()
        } else {
            format!("core {short}")
        };
    }
    if resolved.get("x-kubernetes-int-or-string").is_some() {
        return "integer or string".to_string();
    }
    let types: Vec<&str> = match resolved.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    };
    match types.first().copied() {
        Some("array") => match resolved.get("items") {
            Some(items) => format!("list of {}", type_name(root, items)),
            None => "list".to_string(),
        },
        Some("object") if resolved.get("properties").is_some() => "object".to_string(),
        Some("object") => match resolved.get("additionalProperties") {
            Some(v) if v.is_object() => format!("map of {}", type_name(root, v)),
            _ => "object".to_string(),
        },
        Some(t) => t.to_string(),
        None => "any".to_string(),
    }
}

fn default_text(schema: &Value) -> String {
    match schema.get("default") {
        None => String::new(),
        Some(Value::String(s)) if s.is_empty() => "`\"\"`".to_string(),
        Some(Value::Array(a)) if a.is_empty() => "`[]`".to_string(),
        Some(Value::Object(o)) if o.is_empty() => "`{}`".to_string(),
        // Nested defaults are listed field by field below.
        Some(Value::Object(_)) => "see fields".to_string(),
        Some(v) => format!("`{}`", if let Some(s) = v.as_str() { s.to_string() } else { v.to_string() }),
    }
}

fn one_line(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// One row of the field table.
#[derive(Debug)]
struct Row {
    path: String,
    type_: String,
    default: String,
    description: String,
}

fn walk(root: &Value, schema: &Value, path: &str, out: &mut Vec<Row>, depth: usize) {
    let (resolved, name) = unwrap_optional(root, schema);
    if depth > 12 || name.is_some_and(|n| n.starts_with("io.k8s.")) {
        return;
    }
    let (target, item_name) = match resolved.get("type").and_then(Value::as_str) {
        Some("array") => resolved.get("items").map(|i| unwrap_optional(root, i)).unwrap_or((resolved, None)),
        _ => (resolved, None),
    };
    if item_name.is_some_and(|n| n.starts_with("io.k8s.")) {
        return;
    }
    let suffix = if resolved.get("type").and_then(Value::as_str) == Some("array") { "[]" } else { "" };
    let Some(properties) = target.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = target
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (field, property) in properties {
        let field_path = format!("{path}{suffix}.{field}");
        let description = property.get("description").and_then(Value::as_str).unwrap_or("");
        let mut default = default_text(property);
        if required.contains(&field.as_str()) {
            default = "required".to_string();
        }
        out.push(Row {
            path: field_path.clone(),
            type_: type_name(root, property),
            default: if default.is_empty() { "—".to_string() } else { default },
            description: one_line(description),
        });
        walk(root, property, &field_path, out, depth + 1);
    }
}

/// Where the east-west gateway's settings live: they reuse the ingress gateway's types
/// (`Workload`, `GatewayService`, `LoadBalancer`), whose descriptions state the ingress defaults.
const EAST_WEST: &str = "spec.multicluster.eastWestGateway";

/// The description up to its `Default:` sentence, which the east-west rows replace.
fn before_default(description: &str) -> &str {
    description.split_once(" Default:").map_or(description, |(before, _)| before)
}

/// A row as it applies to the east-west gateway: its own defaults, taken from the constants the
/// model uses, and without the fields and providers [`EastWestGateway`] rejects or ignores, so the
/// reference cannot disagree with the code. Other rows pass unchanged; `None` drops a row.
fn east_west(mut row: Row) -> Option<Row> {
    let Some(field) = row.path.strip_prefix(EAST_WEST).and_then(|rest| rest.strip_prefix('.')) else {
        return Some(row);
    };
    let unused = EastWestGateway::UNUSED_FIELDS.iter().any(|u| {
        field == u.field || field.strip_prefix(u.field).is_some_and(|rest| rest.starts_with(['.', '[']))
    });
    if unused {
        return None;
    }
    match field {
        "workload.name" => {
            row.description = format!(
                "{} Default: `{EAST_WEST_NAME}` (the istio.io multi-network guide's); it must differ from every ingress gateway's workload.",
                before_default(&row.description)
            );
        }
        "workload.labels" => {
            row.description = format!(
                "{} Default: `istio: {}`. The Deployment and Service also select `app: <workload name>`.",
                before_default(&row.description),
                istio_label(EAST_WEST_NAME)
            );
        }
        "service.type" => {
            row.description = format!(
                "{} Default: `{}`: other networks reach the east-west gateway through its load balancer.",
                before_default(&row.description),
                EastWestGateway::DEFAULT_SERVICE_TYPE.as_str()
            );
        }
        "loadBalancer.provider" => {
            let values: Vec<String> =
                row.type_.split(" \\| ").map(|v| v.trim_matches('`').to_string()).collect();
            let mut allowed = Vec::new();
            let mut refused = Vec::new();
            for value in values {
                let provider: Option<Provider> = serde_json::from_value(Value::String(value.clone())).ok();
                match provider.and_then(EastWestGateway::refused_provider) {
                    Some(reason) => refused.push(format!("not `{value}`: {reason}")),
                    None => allowed.push(format!("`{value}`")),
                }
            }
            row.type_ = allowed.join(" \\| ");
            row.description =
                format!("The cloud load balancer in front of the gateway; {}.", refused.join("; "));
        }
        _ => {}
    }
    Some(row)
}

/// What the smallest config needs, after the field table.
const MINIMAL: &str = "\n## A minimal config\n\n\
    `metadata.name`, `spec.domains` and one entry of `spec.gateways` with a `name` render a complete\n\
    stack. With no `spec.certificates`, a Certificate `<name>-tls` for `spec.domains` is added for the\n\
    HTTPS servers (info result); with no `spec.issuers`, a self-signed Issuer `<name>-selfsigned`\n\
    signs it (a warning: clients do not trust it; the warning shows the ACME issuer to add for\n\
    Let's Encrypt). A config that names a certificate or an issuer gets neither default.\n\n\
    ```yaml\n\
    apiVersion: mesh-ingress.dev/v1alpha1\n\
    kind: MeshIngress\n\
    metadata:\n  name: shop\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n\
    spec:\n  domains: [shop.example.com]\n  gateways:\n  - name: external\n\
    ```\n";

/// The field reference as Markdown.
pub fn markdown() -> String {
    let root = spec_schema();
    let mut out = String::new();
    out.push_str(
        "# MeshIngress v1alpha1 field reference\n\n\
         Generated by `mesh-ingress schema --markdown` from the documented types (a test keeps this file in\n\
         sync). `—` means no default: the field is unset unless the description says how it is derived.\n\
         Types named `core X` are the Kubernetes types of that name, written as in a Pod spec.\n\n\
         ## MeshIngress\n\n\
         | field | type | default | description |\n|---|---|---|---|\n\
         | `apiVersion` | string | required | `mesh-ingress.dev/v1alpha1` |\n\
         | `kind` | string | required | `MeshIngress` |\n\
         | `metadata.name` | string | required | The instance name, a DNS-1123 label: stamped on every generated object as `mesh-ingress.dev/instance` (the ownership marker). |\n\
         | `metadata.annotations` | map of string | — | Set `config.kubernetes.io/local-config: \"true\"` so the config is never applied. |\n",
    );
    let mut rows = Vec::new();
    walk(root, root, "spec", &mut rows, 0);
    for row in rows.into_iter().filter_map(east_west) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            row.path,
            row.type_,
            row.default,
            row.description.replace('|', "\\|")
        );
    }
    out.push_str(MINIMAL);
    out.push_str(
        "\n## ConfigMap form\n\n\
         For `kpt fn eval --exec mesh-ingress -- key=value ...` and a Kptfile's `configMap:`. kpt names the\n\
         ConfigMap `function-input`; the instance name comes from `data.name`. Everything not listed takes the\n\
         MeshIngress defaults.\n\n| key | meaning |\n|---|---|\n",
    );
    for key in KEYS {
        let _ = writeln!(out, "| `{}` | {} |", key.name, key.doc);
    }
    out.push_str("\n## Command-line overrides\n\n`mesh-ingress render CONFIG --set key=value` accepts:\n\n| key | sets |\n|---|---|\n");
    for (key, sets) in crate::commands::OVERRIDE_KEYS {
        let _ = writeln!(out, "| `{key}` | {sets} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(markdown: &str, path: &str) -> Option<String> {
        markdown.lines().find(|l| l.starts_with(&format!("| `{path}` |"))).map(str::to_string)
    }

    #[test]
    fn east_west_rows_state_the_east_west_defaults() {
        let markdown = markdown();
        let name = row(&markdown, &format!("{EAST_WEST}.workload.name")).unwrap_or_default();
        assert!(name.contains(&format!("Default: `{EAST_WEST_NAME}`")), "{name}");
        assert!(!name.contains("istio-ingressgateway-"), "{name}");
        let labels = row(&markdown, &format!("{EAST_WEST}.workload.labels")).unwrap_or_default();
        assert!(labels.contains(&format!("`istio: {}`", istio_label(EAST_WEST_NAME))), "{labels}");
        let provider = row(&markdown, &format!("{EAST_WEST}.loadBalancer.provider")).unwrap_or_default();
        let type_column = provider.split(" | ").nth(1).unwrap_or_default();
        assert!(type_column.contains("`aws-nlb`") && !type_column.contains("aws-alb"), "{provider}");
        assert!(provider.contains("not `aws-alb`"), "{provider}");
        for unused in EastWestGateway::UNUSED_FIELDS {
            assert_eq!(row(&markdown, &format!("{EAST_WEST}.{}", unused.field)), None, "{}", unused.field);
        }
        // The ingress gateways' rows keep their own text.
        let ingress = row(&markdown, "spec.gateways[].workload.name").unwrap_or_default();
        assert!(ingress.contains("istio-ingressgateway-<gateway name>"), "{ingress}");
        assert!(row(&markdown, "spec.gateways[].loadBalancer.alb").is_some());
    }
}
