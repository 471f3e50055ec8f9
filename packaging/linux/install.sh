#!/bin/sh
# Install ParrotChat for the current user: the app folder, a menu entry and its icons.
#
#   ./install.sh                  run inside dist/ParrotChat (the build puts it there)
#   packaging/linux/install.sh dist/ParrotChat
#   ./install.sh --in-place       leave the folder where it is; only add the menu entry
#   ./install.sh --uninstall      remove what this script installed (chats and models stay)
#
# Files (XDG_DATA_HOME defaults to ~/.local/share):
#   ~/.local/opt/ParrotChat/                 the app (not with --in-place)
#   ~/.local/bin/parrotchat                  a link to its executable
#   $XDG_DATA_HOME/applications/parrotchat.desktop
#   $XDG_DATA_HOME/icons/hicolor/{scalable,NxN}/apps/parrotchat.{svg,png}
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
prefix=${PARROTCHAT_PREFIX:-$HOME/.local}
target="$prefix/opt/ParrotChat"
bin_link="$prefix/bin/parrotchat"
desktop="$data_home/applications/parrotchat.desktop"
icons="$data_home/icons/hicolor"

mode=copy
app=""
for arg in "$@"; do
  case "$arg" in
    --in-place) mode=in-place ;;
    --uninstall) mode=uninstall ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    *) app=$arg ;;
  esac
done

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$data_home/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t -f "$icons" 2>/dev/null || true
}

if [ "$mode" = uninstall ]; then
  rm -f "$desktop" "$icons/scalable/apps/parrotchat.svg"
  rm -f "$icons"/*/apps/parrotchat.png
  if [ -L "$bin_link" ]; then rm -f "$bin_link"; fi
  rm -rf "$target"
  refresh
  echo "ParrotChat removed (your chats, settings and models were kept)."
  exit 0
fi

if [ -z "$app" ]; then
  if [ -x "$here/ParrotChat" ]; then app=$here; else app="$here/../../dist/ParrotChat"; fi
fi
if [ ! -x "$app/ParrotChat" ]; then
  echo "install.sh: no ParrotChat executable in $app (build it: python packaging/build.py)" >&2
  exit 1
fi
app=$(cd "$app" && pwd)

if [ "$mode" = copy ] && [ "$app" != "$target" ]; then
  rm -rf "$target.new"
  mkdir -p "$(dirname "$target")"
  cp -a "$app" "$target.new"
  rm -rf "$target"
  mv "$target.new" "$target"
  app=$target
fi
mkdir -p "$(dirname "$bin_link")"
ln -sfn "$app/ParrotChat" "$bin_link"

# Icons: from the bundled resources, or from a source checkout beside this script.
icon_dir=""
for d in "$app/_internal/parrotchat/resources/icons" "$here/../../resources/icons"; do
  if [ -d "$d" ]; then icon_dir=$d; break; fi
done
have_icon=no
if [ -n "$icon_dir" ] && [ -f "$icon_dir/parrotchat.svg" ]; then
  mkdir -p "$icons/scalable/apps"
  cp "$icon_dir/parrotchat.svg" "$icons/scalable/apps/parrotchat.svg"
  have_icon=yes
fi
if [ -n "$icon_dir" ] && [ -f "$icon_dir/parrotchat.png" ]; then
  # A PNG goes into the folder of its own size (width from the PNG header).
  size=$(od -An -tu1 -j16 -N4 "$icon_dir/parrotchat.png" \
    | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$icon_dir/parrotchat.png" "$icons/${size}x${size}/apps/parrotchat.png"
  have_icon=yes
fi
[ "$have_icon" = yes ] || echo "install.sh: warning: no icon found; the menu shows a generic one" >&2

# The menu entry, pointing at this folder's executable.
entry="$app/parrotchat.desktop"
[ -f "$entry" ] || entry="$here/parrotchat.desktop"
mkdir -p "$(dirname "$desktop")"
exec_path=$(printf '%s' "$app/ParrotChat" | sed 's/[\\"`$]/\\\\&/g')
sed -e "s|^Exec=.*|Exec=\"$exec_path\"|" -e "s|^TryExec=.*|TryExec=$app/ParrotChat|" \
  "$entry" > "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
refresh
echo "ParrotChat installed: $app"
echo "  menu entry: $desktop"
echo "  command:    $bin_link"
