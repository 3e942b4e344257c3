# shellcheck shell=bash
# Sourced by the benchmark scripts (bench-suite.sh, bench-vs-official.sh, bench-python.sh).
# Figures only: nothing here passes or fails on time.
#
#   bench_tools             the cache folder for third-party tools (outside the repository):
#                           $MCP_CONFORM_BENCH_TOOLS, default ~/.cache/mcp-conform-bench
#   now_ms                  wall clock in milliseconds
#   median                  the median of the numbers on stdin, one a line
#   machine_line            "machine: N cores, CPU model, load 1 5 15"
#   median_of NUMBERS...    the median of its arguments
# shellcheck disable=SC2034 # used by the scripts that source this file
bench_tools=${MCP_CONFORM_BENCH_TOOLS:-$HOME/.cache/mcp-conform-bench}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

median_of() { printf '%s\n' "$@" | median; }

machine_line() {
  local model
  model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  echo "machine: $(nproc) cores, $model, load $(cut -d' ' -f1-3 /proc/loadavg)"
}
