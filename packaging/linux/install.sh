#!/usr/bin/env sh
# Per-user install of the DRS Console tarball (no root needed):
#   ./install.sh              copies the app to ~/.local/opt/drs-console, links ~/.local/bin/drs-console,
#                             adds the menu entry and the icon
#   ./install.sh --uninstall  removes all of that again
# PREFIX (default ~/.local) moves everything.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-"$HOME/.local"}
app_dir="$prefix/opt/drs-console"
bin="$prefix/bin/drs-console"
desktop="$prefix/share/applications/drs-console.desktop"
icon="$prefix/share/icons/hicolor/256x256/apps/drs-console.png"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$prefix/share/applications" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$app_dir"
  rm -f "$bin" "$desktop" "$icon"
  refresh
  echo "DRS Console removed from $prefix"
  exit 0
fi

mkdir -p "$prefix/opt" "$prefix/bin" "$(dirname "$desktop")" "$(dirname "$icon")"
rm -rf "$app_dir.new"
cp -R "$here/drs-console" "$app_dir.new"
rm -rf "$app_dir"
mv "$app_dir.new" "$app_dir"
ln -sf "$app_dir/drs-console" "$bin"
cp "$here/drs-console.png" "$icon"
# absolute paths, so the menu entry works even when ~/.local/bin is not on PATH
sed -e "s|^Exec=drs-console|Exec=$app_dir/drs-console|" \
    -e "s|^TryExec=drs-console|TryExec=$app_dir/drs-console|" \
    "$here/drs-console.desktop" > "$desktop"
refresh
echo "DRS Console installed in $app_dir"
echo "  menu: DRS Console; terminal: $bin (make sure $prefix/bin is on PATH)"
