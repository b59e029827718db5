#!/usr/bin/env bash
# Finds or installs a local S3-compatible server for the tests of the S3 state backend: moto's
# server mode, from PyPI, into a virtual environment in a cache outside the repository (installed
# once; later runs only check it). Prints progress on stderr and, last, the path of `moto_server`
# on stdout.
#
#   MOTO_VERSION   the moto release to install (default below)
#   MOTO_VENV      where the virtual environment lives (default ~/.cache/cw-iac/moto-$MOTO_VERSION)
#
# Exit codes: 0 ready, 2 no usable Python 3 with venv and pip, 1 anything else (pip failed).
set -euo pipefail

MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
VENV="${MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cw-iac/moto-$MOTO_VERSION}"
SERVER="$VENV/bin/moto_server"

log() { echo "[s3-server] $*" >&2; }
fail() { log "ERROR: $2"; exit "$1"; }

# A marker written after a complete install, so a run killed half-way through pip starts over.
if [ -x "$SERVER" ] && [ -f "$VENV/.complete" ]; then
  echo "$SERVER"
  exit 0
fi

command -v python3 >/dev/null 2>&1 ||
  fail 2 "python3 is not installed: install Python 3 with venv and pip (Debian/Ubuntu: apt-get install python3 python3-venv python3-pip), then rerun"
python3 -c 'import venv, ensurepip' 2>/dev/null ||
  fail 2 "python3 cannot create virtual environments: install its venv module (Debian/Ubuntu: apt-get install python3-venv), then rerun"

log "installing moto[server]==$MOTO_VERSION into $VENV (once; about a minute)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV" || fail 2 "python3 -m venv $VENV failed: install python3-venv, then rerun"
# pip's own progress goes to stderr too, so stdout stays the one path line.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 ||
  fail 1 "pip install moto[server]==$MOTO_VERSION failed (is PyPI reachable?)"
[ -x "$SERVER" ] || fail 1 "$SERVER is missing after pip install"
touch "$VENV/.complete"
log "moto $MOTO_VERSION ready"
echo "$SERVER"
