#!/usr/bin/env bash
# CI helper: import the Developer ID certificate (a base64 .p12) into a temporary keychain.
#   MACOS_CERTIFICATE_P12_BASE64, MACOS_CERTIFICATE_PASSWORD   the exported certificate and its password
# Prints the keychain path; export it as MACOS_KEYCHAIN for sign-and-notarize.sh.
set -euo pipefail
: "${MACOS_CERTIFICATE_P12_BASE64:?}" "${MACOS_CERTIFICATE_PASSWORD:?}"
keychain="${RUNNER_TEMP:-$(mktemp -d)}/drs-console-signing.keychain-db"
kc_password=$(uuidgen)
cert="$(dirname "$keychain")/certificate.p12"
echo "$MACOS_CERTIFICATE_P12_BASE64" | base64 --decode > "$cert"
security create-keychain -p "$kc_password" "$keychain"
security set-keychain-settings -lut 21600 "$keychain"
security unlock-keychain -p "$kc_password" "$keychain"
security import "$cert" -P "$MACOS_CERTIFICATE_PASSWORD" -A -t cert -f pkcs12 -k "$keychain"
security set-key-partition-list -S apple-tool:,apple: -k "$kc_password" "$keychain" >/dev/null
security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
rm -f "$cert"
echo "$keychain"
