//! Checks over the whole package: the objects passing through (hand-written Istio objects beside the
//! config, other instances' objects) and the generated ones, analysed together offline the way
//! `istioctl analyze` analyses a cluster (`pkg/config/analysis/analyzers/` in istio/istio).
//!
//! - [`virtual_services`]: `gateways` naming a Gateway missing from the package (IST0101), hosts the
//!   bound Gateways do not serve (IST0132);
//! - [`destination_rules`]: destination subsets no DestinationRule defines (IST0101);
//! - [`gateways`]: selectors matching no workload (IST0101), conflicting servers (IST0145), one
//!   certificate on several Gateways of one workload (IST0138);
//! - [`secrets`]: `credentialName` provided by no Secret or Certificate in the gateway pods'
//!   namespace (IST0101);
//! - [`policies`]: security policy selectors matching no workload (IST0127);
//! - [`revisions`]: injection labels the rendered control plane does not serve.
//! - [`service_ports`]: route destinations of the config whose port the package's Service does not
//!   expose (IST0101) or that need one (IST0112), reported on the config.
//!
//! A finding is about one object the user can change (the `resourceRef`, with its file and a field
//! path into it). On objects the user wrote it is a warning, or, with `spec.analysis.userObjects:
//! Error`, an error when istioctl rates it one. Objects this instance generated are checked by the
//! config validation before rendering, so a finding on one is a bug of this function and an error.
//! The checks only read: items are never changed.

pub mod destination_rules;
pub mod gateways;
pub mod hosts;
pub mod package;
pub mod policies;
pub mod revisions;
pub mod secrets;
pub mod service_ports;
pub mod virtual_services;

use crate::api::v1alpha1::{FindingSeverity, MeshIngressSpec};
use crate::krm::object;
use crate::krm::result::{File, KrmResult, ResourceRef};
use package::{Object, Package};
use serde_json::Value;

/// How serious a finding is, before the user's option applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// An error in `istioctl analyze`.
    Error,
    /// A warning in `istioctl analyze`.
    Warning,
    /// Always a warning: what the package lacks may be managed outside it (a gateway workload
    /// installed by another tool, pods of another pipeline).
    Hint,
}

/// One finding, about one object of the package.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Index into [`Package::objects`] of the object to change.
    pub subject: usize,
    /// The istioctl analyzer code.
    pub code: &'static str,
    /// Severity before the user's option applies.
    pub level: Level,
    /// Field path into the subject.
    pub path: String,
    /// The value found there.
    pub value: Option<Value>,
    /// A value that would fix it (a near miss's likely intent).
    pub proposed: Option<Value>,
    /// Self-contained message.
    pub message: String,
}

impl Finding {
    /// A finding at `path` of `subject`.
    pub fn new(subject: usize, code: &'static str, level: Level, path: String, message: String) -> Self {
        Finding { subject, code, level, path, value: None, proposed: None, message }
    }

    /// Attach the value found.
    pub fn value(mut self, value: Value) -> Self {
        self.value = Some(value);
        self
    }

    /// Attach a proposed value.
    pub fn proposing(mut self, value: Option<Value>) -> Self {
        self.proposed = value;
        self
    }
}

/// A string as a JSON value.
pub fn text(value: &str) -> Value {
    Value::String(value.to_string())
}

/// The known name `input` most likely meant, if it is a near miss. Names shorter than four characters
/// get none: `v3` is one edit from `v1`, which says nothing about intent.
pub fn near_miss(input: &str, known: &[&str]) -> Option<String> {
    if input.chars().count() < 4 {
        return None;
    }
    crate::api::decode::suggest(input, known).filter(|s| s != input)
}

/// `"; did you mean X?"` when a suggestion exists, else nothing.
pub fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map(|s| format!("; did you mean {s:?}?")).unwrap_or_default()
}

/// Run every check over `items` (the output of the render, merged) for instance `instance` with
/// config `spec`. Returns the results to report; the items are only read.
pub fn analyze(items: &[Value], instance: &str, spec: &MeshIngressSpec) -> Vec<KrmResult> {
    let severity = spec.analysis.user_objects;
    if severity == FindingSeverity::Off {
        return Vec::new();
    }
    let package = Package::index(items, instance);
    let revisions = revisions::check(items, spec, &package);
    if package.gateways.is_empty() && package.virtual_services.is_empty() && package.policies.is_empty() {
        return revisions;
    }
    let selected = gateways::selected_workloads(&package);
    let mut findings = Vec::new();
    virtual_services::check(&package, &mut findings);
    destination_rules::check(&package, &mut findings);
    gateways::check(&package, &selected, &mut findings);
    secrets::check(&package, &selected, &mut findings);
    policies::check(&package, &spec.mtls.root_namespace, &mut findings);
    let mut results: Vec<KrmResult> =
        findings.into_iter().map(|f| to_result(&package, f, severity)).collect();
    results.extend(revisions);
    results
}

fn to_result(package: &Package<'_>, finding: Finding, severity: FindingSeverity) -> KrmResult {
    let subject = package.object(finding.subject);
    // Named in the message too: kustomize shows only the message, never the resourceRef.
    let message = format!("{}: {}", subject.describe(), finding.message);
    let result = if subject.generated {
        KrmResult::error(format!(
            "{message} (mesh-ingress generated this object inconsistent with the package: a bug in mesh-ingress, please report it with the config)"
        ))
    } else if finding.level == Level::Error && severity == FindingSeverity::Error {
        KrmResult::error(message)
    } else {
        KrmResult::warning(message)
    };
    let mut result = result.at(finding.path, finding.value).code(finding.code).about(resource_ref(subject));
    if let Some(proposed) = finding.proposed {
        result = result.proposing(proposed);
    }
    result.in_file(object::file_of(subject.value).map(|(path, index)| File { path, index }))
}

fn resource_ref(subject: &Object<'_>) -> ResourceRef {
    ResourceRef {
        api_version: object::api_version(subject.value).to_string(),
        kind: object::kind(subject.value).to_string(),
        name: subject.name.to_string(),
        namespace: subject.namespace.map(str::to_string),
    }
}

/// The strings of a list field, with their indexes (other entries are skipped).
pub fn strings(value: Option<&Value>) -> impl Iterator<Item = (usize, &str)> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().map(|s| (i, s)))
}

/// The mappings of a list field, with their indexes.
pub fn mappings(value: Option<&Value>) -> impl Iterator<Item = (usize, &serde_json::Map<String, Value>)> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.as_object().map(|m| (i, m)))
}

/// Run one check that needs the Gateways' selections over `items`, for unit tests.
#[cfg(test)]
pub fn run_with_selection(
    items: &[Value],
    check: fn(&Package<'_>, &gateways::Selected<'_>, &mut Vec<Finding>),
) -> Vec<Finding> {
    let package = Package::index(items, "shop");
    let selected = gateways::selected_workloads(&package);
    let mut findings = Vec::new();
    check(&package, &selected, &mut findings);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::krm::result::Severity;
    use serde_json::json;

    fn items(labels: Value) -> Vec<Value> {
        vec![
            json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "external", "namespace": "istio-ingress"},
                   "spec": {"selector": {}, "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}}),
            json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                   "metadata": {"name": "app", "namespace": "shop", "labels": labels,
                                "annotations": {"internal.config.kubernetes.io/path": "shop/app.yaml", "internal.config.kubernetes.io/index": "3"}},
                   "spec": {"hosts": ["a.example.com"], "gateways": ["istio-ingress/externl"]}}),
        ]
    }

    fn run(items: &[Value], severity: FindingSeverity) -> Vec<KrmResult> {
        let mut spec = MeshIngressSpec::default();
        spec.analysis.user_objects = severity;
        analyze(items, "shop", &spec)
    }

    #[test]
    fn findings_on_user_objects_follow_the_option() {
        let items = items(json!({}));
        let warned = run(&items, FindingSeverity::Warning);
        assert_eq!(warned.len(), 1, "{warned:?}");
        let result = &warned[0];
        assert_eq!(result.severity, Severity::Warning);
        assert_eq!(result.analyzer_code(), Some("IST0101"));
        assert_eq!(result.file, Some(File { path: "shop/app.yaml".to_string(), index: 3 }));
        let about = result.resource_ref.as_ref().unwrap();
        assert_eq!(
            (about.kind.as_str(), about.name.as_str(), about.namespace.as_deref()),
            ("VirtualService", "app", Some("shop"))
        );
        assert_eq!(run(&items, FindingSeverity::Error)[0].severity, Severity::Error);
        assert!(run(&items, FindingSeverity::Off).is_empty());
    }

    #[test]
    fn a_finding_on_a_generated_object_is_an_error() {
        let mut items = items(json!({crate::render::labels::INSTANCE_LABEL: "shop"}));
        crate::krm::digest::stamp(&mut items[1]);
        let results = run(&items, FindingSeverity::Warning);
        assert_eq!(results[0].severity, Severity::Error);
        assert!(results[0].message.contains("a bug in mesh-ingress"), "{}", results[0].message);
        // Another instance's object is one the user manages like their own.
        let items = self::items(json!({crate::render::labels::INSTANCE_LABEL: "other"}));
        assert_eq!(run(&items, FindingSeverity::Warning)[0].severity, Severity::Warning);
    }
}
