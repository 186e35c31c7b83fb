#!/usr/bin/env bash
# Regenerates the Go code beside the .proto files in this directory.
# Tool versions are pinned here; the Go module proxy is all it needs.
#   pixie/proto/gen.sh           regenerate in place
#   pixie/proto/gen.sh -check    regenerate into a temp dir and fail if the committed code differs
set -euo pipefail

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

here=$(cd "$(dirname "$0")" && pwd)
bin=${PXGATE_TOOLS_BIN:-"${XDG_CACHE_HOME:-$HOME/.cache}/pxgate-tools/bin"}
mkdir -p "$bin"

install() { # install <package>@<version> <binary name>, skipping if the pinned version is already there
  local stamp="$bin/.$2.version"
  if [ ! -x "$bin/$2" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$1" ]; then
    GOBIN="$bin" GOFLAGS=-mod=mod go install "$1"
    echo "$1" >"$stamp"
  fi
}
install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" buf
install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION" protoc-gen-go
install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION" protoc-gen-go-grpc
export PATH="$bin:$PATH"

if [ "${1:-}" = "-check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  (cd "$here" && buf generate --output "$out")
  status=0
  while IFS= read -r f; do
    rel=${f#"$out"/}
    if ! cmp -s "$f" "$here/$rel"; then echo "stale generated file: pixie/proto/$rel" >&2; status=1; fi
  done < <(find "$out" -name '*.go')
  while IFS= read -r f; do
    rel=${f#"$here"/}
    [ -f "$out/$rel" ] || { echo "generated file with no source: pixie/proto/$rel" >&2; status=1; }
  done < <(find "$here" -name '*.pb.go')
  [ $status -eq 0 ] && echo "pixie/proto: generated code is current"
  exit $status
fi

cd "$here"
find . -name '*.pb.go' -delete
buf generate
echo "pixie/proto: regenerated"
