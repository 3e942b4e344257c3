#!/usr/bin/env bash
# Runs mcp-conform against real MCP servers from npm and PyPI (not ours), as a new user
# would, and summarises each run. It fails when a run could not be carried out (exit 2
# or 3) or when a case ends in `error` (the harness could not judge it). Failures and
# warnings are the servers' own findings: they are printed, not judged here.
#
#   reference-server/scripts/interop.sh [OUT_DIR]
#
# Needs network access to the npm registry and PyPI (installs into OUT_DIR only). All
# servers are started by this script on 127.0.0.1 and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-target/interop}")
mkdir -p "$out"
cargo build --release --quiet -p mcp-conform
conform=$PWD/target/release/mcp-conform

echo "== installing servers into $out"
if [ ! -x "$out/node/node_modules/.bin/mcp-server-everything" ]; then
  mkdir -p "$out/node"
  npm install --silent --prefix "$out/node" \
    @modelcontextprotocol/server-everything@2026.8.31 \
    @modelcontextprotocol/server-filesystem@2026.8.31 \
    @modelcontextprotocol/server-memory@2026.8.31 >/dev/null
fi
if [ ! -x "$out/venv/bin/python" ]; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet 'mcp==2.3.0'
fi
bin=$out/node/node_modules/.bin
py=$out/venv/bin/python
# The Python SDK server is the CI interop run's (stdio, or --http PORT).
py_server="$(cd "$(dirname "$0")/../.." && pwd)/fixtures/interop/python_server.py"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

bad=0
run() {
  local name=$1
  shift
  echo
  echo "== $name"
  local code=0
  "$conform" --timeout 10000 -j 2 --format terminal --format json -o "$out/$name" "$@" \
    >"$out/$name.txt" 2>&1 || code=$?
  grep -E '^[0-9]+ passed' "$out/$name.txt" || true
  grep -E '^(FAIL|WARN|ERROR) ' "$out/$name.txt" | cut -c1-200 || true
  if [ "$code" -ge 2 ]; then
    echo "!! $name: mcp-conform exited $code"
    tail -n 5 "$out/$name.txt"
    bad=1
  elif grep -q '^ERROR ' "$out/$name.txt"; then
    echo "!! $name: a case ended in error"
    bad=1
  fi
}

# server-everything has a tool that streams progress: with it as a hint the progress,
# cancellation and SSE stream / resumption cases run on a server that is not ours.
cat >"$out/everything-hints.yaml" <<'EOF'
progress: {tool: trigger-long-running-operation, arguments: {duration: 0.3, steps: 3}}
long_running: {tool: trigger-long-running-operation, arguments: {duration: 1, steps: 10}}
EOF
run server-everything-stdio --hints "$out/everything-hints.yaml" -- "$bin/mcp-server-everything" stdio
run server-filesystem -- "$bin/mcp-server-filesystem" '{root}'
mkdir -p "$out/memory"
run server-memory -- env MEMORY_FILE_PATH="$out/memory/memory.jsonl" "$bin/mcp-server-memory"
run python-sdk-stdio -- "$py" "$py_server"

port=$(free_port)
PORT=$port "$bin/mcp-server-everything" streamableHttp >"$out/everything-http.log" 2>&1 &
pids+=($!)
wait_port "$port" && run server-everything-http --hints "$out/everything-hints.yaml" "http://127.0.0.1:$port/mcp"

port=$(free_port)
"$py" "$py_server" --http "$port" >"$out/python-http.log" 2>&1 &
pids+=($!)
wait_port "$port" && run python-sdk-http "http://127.0.0.1:$port/mcp"

echo
if [ "$bad" -ne 0 ]; then
  echo "interop: some runs could not be carried out or ended in error (see above)"
  exit 1
fi
echo "interop: every run went to the end without error verdicts (reports in $out)"
