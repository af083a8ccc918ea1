//! The demo app: a small, hardened HTTP echo server behind a gateway, for smoke-testing the stack.
//! Non-root, read-only root filesystem, no capabilities, seccomp `RuntimeDefault`, no service
//! account token, requests and limits, readiness and liveness probes, and a NetworkPolicy.

use super::Generated;
use super::labels::{Component, metadata, pod_labels};
use super::routes::virtual_service;
use crate::error::Error;
use crate::model::{DEMO_CONTAINER_PORT, DemoModel, Model};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, HTTPGetAction, PodSecurityContext, PodSpec, PodTemplateSpec,
    Probe, ResourceRequirements, SeccompProfile, SecurityContext, Service, ServiceAccount, ServicePort,
    ServiceSpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// File of the demo app's objects.
pub const DEMO_FILE: &str = "demo-app.yaml";
/// The non-root user and group the demo container runs as (not Istio's 1337, IST0144).
pub const DEMO_UID: i64 = 65532;

/// Render the demo app, when enabled.
pub fn render(model: &Model) -> Result<Vec<Generated>, Error> {
    let Some(demo) = &model.demo else {
        return Ok(Vec::new());
    };
    let meta = || metadata(model, &demo.name, Some(&demo.namespace), &demo.name, Component::Demo);
    // `app` and `version` are the labels Istio's telemetry and Kiali group workloads by.
    let selector = BTreeMap::from([("app".to_string(), demo.name.clone())]);
    let mut out = vec![Generated::new(
        &ServiceAccount {
            metadata: meta(),
            automount_service_account_token: Some(false),
            ..Default::default()
        },
        DEMO_FILE,
    )?];
    out.push(Generated::new(
        &Service {
            metadata: meta(),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".to_string()),
                selector: Some(selector.clone()),
                ports: Some(vec![ServicePort {
                    name: Some("http".to_string()),
                    port: super::int32(demo.port),
                    protocol: Some("TCP".to_string()),
                    target_port: Some(IntOrString::String("http".to_string())),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        },
        DEMO_FILE,
    )?);
    out.push(Generated::new(&deployment(model, demo, &selector), DEMO_FILE)?);
    out.push(super::network_policy::demo(model, demo, &selector, DEMO_FILE)?);
    if demo.replicas > 1 {
        out.push(Generated::new(
            &PodDisruptionBudget {
                metadata: meta(),
                spec: Some(PodDisruptionBudgetSpec {
                    min_available: Some(IntOrString::Int(1)),
                    selector: Some(LabelSelector {
                        match_labels: Some(selector.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            DEMO_FILE,
        )?);
    }
    if let Some(route) =
        model.demo_route.as_ref().filter(|r| super::routes::renders_virtual_service(model, r))
    {
        out.push(Generated::new(&virtual_service(model, route, meta()), DEMO_FILE)?);
    }
    Ok(out)
}

/// A tag can be moved to other content, so an image without a digest is pulled on every start (a
/// node never runs a stale copy); a digest names immutable content, so a cached copy is the image.
fn pull_policy(image: &str) -> &'static str {
    if image.contains("@sha256:") { "IfNotPresent" } else { "Always" }
}

fn deployment(model: &Model, demo: &DemoModel, selector: &BTreeMap<String, String>) -> Deployment {
    let mut labels = pod_labels(model, &demo.name, Component::Demo);
    labels.extend(selector.clone());
    labels.insert("version".to_string(), "v1".to_string());
    let quantities = |cpu: &str, memory: &str| {
        Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.to_string())),
            ("memory".to_string(), Quantity(memory.to_string())),
        ]))
    };
    let probe = |period: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/status/200".to_string()),
            port: IntOrString::String("http".to_string()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        ..Default::default()
    };
    Deployment {
        metadata: metadata(model, &demo.name, Some(&demo.namespace), &demo.name, Component::Demo),
        spec: DeploymentSpec {
            replicas: Some(super::int32(demo.replicas)),
            selector: LabelSelector { match_labels: Some(selector.clone()), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }),
                spec: Some(PodSpec {
                    service_account_name: Some(demo.name.clone()),
                    automount_service_account_token: Some(false),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(DEMO_UID),
                        run_as_group: Some(DEMO_UID),
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".to_string(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    containers: vec![Container {
                        name: demo.name.clone(),
                        image: Some(demo.image.clone()),
                        image_pull_policy: Some(pull_policy(&demo.image).to_string()),
                        ports: Some(vec![ContainerPort {
                            name: Some("http".to_string()),
                            container_port: DEMO_CONTAINER_PORT,
                            protocol: Some("TCP".to_string()),
                            ..Default::default()
                        }]),
                        readiness_probe: Some(probe(5)),
                        liveness_probe: Some(probe(10)),
                        resources: Some(ResourceRequirements {
                            requests: quantities("10m", "32Mi"),
                            limits: quantities("200m", "64Mi"),
                            ..Default::default()
                        }),
                        security_context: Some(SecurityContext {
                            allow_privilege_escalation: Some(false),
                            capabilities: Some(Capabilities {
                                drop: Some(vec!["ALL".to_string()]),
                                ..Default::default()
                            }),
                            privileged: Some(false),
                            read_only_root_filesystem: Some(true),
                            run_as_non_root: Some(true),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::pull_policy;

    #[test]
    fn only_digest_pinned_images_may_come_from_the_node_cache() {
        assert_eq!(pull_policy("docker.io/mccutchen/go-httpbin:v2.15.0"), "Always");
        assert_eq!(pull_policy("registry.example.com/httpbin@sha256:0123"), "IfNotPresent");
        assert_eq!(pull_policy("registry.example.com/httpbin:v2@sha256:0123"), "IfNotPresent");
    }
}
