#!/usr/bin/env bash
# Benchmark: wall time of the whole suite (release build, default settings) against a Python
# SDK server over stdio, `mcp-server-time --local-timezone UTC` from PyPI, RUNS times
# (default 3); prints every run, the median, the machine, and the last run's verdict counts
# and slowest cases. A figure, not a test: nothing here passes or fails on time. Exit 1 of
# mcp-conform (the server's own findings) is expected; 2 or 3 (the run could not be carried
# out) stops the script.
#
#   reference-server/scripts/bench-python.sh [RUNS]
#
# Needs PyPI. Installs, only when missing, at pinned versions, a venv in
# $MCP_CONFORM_BENCH_TOOLS (default ~/.cache/mcp-conform-bench; outside the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=reference-server/scripts/bench-common.sh
. reference-server/scripts/bench-common.sh
runs=${1:-3}

pins=(mcp-server-time==2026.10.19 mcp==2.3.0)

cargo build --release --quiet
conform=$PWD/target/release/mcp-conform

venv=$bench_tools/venv-time
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "${pins[*]}" ]; then
  echo "== installing ${pins[*]} into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
  echo "${pins[*]}" >"$venv/.stamp"
fi
server=$venv/bin/mcp-server-time
[ -x "$server" ] || { echo "the install left no $server (remove $venv and retry)" >&2; exit 3; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

machine_line
echo "versions: mcp-conform $("$conform" --version | awk '{print $2}'), $("$venv/bin/python" --version)," \
  "$("$venv/bin/pip" list --disable-pip-version-check 2>/dev/null | awk '$1 == "mcp-server-time" || $1 == "mcp" {printf "%s %s, ", $1, $2}')default settings"
times=()
for i in $(seq 1 "$runs"); do
  start=$(now_ms)
  code=0
  "$conform" --format terminal --format json -o "$work/run-$i" -- "$server" --local-timezone UTC \
    >"$work/run-$i.log" 2>&1 || code=$?
  times+=($(($(now_ms) - start)))
  if [ "$code" -gt 1 ]; then
    echo "run $i: mcp-conform exited $code; stopping" >&2
    tail -n 20 "$work/run-$i.log" >&2
    exit 1
  fi
  echo "run $i: ${times[-1]} ms ($(grep -E '^[0-9]+ passed' "$work/run-$i.log" | sed 's/ ([0-9]* ms)$//'))"
done
echo "mcp-server-time over stdio: median $(median_of "${times[@]}") ms over $runs runs"
# Where the time goes: the last run's verdict counts and its slowest cases.
"$venv/bin/python" - "$work/run-$runs/report.json" "$runs" <<'EOF'
import collections, json, sys
cases = json.load(open(sys.argv[1]))["cases"]
counts = dict(collections.Counter(c["verdict"] for c in cases))
total = sum(c["duration_ms"] for c in cases)
print(f"run {sys.argv[2]}: cases per verdict {counts}; sum of case durations {total} ms; slowest:")
for c in sorted(cases, key=lambda c: -c["duration_ms"])[:15]:
    print(f"  {c['duration_ms']:>6} ms  {c['id']}  {c['verdict']}")
EOF
machine_line
