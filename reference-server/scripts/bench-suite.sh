#!/usr/bin/env bash
# Benchmark: wall time of the whole suite against the reference server (release build),
# over stdio and Streamable HTTP, RUNS times each (default 5); prints every run and the
# median. A figure, not a test: nothing here passes or fails on time.
#
#   reference-server/scripts/bench-suite.sh [RUNS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/../.."
. reference-server/scripts/http-server.sh
runs=${1:-5}
jobs=${2:-8}
cargo build --release --quiet
bin=./target/release
hints=fixtures/reference-hints.yaml
log=$(mktemp)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_runs() {
  local label=$1
  shift
  local times=()
  for _ in $(seq 1 "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "$label: the suite did not pass" >&2; exit 1; }
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  echo "$label: runs ${times[*]} ms; median $(printf '%s\n' "${times[@]}" | median) ms"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cases: $("$bin/mcp-conform" --list | grep -E "^[0-9]+ cases$"), -j $jobs"
time_runs "stdio" "$bin/mcp-conform" -j "$jobs" --hints "$hints" -- "$bin/mcp-reference-server"

token=bench-token
start_http_server "$log" "$bin/mcp-reference-server" --http 127.0.0.1:0 --bearer "$token" || exit 3
time_runs "streamable-http" "$bin/mcp-conform" -j "$jobs" --hints "$hints" --bearer "$token" "$url"
