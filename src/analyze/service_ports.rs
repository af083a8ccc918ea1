//! Route destinations against the Services of the package (istio/istio
//! `analyzers/virtualservice/destinationhosts.go`). When a destination of `spec.routes` names a
//! Kubernetes Service that is among the items (a Service manifest beside the config, as in a
//! kustomize base or a kpt package), its `port` must be one the Service exposes, or Envoy has no
//! cluster for it and answers 503 (IST0101, "Referenced host:port not found"); and a destination
//! without a `port` needs one when the Service exposes several (IST0112).
//!
//! Unlike the other package checks, a finding here is about the config (the destination's field
//! path), because the VirtualService is generated from it. The Service is an object the user wrote,
//! so the findings follow `spec.analysis.userObjects`: warnings, or errors with `Error`. Services
//! that are not in the package may exist in the cluster and are not judged; neither are
//! `ExternalName` Services, whose ports Istio does not read, nor Services without a namespace
//! (where they land is decided later, by kustomize or kubectl).

use crate::api::v1alpha1::FindingSeverity;
use crate::krm::object;
use crate::krm::result::KrmResult;
use crate::model::Model;
use crate::model::routes::ServiceRef;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The ports of every Service in `items` that has a namespace, by Service.
fn service_ports(items: &[Value]) -> BTreeMap<ServiceRef, Vec<u32>> {
    let mut out = BTreeMap::new();
    for item in items {
        if object::kind(item) != "Service" || object::api_version(item) != "v1" {
            continue;
        }
        let spec = item.get("spec");
        if spec.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("ExternalName") {
            continue;
        }
        let Some(namespace) = object::namespace(item) else { continue };
        let ports = spec
            .and_then(|s| s.get("ports"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("port").and_then(Value::as_u64))
            .filter_map(|p| u32::try_from(p).ok())
            .collect();
        out.insert(
            ServiceRef { name: object::name(item).to_string(), namespace: namespace.to_string() },
            ports,
        );
    }
    out
}

/// Check every destination of `model`'s routes against the Services of `items`. The results are
/// about the config: the caller attaches its resource reference.
pub fn check(model: &Model, items: &[Value], severity: FindingSeverity) -> Vec<KrmResult> {
    if severity == FindingSeverity::Off || model.routes.is_empty() {
        return Vec::new();
    }
    let services = service_ports(items);
    if services.is_empty() {
        return Vec::new();
    }
    let finding = |message: String| match severity {
        FindingSeverity::Error => KrmResult::error(message),
        _ => KrmResult::warning(message),
    };
    let mut out = Vec::new();
    for backend in model.routes.iter().flat_map(|r| r.backends()) {
        let Some(service) = &backend.service else { continue };
        let Some(ports) = services.get(service) else { continue };
        let listed = ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        match backend.port {
            Some(port) if !ports.contains(&port) => out.push({
                let result = finding(format!(
                    "Referenced host:port not found: \"{}:{port}\": Service {}/{} in the package exposes port(s) {listed}, so Envoy has no cluster for this destination and answers 503{}",
                    service.fqdn(),
                    service.namespace,
                    service.name,
                    match ports.as_slice() {
                        [only] => format!("; did you mean {only}?"),
                        _ => String::new(),
                    }
                ))
                .at(format!("{}.port", backend.path), Some(json!(port)))
                .code("IST0101");
                match ports.as_slice() {
                    [only] => result.proposing(json!(only)),
                    _ => result,
                }
            }),
            None if ports.len() > 1 => out.push(
                finding(format!(
                    "Service {}/{} exposes ports {listed}: set the destination's port, or Istio cannot tell which one to send to (IST0112)",
                    service.namespace, service.name
                ))
                .at(backend.path.clone(), None)
                .code("IST0112"),
            ),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1alpha1::MeshIngressSpec;
    use crate::krm::result::Severity;

    fn model(routes: &str) -> Model {
        let spec: MeshIngressSpec = serde_saphyr::from_str(&format!(
            "domains: [books.example.com]\ngateways: [{{name: external}}]\nroutes:\n{routes}"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        crate::model::resolve("books", &spec)
    }

    fn service(name: &str, namespace: Option<&str>, ports: &[u32]) -> Value {
        let ports: Vec<Value> = ports.iter().map(|p| json!({"name": format!("p{p}"), "port": p})).collect();
        let mut meta = json!({"name": name});
        if let Some(ns) = namespace {
            meta["namespace"] = json!(ns);
        }
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"ports": ports}})
    }

    const ROUTES: &str = "- name: books\n  namespace: books\n  http:\n  - match: {prefix: /reviews}\n    destination: {host: reviews, port: 9090}\n  - match: {prefix: /details}\n    destination: {host: details.books.svc.cluster.local}\n  - destination: {host: productpage, port: 9080}\n";

    #[test]
    fn destination_ports_must_be_on_the_service() {
        let items = [
            service("reviews", Some("books"), &[9080]),
            service("details", Some("books"), &[9080, 9443]),
            service("productpage", Some("books"), &[9080]),
        ];
        let found = check(&model(ROUTES), &items, FindingSeverity::Warning);
        assert_eq!(found.len(), 2, "{found:#?}");
        let port = &found[0];
        assert_eq!(port.severity, Severity::Warning);
        assert_eq!(port.analyzer_code(), Some("IST0101"));
        assert_eq!(
            port.field.as_ref().map(|f| f.path.as_str()),
            Some("spec.routes[0].http[0].destination.port")
        );
        assert!(
            port.message.contains("exposes port(s) 9080") && port.message.ends_with("did you mean 9080?")
        );
        assert_eq!(found[1].analyzer_code(), Some("IST0112"));
        assert_eq!(
            found[1].field.as_ref().map(|f| f.path.as_str()),
            Some("spec.routes[0].http[1].destination")
        );
        let found = check(&model(ROUTES), &items, FindingSeverity::Error);
        assert!(found.iter().all(|r| r.severity == Severity::Error));
        assert!(check(&model(ROUTES), &items, FindingSeverity::Off).is_empty());
    }

    #[test]
    fn services_outside_the_package_or_without_namespace_are_not_judged() {
        let items = [service("reviews", None, &[9080]), service("reviews", Some("other"), &[1])];
        assert!(check(&model(ROUTES), &items, FindingSeverity::Error).is_empty());
        let mut external = service("reviews", Some("books"), &[1]);
        external["spec"]["type"] = json!("ExternalName");
        assert!(check(&model(ROUTES), &[external], FindingSeverity::Error).is_empty());
    }
}
