//! mesh-ingress under the real `kubectl kustomize` (kustomize v5.5.0 inside kubectl v1.32), through
//! every route `kustomize/` wires: the legacy exec plugin, the KRM container function (the built
//! image, started by podman through `scripts/docker-podman` or by a Docker engine), and the KRM exec
//! function (which only standalone kustomize runs). Every route must give the same objects for the
//! same config.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/tools.rs"]
mod tools;

use mesh_ingress::krm::io::{self, Limits};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tools::{ContainerRuntime, binary, container_runtime, require, root, temp_dir};

/// The overlays, each under `kustomize/{overlays,legacy,container,exec}/<name>`; `gateway-api` is
/// the sandbox's base served through the Kubernetes Gateway API (`spec.output: gateway-api`).
const ENVIRONMENTS: &[&str] = &["sandbox", "prod", "gateway-api"];

fn kubectl_kustomize(dir: &Path, envs: &[(&str, String)]) -> Output {
    let mut command = Command::new("kubectl");
    command.args(["kustomize", "--enable-alpha-plugins"]).arg(dir);
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// A plugin home with the binary installed where kustomize looks for the MeshIngress legacy plugin.
fn plugin_home(name: &str) -> PathBuf {
    let home = temp_dir(name);
    let dir = home.join("mesh-ingress.dev/v1alpha1/meshingress");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(binary(), dir.join("MeshIngress")).unwrap();
    home
}

fn objects(output: &Output) -> BTreeMap<String, Value> {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    io::parse_documents(&stdout, "kustomize output", &Limits::default())
        .unwrap()
        .into_iter()
        .map(|object| (mesh_ingress::krm::object::ObjectId::of(&object).to_string(), object))
        .collect()
}

fn assert_ok(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn legacy_plugin_route() {
    if !require("kubectl", &["version", "--client"]) {
        return;
    }
    let home = plugin_home("kustomize-legacy");
    for env in ENVIRONMENTS {
        let output = kubectl_kustomize(
            &root().join("kustomize/legacy").join(env),
            &[("KUSTOMIZE_PLUGIN_HOME", home.display().to_string())],
        );
        assert_ok(&output, &format!("legacy/{env}"));
        let objects = objects(&output);
        check_environment(env, &objects);
    }
}

/// `kubectl kustomize` with the container runtime's `docker` first on PATH.
fn kustomize_container(env: &str, runtime: &ContainerRuntime) -> Output {
    kubectl_kustomize(&root().join("kustomize/container").join(env), &[("PATH", runtime.path().to_string())])
}

#[test]
fn container_route_runs_the_image_twice_with_the_same_result() {
    if !require("kubectl", &["version", "--client"]) {
        return;
    }
    let runtime = container_runtime("kustomize-container");
    for env in ENVIRONMENTS {
        let first = kustomize_container(env, &runtime);
        assert_ok(&first, &format!("container/{env}"));
        let objects = objects(&first);
        check_environment(env, &objects);
        let second = kustomize_container(env, &runtime);
        assert_ok(&second, &format!("container/{env}, second run"));
        assert_eq!(
            String::from_utf8_lossy(&first.stdout),
            String::from_utf8_lossy(&second.stdout),
            "container/{env}: the second run printed something else"
        );
    }
    match runtime {
        ContainerRuntime::Image { .. } => {}
        ContainerRuntime::StandIn { log, .. } => {
            // What kustomize asked docker to do, as far as a stand-in can tell.
            let calls = std::fs::read_to_string(&log).unwrap();
            let run = calls.lines().find(|l| l.starts_with("run ")).expect("kustomize ran the container");
            for expected in [
                "-i",
                "-a STDIN",
                "-a STDOUT",
                "--network none",
                "--user nobody",
                "--security-opt=no-new-privileges",
                &tools::image(),
            ] {
                assert!(run.contains(expected), "kustomize passed {run:?}; expected {expected:?}");
            }
        }
    }
}

#[test]
fn exec_route_is_well_formed_and_kubectl_skips_it() {
    if !require("kubectl", &["version", "--client"]) {
        return;
    }
    for env in ENVIRONMENTS {
        // The config the exec route hands to standalone kustomize carries `exec: path:`.
        let output = Command::new("kubectl")
            .arg("kustomize")
            .arg(root().join("kustomize/exec").join(env).join("function"))
            .output()
            .unwrap();
        assert_ok(&output, "exec function config");
        let config =
            io::parse_document(&String::from_utf8(output.stdout).unwrap(), "config", &Limits::default())
                .unwrap();
        let function =
            mesh_ingress::krm::object::annotation(&config, "config.kubernetes.io/function").unwrap();
        let spec = io::parse_document(function, "function", &Limits::default()).unwrap();
        assert_eq!(spec["exec"]["path"], "mesh-ingress");
        // kubectl kustomize has no --enable-exec: it skips exec functions and exits 0 (the trap the
        // README warns about).
        let output = kubectl_kustomize(&root().join("kustomize/exec").join(env), &[]);
        assert_ok(&output, "kubectl kustomize on the exec route");
        assert!(objects(&output).is_empty(), "kubectl kustomize silently skips exec functions");
    }
}

#[test]
fn every_route_gives_the_same_objects() {
    if !require("kubectl", &["version", "--client"]) {
        return;
    }
    let home = plugin_home("kustomize-same");
    let runtime = container_runtime("kustomize-same-docker");
    for env in ENVIRONMENTS {
        let legacy = objects(&kubectl_kustomize(
            &root().join("kustomize/legacy").join(env),
            &[("KUSTOMIZE_PLUGIN_HOME", home.display().to_string())],
        ));
        let container = objects(&kustomize_container(env, &runtime));
        assert_eq!(
            legacy, container,
            "{env}: the legacy and container routes differ (is the image current? \
             scripts/check-image.sh --install rebuilds it)"
        );
        // And the same as `mesh-ingress render` on the overlay's config (what Argo CD's plugin runs).
        let config = Command::new("kubectl")
            .arg("kustomize")
            .arg(root().join("kustomize/overlays").join(env))
            .output()
            .unwrap();
        let dir = temp_dir(&format!("kustomize-render-{env}"));
        std::fs::write(dir.join("config.yaml"), &config.stdout).unwrap();
        let rendered = Command::new(binary())
            .args(["render", dir.join("config.yaml").to_str().unwrap()])
            .output()
            .unwrap();
        assert_ok(&rendered, "render");
        assert_eq!(objects(&rendered), legacy, "{env}: render and kustomize differ");
    }
}

#[test]
fn config_errors_reach_the_user_through_kustomize() {
    if !require("kubectl", &["version", "--client"]) {
        return;
    }
    let dir = temp_dir("kustomize-broken");
    std::fs::write(dir.join("kustomization.yaml"), "generators:\n- mesh-ingress.yaml\n").unwrap();
    std::fs::write(
        dir.join("mesh-ingress.yaml"),
        "apiVersion: mesh-ingress.dev/v1alpha1\nkind: MeshIngress\nmetadata: {name: shop}\nspec:\n  gateways: [{name: external, scpoe: external}]\n",
    )
    .unwrap();
    let home = plugin_home("kustomize-broken-home");
    let output = kubectl_kustomize(&dir, &[("KUSTOMIZE_PLUGIN_HOME", home.display().to_string())]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("spec.gateways[0].scpoe: unknown field \"scpoe\", did you mean \"scope\"?"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// What each environment's overlay promises.
fn check_environment(env: &str, objects: &BTreeMap<String, Value>) {
    let get = |id: &str| {
        objects
            .get(id)
            .unwrap_or_else(|| panic!("{env}: {id} missing; have {:?}", objects.keys().collect::<Vec<_>>()))
    };
    assert!(!objects.keys().any(|k| k.starts_with("MeshIngress")), "{env}: the config itself is not output");
    if env == "gateway-api" {
        // The same traffic through the Gateway API: no Istio Gateway or VirtualService is left.
        assert!(
            !objects.keys().any(|k| k.starts_with("Gateway.networking.istio.io")
                || k.starts_with("VirtualService.networking.istio.io")),
            "{env}: Istio routing objects in Gateway API mode: {:?}",
            objects.keys().collect::<Vec<_>>()
        );
        let gateway = get("Gateway.gateway.networking.k8s.io istio-ingress/external");
        assert_eq!(gateway["spec"]["gatewayClassName"], "istio");
        let listeners = gateway["spec"]["listeners"].as_array().unwrap();
        assert!(
            listeners.iter().any(|l| l["protocol"] == "HTTPS" && l["hostname"] == "shop.example.com"),
            "{env}: no HTTPS listener for shop.example.com: {listeners:?}"
        );
        let route = get("HTTPRoute.gateway.networking.k8s.io shop/shop");
        assert_eq!(route["spec"]["hostnames"][0], "shop.example.com");
        assert!(objects.contains_key("Deployment.apps istio-ingress/istio-ingressgateway-external"));
        return;
    }
    let gateway = get("Gateway.networking.istio.io istio-ingress/external");
    let deployment = get("Deployment.apps istio-ingress/istio-ingressgateway-external");
    let service = get("Service istio-ingress/istio-ingressgateway-external");
    match env {
        "sandbox" => {
            assert_eq!(gateway["spec"]["servers"][0]["hosts"][0], "shop.sandbox.example.com");
            assert_eq!(deployment["spec"]["replicas"], 1);
            assert!(
                !objects
                    .contains_key("PodDisruptionBudget.policy istio-ingress/istio-ingressgateway-external"),
                "no PDB on one replica"
            );
            assert!(objects.contains_key("Deployment.apps shop/demo-app"));
            assert_eq!(
                service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-name"],
                "shop-sandbox-external"
            );
            assert_eq!(
                get("ClusterIssuer.cert-manager.io letsencrypt")["spec"]["acme"]["server"],
                "https://acme-staging-v02.api.letsencrypt.org/directory"
            );
        }
        _ => {
            assert_eq!(gateway["spec"]["servers"][0]["hosts"][1], "www.shop.example.com");
            assert_eq!(
                get("HorizontalPodAutoscaler.autoscaling istio-ingress/istio-ingressgateway-external")["spec"]
                    ["minReplicas"],
                3
            );
            assert!(objects.contains_key("AuthorizationPolicy.security.istio.io shop/allow-nothing"));
            assert!(
                objects
                    .contains_key("PodDisruptionBudget.policy istio-ingress/istio-ingressgateway-external")
            );
            assert_eq!(
                get("ClusterIssuer.cert-manager.io letsencrypt")["spec"]["acme"]["server"],
                "https://acme-v02.api.letsencrypt.org/directory"
            );
        }
    }
}

/// One mesh over two clusters from one place (`kustomize/multicluster`): each cluster's overlay
/// patches only its name, clusterName and network; the rendered control plane carries exactly those
/// values, the same as the east-west gateway's, and `mesh-ingress check` over the two overlays'
/// configs passes, while a copy that kept cluster1's clusterName fails it.
#[test]
fn multicluster_overlays_differ_only_in_the_cluster_values() {
    if !require("kubectl", &["version", "--client"]) {
        return;
    }
    let home = plugin_home("kustomize-multicluster");
    let dir = root().join("kustomize/multicluster");
    let mut ids = Vec::new();
    for cluster in ["cluster1", "cluster2"] {
        let output =
            kubectl_kustomize(&dir.join(cluster), &[("KUSTOMIZE_PLUGIN_HOME", home.display().to_string())]);
        assert_ok(&output, cluster);
        let objects = objects(&output);
        let network = format!("network-{cluster}");
        let istiod = &objects[&format!("Application.argoproj.io argocd/istiod-{cluster}")];
        let global = &istiod["spec"]["source"]["helm"]["valuesObject"]["global"];
        assert_eq!(global["meshID"], "mesh1", "{cluster}");
        assert_eq!(global["multiCluster"]["clusterName"], cluster, "{cluster}");
        assert_eq!(global["network"], network.as_str(), "{cluster}");
        let east_west = &objects["Deployment.apps istio-system/istio-eastwestgateway"];
        assert_eq!(
            east_west["spec"]["template"]["metadata"]["labels"]["topology.istio.io/network"],
            network.as_str()
        );
        ids.push(objects.keys().map(|id| id.replace(cluster, "CLUSTER")).collect::<Vec<_>>());
    }
    assert_eq!(ids[0], ids[1], "the clusters render the same objects, apart from their names");

    let configs = temp_dir("kustomize-multicluster-configs");
    let mut paths = Vec::new();
    for cluster in ["cluster1", "cluster2"] {
        let config =
            Command::new("kubectl").arg("kustomize").arg(dir.join(cluster).join("config")).output().unwrap();
        assert_ok(&config, &format!("{cluster}/config"));
        let path = configs.join(format!("{cluster}.yaml"));
        std::fs::write(&path, &config.stdout).unwrap();
        paths.push(path);
    }
    let check = Command::new(binary()).arg("check").args(&paths).output().unwrap();
    assert_ok(&check, "mesh-ingress check");
    let copied = String::from_utf8_lossy(&std::fs::read(&paths[1]).unwrap())
        .replace("clusterName: cluster2", "clusterName: cluster1");
    std::fs::write(&paths[1], copied).unwrap();
    let check = Command::new(binary()).arg("check").args(&paths).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("clusters of one mesh differ in clusterName"), "{stderr}");
}
