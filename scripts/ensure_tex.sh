#!/usr/bin/env bash
# Install the Debian TeX packages `make pdf` needs if any is missing (needs apt, as root or with passwordless sudo):
# xelatex + latexmk, the LaTeX packages Sphinx's class loads, and free OpenType fonts
# (FreeSerif/FreeSans/FreeMono, Sphinx's xelatex default). apt-get update runs once, only
# when something is missing.
set -euo pipefail
PKGS=(texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk fonts-freefont-otf)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && command -v xelatex >/dev/null && command -v latexmk >/dev/null; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; fi
if { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; } && command -v apt-get >/dev/null 2>&1; then
  echo "ensure_tex: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "ensure_tex: install ${missing[*]} (Debian: sudo apt-get install ${missing[*]}) and retry" >&2
  exit 1
fi
