#!/usr/bin/env bash
# Vendor MathJax 4 (CommonHTML output, with its New Computer Modern font) from the npm registry
# into _vendor/mathjax so the built book renders math without network access. MathJax 4
# breaks a display formula that is wider than its column into lines (book/_ext/vendored_mathjax.py
# sets displayOverflow: linebreak), which MathJax 3 cannot. If npm or the registry is unavailable,
# warn and leave the book on the CDN copy (the extension decides at build time).
set -uo pipefail
cd "$(dirname "$0")/.."
VERSION=4.1.3
target=_vendor/mathjax/tex-mml-chtml.js
stamp=_vendor/mathjax/VERSION
if [ -f "$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$VERSION" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "vendor_mathjax: npm not found; the book will load MathJax from its CDN" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack "mathjax@$VERSION" "@mathjax/mathjax-newcm-font@$VERSION" --silent >/dev/null 2>&1); then
  echo "vendor_mathjax: could not fetch mathjax@$VERSION; the book will load MathJax from its CDN" >&2
  exit 0
fi
mkdir -p "$tmp/mj" "$tmp/font"
tar -xzf "$tmp/mathjax-$VERSION.tgz" -C "$tmp/mj"
tar -xzf "$tmp/mathjax-mathjax-newcm-font-$VERSION.tgz" -C "$tmp/font"
rm -rf _vendor/mathjax
mkdir -p _vendor/mathjax/fonts/mathjax-newcm-font
# The browser bundle and what it loads on demand (TeX extensions, menu, accessibility);
# not the SVG bundles or the Node entry points.
cp "$tmp/mj/package/tex-mml-chtml.js" "$tmp/mj/package/LICENSE" _vendor/mathjax/
cp -r "$tmp/mj/package/"{input,output,a11y,sre,ui} _vendor/mathjax/
cp -r "$tmp/font/package/chtml" "$tmp/font/package/chtml.js" _vendor/mathjax/fonts/mathjax-newcm-font/
echo "$VERSION" > "$stamp"
echo "vendor_mathjax: MathJax $VERSION in _vendor/mathjax ($(du -sh _vendor/mathjax | cut -f1))"
