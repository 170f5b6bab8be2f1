#!/usr/bin/env bash
# Makes the README's screenshots from the real program: apitokens runs in tmux inside a real
# xterm under Xvfb, tmux types the keys, ImageMagick's `import` captures the window.
# Needs (Debian): xvfb xterm imagemagick tmux fonts-dejavu-core fonts-noto-cjk.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build
binary="$(swift build --show-bin-path)/apitokens"
out="screenshots"
work="$(mktemp -d)"
socket="apitokens-shots"
display=":97"
mkdir -p "$out"

Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; kill "$xvfb" 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1

# shot NAME LOGIN KEYS... : opens the UI as LOGIN on a fresh demo database, sends KEYS, captures.
shot() {
  local name="$1" login="$2"
  shift 2
  local db="$work/$name.sqlite"
  "$binary" demo --seed-only --db "$db" >/dev/null
  local as=""
  [ "$login" != "-" ] && as="--as $login"
  DISPLAY="$display" xterm -geometry 110x30 -fa "DejaVu Sans Mono" -fs 11 -bg "#1d1f21" -fg "#e0e0e0" \
    -title "apitokens-$name" \
    -e tmux -L "$socket" new-session -s "$name" "TERM=xterm-256color $binary --db $db $as" \; set status off &
  sleep 2
  for keys in "$@"; do
    if [ "${keys:0:1}" = "=" ]; then
      tmux -L "$socket" send-keys -t "$name" -l "${keys:1}"
    else
      tmux -L "$socket" send-keys -t "$name" "$keys"
    fi
    sleep 0.3
  done
  sleep 0.7
  local window
  window="$(DISPLAY="$display" xwininfo -name "apitokens-$name" | awk '/Window id:/ {print $4}')"
  DISPLAY="$display" import -window "$window" "$out/$name.png"
  tmux -L "$socket" kill-session -t "$name"
  sleep 0.5
  echo "wrote $out/$name.png"
}

shot table-by-expiry - s
shot search - / "=deploy"
shot form-admin - n "=Release pipeline (prod)" Tab Tab Right Tab Tab Right Down Down Space Down Down Space
shot form-viewer dana n "=My dashboards"
shot reveal - n "=GitHub Actions release" C-s
shot revoke - Down Down x
shot help - "?"
shot details - r R Down Down y Enter "=d"
shot audit-log - 3
