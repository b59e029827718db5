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
echo "[setup] compiling TypeScript (tsc)" >&2
npx tsc -p tsconfig.json
bash scripts/ensure-pulumi.sh >/dev/null
