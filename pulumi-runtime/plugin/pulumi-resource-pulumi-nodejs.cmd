@echo off
rem Windows form of pulumi-resource-pulumi-nodejs beside it: this project's provider server.
if defined CW_IAC_SDK_PROVIDER (
  for /f "delims=" %%s in ('node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))"') do node "%%s" %*
) else (
  node "%~dp0..\providerServer.js" %*
)
