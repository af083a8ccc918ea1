//! Properties of the config expansion, for random valid `MeshIngress` configs.
//!
//! The generator builds configs that are valid by construction (no filtering): it draws a *plan*
//! (topology, knobs, which certificate and issuer each server uses, ...) and [`build`] derives every
//! name, host and cross-reference from it so that the rules of `../shared/API.md` and
//! `docs/reference.md` hold: every TLS server has a certificate that covers its hosts, HTTP-01 goes
//! through a gateway that serves the certificate's names on 443 and port 80 with the redirect, wildcard
//! names are solved over DNS-01, routes and the demo app name hosts their gateways serve, gateways that
//! share a workload agree on it and serve disjoint hosts, and so on. Where a plan asks for a
//! combination the API forbids (an NLB on a NodePort Service, an ALB with HTTPS servers, ...), the
//! builder picks the nearest valid one, so every plan yields a config and shrinking keeps working.
//! Warnings are allowed (an external issuer, TLS 1.1, an internal gateway used for HTTP-01, ...):
//! they are valid configs. What the generator covers and leaves out is listed at [`Plan`].
//!
//! Properties, each run through the real `krm` entry point in-process:
//!
//! - A `a_generated_objects_conform`: with or without input items (those of C), exit code 0 and no
//!   error result; every generated object validates against the upstream schemas (CRDs of Istio
//!   1.30.3 and master, cert-manager, Gateway API; k8s-openapi round trip for core kinds; scope), as
//!   `tests/conformance.rs` applies them, and the output satisfies the cross-object rules of
//!   `tests/support/stack_checks.rs`, as `tests/consistency.rs` applies them.
//! - B `b_output_is_a_fixed_point`: the output fed back with the same functionConfig gives
//!   byte-identical stdout, both as text (the output itself, which echoes the functionConfig, as
//!   `mesh-ingress < in | mesh-ingress` sends it) and as re-serialized items.
//! - C `c_item_order_does_not_matter`: the input items (unrelated passthrough items, the config
//!   itself as kpt passes it, an existing gateway Namespace the config defers to, and sometimes the
//!   function's previous output) are shuffled. "Same output" means, precisely:
//!   1. the same exit code and byte-identical `results`;
//!   2. every output item has byte-identical text in both runs (items are matched by group, kind,
//!      namespace and name; texts are cut from stdout, so verbatim passthrough text counts too);
//!   3. items that come from the input (passthrough items, the deferred Namespace, regenerated
//!      owned objects, which are replaced in place) keep the *shuffled input's* order, and objects
//!      new to the input are appended in the same order in both runs.
//!
//!   Equivalently: the output of the shuffled input is the output of the unshuffled input with its
//!   input-derived items permuted like the input, and nothing else changed.
//!
//! Case counts are small so the file runs in seconds in a debug build; `PROPTEST_CASES` and
//! `PROPTEST_RNG_SEED` give deeper local runs (see `tests/support/proptest_config.rs`). A failing
//! case prints the config as YAML.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/crd_schema.rs"]
mod crd_schema;
#[path = "support/golden_cases.rs"]
mod golden_cases;
#[path = "support/proptest_config.rs"]
mod proptest_config;
#[path = "support/stack_checks.rs"]
mod stack_checks;
#[path = "support/upstream_apis.rs"]
mod upstream_apis;

use golden_cases::{Run, diff, run_krm, run_krm_text};
use mesh_ingress::api::v1alpha1::Provider;
use mesh_ingress::krm::io::{Limits, to_yaml};
use mesh_ingress::krm::verbatim::item_segments;
use mesh_ingress::model::{certificate_covers, istio_host_matches};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config as ProptestConfig;
use proptest_config::proptest_config;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use upstream_apis::{UpstreamApis, generated_items, identity};

// ---------------------------------------------------------------------------------------------
// The plan: every random choice, before names and references are derived
// ---------------------------------------------------------------------------------------------

/// The last instance and gateway names are as long as every name derived from them allows (a
/// `<instance>-tls-secret` Secret, an `istio-ingressgateway-<gateway>` workload: 63 characters).
const INSTANCES: &[&str] =
    &["shop", "edge", "corp", "apps-1", "an-instance-name-long-enough-to-reach-the-limits-052"];
const GATEWAY_NAMES: &[&str] =
    &["external", "internal", "public", "partners", "edge-gateway-whose-name-is-at-the-limit-42"];
const APP_NAMESPACES: &[&str] = &["store", "web", "legacy", "payments"];
const ZONES: &[&str] = &["example.com", "shop.example.org", "corp.example.net"];
/// Hosts of gateways that do not serve `spec.domains` live under this zone, which no domain
/// overlaps, so gateways sharing a workload never conflict (IST0145).
const OWN_ZONE: &str = "internal.example";
const ROUTE_NAMES: &[&str] = &["shop", "api", "catalog"];

/// The presets that put AWS Load Balancer Controller annotations (and a name) on a Service.
fn is_aws(provider: Provider) -> bool {
    matches!(provider, Provider::AwsNlb | Provider::AwsAlb)
}

/// Which hosts a gateway serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hosts {
    /// `spec.domains` (written or defaulted).
    Domains,
    /// One name the first domain covers (`shop.<zone>` for `*.<zone>`), served with the domains'
    /// certificate.
    Subdomain,
    /// `<gateway>.internal.example`.
    Own,
    /// `*.<gateway>.internal.example`.
    OwnWildcard,
}

/// How a TLS-terminating server names its certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertRef {
    /// `tls.certificate: <name>`.
    Named,
    /// Nothing, when the certificate is the first one (the documented default); else `Named`.
    First,
    /// `tls.credentialName` of a Secret managed outside the config.
    Credential,
}

#[derive(Clone, Debug)]
struct TlsPlan {
    /// `None`: mode omitted (SIMPLE).
    mode: Option<&'static str>,
    cert: CertRef,
    min: Option<&'static str>,
    max: Option<&'static str>,
    ciphers: bool,
    /// Omit the whole `tls` block when nothing else needs writing.
    omit_block: bool,
}

/// Explicit servers. Every port has one protocol in every gateway (80, 8080 HTTP; 443, 8443 HTTPS;
/// 9443 TLS passthrough; 9444 TLS terminated), so gateways sharing a workload agree on ports.
#[derive(Clone, Debug)]
struct ServerSet {
    https443: bool,
    /// `None`: no port 80; `Some(None)`: HTTP 80 with `httpsRedirect` omitted (the default).
    http80: Option<Option<bool>>,
    https8443: bool,
    passthrough9443: bool,
    tls9444: bool,
    http8080: bool,
    /// One more plain HTTP server on an unusual port.
    extra_http: Option<u32>,
    /// Custom port names instead of the `<protocol>-<port>` default.
    named: bool,
    /// Omit `hosts` when they are `spec.domains`.
    omit_hosts: bool,
}

#[derive(Clone, Debug)]
enum ReplicasPlan {
    Default,
    Fixed(u32),
    Auto { min: u32, extra: u32, cpu: Option<u32>, memory: Option<u32> },
}

#[derive(Clone, Debug)]
enum Budget {
    Default,
    Disabled,
    MinAvailable(Value),
    MaxUnavailable(Value),
}

#[derive(Clone, Debug)]
struct WorkloadPlan {
    name: bool,
    labels: bool,
    replicas: ReplicasPlan,
    budget: Budget,
    resources: bool,
    node_selector: bool,
    tolerations: bool,
    affinity: bool,
    spread: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct ServicePlan {
    type_: Option<&'static str>,
    traffic_policy: Option<&'static str>,
    source_ranges: bool,
    annotations: bool,
}

#[derive(Clone, Debug)]
struct AlbPlan {
    arns: usize,
    ssl_redirect: Option<bool>,
    security_groups: bool,
    ssl_policy: bool,
    tags: bool,
    group: bool,
}

#[derive(Clone, Debug)]
struct LbPlan {
    provider: Provider,
    name: bool,
    target_type: Option<&'static str>,
    cross_zone: Option<bool>,
    alb: Option<AlbPlan>,
}

#[derive(Clone, Debug)]
struct GatewayPlan {
    scope: Option<&'static str>,
    workload: WorkloadPlan,
    service: ServicePlan,
    lb: LbPlan,
    /// external-dns: `Some((alpha prefix, ttl))`.
    dns: Option<(bool, Option<u32>)>,
    hosts: Hosts,
    /// `None`: the default servers.
    servers: Option<ServerSet>,
    tls: TlsPlan,
    /// Share the first gateway's workload (not for the first gateway, nor behind an ALB).
    share_first: bool,
}

/// The solvers of the ACME issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Solvers {
    /// HTTP-01 through a gateway.
    Http01,
    /// DNS-01 (Route 53).
    Dns01,
    /// DNS-01 for the domains' zone (a `dnsZones` selector), HTTP-01 for everything else.
    ZoneDns01ThenHttp01,
    /// HTTP-01 for the non-wildcard names (a `dnsNames` selector), DNS-01 for everything else.
    NamesHttp01ThenDns01,
}

#[derive(Clone, Debug)]
struct AcmePlan {
    solvers: Solvers,
    /// Which eligible gateway HTTP-01 goes through.
    gateway: Index,
    server: &'static str,
    account_key: bool,
    hosted_zone: bool,
    role: bool,
}

#[derive(Clone, Debug)]
struct IssuersPlan {
    acme: Option<AcmePlan>,
    ca: bool,
    self_signed: bool,
    /// Rotates the issuer list, so each kind is sometimes the first (the default issuer).
    rotate: Index,
}

#[derive(Clone, Debug)]
struct CertPlan {
    /// Which issuer (spec.issuers or an existing one); the next compatible one is used.
    issuer: Index,
    /// Omit `issuer` when it is the first of spec.issuers (the default).
    omit_issuer: bool,
    /// Write `dnsNames` even when they are spec.domains.
    explicit_dns_names: bool,
    secret_name: bool,
    common_name: bool,
    /// An existing issuer is a namespaced `Issuer`.
    namespaced_external: bool,
}

#[derive(Clone, Debug)]
struct NamespacePlan {
    injection: bool,
    mtls: Option<&'static str>,
    default_deny: bool,
}

#[derive(Clone, Debug)]
struct RulePlan {
    /// 0 catch-all, 1 exact, 2 prefix, 3 regex.
    matcher: u8,
    /// 0 short name, 1 FQDN in the route's namespace, 2 `<name>.<namespace>`.
    destination: u8,
    port: Option<u32>,
    timeout: Option<&'static str>,
    retries: Option<(u32, bool, bool)>,
}

#[derive(Clone, Debug)]
struct RoutePlan {
    name: Index,
    namespace: Index,
    /// Gateways bound (empty: the default, the first gateway).
    gateways: Vec<Index>,
    mesh: bool,
    /// 0: hosts omitted (spec.domains), 1 or 2 hosts.
    hosts: u8,
    wildcard_host: bool,
    rules: Vec<RulePlan>,
}

#[derive(Clone, Debug)]
struct DemoPlan {
    gateway: Option<Index>,
    explicit_host: bool,
    explicit_namespace: bool,
    name: bool,
    port: Option<u32>,
    replicas: Option<u32>,
    image: bool,
}

#[derive(Clone, Debug)]
struct EastWestPlan {
    expose_istiod: bool,
    scope: Option<&'static str>,
    workload: WorkloadPlan,
    service_type: Option<&'static str>,
    provider: Provider,
}

#[derive(Clone, Debug)]
struct ControlPlanePlan {
    delivery: &'static str,
    version: &'static str,
    profile: Option<&'static str>,
    /// Only with a revision.
    default_tag: bool,
    /// Sail only.
    revision_based: bool,
    /// Argo CD and Flux only.
    oci: bool,
    istiod: WorkloadPlan,
    access_logging: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct MulticlusterPlan {
    east_west: Option<EastWestPlan>,
    /// 0 the CA issuer, 1 the self-signed issuer, 2 an existing issuer, 3 none.
    plugin_ca: u8,
    durations: u8,
}

/// Every random choice of one config.
///
/// Covered: 1-3 gateways (external and internal scope; Service types LoadBalancer, NodePort and
/// ClusterIP with traffic policy, source ranges and annotations; presets none, aws-nlb, gcp, azure
/// and aws-alb with certificate ARNs, redirect, security groups, policy, tags and group; external-dns;
/// default servers or explicit HTTPS, HTTP with and without redirect, extra HTTPS, TLS passthrough,
/// terminated TLS and plain HTTP on unusual ports (1, 65535, ...); hosts that are the domains, one
/// name under them, or the gateway's own; TLS modes SIMPLE, MUTUAL, OPTIONAL_MUTUAL, PASSTHROUGH, protocol versions and
/// cipher suites; certificates by name, by default or an existing credential; gateways sharing a
/// workload; every workload knob), domains with and without wildcards (or none, all hosts explicit),
/// certificates (default or explicit dnsNames, secret names, common names), issuers (ACME HTTP-01,
/// DNS-01 and both with selectors, production, staging or a URL; CA; self-signed; existing
/// ClusterIssuers and Issuers), mTLS modes, mesh-wide policy, root namespace and trust domain,
/// application namespaces (injection, mTLS, default deny), gateway namespace (default, custom, the
/// root namespace), revision, routes (gateways, `mesh`, hosts, matches, destinations, timeouts,
/// retries), the demo app, a multi-network mesh with an east-west gateway, istiod exposure and a
/// plugin CA, telemetry and Argo CD sync waves, and the control plane (every delivery, the profiles
/// that install istiod, revision tags, both chart sources, istiod placement, access logs, the
/// telemetry provider defined in the mesh config).
///
/// Left out on purpose: the ConfigMap form and `--set` (other entry points with their own tests);
/// invalid configs (the golden `error-*` cases cover the rules); a plan per server rather than per
/// gateway (all TLS servers of a gateway share one TLS plan, which keeps certificate coverage easy
/// to derive); one protocol per port number across all gateways (so gateways sharing a workload
/// agree), hence no HTTPS on 80 or HTTP on 443; one ACME issuer, so at most one HTTP-01 gateway; `*`
/// as a server host (a terminating server would need a certificate no issuer can give); solver
/// selectors other than the two shapes above; upper-case hosts (the function requires lowercase).
#[derive(Clone, Debug)]
struct Plan {
    instance: &'static str,
    /// 0 default (`istio-ingress`, omitted), 1 `gateways`, 2 the mesh root namespace.
    gateway_namespace: u8,
    root_namespace: Option<&'static str>,
    trust_domain: bool,
    revision: Option<&'static str>,
    zone: &'static str,
    /// Which domain list (see [`domains`]).
    domains: u8,
    gateway_names: Vec<&'static str>,
    gateways: Vec<GatewayPlan>,
    issuers: IssuersPlan,
    certificates: Vec<CertPlan>,
    spare_certificate: bool,
    mtls_mode: Option<&'static str>,
    mesh_wide: bool,
    namespace_names: Vec<&'static str>,
    namespaces: Vec<NamespacePlan>,
    routes: Vec<RoutePlan>,
    demo: Option<DemoPlan>,
    multicluster: Option<MulticlusterPlan>,
    telemetry: Option<(&'static str, Option<f64>)>,
    sync_waves: bool,
    control_plane: Option<ControlPlanePlan>,
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn opt<T: Clone + std::fmt::Debug + 'static>(values: &'static [T]) -> impl Strategy<Value = Option<T>> {
    prop::option::of(select(values))
}

fn provider(allow_alb: bool) -> impl Strategy<Value = Provider> {
    let all = [Provider::None, Provider::AwsNlb, Provider::Gcp, Provider::Azure, Provider::AwsAlb];
    let choices = if allow_alb { all.to_vec() } else { all[..4].to_vec() };
    select(choices)
}

fn workload_plan() -> impl Strategy<Value = WorkloadPlan> {
    let replicas = prop_oneof![
        2 => Just(ReplicasPlan::Default),
        1 => (0u32..=3).prop_map(ReplicasPlan::Fixed),
        1 => (1u32..=3, 0u32..=3, prop::option::of(50u32..=90), prop::option::of(60u32..=90))
            .prop_map(|(min, extra, cpu, memory)| ReplicasPlan::Auto { min, extra, cpu, memory }),
    ];
    let budget = prop_oneof![
        3 => Just(Budget::Default),
        1 => Just(Budget::Disabled),
        // Budgets that leave a pod evictable at the minimum replica count (2); the others are errors.
        1 => select(vec![json!(1), json!("50%")]).prop_map(Budget::MinAvailable),
        1 => select(vec![json!(1), json!(2), json!("25%")]).prop_map(Budget::MaxUnavailable),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        replicas,
        budget,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        opt(&["none", "zone", "hostname"]),
    )
        .prop_map(
            |(name, labels, replicas, budget, resources, node_selector, tolerations, affinity, spread)| {
                WorkloadPlan {
                    name,
                    labels,
                    replicas,
                    budget,
                    resources,
                    node_selector,
                    tolerations,
                    affinity,
                    spread,
                }
            },
        )
}

fn service_plan() -> impl Strategy<Value = ServicePlan> {
    (
        opt(&["LoadBalancer", "NodePort", "ClusterIP"]),
        opt(&["Cluster", "Local"]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(type_, traffic_policy, source_ranges, annotations)| ServicePlan {
            type_,
            traffic_policy,
            source_ranges,
            annotations,
        })
}

fn lb_plan() -> impl Strategy<Value = LbPlan> {
    let alb = (
        0usize..=2,
        prop::option::of(any::<bool>()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(arns, ssl_redirect, security_groups, ssl_policy, tags, group)| AlbPlan {
            arns,
            ssl_redirect,
            security_groups,
            ssl_policy,
            tags,
            group,
        });
    (
        provider(true),
        any::<bool>(),
        opt(&["ip", "instance"]),
        prop::option::of(any::<bool>()),
        prop::option::of(alb),
    )
        .prop_map(|(provider, name, target_type, cross_zone, alb)| LbPlan {
            provider,
            name,
            target_type,
            cross_zone,
            alb,
        })
}

fn server_set() -> impl Strategy<Value = ServerSet> {
    (
        prop::bool::weighted(0.8),
        prop::option::weighted(0.7, prop::option::of(any::<bool>())),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
        prop::option::weighted(0.15, select(vec![1u32, 81, 3000, 15443, 30080, 65535])),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                https443,
                http80,
                https8443,
                passthrough9443,
                tls9444,
                http8080,
                extra_http,
                named,
                omit_hosts,
            )| {
                ServerSet {
                    https443,
                    http80,
                    https8443,
                    passthrough9443,
                    tls9444,
                    http8080,
                    extra_http,
                    named,
                    omit_hosts,
                }
            },
        )
}

fn tls_plan() -> impl Strategy<Value = TlsPlan> {
    (
        prop_oneof![3 => Just(None), 1 => opt(&["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"])],
        select(vec![CertRef::Named, CertRef::First, CertRef::Credential]),
        opt(&["TLSV1_2", "TLSV1_3", "TLS_AUTO", "TLSV1_1"]),
        opt(&["TLSV1_3", "TLS_AUTO"]),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(|(mode, cert, min, max, ciphers, omit_block)| TlsPlan {
            mode,
            cert,
            min,
            max,
            ciphers,
            omit_block,
        })
}

fn gateway_plan() -> impl Strategy<Value = GatewayPlan> {
    (
        opt(&["external", "internal"]),
        workload_plan(),
        service_plan(),
        lb_plan(),
        prop::option::weighted(0.3, (any::<bool>(), prop::option::of(30u32..=300))),
        select(vec![Hosts::Domains, Hosts::Domains, Hosts::Subdomain, Hosts::Own, Hosts::OwnWildcard]),
        prop::option::weighted(0.6, server_set()),
        tls_plan(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(scope, workload, service, lb, dns, hosts, servers, tls, share_first)| GatewayPlan {
            scope,
            workload,
            service,
            lb,
            dns,
            hosts,
            servers,
            tls,
            share_first,
        })
}

fn issuers_plan() -> impl Strategy<Value = IssuersPlan> {
    let acme = (
        select(vec![
            Solvers::Http01,
            Solvers::Dns01,
            Solvers::ZoneDns01ThenHttp01,
            Solvers::NamesHttp01ThenDns01,
        ]),
        any::<Index>(),
        select(vec!["production", "staging", "https://acme.example.com/directory"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(solvers, gateway, server, account_key, hosted_zone, role)| AcmePlan {
            solvers,
            gateway,
            server,
            account_key,
            hosted_zone,
            role,
        });
    (prop::option::weighted(0.7, acme), prop::bool::weighted(0.4), prop::bool::weighted(0.3), any::<Index>())
        .prop_map(|(acme, ca, self_signed, rotate)| IssuersPlan { acme, ca, self_signed, rotate })
}

fn cert_plan() -> impl Strategy<Value = CertPlan> {
    (
        any::<Index>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(
            |(issuer, omit_issuer, explicit_dns_names, secret_name, common_name, namespaced_external)| {
                CertPlan {
                    issuer,
                    omit_issuer,
                    explicit_dns_names,
                    secret_name,
                    common_name,
                    namespaced_external,
                }
            },
        )
}

fn route_plan() -> impl Strategy<Value = RoutePlan> {
    let rule = (
        0u8..=3,
        0u8..=2,
        prop::option::of(select(vec![80u32, 8080])),
        opt(&["10s", "1m30s", "250ms"]),
        prop::option::weighted(0.3, (0u32..=5, any::<bool>(), any::<bool>())),
    )
        .prop_map(|(matcher, destination, port, timeout, retries)| RulePlan {
            matcher,
            destination,
            port,
            timeout,
            retries,
        });
    (
        any::<Index>(),
        any::<Index>(),
        prop::collection::vec(any::<Index>(), 0..=2),
        prop::bool::weighted(0.2),
        0u8..=2,
        any::<bool>(),
        prop::collection::vec(rule, 1..=3),
    )
        .prop_map(|(name, namespace, gateways, mesh, hosts, wildcard_host, rules)| RoutePlan {
            name,
            namespace,
            gateways,
            mesh,
            hosts,
            wildcard_host,
            rules,
        })
}

fn demo_plan() -> impl Strategy<Value = DemoPlan> {
    (
        prop::option::of(any::<Index>()),
        prop::bool::weighted(0.3),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(select(vec![8080u32, 80])),
        prop::option::of(0u32..=3),
        any::<bool>(),
    )
        .prop_map(|(gateway, explicit_host, explicit_namespace, name, port, replicas, image)| DemoPlan {
            gateway,
            explicit_host,
            explicit_namespace,
            name,
            port,
            replicas,
            image,
        })
}

fn multicluster_plan() -> impl Strategy<Value = MulticlusterPlan> {
    let east_west = (
        any::<bool>(),
        opt(&["external", "internal"]),
        workload_plan(),
        opt(&["LoadBalancer", "NodePort", "ClusterIP"]),
        provider(false),
    )
        .prop_map(|(expose_istiod, scope, workload, service_type, provider)| EastWestPlan {
            expose_istiod,
            scope,
            workload,
            service_type,
            provider,
        });
    (prop::option::weighted(0.7, east_west), 0u8..=3, 0u8..=2)
        .prop_map(|(east_west, plugin_ca, durations)| MulticlusterPlan { east_west, plugin_ca, durations })
}

fn control_plane_plan() -> impl Strategy<Value = ControlPlanePlan> {
    (
        select(vec!["sail", "argocd", "flux"]),
        select(vec!["1.29.6", "1.30.3"]),
        opt(&["default", "minimal", "demo", "preview", "ambient"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        workload_plan(),
        opt(&["TEXT", "JSON"]),
    )
        .prop_map(
            |(delivery, version, profile, default_tag, revision_based, oci, istiod, access_logging)| {
                ControlPlanePlan {
                    delivery,
                    version,
                    profile,
                    default_tag,
                    revision_based,
                    oci,
                    istiod,
                    access_logging,
                }
            },
        )
}

fn plan() -> impl Strategy<Value = Plan> {
    let names = (
        select(INSTANCES.to_vec()),
        0u8..=2,
        opt(&["mesh-root"]),
        prop::bool::weighted(0.2),
        opt(&["canary", "prod-1"]),
        select(ZONES.to_vec()),
        0u8..=4,
        Just(GATEWAY_NAMES.to_vec()).prop_shuffle(),
        Just(APP_NAMESPACES.to_vec()).prop_shuffle(),
    );
    let stack = (
        prop::collection::vec(gateway_plan(), 1..=3),
        issuers_plan(),
        prop::collection::vec(cert_plan(), 4),
        prop::bool::weighted(0.2),
    );
    let mesh = (
        opt(&["STRICT", "PERMISSIVE"]),
        prop::bool::weighted(0.3),
        prop::collection::vec(
            (any::<bool>(), opt(&["STRICT", "PERMISSIVE"]), prop::bool::weighted(0.3))
                .prop_map(|(injection, mtls, default_deny)| NamespacePlan { injection, mtls, default_deny }),
            0..=3,
        ),
        prop::collection::vec(route_plan(), 0..=3),
        prop::option::weighted(0.4, demo_plan()),
    );
    let topology = (
        prop::option::weighted(0.3, multicluster_plan()),
        prop::option::weighted(0.3, (select(vec!["otel", "zipkin"]), opt(&[0.0, 2.5, 100.0]))),
        any::<bool>(),
        prop::option::weighted(0.4, control_plane_plan()),
    );
    (names, stack, mesh, topology).prop_map(
        |(
            (
                instance,
                gateway_namespace,
                root_namespace,
                trust_domain,
                revision,
                zone,
                domains,
                gateway_names,
                namespace_names,
            ),
            (gateways, issuers, certificates, spare_certificate),
            (mtls_mode, mesh_wide, namespaces, routes, demo),
            (multicluster, telemetry, sync_waves, control_plane),
        )| Plan {
            instance,
            gateway_namespace,
            root_namespace,
            trust_domain,
            revision,
            zone,
            domains,
            gateway_names,
            gateways,
            issuers,
            certificates,
            spare_certificate,
            mtls_mode,
            mesh_wide,
            namespace_names,
            namespaces,
            routes,
            demo,
            multicluster,
            telemetry,
            sync_waves,
            control_plane,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Building a valid config from a plan
// ---------------------------------------------------------------------------------------------

/// A generated config. Its `Debug` is the config as YAML, so a failing case reads as a reproducer.
#[derive(Clone)]
struct Built {
    config: Value,
    /// `spec.namespace`, with its default applied.
    gateway_namespace: String,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "config:\n{}", to_yaml(&self.config).unwrap_or_else(|e| e.to_string()))
    }
}

fn domains(zone: &str, which: u8) -> Vec<String> {
    match which {
        0 => vec![zone.to_string()],
        1 => vec![format!("*.{zone}")],
        2 => vec![format!("*.{zone}"), zone.to_string()],
        3 => vec![format!("www.{zone}"), format!("api.{zone}")],
        _ => Vec::new(),
    }
}

/// The Service type used when `service.type` is not written (docs/reference.md).
fn default_service_type(provider: Provider, scope: Option<&str>, target_type: Option<&str>) -> &'static str {
    match provider {
        Provider::AwsAlb if target_type == Some("instance") => "NodePort",
        Provider::AwsAlb => "ClusterIP",
        Provider::None if scope == Some("internal") => "ClusterIP",
        _ => "LoadBalancer",
    }
}

/// An AWS load balancer name: at most 32 characters, no trailing '-'.
fn aws_name(name: &str) -> String {
    name.chars().take(32).collect::<String>().trim_end_matches('-').to_string()
}

fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}

fn workload_json(
    plan: &WorkloadPlan,
    name: Option<String>,
    labels: Option<(&str, String)>,
) -> Map<String, Value> {
    let mut w = Map::new();
    if let Some(name) = name {
        w.insert("name".into(), json!(name));
    }
    if let Some((key, value)) = labels {
        w.insert("labels".into(), json!({ key: value }));
    }
    match &plan.replicas {
        ReplicasPlan::Default => {}
        ReplicasPlan::Fixed(n) => {
            w.insert("replicas".into(), json!(n));
        }
        ReplicasPlan::Auto { min, extra, cpu, memory } => {
            let mut a = json!({"minReplicas": min, "maxReplicas": min + extra});
            if let Some(cpu) = cpu {
                a["targetCPUUtilizationPercentage"] = json!(cpu);
            }
            if let Some(memory) = memory {
                a["targetMemoryUtilizationPercentage"] = json!(memory);
            }
            w.insert("autoscaling".into(), a);
        }
    }
    match &plan.budget {
        Budget::Default => {}
        Budget::Disabled => {
            w.insert("podDisruptionBudget".into(), json!({"enabled": false}));
        }
        Budget::MinAvailable(v) => {
            w.insert("podDisruptionBudget".into(), json!({"minAvailable": v}));
        }
        Budget::MaxUnavailable(v) => {
            w.insert("podDisruptionBudget".into(), json!({"maxUnavailable": v}));
        }
    }
    if plan.resources {
        w.insert("resources".into(), json!({"requests": {"cpu": "250m"}, "limits": {"memory": "512Mi"}}));
    }
    if plan.node_selector {
        w.insert("nodeSelector".into(), json!({"kubernetes.io/os": "linux"}));
    }
    if plan.tolerations {
        w.insert(
            "tolerations".into(),
            json!([{"key": "dedicated", "operator": "Equal", "value": "ingress", "effect": "NoSchedule"}]),
        );
    }
    if plan.affinity {
        w.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "node.example.com/pool", "operator": "In", "values": ["ingress"]}]}
            ]}}}),
        );
    }
    if let Some(spread) = plan.spread {
        w.insert("topologySpread".into(), json!(spread));
    }
    w
}

/// Which certificate the TLS-terminating servers of a gateway use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertUse {
    /// The certificate for spec.domains (always the first certificate).
    Domains,
    /// `<gateway>-tls`, for the gateway's own hosts.
    Own,
    /// An existing Secret.
    Credential,
}

/// One explicit server, before its TLS block is written.
struct ServerSpec {
    port: u32,
    protocol: &'static str,
    name: String,
    hosts: Vec<String>,
    /// `Some(redirect)` for HTTP servers (`None`: omitted).
    redirect: Option<Option<bool>>,
    passthrough: bool,
}

/// A gateway while the config is built.
struct Gw {
    name: String,
    alb: bool,
    /// The hosts of its HTTP, HTTPS and terminated TLS servers.
    hosts: Vec<String>,
    /// Hosts its Istio Gateway serves to routes: every server except a port-80 redirect (which the
    /// function moves to the Gateway API for HTTP-01).
    served: Vec<String>,
    /// Usable for HTTP-01: port 80 redirects and the gateway is not behind an ALB.
    http01_ok: bool,
    cert: Option<CertUse>,
    /// `None`: the default servers.
    servers: Option<Vec<ServerSpec>>,
    /// Write custom port names.
    named: bool,
    /// Omit `hosts` of servers that serve spec.domains.
    omit_hosts: bool,
    tls: TlsPlan,
    fields: Map<String, Value>,
}

fn explicit_servers(set: &ServerSet, hosts: &[String], gateway: &str, alb: bool) -> Vec<ServerSpec> {
    let server = |port, protocol, name: &str, redirect, passthrough| ServerSpec {
        port,
        protocol,
        name: name.to_string(),
        hosts: if passthrough { vec![format!("db.{gateway}.{OWN_ZONE}")] } else { hosts.to_vec() },
        redirect,
        passthrough,
    };
    if alb {
        // The ALB terminates TLS: HTTP only, never a redirect at the gateway (it would loop).
        let mut out = vec![server(80, "HTTP", "http-web", Some(set.http80.flatten().filter(|r| !r)), false)];
        if set.http8080 {
            out.push(server(8080, "HTTP", "http-plain", Some(Some(false)), false));
        }
        if let Some(port) = set.extra_http {
            out.push(server(port, "HTTP", &format!("http-extra-{port}"), Some(Some(false)), false));
        }
        return out;
    }
    let mut out = Vec::new();
    let nothing = !(set.https443
        || set.https8443
        || set.passthrough9443
        || set.tls9444
        || set.http8080
        || set.extra_http.is_some());
    if set.https443 || nothing {
        out.push(server(443, "HTTPS", "https-web", None, false));
    }
    if let Some(redirect) = set.http80 {
        out.push(server(80, "HTTP", "http-web", Some(redirect), false));
    }
    if set.https8443 {
        out.push(server(8443, "HTTPS", "https-alt", None, false));
    }
    if set.passthrough9443 {
        out.push(server(9443, "TLS", "tls-passthrough", None, true));
    }
    if set.tls9444 {
        out.push(server(9444, "TLS", "tls-web", None, false));
    }
    if set.http8080 {
        out.push(server(8080, "HTTP", "http-plain", Some(Some(false)), false));
    }
    if let Some(port) = set.extra_http {
        out.push(server(port, "HTTP", &format!("http-extra-{port}"), Some(Some(false)), false));
    }
    out
}

/// Resolve one gateway: hosts, servers and the JSON of everything but its servers.
fn resolve_gateway(plan: &Plan, k: usize, first: Option<&mut Gw>, d: &[String]) -> Gw {
    let gp = &plan.gateways[k];
    let name = plan.gateway_names[k].to_string();
    let shared = first.filter(|f| gp.share_first && !f.alb);
    let shares = shared.is_some();
    let mut fields = Map::new();
    fields.insert("name".into(), json!(name));
    let alb;
    match shared {
        Some(first) => {
            // Gateways that share a workload must write identical workload, service, load balancer,
            // external-dns and scope settings, including the workload name.
            let default_name = format!("istio-ingressgateway-{}", first.name);
            let workload = first.fields.entry("workload").or_insert_with(|| json!({}));
            if workload.get("name").is_none() {
                workload["name"] = json!(default_name);
            }
            for key in ["scope", "workload", "service", "loadBalancer", "externalDNS"] {
                if let Some(value) = first.fields.get(key) {
                    fields.insert(key.into(), value.clone());
                }
            }
            alb = false;
        }
        None => {
            let lb = &gp.lb;
            alb = lb.provider == Provider::AwsAlb;
            if let Some(scope) = gp.scope {
                fields.insert("scope".into(), json!(scope));
            }
            let workload = workload_json(
                &gp.workload,
                gp.workload.name.then(|| format!("istio-{name}-gw")),
                gp.workload.labels.then(|| ("gateway", name.clone())),
            );
            if !workload.is_empty() {
                fields.insert("workload".into(), Value::Object(workload));
            }
            let mut type_ = gp.service.type_;
            if lb.provider == Provider::AwsNlb && type_.is_some_and(|t| t != "LoadBalancer") {
                type_ = None; // the NLB needs a LoadBalancer Service
            }
            if alb && lb.target_type == Some("instance") && type_ == Some("ClusterIP") {
                type_ = None; // instance targets reach the gateway through NodePorts
            }
            let effective = type_.unwrap_or(default_service_type(lb.provider, gp.scope, lb.target_type));
            let mut service = Map::new();
            if let Some(t) = type_ {
                service.insert("type".into(), json!(t));
            }
            if let Some(policy) = gp.service.traffic_policy.filter(|_| effective != "ClusterIP") {
                service.insert("externalTrafficPolicy".into(), json!(policy));
            }
            if gp.service.source_ranges && effective == "LoadBalancer" {
                service.insert("loadBalancerSourceRanges".into(), json!(["10.0.0.0/8", "fd00::/8"]));
            }
            if gp.service.annotations {
                service.insert("annotations".into(), json!({"example.com/owner": "platform"}));
            }
            if !service.is_empty() {
                fields.insert("service".into(), Value::Object(service));
            }
            let mut balancer = Map::new();
            if lb.provider != Provider::None {
                balancer.insert("provider".into(), json!(lb.provider.as_str()));
            }
            if lb.name && is_aws(lb.provider) {
                balancer.insert("name".into(), json!(aws_name(&format!("{name}-{}", plan.instance))));
            }
            if let Some(target_type) = lb.target_type {
                balancer.insert("targetType".into(), json!(target_type));
            }
            if let Some(cross_zone) = lb.cross_zone {
                balancer.insert("crossZone".into(), json!(cross_zone));
            }
            if let (true, Some(a)) = (alb, &lb.alb) {
                let arns: Vec<String> = (0..a.arns)
                    .map(|i| format!("arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef012345678{i}"))
                    .collect();
                let mut block = json!({"certificateArns": arns});
                // A redirect at the ALB needs its HTTPS listener, which needs a certificate.
                match (a.ssl_redirect, a.arns) {
                    (_, 0) => block["sslRedirect"] = json!(false),
                    (Some(redirect), _) => block["sslRedirect"] = json!(redirect),
                    (None, _) => {}
                }
                if a.security_groups {
                    block["securityGroups"] = json!(["sg-0123456789abcdef0"]);
                }
                if a.ssl_policy {
                    block["sslPolicy"] = json!("ELBSecurityPolicy-TLS13-1-2-2021-06");
                }
                if a.tags {
                    block["tags"] = json!({"team": "platform"});
                }
                if a.group {
                    block["groupName"] = json!("shared-alb");
                }
                balancer.insert("alb".into(), block);
            }
            if !balancer.is_empty() {
                fields.insert("loadBalancer".into(), Value::Object(balancer));
            }
            if let Some((alpha, ttl)) = gp.dns {
                let mut dns = json!({"enabled": true});
                if alpha {
                    dns["annotationPrefix"] = json!("external-dns.alpha.kubernetes.io/");
                }
                if let Some(ttl) = ttl {
                    dns["ttl"] = json!(ttl);
                }
                fields.insert("externalDNS".into(), dns);
            }
        }
    }
    // Gateways sharing a workload serve hosts of their own, so they never overlap (IST0145).
    let hosts = match gp.hosts {
        Hosts::Domains if !d.is_empty() && !shares => d.to_vec(),
        Hosts::Subdomain if !d.is_empty() && !shares => {
            vec![d[0].strip_prefix("*.").map_or(d[0].clone(), |rest| format!("shop.{rest}"))]
        }
        Hosts::OwnWildcard => vec![format!("*.{name}.{OWN_ZONE}")],
        _ => vec![format!("{name}.{OWN_ZONE}")],
    };
    let default_servers = gp.servers.is_none() && hosts == d && !shares;
    let servers = (!default_servers).then(|| {
        let set = gp.servers.clone().unwrap_or(ServerSet {
            https443: true,
            http80: Some(None),
            https8443: false,
            passthrough9443: false,
            tls9444: false,
            http8080: false,
            extra_http: None,
            named: false,
            omit_hosts: false,
        });
        explicit_servers(&set, &hosts, &name, alb)
    });
    let (terminates, redirect_80, serves) = match &servers {
        None => (!alb, !alb, true),
        Some(list) => {
            let has_443 = list.iter().any(|s| s.port == 443 && s.protocol == "HTTPS");
            let redirect = |s: &ServerSpec| s.redirect.is_some_and(|r| r.unwrap_or(has_443));
            (
                list.iter().any(|s| s.protocol != "HTTP" && !s.passthrough),
                list.iter().any(|s| s.port == 80 && redirect(s)),
                list.iter().any(|s| !(s.passthrough || (s.port == 80 && redirect(s)))),
            )
        }
    };
    let cert = terminates.then(|| match (gp.tls.cert, &servers) {
        (CertRef::Credential, Some(_)) => CertUse::Credential,
        _ if hosts.iter().all(|h| d.iter().any(|n| certificate_covers(n, h))) => CertUse::Domains,
        _ => CertUse::Own,
    });
    Gw {
        name,
        alb,
        served: if serves { hosts.clone() } else { Vec::new() },
        hosts,
        http01_ok: redirect_80 && serves && !alb,
        cert,
        servers,
        named: gp.servers.as_ref().is_some_and(|s| s.named),
        omit_hosts: gp.servers.as_ref().is_some_and(|s| s.omit_hosts),
        tls: gp.tls.clone(),
        fields,
    }
}

/// Whether gateway `g` serves `host` to routes (the function's own host matching).
fn serves(g: &Gw, host: &str) -> bool {
    g.served.iter().any(|pattern| istio_host_matches(pattern, host))
}

/// A certificate while the config is built.
struct Cert {
    name: String,
    dns_names: Vec<String>,
    /// The DNS names are spec.domains, so `dnsNames` may be omitted.
    domains: bool,
}

/// An issuer a certificate can name.
#[derive(Clone, Debug, PartialEq)]
enum IssuerChoice {
    Acme,
    Ca,
    SelfSigned,
    /// Not in spec.issuers: it must already exist (a warning).
    Existing,
}

fn issuer_name(choice: &IssuerChoice, namespaced: bool) -> &'static str {
    match choice {
        IssuerChoice::Acme => "letsencrypt",
        IssuerChoice::Ca => "corp-ca",
        IssuerChoice::SelfSigned => "bootstrap",
        IssuerChoice::Existing if namespaced => "internal-ca",
        IssuerChoice::Existing => "letsencrypt-prod",
    }
}

/// Whether the ACME issuer can issue `names`. With an HTTP-01 solver, its gateway must serve the
/// certificate's names (the `http01.gateway` contract: "serves HTTP on port 80 for the certificate's
/// names"), whichever solver cert-manager picks for each; wildcards need the DNS-01 solver.
fn acme_can_issue(solvers: Solvers, gateway: Option<&Gw>, zone: &str, names: &[String]) -> bool {
    let under_zone = |n: &str| {
        let bare = n.strip_prefix("*.").unwrap_or(n);
        bare == zone || bare.ends_with(&format!(".{zone}"))
    };
    let wildcards_solved = |n: &String| match solvers {
        Solvers::Dns01 | Solvers::NamesHttp01ThenDns01 => true,
        Solvers::Http01 => !n.starts_with("*."),
        Solvers::ZoneDns01ThenHttp01 => !n.starts_with("*.") || under_zone(n),
    };
    let served = |n: &String| solvers == Solvers::Dns01 || gateway.is_some_and(|g| serves(g, n));
    names.iter().all(|n| wildcards_solved(n) && served(n))
}

fn acme_json(
    a: &AcmePlan,
    solvers: Solvers,
    gateway: Option<&str>,
    zone: &str,
    http01_names: &[String],
) -> Value {
    let mut route53 = json!({"region": "us-east-1"});
    if a.hosted_zone {
        route53["hostedZoneID"] = json!("Z0123456789ABCDEFGHIJ");
    }
    if a.role {
        route53["role"] = json!("arn:aws:iam::123456789012:role/cert-manager");
    }
    let dns01 = json!({"dns01": {"route53": route53}});
    let http01 = json!({"http01": {"gateway": gateway.unwrap_or_default()}});
    let with_selector = |mut solver: Value, selector: Value| {
        solver["selector"] = selector;
        solver
    };
    let solvers = match solvers {
        Solvers::Http01 => vec![http01],
        Solvers::Dns01 => vec![dns01],
        Solvers::ZoneDns01ThenHttp01 => vec![with_selector(dns01, json!({"dnsZones": [zone]})), http01],
        Solvers::NamesHttp01ThenDns01 => {
            // An empty selector would select every name, wildcards included.
            let names =
                if http01_names.is_empty() { vec![format!("www.{zone}")] } else { http01_names.to_vec() };
            vec![with_selector(http01, json!({"dnsNames": names})), dns01]
        }
    };
    let mut acme = json!({"email": format!("ops@{zone}"), "solvers": solvers});
    if a.server != "production" {
        acme["server"] = json!(a.server);
    }
    if a.account_key {
        acme["privateKeySecretName"] = json!("letsencrypt-account");
    }
    json!({"name": issuer_name(&IssuerChoice::Acme, false), "acme": acme})
}

/// The `tls` block of a TLS-terminating server of `g`; `None` when it may be omitted.
fn server_tls(g: &Gw, first_certificate: Option<&str>, domains_certificate: &str) -> Option<Value> {
    let mut t = Map::new();
    if let Some(mode) = g.tls.mode {
        t.insert("mode".into(), json!(mode));
    }
    let certificate = match g.cert {
        Some(CertUse::Credential) => {
            t.insert("credentialName".into(), json!(format!("{}-credential", g.name)));
            None
        }
        Some(CertUse::Domains) => Some(domains_certificate.to_string()),
        _ => Some(format!("{}-tls", g.name)),
    };
    if let Some(name) = certificate
        && !(g.tls.cert == CertRef::First && first_certificate == Some(name.as_str()))
    {
        t.insert("certificate".into(), json!(name));
    }
    if let Some(min) = g.tls.min {
        t.insert("minProtocolVersion".into(), json!(min));
    }
    if let Some(max) = g.tls.max {
        t.insert("maxProtocolVersion".into(), json!(max));
    }
    if g.tls.ciphers {
        t.insert(
            "cipherSuites".into(),
            json!(["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]),
        );
    }
    if matches!(g.tls.mode, Some("MUTUAL" | "OPTIONAL_MUTUAL")) {
        t.insert("subjectAltNames".into(), json!(["spiffe://partners.example.com/client"]));
    }
    (!(t.is_empty() && g.tls.omit_block)).then_some(Value::Object(t))
}

fn servers_json(
    g: &Gw,
    d: &[String],
    first_certificate: Option<&str>,
    domains_certificate: &str,
) -> Option<Value> {
    let list = g.servers.as_ref()?;
    let servers = list
        .iter()
        .map(|s| {
            let mut server = json!({"port": s.port, "protocol": s.protocol});
            if g.named {
                server["name"] = json!(s.name);
            }
            if !(g.omit_hosts && s.hosts == d && !d.is_empty()) {
                server["hosts"] = strings(&s.hosts);
            }
            if let Some(Some(redirect)) = s.redirect {
                server["httpsRedirect"] = json!(redirect);
            }
            if s.passthrough {
                server["tls"] = json!({"mode": "PASSTHROUGH"});
            } else if s.protocol != "HTTP"
                && let Some(tls) = server_tls(g, first_certificate, domains_certificate)
            {
                server["tls"] = tls;
            }
            server
        })
        .collect();
    Some(Value::Array(servers))
}

/// The demo app's gateway, host and namespace, or `None` when no gateway serves any host.
fn demo_json(plan: &DemoPlan, gws: &[Gw], d: &[String], app: &[&str]) -> Option<(Value, String, String)> {
    let chosen = plan.gateway.map(|i| i.index(gws.len())).unwrap_or(0);
    let index =
        if gws[chosen].served.is_empty() { gws.iter().position(|g| !g.served.is_empty())? } else { chosen };
    let g = &gws[index];
    let mut demo = json!({"enabled": true});
    if index != 0 || plan.gateway.is_some() {
        demo["gateway"] = json!(g.name);
    }
    let default_host = d.first().map(|d0| format!("demo.{}", d0.strip_prefix("*.").unwrap_or(d0)));
    match default_host.filter(|h| serves(g, h) && !plan.explicit_host) {
        Some(_) => {}
        None => {
            let pattern = &g.served[0];
            let host = match pattern.strip_prefix("*.") {
                Some(rest) => format!("demo.{rest}"),
                None => pattern.clone(),
            };
            demo["host"] = json!(host);
        }
    }
    let namespace = match app.first() {
        Some(first) if !plan.explicit_namespace => first.to_string(),
        first => {
            let namespace = first.map_or("demo".to_string(), |f| f.to_string());
            demo["namespace"] = json!(namespace);
            namespace
        }
    };
    let name = if plan.name { "hello" } else { "demo-app" };
    if plan.name {
        demo["name"] = json!(name);
    }
    if let Some(port) = plan.port {
        demo["port"] = json!(port);
    }
    if let Some(replicas) = plan.replicas {
        demo["replicas"] = json!(replicas);
    }
    if plan.image {
        demo["image"] = json!(format!("registry.example.com/echo@sha256:{}", "0123456789abcdef".repeat(4)));
    }
    Some((demo, name.to_string(), namespace))
}

/// The route JSON of a plan. Routes after the first match under their own path (`/r<index>`), so two
/// routes never claim the same host and match on one gateway (a conflict the function refuses).
fn route_json(rp: &RoutePlan, index: usize, name: &str, namespace: &str, gws: &[Gw], d: &[String]) -> Value {
    // HTTP rules reach a gateway through its HTTP or HTTPS servers only (a terminated TLS server
    // takes tls and tcp rules).
    let http_ok = |g: &Gw| {
        !g.served.is_empty()
            && g.servers.as_ref().is_none_or(|s| s.iter().any(|s| matches!(s.protocol, "HTTP" | "HTTPS")))
    };
    let mut bound: Vec<usize> = Vec::new();
    for i in rp.gateways.iter().map(|i| i.index(gws.len())) {
        if !bound.contains(&i) && http_ok(&gws[i]) {
            bound.push(i);
        }
    }
    let defaulted = rp.gateways.is_empty() && http_ok(&gws[0]);
    if defaulted {
        bound.push(0);
    } else if bound.is_empty()
        && let Some(i) = gws.iter().position(http_ok)
    {
        bound.push(i);
    }
    let mut route = json!({"name": name, "namespace": namespace});
    let mut hosts: Vec<String> = Vec::new();
    let domains_served = !d.is_empty() && bound.iter().all(|&i| d.iter().all(|h| serves(&gws[i], h)));
    if !(rp.hosts == 0 && domains_served && !bound.is_empty()) {
        if let Some(&first) = bound.first() {
            for pattern in gws[first].served.iter().take(usize::from(rp.hosts.max(1))) {
                hosts.push(match pattern.strip_prefix("*.") {
                    Some(rest) if !rp.wildcard_host => format!("shop.{rest}"),
                    _ => pattern.clone(),
                });
            }
            // Every host must be served by every bound gateway (IST0132).
            bound.retain(|&i| hosts.iter().all(|h| serves(&gws[i], h)));
        }
        if rp.mesh || bound.is_empty() {
            hosts.push(format!("api.{namespace}.svc.cluster.local"));
        }
    }
    let mut gateways: Vec<String> = bound.iter().map(|&i| gws[i].name.clone()).collect();
    if rp.mesh || bound.is_empty() {
        gateways.push("mesh".to_string());
    }
    if !(defaulted && gateways.len() == 1 && bound == [0]) {
        route["gateways"] = strings(&gateways);
    }
    if !hosts.is_empty() {
        route["hosts"] = strings(&hosts);
    }
    let rules: Vec<Value> = rp
        .rules
        .iter()
        .map(|r| {
            let host = match r.destination {
                0 => "api".to_string(),
                1 => format!("api.{namespace}.svc.cluster.local"),
                _ => format!("backend.{namespace}"),
            };
            let mut destination = json!({"host": host});
            if let Some(port) = r.port {
                destination["port"] = json!(port);
            }
            let mut rule = json!({"destination": destination});
            let own = if index == 0 { String::new() } else { format!("/r{index}") };
            match r.matcher {
                1 => rule["match"] = json!({"exact": format!("{own}/healthz")}),
                2 => rule["match"] = json!({"prefix": format!("{own}/api")}),
                3 => rule["match"] = json!({"regex": format!("^{own}/v[0-9]+/items")}),
                _ if index > 0 => rule["match"] = json!({"prefix": format!("{own}/")}),
                _ => {}
            }
            if let Some(timeout) = r.timeout {
                rule["timeout"] = json!(timeout);
            }
            if let Some((attempts, per_try, retry_on)) = r.retries {
                let mut retries = json!({"attempts": attempts});
                if per_try {
                    retries["perTryTimeout"] = json!("2s");
                }
                if retry_on {
                    retries["retryOn"] = json!("5xx,reset,connect-failure");
                }
                rule["retries"] = retries;
            }
            rule
        })
        .collect();
    route["http"] = Value::Array(rules);
    route
}

fn control_plane_json(cp: &ControlPlanePlan, plan: &Plan) -> Value {
    let mut out = json!({"delivery": cp.delivery, "version": cp.version});
    if let Some(profile) = cp.profile {
        out["profile"] = json!(profile);
    }
    if cp.default_tag && plan.revision.is_some() {
        out["defaultTag"] = json!(true);
    }
    if cp.delivery == "sail" && cp.revision_based {
        out["sail"] = json!({"updateStrategy": "RevisionBased"});
    }
    if cp.delivery != "sail" && cp.oci {
        out["chartSource"] = json!("oci");
    }
    // The istiod workload takes the gateway workload's replica and placement settings.
    let workload = workload_json(&cp.istiod, None, None);
    let mut istiod = Map::new();
    for key in ["replicas", "autoscaling", "resources", "nodeSelector", "tolerations", "affinity"] {
        if let Some(value) = workload.get(key).filter(|v| key != "replicas" || v.as_u64() != Some(0)) {
            istiod.insert(key.into(), value.clone());
        }
    }
    if !istiod.is_empty() {
        out["istiod"] = Value::Object(istiod);
    }
    let mut mesh = Map::new();
    if let Some((provider, _)) = plan.telemetry {
        let kind = if provider == "zipkin" { "zipkin" } else { "opentelemetry" };
        mesh.insert(
            "extensionProviders".into(),
            json!([{"name": provider, kind: {"service": format!("{provider}.observability.svc.cluster.local"), "port": 4317}}]),
        );
    }
    if let Some(encoding) = cp.access_logging {
        mesh.insert("accessLogging".into(), json!({"encoding": encoding}));
    }
    if !mesh.is_empty() {
        out["meshConfig"] = Value::Object(mesh);
    }
    out
}

fn multicluster_json(plan: &MulticlusterPlan, issuers: &[IssuerChoice], instance: &str) -> Value {
    let mut mc = json!({"meshID": "mesh1", "clusterName": "cluster-a", "network": "net-a"});
    if let Some(ew) = &plan.east_west {
        let mut east_west = json!({"enabled": true});
        if ew.expose_istiod {
            east_west["exposeIstiod"] = json!(true);
        }
        if let Some(scope) = ew.scope {
            east_west["scope"] = json!(scope);
        }
        let workload = workload_json(
            &ew.workload,
            ew.workload.name.then(|| "istio-crossnetwork".to_string()),
            ew.workload.labels.then(|| ("istio", "crossnetwork".to_string())),
        );
        if !workload.is_empty() {
            east_west["workload"] = Value::Object(workload);
        }
        if let Some(type_) = ew.service_type {
            east_west["service"] = json!({"type": type_});
        }
        if ew.provider != Provider::None {
            east_west["loadBalancer"] = json!({"provider": ew.provider.as_str()});
            if ew.provider == Provider::AwsNlb {
                east_west["loadBalancer"]["name"] = json!(aws_name(&format!("eastwest-{instance}")));
            }
        }
        mc["eastWestGateway"] = east_west;
    }
    let issuer = match plan.plugin_ca {
        0 if issuers.contains(&IssuerChoice::Ca) => Some("corp-ca"),
        1 if issuers.contains(&IssuerChoice::SelfSigned) => Some("bootstrap"),
        0..=2 => Some("mesh-root-ca"),
        _ => None,
    };
    if let Some(issuer) = issuer {
        let mut ca = json!({"issuer": issuer});
        match plan.durations {
            1 => {
                ca["duration"] = json!("2160h");
                ca["renewBefore"] = json!("360h");
            }
            2 => {
                ca["duration"] = json!("720h");
                ca["renewBefore"] = json!("1h30m");
            }
            _ => {}
        }
        mc["pluginCA"] = ca;
    }
    mc
}

/// Derive a valid config from a plan.
fn build(plan: &Plan) -> Built {
    let zone = plan.zone;
    let d = domains(zone, plan.domains);
    let root = plan.root_namespace.unwrap_or("istio-system");
    let gateway_namespace = match plan.gateway_namespace {
        0 => "istio-ingress",
        1 => "gateways",
        _ => root,
    };

    let mut gws: Vec<Gw> = Vec::new();
    for k in 0..plan.gateways.len() {
        let gw = resolve_gateway(plan, k, gws.first_mut(), &d);
        gws.push(gw);
    }

    // Certificates: the one for spec.domains first (the default servers use the first one), then
    // one per gateway with hosts of its own, then perhaps one no server uses.
    let domains_certificate = format!("{}-tls", plan.instance);
    let mut certs: Vec<Cert> = Vec::new();
    if gws.iter().any(|g| g.cert == Some(CertUse::Domains)) {
        certs.push(Cert { name: domains_certificate.clone(), dns_names: d.clone(), domains: true });
    }
    for g in gws.iter().filter(|g| g.cert == Some(CertUse::Own)) {
        certs.push(Cert { name: format!("{}-tls", g.name), dns_names: g.hosts.clone(), domains: false });
    }
    if plan.spare_certificate {
        certs.push(Cert {
            name: "spare-tls".into(),
            dns_names: vec![format!("spare.{zone}")],
            domains: false,
        });
    }

    // Issuers, and which one each certificate uses.
    let mut acme: Option<(Solvers, Option<usize>)> = None;
    if let Some(a) = &plan.issuers.acme {
        let eligible: Vec<usize> = (0..gws.len()).filter(|&i| gws[i].http01_ok).collect();
        acme = Some(match (a.solvers, eligible.is_empty()) {
            (Solvers::Dns01, _) | (_, true) => (Solvers::Dns01, None),
            (solvers, false) => (solvers, Some(eligible[a.gateway.index(eligible.len())])),
        });
    }
    let mut issuers: Vec<IssuerChoice> = Vec::new();
    if acme.is_some() {
        issuers.push(IssuerChoice::Acme);
    }
    if plan.issuers.ca {
        issuers.push(IssuerChoice::Ca);
    }
    if plan.issuers.self_signed {
        issuers.push(IssuerChoice::SelfSigned);
    }
    if !issuers.is_empty() {
        let by = plan.issuers.rotate.index(issuers.len());
        issuers.rotate_left(by);
    }
    let mut candidates = issuers.clone();
    candidates.push(IssuerChoice::Existing);
    let mut certificates = Vec::new();
    let mut http01_names: Vec<String> = Vec::new();
    for (i, cert) in certs.iter().enumerate() {
        let cp = &plan.certificates[i % plan.certificates.len()];
        let start = cp.issuer.index(candidates.len());
        let choice = (0..candidates.len())
            .map(|o| candidates[(start + o) % candidates.len()].clone())
            .find(|c| match (c, acme) {
                (IssuerChoice::Acme, Some((solvers, gateway))) => {
                    acme_can_issue(solvers, gateway.map(|g| &gws[g]), zone, &cert.dns_names)
                }
                _ => true,
            })
            .unwrap_or(IssuerChoice::Existing);
        if choice == IssuerChoice::Acme {
            http01_names.extend(cert.dns_names.iter().filter(|n| !n.starts_with("*.")).cloned());
        }
        let mut c = json!({"name": cert.name});
        if cp.secret_name {
            c["secretName"] = json!(format!("{}-secret", cert.name));
        }
        let namespaced = choice == IssuerChoice::Existing && cp.namespaced_external;
        if !(cp.omit_issuer && issuers.first() == Some(&choice)) {
            c["issuer"] = json!(issuer_name(&choice, namespaced));
        }
        if namespaced {
            c["issuerKind"] = json!("Issuer");
        }
        if !cert.domains || cp.explicit_dns_names {
            c["dnsNames"] = strings(&cert.dns_names);
        }
        if cp.common_name {
            c["commonName"] = json!(cert.dns_names[0]);
        }
        certificates.push(c);
    }
    http01_names.sort();
    http01_names.dedup();
    let issuers_json: Vec<Value> = issuers
        .iter()
        .map(|choice| match (choice, &plan.issuers.acme, acme) {
            (IssuerChoice::Acme, Some(a), Some((solvers, gateway))) => {
                acme_json(a, solvers, gateway.map(|g| gws[g].name.as_str()), zone, &http01_names)
            }
            (IssuerChoice::Ca, ..) => json!({"name": "corp-ca", "ca": {"secretName": "corp-root-ca"}}),
            _ => json!({"name": "bootstrap", "selfSigned": {}}),
        })
        .collect();

    let first_certificate = certs.first().map(|c| c.name.as_str());
    let gateways_json: Vec<Value> = gws
        .iter()
        .map(|g| {
            let mut fields = g.fields.clone();
            if let Some(servers) = servers_json(g, &d, first_certificate, &domains_certificate) {
                fields.insert("servers".into(), servers);
            }
            Value::Object(fields)
        })
        .collect();

    // Application namespaces and mTLS.
    let app: Vec<&str> = plan.namespace_names[..plan.namespaces.len()].to_vec();
    let mesh_mode = plan.mtls_mode.unwrap_or("STRICT");
    let namespaces_json: Vec<Value> = plan
        .namespaces
        .iter()
        .zip(&app)
        .map(|(np, name)| {
            let mut ns = json!({"name": name});
            let mut mtls = np.mtls;
            if !np.injection {
                ns["injection"] = json!(false);
                // Without sidecars STRICT would break every call into the namespace.
                if mtls.unwrap_or(mesh_mode) == "STRICT" {
                    mtls = Some("PERMISSIVE");
                }
            }
            if let Some(mode) = mtls {
                ns["mtls"] = json!(mode);
            }
            if np.default_deny {
                ns["authorization"] = json!({"defaultDeny": true});
            }
            ns
        })
        .collect();
    let mut mtls = Map::new();
    if let Some(mode) = plan.mtls_mode {
        mtls.insert("mode".into(), json!(mode));
    }
    if plan.mesh_wide {
        mtls.insert("meshWide".into(), json!(true));
    }
    if let Some(root) = plan.root_namespace {
        mtls.insert("rootNamespace".into(), json!(root));
    }
    if plan.trust_domain {
        mtls.insert("trustDomain".into(), json!("corp.example"));
    }

    let demo = plan.demo.as_ref().and_then(|p| demo_json(p, &gws, &d, &app));
    let mut route_keys: BTreeSet<(String, String)> = BTreeSet::new();
    if let Some((_, name, namespace)) = &demo {
        route_keys.insert((name.clone(), namespace.clone()));
    }
    let route_namespaces: Vec<&str> =
        app.iter().copied().chain(["default", "other", gateway_namespace]).collect();
    let mut routes_json = Vec::new();
    let mut mesh_hosts: BTreeSet<String> = BTreeSet::new();
    for rp in &plan.routes {
        let name = ROUTE_NAMES[rp.name.index(ROUTE_NAMES.len())];
        let namespace = route_namespaces[rp.namespace.index(route_namespaces.len())];
        // One VirtualService per name and namespace, the demo app's included.
        if route_keys.insert((name.to_string(), namespace.to_string())) {
            let route = route_json(rp, routes_json.len(), name, namespace, &gws, &d);
            // Two routes bound to the mesh must not share a host (IST0109).
            let binds_mesh = route["gateways"].as_array().is_some_and(|g| g.contains(&json!("mesh")));
            let hosts: Vec<String> = match route["hosts"].as_array() {
                Some(hosts) => hosts.iter().filter_map(|h| h.as_str().map(str::to_string)).collect(),
                None => d.clone(),
            };
            if binds_mesh {
                if hosts.iter().any(|h| mesh_hosts.contains(h)) {
                    continue;
                }
                mesh_hosts.extend(hosts);
            }
            routes_json.push(route);
        }
    }

    let mut spec = Map::new();
    if plan.gateway_namespace != 0 {
        spec.insert("namespace".into(), json!(gateway_namespace));
    }
    if let Some(revision) = plan.revision {
        spec.insert("revision".into(), json!(revision));
    }
    if !d.is_empty() {
        spec.insert("domains".into(), strings(&d));
    }
    spec.insert("gateways".into(), Value::Array(gateways_json));
    if !certificates.is_empty() {
        spec.insert("certificates".into(), Value::Array(certificates));
    }
    if !issuers_json.is_empty() {
        spec.insert("issuers".into(), Value::Array(issuers_json));
    }
    if !mtls.is_empty() {
        spec.insert("mtls".into(), Value::Object(mtls));
    }
    if !namespaces_json.is_empty() {
        spec.insert("namespaces".into(), Value::Array(namespaces_json));
    }
    if !routes_json.is_empty() {
        spec.insert("routes".into(), Value::Array(routes_json));
    }
    if let Some((demo, ..)) = demo {
        spec.insert("demoApp".into(), demo);
    }
    if let Some(mc) = &plan.multicluster {
        spec.insert("multicluster".into(), multicluster_json(mc, &issuers, plan.instance));
    }
    if plan.sync_waves {
        spec.insert("argocd".into(), json!({"syncWaves": true}));
    }
    if let Some((provider, sampling)) = plan.telemetry {
        let mut telemetry = json!({"provider": provider});
        if let Some(sampling) = sampling {
            telemetry["samplingPercentage"] = json!(sampling);
        }
        spec.insert("telemetry".into(), telemetry);
    }
    if let Some(cp) = &plan.control_plane {
        // istiod discovers the east-west gateway through a LoadBalancer Service only.
        if let Some(service) = spec
            .get_mut("multicluster")
            .and_then(|m| m.get_mut("eastWestGateway"))
            .and_then(|e| e.as_object_mut())
        {
            service.remove("service");
        }
        spec.insert("controlPlane".into(), control_plane_json(cp, plan));
    }
    let config = json!({
        "apiVersion": "mesh-ingress.dev/v1alpha1",
        "kind": "MeshIngress",
        "metadata": {
            "name": plan.instance,
            "annotations": {"config.kubernetes.io/local-config": "true"},
        },
        "spec": spec,
    });
    Built { config, gateway_namespace: gateway_namespace.to_string() }
}

fn config() -> impl Strategy<Value = Built> {
    plan().prop_map(|plan| build(&plan))
}

// ---------------------------------------------------------------------------------------------
// Input items
// ---------------------------------------------------------------------------------------------

/// Items no config refers to, as a package or a kustomization would hold them beside the config.
fn unrelated_items() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "app-settings", "namespace": "store",
                            "annotations": {"internal.config.kubernetes.io/path": "app/settings.yaml"}},
               "data": {"LOG_LEVEL": "info", "FEATURES": "a,b"}}),
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "db-credentials", "namespace": "payments"},
               "type": "Opaque", "stringData": {"password": "not-a-real-one"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "worker", "namespace": "batch", "labels": {"app": "worker"}},
               "spec": {"selector": {"matchLabels": {"app": "worker"}},
                        "template": {"metadata": {"labels": {"app": "worker"}},
                                     "spec": {"containers": [{"name": "worker", "image": "example/worker:1"}]}}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": {"name": "other-team", "namespace": "other-team"},
               "spec": {"secretName": "other-team", "dnsNames": ["other.example.net"],
                        "issuerRef": {"name": "their-ca", "kind": "ClusterIssuer"}}}),
        // Another instance's object: never touched, never pruned.
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "other-instance", "namespace": "default",
                            "labels": {"mesh-ingress.dev/instance": "someone-else"}},
               "data": {"k": "v"}}),
    ]
}

/// What the input holds besides the config.
#[derive(Clone, Debug)]
struct InputPlan {
    unrelated: Vec<Value>,
    /// The config itself, as kpt passes it among the items.
    config_item: bool,
    /// A Namespace named like spec.namespace, made by someone else: the config defers to it.
    existing_gateway_namespace: bool,
    /// The function's own output of a first run (a re-render).
    previous_output: bool,
    /// Fisher-Yates choices for the shuffle.
    shuffle: Vec<Index>,
}

fn input_plan() -> impl Strategy<Value = InputPlan> {
    (
        prop::sample::subsequence(unrelated_items(), 0..=4),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::collection::vec(any::<Index>(), 8),
    )
        .prop_map(|(unrelated, config_item, existing_gateway_namespace, previous_output, shuffle)| {
            InputPlan { unrelated, config_item, existing_gateway_namespace, previous_output, shuffle }
        })
}

/// The input items of `plan`, in their unshuffled order.
fn input_items(built: &Built, plan: &InputPlan) -> Result<Vec<Value>, TestCaseError> {
    let mut items = plan.unrelated.clone();
    if plan.config_item {
        items.push(built.config.clone());
    }
    if plan.existing_gateway_namespace {
        items.push(json!({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": built.gateway_namespace, "labels": {"team": "platform"}}}));
    }
    if plan.previous_output {
        let first = run_ok(built, &items)?;
        items = first.items();
    }
    Ok(items)
}

/// `items` shuffled with the choices of `plan`.
fn shuffled(items: &[Value], plan: &InputPlan) -> Vec<Value> {
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = plan.shuffle[i % plan.shuffle.len()].index(i + 1);
        out.swap(i, j);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running and checking
// ---------------------------------------------------------------------------------------------

fn upstream_apis() -> &'static UpstreamApis {
    static APIS: OnceLock<UpstreamApis> = OnceLock::new();
    APIS.get_or_init(UpstreamApis::load)
}

/// Run the function on `items` with the config; exit code 0 and no error result.
fn run_ok(built: &Built, items: &[Value]) -> Result<Run, TestCaseError> {
    let run = run_krm(&built.config, items).map_err(TestCaseError::fail)?;
    let errors = run.errors();
    if run.code != 0 || !errors.is_empty() {
        return Err(TestCaseError::fail(format!(
            "exit code {}, errors for a valid config:\n{}\nstderr:\n{}",
            run.code,
            errors.join("\n"),
            run.stderr
        )));
    }
    Ok(run)
}

/// Each output item's text, cut from stdout (re-serialized where the text cannot be cut).
fn item_texts(run: &Run) -> Vec<String> {
    let items = run.items();
    let segments = item_segments(&run.stdout, &items, &Limits::default());
    items
        .iter()
        .zip(segments)
        .map(|(item, segment)| match segment {
            Some(range) => run.stdout[range].to_string(),
            None => to_yaml(item).unwrap(),
        })
        .collect()
}

/// A: the run succeeds, every generated object conforms to its upstream API, and the stack is
/// consistent.
fn check_conformance(built: &Built, items: &[Value]) -> Result<Run, TestCaseError> {
    let run = run_ok(built, items)?;
    let out = run.items();
    let generated = generated_items(&built.config, items, &out);
    prop_assert!(!generated.is_empty(), "nothing generated:\n{}", run.stdout);
    let apis = upstream_apis();
    let mut problems: Vec<String> = generated
        .iter()
        .flat_map(|obj| {
            apis.check(obj).into_iter().map(move |p| format!("{}: {p}", upstream_apis::describe(obj)))
        })
        .collect();
    problems.extend(stack_checks::check_stack(&out, &built.config));
    if !problems.is_empty() {
        return Err(TestCaseError::fail(format!(
            "{} problem(s):\n{}\noutput:\n{}",
            problems.len(),
            problems.join("\n"),
            run.stdout
        )));
    }
    Ok(run)
}

/// B: the output, fed back with the same config, comes back byte for byte.
fn check_fixed_point(built: &Built, first: &Run) -> Result<(), TestCaseError> {
    // The output echoes the functionConfig, so it is itself the next input.
    prop_assert!(first.stdout.contains("\nfunctionConfig:\n"), "the output lacks the functionConfig");
    let as_text = run_krm_text(&first.stdout).map_err(TestCaseError::fail)?;
    let reserialized = run_krm(&built.config, &first.items()).map_err(TestCaseError::fail)?;
    for (how, again) in [("as text", as_text), ("as re-serialized items", reserialized)] {
        prop_assert_eq!(again.code, 0, "second run {} failed:\n{}", how, again.stderr);
        if again.stdout != first.stdout {
            return Err(TestCaseError::fail(format!(
                "the output fed back {how} changed: {}\nfirst:\n{}",
                diff(&first.stdout, &again.stdout),
                first.stdout
            )));
        }
    }
    Ok(())
}

/// C: shuffling the input items permutes the input-derived output items the same way and changes
/// nothing else (see the module docs for the exact definition).
fn check_order_independence(built: &Built, items: &[Value], shuffled: &[Value]) -> Result<(), TestCaseError> {
    let a = run_ok(built, items)?;
    let b = run_ok(built, shuffled)?;
    let results = |run: &Run| to_yaml(&run.list["results"]).unwrap();
    prop_assert_eq!(results(&a), results(&b), "the results differ");
    let texts = |run: &Run| -> BTreeMap<_, String> {
        run.items().iter().map(identity).zip(item_texts(run)).collect()
    };
    let (ta, tb) = (texts(&a), texts(&b));
    prop_assert_eq!(ta.len(), a.items().len(), "two output items share an identity");
    for (id, text) in &ta {
        let other =
            tb.get(id).ok_or_else(|| TestCaseError::fail(format!("{id:?} is missing after the shuffle")))?;
        if text != other {
            return Err(TestCaseError::fail(format!(
                "{id:?} differs after the shuffle: {}",
                diff(text, other)
            )));
        }
    }
    prop_assert_eq!(ta.len(), tb.len(), "the shuffled output has other items");
    let order = |run: &Run, input: &[Value]| {
        let inputs: Vec<_> = input.iter().map(identity).collect();
        let out: Vec<_> = run.items().iter().map(identity).collect();
        let from_input: Vec<_> = inputs.iter().filter(|id| out.contains(id)).cloned().collect();
        let new: Vec<_> = out.iter().filter(|id| !inputs.contains(id)).cloned().collect();
        (out, from_input, new)
    };
    let (_, _, new_a) = order(&a, items);
    let (out_b, from_input_b, new_b) = order(&b, shuffled);
    // Input-derived items first, in the shuffled input's order, then the new objects.
    let expected: Vec<_> = from_input_b.iter().chain(&new_b).cloned().collect();
    prop_assert_eq!(&out_b, &expected, "the shuffled output is not in the shuffled input's order");
    prop_assert_eq!(new_a, new_b, "the new objects come in another order");
    Ok(())
}

/// The settings of the properties: shrinking a config takes more steps than proptest's automatic
/// limit (four per case) allows, so a failure is reported with a small config (within the 60 s
/// shrink time of `proptest_config`).
fn settings(cases: u32) -> ProptestConfig {
    ProptestConfig { max_shrink_iters: 10_000, ..proptest_config(cases) }
}

proptest! {
    #![proptest_config(settings(128))]

    #[test]
    fn a_generated_objects_conform(built in config(), input in input_plan()) {
        check_conformance(&built, &input_items(&built, &input)?)?;
    }
}

proptest! {
    #![proptest_config(settings(96))]

    #[test]
    fn b_output_is_a_fixed_point(built in config(), input in input_plan()) {
        let items = input_items(&built, &input)?;
        let first = run_ok(&built, &items)?;
        check_fixed_point(&built, &first)?;
    }

    #[test]
    fn c_item_order_does_not_matter(built in config(), input in input_plan()) {
        let items = input_items(&built, &input)?;
        check_order_independence(&built, &items, &shuffled(&items, &input))?;
    }
}

proptest! {
    #![proptest_config(settings(64))]

    /// `graph --explain` accounts for every object a valid config renders, and every format draws
    /// its picture (the graph's own tests cover the golden cases).
    #[test]
    fn d_every_generated_object_has_provenance(built in config()) {
        let config = mesh_ingress::api::decode_config(Some(&built.config))
            .map_err(|_| TestCaseError::fail("the config does not decode"))?;
        let (model, _, generated) = mesh_ingress::pipeline::generate(&config, None, mesh_ingress::Mode::Stream);
        // A config the generator got wrong is the fixed-point property's finding, not this one's.
        prop_assume!(generated.is_some());
        let generated = generated.unwrap_or_default();
        let graph = mesh_ingress::graph::build(&model, &generated, &[]);
        prop_assert_eq!(graph.objects.len(), generated.len());
        for object in &graph.objects {
            prop_assert!(object.explained, "{}: {}", mesh_ingress::graph::object_name(&object.object), object.why);
        }
        for (_, format) in mesh_ingress::graph::Format::ALL {
            prop_assert!(!mesh_ingress::graph::render(&graph, format).is_empty());
        }
    }
}

/// Whether a spec uses a feature.
type Feature = fn(&Value) -> bool;

/// Every part of the API the generator claims to cover (see [`Plan`]) shows up in a sample of its
/// configs, so a change to the generator cannot silently narrow what the properties exercise.
#[test]
fn generator_covers_the_api() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let features: Vec<(&str, Feature)> = vec![
        ("several gateways", |s| elements(&s["gateways"]).len() > 1),
        ("a shared workload", |s| {
            let g = elements(&s["gateways"]);
            g.iter().skip(1).any(|o| !g[0]["workload"]["name"].is_null() && o["workload"] == g[0]["workload"])
        }),
        ("an internal gateway", |s| elements(&s["gateways"]).iter().any(|g| g["scope"] == "internal")),
        ("aws-nlb", |s| elements(&s["gateways"]).iter().any(|g| g["loadBalancer"]["provider"] == "aws-nlb")),
        ("aws-alb", |s| elements(&s["gateways"]).iter().any(|g| g["loadBalancer"]["provider"] == "aws-alb")),
        ("ALB settings", |s| elements(&s["gateways"]).iter().any(|g| !g["loadBalancer"]["alb"].is_null())),
        ("gcp", |s| elements(&s["gateways"]).iter().any(|g| g["loadBalancer"]["provider"] == "gcp")),
        ("azure", |s| elements(&s["gateways"]).iter().any(|g| g["loadBalancer"]["provider"] == "azure")),
        ("a NodePort Service", |s| {
            elements(&s["gateways"]).iter().any(|g| g["service"]["type"] == "NodePort")
        }),
        ("a ClusterIP Service", |s| {
            elements(&s["gateways"]).iter().any(|g| g["service"]["type"] == "ClusterIP")
        }),
        ("a traffic policy", |s| {
            elements(&s["gateways"]).iter().any(|g| !g["service"]["externalTrafficPolicy"].is_null())
        }),
        ("source ranges", |s| {
            elements(&s["gateways"]).iter().any(|g| !g["service"]["loadBalancerSourceRanges"].is_null())
        }),
        ("external-dns", |s| elements(&s["gateways"]).iter().any(|g| !g["externalDNS"].is_null())),
        ("default servers", |s| elements(&s["gateways"]).iter().any(|g| g["servers"].is_null())),
        ("TLS passthrough", |s| servers(s).iter().any(|v| v["tls"]["mode"] == "PASSTHROUGH")),
        ("terminated TLS", |s| {
            servers(s).iter().any(|v| v["protocol"] == "TLS" && v["tls"]["mode"] != "PASSTHROUGH")
        }),
        ("MUTUAL", |s| servers(s).iter().any(|v| v["tls"]["mode"] == "MUTUAL")),
        ("OPTIONAL_MUTUAL", |s| servers(s).iter().any(|v| v["tls"]["mode"] == "OPTIONAL_MUTUAL")),
        ("an existing credential", |s| servers(s).iter().any(|v| !v["tls"]["credentialName"].is_null())),
        ("the default certificate", |s| {
            servers(s).iter().any(|v| v["protocol"] == "HTTPS" && v["tls"]["certificate"].is_null())
        }),
        ("TLS versions and ciphers", |s| {
            servers(s)
                .iter()
                .any(|v| !v["tls"]["maxProtocolVersion"].is_null() && !v["tls"]["cipherSuites"].is_null())
        }),
        ("a redirect by default", |s| {
            servers(s).iter().any(|v| v["port"] == 80 && v["httpsRedirect"].is_null())
        }),
        ("no redirect", |s| servers(s).iter().any(|v| v["httpsRedirect"] == false)),
        ("an unusual port", |s| servers(s).iter().any(|v| v["port"] == 1 || v["port"] == 65535)),
        ("no domains", |s| s["domains"].is_null()),
        ("a wildcard domain", |s| {
            elements(&s["domains"]).iter().any(|d| d.as_str().is_some_and(|d| d.starts_with("*.")))
        }),
        ("HTTP-01 only", |s| solvers(s).iter().all(|v| !v["http01"].is_null()) && !solvers(s).is_empty()),
        ("DNS-01 only", |s| solvers(s).iter().all(|v| !v["dns01"].is_null()) && !solvers(s).is_empty()),
        ("a zone selector", |s| solvers(s).iter().any(|v| !v["selector"]["dnsZones"].is_null())),
        ("a names selector", |s| solvers(s).iter().any(|v| !v["selector"]["dnsNames"].is_null())),
        ("an ACME URL", |s| {
            elements(&s["issuers"])
                .iter()
                .any(|i| i["acme"]["server"].as_str().is_some_and(|u| u.starts_with("https://")))
        }),
        ("a CA issuer", |s| elements(&s["issuers"]).iter().any(|i| !i["ca"].is_null())),
        ("a self-signed issuer", |s| elements(&s["issuers"]).iter().any(|i| !i["selfSigned"].is_null())),
        ("an existing ClusterIssuer", |s| {
            elements(&s["certificates"]).iter().any(|c| c["issuer"] == "letsencrypt-prod")
        }),
        ("an existing Issuer", |s| elements(&s["certificates"]).iter().any(|c| c["issuerKind"] == "Issuer")),
        ("the default issuer", |s| elements(&s["certificates"]).iter().any(|c| c["issuer"].is_null())),
        ("default DNS names", |s| elements(&s["certificates"]).iter().any(|c| c["dnsNames"].is_null())),
        ("a secret name and common name", |s| {
            elements(&s["certificates"])
                .iter()
                .any(|c| !c["secretName"].is_null() && !c["commonName"].is_null())
        }),
        ("PERMISSIVE mesh", |s| s["mtls"]["mode"] == "PERMISSIVE"),
        ("mesh-wide mTLS", |s| s["mtls"]["meshWide"] == true),
        ("a root namespace and trust domain", |s| {
            !s["mtls"]["rootNamespace"].is_null() && !s["mtls"]["trustDomain"].is_null()
        }),
        ("a namespace without injection", |s| {
            elements(&s["namespaces"]).iter().any(|n| n["injection"] == false)
        }),
        ("default deny", |s| elements(&s["namespaces"]).iter().any(|n| !n["authorization"].is_null())),
        ("a gateway namespace", |s| s["namespace"] == "gateways"),
        ("gateways in the root namespace", |s| {
            s["namespace"] == "istio-system" || s["namespace"] == "mesh-root"
        }),
        ("a revision", |s| !s["revision"].is_null()),
        ("a route bound to the mesh", |s| {
            elements(&s["routes"]).iter().any(|r| elements(&r["gateways"]).contains(&json!("mesh")))
        }),
        ("a route with default hosts and gateways", |s| {
            elements(&s["routes"]).iter().any(|r| r["hosts"].is_null() && r["gateways"].is_null())
        }),
        ("a route on several gateways", |s| {
            elements(&s["routes"])
                .iter()
                .any(|r| elements(&r["gateways"]).iter().filter(|g| *g != "mesh").count() > 1)
        }),
        ("retries and a regex", |s| {
            let rules: Vec<Value> =
                elements(&s["routes"]).iter().flat_map(|r| elements(&r["http"])).collect();
            rules.iter().any(|r| !r["retries"].is_null())
                && rules.iter().any(|r| !r["match"]["regex"].is_null())
        }),
        ("the demo app with its defaults", |s| {
            s["demoApp"]["enabled"] == true && s["demoApp"]["host"].is_null()
        }),
        ("the demo app with a host", |s| !s["demoApp"]["host"].is_null()),
        ("an east-west gateway exposing istiod", |s| {
            s["multicluster"]["eastWestGateway"]["exposeIstiod"] == true
        }),
        ("a plugin CA", |s| !s["multicluster"]["pluginCA"].is_null()),
        ("telemetry", |s| !s["telemetry"].is_null()),
        ("sync waves", |s| !s["argocd"].is_null()),
        ("a Sail Operator control plane", |s| s["controlPlane"]["delivery"] == "sail"),
        ("an Argo CD control plane", |s| s["controlPlane"]["delivery"] == "argocd"),
        ("a Flux control plane from OCI", |s| {
            s["controlPlane"]["delivery"] == "flux" && s["controlPlane"]["chartSource"] == "oci"
        }),
        ("a revision tag", |s| s["controlPlane"]["defaultTag"] == true),
        ("fixed replicas", |s| workloads(s).iter().any(|w| !w["replicas"].is_null())),
        ("autoscaling", |s| {
            workloads(s).iter().any(|w| !w["autoscaling"]["targetMemoryUtilizationPercentage"].is_null())
        }),
        ("a budget", |s| workloads(s).iter().any(|w| !w["podDisruptionBudget"]["maxUnavailable"].is_null())),
        ("placement", |s| {
            workloads(s)
                .iter()
                .any(|w| !w["affinity"].is_null() && !w["tolerations"].is_null() && !w["resources"].is_null())
        }),
        ("custom workload names and labels", |s| {
            workloads(s).iter().any(|w| !w["name"].is_null() && !w["labels"].is_null())
        }),
        ("names at their length limit", |s| {
            elements(&s["gateways"]).iter().any(|g| g["name"].as_str().is_some_and(|n| n.len() == 42))
        }),
    ];
    let samples = 500;
    let mut runner = TestRunner::deterministic();
    let mut seen = vec![0usize; features.len()];
    for _ in 0..samples {
        let built = config().new_tree(&mut runner).unwrap().current();
        for (i, (_, has)) in features.iter().enumerate() {
            seen[i] += usize::from(has(&built.config["spec"]));
        }
    }
    let rare: Vec<String> = features
        .iter()
        .zip(&seen)
        .filter(|(_, n)| **n * 100 < samples)
        .map(|((name, _), n)| format!("{name}: {n} of {samples}"))
        .collect();
    assert!(rare.is_empty(), "the generator (almost) never produces:\n{}", rare.join("\n"));
}

/// The elements of a JSON list (none for anything else).
fn elements(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

/// Every server of every gateway of a spec.
fn servers(spec: &Value) -> Vec<Value> {
    spec["gateways"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["servers"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Every ACME solver of a spec.
fn solvers(spec: &Value) -> Vec<Value> {
    spec["issuers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|i| i["acme"]["solvers"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Every workload of a spec, the east-west gateway's included.
fn workloads(spec: &Value) -> Vec<Value> {
    spec["gateways"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| g["workload"].clone())
        .chain([spec["multicluster"]["eastWestGateway"]["workload"].clone()])
        .collect()
}
