#!/usr/bin/env bash
# Installs Debian's Chromium for the HTML report's browser test
# (crates/audit/tests/suite/report.rs renders the report headless, screenshots it and reads its
# DOM back). The test looks for /usr/bin/chromium.
#
# Idempotent: does nothing when /usr/bin/chromium exists. Otherwise runs
# `apt-get install -y --no-install-recommends chromium` (through sudo when not root).
# Needs apt-get and access to Debian's package archive.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

die() {
    echo "install-browser: ERROR: $*" >&2
    exit 1
}

if [ -x "$CHROMIUM" ]; then
    echo "install-browser: already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || die "$CHROMIUM is missing and there is no apt-get here. Install Chromium with your package manager so that $CHROMIUM exists, or skip the browser test by leaving CI and AETHELGARD_E2E unset."

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    die "$CHROMIUM is missing, and installing it needs root: run 'apt-get install -y --no-install-recommends chromium' as root, or install sudo."
fi

echo "install-browser: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; update once, then install.
"${as_root[@]}" apt-get update -qq \
    || die "'apt-get update' failed: is Debian's package archive reachable?"
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium \
    || die "'apt-get install chromium' failed; see the messages above."

[ -x "$CHROMIUM" ] || die "the chromium package installed, but $CHROMIUM is not there."
echo "install-browser: installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
