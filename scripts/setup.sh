#!/usr/bin/env bash
# One-time set-up shared by `npm run demo` and `npm test`: installs the npm dependencies when
# they are missing or stale, builds the project, and finds or builds the Pulumi CLI (cached
# outside the repository). Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=node_modules/.package-lock.stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "[setup] installing npm dependencies (npm install, pinned by package-lock.json)" >&2
  # Not `npm ci`: npm 11 rejects its own fresh lock file there (optional platform packages of
  # @unrs/resolver are missing from it), while `npm install` installs the locked versions.
  npm install --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
# `npm run sandbox` needs the dependencies only (it runs from source).
[ "${1:-}" = --deps-only ] && exit 0
echo "[setup] compiling TypeScript (tsc)" >&2
# From scratch: tsc never removes the output of a source that moved or went, and `npm pack` ships
# all of dist/.
rm -rf dist
npm run --silent build
bin_dir="$(bash scripts/ensure-pulumi.sh)"
mkdir -p .pulumi-state

# `npm run setup` (or setup.sh run by hand) says how to use the CLI; `npm test` and `npm run demo`
# run this script too and stay quiet.
if [ "${npm_lifecycle_event:-setup}" = setup ]; then
  case "$bin_dir" in "$HOME"/*) shown_bin="\$HOME/${bin_dir#"$HOME"/}" ;; *) shown_bin="$bin_dir" ;; esac
  echo "Ready. Run the Pulumi CLI with this project's settings (backend .pulumi-state/, no update check, no plugin downloads):"
  echo "  npm run pulumi -- <command>"
  echo "Or, for a plain \`pulumi\` in this shell, put it on PATH and log in to the project's backend:"
  echo "  export PATH=\"$shown_bin:\$PATH\""
  echo "  pulumi login file://$PWD/.pulumi-state"
fi
