//! Why each generated object exists: the node of the picture it belongs to and a sentence naming
//! the config field it comes from.
//!
//! Objects are recognised by the file the renderers put them in ([`crate::render::file_name`] and
//! the `*_FILE` constants), their kind and their name, all derived from the same model, so an object
//! of a new renderer that this module does not know yet is reported as unexplained (a test renders
//! every golden case and example and fails on any).

use crate::api::v1alpha1::{IssuerKind, MtlsMode, Provider};
use crate::model::{GatewayModel, Model, Replicas, WorkloadModel};
use crate::render::authorization_policy::access_file;
use crate::render::certificates::{CERTIFICATES_FILE, ISSUERS_FILE};
use crate::render::control_plane::CONTROL_PLANE_FILE;
use crate::render::demo_app::DEMO_FILE;
use crate::render::eastwest::{CROSS_NETWORK_GATEWAY, EASTWEST_FILE, ISTIOD_GATEWAY, PLUGIN_CA_FILE};
use crate::render::mtls::MESH_FILE;
use crate::render::namespaces::NAMESPACES_FILE;
use crate::render::request_authentication::request_authentication_name;
use crate::render::{Generated, file_name};
use crate::types::gateway_api;

/// The node key (as [`super::build`] names nodes; `ns/<name>` for a namespace's group) and the reason
/// for one generated object, or `None` when no rule here covers it.
pub fn attribute(model: &Model, generated: &Generated) -> Option<(String, String)> {
    let id = generated.id();
    let file = generated.file.as_str();
    let kind = id.kind.as_str();
    let name = id.name.as_str();
    if file == NAMESPACES_FILE && kind == "Namespace" {
        return Some((format!("ns/{name}"), namespace(model, name)));
    }
    if file == ISSUERS_FILE {
        let (index, issuer) = model.issuers.iter().enumerate().find(|(_, i)| i.name == name)?;
        let what = super::build::issuer_lines(&issuer.spec).join(", ");
        let users: Vec<String> =
            model.certificates.iter().filter(|c| c.issuer == issuer.name).map(|c| c.name.clone()).collect();
        let mut why = if model.defaulted.issuer.as_deref() == Some(name) {
            format!("issuer {name} ({what}), added because spec.issuers is empty")
        } else {
            format!("issuer spec.issuers[{index}] ({name}): {what}")
        };
        if !users.is_empty() {
            why.push_str(&format!("; signs certificate(s) {}", users.join(", ")));
        }
        if issuer.kind == IssuerKind::Issuer {
            why.push_str(", rendered beside them (kind: Issuer)");
        }
        return Some((format!("issuer/{name}"), why));
    }
    if file == CERTIFICATES_FILE {
        let certificate = model.certificates.iter().find(|c| c.name == name)?;
        let servers: Vec<String> = model
            .gateways
            .iter()
            .flat_map(|g| {
                g.servers
                    .iter()
                    .filter(|s| s.tls.as_ref().and_then(|t| t.certificate.as_deref()) == Some(name))
                    .map(move |s| format!("{} (port {})", g.name, s.port))
            })
            .collect();
        let served = match servers.as_slice() {
            [] => ", which no gateway server uses yet".to_string(),
            [one] => format!(", which gateway {one} serves (credentialName)"),
            [rest @ .., last] => {
                format!(", which gateways {} and {last} serve (credentialName)", rest.join(", "))
            }
        };
        return Some((
            format!("certificate/{name}"),
            format!(
                "certificate {} for {}, issued by {} {}; cert-manager writes Secret {}{served}",
                if model.defaulted.certificate.as_deref() == Some(name) {
                    format!("{name}, added because spec.certificates is empty,")
                } else {
                    certificate.path.clone()
                },
                super::build::list(&certificate.dns_names),
                certificate.issuer_kind.as_str(),
                certificate.issuer,
                certificate.secret_name,
            ),
        ));
    }
    if file == PLUGIN_CA_FILE {
        let multicluster = model.spec.multicluster.as_ref()?;
        return Some((
            "certificate/plugin-ca".to_string(),
            format!(
                "the intermediate CA of cluster {} (spec.multicluster.pluginCA), signed by ClusterIssuer {} (the mesh's shared root); istiod reads it from Secret {}",
                multicluster.cluster_name,
                multicluster.plugin_ca.issuer,
                crate::render::eastwest::CACERTS
            ),
        ));
    }
    if file == EASTWEST_FILE {
        return east_west(model, kind, name);
    }
    if file == CONTROL_PLANE_FILE {
        let cp = crate::render::control_plane::renders(model)?;
        let what = match kind {
            "Istio" => "the Sail Operator's Istio: istiod and the base CRDs".to_string(),
            "IstioRevisionTag" => format!("the revision tag {name} (spec.controlPlane.defaultTag)"),
            "Application" | "HelmRelease" => format!("the {name} chart release"),
            "HelmRepository" | "OCIRepository" => "the source of Istio's charts".to_string(),
            other => format!("a {other} of the control plane"),
        };
        return Some((
            "backend/istiod".to_string(),
            format!(
                "{what} of spec.controlPlane (Istio {}, profile {}, delivered as {}), so the revision, network and mesh settings the gateways rely on are rendered from this config",
                cp.spec.version,
                cp.spec.profile.as_str(),
                cp.delivery().as_str()
            ),
        ));
    }
    if file == MESH_FILE {
        let why = match kind {
            "Telemetry" => {
                let telemetry = model.spec.telemetry.as_ref()?;
                format!(
                    "tracing of spec.telemetry: {}% of requests to the extension provider {}",
                    telemetry.sampling_percentage, telemetry.provider
                )
            }
            _ => format!(
                "mesh-wide mTLS (spec.mtls.meshWide): {} for every workload of the mesh",
                model.spec.mtls.mode.as_str()
            ),
        };
        return Some(("meshwide".to_string(), why));
    }
    if file == DEMO_FILE {
        let demo = model.demo.as_ref()?;
        let what = match kind {
            "VirtualService" | "HTTPRoute" => {
                return Some((
                    format!("route/{}/{}", demo.namespace, demo.name),
                    format!(
                        "the demo app's route (spec.demoApp): {} through gateway {} to Service {}:{}",
                        demo.host, demo.gateway, demo.name, demo.port
                    ),
                ));
            }
            "Deployment" => format!("its pods ({} replica(s), image {})", demo.replicas, demo.image),
            "Service" => format!("its Service on port {}", demo.port),
            "ServiceAccount" => "its identity (no API token mounted)".to_string(),
            "NetworkPolicy" => "admits only its HTTP port".to_string(),
            "PodDisruptionBudget" => "keeps one pod running during node drains".to_string(),
            _ => "part of it".to_string(),
        };
        return Some((
            format!("backend/{}/{}", demo.namespace, demo.name),
            format!("the demo app (spec.demoApp), a hardened echo server for smoke tests: {what}"),
        ));
    }
    if let Some(workload) = model.workloads.iter().find(|w| file == file_name("workload", &w.name)) {
        return Some(workload_object(model, workload, kind));
    }
    if let Some(gateway) = model.gateways.iter().find(|g| file == file_name("gateway", &g.name)) {
        return Some(gateway_object(gateway, &id.group, kind));
    }
    if let Some(target) = model.access.targets.iter().find(|t| file == access_file(t)) {
        let key = format!("access/{}", target.name);
        if kind == "RequestAuthentication" && name == request_authentication_name(target) {
            let providers: Vec<String> = target
                .providers
                .iter()
                .filter_map(|&i| model.access.providers.get(i))
                .map(|p| format!("{} ({})", p.spec.name, p.path))
                .collect();
            return Some((
                key,
                format!(
                    "validates JWTs from {} at the gateway pods of {}",
                    providers.join(", "),
                    target.workload
                ),
            ));
        }
        let rule = target.rules.iter().find(|r| r.policy == name)?;
        return Some((
            key,
            format!(
                "access rule {} ({}) at the gateway pods of {}",
                rule.path,
                rule.action().as_str(),
                target.workload
            ),
        ));
    }
    if let Some(ns) = model.namespaces.iter().find(|n| file == file_name("policies", &n.name)) {
        let key = format!("mesh/{}", ns.name);
        let field = ns.path.as_str();
        let why = match (kind, name) {
            ("PeerAuthentication", _) => {
                format!("mTLS mode {} for the workloads of namespace {} ({field})", ns.mtls.as_str(), ns.name)
            }
            ("DestinationRule", _) if ns.mtls == MtlsMode::Strict => format!(
                "keeps clients on ISTIO_MUTUAL toward every service of the STRICT namespace {} ({field})",
                ns.name
            ),
            ("AuthorizationPolicy", "allow-nothing") => format!(
                "default deny for namespace {} ({field}.authorization.defaultDeny): denies what no ALLOW policy admits",
                ns.name
            ),
            ("AuthorizationPolicy", "allow-same-namespace") => {
                format!("default deny for namespace {}: admits its own workloads", ns.name)
            }
            ("AuthorizationPolicy", _) => {
                let accounts: Vec<String> =
                    ns.gateway_service_accounts.iter().map(|(n, a)| format!("{n}/{a}")).collect();
                format!(
                    "default deny for namespace {}: admits the gateways whose routes reach it ({})",
                    ns.name,
                    accounts.join(", ")
                )
            }
            _ => return None,
        };
        return Some((key, why));
    }
    let routes_of = |namespace: &str| file == file_name("routes", namespace);
    if routes_of(&id.namespace) {
        if kind == "DestinationRule" {
            let service = model
                .services
                .iter()
                .find(|s| s.service.name == name && s.service.namespace == id.namespace)?;
            return Some((
                format!("destinationrule/{}/{name}", id.namespace),
                format!(
                    "subsets and traffic policy toward Service {}/{name} ({}); it replaces the namespace's default-mtls rule for that host, so it keeps mTLS",
                    id.namespace, service.path
                ),
            ));
        }
        if kind == "ReferenceGrant" && name == crate::render::gateway_api::reference_grant_name(model) {
            let from: Vec<String> = model
                .routes
                .iter()
                .filter(|r| {
                    r.namespace != id.namespace
                        && r.backends()
                            .any(|b| b.service.as_ref().is_some_and(|s| s.namespace == id.namespace))
                })
                .map(|r| format!("{}/{} ({})", r.namespace, r.name, r.path))
                .collect();
            return Some((
                format!("ns/{}", id.namespace),
                format!(
                    "lets the Gateway API routes {} reach Services of namespace {} (output: gateway-api; a backend in another namespace needs the target namespace's consent)",
                    from.join(", "),
                    id.namespace
                ),
            ));
        }
        let route = model.routes.iter().find(|r| {
            r.namespace == id.namespace
                && match kind {
                    "TLSRoute" => (0..r.tls.len())
                        .any(|i| crate::render::gateway_api::l4_route_name(&r.name, i, r.tls.len()) == name),
                    "TCPRoute" => (0..r.tcp.len())
                        .any(|i| crate::render::gateway_api::l4_route_name(&r.name, i, r.tcp.len()) == name),
                    _ => r.name == name,
                }
        })?;
        let gateways: Vec<String> = route
            .gateways
            .iter()
            .map(|(g, _)| match model.gateways.iter().find(|gw| &gw.name == g) {
                Some(gw) => format!("{}/{}", gw.namespace, gw.name),
                None => g.clone(),
            })
            .collect();
        return Some((
            format!("route/{}/{}", id.namespace, route.name),
            format!(
                "route {} ({}): hosts {}, bound to {}",
                route.path,
                route.name,
                super::build::list(&route.hosts),
                gateways.join(", ")
            ),
        ));
    }
    None
}

fn namespace(model: &Model, name: &str) -> String {
    if let Some(ns) = model.namespaces.iter().find(|n| n.name == name) {
        let injection = if ns.injection {
            if model.spec.revision.is_empty() {
                ", labelled for sidecar injection".to_string()
            } else {
                format!(", labelled for sidecar injection by revision {}", model.spec.revision)
            }
        } else {
            ", labelled istio-injection: disabled".to_string()
        };
        let kept = if name == crate::render::namespaces::DEFAULT_NAMESPACE {
            "; annotated so GitOps tools never prune it (every cluster has it)"
        } else {
            ""
        };
        return format!("application namespace {} ({name}){injection}{kept}", ns.path);
    }
    if name == model.spec.mtls.root_namespace {
        return "the mesh root namespace (spec.mtls.rootNamespace), labelled with the network of spec.multicluster.network; annotated so GitOps tools never prune it".to_string();
    }
    if name == model.spec.namespace {
        return format!(
            "the gateway namespace (spec.namespace): gateway pods, Istio Gateways and their certificates live in {name}; no injection label, the gateway pods opt in themselves"
        );
    }
    format!("namespace {name}, used by this config")
}

fn workload_object(model: &Model, workload: &WorkloadModel, kind: &str) -> (String, String) {
    let gateways: Vec<String> = workload
        .gateways
        .iter()
        .filter_map(|&i| model.gateways.get(i))
        .map(|g| format!("{} ({})", g.path, g.name))
        .collect();
    workload_reason(workload, &format!("of {}", gateways.join(", ")), kind)
}

fn workload_reason(workload: &WorkloadModel, of: &str, kind: &str) -> (String, String) {
    let key = format!("workload/{}", workload.name);
    let why = match kind {
        "Deployment" if workload.gateways.is_empty() => {
            format!("the gateway workload {of}, rendered like the istio/gateway chart with networkGateway")
        }
        "Deployment" => format!("the gateway workload {of}, rendered like the istio/gateway chart"),
        "Service" => {
            let ports: Vec<String> = workload.ports.iter().map(|(n, p)| format!("{p} ({n})")).collect();
            let lb = match workload.gateway.load_balancer.provider {
                Provider::None => String::new(),
                provider => format!(", load balancer preset {}", provider.as_str()),
            };
            return (
                format!("service/{}", workload.name),
                format!(
                    "the gateway Service {of}: {}{lb}, ports {}",
                    workload.service_type.as_str(),
                    ports.join(", ")
                ),
            );
        }
        "Ingress" => {
            return (
                format!("lb/{}", workload.name),
                format!(
                    "the AWS ALB in front of the gateway Service {of} (loadBalancer.provider: aws-alb); TLS ends at the ALB"
                ),
            );
        }
        "ServiceAccount" => format!("the identity of the gateway pods {of} (no API token mounted)"),
        "Role" | "RoleBinding" => format!(
            "lets istiod serve the gateway pods {of} the TLS secrets of their namespace, as the istio/gateway chart grants"
        ),
        "HorizontalPodAutoscaler" => match &workload.replicas {
            Replicas::Autoscaled(a) => {
                format!(
                    "scales the gateway pods {of} between {} and {} replicas",
                    a.min_replicas, a.max_replicas
                )
            }
            Replicas::Fixed(n) => format!("keeps {n} gateway pods {of}"),
        },
        "PodDisruptionBudget" => format!("keeps gateway pods {of} serving during node drains"),
        "NetworkPolicy" => format!("admits only the ports of the gateway pods {of}"),
        _ => format!("part of the gateway workload {of}"),
    };
    (key, why)
}

fn gateway_object(gateway: &GatewayModel, group: &str, kind: &str) -> (String, String) {
    let servers: Vec<String> = gateway
        .servers
        .iter()
        .filter(|s| !gateway.served_by_gateway_api(s))
        .map(|s| format!("{} {}", s.protocol.as_str(), s.port))
        .collect();
    if kind == "ConfigMap" {
        return (
            format!("gateway/{}", gateway.name),
            format!(
                "Istio's customization of the pods it deploys for {} ({}, deployment: automated): replicas or autoscaling, disruption budget, resources, placement, Service type and annotations, read through the Gateway's spec.infrastructure.parametersRef",
                gateway.path, gateway.name
            ),
        );
    }
    if group == gateway_api::GROUP {
        let key = if gateway.http01 && !gateway.gateway_api() {
            format!("http01/{}", gateway.name)
        } else {
            format!("gateway/{}", gateway.name)
        };
        let why = if gateway.automated() {
            format!(
                "{kind} of {} ({}) in the Gateway API (output: gateway-api); Istio deploys its pods and Service {} (deployment: automated)",
                gateway.path,
                gateway.name,
                crate::render::gateway_api::automated_service_name(gateway)
            )
        } else if gateway.gateway_api() {
            format!(
                "{kind} of {} ({}) in the Gateway API (output: gateway-api), bound to the gateway Service {} (Istio's manual deployment)",
                gateway.path,
                gateway.name,
                crate::render::gateway_api::service_address(gateway)
            )
        } else if gateway.http01 {
            format!(
                "port 80 of {} ({}) through the Gateway API: its HTTPRoute redirects to HTTPS while cert-manager's HTTP-01 challenge routes still match (istio/istio#33593)",
                gateway.path, gateway.name
            )
        } else {
            format!("{kind} of {} ({}) in the Gateway API", gateway.path, gateway.name)
        };
        return (key, why);
    }
    (
        format!("gateway/{}", gateway.name),
        format!(
            "the Istio Gateway of {} ({}): servers {} on the gateway pods {}",
            gateway.path,
            gateway.name,
            servers.join(", "),
            gateway.selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
        ),
    )
}

fn east_west(model: &Model, kind: &str, name: &str) -> Option<(String, String)> {
    let workload = model.east_west.as_ref()?;
    let field = "spec.multicluster.eastWestGateway";
    Some(match (kind, name) {
        ("Gateway", CROSS_NETWORK_GATEWAY) => (
            format!("gateway/{CROSS_NETWORK_GATEWAY}"),
            format!(
                "lets other networks of the mesh reach this cluster's services (*.local) through the east-west gateway ({field}), mTLS passed through on 15443"
            ),
        ),
        (_, ISTIOD_GATEWAY) => (
            format!("gateway/{ISTIOD_GATEWAY}"),
            format!("exposes istiod to remote clusters through the east-west gateway ({field}.exposeIstiod)"),
        ),
        _ => workload_reason(workload, &format!("of the east-west gateway ({field})"), kind),
    })
}
