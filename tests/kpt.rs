//! mesh-ingress under the real `kpt` (1.0.0-beta.56 on the project's machine image).
//!
//! The example packages in `functions/mesh-ingress/examples/` are tests, run the way the
//! kpt-functions-catalog e2e runner (`kptdev/kpt: pkg/test/runner`) runs them: copy the package,
//! commit it, run `kpt fn render` (or the expectations' `exec.sh`) twice, and after each run compare
//! `git diff <first commit> HEAD` with `diff.patch`, the exit code with `exitCode`, stderr with
//! `stdErr`, and (first run only) the results file with `results.yaml`. The catalog keeps those files
//! in the package's `.expected/`; here they live in `tests/kpt-expected/<example>/`, so a user who
//! copies an example gets only the package. `KPT_E2E_UPDATE_EXPECTED=true` rewrites the
//! expectations, as in the catalog.
//!
//! A package whose Kptfile runs the function by `image:` (`container-function`) runs the built
//! image itself, through podman (`scripts/docker-podman`) or a Docker engine; see
//! `tools::container_runtime`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/tools.rs"]
mod tools;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tools::{ContainerRuntime, container_runtime, copy_dir, path_with_binary, require, root, temp_dir};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_DIFF_OPTS", "")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "--all"]);
    git(
        dir,
        &["-c", "user.name=none", "-c", "user.email=none", "commit", "-q", "--allow-empty", "-m", message],
    );
}

fn kpt(args: &[&str], cwd: &Path) -> Output {
    kpt_with_path(args, cwd, &path_with_binary())
}

/// kpt with `path` as PATH (and the docker runtime, whatever the caller's KPT_FN_RUNTIME).
fn kpt_with_path(args: &[&str], cwd: &Path, path: &str) -> Output {
    Command::new("kpt")
        .args(args)
        .current_dir(cwd)
        .env("PATH", path)
        .env_remove("KPT_FN_RUNTIME")
        .output()
        .unwrap()
}

/// Where an example's expectations live: `tests/kpt-expected/<example>/`, the files the catalog's
/// runner reads from the package's `.expected/`.
fn expected_dir(example: &Path) -> PathBuf {
    root().join("tests/kpt-expected").join(example.file_name().unwrap())
}

fn read_expected(expected: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(expected.join(file)).ok().map(|s| s.trim().to_string())
}

/// Whether the package's Kptfile runs a function by `image:`, so it needs a container runtime.
fn runs_an_image(example: &Path) -> bool {
    let kptfile = std::fs::read_to_string(example.join("Kptfile")).unwrap();
    let kptfile = mesh_ingress::krm::io::parse_document(&kptfile, "Kptfile", &Default::default()).unwrap();
    ["mutators", "validators"].iter().any(|list| {
        kptfile["pipeline"][list].as_array().is_some_and(|fns| fns.iter().any(|f| f.get("image").is_some()))
    })
}

/// One example package run like the catalog's e2e runner; `path` is the PATH kpt runs with.
fn run_example(example: &Path, path: &str) -> Result<(), String> {
    let name = example.file_name().unwrap().to_string_lossy().into_owned();
    let expected = expected_dir(example);
    let config: Value = serde_json::to_value(
        mesh_ingress::krm::io::parse_document(
            &std::fs::read_to_string(expected.join("config.yaml")).unwrap(),
            "config.yaml",
            &Default::default(),
        )
        .unwrap(),
    )
    .unwrap();
    let exit_code = config.get("exitCode").and_then(Value::as_i64).unwrap_or(0) as i32;
    let std_err = config.get("stdErr").and_then(Value::as_str).map(str::to_string);
    let update = std::env::var("KPT_E2E_UPDATE_EXPECTED").is_ok_and(|v| v == "true");

    let tmp = temp_dir(&format!("kpt-{name}"));
    let pkg = tmp.join(&name);
    copy_dir(example, &pkg);
    git(&pkg, &["init", "-q"]);
    commit(&pkg, "first");
    let first = git(&pkg, &["rev-parse", "HEAD"]).trim().to_string();
    let results_dir = tmp.join("results");
    let wants_results = expected.join("results.yaml").exists();

    for run in 0..2 {
        let _ = std::fs::remove_dir_all(&results_dir);
        let output = if expected.join("exec.sh").exists() {
            Command::new("bash")
                .arg(expected.join("exec.sh"))
                .current_dir(&pkg)
                .env("PATH", path)
                .env_remove("KPT_FN_RUNTIME")
                .output()
                .unwrap()
        } else {
            let mut args = vec!["fn", "render", pkg.to_str().unwrap()];
            if config.get("allowExec").and_then(Value::as_bool) == Some(true) {
                args.push("--allow-exec");
            }
            if wants_results {
                args.extend(["--results-dir", results_dir.to_str().unwrap()]);
            }
            kpt_with_path(&args, &tmp, path)
        };
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let code = output.status.code().unwrap_or(-1);
        // kpt exits 1 whatever the function's exit code.
        let failed = code != 0;
        if failed != (exit_code != 0) {
            return Err(format!("{name} run {run}: exit code {code}, expected {exit_code}\n{stderr}"));
        }
        if let Some(needle) = &std_err
            && !stderr.contains(needle.as_str())
        {
            return Err(format!("{name} run {run}: stderr lacks {needle:?}:\n{stderr}"));
        }
        if wants_results && run == 0 {
            let actual = std::fs::read_to_string(results_dir.join("results.yaml")).unwrap_or_default();
            if update {
                std::fs::write(expected.join("results.yaml"), format!("{}\n", actual.trim())).unwrap();
            } else if actual.trim() != read_expected(&expected, "results.yaml").unwrap_or_default() {
                return Err(format!(
                    "{name}: results differ from {}:\n{actual}",
                    shown(&expected, "results.yaml")
                ));
            }
        }
        commit(&pkg, "second");
        let diff = git(&pkg, &["diff", &first, "HEAD"]).trim().to_string();
        if update && run == 0 {
            std::fs::write(expected.join("diff.patch"), format!("{diff}\n")).unwrap();
        } else if diff != read_expected(&expected, "diff.patch").unwrap_or_default() {
            return Err(format!(
                "{name} run {run}: the package diff differs from {}{}\n{}",
                shown(&expected, "diff.patch"),
                if run == 1 { " (the second run changed the package: not idempotent)" } else { "" },
                diff.lines().take(40).collect::<Vec<_>>().join("\n")
            ));
        }
        if failed {
            break;
        }
    }
    Ok(())
}

/// An expectation file as a path from the repository root, for messages.
fn shown(expected: &Path, file: &str) -> String {
    expected.join(file).strip_prefix(root()).unwrap_or(&expected.join(file)).display().to_string()
}

/// The example packages; each must have its expectations, and every expectation its package.
fn examples() -> Vec<PathBuf> {
    let listed = |dir: &str| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    };
    let examples = listed("functions/mesh-ingress/examples");
    let names = |dirs: &[PathBuf]| dirs.iter().map(|d| d.file_name().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(
        names(&examples),
        names(&listed("tests/kpt-expected")),
        "every example package under functions/mesh-ingress/examples needs tests/kpt-expected/<example>/ \
         (config.yaml, and diff.patch from KPT_E2E_UPDATE_EXPECTED=true cargo test --test kpt), and back"
    );
    for example in &examples {
        assert!(
            !example.join(".expected").exists(),
            "{}: expectations belong in tests/kpt-expected",
            example.display()
        );
    }
    examples
}

#[test]
fn example_packages_render_as_expected_twice() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    let examples = examples();
    assert!(examples.len() >= 5, "expected the example packages, found {examples:?}");
    let (images, execs): (Vec<_>, Vec<_>) = examples.into_iter().partition(|e| runs_an_image(e));
    let mut failures: Vec<String> =
        execs.iter().filter_map(|e| run_example(e, &path_with_binary()).err()).collect();
    assert!(!images.is_empty(), "an example package runs the function by image:");
    let runtime = container_runtime("kpt-image-docker");
    failures.extend(images.iter().filter_map(|e| {
        run_example(e, runtime.path())
            .map_err(|err| {
                format!("{err}\n(is the image current? scripts/check-image.sh --install rebuilds it)")
            })
            .err()
    }));
    if let ContainerRuntime::Image { what, .. } = &runtime {
        eprintln!("the image: examples ran in the built image through {what}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A scratch package from an example, already rendered once and committed.
fn rendered_copy(example: &str, name: &str) -> PathBuf {
    let tmp = temp_dir(name);
    let pkg = tmp.join(example);
    copy_dir(&root().join("functions/mesh-ingress/examples").join(example), &pkg);
    git(&pkg, &["init", "-q"]);
    let output = kpt(&["fn", "render", "--allow-exec", pkg.to_str().unwrap()], &tmp);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    commit(&pkg, "rendered");
    pkg
}

#[test]
fn removing_a_gateway_removes_its_files() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    let pkg = rendered_copy("greenfield-mtls", "kpt-remove-gateway");
    let generated = pkg.join("generated/greenfield");
    assert!(generated.join("gateway-internal-gateway.yaml").exists());
    assert!(generated.join("workload-istio-ingressgateway-internal.yaml").exists());
    // Drop the internal gateway (and the certificate only it used) from the config.
    let config = std::fs::read_to_string(pkg.join("mesh-ingress.yaml")).unwrap();
    let start = config.find("  - name: internal-gateway").unwrap();
    let end = config.find("  certificates:").unwrap();
    let config = format!("{}{}", &config[..start], &config[end..])
        .replace("  - {name: internal-tls, dnsNames: [\"*.internal\"], issuer: internal-ca}\n", "");
    std::fs::write(pkg.join("mesh-ingress.yaml"), config).unwrap();
    let output = kpt(&["fn", "render", "--allow-exec", pkg.to_str().unwrap()], pkg.parent().unwrap());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!generated.join("gateway-internal-gateway.yaml").exists(), "its Gateway file is gone");
    assert!(
        !generated.join("workload-istio-ingressgateway-internal.yaml").exists(),
        "its workload file is gone"
    );
    assert!(generated.join("gateway-external-gateway.yaml").exists(), "the other gateway stays");
    let certificates = std::fs::read_to_string(generated.join("certificates.yaml")).unwrap();
    assert!(!certificates.contains("internal-tls") && certificates.contains("example-tls"));
}

#[test]
fn a_moved_object_stays_where_the_user_put_it() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    let pkg = rendered_copy("platform-revision", "kpt-move");
    let generated = pkg.join("generated/platform");
    // Move the routes file to a file of the user's choosing.
    std::fs::rename(generated.join("routes-bookinfo.yaml"), pkg.join("bookinfo-routes.yaml")).unwrap();
    commit(&pkg, "moved");
    let output = kpt(&["fn", "render", "--allow-exec", pkg.to_str().unwrap()], pkg.parent().unwrap());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!generated.join("routes-bookinfo.yaml").exists(), "not recreated at the default place");
    assert!(
        std::fs::read_to_string(pkg.join("bookinfo-routes.yaml")).unwrap().contains("kind: VirtualService")
    );
    assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "nothing else changed");
}

#[test]
fn a_user_file_in_the_generated_directory_is_never_overwritten() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    let tmp = temp_dir("kpt-squat");
    let pkg = tmp.join("platform-revision");
    copy_dir(&root().join("functions/mesh-ingress/examples/platform-revision"), &pkg);
    std::fs::create_dir_all(pkg.join("generated/platform")).unwrap();
    let mine = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\ndata:\n  keep: \"me\"\n";
    std::fs::write(pkg.join("generated/platform/certificates.yaml"), mine).unwrap();
    let output = kpt(&["fn", "render", "--allow-exec", pkg.to_str().unwrap()], &tmp);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds objects this instance did not generate"));
    assert_eq!(std::fs::read_to_string(pkg.join("generated/platform/certificates.yaml")).unwrap(), mine);
}

#[test]
fn eval_with_key_value_arguments() {
    if !require("kpt", &["version"]) {
        return;
    }
    let tmp = temp_dir("kpt-eval");
    let pkg = tmp.join("pkg");
    copy_dir(&root().join("functions/mesh-ingress/examples/configmap-eval"), &pkg);
    let binary = tools::binary();
    let eval = |pairs: &[&str]| {
        let mut args = vec!["fn", "eval", pkg.to_str().unwrap(), "--exec", binary.to_str().unwrap(), "--"];
        args.extend_from_slice(pairs);
        kpt(&args, &tmp)
    };
    let output = eval(&["name=shop", "domains=shop.example.com", "email=ops@example.com"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // The instance is data.name, not kpt's ConfigMap name "function-input".
    let gateway = std::fs::read_to_string(pkg.join("generated/shop/gateway-external.yaml")).unwrap();
    assert!(gateway.contains("mesh-ingress.dev/instance: shop") && !gateway.contains("function-input"));
    // A missing name is a clear error and changes nothing.
    let before = std::fs::read_to_string(pkg.join("shop.yaml")).unwrap();
    let output = eval(&["domains=x.example.com"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("data.name"));
    assert_eq!(std::fs::read_to_string(pkg.join("shop.yaml")).unwrap(), before);
}

#[test]
fn eval_runs_the_image() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    let runtime = container_runtime("kpt-eval-image");
    let tmp = temp_dir("kpt-eval-image-pkg");
    let pkg = tmp.join("shop");
    copy_dir(&root().join("functions/mesh-ingress/examples/container-function"), &pkg);
    git(&pkg, &["init", "-q"]);
    commit(&pkg, "first");
    // What functions/mesh-ingress/README.md shows: the image with the config file.
    let image = tools::image();
    let config = pkg.join("mesh-ingress.yaml");
    let args =
        ["fn", "eval", pkg.to_str().unwrap(), "--image", &image, "--fn-config", config.to_str().unwrap()];
    let output = kpt_with_path(&args, &tmp, runtime.path());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let gateway = std::fs::read_to_string(pkg.join("generated/shop/gateway-external.yaml")).unwrap();
    assert!(gateway.contains("kind: Gateway") && gateway.contains("shop.example.com"));
    commit(&pkg, "evaluated");
    let output = kpt_with_path(&args, &tmp, runtime.path());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "the second eval changed nothing");
}

#[test]
fn each_finding_is_shown_once() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    // An invalid package: kpt prints the results and the function's stderr; each error once.
    let tmp = temp_dir("kpt-once");
    let pkg = tmp.join("invalid-config");
    copy_dir(&root().join("functions/mesh-ingress/examples/invalid-config"), &pkg);
    let output = kpt(&["fn", "render", "--allow-exec", pkg.to_str().unwrap()], &tmp);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in
        ["Referenced certificate not found", "unknown field \"mdoe\"", "cannot be validated with HTTP-01"]
    {
        assert_eq!(stderr.matches(needle).count(), 1, "{needle:?} once:\n{stderr}");
    }
    assert!(stderr.contains("nothing rendered: 4 error(s)"), "{stderr}");
    // A package that renders with warnings (the gateway beside istiod): each warning once too.
    let pkg = rendered_copy("platform-revision", "kpt-once-warnings");
    let args = ["fn", "render", "--allow-exec", "--truncate-output=false", pkg.to_str().unwrap()];
    let output = kpt(&args, pkg.parent().unwrap());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let needle = "is also the mesh root namespace";
    assert_eq!(stderr.matches(needle).count(), 1, "{needle:?} once:\n{stderr}");
}

#[test]
fn items_the_function_cannot_read_stay_as_written() {
    if !require("kpt", &["version"]) || !require("git", &["--version"]) {
        return;
    }
    // kpt (kyaml) reads these; the function cannot hold them as JSON, so it passes them through.
    let pkg = rendered_copy("platform-revision", "kpt-unreadable");
    let odd = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\n  namespace: default\ndata:\n  nan: .nan\n  big: 1e400\n";
    std::fs::write(pkg.join("odd.yaml"), odd).unwrap();
    commit(&pkg, "odd values");
    let args = ["fn", "render", "--allow-exec", "--truncate-output=false", pkg.to_str().unwrap()];
    let output = kpt(&args, pkg.parent().unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("is passed through untouched and unchecked"), "{stderr}");
    assert_eq!(std::fs::read_to_string(pkg.join("odd.yaml")).unwrap(), odd);
    assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "nothing changed");
}
