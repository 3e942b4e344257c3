#!/usr/bin/env bash
# Tests the GitHub Action's logic (.github/action/run.sh) as action.yml runs it, against the
# reference server: once over stdio with the reference hints, once over Streamable HTTP with
# the token given as the `bearer` input. Each run gets a fake GITHUB_STEP_SUMMARY and
# GITHUB_OUTPUT in a temp folder; the script checks the exit code (0), the outputs, the
# report files and the summary, and that the token never shows in the logged command line.
# Also: the install step's command (a dry run), and a broken target refused with exit 2.
#
#   .github/action/selftest.sh   (uses target/release, built when missing; BIN_DIR=DIR uses
#                                 the mcp-conform and mcp-reference-server in DIR instead)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
. reference-server/scripts/http-server.sh
bin=$(realpath "${BIN_DIR:-$root/target/release}")
if [ -z "${BIN_DIR:-}" ] && { [ ! -x "$bin/mcp-conform" ] || [ ! -x "$bin/mcp-reference-server" ]; }; then
  cargo build --release --quiet -p mcp-conform -p mcp-reference-server
fi
export MCP_CONFORM=$bin/mcp-conform
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "action selftest: FAILED: $*" >&2
  exit 1
}

# run_action NAME: runs run.sh in $tmp/NAME (the workspace) with the INPUT_* variables
# already exported; checks exit 0, the outputs, the files and the summary.
run_action() {
  local name=$1 dir=$tmp/$1 code=0
  mkdir -p "$dir"
  (cd "$dir" && GITHUB_STEP_SUMMARY=$dir/summary.md GITHUB_OUTPUT=$dir/output.txt \
    "$root/.github/action/run.sh" run >"$dir/log.txt" 2>&1) || code=$?
  [ $code = 0 ] || { cat "$dir/log.txt" >&2; fail "$name: exit $code, expected 0"; }
  grep -qx 'exit-code=0' "$dir/output.txt" || fail "$name: no exit-code=0 in GITHUB_OUTPUT"
  grep -qx 'report-dir=reports' "$dir/output.txt" || fail "$name: no report-dir in GITHUB_OUTPUT"
  grep -qx 'sarif-file=reports/report.sarif' "$dir/output.txt" || fail "$name: no sarif-file output"
  for f in report.md report.sarif report.junit.xml; do
    [ -s "$dir/reports/$f" ] || fail "$name: reports/$f missing"
  done
  grep -q '^## mcp-conform: passed' "$dir/summary.md" || fail "$name: the summary has no 'passed' headline"
  cmp -s "$dir/summary.md" <(cat "$dir/reports/report.md"; echo) \
    || fail "$name: the summary is not report.md"
  if [[ $INPUT_FORMATS == *terminal* ]]; then
    grep -q ' passed, 0 failed, ' "$dir/log.txt" || fail "$name: no terminal summary in the log"
  fi
  echo "action selftest: $name: exit 0, outputs, reports and job summary present"
}

echo "== action selftest: stdio, reference hints"
export INPUT_TARGET="'$bin/mcp-reference-server' --root '{root}'"
export INPUT_HINTS=$root/fixtures/reference-hints.yaml
export INPUT_FORMATS="terminal, junit,sarif"
export INPUT_OUTPUT_DIR=reports
export INPUT_ARGS="--jobs 8"
run_action stdio

# The server demands the token: without it the run would exit 3 (only the authorization
# cases could run), so exit 0 shows that the `bearer` input reached mcp-conform.
echo "== action selftest: Streamable HTTP, token from the bearer input"
token="mcp-conform-action-$RANDOM$RANDOM"
mkdir -p "$tmp/served"
start_http_server "$tmp/server.log" "$bin/mcp-reference-server" --http 127.0.0.1:0 --bearer "$token" \
  --root "$tmp/served" || exit 3
export INPUT_TARGET=$url
export INPUT_BEARER=$token
export INPUT_FORMATS=markdown,sarif,junit
export INPUT_ARGS="--root '$tmp/served'"
run_action http
! grep -q "$token" "$tmp/http/log.txt" || fail "http: the token shows in the log"
grep -q "^+ .* $url\$" "$tmp/http/log.txt" || fail "http: the URL is not the target"
unset INPUT_BEARER

echo "== action selftest: install (dry run) and a target that cannot be split"
line=$(MCP_CONFORM_ACTION_DRY_RUN=1 ACTION_PATH=/a/b .github/action/run.sh install)
[ "$line" = "+ cargo install --locked --path /a/b/harness" ] || fail "install: $line"
code=0
(cd "$tmp" && INPUT_TARGET="server 'unclosed" "$root/.github/action/run.sh" run >/dev/null 2>&1) || code=$?
[ $code = 2 ] || fail "an unmatched quote in the target: exit $code, expected 2"
echo "action selftest: passed"
