#!/usr/bin/env bash
# Mermaid's standalone browser bundle, for `cargo test --test graph`, which renders the stored
# pictures with it in headless Chromium (the check that GitHub and GitLab can draw them). One file
# from the npm package, pinned; no dependencies are installed and nothing runs under Node.
#
#   scripts/fetch-mermaid.sh   # writes target/mermaid/mermaid.min.js (once)
set -euo pipefail
cd "$(dirname "$0")/.."

# GitHub and GitLab render Markdown diagrams with Mermaid 11.
version=11.17.2
target=target/mermaid
if [ -f "$target/mermaid.min.js" ] && [ "$(cat "$target/version" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-mermaid: npm is needed to download mermaid@$version" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$version" >/dev/null)
mkdir -p "$target"
tar -xzf "$work/mermaid-$version.tgz" -C "$work" package/dist/mermaid.min.js
mv "$work/package/dist/mermaid.min.js" "$target/mermaid.min.js"
echo "$version" > "$target/version"
