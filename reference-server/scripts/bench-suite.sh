#!/usr/bin/env bash
# Benchmark: wall time of the whole suite against the reference server (release build),
# over stdio and Streamable HTTP, at the default settings (no -j: the harness's own default)
# with the hints file the README's main command uses, RUNS times each (default 5); prints
# every run, the median and the machine. A figure, not a test: nothing here passes or fails
# on time. A run that does not exit 0 (a case failed against our own server) stops it.
#
#   reference-server/scripts/bench-suite.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=reference-server/scripts/http-server.sh
. reference-server/scripts/http-server.sh
# shellcheck source=reference-server/scripts/bench-common.sh
. reference-server/scripts/bench-common.sh
runs=${1:-5}
cargo build --release --quiet
bin=./target/release
hints=fixtures/reference-hints.yaml
log=$(mktemp)
out=$(mktemp)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -f "$log" "$out"
}
trap cleanup EXIT

time_runs() {
  local label=$1
  shift
  local times=() i start code
  for i in $(seq 1 "$runs"); do
    start=$(now_ms)
    code=0
    "$@" >"$out" 2>&1 || code=$?
    if [ "$code" -ne 0 ]; then
      echo "$label run $i: mcp-conform exited $code (expected 0 against the reference server); stopping" >&2
      grep -E '^(FAIL|ERROR|WARN) |^[0-9]+ passed' "$out" | cut -c1-200 >&2 || tail -n 20 "$out" >&2
      exit 1
    fi
    times+=($(($(now_ms) - start)))
    echo "$label run $i: ${times[-1]} ms ($(grep -E '^[0-9]+ passed' "$out" | sed 's/ ([0-9]* ms)$//'))"
  done
  echo "$label: median $(median_of "${times[@]}") ms over $runs runs"
}

machine_line
echo "$("$bin/mcp-conform" --version), $("$bin/mcp-conform" --list | grep -E "^[0-9]+ cases$"), default settings, --hints $hints"
time_runs "stdio" "$bin/mcp-conform" --hints "$hints" -- "$bin/mcp-reference-server"

token=bench-token
start_http_server "$log" "$bin/mcp-reference-server" --http 127.0.0.1:0 --bearer "$token" || exit 3
time_runs "streamable-http" "$bin/mcp-conform" --hints "$hints" --bearer "$token" "$url"
machine_line
