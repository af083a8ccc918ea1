# mesh-ingress as a container image: the KRM container function (kpt, kustomize) and the Argo CD
# config management plugin sidecar. A static binary and the user names it runs as, nothing else;
# non-root by default.
#
#   docker build -t ghcr.io/mesh-ingress/mesh-ingress:v0.1.0 .
#
# Where no Docker engine runs (or docker.io is out of reach), scripts/check-image.sh builds the
# final stage from a locally built static binary with podman, under the same tag, and runs it the
# way kustomize, kpt and Argo CD do.

ARG RUST_VERSION=1.95.0

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# A static glibc binary (crt-static) needs no libc in the final image.
RUN RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target x86_64-unknown-linux-gnu \
 && install -D -m 0755 target/x86_64-unknown-linux-gnu/release/mesh-ingress /out/usr/local/bin/mesh-ingress

FROM scratch AS final
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mesh-ingress" \
      org.opencontainers.image.description="KRM function that expands one MeshIngress config into a complete, validated Istio ingress stack" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/mesh-ingress/mesh-ingress" \
      org.opencontainers.image.licenses="Apache-2.0"
# kustomize and kpt start container functions with `--user nobody`, a name the runtime looks up in
# the image's /etc/passwd ("unable to find user nobody" without one). image/etc names nobody (65534),
# nonroot (65532, the default user below) and argocd (999, Argo CD's plugin sidecar).
COPY image/etc/ /etc/
COPY --from=build /out/ /
# The Argo CD plugin's generate command finds the binary on PATH.
ENV PATH=/usr/local/bin
# A numeric user, so Kubernetes' runAsNonRoot can verify it. The binary writes nothing, so every
# user above runs it on a read-only root.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/mesh-ingress"]
