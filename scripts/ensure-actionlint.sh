#!/usr/bin/env bash
# Finds actionlint (github.com/rhysd/actionlint) or builds it once from its Go module into a cache
# outside the repository, as ensure-pulumi.sh does for the Pulumi CLI: the Go module proxy is the
# only network it uses. Prints progress on stderr and, last, the path of the binary on stdout.
#
#   ACTIONLINT_VERSION   the module version to build (default below)
#   ACTIONLINT_CACHE     where it lives (default ~/.cache/cw-iac/actionlint-$ACTIONLINT_VERSION)
#
# Exit codes: 0 ready, 2 no usable Go toolchain, 1 anything else.
set -euo pipefail

ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
CACHE="${ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cw-iac/actionlint-$ACTIONLINT_VERSION}"
BIN="$CACHE/bin/actionlint"

log() { echo "[actionlint] $*" >&2; }
fail() { log "ERROR: $2"; exit "$1"; }

ready() { [ -x "$BIN" ] && "$BIN" -version 2>/dev/null | head -n1 | grep -qx "${ACTIONLINT_VERSION#v}"; }

if ready; then echo "$BIN"; exit 0; fi

mkdir -p "$CACHE"
# Parallel test workers may get here at once: one builds, the others wait and reuse it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
  if ready; then echo "$BIN"; exit 0; fi
fi

command -v go >/dev/null 2>&1 || fail 2 "Go is needed to build actionlint and 'go' was not found on PATH (install Go from https://go.dev/dl)"

log "building github.com/rhysd/actionlint@$ACTIONLINT_VERSION with $(go env GOVERSION) into $CACHE/bin (first run only)"
started=$SECONDS
# -ldflags sets the version `actionlint -version` reports (a module build otherwise says "(devel)").
CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$CACHE/bin" go install -trimpath \
  -ldflags "-s -w -X github.com/rhysd/actionlint.version=${ACTIONLINT_VERSION#v}" \
  "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
  || fail 1 "go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION failed (GOPROXY=$(go env GOPROXY))"
ready || fail 1 "$BIN does not report version ${ACTIONLINT_VERSION#v}"
log "ready in $((SECONDS - started)) s: $BIN"
echo "$BIN"
