#!/usr/bin/env bash
# CI interop run: the release mcp-conform against real MCP servers that are not ours, each
# run held to a reviewed baseline of expected failures in fixtures/interop/.
#
#   reference-server/scripts/interop-ci.sh [--write] [RUN...]
#
# RUN is one or more of: everything-stdio everything-http filesystem-stdio memory-stdio
# python-stdio python-http (default: all of them).
#
# Without --write, every run uses `--baseline fixtures/interop/RUN.yaml`. The script exits
# non-zero, and names the run and the case, when a run has a new failure, a stale baseline
# entry (a listed case that now passes), a case that ended in `error`, a server that could
# not be started or reached, or a run that overstayed its time limit. Warnings are printed
# but never fail it.
#
# With --write, the runs write their failures instead (`--write-baseline`), and each
# fixtures/interop/RUN.yaml is rewritten: an entry that is still failing keeps its reviewed
# `reason` (matched by case id); a new one gets a reason that starts with UNREVIEWED and
# must be reviewed against the spec before it is committed (quote the MUST or SHOULD the
# server breaks, or, when the spec does not back the verdict, start the reason with
# "HARNESS FALSE VERDICT" and say why); entries whose case no longer fails are dropped and
# named. Cases that ended in `error` are never written (they are the harness's trouble, not
# the server's) and still make the script fail.
#
# Installs (only when missing or changed): the npm servers from fixtures/interop/package.json
# and its package-lock.json (`npm ci`), and the Python SDK from
# fixtures/interop/requirements.txt, into target/interop-ci/. Every server is started by
# this script, over stdio or on 127.0.0.1 (free ports), and is stopped when it ends, however
# it ends. MCP_CONFORM=PATH uses that binary instead of building target/release/mcp-conform;
# INTEROP_RUN_LIMIT, INTEROP_TOTAL_LIMIT (seconds) and INTEROP_JOBS change the bounds below.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
fixtures=$root/fixtures/interop
out=$root/target/interop-ci
all_runs=(everything-stdio everything-http filesystem-stdio memory-stdio python-stdio python-http)
run_limit=${INTEROP_RUN_LIMIT:-240}     # seconds for one run of the suite
total_limit=${INTEROP_TOTAL_LIMIT:-450} # seconds for all the runs (installs not counted)
jobs=${INTEROP_JOBS:-4}                 # cases at once, each in its own server process

write=0
runs=()
for arg in "$@"; do
  case $arg in
    --write) write=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      if [[ " ${all_runs[*]} " != *" $arg "* ]]; then
        echo "interop-ci: unknown run '$arg' (runs: ${all_runs[*]})" >&2
        exit 2
      fi
      runs+=("$arg")
      ;;
  esac
done
[ ${#runs[@]} -gt 0 ] || runs=("${all_runs[@]}")

die() {
  echo "interop-ci: FAILED: $*" >&2
  exit 1
}

echo "== interop-ci: mcp-conform against real servers, each held to fixtures/interop/<run>.yaml"
mkdir -p "$out"
if [ -n "${MCP_CONFORM:-}" ]; then
  conform=$(realpath "$MCP_CONFORM")
else
  cargo build --release --quiet -p mcp-conform || die "cannot build mcp-conform"
  conform=$root/target/release/mcp-conform
fi
[ -x "$conform" ] || die "no mcp-conform binary at $conform"

# --- installs: pinned, by package name, from npm and PyPI; loud on any failure ------------
node_dir=$out/node
stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }
node_stamp=$(stamp "$fixtures/package.json" "$fixtures/package-lock.json")
if [ "$(cat "$node_dir/.stamp" 2>/dev/null)" != "$node_stamp" ]; then
  echo "== installing the npm servers (fixtures/interop/package-lock.json) into $node_dir"
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  cp "$fixtures/package.json" "$fixtures/package-lock.json" "$node_dir/"
  if ! npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error >"$out/npm-install.log" 2>&1; then
    cat "$out/npm-install.log" >&2
    die "npm ci failed (is the npm registry reachable?); see above"
  fi
  echo "$node_stamp" >"$node_dir/.stamp"
fi
venv=$out/venv
py_stamp=$(stamp "$fixtures/requirements.txt")
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$py_stamp" ]; then
  echo "== installing the Python SDK (fixtures/interop/requirements.txt) into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$fixtures/requirements.txt" >"$out/pip-install.log" 2>&1; then
    cat "$out/pip-install.log" >&2
    die "pip install failed (is PyPI reachable?); see above"
  fi
  echo "$py_stamp" >"$venv/.stamp"
fi
bin=$node_dir/node_modules/.bin
py=$venv/bin/python
for exe in "$bin/mcp-server-everything" "$bin/mcp-server-filesystem" "$bin/mcp-server-memory" "$py"; do
  [ -x "$exe" ] || die "the install left no $exe"
done
"$py" -c 'import mcp.server.mcpserver, yaml' || die "the venv cannot import mcp.server.mcpserver and yaml"

# --- servers: started here, always stopped ---------------------------------------------
pids=()
stop_pid() {
  local p=$1
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 1 30); do
    kill -0 "$p" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http PID PORT LOG: until 127.0.0.1:PORT accepts a connection (20 s at most), while
# the server process is alive.
wait_http() {
  local pid=$1 port=$2 log=$3
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server exited before it listened on 127.0.0.1:$port; its log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$port after 20 s; the server's log:" >&2
  tail -n 20 "$log" >&2
  return 1
}

# server-everything has a tool that streams progress: with it as a hint the progress,
# cancellation and SSE stream / resumption cases run on a server that is not ours.
everything_hints=$out/everything-hints.yaml
cat >"$everything_hints" <<'EOF'
progress: {tool: trigger-long-running-operation, arguments: {duration: 0.3, steps: 3}}
long_running: {tool: trigger-long-running-operation, arguments: {duration: 1, steps: 10}}
EOF

# Summarises a run's report.json: the `error` cases (one per line, "id: reason") on fd 3
# and the warnings on stdout.
report_lines() {
  python3 - "$1" <<'EOF'
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
seen = set()
for c in cases:
    key = (c["id"], c["verdict"])
    if c["verdict"] in ("warn", "error") and key not in seen:
        seen.add(key)
        print(f'{c["verdict"].upper()} {c["id"]}: {c.get("reason", "")}'[:300])
EOF
}

# merge_baseline RAW REPORT DEST: rewrites DEST from the raw --write-baseline file, keeping
# DEST's reviewed reasons for ids that are still failing; prints what changed.
merge_baseline() {
  "$py" - "$@" <<'EOF'
import json, os, sys, yaml
raw_path, report_path, dest = sys.argv[1:4]
raw = yaml.safe_load(open(raw_path)) or []
errors = {c["id"] for c in json.load(open(report_path))["cases"] if c["verdict"] == "error"}
old = []
if os.path.exists(dest):
    old = yaml.safe_load(open(dest)) or []
reviewed = {e["id"]: e.get("reason", "") for e in old}
entries = []
for e in raw:
    cid = e["id"]
    if cid in errors:
        print(f"  not written (error, the harness's trouble): {cid}")
        continue
    reason = reviewed.get(cid)
    if reason is None or reason.startswith("UNREVIEWED"):
        reason = "UNREVIEWED: " + (e.get("reason") or "fail")
        print(f"  UNREVIEWED {cid}")
    entries.append({"id": cid, "reason": reason})
kept = {e["id"] for e in entries}
for cid in reviewed:
    if cid not in kept:
        print(f"  dropped (no longer fails): {cid}")
name = os.path.basename(dest)[: -len(".yaml")]
header = (
    f"# Expected failures of the interop run {name} (reference-server/scripts/interop-ci.sh).\n"
    "# Each reason quotes the MUST/SHOULD the server breaks (revision, page, section) and what\n"
    "# it did. A reason that starts with HARNESS FALSE VERDICT marks a verdict of mcp-conform that\n"
    "# the spec does not back: listed so the run stays green until the harness is fixed, when it\n"
    "# turns stale. Regenerate with `interop-ci.sh --write`; review every UNREVIEWED entry.\n"
)
body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100) if entries else "[]\n"
open(dest, "w").write(header + body)
print(f"  wrote {dest}: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
EOF
}

failed=()
deadline=$((SECONDS + total_limit))
# run_suite NAME ARGS...: one run of the suite; ARGS are mcp-conform's options and target.
run_suite() {
  local name=$1
  shift
  local dir=$out/reports/$name log=$out/reports/$name.log
  local baseline=$fixtures/$name.yaml raw=$out/raw/$name.yaml
  rm -rf "$dir" "$log"
  mkdir -p "$dir" "$out/raw"
  local mode=(--baseline "$baseline")
  if [ "$write" -eq 1 ]; then
    rm -f "$raw"
    mode=(--write-baseline "$raw")
  elif [ ! -f "$baseline" ]; then
    echo "!! $name: no baseline $baseline (make it with --write)"
    failed+=("$name: no baseline file")
    return
  fi
  echo
  echo "== $name"
  local limit=$((deadline - SECONDS))
  if [ "$limit" -lt 10 ]; then
    echo "!! $name: not run, the ${total_limit} s budget of all runs is spent"
    failed+=("$name: not run, the ${total_limit} s budget of all runs is spent")
    return
  fi
  [ "$limit" -le "$run_limit" ] || limit=$run_limit
  # A Python SDK process needs about a second of CPU to import before it answers
  # `initialize`, and the harness starts several at once to probe the revisions.
  local wait_ms=10000
  [[ $name == python-* ]] && wait_ms=20000
  local code=0 t0=$SECONDS
  timeout -k 10 "$limit" "$conform" --timeout "$wait_ms" -j "$jobs" \
    --format terminal --format json -o "$dir" "${mode[@]}" "$@" >"$log" 2>&1 || code=$?
  grep -E '^[0-9]+ passed' "$log" | sed "s/\$/ [$((SECONDS - t0)) s]/" || true
  grep -E '^  (NOTRUN|UNKNOWN) ' "$log" || true
  local problems=()
  case $code in
    0 | 1) ;;
    124 | 137) problems+=("did not finish within ${limit} s") ;;
    3) problems+=("the server could not be started or reached (exit 3)") ;;
    *) problems+=("mcp-conform exited $code") ;;
  esac
  if [ -f "$dir/report.json" ]; then
    local line
    while IFS= read -r line; do
      echo "  $line"
      [[ $line == ERROR* ]] && problems+=("${line%%:*} ended in error")
    done < <(report_lines "$dir/report.json")
  elif [ "$code" -le 1 ]; then
    problems+=("no report.json was written")
  fi
  if [ "$write" -eq 1 ]; then
    if [ -f "$raw" ] && [ -f "$dir/report.json" ]; then
      merge_baseline "$raw" "$dir/report.json" "$baseline"
    else
      problems+=("no baseline was written")
    fi
  elif [ "$code" -eq 1 ]; then
    local base_lines
    base_lines=$(grep -E '^  (NEW|STALE) ' "$log" || true)
    if [ -n "$base_lines" ]; then
      echo "$base_lines"
      while IFS= read -r line; do
        problems+=("$(echo "$line" | sed -E 's/^ +//; s/  +/ /' | cut -c1-200)")
      done <<<"$base_lines"
    elif [ ${#problems[@]} -eq 0 ]; then
      problems+=("mcp-conform exited 1 (see $log)")
    fi
  fi
  if [ ${#problems[@]} -gt 0 ]; then
    [ "$code" -ge 2 ] && tail -n 8 "$log" | sed 's/^/  | /'
    local p
    for p in "${problems[@]}"; do
      echo "!! $name: $p"
      failed+=("$name: $p")
    done
  fi
}

# start_http NAME LOG CMD...: starts an HTTP server in the background; its pid in $server_pid.
start_http() {
  local log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
}

for name in "${runs[@]}"; do
  case $name in
    everything-stdio)
      run_suite "$name" --hints "$everything_hints" -- "$bin/mcp-server-everything" stdio
      ;;
    filesystem-stdio)
      run_suite "$name" -- "$bin/mcp-server-filesystem" '{root}'
      ;;
    memory-stdio)
      rm -rf "$out/memory" && mkdir -p "$out/memory"
      run_suite "$name" -- env MEMORY_FILE_PATH="$out/memory/memory.jsonl" "$bin/mcp-server-memory"
      ;;
    python-stdio)
      run_suite "$name" -- "$py" "$fixtures/python_server.py"
      ;;
    everything-http | python-http)
      port=$(free_port)
      log=$out/$name-server.log
      if [ "$name" = everything-http ]; then
        start_http "$name" "$log" env PORT="$port" "$bin/mcp-server-everything" streamableHttp
        hints=(--hints "$everything_hints")
      else
        start_http "$name" "$log" "$py" "$fixtures/python_server.py" --http "$port"
        hints=()
      fi
      if wait_http "$server_pid" "$port" "$log" 2>"$out/$name-wait.txt"; then
        run_suite "$name" "${hints[@]}" "http://127.0.0.1:$port/mcp"
      else
        echo
        echo "== $name"
        sed 's/^/  | /' "$out/$name-wait.txt"
        echo "!! $name: the HTTP server did not come up"
        failed+=("$name: the HTTP server did not come up")
      fi
      stop_pid "$server_pid"
      ;;
  esac
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "interop-ci: FAILED (${#failed[@]} problem(s); reports and logs in $out/reports):"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
if [ "$write" -eq 1 ]; then
  echo "interop-ci: baselines written to fixtures/interop/; review every UNREVIEWED entry"
else
  echo "interop-ci: every run matched its baseline (reports in $out/reports)"
fi
