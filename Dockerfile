# mesh-ingress as a container image: the KRM container function (kpt, kustomize) and the Argo CD
# config management plugin sidecar. A static binary in an empty image, running as non-root.
#
#   docker build -t ghcr.io/mesh-ingress/mesh-ingress:v0.1.0 .
#
# scripts/check-image.sh builds the final stage from a locally built static binary with buildah and
# checks it, where no Docker engine is available.

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
COPY --from=build /out/ /
# The Argo CD plugin's generate command finds the binary on PATH.
ENV PATH=/usr/local/bin
# 65532 is the conventional non-root "nonroot" user; kustomize runs functions as --user nobody and
# the Argo CD sidecar as uid 999, both of which work since the image writes nothing.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/mesh-ingress"]
