//! Process-level tests of the `mesh-ingress` binary: exit codes, what goes to stdout and stderr,
//! hostile input, and every invocation mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mesh-ingress");

const CONFIG: &str = r#"apiVersion: mesh-ingress.dev/v1alpha1
kind: MeshIngress
metadata:
  name: cli
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  domains: [shop.example.com]
  gateways: [{name: external}]
  certificates: [{name: shop-tls, issuer: letsencrypt-prod}]
"#;

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary may stop reading early (for example on oversized input); that is fine.
        let _ = input.write_all(&data);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn resource_list(items: &str) -> String {
    let config = CONFIG.lines().map(|l| format!("  {l}\n")).collect::<String>();
    format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{items}functionConfig:\n{config}"
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mesh-ingress-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, content: &str) {
    std::fs::write(path, content).unwrap();
}

/// A failure: exit code 2, empty stdout, one line on stderr containing `needle`.
fn assert_bad_input(output: &Output, needle: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "stdout must be empty on failure");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.contains(needle), "{stderr:?} should contain {needle:?}");
}

#[test]
fn version_matches_cargo() {
    let output = run(&["--version"], b"");
    assert_eq!(text(&output.stdout).trim(), format!("mesh-ingress {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn help_lists_the_modes() {
    let output = run(&["--help"], b"");
    let help = text(&output.stdout);
    for word in ["render", "schema", "ResourceList", "kustomize"] {
        assert!(help.contains(word), "--help should mention {word}: {help}");
    }
}

#[test]
fn krm_mode_renders_and_passes_items_through() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: keep, namespace: shop}\n  data: {a: \"yes\"}\n";
    let output = run(&[], resource_list(items).as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"));
    assert!(stdout.contains("name: keep"));
    assert!(stdout.contains("a: \"yes\"") || stdout.contains("a: 'yes'"), "yes stays a string");
    assert!(stdout.contains("kind: Deployment"));
    assert!(output.stderr.is_empty() || text(&output.stderr).contains("warning"));
}

#[test]
fn config_errors_exit_1_with_results_and_stderr_lines() {
    let broken = resource_list("")
        .replace("gateways: [{name: external}]", "gateways: [{name: external, scope: publik}]");
    let output = run(&[], broken.as_bytes());
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("kind: ResourceList"), "the ResourceList is still written");
    assert!(stdout.contains("severity: error"));
    assert!(stdout.contains("path: spec.gateways[0].scope"));
    // kpt prints the results and stderr both: stderr only counts them, so each finding shows once.
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr,
        "mesh-ingress: nothing rendered: 1 error(s) and 1 warning(s), listed in the ResourceList results (`mesh-ingress render CONFIG` prints them too)\n"
    );
    assert!(!stderr.contains("publik"), "{stderr}");
}

#[test]
fn missing_function_config_is_a_result() {
    let output = run(&[], b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("functionConfig is missing"));
}

#[test]
fn unreadable_input_fails_cleanly() {
    assert_bad_input(&run(&[], b""), "input is empty");
    assert_bad_input(&run(&[], b"apiVersion: apps/v1\nkind: Deployment\n"), "kind is \"Deployment\"");
    assert_bad_input(
        &run(&[], b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [\xff]\n"),
        "not valid UTF-8",
    );
    assert_bad_input(&run(&[], b"a: [unclosed\n"), "cannot parse stdin as YAML");
    assert_bad_input(&run(&[], b"---\na: 1\n---\nb: 2\n"), "2 YAML documents");
}

#[test]
fn deep_nesting_is_rejected_not_crashed() {
    let deep = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_bad_input(&run(&[], deep.as_bytes()), "cannot parse stdin as YAML");
    let block: String = (0..10_000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    assert_bad_input(&run(&[], block.as_bytes()), "cannot parse stdin as YAML");
}

#[test]
fn alias_bombs_are_rejected_quickly() {
    let mut doc = String::from(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n",
    );
    for i in 1..20 {
        let p = i - 1;
        doc.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    doc.push_str("items: []\n");
    let start = Instant::now();
    let output = run(&[], doc.as_bytes());
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_bad_input(&output, "cannot parse stdin as YAML");
}

#[test]
fn oversized_input_is_refused() {
    let mut child = Command::new(BIN)
        .env("MESH_INGRESS_MAX_INPUT_BYTES", "1000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(
        resource_list(&"- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n".repeat(100)).as_bytes(),
    );
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_bad_input(&output, "over the limit of 1000 bytes");
}

#[test]
fn one_hundred_thousand_items_pass_through() {
    let mut items = String::with_capacity(16 << 20);
    for i in 0..100_000 {
        items.push_str(&format!(
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-{i}\n    namespace: bulk\n  data:\n    key: value-{i}\n    flag: \"on\"\n"
        ));
    }
    let output = run(&[], resource_list(&items).as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.matches("\n    name: cm-").count(), 100_000);
    assert!(stdout.contains("name: cm-99999"));
}

#[test]
fn legacy_plugin_generator_and_transformer() {
    let dir = temp_dir("legacy");
    let config = dir.join("kust-plugin-config-1");
    write(&config, CONFIG);
    // Generator: empty stdin, a plain stream of the generated objects.
    let output = run(&[config.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("---\napiVersion:"),
        "a plain YAML stream: {}",
        &stdout[..40.min(stdout.len())]
    );
    assert!(!stdout.contains("ResourceList"));
    assert!(!stdout.contains("internal.config.kubernetes.io/path"), "no kpt file placement in a stream");
    // Transformer: the current resources come back, plus the generated ones.
    let resources = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    kustomize.config.k8s.io/id: |\n      kind: Deployment\n      name: web\nspec: {}\n";
    let output = run(&[config.to_str().unwrap()], resources.as_bytes());
    let stdout = text(&output.stdout);
    assert!(stdout.contains("name: web") && stdout.contains("kustomize.config.k8s.io/id"));
    assert!(stdout.contains("kind: HorizontalPodAutoscaler"));
    // A config error: exit 1, the cause on stderr, nothing on stdout.
    write(&config, &CONFIG.replace("{name: external}", "{name: External}"));
    let output = run(&[config.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("spec.gateways[0].name: gateway name \"External\" is not valid"));
}

#[test]
fn render_mode_reads_files_directories_and_stdin() {
    let dir = temp_dir("render");
    write(&dir.join("mesh-ingress.yaml"), CONFIG);
    write(&dir.join("app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n");
    write(&dir.join("Kptfile"), "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: x}\n");
    write(
        &dir.join("local.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tool-only\n  annotations: {config.kubernetes.io/local-config: \"true\"}\n",
    );
    let config = dir.join("mesh-ingress.yaml");
    let output = run(&["render", config.to_str().unwrap(), dir.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("name: app"), "files of the directory pass through");
    assert!(!stdout.contains("kind: MeshIngress"), "the config itself is local configuration");
    assert!(!stdout.contains("tool-only"), "local-config objects are left out");
    assert!(stdout.contains("kind: Certificate"));
    let output = run(
        &["render", config.to_str().unwrap(), "-"],
        b"apiVersion: v1\nkind: Secret\nmetadata: {name: from-stdin}\n",
    );
    assert!(text(&output.stdout).contains("from-stdin"));
    let output = run(
        &["render", config.to_str().unwrap(), "--set", "domains=a.example.com", "--set", "name=other"],
        b"",
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(stdout.contains("- a.example.com") && !stdout.contains("shop.example.com"), "domains overridden");
    assert!(stdout.contains("mesh-ingress.dev/instance: other"), "instance name overridden");
    let output = run(&["render", config.to_str().unwrap(), "--set", "domian=x"], b"");
    assert_bad_input(&output, "did you mean \"domains\"");
    let output = run(&["render", dir.join("missing.yaml").to_str().unwrap()], b"");
    assert_bad_input(&output, "cannot read");
}

#[test]
fn schema_and_crd() {
    let output = run(&["schema"], b"");
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["properties"]["kind"]["const"], "MeshIngress");
    let output = run(&["schema", "--crd"], b"");
    let crd = text(&output.stdout);
    assert!(crd.contains("kind: CustomResourceDefinition") && crd.contains("openAPIV3Schema"));
}

#[test]
fn unknown_argument_is_explained() {
    assert_bad_input(&run(&["no-such-command"], b""), "unknown command");
}

#[test]
fn check_validates_the_clusters_of_a_mesh_together_and_renders_nothing() {
    let example =
        concat!(env!("CARGO_MANIFEST_DIR"), "/functions/mesh-ingress/examples/multicluster-east-west");
    let output = run(&["check", example], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 2, "one line per config: {stdout}");
    assert!(stdout.contains("cluster2/mesh-ingress.yaml: MeshIngress \"cluster2\": 0 error(s)"), "{stdout}");

    // A second cluster copied from the first that kept its clusterName and names another mesh.
    let dir = temp_dir("check");
    let cluster1 = std::fs::read_to_string(format!("{example}/cluster1/mesh-ingress.yaml")).unwrap();
    write(
        &dir.join("copy.yaml"),
        &cluster1.replace("name: cluster1\n", "name: copy\n").replace("meshID: mesh1", "meshID: mesh2"),
    );
    let output = run(&["check", &format!("{example}/cluster1"), dir.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: spec.multicluster.meshID: MeshIngress \"copy\" beside this config"),
        "{stderr}"
    );
    assert!(stderr.contains("differ in clusterName"), "{stderr}");
    assert!(output.stdout.iter().all(|b| *b != b'{'), "nothing is rendered");

    assert_bad_input(&run(&["check", dir.join("nothing.yaml").to_str().unwrap()], b""), "nothing.yaml");
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    write(&dir.join("empty/other.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    assert_bad_input(
        &run(&["check", dir.join("empty").to_str().unwrap()], b""),
        "no MeshIngress config found",
    );
}

#[test]
fn render_prints_findings_on_stderr_and_quiet_leaves_out_info() {
    let dir = temp_dir("render-findings");
    let config = dir.join("mesh-ingress.yaml");
    // targetType with no AWS provider: a warning; the object summary: information.
    write(
        &config,
        &CONFIG.replace("{name: external}", "{name: external, loadBalancer: {targetType: instance}}"),
    );
    let output = run(&["render", config.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("mesh-ingress: info: MeshIngress \"cli\": "), "{stderr}");
    assert!(
        stderr.contains("mesh-ingress: warning: spec.gateways[0].loadBalancer.targetType: loadBalancer.targetType has no effect with provider none"),
        "{stderr}"
    );
    let quiet = run(&["render", "--quiet", config.to_str().unwrap()], b"");
    assert_eq!(quiet.status.code(), Some(0));
    let quiet_stderr = text(&quiet.stderr);
    assert!(!quiet_stderr.contains("info:"), "{quiet_stderr}");
    assert!(quiet_stderr.contains("warning: spec.gateways[0].loadBalancer.targetType"), "{quiet_stderr}");
    assert_eq!(quiet.stdout, output.stdout, "--quiet changes only stderr");
    // Errors always show, each once, with its IST code said once.
    write(&config, &CONFIG.replace("{name: external}", "{name: External}"));
    let failed = run(&["render", "-q", config.to_str().unwrap()], b"");
    assert_eq!(failed.status.code(), Some(1));
    assert!(text(&failed.stderr).contains("error: spec.gateways[0].name: gateway name \"External\""));
}

#[test]
fn a_missing_file_names_its_cause_once() {
    let output = run(&["render", "/nonexistent/mesh-ingress.yaml"], b"");
    assert_bad_input(&output, "cannot read /nonexistent/mesh-ingress.yaml: No such file or directory");
    assert_eq!(text(&output.stderr).matches("os error 2").count(), 1, "{}", text(&output.stderr));
}

#[test]
fn krm_output_is_a_complete_input() {
    let items = "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: keep, namespace: shop}\n";
    let first = run(&[], resource_list(items).as_bytes());
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(stdout.contains("\nfunctionConfig:\n  apiVersion: mesh-ingress.dev/v1alpha1\n"), "{stdout}");
    // `mesh-ingress < in | mesh-ingress`: the output is accepted and is a fixed point.
    let second = run(&[], &first.stdout);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(text(&second.stdout), stdout);
}

#[test]
fn items_kpt_accepts_but_the_function_cannot_read_pass_through() {
    for value in [".nan", "1e400", "!!binary /w=="] {
        let items = format!(
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: odd\n    annotations:\n      internal.config.kubernetes.io/path: 'odd.yaml'\n  data: {{a: {value}}}\n- null\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: keep, namespace: shop}}\n"
        );
        let output = run(&[], resource_list(&items).as_bytes());
        assert_eq!(output.status.code(), Some(0), "{value}: {}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert!(stdout.contains(&format!("  data: {{a: {value}}}\n")), "{value} kept as written: {stdout}");
        assert!(stdout.contains("\n- null\n"), "{stdout}");
        assert!(stdout.contains("name: keep") && stdout.contains("kind: Deployment"), "the rest renders");
        assert!(stdout.contains("items[0] is passed through untouched"), "{stdout}");
        assert!(stdout.contains("path: odd.yaml"), "the warning names the file: {stdout}");
        assert_eq!(text(&output.stderr).lines().count(), 1, "one counting line: {}", text(&output.stderr));
    }
}

/// Run with stdout set up by a shell redirection (`>&-`, `>/dev/full`), the way users and tools do.
fn run_shell(redirect: &str, args: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" {args} {redirect}"))
        .arg(BIN)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_or_full_stdout_is_a_failure_with_a_message() {
    let dir = temp_dir("stdout");
    let config = dir.join("config.yaml");
    write(&config, CONFIG);
    let list = dir.join("list.yaml");
    write(&list, &resource_list(""));
    let render = format!("render {}", config.display());
    let krm = format!("< {}", list.display());
    for args in [render.as_str(), krm.as_str()] {
        let closed = run_shell(">&-", args);
        assert_eq!(closed.status.code(), Some(2), "{args}: {}", text(&closed.stderr));
        assert!(text(&closed.stderr).contains("stdout is closed"), "{args}: {}", text(&closed.stderr));
        let full = run_shell(">/dev/full", args);
        assert_eq!(full.status.code(), Some(2), "{args}: {}", text(&full.stderr));
        assert!(
            text(&full.stderr).contains("cannot write output: No space left on device"),
            "{}",
            text(&full.stderr)
        );
        // Discarding the output on purpose still works.
        let discarded = run_shell(">/dev/null", args);
        assert_eq!(discarded.status.code(), Some(0), "{args}: {}", text(&discarded.stderr));
    }
}

#[test]
fn render_dir_never_follows_a_link_out_of_the_directory() {
    let dir = temp_dir("links");
    let package = dir.join("package");
    std::fs::create_dir_all(&package).unwrap();
    let config = dir.join("config.yaml");
    write(&config, CONFIG);
    write(
        &dir.join("secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: private, namespace: x}\nstringData: {key: hunter2}\n",
    );
    write(
        &package.join("app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: x}\n",
    );
    std::os::unix::fs::symlink("app.yaml", package.join("alias.yml")).unwrap();
    let inside = run(&["render", config.to_str().unwrap(), package.to_str().unwrap()], b"");
    assert_eq!(inside.status.code(), Some(0), "{}", text(&inside.stderr));
    assert_eq!(text(&inside.stdout).matches("name: app\n").count(), 2);

    std::os::unix::fs::symlink("../secret.yaml", package.join("secret.yaml")).unwrap();
    let outside = run(&["render", config.to_str().unwrap(), package.to_str().unwrap()], b"");
    assert_bad_input(&outside, "secret.yaml is a symbolic link to");
    assert!(text(&outside.stderr).contains("outside the directory"), "{}", text(&outside.stderr));
    assert!(!text(&outside.stdout).contains("hunter2"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_huge_value_is_quoted_short() {
    let name = "a".repeat(1 << 20);
    let config = CONFIG.replace("gateways: [{name: external}]", &format!("gateways: [{{name: {name}}}]"));
    let dir = temp_dir("huge");
    let path = dir.join("config.yaml");
    write(&path, &config);
    let output = run(&["render", path.to_str().unwrap()], b"");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        text(&output.stderr).chars().take(2000).collect::<String>()
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("... (1048576 characters)"), "{}", stderr.chars().take(2000).collect::<String>());
    // Every line names the value at most once, shortened: far less than the value itself in all.
    assert!(stderr.len() < 64 * 1024, "{} bytes on stderr", stderr.len());
    let list = run(
        &[],
        resource_list("")
            .replace("gateways: [{name: external}]", &format!("gateways: [{{name: {name}}}]"))
            .as_bytes(),
    );
    assert_eq!(list.status.code(), Some(1));
    // The functionConfig comes back as it was (the value once, whole); the results quote it short.
    assert!(list.stdout.len() < name.len() + 64 * 1024, "{} bytes on stdout", list.stdout.len());
    let _ = std::fs::remove_dir_all(&dir);
}
