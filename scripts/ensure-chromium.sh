#!/usr/bin/env bash
# Finds Debian's chromium for the access-audit page test, or installs it once with apt-get (as
# root, or through sudo without a password): Debian's package mirror is the only network it uses.
# playwright-core drives it; nothing downloads a browser. Prints progress on stderr and, last, the
# path of the binary on stdout.
#
# Exit codes: 0 ready, 2 absent and this user cannot install packages, 1 anything else.
set -euo pipefail

BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"

log() { echo "[chromium] $*" >&2; }
fail() { log "ERROR: $2"; exit "$1"; }

ready() { [ -x "$BIN" ] && "$BIN" --headless --no-sandbox --version >/dev/null 2>&1; }

if ready; then echo "$BIN"; exit 0; fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || fail 2 "$BIN is missing and installing it needs root: sudo apt-get install -y chromium"
  sudo="sudo -n"
fi
command -v apt-get >/dev/null 2>&1 || fail 2 "$BIN is missing and there is no apt-get here: install Chromium and set CHROMIUM_BIN"

# Parallel test workers may get here at once: one installs, the others wait.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/cw-iac-chromium.lock"
  flock 9
  if ready; then echo "$BIN"; exit 0; fi
fi

log "installing Debian's chromium with apt-get (first run only)"
started=$SECONDS
$sudo apt-get update -qq >&2 || fail 1 "apt-get update failed"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2 \
  || fail 1 "apt-get install chromium failed"
ready || fail 1 "$BIN does not start after the install"
log "installed $("$BIN" --version 2>/dev/null) in $((SECONDS - started)) s"
echo "$BIN"
