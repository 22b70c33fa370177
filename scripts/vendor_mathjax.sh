#!/usr/bin/env bash
# Vendor MathJax 3 from the npm registry into _vendor/mathjax so the built book renders
# math without network access. If npm or the registry is unavailable, warn and leave the
# book on the CDN copy (book/_ext/vendored_mathjax.py decides at build time).
set -uo pipefail
cd "$(dirname "$0")/.."
VERSION=3.2.2
target=_vendor/mathjax/es5/tex-mml-chtml.js
if [ -f "$target" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "vendor_mathjax: npm not found; the book will load MathJax from its CDN" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack "mathjax@$VERSION" --silent >/dev/null 2>&1); then
  echo "vendor_mathjax: could not fetch mathjax@$VERSION; the book will load MathJax from its CDN" >&2
  exit 0
fi
tar -xzf "$tmp/mathjax-$VERSION.tgz" -C "$tmp" package/es5
rm -rf _vendor/mathjax
mkdir -p _vendor/mathjax
mv "$tmp/package/es5" _vendor/mathjax/es5
echo "vendor_mathjax: MathJax $VERSION in _vendor/mathjax ($(du -sh _vendor/mathjax | cut -f1))"
