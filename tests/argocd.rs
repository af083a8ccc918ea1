//! mesh-ingress as an Argo CD config management plugin: the shipped `kustomize/argocd/sidecar/
//! plugin.yaml` and the Applications in `kustomize/argocd/applications/` run through an emulation
//! of Argo CD's cmp-server and repo-server (`tests/support/cmp.rs`), so the objects and the error
//! texts are the ones Argo CD would produce. The emulation itself is checked on tiny plugins, and
//! the sidecar Component is rendered with the real `kubectl kustomize`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cmp.rs"]
mod cmp;
#[path = "support/tools.rs"]
mod tools;

use cmp::{App, AppPlugin, Options, Parameter, PluginConfig, Profile};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PROFILES: [Profile; 2] = [Profile::V2_LATEST, Profile::V3_4_plus];
const INSTANCE_LABEL: &str = "mesh-ingress.dev/instance";
const STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";
const PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plugin_yaml() -> PathBuf {
    root().join("kustomize/argocd/sidecar/plugin.yaml")
}

fn shipped_plugin() -> PluginConfig {
    PluginConfig::load(&plugin_yaml()).unwrap()
}

fn application(file: &str) -> App {
    App::from_file(&root().join("kustomize/argocd/applications").join(file)).unwrap()
}

fn application_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("kustomize/argocd/applications"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

/// Every string anywhere in a value.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn all_strings(objects: &[Value]) -> BTreeSet<String> {
    let mut out = Vec::new();
    objects.iter().for_each(|o| strings(o, &mut out));
    out.into_iter().collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| cmp::kind_of(o) == kind).collect()
}

fn describe(object: &Value) -> String {
    format!(
        "{}/{} {}/{}",
        cmp::group_of(object),
        cmp::kind_of(object),
        cmp::namespace_of(object),
        cmp::name_of(object)
    )
}

/// What each shipped Application must produce.
struct Expected {
    file: &'static str,
    app: &'static str,
    domains: &'static [&'static str],
    not_domains: &'static [&'static str],
    acme_server: &'static str,
    email: &'static str,
    /// The kind of the generated routes: VirtualService, or HTTPRoute with `spec.output: gateway-api`.
    route_kind: &'static str,
}

const EXPECTED: &[Expected] = &[
    Expected {
        file: "sandbox.yaml",
        app: "shop-ingress-sandbox",
        domains: &["shop.sandbox.example.com"],
        // The base config's domain, replaced by the `domains` parameter.
        not_domains: &["shop.example.com", "www.shop.example.com"],
        acme_server: STAGING,
        email: "platform-sandbox@example.com",
        route_kind: "VirtualService",
    },
    Expected {
        file: "prod.yaml",
        app: "shop-ingress-prod",
        domains: &["shop.example.com", "www.shop.example.com"],
        not_domains: &["shop.sandbox.example.com"],
        acme_server: PRODUCTION,
        email: "platform@example.com",
        route_kind: "VirtualService",
    },
    Expected {
        file: "gateway-api.yaml",
        app: "shop-ingress-gateway-api",
        domains: &["shop.example.com"],
        not_domains: &[],
        acme_server: PRODUCTION,
        email: "platform@example.com",
        route_kind: "HTTPRoute",
    },
];

/// Checks every rendered Application must pass, whatever its values.
fn check_generic(what: &str, objects: &[Value]) {
    assert!(!objects.is_empty(), "{what}: no objects");
    let labelled: Vec<&Value> = objects
        .iter()
        .filter(|o| o.pointer("/metadata/labels").and_then(|l| l.get(INSTANCE_LABEL)).is_some())
        .collect();
    assert!(
        labelled.len() >= 5,
        "{what}: the function did not run: only {} object(s) carry {INSTANCE_LABEL}",
        labelled.len()
    );
    for kind in ["Deployment", "Service", "Gateway", "Certificate"] {
        assert!(
            labelled.iter().any(|o| cmp::kind_of(o) == kind),
            "{what}: no generated {kind} carrying {INSTANCE_LABEL}"
        );
    }
    for object in objects {
        let group = cmp::group_of(object);
        let kind = cmp::kind_of(object);
        assert!(
            !matches!(kind, "MeshIngress" | "Kustomization" | "Component" | "Kptfile")
                && !matches!(
                    group.as_str(),
                    "mesh-ingress.dev" | "kustomize.config.k8s.io" | "kpt.dev" | "config.kubernetes.io"
                ),
            "{what}: configuration leaked into the output: {}",
            describe(object)
        );
        assert!(
            !cmp::namespace_of(object).is_empty() || cmp::is_cluster_scoped(&group, kind),
            "{what}: {} is namespaced but sets no metadata.namespace (Argo CD would put it in the \
             destination namespace)",
            describe(object)
        );
    }
}

fn check_expected(what: &str, expected: &Expected, objects: &[Value]) {
    let certificates = of_kind(objects, "Certificate");
    assert!(!certificates.is_empty(), "{what}: no Certificate");
    for certificate in &certificates {
        let dns: BTreeSet<&str> = certificate
            .pointer("/spec/dnsNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let want: BTreeSet<&str> = expected.domains.iter().copied().collect();
        assert_eq!(dns, want, "{what}: dnsNames of {}", describe(certificate));
    }
    for domain in expected.domains {
        for kind in ["Gateway", expected.route_kind] {
            assert!(
                of_kind(objects, kind).iter().any(|o| all_strings(&[(*o).clone()]).contains(*domain)),
                "{what}: no {kind} serves {domain}"
            );
        }
    }
    let everything = all_strings(objects);
    for domain in expected.not_domains {
        assert!(!everything.contains(*domain), "{what}: {domain} should have been overridden");
    }
    assert!(
        !everything.contains("ops@example.com"),
        "{what}: the base config's e-mail survived the EMAIL env override"
    );
    let issuers: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            matches!(cmp::kind_of(o), "ClusterIssuer" | "Issuer") && o.pointer("/spec/acme").is_some()
        })
        .collect();
    assert!(!issuers.is_empty(), "{what}: no ACME issuer");
    for issuer in issuers {
        assert_eq!(
            issuer.pointer("/spec/acme/server").and_then(Value::as_str),
            Some(expected.acme_server),
            "{what}: ACME server of {}",
            describe(issuer)
        );
        assert_eq!(
            issuer.pointer("/spec/acme/email").and_then(Value::as_str),
            Some(expected.email),
            "{what}: ACME e-mail of {}",
            describe(issuer)
        );
    }
}

#[test]
fn every_shipped_application_renders_through_the_shipped_plugin() {
    let plugin = shipped_plugin();
    let files = application_files();
    for expected in EXPECTED {
        assert!(
            files.iter().any(|f| f.ends_with(expected.file)),
            "kustomize/argocd/applications/{} is gone",
            expected.file
        );
    }
    for file in files {
        let app = App::from_file(&file).unwrap();
        let mut rendered = Vec::new();
        for profile in PROFILES {
            let what = format!("{} ({profile:?})", file.display());
            let objects = cmp::generate(&plugin, &root(), &app, &Options::new(profile))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            check_generic(&what, &objects);
            if let Some(expected) = EXPECTED.iter().find(|e| file.ends_with(e.file)) {
                assert_eq!(app.name, expected.app, "{what}: Application name");
                check_expected(&what, expected, &objects);
            } else {
                eprintln!("note: {what} has no expectations in tests/argocd.rs beyond the generic ones");
            }
            rendered.push(objects);
        }
        assert_eq!(
            rendered[0],
            rendered[1],
            "{}: Argo CD v2 and v3 environments give different objects",
            file.display()
        );
    }
}

#[test]
fn applications_name_the_shipped_plugin_and_version() {
    let plugin = shipped_plugin();
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(plugin.version, version, "plugin.yaml spec.version follows the crate version");
    assert_eq!(plugin.plugin_name(), format!("mesh-ingress-{version}"));
    assert_eq!(plugin.generate.argv(), ["mesh-ingress", "render", "--argocd", "mesh-ingress.yaml", "."]);
    assert_eq!(plugin.discover.file_name, "mesh-ingress.yaml");
    let announced: Vec<&str> =
        plugin.static_parameters.iter().filter_map(|p| p.get("name").and_then(Value::as_str)).collect();
    assert_eq!(announced, ["name", "domains", "namespace", "revision", "acmeServer", "email"]);
    for file in application_files() {
        let app = App::from_file(&file).unwrap();
        let used = app.plugin.as_ref().expect("a plugin section");
        assert_eq!(used.name, plugin.plugin_name(), "{}", file.display());
        for parameter in &used.parameters {
            assert!(
                announced.contains(&parameter.name.as_str()),
                "{}: parameter {:?} is not announced by plugin.yaml",
                file.display(),
                parameter.name
            );
        }
    }
}

/// A copy of the repository (without .git and target) to break on purpose.
fn scratch_repo() -> PathBuf {
    let dir = cmp::fresh_dir("scratch-repo");
    // A clean clone's content: no build output (which also keeps the copy small).
    let mut exclusions = vec![".git".to_string()];
    exclusions.extend(cmp::git_ignored(&root()));
    cmp::copy_tree(&root(), &dir, &exclusions, true).unwrap();
    dir
}

#[test]
fn a_broken_config_reaches_the_user_as_argo_cd_shows_it() {
    let repo = scratch_repo();
    let config = repo.join("kustomize/base/mesh-ingress.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("  domains: [shop.example.com]\n") && text.contains("provider: aws-nlb\n"),
        "kustomize/base/mesh-ingress.yaml changed: update where this test injects its mistakes"
    );
    let broken = text
        .replace("  domains: [shop.example.com]\n", "  domainz: [shop.example.com]\n")
        .replace("provider: aws-nlb\n", "provider: aws-nlbb\n");
    std::fs::write(&config, broken).unwrap();
    let app = application("sandbox.yaml");
    for profile in PROFILES {
        let error = cmp::generate(&shipped_plugin(), &repo, &app, &Options::new(profile)).unwrap_err();
        let prefix = match profile {
            Profile::V3_4_plus => "CMP processing failed for application \"shop-ingress-sandbox\": ",
            Profile::V2_x(_) => "plugin sidecar failed. ",
        };
        let wrapper = format!(
            "{prefix}error generating manifests in cmp: rpc error: code = Unknown desc = error generating \
             manifests: `mesh-ingress render --argocd mesh-ingress.yaml .` failed exit status 1: "
        );
        assert!(error.starts_with(&wrapper), "{profile:?}: {error}");
        for needle in [
            "spec.domainz",
            "did you mean \"domains\"",
            "spec.gateways[0].loadBalancer.provider",
            "did you mean \"aws-nlb\"",
        ] {
            assert!(error.contains(needle), "{profile:?}: {needle:?} missing from: {error}");
        }
        assert!(!error.contains("apiVersion:"), "stdout must not reach the message: {error}");
    }
    let _ = std::fs::remove_dir_all(&repo);
}

#[test]
fn an_unknown_plugin_parameter_fails_with_a_suggestion() {
    let mut app = application("sandbox.yaml");
    let plugin = app.plugin.as_mut().unwrap();
    let domains = plugin.parameters.iter_mut().find(|p| p.name == "domains").unwrap();
    domains.name = "domain".into();
    let error =
        cmp::generate(&shipped_plugin(), &root(), &app, &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert!(
        error.starts_with(
            "CMP processing failed for application \"shop-ingress-sandbox\": error generating manifests in \
             cmp: rpc error: code = Unknown desc = error generating manifests: `mesh-ingress render --argocd \
             mesh-ingress.yaml .` failed exit status 2: "
        ),
        "{error}"
    );
    assert!(error.contains("\"domain\"") && error.contains("did you mean \"domains\""), "{error}");
}

/// Argo CD keeps parameter overrides in Git as `.argocd-source.yaml` / `.argocd-source-<app>.yaml`
/// in the app directory ("Store Overrides In Git", docs/user-guide/parameters.md; written back by
/// argocd-image-updater). The repo-server merges them into `spec.source` and the file stays in the
/// directory the plugin renders: the plugin must not emit it as a manifest.
#[test]
fn an_argocd_source_override_file_is_not_rendered_as_a_manifest() {
    let repo = scratch_repo();
    std::fs::write(
        repo.join("kustomize/base/.argocd-source-shop-ingress-sandbox.yaml"),
        "plugin:\n  env:\n  - name: EMAIL\n    value: overridden@example.com\n",
    )
    .unwrap();
    let app = application("sandbox.yaml");
    let objects = cmp::generate(&shipped_plugin(), &repo, &app, &Options::new(Profile::V3_4_plus))
        .unwrap_or_else(|e| {
            panic!("PRODUCT BUG: `render DIR` reads Argo CD's override file as a manifest: {e}")
        });
    let issuer = objects.iter().find(|o| cmp::kind_of(o) == "ClusterIssuer").unwrap();
    assert_eq!(issuer.pointer("/spec/acme/email").and_then(Value::as_str), Some("overridden@example.com"));
    let _ = std::fs::remove_dir_all(&repo);
}

#[test]
fn a_plugin_name_without_the_version_is_not_found() {
    let mut app = application("sandbox.yaml");
    app.plugin.as_mut().unwrap().name = "mesh-ingress".into();
    let error =
        cmp::generate(&shipped_plugin(), &root(), &app, &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert_eq!(
        error,
        "CMP processing failed for application \"shop-ingress-sandbox\": could not find cmp-server plugin \
         with name \"mesh-ingress\" supporting the given repository: error dialing to cmp-server for plugin \
         mesh-ingress.sock: error dial proxy: dial unix /home/argocd/cmp-server/plugins/mesh-ingress.sock: \
         connect: no such file or directory"
    );
    // Before v3.4 the cause is only logged.
    let error =
        cmp::generate(&shipped_plugin(), &root(), &app, &Options::new(Profile::V2_LATEST)).unwrap_err();
    assert_eq!(
        error,
        "plugin sidecar failed. couldn't find cmp-server plugin with name \"mesh-ingress\" supporting the given \
         repository"
    );
}

#[test]
fn discovery_must_match_even_for_a_named_plugin() {
    let mut app = application("prod.yaml");
    app.path = "kustomize/argocd/applications".into();
    let error =
        cmp::generate(&shipped_plugin(), &root(), &app, &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert_eq!(
        error,
        "CMP processing failed for application \"shop-ingress-prod\": could not find cmp-server plugin with \
         name \"mesh-ingress-v0.1.0\" supporting the given repository"
    );
    let error =
        cmp::generate(&shipped_plugin(), &root(), &app, &Options::new(Profile::V2_LATEST)).unwrap_err();
    assert_eq!(
        error,
        "plugin sidecar failed. couldn't find cmp-server plugin with name \"mesh-ingress-v0.1.0\" supporting \
         the given repository"
    );
}

#[test]
fn a_sidecar_without_the_binary_fails_like_argo_cd() {
    let app = application("sandbox.yaml");
    let mut options = Options::new(Profile::V3_4_plus);
    let empty = cmp::fresh_dir("empty-bin");
    options.sidecar_env = vec![
        ("PATH".into(), empty.display().to_string()),
        ("HOME".into(), cmp::fresh_dir("home").display().to_string()),
    ];
    let error = cmp::generate(&shipped_plugin(), &root(), &app, &options).unwrap_err();
    assert_eq!(
        error,
        "CMP processing failed for application \"shop-ingress-sandbox\": error generating manifests in cmp: \
         rpc error: code = Unknown desc = error generating manifests: exec: \"mesh-ingress\": executable file \
         not found in $PATH"
    );
}

#[test]
fn the_test_runner_environment_does_not_leak_into_the_plugin() {
    // The plugin sees the sidecar's environment plus Argo CD's variables, nothing of the runner's.
    let app = application("sandbox.yaml");
    let outcome = cmp::run(&shipped_plugin(), &root(), &app, &Options::new(Profile::V3_4_plus)).unwrap();
    let names: BTreeSet<&str> = outcome.env.iter().map(|(n, _)| n.as_str()).collect();
    for name in &names {
        assert!(
            matches!(*name, "PATH" | "HOME" | "KUBE_VERSION" | "KUBE_API_VERSIONS" | "ARGOCD_APP_PARAMETERS")
                || name.starts_with("ARGOCD_APP_")
                || name.starts_with("ARGOCD_ENV_")
                || name.starts_with("PARAM_"),
            "unexpected variable {name}"
        );
    }
    let path = &outcome.env.iter().find(|(n, _)| n == "PATH").unwrap().1;
    let entries: Vec<String> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["mesh-ingress"], "PATH holds only the plugin's binary");
}

// ------------------------------------------------------------------------------------------------
// The emulation itself, on tiny plugins
// ------------------------------------------------------------------------------------------------

/// A repository with the given files (path, content, mode).
fn fake_repo(files: &[(&str, &str, u32)]) -> PathBuf {
    let dir = cmp::fresh_dir("fake-repo");
    for (path, content, mode) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    dir
}

fn default_repo() -> PathBuf {
    fake_repo(&[("app/marker.txt", "x\n", 0o644)])
}

/// A plugin whose generate runs `script` with `/bin/sh -c` (the plugin asks for the shell).
fn sh_plugin(script: &str) -> PluginConfig {
    PluginConfig::parse(&format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: fake\nspec:\n  \
         generate:\n    command: [/bin/sh, -c]\n    args:\n    - {}\n",
        serde_json::to_string(script).unwrap()
    ))
    .unwrap()
}

fn fake_app() -> App {
    let mut app = App::new("demo", "app");
    app.plugin = Some(AppPlugin { name: "fake".into(), ..Default::default() });
    app
}

const GENERATE_ERROR: &str = "CMP processing failed for application \"demo\": error generating manifests in cmp: \
                              rpc error: code = Unknown desc = error generating manifests: ";

const CONFIG_MAP: &str = "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: a\\n'";

#[test]
fn stray_text_on_stdout_is_refused_like_argo_cd() {
    let plugin = sh_plugin(&format!("echo Rendering...; echo ---; {CONFIG_MAP}"));
    let error =
        cmp::generate(&plugin, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert_eq!(
        error,
        "CMP processing failed for application \"demo\": failed to convert CMP manifests to unstructured \
         objects: failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: json: cannot \
         unmarshal string into Go value of type map[string]interface {}"
    );
}

#[test]
fn a_document_without_kind_is_refused_like_argo_cd() {
    let plugin = sh_plugin("printf 'apiVersion: v1\\nmetadata:\\n  name: a <&>\\n'");
    let error =
        cmp::generate(&plugin, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert_eq!(
        error,
        "CMP processing failed for application \"demo\": failed to convert CMP manifests to unstructured \
         objects: failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: Object 'Kind' is \
         missing in '{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a \\u003c\\u0026\\u003e\"}}'"
    );
}

#[test]
fn empty_output_fails_unless_allowed() {
    let plugin = sh_plugin(": nothing to print");
    let app = fake_app();
    let error = cmp::generate(&plugin, &default_repo(), &app, &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert!(
        error
            .starts_with("harness strict check (Argo CD would accept this): the plugin produced 0 object(s)"),
        "{error}"
    );
    let mut options = Options::new(Profile::V3_4_plus);
    options.min_objects = 0;
    assert_eq!(cmp::generate(&plugin, &default_repo(), &app, &options).unwrap(), Vec::<Value>::new());
}

#[test]
fn a_slow_plugin_is_killed_at_the_deadline() {
    let plugin = sh_plugin("/bin/sleep 30; echo late");
    let mut options = Options::new(Profile::V3_4_plus);
    options.timeout = Duration::from_secs(1);
    let start = Instant::now();
    let error = cmp::generate(&plugin, &default_repo(), &fake_app(), &options).unwrap_err();
    let elapsed = start.elapsed();
    assert_eq!(
        error,
        format!("{GENERATE_ERROR}`/bin/sh -c \"/bin/sleep 30; echo late\"` failed signal: killed")
    );
    assert!(
        elapsed >= Duration::from_millis(800) && elapsed < Duration::from_secs(4),
        "killed after {elapsed:?}, expected about 1 s"
    );
}

#[test]
fn a_failing_command_shows_its_trimmed_stderr_but_not_its_stdout() {
    let plugin = sh_plugin("echo partial: output; echo '  Error: boom  ' >&2; exit 3");
    let error =
        cmp::generate(&plugin, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert_eq!(
        error,
        format!(
            "{GENERATE_ERROR}`/bin/sh -c \"echo partial: output; echo '  Error: boom  ' >&2; exit 3\"` failed \
             exit status 3: Error: boom"
        )
    );
}

#[test]
fn file_modes_are_reset_unless_the_plugin_preserves_them() {
    let script =
        "#!/bin/sh\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-script\\n'\n";
    let repo = fake_repo(&[("app/gen.sh", script, 0o755)]);
    let config = |preserve: bool| {
        PluginConfig::parse(&format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: fake\nspec:\n  \
             preserveFileMode: {preserve}\n  generate:\n    command: [./gen.sh]\n"
        ))
        .unwrap()
    };
    let error =
        cmp::generate(&config(false), &repo, &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert_eq!(error, format!("{GENERATE_ERROR}fork/exec ./gen.sh: permission denied"));
    let objects =
        cmp::generate(&config(true), &repo, &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(cmp::name_of(&objects[0]), "from-script");
    // Directories 0755, files 0644, and the whole repository is there (`../` works).
    let repo = fake_repo(&[("app/x.txt", "x", 0o600), ("base/b.txt", "b", 0o755)]);
    let plugin = sh_plugin(
        "d=$(/usr/bin/stat -c %a . ../base); f=$(/usr/bin/stat -c %a x.txt ../base/b.txt); \
         printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: modes\\ndata:\\n  dirs: \"%s\"\\n  files: \"%s\"\\n' \
         \"$(echo $d)\" \"$(echo $f)\"",
    );
    let objects = cmp::generate(&plugin, &repo, &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap();
    assert_eq!(objects[0].pointer("/data/dirs").and_then(Value::as_str), Some("755 755"));
    assert_eq!(objects[0].pointer("/data/files").and_then(Value::as_str), Some("644 644"));
}

#[test]
fn init_runs_first_and_its_stdout_is_discarded() {
    let plugin = PluginConfig::parse(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: fake\nspec:\n  init:\n    \
         command: [/bin/sh, -c]\n    args: ['echo not yaml: [; echo from-init > init.txt']\n  generate:\n    command: \
         [/bin/sh, -c]\n    args: ['read m < init.txt; printf \"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: \
         %s\\n\" \"$m\"']\n",
    )
    .unwrap();
    let objects =
        cmp::generate(&plugin, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap();
    assert_eq!(objects.iter().map(cmp::name_of).collect::<Vec<_>>(), ["from-init"]);
}

#[test]
fn stdout_is_split_like_argo_cd() {
    // Separators with comments, comment-only, empty and null documents are skipped.
    let manifests = cmp::split_yaml_to_string(
        "---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n--- # next\n\n---\nnull\n---",
    )
    .unwrap();
    assert_eq!(manifests, ["{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}"]);
    assert_eq!(
        cmp::split_yaml_to_string("a: 1\n---- \nb: 2\n").unwrap_err(),
        "failed to unmarshal manifest: invalid Yaml document separator: -"
    );
    // A JSON stream, sniffed by its first non-space byte.
    let manifests =
        cmp::split_yaml_to_string(" \n{\"kind\":\"A\",\"apiVersion\":\"v1\"}\n{\"kind\":\"B\"} null")
            .unwrap();
    assert_eq!(manifests, ["{\"apiVersion\":\"v1\",\"kind\":\"A\"}", "{\"kind\":\"B\"}"]);
    // YAML 1.1 scalars, as go-yaml v2 reads them.
    let manifests = cmp::split_yaml_to_string("kind: A\nflag: yes\nother: off\nquoted: \"on\"\n").unwrap();
    assert_eq!(manifests, ["{\"flag\":true,\"kind\":\"A\",\"other\":false,\"quoted\":\"on\"}"]);
    // A top-level list is refused by the repo-server, a List object is expanded.
    assert!(cmp::split_yaml("- a\n- b\n").unwrap_err().contains("cannot unmarshal array into Go value"));
    let plugin = sh_plugin(
        "printf 'apiVersion: v1\\nkind: List\\nitems:\\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\\n- \
         {apiVersion: v1, kind: Secret, metadata: {name: b}}\\n---\\nkind: ConfigMapList\\napiVersion: v1\\nitems: null\\n'",
    );
    let objects =
        cmp::generate(&plugin, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap();
    assert_eq!(objects.iter().map(cmp::kind_of).collect::<Vec<_>>(), ["ConfigMap", "Secret"]);
}

#[test]
fn the_strict_output_checks_catch_what_argo_cd_lets_through() {
    let duplicate = sh_plugin(&format!("{CONFIG_MAP}; echo ---; {CONFIG_MAP}"));
    let error = cmp::generate(&duplicate, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus))
        .unwrap_err();
    assert!(
        error.contains("duplicate object: group \"\", kind ConfigMap, namespace \"\", name \"a\""),
        "{error}"
    );
    let nameless = sh_plugin("printf 'apiVersion: v1\\nkind: ConfigMap\\n'");
    let error = cmp::generate(&nameless, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus))
        .unwrap_err();
    assert!(error.contains("has no metadata.name"), "{error}");
    let versionless = sh_plugin("printf 'kind: ConfigMap\\nmetadata: {name: a}\\n'");
    let error = cmp::generate(&versionless, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus))
        .unwrap_err();
    assert!(error.contains("has no apiVersion"), "{error}");
    let latin1 = sh_plugin("printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: \\351}\\n'");
    let error =
        cmp::generate(&latin1, &default_repo(), &fake_app(), &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert!(error.contains("stdout is not UTF-8"), "{error}");
    let mut options = Options::new(Profile::V3_4_plus);
    options.max_output_bytes = 10;
    let error = cmp::generate(&sh_plugin(CONFIG_MAP), &default_repo(), &fake_app(), &options).unwrap_err();
    assert!(error.contains("more than the budget of 10"), "{error}");
}

/// Render the environment as a ConfigMap: `data.env` holds `/usr/bin/env`'s lines.
const ENV_DUMP: &str = "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: env\\ndata:\\n  pwd: \"%s\"\\n  env: |\\n' \
                        \"$(pwd -P)\"; /usr/bin/env | while IFS= read -r line; do printf '    %s\\n' \"$line\"; done";

fn dumped_env(objects: &[Value]) -> (BTreeMap<String, String>, String) {
    let text = objects[0].pointer("/data/env").and_then(Value::as_str).unwrap();
    let mut env = BTreeMap::new();
    for line in text.lines() {
        let (name, value) = line.split_once('=').unwrap();
        // Variables the shell itself adds.
        if !matches!(name, "PWD" | "OLDPWD" | "SHLVL" | "_") {
            env.insert(name.to_string(), value.to_string());
        }
    }
    let pwd = objects[0].pointer("/data/pwd").and_then(Value::as_str).unwrap().to_string();
    (env, pwd)
}

fn env_app() -> App {
    let mut app = App::new("guestbook", "apps/env");
    app.app_namespace = "team-a".into();
    app.dest_namespace = "dev".into();
    app.project = "proj-a".into();
    app.repo_url = "https://example.com/r.git".into();
    app.target_revision = "main".into();
    app.kube_version = "v1.29.3".into();
    app.api_versions =
        ["v1/ConfigMap", "v1", "apps/v1/Deployment", "apps/v1", "v1"].map(String::from).to_vec();
    app.plugin = Some(AppPlugin {
        name: "fake".into(),
        env: vec![
            ("FOO".into(), "rev-$ARGOCD_APP_REVISION_SHORT $$HOME ${NOPE}".into()),
            ("EMPTY".into(), String::new()),
            ("KUBE".into(), "v=${KUBE_VERSION}".into()),
            ("SIDE".into(), "[$HOME]".into()),
        ],
        parameters: vec![
            Parameter::array("values-files", &["a.yaml", "b.yaml"]),
            Parameter::map("helm-parameters", &[("image.tag", "v1")]),
            Parameter::string("some.string", "x y"),
            Parameter::string("html", "<a&b>"),
        ],
    });
    app
}

#[test]
fn the_environment_has_argo_cd_rows_for_each_version() {
    let repo = fake_repo(&[("apps/env/marker.txt", "x", 0o644)]);
    let plugin = sh_plugin(ENV_DUMP);
    let parameters = "[{\"array\":[\"a.yaml\",\"b.yaml\"],\"name\":\"values-files\"},{\"map\":{\"image.tag\":\"v1\"},\
                      \"name\":\"helm-parameters\"},{\"name\":\"some.string\",\"string\":\"x y\"},{\"name\":\"html\",\
                      \"string\":\"\\u003ca\\u0026b\\u003e\"}]";
    // The work directory: <sidecar tmp>/_cmp_server/<uuid>/<path>.
    let work_dir = regex::Regex::new(
        r"/_cmp_server/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/apps/env$",
    )
    .unwrap();
    for profile in [Profile::V3_4_plus, Profile::V2_LATEST, Profile::V2_x(8)] {
        let options = Options::new(profile);
        let objects = cmp::generate(&plugin, &repo, &env_app(), &options).unwrap_or_else(|e| panic!("{e}"));
        let (env, pwd) = dumped_env(&objects);
        let mut want: BTreeMap<String, String> = options.sidecar_env.iter().cloned().collect();
        let v3 = profile == Profile::V3_4_plus;
        let short = profile.has_revision_short();
        let mut rows = vec![
            ("ARGOCD_APP_NAME", "team-a_guestbook"),
            ("ARGOCD_APP_NAMESPACE", "dev"),
            ("ARGOCD_APP_REVISION", cmp::DEFAULT_REVISION),
            ("ARGOCD_APP_SOURCE_REPO_URL", "https://example.com/r.git"),
            ("ARGOCD_APP_SOURCE_PATH", "apps/env"),
            ("ARGOCD_APP_SOURCE_TARGET_REVISION", "main"),
            ("KUBE_VERSION", if v3 { "1.29.3" } else { "1.29" }),
            ("KUBE_API_VERSIONS", "apps/v1,apps/v1/Deployment,v1,v1/ConfigMap"),
            ("ARGOCD_ENV_FOO", if short { "rev-f913b6c $HOME " } else { "rev- $HOME " }),
            ("ARGOCD_ENV_KUBE", if v3 { "v=1.29.3" } else { "v=1.29" }),
            ("ARGOCD_ENV_SIDE", "[]"),
            ("ARGOCD_APP_PARAMETERS", parameters),
            ("PARAM_VALUES_FILES_0", "a.yaml"),
            ("PARAM_VALUES_FILES_1", "b.yaml"),
            ("PARAM_HELM_PARAMETERS_IMAGE_TAG", "v1"),
            ("PARAM_SOME_STRING", "x y"),
            ("PARAM_HTML", "<a&b>"),
        ];
        if v3 {
            rows.push(("ARGOCD_APP_PROJECT_NAME", "proj-a"));
            rows.push(("ARGOCD_ENV_EMPTY", ""));
        }
        if short {
            rows.push(("ARGOCD_APP_REVISION_SHORT", "f913b6c"));
        }
        if profile.has_revision_short_8() {
            rows.push(("ARGOCD_APP_REVISION_SHORT_8", "f913b6cb"));
        }
        want.extend(rows.into_iter().map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(env, want, "{profile:?}");
        assert!(work_dir.is_match(&pwd), "{pwd}");
    }
}

#[test]
fn without_parameters_or_plugin_section_the_variables_are_absent() {
    let repo = fake_repo(&[("apps/env/marker.txt", "x", 0o644)]);
    // A plugin section without parameters: ARGOCD_APP_PARAMETERS is Go's `null`.
    let mut app = env_app();
    app.plugin.as_mut().unwrap().parameters.clear();
    let objects =
        cmp::generate(&sh_plugin(ENV_DUMP), &repo, &app, &Options::new(Profile::V3_4_plus)).unwrap();
    let (env, _) = dumped_env(&objects);
    assert_eq!(env.get("ARGOCD_APP_PARAMETERS").map(String::as_str), Some("null"));
    assert!(!env.keys().any(|k| k.starts_with("PARAM_")), "{env:?}");
    // No plugin section: Argo CD uses the plugin only through discovery, without ARGOCD_ENV_*.
    app.plugin = None;
    let error =
        cmp::generate(&sh_plugin(ENV_DUMP), &repo, &app, &Options::new(Profile::V3_4_plus)).unwrap_err();
    assert!(error.contains("could not find plugin supporting the given repository"), "{error}");
    let discovered = PluginConfig::parse(&format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: fake\nspec:\n  discover:\n    \
         fileName: '*.txt'\n  generate:\n    command: [/bin/sh, -c]\n    args:\n    - {}\n",
        serde_json::to_string(ENV_DUMP).unwrap()
    ))
    .unwrap();
    let objects = cmp::generate(&discovered, &repo, &app, &Options::new(Profile::V3_4_plus)).unwrap();
    let (env, _) = dumped_env(&objects);
    assert!(env.contains_key("KUBE_VERSION") && env.contains_key("ARGOCD_APP_NAME"), "{env:?}");
    assert!(
        !env.keys()
            .any(|k| k.starts_with("ARGOCD_ENV_") || k.starts_with("PARAM_") || k == "ARGOCD_APP_PARAMETERS"),
        "{env:?}"
    );
}

#[test]
fn source_overrides_in_git_are_merged_like_argo_cd() {
    let repo = fake_repo(&[
        ("app/.argocd-source.yaml", "plugin:\n  env:\n  - {name: FOO, value: from-git}\n", 0o644),
        ("app/.argocd-source-demo.yaml", "plugin:\n  parameters:\n  - {name: p, string: v}\n", 0o644),
        ("app/.argocd-source-other.yaml", "plugin:\n  env: [{name: BAR, value: not-mine}]\n", 0o644),
    ]);
    let mut app = fake_app();
    app.plugin.as_mut().unwrap().env = vec![("FOO".into(), "from-app".into()), ("KEEP".into(), "x".into())];
    let objects =
        cmp::generate(&sh_plugin(ENV_DUMP), &repo, &app, &Options::new(Profile::V3_4_plus)).unwrap();
    let (env, _) = dumped_env(&objects);
    // A merge patch replaces lists whole: the Application's env list is gone.
    assert_eq!(env.get("ARGOCD_ENV_FOO").map(String::as_str), Some("from-git"));
    assert!(!env.contains_key("ARGOCD_ENV_KEEP") && !env.contains_key("ARGOCD_ENV_BAR"), "{env:?}");
    assert_eq!(env.get("PARAM_P").map(String::as_str), Some("v"));
}

#[test]
fn discovery_methods_follow_argo_cd() {
    let repo = fake_repo(&[("app/sub/s1.yaml", "x", 0o644), ("app/deep/er/Chart.yaml", "x", 0o644)]);
    let with_discover = |discover: &str| {
        PluginConfig::parse(&format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: fake\nspec:\n  \
             discover:\n{discover}\n  generate:\n    command: [/bin/sh, -c, \"{CONFIG_MAP}\"]\n"
        ))
        .unwrap()
    };
    let mut app = fake_app();
    app.plugin.as_mut().unwrap().name = String::new();
    let options = Options::new(Profile::V3_4_plus);
    let matches = |plugin: &PluginConfig| cmp::generate(plugin, &repo, &app, &options);
    assert!(matches(&with_discover("    fileName: ./sub/s*.yaml")).is_ok());
    let error = matches(&with_discover("    fileName: '**/Chart.yaml'")).unwrap_err();
    assert_eq!(
        error,
        "CMP processing failed for application \"demo\": could not find plugin supporting the given repository"
    );
    assert!(matches(&with_discover("    find:\n      glob: '**/Chart.yaml'")).is_ok());
    assert!(matches(&with_discover("    find:\n      command: [/bin/sh, -c, 'echo yes']")).is_ok());
    assert!(matches(&with_discover("    find:\n      command: [/bin/sh, -c, 'echo']")).is_err());
    let error = matches(&with_discover("    fileName: '['")).unwrap_err();
    assert!(
        error.starts_with(
            "CMP processing failed for application \"demo\": could not find plugin supporting the given \
             repository: error checking repository support for plugin fake.sock: rpc error: code = Unknown desc = \
             match repository error: error finding filename match for pattern \""
        ) && error.ends_with("/app/[\": syntax error in pattern"),
        "{error}"
    );
}

#[test]
fn plugin_yaml_is_validated_like_argo_cd_and_then_strictly() {
    let head = "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\n";
    let parse = |text: &str| PluginConfig::parse_lenient(text).map(|_| ()).unwrap_err();
    assert_eq!(
        parse(&format!("{head}spec:\n  generate: {{command: [x]}}\n")),
        "invalid plugin configuration file. metadata.name should be non-empty"
    );
    assert_eq!(
        parse("kind: ConfigManagementPlugins\nmetadata: {name: p}\nspec:\n  generate: {command: [x]}\n"),
        "invalid plugin configuration file. kind should be ConfigManagementPlugin, found ConfigManagementPlugins"
    );
    assert_eq!(
        parse(&format!("{head}metadata: {{name: p}}\nspec:\n  generate: {{args: [x]}}\n")),
        "invalid plugin configuration file. spec.generate command should be non-empty"
    );
    assert_eq!(
        parse(&format!("{head}metadata: {{name: p}}\nspec:\n  version: 1.0\n  generate: {{command: [x]}}\n")),
        "json: cannot unmarshal number into Go struct field PluginConfigSpec.spec.version of type string"
    );
    // Argo CD accepts these; the strict check does not.
    let strict_only = [
        (
            "spec:\n  discovery: {fileName: x}\n  generate: {command: [x]}\n",
            "unknown key \"spec.discovery\" (did you mean \"discover\"?)",
        ),
        ("spec:\n  Generate: {command: [x]}\n", "unknown key \"spec.Generate\" (did you mean \"generate\"?)"),
        (
            "spec:\n  generate: {command: [x]}\n  parameters:\n    static: [{name: a, collectionType: list}]\n",
            "collectionType \"list\" is not one of",
        ),
        (
            "spec:\n  generate: {command: [x]}\n  parameters:\n    static: [{name: a, array: [x]}]\n",
            "has an array default but collectionType is not \"array\"",
        ),
        (
            "spec:\n  generate: {command: [x]}\n  parameters:\n    static: [{name: a, map: {k: v}, collectionType: array}]\n",
            "has a map default but collectionType is not \"map\"",
        ),
        (
            "spec:\n  generate: {command: [x]}\n  discover: {fileName: x, find: {glob: '*.x'}}\n",
            "sets both fileName and find",
        ),
    ];
    for (spec, want) in strict_only {
        let text = format!("{head}metadata: {{name: p}}\n{spec}");
        PluginConfig::parse_lenient(&text).unwrap_or_else(|e| panic!("Argo CD accepts {spec:?}: {e}"));
        let error = PluginConfig::parse(&text).map(|_| ()).unwrap_err();
        assert!(error.contains(want), "{spec:?}: {error}");
    }
    // Keys match case-insensitively, as Go's encoding/json does; only the first document counts.
    let config = PluginConfig::parse_lenient(&format!(
        "{head}metadata: {{name: p}}\nspec:\n  Generate: {{Command: [x]}}\n---\nkind: Other\n"
    ))
    .unwrap();
    assert_eq!(config.generate.argv(), ["x"]);
    assert_eq!(config.plugin_name(), "p");
    // The shipped file passes the strict check.
    shipped_plugin();
}

#[test]
fn go_compatible_helpers() {
    assert_eq!(cmp::go_quote("a \"b\"\t\\"), "\"a \\\"b\\\"\\t\\\\\"");
    assert_eq!(
        cmp::args_to_log(&["sh".into(), "-c".into(), "echo hi".into(), String::new()]),
        "sh -c \"echo hi\" \"\""
    );
    let vars: BTreeMap<String, String> = [("A".to_string(), "1".to_string())].into();
    for (input, want) in [
        ("$A-${A}", "1-1"),
        ("$$A", "$A"),
        ("${NOPE}x", "x"),
        ("$1 $", " $"),
        ("${}x", "x"),
        ("${A", "A"),
        ("no dollar", "no dollar"),
        ("a$", "a$"),
    ] {
        assert_eq!(cmp::envsubst(input, &vars), want, "{input:?}");
    }
    assert_eq!(cmp::escaped("values-files"), "VALUES_FILES");
    assert_eq!(cmp::escaped("image.tag"), "IMAGE_TAG");
    assert_eq!(cmp::escaped("straße"), "STRA_E");
    assert_eq!(
        cmp::go_json(&serde_json::json!({"b": 1.0, "a": [0.5, 1e21, 1e-7], "c": "\u{8}\u{1}"})),
        "{\"a\":[0.5,1e+21,1e-7],\"b\":1,\"c\":\"\\b\\u0001\"}"
    );
    for (pattern, name, want) in [
        ("*.yaml", "a.yaml", Ok(true)),
        ("*", "a/b", Ok(false)),
        ("a/*/c", "a/b/c", Ok(true)),
        ("[a-c]x", "bx", Ok(true)),
        ("[^a-c]x", "bx", Ok(false)),
        ("\\*", "*", Ok(true)),
        ("?", "/", Ok(false)),
        ("[", "a", Err(cmp::ERR_BAD_PATTERN.to_string())),
        (".git", ".git", Ok(true)),
        ("target", "src/target", Ok(false)),
    ] {
        assert_eq!(cmp::go_match(pattern, name), want, "{pattern:?} {name:?}");
    }
    assert_eq!(cmp::go_clean("/a/./b/../c/"), "/a/c");
    assert_eq!(cmp::go_join(&["/w", "../x"]), "/x");
    assert_eq!(Profile::V2_LATEST.kube_version("v1.29.3"), "1.29");
    assert_eq!(Profile::V3_4_plus.kube_version("v1.29.3"), "1.29.3");
}

// ------------------------------------------------------------------------------------------------
// The sidecar Component under the real kubectl kustomize
// ------------------------------------------------------------------------------------------------

const STUB_REPO_SERVER: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v3.5.1
        volumeMounts:
        - {name: var-files, mountPath: /var/run/argocd}
        - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
      volumes:
      - {name: var-files, emptyDir: {}}
      - {name: plugins, emptyDir: {}}
";

fn kubectl_available() -> bool {
    if Path::new("/usr/bin/kubectl").exists() {
        return true;
    }
    tools::require("kubectl", &["version", "--client"])
}

fn kubectl() -> Command {
    if Path::new("/usr/bin/kubectl").exists() {
        Command::new("/usr/bin/kubectl")
    } else {
        Command::new("kubectl")
    }
}

fn named<'a>(list: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    list?.as_array()?.iter().find(|item| item.get("name").and_then(Value::as_str) == Some(name))
}

#[test]
fn the_sidecar_component_adds_the_documented_sidecar() {
    if !kubectl_available() {
        return;
    }
    let dir = cmp::fresh_dir("component");
    std::fs::write(dir.join("repo-server.yaml"), STUB_REPO_SERVER).unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- repo-server.yaml\n\
             components:\n- {}\n",
            // kustomize refuses an absolute component path.
            cmp::relative_path(&std::fs::canonicalize(&dir).unwrap(), &root().join("kustomize/argocd/sidecar"))
                .display()
        ),
    )
    .unwrap();
    let output = kubectl().arg("kustomize").arg(&dir).output().unwrap();
    assert!(output.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let objects =
        mesh_ingress::krm::io::parse_documents(&text, "kustomize output", &Default::default()).unwrap();
    assert_eq!(objects.len(), 2, "{text}");

    let plugin_text = std::fs::read_to_string(plugin_yaml()).unwrap();
    let config_map = objects.iter().find(|o| cmp::kind_of(o) == "ConfigMap").expect("the plugin ConfigMap");
    let cm_name = cmp::name_of(config_map);
    let suffix = cm_name.strip_prefix("mesh-ingress-cmp-plugin-").unwrap_or_else(|| panic!("{cm_name}"));
    assert!(suffix.len() >= 8 && suffix.chars().all(|c| c.is_ascii_alphanumeric()), "hash suffix: {cm_name}");
    assert_eq!(config_map.pointer("/data/plugin.yaml").and_then(Value::as_str), Some(plugin_text.as_str()));
    let mounted = PluginConfig::parse(&plugin_text).unwrap();
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(mounted.version, version);

    let deployment = objects.iter().find(|o| cmp::kind_of(o) == "Deployment").unwrap();
    let pod = deployment.pointer("/spec/template/spec").unwrap();
    let containers = pod.get("containers");
    assert!(named(containers, "argocd-repo-server").is_some(), "the repo-server container is kept");
    let sidecars: Vec<&Value> = containers
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter(|c| c.get("name").and_then(Value::as_str) != Some("argocd-repo-server"))
        .collect();
    assert_eq!(sidecars.len(), 1, "one sidecar");
    let sidecar = sidecars[0];
    assert_eq!(sidecar.get("command"), Some(&serde_json::json!(["/var/run/argocd/argocd-cmp-server"])));
    let image = sidecar.get("image").and_then(Value::as_str).unwrap();
    assert_eq!(image.rsplit_once(':').map(|(_, tag)| tag), Some(version.as_str()), "image {image}");
    assert_eq!(sidecar.pointer("/securityContext/runAsUser"), Some(&serde_json::json!(999)));
    assert_eq!(sidecar.pointer("/securityContext/runAsNonRoot"), Some(&serde_json::json!(true)));

    let volumes = pod.get("volumes");
    let mounts: Vec<&Value> = sidecar.get("volumeMounts").and_then(Value::as_array).unwrap().iter().collect();
    let mount = |path: &str| {
        *mounts
            .iter()
            .find(|m| m.get("mountPath").and_then(Value::as_str) == Some(path))
            .unwrap_or_else(|| panic!("no mount at {path}"))
    };
    let volume_of = |m: &Value| {
        let name = m.get("name").and_then(Value::as_str).unwrap();
        named(volumes, name).unwrap_or_else(|| panic!("no volume {name}")).clone()
    };
    assert_eq!(mount("/var/run/argocd").get("name").and_then(Value::as_str), Some("var-files"));
    assert_eq!(mount("/home/argocd/cmp-server/plugins").get("name").and_then(Value::as_str), Some("plugins"));
    for stock in ["var-files", "plugins"] {
        assert!(named(volumes, stock).unwrap().get("emptyDir").is_some(), "{stock} stays an emptyDir");
    }
    let config_mount = mount("/home/argocd/cmp-server/config/plugin.yaml");
    assert_eq!(config_mount.get("subPath").and_then(Value::as_str), Some("plugin.yaml"));
    assert_eq!(
        volume_of(config_mount).pointer("/configMap/name").and_then(Value::as_str),
        Some(cm_name),
        "plugin.yaml comes from the generated (hash-suffixed) ConfigMap"
    );
    let tmp = mount("/tmp");
    assert!(volume_of(tmp).get("emptyDir").is_some(), "/tmp is the sidecar's own emptyDir");
    assert_ne!(tmp.get("name").and_then(Value::as_str), Some("tmp"), "not the repo-server's tmp volume");
    let home = named(sidecar.get("env"), "HOME").and_then(|e| e.get("value")).and_then(Value::as_str);
    let home = home.expect("HOME is set");
    let writable = mounts.iter().any(|m| {
        let path = m.get("mountPath").and_then(Value::as_str).unwrap();
        (home == path || home.starts_with(&format!("{path}/"))) && volume_of(m).get("emptyDir").is_some()
    });
    assert!(writable, "HOME={home} is not on a writable emptyDir mount");
    for volume in volumes.and_then(Value::as_array).unwrap() {
        let name = volume.get("name").and_then(Value::as_str).unwrap();
        assert!(
            mounts.iter().any(|m| m.get("name").and_then(Value::as_str) == Some(name))
                || ["var-files", "plugins"].contains(&name)
                || named(containers, "argocd-repo-server")
                    .and_then(|c| named(c.get("volumeMounts"), name))
                    .is_some(),
            "volume {name} is mounted by no container"
        );
    }
}
