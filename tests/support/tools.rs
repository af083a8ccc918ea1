//! Gating tests on external tools: on a developer's machine a missing tool skips the test with a
//! clear message; in CI (`CI=true`) it fails, so a broken CI image cannot pass silently.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `tool` runs (`tool <version_args>` exits 0). Skips (returns false) or panics in CI.
pub fn require(tool: &str, version_args: &[&str]) -> bool {
    let ok = Command::new(tool).args(version_args).output().is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{tool} is required in CI (CI=true) but `{tool} {}` failed or is not on PATH",
            version_args.join(" ")
        );
    }
    eprintln!("SKIPPED: {tool} is not installed; install it to run this test (CI requires it)");
    false
}

/// The built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mesh-ingress"))
}

/// PATH with the built binary's directory first, so a bare `mesh-ingress` resolves to it.
pub fn path_with_binary() -> String {
    let dir = binary().parent().unwrap().to_path_buf();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mesh-ingress-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copy a directory tree (files and directories; modes of regular files kept).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Says `message` on the terminal even while the test harness captures the test's output (it
/// captures `print!`/`eprint!` only), for what must not go unnoticed in a passing run.
pub fn loud(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n!!! {message}\n");
}

/// The image `kustomize/container` and the kpt example `container-function` name, which
/// `scripts/check-image.sh` builds and tags in the local image store.
pub fn image() -> String {
    format!("ghcr.io/mesh-ingress/mesh-ingress:v{}", env!("CARGO_PKG_VERSION"))
}

/// What starts container functions for kustomize and kpt in a test: the `docker` they call.
pub enum ContainerRuntime {
    /// A real runtime runs the built image: podman through `scripts/docker-podman`, or a Docker
    /// engine.
    Image {
        /// PATH with the `docker` to use first.
        path: String,
        /// Which runtime, for messages.
        what: String,
    },
    /// No runtime can start the image here: a stand-in `docker` runs the built binary in its place
    /// (never in CI, and said loudly).
    StandIn {
        /// PATH with the stand-in first.
        path: String,
        /// The stand-in's log of the arguments it was called with, one call a line.
        log: PathBuf,
    },
}

impl ContainerRuntime {
    /// PATH for kustomize and kpt.
    pub fn path(&self) -> &str {
        match self {
            ContainerRuntime::Image { path, .. } | ContainerRuntime::StandIn { path, .. } => path,
        }
    }
}

/// Whether `docker` (as found on `path`) runs the built image: `docker run --rm IMAGE --version`
/// prints the crate's version. `Err` says why not.
fn image_runs(path: &str) -> Result<(), String> {
    let output = Command::new("docker")
        .args(["run", "--rm", "--pull", "never", "--network", "none", "--user", "nobody"])
        .args(["--security-opt=no-new-privileges", &image(), "--version"])
        .env("PATH", path)
        .output()
        .map_err(|e| format!("docker: {e}"))?;
    let expected = format!("mesh-ingress {}", env!("CARGO_PKG_VERSION"));
    if output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == expected {
        return Ok(());
    }
    Err(format!(
        "`docker run {} --version` exited {:?}: {}",
        image(),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

/// The real container runtime for this test (`name` names its scratch directory): podman and runc
/// through `scripts/docker-podman` when podman is installed, else a Docker engine, either of which
/// must hold the image (`scripts/check-image.sh --install` builds it). Without one, CI (`CI=true`)
/// fails; elsewhere the test falls back to a stand-in `docker` that runs the built binary instead of
/// the image, and says so loudly.
pub fn container_runtime(name: &str) -> ContainerRuntime {
    let dir = temp_dir(name);
    let base = path_with_binary();
    let mut why = Vec::new();
    if Command::new("podman").arg("--version").output().is_ok_and(|o| o.status.success()) {
        #[cfg(unix)]
        std::os::unix::fs::symlink(root().join("scripts/docker-podman"), dir.join("docker")).unwrap();
        let path = format!("{}:{base}", dir.display());
        match image_runs(&path) {
            Ok(()) => {
                return ContainerRuntime::Image { path, what: "podman (scripts/docker-podman)".into() };
            }
            Err(e) => why.push(format!("podman: {e}")),
        }
        let _ = std::fs::remove_file(dir.join("docker"));
    } else {
        why.push("podman is not installed".into());
    }
    if Command::new("docker").arg("info").output().is_ok_and(|o| o.status.success()) {
        match image_runs(&base) {
            Ok(()) => return ContainerRuntime::Image { path: base, what: "docker".into() },
            Err(e) => why.push(format!("docker: {e}")),
        }
    } else {
        why.push("no Docker engine answers `docker info`".into());
    }
    let why = why.join("; ");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI (CI=true) runs container functions in the real image {}, and none can start here: {why}. \
             `scripts/check-image.sh --install` installs podman and runc and builds the image",
            image()
        );
    }
    loud(&format!(
        "STAND-IN, NOT THE IMAGE: no container runtime runs {} here ({why}). kustomize and kpt ran a \
         stand-in `docker` that executes the built binary instead, so the image itself is untested; \
         `scripts/check-image.sh --install` installs podman and runc and builds the image (CI fails \
         without it)",
        image()
    ));
    let log = dir.join("docker.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\ncase \"$1\" in\n  version) echo 28.2.2; exit 0;;\n  run) exec '{bin}';;\nesac\necho \"unexpected docker call: $*\" >&2\nexit 1\n",
        log = log.display(),
        bin = binary().display()
    );
    let shim = dir.join("docker");
    std::fs::write(&shim, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    ContainerRuntime::StandIn { path: format!("{}:{base}", dir.display()), log }
}
