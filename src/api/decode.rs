//! Schema-guided checking of a config before it is deserialized.
//!
//! `serde` stops at the first problem and names neither the full path nor a fix. Users of a KRM
//! function need every problem at once, each with its path (`spec.gateways[1].servers[0].tls.mdoe`),
//! the value found and what was expected, and a suggestion when a known field is close. This module
//! walks the value alongside the JSON Schema that `schemars` derives from the documented config
//! types (the same schema `mesh-ingress schema` prints), so the checks can never drift from the types.
//!
//! Only the JSON Schema subset that `schemars` emits for our types and the Kubernetes types they embed
//! is interpreted: `$ref`/`$defs`, `type`, `enum`, `const`, `anyOf`/`oneOf`, `properties`,
//! `additionalProperties`, `required`, `items`, `minimum`/`maximum` and
//! `x-kubernetes-int-or-string`. Objects that list `properties` are closed, as `kubectl
//! --validate=strict` treats Kubernetes types.

use crate::krm::type_name;
use serde_json::Value;

/// One problem found in a config.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Field path, such as `spec.gateways[0].name`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The offending value, when it helps to show it.
    pub value: Option<Value>,
    /// A replacement that would fix it, when one is obvious (a close field name or enum value).
    pub suggestion: Option<String>,
}

/// Walks values against one root JSON Schema document.
pub struct SchemaChecker<'s> {
    root: &'s Value,
}

impl<'s> SchemaChecker<'s> {
    /// A checker for `root`, a JSON Schema document with `$defs`.
    pub fn new(root: &'s Value) -> Self {
        SchemaChecker { root }
    }

    /// Check `value` against the root schema; normalize it where Kubernetes itself would (a number
    /// given for a resource quantity becomes its string form). Returns every problem found.
    pub fn check(&self, value: &mut Value, path: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.walk(self.root, value, path, &mut problems);
        problems
    }

    fn resolve(&self, schema: &'s Value) -> (&'s Value, Option<&'s str>) {
        let mut current = schema;
        let mut name = None;
        // References chain at most a few levels in generated schemas; the bound stops a cycle.
        for _ in 0..16 {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(def) = reference.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|defs| defs.get(def)) {
                Some(target) => {
                    name = Some(def);
                    current = target;
                }
                None => break,
            }
        }
        (current, name)
    }

    fn walk(&self, schema: &'s Value, value: &mut Value, path: &str, problems: &mut Vec<Problem>) {
        let (schema, def_name) = self.resolve(schema);

        if let Some(alternatives) =
            schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array)
        {
            self.walk_alternatives(alternatives, value, path, problems);
            return;
        }

        if schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
            match value {
                Value::String(_) => {}
                Value::Number(n) if n.is_i64() || n.is_u64() => {
                    // kubectl accepts `cpu: 2`; k8s-openapi's Quantity only reads strings.
                    if def_name.is_some_and(|n| n.ends_with(".Quantity")) {
                        *value = Value::String(n.to_string());
                    } else if n.as_i64().is_none_or(|i| i32::try_from(i).is_err()) {
                        // An IntOrString holds an int32 (`maxUnavailable: 1`, a port).
                        problems.push(Problem {
                            path: path.to_string(),
                            message: format!(
                                "{n} is out of range: expected an integer from {} to {} or a string",
                                i32::MIN,
                                i32::MAX
                            ),
                            value: Some(value.clone()),
                            suggestion: None,
                        });
                    }
                }
                Value::Number(n) if def_name.is_some_and(|name| name.ends_with(".Quantity")) => {
                    *value = Value::String(n.to_string());
                }
                other => problems.push(type_problem(path, "an integer or a string", other)),
            }
            return;
        }

        if let Some(constant) = schema.get("const") {
            if value != constant {
                problems.push(Problem {
                    path: path.to_string(),
                    message: format!("unsupported value {}, expected {}", show(value), show(constant)),
                    value: Some(value.clone()),
                    suggestion: constant.as_str().map(str::to_string),
                });
            }
            return;
        }

        if let Some(types) = schema.get("type") {
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if !allowed.is_empty() && !allowed.iter().any(|t| type_matches(t, value)) {
                let expected =
                    allowed.iter().filter(|t| **t != "null").map(|t| article(t)).collect::<Vec<_>>();
                problems.push(type_problem(path, &expected.join(" or "), value));
                return;
            }
        }

        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                problems.push(enum_problem(path, value, options));
            }
            return;
        }

        match value {
            Value::Number(n) => check_range(schema, n, path, problems),
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties");
                let closed = match additional {
                    Some(Value::Bool(false)) => true,
                    None => properties.is_some(),
                    _ => false,
                };
                for (key, item) in map.iter_mut() {
                    let child_path = join_key(path, key);
                    if let Some(child) = properties.and_then(|p| p.get(key)) {
                        self.walk(child, item, &child_path, problems);
                    } else if closed {
                        let known: Vec<&str> =
                            properties.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                        let suggestion = suggest(key, &known);
                        let message = match &suggestion {
                            Some(s) => format!("unknown field {key:?}, did you mean {s:?}?"),
                            None if known.is_empty() => format!("unknown field {key:?}"),
                            None => format!("unknown field {key:?}, expected one of: {}", known.join(", ")),
                        };
                        problems.push(Problem { path: child_path, message, value: None, suggestion });
                    } else if let Some(child) = additional.filter(|a| a.is_object()) {
                        self.walk(child, item, &child_path, problems);
                    }
                }
                if let Some(required) = schema.get("required").and_then(Value::as_array) {
                    for field in required.iter().filter_map(Value::as_str) {
                        if !map.contains_key(field) {
                            problems.push(Problem {
                                path: join_key(path, field),
                                message: format!("required field {field:?} is missing"),
                                value: None,
                                suggestion: None,
                            });
                        }
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter_mut().enumerate() {
                        self.walk(item_schema, item, &format!("{path}[{index}]"), problems);
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_alternatives(
        &self,
        alternatives: &'s [Value],
        value: &mut Value,
        path: &str,
        problems: &mut Vec<Problem>,
    ) {
        // An enum with documented variants: `oneOf` of `const` (or single-value `enum`) schemas.
        let constants: Option<Vec<Value>> = alternatives
            .iter()
            .map(|alt| {
                let (alt, _) = self.resolve(alt);
                alt.get("const").cloned().or_else(|| match alt.get("enum").and_then(Value::as_array) {
                    Some(values) if values.len() == 1 => values.first().cloned(),
                    _ => None,
                })
            })
            .collect();
        if let Some(constants) = constants {
            if !constants.contains(value) {
                problems.push(enum_problem(path, value, &constants));
            }
            return;
        }
        let mut best: Option<(Vec<Problem>, Value)> = None;
        for alternative in alternatives {
            let (resolved, _) = self.resolve(alternative);
            // `Option<T>` becomes `anyOf: [T, {type: null}]`; a null only ever matches the null arm.
            let is_null_arm = resolved.get("type").and_then(Value::as_str) == Some("null");
            if is_null_arm != value.is_null() {
                continue;
            }
            let mut candidate = value.clone();
            let mut found = Vec::new();
            self.walk(alternative, &mut candidate, path, &mut found);
            if found.is_empty() {
                *value = candidate;
                return;
            }
            if best.as_ref().is_none_or(|(b, _)| found.len() < b.len()) {
                best = Some((found, candidate));
            }
        }
        match best {
            Some((found, _)) => problems.extend(found),
            None => problems.push(type_problem(path, "a value", value)),
        }
    }
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn article(json_type: &str) -> String {
    match json_type {
        "integer" => "an integer".to_string(),
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "boolean" => "a boolean".to_string(),
        other => format!("a {other}"),
    }
}

fn type_problem(path: &str, expected: &str, value: &Value) -> Problem {
    let message = if value.is_null() {
        // `key:` with nothing after it (or `~`) reads as null; "found null null" would say it twice.
        format!("expected {expected}, found null (the key has no value; give it one or remove the key)")
    } else if expected.contains("string") && (value.is_boolean() || value.is_number()) {
        // YAML 1.1 reads unquoted yes/no/on/off/y/n as booleans and 0123 or 12e3 as numbers; say what
        // the text became and how to keep it as text.
        format!("expected {expected}, found {}; quote it to keep it as text", what_yaml_made(value))
    } else {
        format!("expected {expected}, found {} {}", type_name(value), show(value))
    };
    Problem { path: path.to_string(), message, value: Some(value.clone()), suggestion: None }
}

/// What YAML made of an unquoted scalar, with the spellings that read that way, for a message about a
/// value that should have been text: `the boolean true (YAML reads unquoted y, yes, on and true as
/// true)`. The parser keeps only the value, so the spellings are listed rather than quoted.
pub fn what_yaml_made(value: &Value) -> String {
    match value {
        Value::Bool(true) => {
            "the boolean true (YAML reads an unquoted y, yes, on or true as true)".to_string()
        }
        Value::Bool(false) => {
            "the boolean false (YAML reads an unquoted n, no, off or false as false)".to_string()
        }
        Value::Number(n) if n.is_f64() => {
            format!("the number {n} (YAML reads an unquoted 12e3 or 1.5 as a number)")
        }
        Value::Number(n) => format!("the integer {n} (YAML reads unquoted digits as a number)"),
        other => format!("{} {}", type_name(other), show(other)),
    }
}

fn enum_problem(path: &str, value: &Value, options: &[Value]) -> Problem {
    let names: Vec<String> = options.iter().map(show).collect();
    let strings: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
    let suggestion = value.as_str().and_then(|v| suggest(v, &strings));
    let message = match &suggestion {
        Some(s) => format!(
            "unsupported value {}, did you mean {s:?}? (expected one of {})",
            show(value),
            names.join(", ")
        ),
        None => format!("unsupported value {}, expected one of {}", show(value), names.join(", ")),
    };
    Problem { path: path.to_string(), message, value: Some(value.clone()), suggestion }
}

/// The range an integer `format` can hold where this config ends up. Every unsigned 32-bit field of
/// the config (replicas, ports, percentages, weights, retry attempts, connection limits) is written to
/// an `int32` field of a Kubernetes or Istio object, so `uint32` stops at `i32::MAX`: a larger value
/// would wrap to a negative number in the rendered object. `int64`/`uint64` stop where Kubernetes'
/// `int64` does.
fn format_bounds(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "uint8" => (0, u8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "uint32" => (0, i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        "uint64" | "uint" => (0, i64::MAX.into()),
        _ => return None,
    })
}

/// The integer bounds of a schema: its `minimum`/`maximum` narrowed by its `format`.
pub fn integer_bounds(schema: &Value) -> (Option<i128>, Option<i128>) {
    let bound = |key: &str, round: fn(f64) -> f64| {
        schema.get(key).and_then(|v| {
            v.as_i64().map(i128::from).or_else(|| v.as_u64().map(i128::from)).or_else(|| {
                // Bounds of a generated schema are small; the cast saturates on anything else.
                v.as_f64().filter(|f| f.is_finite()).map(|f| round(f) as i128)
            })
        })
    };
    let mut min = bound("minimum", f64::ceil);
    let mut max = bound("maximum", f64::floor);
    if let Some((lo, hi)) = schema.get("format").and_then(Value::as_str).and_then(format_bounds) {
        min = Some(min.map_or(lo, |m| m.max(lo)));
        max = Some(max.map_or(hi, |m| m.min(hi)));
    }
    (min, max)
}

fn check_range(schema: &Value, number: &serde_json::Number, path: &str, problems: &mut Vec<Problem>) {
    let integer = number.as_i64().map(i128::from).or_else(|| number.as_u64().map(i128::from));
    let expected = match integer {
        Some(n) => {
            let (min, max) = integer_bounds(schema);
            out_of_range("an integer", n, min, max)
        }
        None => {
            let Some(n) = number.as_f64() else { return };
            let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
            out_of_range("a number", n, bound("minimum"), bound("maximum"))
        }
    };
    let Some(expected) = expected else { return };
    problems.push(Problem {
        path: path.to_string(),
        message: format!("{number} is out of range: {expected}"),
        value: Some(Value::Number(number.clone())),
        suggestion: None,
    });
}

/// What was expected of `n` (`what`: "an integer" or "a number"), when it lies outside its bounds.
fn out_of_range<T: PartialOrd + std::fmt::Display>(
    what: &str,
    n: T,
    min: Option<T>,
    max: Option<T>,
) -> Option<String> {
    let below = min.as_ref().is_some_and(|m| n < *m);
    let above = max.as_ref().is_some_and(|m| n > *m);
    if !(below || above) {
        return None;
    }
    Some(match (min, max) {
        (Some(lo), Some(hi)) => format!("expected {what} from {lo} to {hi}"),
        (Some(lo), None) => format!("expected {what} of at least {lo}"),
        (None, Some(hi)) => format!("expected {what} of at most {hi}"),
        (None, None) => return None,
    })
}

/// A value as it would be written in YAML, for messages; long values are shortened.
pub fn show(value: &Value) -> String {
    crate::krm::result::quote(value)
}

/// Append a mapping key to a field path; keys that are not plain identifiers are bracket-quoted
/// (`nodeSelector["kubernetes.io/os"]`).
pub fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

/// The known name closest to `input`, when it is close enough to be a likely typo.
pub fn suggest(input: &str, known: &[&str]) -> Option<String> {
    let normalized =
        |s: &str| s.chars().filter(|c| *c != '_' && *c != '-').collect::<String>().to_lowercase();
    let target = normalized(input);
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        let distance = edit_distance(&target, &normalized(candidate));
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let (distance, candidate) = best?;
    let budget = (target.chars().count().max(candidate.len()) / 3).max(1);
    (distance <= budget).then(|| candidate.to_string())
}

/// Edit distance counting insertions, deletions, substitutions and swaps of adjacent characters
/// (optimal string alignment), so `mdoe` is one edit from `mode`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "mode": {"$ref": "#/$defs/Mode"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "opt": {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}]},
                "list": {"type": "array", "items": {"$ref": "#/$defs/Inner"}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "cpu": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.api.resource.Quantity"}
            },
            "additionalProperties": false,
            "$defs": {
                "Mode": {"oneOf": [{"const": "SIMPLE"}, {"const": "MUTUAL"}]},
                "Inner": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
                "io.k8s.apimachinery.pkg.api.resource.Quantity": {"x-kubernetes-int-or-string": true}
            }
        })
    }

    #[test]
    fn a_key_without_a_value_is_named_once() {
        let root = schema();
        let mut value = json!({"list": null, "labels": {"a": null}});
        let problems = SchemaChecker::new(&root).check(&mut value, "spec");
        let lines: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("spec.list: expected a list, found null (the key has no value")),
            "{lines:#?}"
        );
        assert!(lines.iter().all(|l| !l.contains("null null")), "{lines:#?}");
    }

    #[test]
    fn reports_every_problem_with_paths_and_suggestions() {
        let root = schema();
        let mut value = json!({
            "mdoe": "SIMPLE",
            "mode": "SIMPEL",
            "port": 70000,
            "opt": {"nmae": "x"},
            "list": [{"name": "a"}, {"name": 3}],
            "labels": {"kubernetes.io/os": true},
        });
        let problems = SchemaChecker::new(&root).check(&mut value, "spec");
        let lines: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        assert!(
            lines.contains(&"spec.mdoe: unknown field \"mdoe\", did you mean \"mode\"?".to_string()),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("spec.mode: unsupported value \"SIMPEL\", did you mean \"SIMPLE\""))
        );
        assert!(
            lines.contains(
                &"spec.port: 70000 is out of range: expected an integer from 1 to 65535".to_string()
            )
        );
        assert!(lines.iter().any(|l| l.starts_with("spec.opt.nmae: unknown field")));
        assert!(lines.contains(&"spec.opt.name: required field \"name\" is missing".to_string()));
        assert!(
            lines.iter().any(|l| l.starts_with("spec.list[1].name: expected a string, found the integer 3"))
        );
        assert!(lines.iter().any(|l| {
            l.starts_with("spec.labels[\"kubernetes.io/os\"]: expected a string, found the boolean true (YAML reads an unquoted y")
                && l.ends_with("; quote it to keep it as text")
        }));
        assert_eq!(problems.len(), 7, "{lines:#?}");
    }

    #[test]
    fn accepts_valid_values_and_normalizes_quantities() {
        let root = schema();
        let mut value = json!({"mode": "MUTUAL", "port": 443, "opt": null, "cpu": 2});
        assert!(SchemaChecker::new(&root).check(&mut value, "spec").is_empty());
        assert_eq!(value["cpu"], json!("2"));
    }

    #[test]
    fn integers_are_bounded_by_their_format_where_kubernetes_holds_them() {
        let root = json!({
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "format": "uint32", "minimum": 0},
                "weight": {"type": "integer", "format": "int32"},
                "code": {"type": "integer", "format": "uint16", "minimum": 0, "maximum": 65535},
                "seconds": {"type": "integer", "format": "int64"}
            }
        });
        let lines = |mut value: Value| -> Vec<String> {
            SchemaChecker::new(&root)
                .check(&mut value, "spec")
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect()
        };
        assert!(lines(json!({"replicas": 2147483647, "weight": -2147483648, "code": 65535})).is_empty());
        assert_eq!(
            lines(json!({"replicas": 2147483648_u64})),
            ["spec.replicas: 2147483648 is out of range: expected an integer from 0 to 2147483647"]
        );
        assert_eq!(
            lines(json!({"replicas": 4294967296_u64})),
            ["spec.replicas: 4294967296 is out of range: expected an integer from 0 to 2147483647"]
        );
        assert_eq!(
            lines(json!({"replicas": -1})),
            ["spec.replicas: -1 is out of range: expected an integer from 0 to 2147483647"]
        );
        assert_eq!(
            lines(json!({"weight": 2147483648_u64})),
            ["spec.weight: 2147483648 is out of range: expected an integer from -2147483648 to 2147483647"]
        );
        assert_eq!(
            lines(json!({"seconds": u64::MAX})),
            [format!(
                "spec.seconds: {} is out of range: expected an integer from {} to {}",
                u64::MAX,
                i64::MIN,
                i64::MAX
            )]
        );
    }

    #[test]
    fn suggestions_tolerate_case_and_separators() {
        assert_eq!(suggest("min_replicas", &["minReplicas", "maxReplicas"]), Some("minReplicas".to_string()));
        assert_eq!(suggest("zzzzzz", &["minReplicas"]), None);
        assert_eq!(suggest("hosts", &["hosts", "port"]), Some("hosts".to_string()));
    }
}
