#!/usr/bin/env bash
# Install Debian's Chromium for the browser check if it is missing (needs apt, as root or with passwordless sudo).
set -euo pipefail
for b in chromium chromium-browser google-chrome; do  # the names scripts/browser_check.py looks for
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; fi
if { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; } && command -v apt-get >/dev/null 2>&1; then
  echo "ensure_chromium: installing chromium"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
  echo "ensure_chromium: install Chromium (Debian: sudo apt-get install chromium) and retry" >&2
  exit 1
fi
