#!/usr/bin/env bash
# Finds the Pulumi CLI and the Node.js language host, or builds them from Pulumi's published Go
# modules into a cache outside the repository (no prebuilt binary can be downloaded here: the Go
# module proxy is the only source). Prints progress on stderr and, last, the directory holding
# `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs` on stdout.
#
#   PULUMI_VERSION       the pulumi/pulumi pkg tag to build the CLI from (default below)
#   PULUMI_NODEJS_HOST   the sdk/v3 tag to build the language host from (default below)
#   PULUMI_CACHE         where the build lives (default ~/.cache/cw-iac/pulumi-$PULUMI_VERSION)
#
# Exit codes: 0 ready, 2 no usable Go toolchain, 3 npm dependencies missing, 1 anything else.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.259.0}"
# The proxy refuses the separately versioned module .../sdk/nodejs/cmd/pulumi-language-nodejs/v3,
# so the language host comes from the last sdk/v3 release that still had it inside the sdk module
# (v3.69.0 moved it out). The CLI talks to it over the stable LanguageRuntime gRPC API, but sends
# Pulumi.yaml's `runtime.options` in the RunRequest, which this host predates: it reads them as
# command-line flags, as the CLIs of its day passed them. So `bin/pulumi-language-nodejs` is a
# small wrapper (write_host_wrapper) that passes `typescript: false` as -typescript=false; else the
# host registers ts-node for every program (TypeScript's compiler and source-map-support: about
# 0.5 s per run, more per resource), JavaScript ones included. The binary lives in host/.
PULUMI_NODEJS_HOST="${PULUMI_NODEJS_HOST:-v3.68.0}"
CACHE="${PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cw-iac/pulumi-$PULUMI_VERSION}"
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHIM="$PROJECT_DIR/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
BIN="$CACHE/bin"
VERSION_LDFLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

log() { echo "[pulumi-cli] $*" >&2; }
# `go get` lists each of the ~650 modules it adds; keep its warnings and errors only.
go_get() { go get "$@" 2> >(grep -Ev '^go: (added|upgraded|downgraded|downloading|finding) ' >&2); }
fail() { log "ERROR: $2"; exit "$1"; }

[ -f "$SHIM" ] || fail 3 "$SHIM is missing: run 'npm install' in $PROJECT_DIR first (it ships the dynamic-provider plugin)"

# What sits beside the built CLI is what a Pulumi release ships there: the stock dynamic-provider
# plugin (the SDK's own pulumi-resource-pulumi-nodejs script, copied unchanged: the CLI must find
# one beside itself or it tries to download it) and a language host. This project's provider
# server comes from Pulumi.yaml's `plugins.providers` (dist/pulumi-runtime/plugin/), on this CLI and on
# a release install alike. language-host-wrapper.sh becomes pulumi-language-nodejs, in front of
# the v3.68 host in ../host (see above).
RUNTIME_DIR="$PROJECT_DIR/pulumi-runtime"

install_script() { # dir name source
  cp "$3" "$1/$2.tmp"
  if cmp -s "$1/$2.tmp" "$1/$2"; then
    rm -f "$1/$2.tmp"; return 0
  fi
  chmod 0755 "$1/$2.tmp"
  mv -f "$1/$2.tmp" "$1/$2"
}

install_scripts() {
  install_script "$BIN" pulumi-resource-pulumi-nodejs "$SHIM"
  install_script "$BIN" pulumi-language-nodejs "$RUNTIME_DIR/language-host-wrapper.sh"
}

# 1. A complete installation on PATH (for instance the official tarball in ~/.pulumi/bin). Its
# directory must be named bin: the Automation API runs <root>/bin/pulumi.
path_dir="$(dirname "$(command -v pulumi 2>/dev/null || echo /nonexistent/pulumi)")"
if [ "$(basename "$path_dir")" = bin ] && [ -x "$path_dir/pulumi-language-nodejs" ] \
  && [ -x "$path_dir/pulumi-resource-pulumi-nodejs" ]; then
  log "using pulumi $("$path_dir/pulumi" version 2>/dev/null) found on PATH in $path_dir"
  echo "$path_dir"; exit 0
fi

mkdir -p "$BIN"
# Parallel jest workers may call this at once: one builds, the others wait and reuse the result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

cli_ready() { [ -x "$BIN/pulumi" ] && [ "$("$BIN/pulumi" version 2>/dev/null)" = "$PULUMI_VERSION" ]; }
HOST="$CACHE/host"
host_ready() { [ -x "$HOST/pulumi-language-nodejs" ]; }
# Caches from before the wrapper hold the host binary in bin/: move it, no rebuild needed.
if ! host_ready && [ -x "$BIN/pulumi-language-nodejs" ] && ! head -c 2 "$BIN/pulumi-language-nodejs" | grep -q '#!'; then
  mkdir -p "$HOST" && mv -f "$BIN/pulumi-language-nodejs" "$HOST/pulumi-language-nodejs"
fi

# 2. Already built into the cache.
if cli_ready && host_ready; then
  install_scripts
  log "using cached pulumi $PULUMI_VERSION (language host $PULUMI_NODEJS_HOST) in $BIN"
  echo "$BIN"; exit 0
fi

# 3. Build what is missing.
command -v go >/dev/null 2>&1 \
  || fail 2 "Go >= 1.25 is needed to build the Pulumi CLI and 'go' was not found on PATH (install Go >= 1.25 from https://go.dev/dl or the Go module proxy's golang.org/toolchain)"
go_version="$(go env GOVERSION)"
go_minor="$(echo "$go_version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[ -n "$go_minor" ] && [ "$go_minor" -ge 25 ] \
  || fail 2 "Go >= 1.25 is needed to build the Pulumi CLI $PULUMI_VERSION, found $go_version (install Go >= 1.25)"

export CGO_ENABLED=0  # pure Go, as the official release builds
build_flags=(-trimpath -tags osusergo,grpcnotrace -mod=mod)
staging="$CACHE/bin.staging"
rm -rf "$staging"; mkdir -p "$staging"

# Each binary gets its own wrapper module: the CLI needs sdk/v3 at $PULUMI_VERSION, the host its
# own old sdk/v3, and a wrapper module avoids `go install`'s refusal of modules with replaces.
prepare_module() { # dir module-name
  mkdir -p "$1"
  [ -f "$1/go.mod" ] || (cd "$1" && go mod init "$2" >/dev/null 2>&1)
}

started=$SECONDS
if ! cli_ready; then
  log "building pulumi $PULUMI_VERSION with $go_version into $BIN (first run only: module download plus ~4 min of compiling on 2 cores)"
  src="$CACHE/src"
  prepare_module "$src" example.invalid/pulumi-build
  cd "$src"
  # pkg/go.mod replaces atotto/clipboard with this fork; replaces of dependencies are not inherited.
  go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
  log "step 1/2: fetching github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION and its dependencies"
  go_get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" \
    || fail 1 "could not fetch the Pulumi CLI modules from the Go module proxy ($(go env GOPROXY))"
  go_get "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" \
    || fail 1 "could not fetch github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  log "step 2/2: compiling the CLI"
  go build "${build_flags[@]}" -ldflags "-s -w $VERSION_LDFLAG=$PULUMI_VERSION" -o "$staging/" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi || fail 1 "go build of the Pulumi CLI failed"
  mv -f "$staging/pulumi" "$BIN/pulumi"
  log "built pulumi $("$BIN/pulumi" version) ($((SECONDS - started)) s so far)"
fi

if ! host_ready; then
  log "building pulumi-language-nodejs from github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST"
  src="$CACHE/src-language-nodejs"
  prepare_module "$src" example.invalid/pulumi-language-nodejs-build
  cd "$src"
  go_get -tool "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@$PULUMI_NODEJS_HOST" \
    || fail 1 "could not fetch github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST from the Go module proxy"
  go build "${build_flags[@]}" -ldflags "-s -w $VERSION_LDFLAG=$PULUMI_NODEJS_HOST" -o "$staging/" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs || fail 1 "go build of pulumi-language-nodejs failed"
  mkdir -p "$HOST"
  mv -f "$staging/pulumi-language-nodejs" "$HOST/pulumi-language-nodejs"
fi
rm -rf "$staging"

install_scripts
cli_ready || fail 1 "$BIN/pulumi does not report version $PULUMI_VERSION"
log "ready in $((SECONDS - started)) s: pulumi $PULUMI_VERSION, language host $PULUMI_NODEJS_HOST, dynamic-provider plugin, in $BIN"
echo "$BIN"
