#!/usr/bin/env bash
# Installs the real agent runtimes used by the end-to-end tests
# (crates/cli/tests/e2e.rs) into the repo-local, gitignored folder .e2e/:
#
#   @openai/codex              (Codex CLI, a native binary shipped in @openai/codex-linux-x64)
#   @anthropic-ai/claude-code  (Claude Code, a native binary)
#
# The tests look for .e2e/node_modules/.bin/codex and .e2e/node_modules/.bin/claude.
# Idempotent: does nothing when both are already installed at the pinned versions.
# Needs Node.js and npm, and access to the npm registry.
set -euo pipefail

CODEX_VERSION="0.169.0"
CLAUDE_VERSION="2.1.329"

script="${BASH_SOURCE[0]}"
case "$script" in
    */*) script_dir="${script%/*}" ;;
    *) script_dir="." ;;
esac
ROOT="$(cd "$script_dir/.." && pwd)"
PREFIX="$ROOT/.e2e"

die() {
    echo "install-e2e: ERROR: $*" >&2
    exit 1
}

missing=()
command -v node >/dev/null 2>&1 || missing+=("node (Node.js)")
command -v npm >/dev/null 2>&1 || missing+=("npm")
if [ "${#missing[@]}" -ne 0 ]; then
    die "missing: ${missing[*]}. Install Node.js and npm (e.g. 'apt-get install -y nodejs npm'), then re-run 'bash scripts/install-e2e.sh'."
fi

# Reads "version" from an installed package.json; prints nothing when absent.
installed_version() {
    local pkg_json="$PREFIX/node_modules/$1/package.json"
    [ -f "$pkg_json" ] || return 0
    node -e 'try { process.stdout.write(String(require(process.argv[1]).version || "")) } catch (e) {}' "$pkg_json"
}

have_codex="$(installed_version @openai/codex)"
have_claude="$(installed_version @anthropic-ai/claude-code)"

if [ "$have_codex" = "$CODEX_VERSION" ] && [ "$have_claude" = "$CLAUDE_VERSION" ] \
    && [ -x "$PREFIX/node_modules/.bin/codex" ] && [ -x "$PREFIX/node_modules/.bin/claude" ] \
    && "$PREFIX/node_modules/.bin/codex" --version >/dev/null 2>&1 \
    && "$PREFIX/node_modules/.bin/claude" --version >/dev/null 2>&1; then
    echo "install-e2e: already installed: @openai/codex@$CODEX_VERSION, @anthropic-ai/claude-code@$CLAUDE_VERSION in $PREFIX"
    exit 0
fi

echo "install-e2e: installing @openai/codex@$CODEX_VERSION and @anthropic-ai/claude-code@$CLAUDE_VERSION into $PREFIX"
mkdir -p "$PREFIX"
# A package.json of its own keeps npm from walking up and treating the repo root as the project.
if [ ! -f "$PREFIX/package.json" ]; then
    printf '{\n  "name": "aethelgard-e2e-runtimes",\n  "private": true\n}\n' >"$PREFIX/package.json"
fi

if ! npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact \
    "@openai/codex@$CODEX_VERSION" "@anthropic-ai/claude-code@$CLAUDE_VERSION"; then
    die "npm install failed for @openai/codex@$CODEX_VERSION and/or @anthropic-ai/claude-code@$CLAUDE_VERSION (is the npm registry reachable? see npm's output above)."
fi

for bin in codex claude; do
    [ -x "$PREFIX/node_modules/.bin/$bin" ] || die "npm finished but $PREFIX/node_modules/.bin/$bin is missing."
    if ! out="$("$PREFIX/node_modules/.bin/$bin" --version 2>&1)"; then
        die "$PREFIX/node_modules/.bin/$bin does not run ('$bin --version' failed: $out). Its native binary for this platform may be missing."
    fi
    echo "install-e2e: $bin --version: $out"
done

echo "install-e2e: done."
