//! Control plane rules: the settings of `spec.controlPlane`, and the consistency of the two halves
//! rendered from one config: the extension providers that tracing and CUSTOM access rules name exist
//! in the mesh config (with a kind that fits), the profile installs what the gateways and namespaces
//! need (their injection templates, istiod for an exposed istiod), the Gateway API is on when the
//! config uses it, and an east-west gateway can be found by istiod.
//!
//! [`mesh_peers`] checks configs against the others beside them: clusters of one mesh share the mesh
//! ID, the root CA issuer and the trust domain, and two configs that render the same revision's
//! control plane are two clusters, so they differ in `clusterName`. It runs in the function when a
//! package holds several configs, and in `mesh-ingress check` over one package (or overlay) per
//! cluster, where all clusters of a mesh are visible at once.

use super::names;
use super::{Findings, text};
use crate::api::decode::suggest;
use crate::api::v1alpha1::*;
use crate::krm::result::KrmResult;
use crate::model::Model;
use crate::model::control_plane::{ControlPlaneModel, uses_gateway_api};
use serde_json::json;

const PATH: &str = "spec.controlPlane";

/// Istio minor versions whose chart values the rendered keys are checked against
/// (`tests/upstream/istio-charts/`).
pub const SUPPORTED_MINORS: &[u32] = &[29, 30];

/// Run the control plane rules.
pub fn check(model: &Model, f: &mut Findings) {
    let Some(cp) = &model.control_plane else { return };
    version(&cp.spec.version, f);
    revision(model, cp, f);
    istiod(cp, f);
    delivery(cp, f);
    mesh_config(cp, f);
    providers_named(model, cp, f);
    profile(model, cp, f);
    gateway_api(model, cp, f);
    east_west(model, f);
    if cp.traits.renders {
        f.info(format!("{PATH}.delivery"), text(cp.delivery().as_str()), needs(cp));
    } else {
        f.info(
            format!("{PATH}.profile"),
            text(cp.spec.profile.as_str()),
            "profile empty installs nothing: no control plane object is rendered",
        );
    }
}

/// What the delivery format needs in the cluster, said once per render.
fn needs(cp: &ControlPlaneModel) -> String {
    match cp.delivery() {
        Delivery::Sail => "the control plane is a sailoperator.io/v1 Istio: the Sail Operator (and its CRDs) must run in the cluster".to_string(),
        Delivery::Argocd => format!(
            "the control plane is two Argo CD Applications in namespace {:?}: Argo CD must watch that namespace, and an app-of-apps parent waits for them before the gateways only with sync waves (spec.argocd.syncWaves) and the Application health check restored in argocd-cm (resource.customizations.health.argoproj.io_Application){}",
            cp.spec.argocd.namespace,
            if cp.spec.chart_source == ChartSource::Oci { "; the OCI chart registry must be registered as a Helm repository with enableOCI: \"true\"" } else { "" }
        ),
        Delivery::Flux => "the control plane is Flux HelmReleases: helm-controller and source-controller must run in the cluster, and the Flux Kustomization that applies the gateways should dependsOn the one that applies the control plane".to_string(),
    }
}

fn version(version: &str, f: &mut Findings) {
    let at = format!("{PATH}.version");
    let parts: Vec<&str> = version.split('.').collect();
    let numeric =
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !numeric {
        let hint = match version.strip_prefix('v') {
            Some(rest) => {
                format!("; write it without the leading \"v\": {rest:?} (the Sail Istio gets \"v{rest}\")")
            }
            None => String::new(),
        };
        f.error(at, text(version), format!("version {version:?} is not an Istio release of the form 1.MINOR.PATCH (such as \"1.30.3\"){hint}"));
        return;
    }
    let minor: u32 = parts[1].parse().unwrap_or(0);
    if parts[0] != "1" || !SUPPORTED_MINORS.contains(&minor) {
        f.error(
            at,
            text(version),
            format!(
                "Istio {version} is not supported: the rendered values are checked against the istiod and base charts of Istio {}; use one of those releases",
                SUPPORTED_MINORS.iter().map(|m| format!("1.{m}")).collect::<Vec<_>>().join(" and ")
            ),
        );
    }
}

fn revision(model: &Model, cp: &ControlPlaneModel, f: &mut Findings) {
    // istiod's Service and Helm release are named `istiod-<revision>`: a DNS label, and Helm release
    // names are at most 53 characters.
    if cp.revision.len() > 46 {
        f.error(
            "spec.revision",
            text(&cp.revision),
            "a revision names istiod's Helm release and Service (istiod-<revision>), which allow 53 characters: use at most 46",
        );
    }
    if cp.spec.default_tag && cp.revision.is_empty() {
        f.error(
            format!("{PATH}.defaultTag"),
            Some(json!(true)),
            "the default revision already serves istio-injection: enabled; defaultTag makes a named revision (spec.revision) the default",
        );
    }
    // The data plane's labels name spec.revision; by construction the rendered control plane serves
    // it, except when the profile installs no injection webhook at all.
    if cp.traits.injector && !cp.serves(&model.spec.revision) {
        f.error(
            "spec.revision",
            text(&model.spec.revision),
            format!(
                "the rendered control plane serves the injection labels {:?}, not {:?} (a bug in mesh-ingress, please report it with the config)",
                cp.served,
                cp.wanted()
            ),
        );
    }
}

fn istiod(cp: &ControlPlaneModel, f: &mut Findings) {
    let istiod = &cp.spec.istiod;
    let at = format!("{PATH}.istiod");
    if istiod.replicas.is_some() && istiod.autoscaling.is_some() {
        f.error(
            format!("{at}.autoscaling"),
            None,
            "set either replicas (a fixed count) or autoscaling, not both",
        );
    }
    if let Some(a) = &istiod.autoscaling
        && a.min_replicas > a.max_replicas
    {
        f.error(
            format!("{at}.autoscaling.minReplicas"),
            Some(json!(a.min_replicas)),
            format!("minReplicas {} is above maxReplicas {}", a.min_replicas, a.max_replicas),
        );
    }
    let minimum = istiod.replicas.or(istiod.autoscaling.as_ref().map(|a| a.min_replicas)).unwrap_or(2);
    if minimum < 2 && cp.traits.istiod {
        f.warning(
            format!("{at}.{}", if istiod.replicas.is_some() { "replicas" } else { "autoscaling.minReplicas" }),
            Some(json!(minimum)),
            "a single istiod replica: while it is down (a node drain, an upgrade) no pod can be injected, so new gateway and application pods fail to start; the chart renders istiod's PodDisruptionBudget only with two or more",
        );
    }
    if !cp.traits.istiod
        && (istiod.replicas.is_some()
            || istiod.autoscaling.is_some()
            || istiod.resources.is_some()
            || !istiod.node_selector.is_empty()
            || !istiod.tolerations.is_empty()
            || istiod.affinity.is_some())
    {
        f.error(
            at,
            None,
            format!(
                "profile {} runs no istiod in this cluster, so istiod settings have nothing to apply to; remove them",
                cp.spec.profile.as_str()
            ),
        );
    }
}

fn delivery(cp: &ControlPlaneModel, f: &mut Findings) {
    let spec = &cp.spec;
    let is = |d: Delivery| spec.delivery == d;
    if is(Delivery::Sail) {
        if spec.chart_source != ChartSource::default() {
            f.error(
                format!("{PATH}.chartSource"),
                text("oci"),
                "the Sail Operator ships the charts itself; chartSource applies to argocd and flux",
            );
        }
        if spec.chart_repository.is_some() {
            f.error(
                format!("{PATH}.chartRepository"),
                spec.chart_repository.as_deref().and_then(text),
                "the Sail Operator ships the charts itself; chartRepository applies to argocd and flux",
            );
        }
    }
    for (name, set, delivery) in [
        ("sail", spec.sail != SailDelivery::default(), Delivery::Sail),
        ("argocd", spec.argocd != ArgocdDelivery::default(), Delivery::Argocd),
        ("flux", spec.flux != FluxDelivery::default(), Delivery::Flux),
    ] {
        if set && !is(delivery) {
            f.warning(
                format!("{PATH}.{name}"),
                None,
                format!(
                    "settings of the {name} delivery have no effect with delivery: {}",
                    spec.delivery.as_str()
                ),
            );
        }
    }
    if let Some(repository) = &spec.chart_repository {
        let scheme = match spec.chart_source {
            ChartSource::Https => "https://",
            ChartSource::Oci => "oci://",
        };
        if !repository.starts_with(scheme) {
            f.error(
                format!("{PATH}.chartRepository"),
                text(repository),
                format!(
                    "chartSource {} needs a repository URL starting with {scheme}",
                    if spec.chart_source == ChartSource::Oci { "oci" } else { "https" }
                ),
            );
        }
    }
    let argocd = &spec.argocd;
    let at = format!("{PATH}.argocd");
    f.name(&format!("{at}.namespace"), "namespace", &argocd.namespace, names::dns1123_label);
    f.name(&format!("{at}.project"), "project", &argocd.project, names::object_name);
    if argocd.destination_server.is_some() && argocd.destination_name.is_some() {
        f.error(
            format!("{at}.destinationName"),
            argocd.destination_name.as_deref().and_then(text),
            "set destinationServer or destinationName, not both (Argo CD refuses an Application with both)",
        );
    }
    if let Some(server) = &argocd.destination_server
        && !server.starts_with("https://")
    {
        f.error(
            format!("{at}.destinationServer"),
            text(server),
            "destinationServer is a cluster's API server URL, such as https://kubernetes.default.svc",
        );
    }
    let flux = &spec.flux;
    let at = format!("{PATH}.flux");
    if let Some(namespace) = &flux.namespace {
        f.name(&format!("{at}.namespace"), "namespace", namespace, names::dns1123_label);
    }
    if !flux_interval(&flux.interval) {
        f.error(
            format!("{at}.interval"),
            text(&flux.interval),
            format!("interval {:?} is not a duration Flux reads, such as 10m, 1h or 1h30m", flux.interval),
        );
    }
}

/// Flux's duration pattern: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
fn flux_interval(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    if bytes.is_empty() {
        return false;
    }
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let fraction = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == fraction {
                return false;
            }
        }
        if text[i..].starts_with("ms") {
            i += 2;
        } else if i < bytes.len() && matches!(bytes[i], b's' | b'm' | b'h') {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// The kinds an extension provider has, by their config names.
fn kinds(provider: &ExtensionProvider) -> Vec<&'static str> {
    let mut out = Vec::new();
    if provider.envoy_ext_authz_http.is_some() {
        out.push("envoyExtAuthzHttp");
    }
    if provider.envoy_ext_authz_grpc.is_some() {
        out.push("envoyExtAuthzGrpc");
    }
    if provider.opentelemetry.is_some() {
        out.push("opentelemetry");
    }
    if provider.zipkin.is_some() {
        out.push("zipkin");
    }
    out
}

fn mesh_config(cp: &ControlPlaneModel, f: &mut Findings) {
    let mesh = &cp.spec.mesh_config;
    let at = format!("{PATH}.meshConfig");
    if cp.spec.profile == Profile::Remote && *mesh != MeshConfig::default() {
        f.error(
            at.clone(),
            None,
            "with profile remote the mesh config is the primary cluster's istiod's; set it in the primary cluster's config",
        );
    }
    for (i, provider) in mesh.extension_providers.iter().enumerate() {
        let p = format!("{at}.extensionProviders[{i}]");
        if provider.name.trim().is_empty() {
            f.error(format!("{p}.name"), None, "an extension provider needs a name");
        } else if mesh.extension_providers[..i].iter().any(|other| other.name == provider.name) {
            f.error(
                format!("{p}.name"),
                text(&provider.name),
                format!("extension provider {:?} is defined twice", provider.name),
            );
        }
        match kinds(provider).len() {
            1 => {}
            0 => {
                f.error(
                    p.clone(),
                    None,
                    "set one kind: envoyExtAuthzHttp, envoyExtAuthzGrpc, opentelemetry or zipkin",
                );
            }
            _ => {
                f.error(p.clone(), None, format!("set one kind, not {}", kinds(provider).join(" and ")));
            }
        }
        let services = [
            provider.envoy_ext_authz_http.as_ref().map(|k| ("envoyExtAuthzHttp", &k.service, &k.timeout)),
            provider.envoy_ext_authz_grpc.as_ref().map(|k| ("envoyExtAuthzGrpc", &k.service, &k.timeout)),
        ];
        for (kind, service, timeout) in services.into_iter().flatten() {
            service_name(&format!("{p}.{kind}.service"), service, f);
            if let Some(timeout) = timeout
                && let Err(reason) = names::duration(timeout)
            {
                f.error(
                    format!("{p}.{kind}.timeout"),
                    text(timeout),
                    format!("timeout {timeout:?} is not valid: {reason}"),
                );
            }
        }
        for (kind, collector) in [("opentelemetry", &provider.opentelemetry), ("zipkin", &provider.zipkin)] {
            if let Some(collector) = collector {
                service_name(&format!("{p}.{kind}.service"), &collector.service, f);
            }
        }
    }
    let tls = &mesh.tls_defaults;
    if !matches!(tls.min_protocol_version, TlsVersion::Tlsv12 | TlsVersion::Tlsv13 | TlsVersion::TlsAuto) {
        f.error(
            format!("{at}.tlsDefaults.minProtocolVersion"),
            text(tls.min_protocol_version.as_str()),
            "the mesh accepts TLSV1_2 (default), TLSV1_3 or TLS_AUTO as its minimum; TLS 1.0 and 1.1 are insecure",
        );
    }
}

/// A provider's service: a host name, optionally behind `<namespace>/`.
fn service_name(at: &str, service: &str, f: &mut Findings) {
    let host = service.rsplit_once('/').map_or(service, |(_, h)| h);
    if let Err(reason) = names::host(host, false) {
        f.error(at, text(service), format!("service {service:?} is not valid: {reason}"));
    }
}

/// The providers that tracing and CUSTOM access rules name exist in the mesh config, with a kind
/// that fits.
fn providers_named(model: &Model, cp: &ControlPlaneModel, f: &mut Findings) {
    if !cp.traits.istiod {
        // The mesh config is another cluster's (remote), or there is none (empty).
        return;
    }
    let providers = &cp.spec.mesh_config.extension_providers;
    let mut known: Vec<&str> = Vec::new();
    for provider in providers {
        if !known.contains(&provider.name.as_str()) {
            known.push(&provider.name);
        }
    }
    // What istiod does when a policy names a provider it does not know.
    let named = |at: &str,
                 name: &str,
                 wanted: &[&str],
                 (what, consequence): (&str, &str),
                 f: &mut Findings| {
        if name.trim().is_empty() {
            return;
        }
        match providers.iter().find(|p| p.name == name) {
            Some(provider) => {
                let have = kinds(provider);
                if !have.iter().any(|k| wanted.contains(k)) {
                    f.error(
                        at,
                        text(name),
                        format!(
                            "extension provider {name:?} is {}, but {what} needs {}",
                            have.join(" and "),
                            wanted.join(" or ")
                        ),
                    );
                }
            }
            None => {
                let mut message = format!(
                    "{what} names extension provider {name:?}, which {PATH}.meshConfig.extensionProviders does not define ({}); {consequence}",
                    if known.is_empty() {
                        "it defines none".to_string()
                    } else {
                        format!("it defines {}", known.join(", "))
                    }
                );
                if let Some(s) = suggest(name, &known) {
                    message.push_str(&format!("; did you mean {s:?}?"));
                }
                f.error(at, text(name), message);
            }
        }
    };
    if let Some(telemetry) = &model.spec.telemetry {
        named(
            "spec.telemetry.provider",
            &telemetry.provider,
            &["opentelemetry", "zipkin"],
            ("tracing", "no trace would be sent"),
            f,
        );
    }
    let rules = model
        .spec
        .gateways
        .iter()
        .enumerate()
        .flat_map(|(i, g)| {
            g.access.iter().enumerate().map(move |(j, r)| (format!("spec.gateways[{i}].access[{j}]"), r))
        })
        .chain(model.spec.routes.iter().enumerate().flat_map(|(i, route)| {
            route.access.iter().enumerate().map(move |(j, r)| (format!("spec.routes[{i}].access[{j}]"), r))
        }));
    for (at, rule) in rules {
        if rule.action == AccessAction::Custom
            && let Some(provider) = &rule.provider
        {
            named(
                &format!("{at}.provider"),
                provider,
                &["envoyExtAuthzHttp", "envoyExtAuthzGrpc"],
                (
                    "a CUSTOM access rule",
                    "while a policy names a provider istiod does not know, Istio denies every request on that gateway",
                ),
                f,
            );
        }
    }
}

fn profile(model: &Model, cp: &ControlPlaneModel, f: &mut Findings) {
    let profile = cp.spec.profile;
    let at = format!("{PATH}.profile");
    let name = profile.as_str();
    if !cp.traits.injector {
        // Gateway pods carry `image: auto` and the `gateway` injection template; without a webhook
        // nothing replaces the image (IST0147), and application namespaces get no sidecars.
        for workload in model.workloads.iter().filter(|w| !w.external).chain(model.east_west.iter()) {
            f.error(
                format!("{}.workload", workload.path),
                text(&workload.name),
                format!(
                    "gateway {:?} is injected with the `gateway` template, which no injection webhook serves with profile {name}: its pods would keep `image: auto`; choose a profile that installs istiod, or an external workload",
                    workload.name
                ),
            )
            .set_code("IST0147");
        }
        for ns in model.namespaces.iter().filter(|n| n.injection) {
            f.error(
                format!("{}.injection", ns.path),
                Some(json!(true)),
                format!(
                    "namespace {:?} asks for sidecars, which no injection webhook serves with profile {name}; set injection: false or choose a profile that installs istiod",
                    ns.name
                ),
            );
        }
    }
    let east_west = model.spec.multicluster.as_ref().map(|m| &m.east_west_gateway);
    match profile {
        Profile::Remote => {
            if cp.spec.remote_pilot_address.as_deref().is_none_or(|a| a.trim().is_empty()) {
                f.error(
                    format!("{PATH}.remotePilotAddress"),
                    None,
                    "profile remote needs the address of the primary cluster's istiod (usually its east-west gateway's load balancer)",
                );
            }
            if model.spec.multicluster.is_none() {
                f.error(
                    at.clone(),
                    text(name),
                    "profile remote joins this cluster to a primary cluster's mesh: set spec.multicluster (meshID, clusterName, network)",
                );
            }
            if east_west.is_some_and(|e| e.expose_istiod) {
                f.error(
                    "spec.multicluster.eastWestGateway.exposeIstiod",
                    Some(json!(true)),
                    "profile remote runs no istiod in this cluster, so there is none to expose; expose istiod from the primary cluster",
                );
            }
        }
        Profile::Ambient => {
            f.warning(
                at.clone(),
                text(name),
                "profile ambient needs istio-cni and ztunnel, which are not rendered here: install them beside this control plane (Sail: IstioCNI and ZTunnel; Helm: the cni and ztunnel charts)",
            );
            if east_west.is_some_and(|e| e.enabled) {
                f.warning(
                    "spec.multicluster.eastWestGateway.enabled",
                    Some(json!(true)),
                    "the east-west gateway rendered here (15443, AUTO_PASSTHROUGH) carries sidecar traffic; ambient workloads cross networks through a Gateway API gateway of class istio-east-west (HBONE), which is not rendered",
                );
            }
        }
        Profile::Demo => {
            f.warning(
                at.clone(),
                text(name),
                "profile demo logs every request, traces all of them and requests small resources: for trying Istio out, not for production",
            );
        }
        _ => {}
    }
    if profile != Profile::Remote
        && let Some(address) = &cp.spec.remote_pilot_address
    {
        f.error(
            format!("{PATH}.remotePilotAddress"),
            text(address),
            format!("remotePilotAddress applies to profile remote only, and the profile is {name}"),
        );
    }
}

fn gateway_api(model: &Model, cp: &ControlPlaneModel, f: &mut Findings) {
    if cp.spec.gateway_api.is_some() && !cp.traits.istiod {
        f.error(
            format!("{PATH}.gatewayAPI"),
            cp.spec.gateway_api.map(|v| json!(v)),
            format!(
                "profile {} runs no istiod in this cluster, so there is no Gateway API switch to set here; set it on the primary cluster's istiod",
                cp.spec.profile.as_str()
            ),
        );
        return;
    }
    if cp.spec.gateway_api == Some(false) && uses_gateway_api(model) {
        let user = model.gateways.iter().find(|g| g.http01).map(|g| g.path.clone()).unwrap_or_default();
        f.error(
            format!("{PATH}.gatewayAPI"),
            Some(json!(false)),
            format!(
                "this config renders Gateway API objects ({user} serves its HTTP-01 port 80 through a Gateway API Gateway), which istiod ignores with the Gateway API off; remove gatewayAPI: false"
            ),
        );
    }
}

/// istiod finds another network's gateway by the `topology.istio.io/network` label of a LoadBalancer
/// Service and its load balancer address; the control plane rendered here declares no meshNetworks
/// for other Service types.
fn east_west(model: &Model, f: &mut Findings) {
    let Some(workload) = &model.east_west else { return };
    // The east-west gateway's own default is LoadBalancer, whatever its scope (model::east_west).
    let service_type = workload.service_type;
    if service_type != ServiceType::LoadBalancer {
        f.error(
            "spec.multicluster.eastWestGateway.service.type",
            text(service_type.as_str()),
            "istiod learns a network gateway's address from its LoadBalancer Service, and the control plane rendered here declares no meshNetworks for another Service type; use a LoadBalancer Service",
        );
    }
}

/// One other config of the package, for [`mesh_peers`].
pub struct Peer<'a> {
    /// Its instance name.
    pub instance: &'a str,
    /// Its spec.
    pub spec: &'a MeshIngressSpec,
}

/// Check a config against the other configs beside it (the package, or the paths given to
/// `mesh-ingress check`). Configs with `spec.multicluster` belong to one mesh, so they share the mesh
/// ID, the root CA issuer (the ClusterIssuer that signs each cluster's intermediate CA) and the trust
/// domain; those with the same cluster name are one cluster, on one network, and only one of them
/// renders the control plane of a revision: two that do are two clusters, so their cluster names
/// must differ. Configs of different meshes belong in different packages.
pub fn mesh_peers(spec: &MeshIngressSpec, peers: &[Peer<'_>]) -> Vec<KrmResult> {
    let mut f = Findings::default();
    let Some(mine) = &spec.multicluster else { return f.results };
    let at = "spec.multicluster";
    for peer in peers {
        let Some(theirs) = &peer.spec.multicluster else { continue };
        let who =
            format!("MeshIngress {:?} beside this config (cluster {:?})", peer.instance, theirs.cluster_name);
        // One mesh, whether the other config is another cluster or another instance in this one.
        if theirs.mesh_id != mine.mesh_id {
            f.results.push(
                KrmResult::error(format!(
                    "{who} has meshID {:?}: clusters of one mesh share the mesh ID (keep configs of different meshes apart)",
                    theirs.mesh_id
                ))
                .at(format!("{at}.meshID"), text(&mine.mesh_id))
                .proposing(json!(theirs.mesh_id)),
            );
        }
        if theirs.plugin_ca.issuer != mine.plugin_ca.issuer {
            f.error(
                format!("{at}.pluginCA.issuer"),
                text(&mine.plugin_ca.issuer),
                format!(
                    "{who} has its intermediate CA signed by {:?}: clusters of one mesh chain to one root, so they name the same root CA issuer",
                    theirs.plugin_ca.issuer
                ),
            );
        }
        if peer.spec.mtls.trust_domain != spec.mtls.trust_domain {
            f.error(
                "spec.mtls.trustDomain",
                text(&spec.mtls.trust_domain),
                format!(
                    "{who} has trust domain {:?}: workloads of one mesh authenticate each other within one trust domain",
                    peer.spec.mtls.trust_domain
                ),
            );
        }
        if theirs.cluster_name != mine.cluster_name {
            if let (Some(a), Some(b)) = (&spec.control_plane, &peer.spec.control_plane)
                && a.version != b.version
            {
                f.warning(
                    "spec.controlPlane.version",
                    text(&a.version),
                    format!("{who} runs Istio {}: fine during an upgrade, but keep the clusters of a mesh on one release", b.version),
                );
            }
            continue;
        }
        if theirs.network != mine.network {
            f.error(
                format!("{at}.network"),
                text(&mine.network),
                format!(
                    "{who} is the same cluster on network {:?}; a cluster is on one network",
                    theirs.network
                ),
            );
        }
        if spec.control_plane.is_some()
            && peer.spec.control_plane.is_some()
            && peer.spec.revision == spec.revision
        {
            f.error(
                format!("{at}.clusterName"),
                text(&mine.cluster_name),
                format!(
                    "{who} also renders the control plane of revision {:?} for cluster {:?}; clusters of one mesh differ in clusterName (a copy of another cluster's config that kept its clusterName?)",
                    if spec.revision.is_empty() { "default" } else { &spec.revision },
                    mine.cluster_name
                ),
            );
        }
    }
    f.results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flux_intervals() {
        for good in ["10m", "1h", "1h30m", "500ms", "1.5h"] {
            assert!(flux_interval(good), "{good}");
        }
        for bad in ["", "10", "m", "1d", "1h 30m", "1.h"] {
            assert!(!flux_interval(bad), "{bad}");
        }
    }

    fn spec(yaml: serde_json::Value) -> MeshIngressSpec {
        serde_json::from_value(yaml).unwrap()
    }

    #[test]
    fn clusters_of_one_mesh_share_mesh_id_and_root_and_differ_in_cluster_name() {
        let cluster = |name: &str, mesh: &str, issuer: &str| {
            spec(
                json!({"multicluster": {"meshID": mesh, "clusterName": name, "network": name, "pluginCA": {"issuer": issuer}},
                        "controlPlane": {"delivery": "argocd"}}),
            )
        };
        let one = cluster("cluster1", "mesh1", "root");
        let good = cluster("cluster2", "mesh1", "root");
        assert!(mesh_peers(&one, &[Peer { instance: "c2", spec: &good }]).is_empty());
        let bad = cluster("cluster2", "mesh2", "other-root");
        let paths: Vec<String> = mesh_peers(&one, &[Peer { instance: "c2", spec: &bad }])
            .iter()
            .map(|r| r.field.as_ref().unwrap().path.clone())
            .collect();
        assert_eq!(paths, ["spec.multicluster.meshID", "spec.multicluster.pluginCA.issuer"]);
        let copy = cluster("cluster1", "mesh1", "root");
        let results = mesh_peers(&one, &[Peer { instance: "c2", spec: &copy }]);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].field.as_ref().unwrap().path, "spec.multicluster.clusterName");
    }
}
