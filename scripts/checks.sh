#!/usr/bin/env bash
# The static checks `npm test` runs before the suites: ESLint (typescript-eslint's type-checked
# rules), Prettier, and the suites' type-check (jest only transpiles). ESLint, about half of the
# time, runs beside the other two: on two cores that saves about 25 s. Fails if any check fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npx eslint . &
eslint_pid=$!
npx prettier --check .
prettier=$?
npx tsc -p test/tsconfig.json
types=$?
wait "$eslint_pid"
eslint=$?
[ "$eslint" -eq 0 ] || echo "[checks] ESLint failed (above)" >&2
[ "$prettier" -eq 0 ] || echo "[checks] Prettier found unformatted files: npm run format" >&2
[ "$types" -eq 0 ] || echo "[checks] the suites do not type-check (tsc -p test/tsconfig.json, above)" >&2
[ "$eslint" -eq 0 ] && [ "$prettier" -eq 0 ] && [ "$types" -eq 0 ]
