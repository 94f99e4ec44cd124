#!/usr/bin/env bash
# Code signing and notarization of the macOS build (Developer ID, hardened runtime).
#
#   sign-and-notarize.sh sign-app "build/dist/DRS Console.app"   # before make-dmg.sh
#   sign-and-notarize.sh sign-dmg build/dist/installers/X.dmg     # after make-dmg.sh
#   sign-and-notarize.sh notarize build/dist/installers/X.dmg     # submit, wait, staple
#
# Environment:
#   MACOS_SIGN_IDENTITY      "Developer ID Application: Example Corp (TEAMID1234)" (required for signing;
#                            the certificate must be in the keychain: see packaging/README.md)
#   MACOS_KEYCHAIN           keychain holding it (optional; default: the search list)
# notarization, either a stored notarytool profile
#   NOTARY_KEYCHAIN_PROFILE  made once with `xcrun notarytool store-credentials NAME ...`
# or an Apple ID with an app-specific password
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
# Needs macOS with Xcode's command line tools (codesign, xcrun notarytool, stapler).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=${1:?usage: sign-and-notarize.sh sign-app APP | sign-dmg DMG | notarize DMG}
target=${2:?usage: sign-and-notarize.sh sign-app APP | sign-dmg DMG | notarize DMG}
identity=${MACOS_SIGN_IDENTITY:-}
keychain_args=()
[ -n "${MACOS_KEYCHAIN:-}" ] && keychain_args=(--keychain "$MACOS_KEYCHAIN")

need_identity() {
  [ -n "$identity" ] || { echo "sign-and-notarize.sh: set MACOS_SIGN_IDENTITY" >&2; exit 2; }
}

sign() {  # sign one file or bundle with the hardened runtime and a secure timestamp
  codesign --force --timestamp --options runtime --entitlements "$here/entitlements.plist" \
    ${keychain_args[@]+"${keychain_args[@]}"} --sign "$identity" "$1"
}

case "$action" in
  sign-app)
    need_identity
    # inside out: every Mach-O (libraries, Python extensions, Qt plugins and frameworks) first,
    # then the executable, then the bundle (codesign --deep is discouraged by Apple)
    while IFS= read -r -d '' f; do
      if file -b "$f" | grep -q "Mach-O"; then sign "$f"; fi
    done < <(find "$target/Contents" -type f \( -name "*.so" -o -name "*.dylib" -o -perm -u+x \) \
               ! -path "*/Contents/MacOS/*" -print0)
    while IFS= read -r -d '' fw; do sign "$fw"; done < <(find "$target/Contents" -type d -name "*.framework" -print0)
    sign "$target/Contents/MacOS/drs-console"
    sign "$target"
    codesign --verify --strict --deep --verbose=2 "$target"
    echo "sign-and-notarize.sh: signed $target"
    ;;
  sign-dmg)
    need_identity
    codesign --force --timestamp ${keychain_args[@]+"${keychain_args[@]}"} --sign "$identity" "$target"
    codesign --verify --verbose=2 "$target"
    ;;
  notarize)
    if [ -n "${NOTARY_KEYCHAIN_PROFILE:-}" ]; then
      auth=(--keychain-profile "$NOTARY_KEYCHAIN_PROFILE")
    else
      : "${APPLE_ID:?set APPLE_ID (or NOTARY_KEYCHAIN_PROFILE)}"
      : "${APPLE_TEAM_ID:?set APPLE_TEAM_ID}"
      : "${APPLE_APP_PASSWORD:?set APPLE_APP_PASSWORD (an app-specific password)}"
      auth=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
    fi
    xcrun notarytool submit "$target" "${auth[@]}" --wait --timeout 30m
    xcrun stapler staple "$target"
    xcrun stapler validate "$target"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$target" || true
    echo "sign-and-notarize.sh: notarized and stapled $target"
    ;;
  *)
    echo "sign-and-notarize.sh: unknown action $action" >&2
    exit 2
    ;;
esac
