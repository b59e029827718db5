#!/bin/sh
# pulumi-language-nodejs, installed by connectwise-iac's scripts/ensure-pulumi.sh beside the CLI
# it builds: the language host the CLI runs (it looks beside itself) is the v3.68 binary in
# ../host, given the flag for Pulumi.yaml's `runtime.options.typescript: false`, which that host
# predates. The project file is the first Pulumi.yaml (or .yml) from the cwd up, where the CLI
# starts its plugins. Block style is read (`runtime:` / `options:` / `typescript: false`); in any
# other form the option is not seen and the host keeps its default (ts-node registered: slower,
# nothing else changes).
host="$(dirname "$0")/../host/pulumi-language-nodejs"
dir=$(pwd -P)
project=
while :; do
  for name in Pulumi.yaml Pulumi.yml; do
    if [ -f "$dir/$name" ]; then project="$dir/$name"; break 2; fi
  done
  [ "$dir" = / ] && break
  dir=$(dirname "$dir")
done
if [ -n "$project" ] && awk '
  /^[^ \t#]/ { runtime = ($0 ~ /^runtime:[ \t]*(#.*)?$/); options = 0; next }
  runtime && /^[ \t]+options:[ \t]*(#.*)?$/ { options = 1; next }
  runtime && options && /^[ \t]+typescript:[ \t]*false[ \t]*(#.*)?$/ { found = 1 }
  END { exit !found }' "$project"; then
  exec "$host" -typescript=false "$@"
fi
exec "$host" "$@"
