#!/usr/bin/env bash
# Benchmarks the hook as a process: `aethelgard hook codex < payload`, spawn to exit.
#
# Usage: scripts/bench-hook.sh [RUNS]   (default 300 timed runs per case, after 20 warm-up runs)
#
# HOME points to an empty temporary directory and XDG_CONFIG_HOME, XDG_CACHE_HOME and
# AETHELGARD_POLICY are unset, so no user policy and no cached example stamp is picked up.
#
# Two measurements, each printed as a table of nearest-rank percentiles in milliseconds:
#   hyperfine  when installed (`apt-get install -y hyperfine`), --warmup 20 --runs RUNS
#              --export-json. hyperfine 1.15 has no --input, so every command runs as
#              `sh -c '... < payload'` and hyperfine subtracts the shell's spawn time, which it
#              calibrates once per case; for commands this short the calibration can go wrong
#              (hyperfine warns; the script flags runs corrected to 0 ms).
#   python3    always: subprocess.run with stdin from the payload file, timed with
#              time.perf_counter_ns, no shell in between. Includes Python's fork/exec overhead.
# Set BENCH_HOOK_TOOL=python to skip hyperfine. Raw JSON goes to $OUT_DIR (default
# target/bench-hook/{hyperfine,python}).
#
# Cases:
#   baseline       `/bin/true < payload`: spawn and exit of a trivial process on this machine
#   startup        `aethelgard --version`: the same binary, no policy, start and exit only
#   benign         built-in policy, a `git status` Bash call (allowed: empty stdout)
#   fixture        built-in policy, tests/fixtures/codex/pretooluse_exec_command.jsonl (a deny)
#   policy-first   --policy <copy of data/policy/default.toml>, example stamp deleted before
#                  every run, so every run checks the examples and writes the stamp
#   policy-steady  the same file with the stamp present (examples trusted)
set -euo pipefail

RUNS="${1:-300}"
WARMUP=20
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

cargo build --release -p aethelgard-cli
BIN="$ROOT/target/release/aethelgard"

OUT_DIR="${OUT_DIR:-$ROOT/target/bench-hook}"
mkdir -p "$OUT_DIR/hyperfine" "$OUT_DIR/python"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BENCH_HOME="$WORK/home"
mkdir -p "$BENCH_HOME"

BENIGN="$WORK/benign.json"
cat >"$BENIGN" <<'JSON'
{"session_id":"bench","cwd":"/home/dev/project","hook_event_name":"PreToolUse","model":"gpt-5.5","permission_mode":"default","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"call_bench_1"}
JSON
FIXTURE="$ROOT/tests/fixtures/codex/pretooluse_exec_command.jsonl"
POLICY="$WORK/policy.toml"
cp "$ROOT/data/policy/default.toml" "$POLICY"
STAMPS="$BENCH_HOME/.cache/aethelgard"
CASES=(baseline startup benign fixture policy-first policy-steady)

# The environment every run sees: an empty HOME, no XDG overrides, no policy override.
run_env=(env -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u AETHELGARD_POLICY HOME="$BENCH_HOME")

echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== answers"
printf 'benign: '; "${run_env[@]}" "$BIN" hook codex <"$BENIGN" | head -c 200; echo
printf 'fixture: '; "${run_env[@]}" "$BIN" hook codex <"$FIXTURE" | head -c 200; echo
rm -rf "$STAMPS"
printf 'policy (first run): '; "${run_env[@]}" "$BIN" hook codex --policy "$POLICY" <"$FIXTURE" | head -c 120; echo
echo "stamps after first run: $(find "$STAMPS" -type f 2>/dev/null | wc -l)"

summarize() { # dir
  python3 - "$1" "${CASES[@]}" <<'PY'
import json, math, os, sys
def pct(xs, p):
    xs = sorted(xs)
    return xs[max(1, math.ceil(p / 100 * len(xs))) - 1]
print("| case | runs | p50 ms | p90 ms | p99 ms | min ms | max ms | mean ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name in sys.argv[2:]:
    data = json.load(open(os.path.join(sys.argv[1], name + ".json")))
    for r in data["results"]:
        t = [x * 1000 for x in r["times"]]
        zeros = sum(1 for x in t if x <= 0)
        flag = f" (**{zeros} runs corrected to 0 ms: shell calibration failed, discard**)" if zeros else ""
        print(f"| {name}{flag} | {len(t)} | {pct(t,50):.2f} | {pct(t,90):.2f} | {pct(t,99):.2f} | {min(t):.2f} | {max(t):.2f} | {sum(t)/len(t):.2f} |")
PY
}

export BIN BENIGN FIXTURE POLICY STAMPS BENCH_HOME

if [[ "${BENCH_HOOK_TOOL:-}" != python ]] && command -v hyperfine >/dev/null 2>&1; then
  dir="$OUT_DIR/hyperfine"
  echo "== hyperfine $(hyperfine --version | cut -d' ' -f2): $RUNS runs, warm-up $WARMUP, via sh -c with shell-spawn correction"
  hf() { # name command [extra hyperfine args...]
    local name="$1" cmd="$2"; shift 2
    "${run_env[@]}" hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" -n "$name" \
      --export-json "$dir/$name.json" "$@" "$cmd" >"$dir/$name.txt" 2>&1
  }
  hf baseline "/bin/true < '$BENIGN'"
  hf startup "'$BIN' --version < '$BENIGN'"
  hf benign "'$BIN' hook codex < '$BENIGN'"
  hf fixture "'$BIN' hook codex < '$FIXTURE'"
  hf policy-first "'$BIN' hook codex --policy '$POLICY' < '$FIXTURE'" --prepare "rm -rf '$STAMPS'"
  rm -rf "$STAMPS"; "${run_env[@]}" "$BIN" hook codex --policy "$POLICY" <"$FIXTURE" >/dev/null
  hf policy-steady "'$BIN' hook codex --policy '$POLICY' < '$FIXTURE'"
  summarize "$dir"
else
  echo "== hyperfine skipped (not installed, or BENCH_HOOK_TOOL=python)"
fi

dir="$OUT_DIR/python"
echo "== python3 loop: subprocess.run + time.perf_counter_ns, no shell, $RUNS runs, warm-up $WARMUP"
python3 - "$RUNS" "$WARMUP" "$dir" <<'PY'
import json, os, shutil, subprocess, sys, time
runs, warmup, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "AETHELGARD_POLICY")}
env["HOME"] = os.environ["BENCH_HOME"]
b, benign, fixture, policy, stamps = (os.environ[k] for k in ("BIN", "BENIGN", "FIXTURE", "POLICY", "STAMPS"))
def clear():
    shutil.rmtree(stamps, ignore_errors=True)
cases = [
    ("baseline", ["/bin/true"], benign, None),
    ("startup", [b, "--version"], benign, None),
    ("benign", [b, "hook", "codex"], benign, None),
    ("fixture", [b, "hook", "codex"], fixture, None),
    ("policy-first", [b, "hook", "codex", "--policy", policy], fixture, clear),
    ("policy-steady", [b, "hook", "codex", "--policy", policy], fixture, None),
]
for name, argv, payload, prepare in cases:
    if name == "policy-steady":
        clear()
        with open(payload, "rb") as f:
            subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, env=env, check=True)
    times = []
    for i in range(warmup + runs):
        if prepare:
            prepare()
        with open(payload, "rb") as f:
            t0 = time.perf_counter_ns()
            subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, env=env, check=True)
            t1 = time.perf_counter_ns()
        if i >= warmup:
            times.append((t1 - t0) / 1e9)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump({"results": [{"command": name, "times": times}]}, f)
PY
summarize "$dir"
echo "== load at end: $(cut -d' ' -f1-3 /proc/loadavg); raw JSON in $OUT_DIR"
