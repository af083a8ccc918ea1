//! The gateway workload, equal in substance to `helm template` of the istio/gateway chart
//! (`../shared/reference/gateway-chart-default.yaml`): ServiceAccount, Role and RoleBinding for
//! reading TLS secrets, Service, Deployment, and a HorizontalPodAutoscaler or fixed replicas, plus a
//! PodDisruptionBudget when at least two replicas always run.
//!
//! Differences from the chart, on purpose: pods spread across zones by default, replicas default to
//! 2-5 (the chart's 1-5 leaves a single gateway pod), the pod template carries no version label (so
//! upgrading this function does not roll the gateways), and cloud load balancer annotations come
//! from presets. The pods are also locked down further than the chart's: seccomp `RuntimeDefault`,
//! no automounted API token, a liveness probe, and a NetworkPolicy admitting only the served ports.

use super::labels::{Component, common_labels, metadata, pod_labels};
use super::{Generated, file_name};
use crate::api::v1alpha1::*;
use crate::error::Error;
use crate::model::{Model, NETWORK_LABEL, Replicas, STATUS_PORT, WorkloadModel};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    SeccompProfile, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec, Sysctl,
    TCPSocketAction, TopologySpreadConstraint,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget as Pdb, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Label the istio/gateway chart puts on gateway objects so ambient mode leaves gateway pods alone.
pub const DATAPLANE_MODE_LABEL: &str = "istio.io/dataplane-mode";

/// Pod annotations the gateway needs for injection, which `workload.podAnnotations` cannot change.
pub const PROTECTED_POD_ANNOTATIONS: &[(&str, &str)] =
    &[("inject.istio.io/templates", "gateway"), ("sidecar.istio.io/inject", "true")];

/// Labels of every object of a workload: the common labels, the selector labels and the chart's
/// dataplane-mode label.
pub fn workload_labels(
    model: &Model,
    workload: &WorkloadModel,
    component: Component,
) -> BTreeMap<String, String> {
    let mut labels = common_labels(model, &workload.name, component);
    labels.extend(workload.selector.clone());
    labels.insert(DATAPLANE_MODE_LABEL.to_string(), "none".to_string());
    labels
}

fn workload_meta(model: &Model, workload: &WorkloadModel, component: Component) -> ObjectMeta {
    let mut meta = metadata(model, &workload.name, Some(&workload.namespace), &workload.name, component);
    meta.labels = Some(workload_labels(model, workload, component));
    meta
}

/// Render the objects of one gateway workload; nothing for an external one, managed elsewhere.
pub fn render(model: &Model, workload: &WorkloadModel) -> Result<Vec<Generated>, Error> {
    // An automatically deployed gateway's workload is Istio's (validation keeps it unshared).
    let automated = !workload.gateways.is_empty()
        && workload.gateways.iter().all(|i| model.gateways.get(*i).is_some_and(|g| g.automated()));
    if workload.external || automated {
        return Ok(Vec::new());
    }
    let file = file_name("workload", &workload.name);
    render_workload(model, workload, Component::Gateway, &file, service_annotations(workload), None)
}

/// Render a network gateway (the chart's `networkGateway`): the Service and pods carry
/// `topology.istio.io/network`, and the proxy asks for that network's view (`ISTIO_META_REQUESTED_NETWORK_VIEW`).
pub fn render_network(
    model: &Model,
    workload: &WorkloadModel,
    component: Component,
    file: &str,
    annotations: BTreeMap<String, String>,
    network: &str,
) -> Result<Vec<Generated>, Error> {
    render_workload(model, workload, component, file, annotations, Some(network))
}

fn render_workload(
    model: &Model,
    workload: &WorkloadModel,
    component: Component,
    file: &str,
    annotations: BTreeMap<String, String>,
    network: Option<&str>,
) -> Result<Vec<Generated>, Error> {
    let meta = || workload_meta(model, workload, component);
    let mut account_meta = meta();
    let account_annotations = &workload.gateway.workload.service_account.annotations;
    if !account_annotations.is_empty() {
        account_meta.annotations = Some(account_annotations.clone());
    }
    let mut out =
        vec![Generated::new(&ServiceAccount { metadata: account_meta, ..Default::default() }, file)?];

    // istiod checks that a gateway may read the secrets it serves (SubjectAccessReview on `list
    // secrets` in the gateway's namespace), so the chart grants exactly that.
    out.push(Generated::new(
        &Role {
            metadata: meta(),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["secrets".to_string()]),
                verbs: vec!["get".to_string(), "watch".to_string(), "list".to_string()],
                ..Default::default()
            }]),
        },
        file,
    )?);
    out.push(Generated::new(
        &RoleBinding {
            metadata: meta(),
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".to_string()),
                kind: "Role".to_string(),
                name: workload.name.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".to_string(),
                name: workload.name.clone(),
                namespace: Some(workload.namespace.clone()),
                ..Default::default()
            }]),
        },
        file,
    )?);

    out.push(Generated::new(&service(model, workload, component, annotations, network), file)?);
    out.push(Generated::new(&deployment(model, workload, component, network), file)?);
    out.extend(super::network_policy::gateway(meta(), workload, file)?);

    if let Replicas::Autoscaled(autoscaling) = &workload.replicas {
        out.push(Generated::new(&hpa(model, workload, component, autoscaling), file)?);
    }
    if let Some(pdb) = pdb(model, workload, component) {
        out.push(Generated::new(&pdb, file)?);
    }
    Ok(out)
}

/// Istio's customization of an automatically deployed gateway (`deployment: automated`): the data of
/// the `parametersRef` ConfigMap, one YAML overlay per generated object kind (`deployment`,
/// `service`, `serviceAccount`, `horizontalPodAutoscaler`, `podDisruptionBudget`), which Istio
/// merges into the objects it generates. The overlays are cut from the very objects the manual mode
/// renders, so both modes carry the same replicas, autoscaling, budget, resources, placement,
/// Service type and annotations; names, selectors and ports stay Istio's.
pub fn automated_options(model: &Model, workload: &WorkloadModel) -> Result<BTreeMap<String, String>, Error> {
    use serde_json::{Value, json};
    let component = Component::Gateway;
    let deployment = serde_json::to_value(deployment(model, workload, component, None))
        .map_err(|e| Error::Serialize(e.to_string()))?;
    let pod = &deployment["spec"]["template"]["spec"];
    let mut pod_overlay = serde_json::Map::new();
    for key in ["nodeSelector", "affinity", "tolerations", "topologySpreadConstraints"] {
        if let Some(value) = pod.get(key).filter(|v| !v.is_null()) {
            pod_overlay.insert(key.to_string(), value.clone());
        }
    }
    // Istio's pods carry the Gateway's name, not this workload's selector labels.
    let gateway_pods = json!({"matchLabels": {crate::model::GATEWAY_NAME_LABEL: workload.gateway.name}});
    if let Some(Value::Array(constraints)) = pod_overlay.get_mut("topologySpreadConstraints") {
        for constraint in constraints.iter_mut() {
            constraint["labelSelector"] = gateway_pods.clone();
        }
    }
    if let Some(resources) = pod["containers"][0].get("resources") {
        pod_overlay
            .insert("containers".to_string(), json!([{"name": "istio-proxy", "resources": resources}]));
    }
    let mut deployment_spec = serde_json::Map::new();
    if let Some(replicas) = deployment["spec"].get("replicas").filter(|v| !v.is_null()) {
        deployment_spec.insert("replicas".to_string(), replicas.clone());
    }
    // Pod annotations (proxy settings of the gateway topology, the user's) and the user's pod
    // labels; what injection needs Istio's template sets itself.
    let mut template = serde_json::Map::new();
    let mut pod_meta = serde_json::Map::new();
    if let Some(Value::Object(annotations)) = deployment["spec"]["template"]["metadata"].get("annotations") {
        let mut annotations = annotations.clone();
        annotations.retain(|k, _| PROTECTED_POD_ANNOTATIONS.iter().all(|(p, _)| p != k));
        pod_meta.insert("annotations".to_string(), Value::Object(annotations));
    }
    let pod_labels = &workload.gateway.workload.pod_labels;
    if !pod_labels.is_empty() {
        pod_meta.insert("labels".to_string(), json!(pod_labels));
    }
    if !pod_meta.is_empty() {
        template.insert("metadata".to_string(), Value::Object(pod_meta));
    }
    template.insert("spec".to_string(), Value::Object(pod_overlay));
    deployment_spec.insert("template".to_string(), Value::Object(template));

    let service =
        serde_json::to_value(service(model, workload, component, service_annotations(workload), None))
            .map_err(|e| Error::Serialize(e.to_string()))?;
    let mut service_overlay = serde_json::Map::new();
    if let Some(annotations) = service["metadata"].get("annotations") {
        service_overlay.insert("metadata".to_string(), json!({"annotations": annotations}));
    }
    let mut service_spec = serde_json::Map::new();
    for key in ["type", "loadBalancerIP", "externalTrafficPolicy", "loadBalancerSourceRanges"] {
        if let Some(value) = service["spec"].get(key).filter(|v| !v.is_null()) {
            service_spec.insert(key.to_string(), value.clone());
        }
    }
    service_overlay.insert("spec".to_string(), Value::Object(service_spec));

    let mut data = BTreeMap::new();
    let mut put = |key: &str, value: Value| -> Result<(), Error> {
        data.insert(key.to_string(), crate::krm::io::to_yaml(&value)?);
        Ok(())
    };
    put("deployment", json!({"spec": Value::Object(deployment_spec)}))?;
    put("service", Value::Object(service_overlay))?;
    let account_annotations = &workload.gateway.workload.service_account.annotations;
    if !account_annotations.is_empty() {
        put("serviceAccount", json!({"metadata": {"annotations": account_annotations}}))?;
    }
    if let Replicas::Autoscaled(autoscaling) = &workload.replicas {
        let hpa = serde_json::to_value(hpa(model, workload, component, autoscaling))
            .map_err(|e| Error::Serialize(e.to_string()))?;
        let spec = &hpa["spec"];
        put(
            "horizontalPodAutoscaler",
            json!({"spec": {"minReplicas": spec["minReplicas"], "maxReplicas": spec["maxReplicas"], "metrics": spec["metrics"]}}),
        )?;
    }
    if let Some(pdb) = pdb(model, workload, component) {
        let pdb = serde_json::to_value(pdb).map_err(|e| Error::Serialize(e.to_string()))?;
        let mut spec = serde_json::Map::new();
        for key in ["minAvailable", "maxUnavailable"] {
            if let Some(value) = pdb["spec"].get(key).filter(|v| !v.is_null()) {
                spec.insert(key.to_string(), value.clone());
            }
        }
        put("podDisruptionBudget", json!({"spec": Value::Object(spec)}))?;
    }
    Ok(data)
}

/// The Service ports of a workload: the status port and the server ports (each targeting the same
/// container port, over TCP), then the extra ports of `service.ports`, as `(name, port, target port,
/// protocol)`.
pub fn service_ports(workload: &WorkloadModel) -> Vec<(String, u32, u32, PortProtocol)> {
    workload
        .ports
        .iter()
        .map(|(name, port)| (name.clone(), *port, *port, PortProtocol::Tcp))
        .chain(
            workload
                .gateway
                .service
                .ports
                .iter()
                .map(|p| (p.name.clone(), p.port, p.target_port.unwrap_or(p.port), p.protocol)),
        )
        .collect()
}

/// The annotations that pin a load balancer to a static address, per provider.
fn static_address_annotations(lb: &LoadBalancer) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    let Some(address) = &lb.static_address else { return annotations };
    let mut put = |key: &str, value: String| {
        annotations.insert(key.to_string(), value);
    };
    match lb.provider {
        Provider::AwsNlb => {
            if !address.eip_allocations.is_empty() {
                put(AWS_EIP_ALLOCATIONS, address.eip_allocations.join(","));
            }
            if !address.private_ipv4_addresses.is_empty() {
                put(AWS_PRIVATE_IPV4_ADDRESSES, address.private_ipv4_addresses.join(","));
            }
        }
        Provider::Gcp => {
            if !address.address_names.is_empty() {
                put(GKE_IP_ADDRESSES, address.address_names.join(","));
            }
        }
        Provider::Azure => {
            if let Some(name) = &address.public_ip_name {
                put(AZURE_PIP_NAME, name.clone());
            }
            if let Some(ip) = &address.ip {
                put(AZURE_IPV4, ip.clone());
            }
            if let Some(group) = &address.resource_group {
                put(AZURE_RESOURCE_GROUP, group.clone());
            }
        }
        Provider::AwsAlb | Provider::None => {}
    }
    annotations
}

/// AWS Load Balancer Controller: Elastic IPs of an internet-facing NLB, one per subnet.
pub const AWS_EIP_ALLOCATIONS: &str = "service.beta.kubernetes.io/aws-load-balancer-eip-allocations";
/// AWS Load Balancer Controller: private IPv4 addresses of an internal NLB, one per subnet.
pub const AWS_PRIVATE_IPV4_ADDRESSES: &str =
    "service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses";
/// AWS Load Balancer Controller: the NLB's subnets.
pub const AWS_SUBNETS: &str = "service.beta.kubernetes.io/aws-load-balancer-subnets";
/// GKE: names of reserved regional addresses (ingress-gce `pkg/l4/annotations/l4_static_address.go`).
pub const GKE_IP_ADDRESSES: &str = "networking.gke.io/load-balancer-ip-addresses";
/// cloud-provider-azure: the public IP resource of the load balancer frontend.
pub const AZURE_PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
/// cloud-provider-azure: the frontend IPv4 address (replaces `spec.loadBalancerIP`).
pub const AZURE_IPV4: &str = "service.beta.kubernetes.io/azure-load-balancer-ipv4";
/// cloud-provider-azure: resource group of the public IP.
pub const AZURE_RESOURCE_GROUP: &str = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

/// Service annotations: the load balancer preset, external-dns, then the user's (which win).
pub fn service_annotations(workload: &WorkloadModel) -> BTreeMap<String, String> {
    let gateway = &workload.gateway;
    let lb = &gateway.load_balancer;
    let internal = gateway.scope == Scope::Internal;
    let mut annotations = BTreeMap::new();
    match lb.provider {
        Provider::AwsNlb => {
            let aws = |key: &str| format!("service.beta.kubernetes.io/aws-load-balancer-{key}");
            // `external` hands the Service to the AWS Load Balancer Controller (not the legacy in-tree
            // controller); it must be set at creation and never changed (aws-load-balancer-controller#2165).
            annotations.insert(aws("type"), "external".to_string());
            annotations.insert(aws("nlb-target-type"), lb.target_type.as_str().to_string());
            annotations
                .insert(aws("scheme"), if internal { "internal" } else { "internet-facing" }.to_string());
            if let Some(name) = &lb.name {
                annotations.insert(aws("name"), name.clone());
            }
            annotations
                .insert(aws("attributes"), format!("load_balancing.cross_zone.enabled={}", lb.cross_zone));
            // Health-check Envoy's readiness on the status port. A named port resolves to the NodePort for
            // `instance` targets and to 15021 for `ip` targets, so one setting works for both.
            annotations.insert(aws("healthcheck-protocol"), "http".to_string());
            annotations.insert(aws("healthcheck-port"), "status-port".to_string());
            annotations.insert(aws("healthcheck-path"), "/healthz/ready".to_string());
            if !lb.subnets.is_empty() {
                annotations.insert(AWS_SUBNETS.to_string(), lb.subnets.join(","));
            }
        }
        Provider::Gcp if internal => {
            annotations.insert("networking.gke.io/load-balancer-type".to_string(), "Internal".to_string());
        }
        Provider::Azure => {
            if internal {
                annotations.insert(
                    "service.beta.kubernetes.io/azure-load-balancer-internal".to_string(),
                    "true".to_string(),
                );
            }
            // Azure probes each port itself by default, and Envoy answers a probe on 80/443 with 404 or a
            // TLS error; probe the status port's /healthz/ready for every traffic port instead.
            for (_, port, _, _) in service_ports(workload).iter().filter(|(_, p, _, _)| *p != STATUS_PORT) {
                let key = |what: &str| format!("service.beta.kubernetes.io/port_{port}_health-probe_{what}");
                annotations.insert(key("protocol"), "http".to_string());
                annotations.insert(key("port"), "status-port".to_string());
                annotations.insert(key("request-path"), "/healthz/ready".to_string());
            }
        }
        Provider::Gcp | Provider::AwsAlb | Provider::None => {}
    }
    annotations.extend(static_address_annotations(lb));
    // Behind an ALB the Ingress holds the address external-dns publishes, so the hostnames go there.
    if gateway.external_dns.enabled && lb.provider != Provider::AwsAlb {
        annotations.extend(external_dns_annotations(&gateway.external_dns, &workload.hosts));
    }
    annotations.extend(super::gateway_topology::service_annotations(gateway));
    annotations.extend(gateway.service.annotations.clone());
    annotations
}

/// The external-dns annotations for `hosts` (server host names without namespace parts); a bare `*`
/// names no record and is left out, as external-dns itself does with Gateway hosts. Nothing when no
/// host is left.
pub fn external_dns_annotations(dns: &ExternalDns, hosts: &[String]) -> BTreeMap<String, String> {
    let prefix = &dns.annotation_prefix;
    let names: Vec<&str> = hosts.iter().map(String::as_str).filter(|h| *h != "*").collect();
    if names.is_empty() {
        return BTreeMap::new();
    }
    let mut annotations = BTreeMap::from([(format!("{prefix}hostname"), names.join(","))]);
    if let Some(ttl) = dns.ttl {
        annotations.insert(format!("{prefix}ttl"), ttl.to_string());
    }
    annotations
}

fn service(
    model: &Model,
    workload: &WorkloadModel,
    component: Component,
    annotations: BTreeMap<String, String>,
    network: Option<&str>,
) -> Service {
    let gateway = &workload.gateway;
    let mut meta = workload_meta(model, workload, component);
    if let (Some(network), Some(labels)) = (network, meta.labels.as_mut()) {
        labels.insert(NETWORK_LABEL.to_string(), network.to_string());
    }
    if !annotations.is_empty() {
        meta.annotations = Some(annotations);
    }
    let external = workload.service_type != ServiceType::ClusterIP;
    let load_balancer = workload.service_type == ServiceType::LoadBalancer;
    Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            type_: Some(workload.service_type.as_str().to_string()),
            selector: Some(workload.selector.clone()),
            ports: Some(
                service_ports(workload)
                    .into_iter()
                    .map(|(name, port, target, protocol)| ServicePort {
                        name: Some(name),
                        port: super::int32(port),
                        protocol: Some(protocol.as_str().to_string()),
                        target_port: Some(IntOrString::Int(super::int32(target))),
                        ..Default::default()
                    })
                    .collect(),
            ),
            // GKE still reads the deprecated field; the other providers take annotations.
            load_balancer_ip: gateway
                .load_balancer
                .static_address
                .as_ref()
                .filter(|_| load_balancer && gateway.load_balancer.provider == Provider::Gcp)
                .and_then(|a| a.ip.clone()),
            external_traffic_policy: gateway
                .service
                .external_traffic_policy
                .filter(|_| external)
                .map(|p| format!("{p:?}")),
            load_balancer_source_ranges: (load_balancer
                && !gateway.service.load_balancer_source_ranges.is_empty())
            .then(|| gateway.service.load_balancer_source_ranges.clone()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The gateway Deployment; a network gateway's pods carry the network and request its view.
pub fn deployment(
    model: &Model,
    workload: &WorkloadModel,
    component: Component,
    network: Option<&str>,
) -> Deployment {
    let env: Vec<(String, String)> = network
        .map(|n| vec![("ISTIO_META_REQUESTED_NETWORK_VIEW".to_string(), n.to_string())])
        .unwrap_or_default();
    let gateway = &workload.gateway;
    let spec_workload = &gateway.workload;
    // The user's pod labels first, so every label the function sets below wins (validation reports
    // a clash).
    let mut labels = spec_workload.pod_labels.clone();
    labels.extend(pod_labels(model, &workload.name, component));
    labels.extend(workload.selector.clone());
    labels.insert(DATAPLANE_MODE_LABEL.to_string(), "none".to_string());
    // The injector fills in `image: auto` for pods labelled for injection (the `object` webhook rule
    // matches this label in namespaces without istio-injection/istio.io/rev labels).
    labels.insert("sidecar.istio.io/inject".to_string(), "true".to_string());
    if !model.spec.revision.is_empty() {
        labels.insert("istio.io/rev".to_string(), model.spec.revision.clone());
    }
    if let Some(network) = network {
        labels.insert(NETWORK_LABEL.to_string(), network.to_string());
    }
    // In `gateway-api` mode the pods are the Gateway's (Istio's manual deployment): its policies
    // attach to them with `targetRefs`, which Istio resolves through this label.
    if let Some(gateway) =
        crate::model::gateway_api_owner(&model.gateways, &workload.gateways, workload.external)
    {
        labels.insert(crate::model::GATEWAY_NAME_LABEL.to_string(), gateway.to_string());
    }
    let mut annotations = BTreeMap::from([
        ("prometheus.io/path".to_string(), "/stats/prometheus".to_string()),
        ("prometheus.io/port".to_string(), "15020".to_string()),
        ("prometheus.io/scrape".to_string(), "true".to_string()),
    ]);
    annotations.extend(super::gateway_topology::pod_annotations(gateway));
    // The user's annotations win over the defaults and the topology, not over what injection needs.
    annotations.extend(spec_workload.pod_annotations.clone());
    annotations.extend(PROTECTED_POD_ANNOTATIONS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let topology_key = match spec_workload.topology_spread {
        TopologySpread::None => None,
        TopologySpread::Zone => Some("topology.kubernetes.io/zone"),
        TopologySpread::Hostname => Some("kubernetes.io/hostname"),
    };
    let container = Container {
        name: "istio-proxy".to_string(),
        // "auto" is replaced by the injection webhook with the proxy image of the revision.
        image: Some("auto".to_string()),
        env: (!env.is_empty()).then(|| {
            env.iter()
                .map(|(name, value)| k8s_openapi::api::core::v1::EnvVar {
                    name: name.clone(),
                    value: Some(value.clone()),
                    ..Default::default()
                })
                .collect()
        }),
        ports: Some(vec![ContainerPort {
            container_port: 15090,
            protocol: Some("TCP".to_string()),
            name: Some("http-envoy-prom".to_string()),
            ..Default::default()
        }]),
        // The injector adds a readiness probe (`/healthz/ready` on the status port) but no liveness
        // probe. This one only asks whether Envoy still accepts connections on the status port,
        // which it opens from its bootstrap: an Envoy waiting for istiod is not restarted.
        liveness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(super::int32(STATUS_PORT)),
                ..Default::default()
            }),
            initial_delay_seconds: Some(10),
            period_seconds: Some(10),
            timeout_seconds: Some(3),
            failure_threshold: Some(6),
            ..Default::default()
        }),
        resources: Some(workload.resources.clone()),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_string()]), ..Default::default() }),
            privileged: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    Deployment {
        metadata: workload_meta(model, workload, component),
        spec: DeploymentSpec {
            replicas: match workload.replicas {
                Replicas::Fixed(n) => Some(super::int32(n)),
                Replicas::Autoscaled(_) => None,
            },
            selector: LabelSelector { match_labels: Some(workload.selector.clone()), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    annotations: Some(annotations),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(workload.name.clone()),
                    // The proxy authenticates to istiod with the `istio-token` projected volume the
                    // injector adds (Istio's default third-party JWT policy), not with the
                    // automounted API token; nothing in the pod calls the Kubernetes API.
                    automount_service_account_token: Some(false),
                    security_context: Some(PodSecurityContext {
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".to_string(),
                            ..Default::default()
                        }),
                        // Lets Envoy bind ports below 1024 without NET_BIND_SERVICE; safe since
                        // Kubernetes 1.22 (kubernetes/kubernetes#103326).
                        sysctls: Some(vec![Sysctl {
                            name: "net.ipv4.ip_unprivileged_port_start".to_string(),
                            value: "0".to_string(),
                        }]),
                        ..Default::default()
                    }),
                    containers: vec![container],
                    termination_grace_period_seconds: Some(30),
                    node_selector: (!spec_workload.node_selector.is_empty())
                        .then(|| spec_workload.node_selector.clone()),
                    tolerations: (!spec_workload.tolerations.is_empty())
                        .then(|| spec_workload.tolerations.clone()),
                    affinity: spec_workload.affinity.clone(),
                    topology_spread_constraints: topology_key.map(|key| {
                        vec![TopologySpreadConstraint {
                            max_skew: 1,
                            topology_key: key.to_string(),
                            when_unsatisfiable: "ScheduleAnyway".to_string(),
                            label_selector: Some(LabelSelector {
                                match_labels: Some(workload.selector.clone()),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }]
                    }),
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

fn hpa(
    model: &Model,
    workload: &WorkloadModel,
    component: Component,
    autoscaling: &Autoscaling,
) -> HorizontalPodAutoscaler {
    let metric = |name: &str, percent: u32| MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: name.to_string(),
            target: MetricTarget {
                type_: "Utilization".to_string(),
                average_utilization: Some(super::int32(percent)),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let mut metrics = vec![metric("cpu", autoscaling.target_cpu_utilization_percentage)];
    if let Some(memory) = autoscaling.target_memory_utilization_percentage {
        metrics.push(metric("memory", memory));
    }
    HorizontalPodAutoscaler {
        metadata: workload_meta(model, workload, component),
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_string()),
                kind: "Deployment".to_string(),
                name: workload.name.clone(),
            },
            min_replicas: Some(super::int32(autoscaling.min_replicas)),
            max_replicas: super::int32(autoscaling.max_replicas),
            metrics: Some(metrics),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn pdb(model: &Model, workload: &WorkloadModel, component: Component) -> Option<Pdb> {
    let settings = &workload.gateway.workload.pod_disruption_budget;
    // A budget on a single replica blocks node drains (kubernetes/kubernetes#93476), as the chart notes.
    if !settings.enabled || workload.replicas.minimum() < 2 {
        return None;
    }
    let min_available = match (&settings.min_available, &settings.max_unavailable) {
        (Some(min), _) => Some(min.clone()),
        (None, None) => Some(IntOrString::Int(1)),
        (None, Some(_)) => None,
    };
    Some(Pdb {
        metadata: workload_meta(model, workload, component),
        spec: Some(PodDisruptionBudgetSpec {
            min_available,
            max_unavailable: settings.max_unavailable.clone(),
            selector: Some(LabelSelector {
                match_labels: Some(workload.selector.clone()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    })
}
