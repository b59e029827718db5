#!/bin/sh
# pulumi-resource-pulumi-nodejs, installed by connectwise-iac's scripts/ensure-pulumi.sh beside
# the CLI it builds: the dynamic-provider plugin the CLI runs for dynamic resources, in the
# program's directory (its cwd). The CLI must find it beside itself, or it tries to download a
# plugin named pulumi-nodejs. That bin directory is shared by every project on the machine, so
# this runs our server (dist/pulumi-runtime/providerServer.js: diagnostics tied to resources,
# detailed diffs) only where connectwise-iac is found from the cwd the way the `__provider` text
# finds it (pulumi-runtime/packageRoot.ts), and the SDK's server (what the SDK's own shim runs)
# everywhere else, or when CW_IAC_SDK_PROVIDER is set.
server=
if [ -z "${CW_IAC_SDK_PROVIDER:-}" ]; then
  dir=$(pwd -P)
  while :; do
    if [ -f "$dir/package.json" ] && grep -q '"name"[[:space:]]*:[[:space:]]*"connectwise-iac"' "$dir/package.json"; then
      server="$dir/dist/pulumi-runtime/providerServer.js"; break
    fi
    if [ -e "$dir/node_modules/connectwise-iac" ]; then
      server="$dir/node_modules/connectwise-iac/dist/pulumi-runtime/providerServer.js"; break
    fi
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
  done
  [ -f "$server" ] || server=
fi
if [ -z "$server" ]; then
  server=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
fi
[ -n "${CW_IAC_PROVIDER_TRACE:-}" ] && echo "$(pwd) $server" >>"$CW_IAC_PROVIDER_TRACE"
exec node "$server" "$@"
