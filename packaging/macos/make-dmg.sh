#!/usr/bin/env bash
# Make a compressed, read-only .dmg with the app and a link to /Applications (drag to install).
#   packaging/macos/make-dmg.sh "build/dist/DRS Console.app" build/dist/installers/DRS-Console-0.1.0-macos-arm64.dmg
# Needs macOS (hdiutil). Sign the .app BEFORE this (sign-and-notarize.sh sign-app), and the .dmg
# after it (sign-and-notarize.sh sign-dmg, then notarize).
set -euo pipefail
app=${1:?usage: make-dmg.sh APP DMG [VOLUME_NAME]}
dmg=${2:?usage: make-dmg.sh APP DMG [VOLUME_NAME]}
volname=${3:-"DRS Console"}
[ -d "$app" ] || { echo "make-dmg.sh: no app at $app" >&2; exit 2; }

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
# ditto keeps symlinks, extended attributes and code signatures intact (cp -R may not)
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"
mkdir -p "$(dirname "$dmg")"
rm -f "$dmg"
hdiutil create -volname "$volname" -srcfolder "$staging" -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$dmg"
hdiutil verify "$dmg"
echo "make-dmg.sh: $dmg"
