#!/usr/bin/env bash
# Builds mcp-conform and the reference server (release), then runs the whole suite
# against the reference server over every transport it serves: stdio, Streamable HTTP
# and the legacy HTTP+SSE transport. Each case applies to some of the transports and is
# skipped (with the reason) on the others; together every case runs and must pass.
# The server serves a temp root (--root), so the path-traversal probes run too: over
# stdio the harness makes the sandbox ({root}); over HTTP the script makes the root
# and passes --root to mcp-conform, which plants its canaries beside it.
# Extra arguments go to mcp-conform (e.g. --format html -o reports/out).
set -euo pipefail
cd "$(dirname "$0")/.."
. reference-server/scripts/http-server.sh
cargo build --release --quiet
bin=./target/release
log=$(mktemp)
tmp=$(mktemp -d)
root="$tmp/root"
mkdir -p "$root/docs"
echo "a file served by the reference server" >"$root/docs/readme.txt"
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -f "$log"
  rm -rf "$tmp"
}
trap cleanup EXIT

hints=fixtures/reference-hints.yaml
status=0
echo "### stdio"
"$bin/mcp-conform" --hints "$hints" "$@" -- "$bin/mcp-reference-server" --root '{root}' || status=1

# The HTTP server demands a token, as a deployed server should (HTTP-05); the harness
# sends it with every request, and the auth.* cases check the refusals without it.
token="mcp-conform-suite-$RANDOM$RANDOM"
scoped="mcp-conform-scoped-$RANDOM$RANDOM"
start_http_server "$log" "$bin/mcp-reference-server" --http 127.0.0.1:0 --bearer "$token" \
  --scoped-bearer "$scoped" --root "$root" || exit 3
echo
echo "### streamable-http $url"
"$bin/mcp-conform" --hints "$hints" --bearer "$token" --scoped-bearer "$scoped" --root "$root" "$@" "$url" || status=1
echo
echo "### sse ${url%/mcp}/sse"
"$bin/mcp-conform" --hints "$hints" --bearer "$token" --root "$root" "$@" --transport sse "${url%/mcp}/sse" || status=1
exit $status
