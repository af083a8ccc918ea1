//! What happens to a user's work under the real `kpt fn render`, render after render: hand edits of
//! generated objects survive config changes, user files and the config are never pruned, two
//! instances sharing a gateway namespace stay stable when one moves away, and a renamed instance
//! takes its objects over. Each scenario ends with a render that must change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/tools.rs"]
mod tools;

use mesh_ingress::krm::io::{self, Limits};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use tools::{path_with_binary, require, temp_dir};

/// A kpt package on disk.
struct Package {
    dir: PathBuf,
}

impl Package {
    /// A package with a Kptfile running mesh-ingress once per config file, in order.
    fn new(name: &str, configs: &[(&str, &str)]) -> Self {
        let dir = temp_dir(&format!("kpt-ownership-{name}")).join("pkg");
        std::fs::create_dir_all(&dir).unwrap();
        let mutators: String = configs
            .iter()
            .map(|(file, _)| format!("  - exec: mesh-ingress\n    configPath: {file}\n"))
            .collect();
        std::fs::write(
            dir.join("Kptfile"),
            format!(
                "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n{mutators}"
            ),
        )
        .unwrap();
        for (file, text) in configs {
            std::fs::write(dir.join(file), text).unwrap();
        }
        Package { dir }
    }

    fn render(&self) -> (bool, String) {
        let output = Command::new("kpt")
            .args(["fn", "render", "--allow-exec", self.dir.to_str().unwrap()])
            .env("PATH", path_with_binary())
            .output()
            .unwrap();
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), text)
    }

    fn render_ok(&self) -> String {
        let (ok, text) = self.render();
        assert!(ok, "kpt fn render failed:\n{text}");
        text
    }

    /// Every file of the package (relative path, content), sorted.
    fn snapshot(&self) -> Vec<(String, String)> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let relative = path.strip_prefix(root).unwrap().display().to_string();
                    out.push((relative, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir, &self.dir, &mut out);
        out.sort();
        out
    }

    /// One more render must change nothing.
    fn assert_fixed_point(&self) {
        let before = self.snapshot();
        self.render_ok();
        let after = self.snapshot();
        let changed: Vec<&String> = before
            .iter()
            .chain(after.iter())
            .map(|(path, _)| path)
            .filter(|path| {
                before.iter().find(|(p, _)| p == *path).map(|(_, c)| c)
                    != after.iter().find(|(p, _)| p == *path).map(|(_, c)| c)
            })
            .collect();
        assert!(changed.is_empty(), "a second render changed {changed:?}");
    }

    fn docs(&self, file: &str) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.join(file)).unwrap();
        io::parse_documents(&text, file, &Limits::default()).unwrap()
    }

    fn write_docs(&self, file: &str, docs: &[Value]) {
        let mut out = Vec::new();
        io::write_stream(docs, &mut out).unwrap();
        std::fs::write(self.dir.join(file), out).unwrap();
    }

    /// The object of `kind` and `name`, wherever it is, with its file.
    fn find(&self, kind: &str, name: &str) -> Option<(String, Value)> {
        self.snapshot().into_iter().filter(|(path, _)| path.ends_with(".yaml")).find_map(|(path, _)| {
            self.docs(&path)
                .into_iter()
                .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
                .map(|d| (path.clone(), d))
        })
    }

    /// Change the object of `kind` and `name` in its file.
    fn edit(&self, kind: &str, name: &str, change: impl FnOnce(&mut Value)) {
        let (file, _) = self.find(kind, name).unwrap_or_else(|| panic!("no {kind} {name}"));
        let mut docs = self.docs(&file);
        let doc = docs.iter_mut().find(|d| d["kind"] == kind && d["metadata"]["name"] == name).unwrap();
        change(doc);
        self.write_docs(&file, &docs);
    }
}

fn config(name: &str, namespace: &str, replicas: u32, extra: &str) -> String {
    format!(
        "apiVersion: mesh-ingress.dev/v1alpha1
kind: MeshIngress
metadata:
  name: {name}
  annotations:
    config.kubernetes.io/local-config: \"true\"
spec:
  namespace: {namespace}
  domains: [{name}.example.com]
  gateways:
  - name: {name}-gw
    workload: {{replicas: {replicas}}}
  certificates:
  - name: {name}-tls
    issuer: letsencrypt-prod
{extra}"
    )
}

#[test]
fn hand_edits_survive_config_changes_and_user_files_survive_renders() {
    if !require("kpt", &["version"]) {
        return;
    }
    // The config carries the marker label itself: it must never be pruned.
    let labelled = config("shop", "istio-ingress", 2, "").replace(
        "metadata:\n  name: shop\n",
        "metadata:\n  name: shop\n  labels:\n    mesh-ingress.dev/instance: shop\n",
    );
    let pkg = Package::new("edits", &[("mesh-ingress.yaml", &labelled)]);
    // The user's own object with the marker copied onto it, in a file of their own.
    std::fs::write(
        pkg.dir.join("settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-settings\n  namespace: istio-ingress\n  labels:\n    mesh-ingress.dev/instance: shop\ndata:\n  motd: hello\n",
    )
    .unwrap();
    pkg.render_ok();
    let role = "arn:aws:iam::111122223333:role/shop-gateway";
    pkg.edit("ServiceAccount", "istio-ingressgateway-shop-gw", |sa| {
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] = json!(role);
    });
    // The config changes the replicas; the edit is kept and the new replicas applied.
    std::fs::write(pkg.dir.join("mesh-ingress.yaml"), labelled.replace("replicas: 2", "replicas: 3"))
        .unwrap();
    let text = pkg.render_ok();
    assert!(text.contains("kept the hand edits"), "{text}");
    let (_, sa) = pkg.find("ServiceAccount", "istio-ingressgateway-shop-gw").unwrap();
    assert_eq!(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], role);
    let (_, deployment) = pkg.find("Deployment", "istio-ingressgateway-shop-gw").unwrap();
    assert_eq!(deployment["spec"]["replicas"], 3);
    assert!(pkg.find("ConfigMap", "shop-settings").is_some(), "the user's object was pruned");
    assert!(pkg.find("MeshIngress", "shop").is_some(), "the config was pruned");
    pkg.assert_fixed_point();

    // Scaling by hand while the config scales too: the render stops and changes nothing.
    pkg.edit("Deployment", "istio-ingressgateway-shop-gw", |d| d["spec"]["replicas"] = json!(5));
    std::fs::write(pkg.dir.join("mesh-ingress.yaml"), labelled.replace("replicas: 2", "replicas: 4"))
        .unwrap();
    let before = pkg.snapshot();
    let (ok, text) = pkg.render();
    assert!(!ok, "a conflicting edit rendered:\n{text}");
    assert!(text.contains("spec.replicas (edited: 5; generated now: 4)"), "{text}");
    assert_eq!(pkg.snapshot(), before, "a failed render changed the package");
}

#[test]
fn a_shared_gateway_namespace_stays_put_when_one_instance_moves_away() {
    if !require("kpt", &["version"]) {
        return;
    }
    let pkg = Package::new(
        "shared",
        &[
            ("shop.yaml", &config("shop", "istio-ingress", 2, "")),
            ("blog.yaml", &config("blog", "istio-ingress", 2, "")),
        ],
    );
    pkg.render_ok();
    pkg.assert_fixed_point();
    // "blog" (first by name) generated the shared Namespace; it moves to its own namespace.
    let (file, _) = pkg.find("Namespace", "istio-ingress").unwrap();
    assert!(file.starts_with("generated/blog/"), "{file}");
    std::fs::write(pkg.dir.join("blog.yaml"), config("blog", "blog-ingress", 2, "")).unwrap();
    pkg.render_ok();
    let (file, _) = pkg.find("Namespace", "istio-ingress").expect("shop's gateway namespace is gone");
    assert!(file.starts_with("generated/shop/"), "{file}");
    assert!(pkg.find("Namespace", "blog-ingress").is_some());
    pkg.assert_fixed_point();
}

#[test]
fn a_renamed_instance_takes_its_objects_over() {
    if !require("kpt", &["version"]) {
        return;
    }
    let pkg = Package::new("rename", &[("mesh-ingress.yaml", &config("shop", "istio-ingress", 2, ""))]);
    pkg.render_ok();
    // Renamed without saying so: an error names the old instance and the fix.
    let renamed = config("store", "istio-ingress", 2, "").replace("store.example.com", "shop.example.com");
    let renamed = renamed.replace("store-gw", "shop-gw").replace("store-tls", "shop-tls");
    std::fs::write(pkg.dir.join("mesh-ingress.yaml"), &renamed).unwrap();
    let (ok, text) = pkg.render();
    assert!(!ok && text.contains("spec.replaces"), "{text}");
    // With spec.replaces, the objects move to the new instance and the old directory goes.
    std::fs::write(pkg.dir.join("mesh-ingress.yaml"), format!("{renamed}  replaces: [shop]\n")).unwrap();
    pkg.render_ok();
    // (kpt deletes emptied files and leaves their directory.)
    let left: Vec<String> =
        pkg.snapshot().into_iter().map(|(p, _)| p).filter(|p| p.starts_with("generated/shop/")).collect();
    assert!(left.is_empty(), "the old instance's files stay: {left:?}");
    let (_, deployment) = pkg.find("Deployment", "istio-ingressgateway-shop-gw").unwrap();
    assert_eq!(deployment["metadata"]["labels"]["mesh-ingress.dev/instance"], "store");
    pkg.assert_fixed_point();
}
