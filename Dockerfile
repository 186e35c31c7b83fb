# syntax=docker/dockerfile:1
#
# pxgate container image: a static Go binary on distroless, non-root.
#
# Build (from the repository root):
#
#   docker build \
#     --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg BRANCH=$(git rev-parse --abbrev-ref HEAD) \
#     --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
#     -t pxgate .
#
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 ... (the
# builder stage cross-compiles; nothing runs under emulation).
#
# The image runs as UID/GID 65532 (distroless "nonroot"), writes nothing to its
# filesystem (run it with a read-only root), and carries CA certificates for
# Pixie Cloud's TLS. The named script catalog and openapi.yaml are embedded in
# the binary (go:embed); user scripts come from PXGATE_SCRIPTS_DIR at run time.
# There is no HEALTHCHECK: Kubernetes probes GET /healthz and GET /readyz on
# port 8080 (see deploy/helm/pxgate).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src

# Modules first, so source edits do not invalidate the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=
ARG BUILD_DATE=
# The build information lives in github.com/prometheus/common/version (see
# the version package): GET /version, pxgate_build_info and -version.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -mod=readonly \
      -ldflags "-s -w \
        -X github.com/prometheus/common/version.Version=${VERSION} \
        -X github.com/prometheus/common/version.Revision=${REVISION} \
        -X github.com/prometheus/common/version.Branch=${BRANCH} \
        -X github.com/prometheus/common/version.BuildDate=${BUILD_DATE}" \
      -o /out/pxgate ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot

ARG VERSION=dev
ARG REVISION=unknown
ARG BUILD_DATE=
LABEL org.opencontainers.image.title="pxgate" \
      org.opencontainers.image.description="HTTP gateway in front of Pixie: runs PxL, answers rows and tolerance verdicts" \
      org.opencontainers.image.source="https://github.com/pxgate/pxgate" \
      org.opencontainers.image.url="https://github.com/pxgate/pxgate" \
      org.opencontainers.image.documentation="https://github.com/pxgate/pxgate#readme" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"

COPY --from=build /out/pxgate /usr/local/bin/pxgate

USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/pxgate"]
