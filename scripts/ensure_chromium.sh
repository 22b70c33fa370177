#!/usr/bin/env bash
# Install Debian's Chromium for the browser check if it is missing (needs root and apt).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "ensure_chromium: install Chromium (Debian: sudo apt-get install chromium) and retry" >&2
  exit 1
fi
