#!/usr/bin/env bash
# Finds the Pulumi CLI and the Node.js language host, or builds them from Pulumi's published
# Go modules into a cache outside the repository (no prebuilt binary can be downloaded here).
# Prints progress on stderr and, last, the directory holding the binaries on stdout.
#
#   PULUMI_VERSION   the pulumi/pulumi pkg tag to build (default below)
#   PULUMI_CACHE     where the build lives (default ~/.cache/cw-iac/pulumi-$PULUMI_VERSION)
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.259.0}"
# The language host module is not tagged; it is built at the commit of tag pkg/$PULUMI_VERSION.
# Go resolves that commit from the module proxy's origin data.
CACHE="${PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cw-iac/pulumi-$PULUMI_VERSION}"
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHIM="$PROJECT_DIR/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"

log() { echo "[pulumi-cli] $*" >&2; }

install_shim() {
  # The dynamic-provider plugin is a shell script shipped in the npm package; the CLI must find
  # it beside itself or it tries to download it.
  if [ -f "$SHIM" ]; then cp "$SHIM" "$1/pulumi-resource-pulumi-nodejs"; chmod 0755 "$1/pulumi-resource-pulumi-nodejs"; fi
}

# 1. Already on PATH, with the language host beside it?
if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null 2>&1; then
  dir="$(dirname "$(command -v pulumi)")"
  log "using pulumi on PATH: $(pulumi version 2>/dev/null) in $dir"
  echo "$dir"; exit 0
fi

# 2. Already built into the cache?
if [ -x "$CACHE/bin/pulumi" ] && [ -x "$CACHE/bin/pulumi-language-nodejs" ]; then
  install_shim "$CACHE/bin"
  log "using cached pulumi $("$CACHE/bin/pulumi" version 2>/dev/null) in $CACHE/bin"
  echo "$CACHE/bin"; exit 0
fi

# 3. Build it.
command -v go >/dev/null 2>&1 || { log "Go >= 1.25 is needed to build the Pulumi CLI and was not found on PATH"; exit 1; }
log "building pulumi $PULUMI_VERSION from Go modules into $CACHE (first run only; several minutes on 2 cores)"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"
work="$CACHE/src"
mkdir -p "$work" "$CACHE/bin"
cd "$work"
if [ ! -f go.mod ]; then
  go mod init example.invalid/pulumi-build >/dev/null 2>&1
  go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
fi
log "step 1/4: resolving the tag pkg/$PULUMI_VERSION"
commit="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" | sed -n 's/.*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' | head -n1)"
[ -n "$commit" ] || { log "could not resolve the commit of pkg/$PULUMI_VERSION from the Go module proxy"; exit 1; }
log "step 2/4: fetching modules (cli, sdk, language host at $commit)"
go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION"
go get "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
go get -tool "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$commit"
go mod tidy
log "step 3/4: compiling (go build -trimpath)"
go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
  -o "$CACHE/bin/" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
log "step 4/4: installing the pulumi-nodejs dynamic-provider plugin"
install_shim "$CACHE/bin"
log "built $("$CACHE/bin/pulumi" version)"
echo "$CACHE/bin"
