#!/bin/sh
# Builds apitokens in release mode and installs it under PREFIX (default /usr/local): the binary, its man page
# (swift-argument-parser's generate-manual plugin) and the bash, zsh and fish completions.
#   scripts/install.sh [PREFIX]
set -eu

prefix=${1:-/usr/local}
case "$prefix" in
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    /*) ;;
    *) prefix=$(pwd)/$prefix ;;
esac
cd "$(dirname "$0")/.."

echo "Building apitokens (release)…"
swift build -c release --product apitokens
binary=$(swift build -c release --show-bin-path)/apitokens

echo "Writing the man page…"
swift package --allow-writing-to-directory .build generate-manual --configuration release >/dev/null
manual=$(find .build/plugins/GenerateManual -name apitokens.1 | head -n 1)
[ -n "$manual" ] || { echo "install.sh: generate-manual wrote no apitokens.1" >&2; exit 1; }

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -s -m 0755 "$binary" "$prefix/bin/apitokens"
install -m 0644 "$manual" "$prefix/share/man/man1/apitokens.1"
"$binary" --generate-completion-script bash > "$prefix/share/bash-completion/completions/apitokens"
"$binary" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_apitokens"
"$binary" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/apitokens.fish"

echo "Installed apitokens in $prefix/bin, its man page in $prefix/share/man/man1 and completions for bash, zsh and fish."
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "Add $prefix/bin to your PATH to run it." ;; esac
