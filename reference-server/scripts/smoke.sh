#!/usr/bin/env bash
# Hand-check of the reference server and each fault through shell pipes.
# Usage: reference-server/scripts/smoke.sh [path-to-binary]
# Prints, per case, the input summary and the server's stdout.
set -u
B=${1:-${CARGO_TARGET_DIR:-target}/debug/mcp-reference-server}

init() { # init [version] [client-capabilities-json-body]
  printf '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"%s","capabilities":{%s},"clientInfo":{"name":"smoke","version":"1"}}}\n' "${1:-2025-11-25}" "${2:-}"
}
inited='{"jsonrpc":"2.0","method":"notifications/initialized"}'
req() { printf '{"jsonrpc":"2.0","id":%s,"method":"%s","params":%s}\n' "$1" "$2" "${3:-{\}}"; }

run() { # run "title" "fault args" lines...
  local title=$1 args=$2; shift 2
  echo "=== $title  [$args]"
  # shellcheck disable=SC2086
  printf '%s\n' "$@" | timeout 5 "$B" $args 2>/dev/null | cut -c1-220
  echo "--- exit ${PIPESTATUS[1]}"
}

run "correct: init + tools/list" "" "$(init)" "$inited" "$(req 2 tools/list)"
run "init-no-serverinfo (expect no serverInfo)" "--fault init-no-serverinfo" "$(init)"
echo "serverInfo occurrences: $(init | "$B" --fault init-no-serverinfo 2>/dev/null | grep -c serverInfo)"
run "init-capabilities-array" "--fault init-capabilities-array" "$(init)"
run "init-no-protocol-version" "--fault init-no-protocol-version" "$(init)"
run "answer-initialized" "--fault answer-initialized" "$(init)" "$inited"
run "answer-unknown-notifications" "--fault answer-unknown-notifications" "$(init)" '{"jsonrpc":"2.0","method":"foo/bar"}'
run "no-ping" "--fault no-ping" "$(req 5 ping)"
run "ping-requires-init" "--fault ping-requires-init" "$(req 5 ping)" "$(init)" "$(req 6 ping)"
run "serve-before-init" "--fault serve-before-init" "$(req 5 prompts/list)"
for v in 2024-11-05 2025-03-26 2025-06-18 2025-11-25 1999-01-01; do
  run "version-shift-up $v" "--fault version-shift-up" "$(init $v)"
  run "version-shift-down $v" "--fault version-shift-down" "$(init $v)"
done
run "echo-any-version" "--fault echo-any-version" "$(init 1999-01-01)"
run "counter-offer-oldest" "--fault counter-offer-oldest" "$(init 1999-01-01)"
run "parse-error-silent" "--fault parse-error-silent" '{oops' "$(req 2 ping)"
run "parse-error-id-zero" "--fault parse-error-id-zero" '{oops'
run "exit-on-bad-json" "--fault exit-on-bad-json" '{oops' "$(req 2 ping)"
run "lenient-jsonrpc" "--fault lenient-jsonrpc" '{"id":2,"method":"ping"}' '{"jsonrpc":"1.0","id":3,"method":"ping"}'
run "missing-method-wrong-code" "--fault missing-method-wrong-code" '{"jsonrpc":"2.0","id":2}'
run "accept-any-id" "--fault accept-any-id" '{"jsonrpc":"2.0","id":1.5,"method":"ping"}' '{"jsonrpc":"2.0","id":null,"method":"ping"}' '{"jsonrpc":"2.0","id":[1],"method":"ping"}'
run "unknown-method-wrong-code" "--fault unknown-method-wrong-code" "$(init)" "$(req 2 no/such)"
run "invalid-params-internal-error" "--fault invalid-params-internal-error" "$(init)" "$(req 2 tools/call '{"arguments":{}}')" "$(req 3 tools/call '{"name":"echo","arguments":[1]}')" '{"jsonrpc":"2.0","id":4,"method":"ping","params":[]}'
run "params-type-unchecked" "--fault params-type-unchecked" '{"jsonrpc":"2.0","id":4,"method":"ping","params":[]}'
run "stringify-ids" "--fault stringify-ids" "$(req 7 ping)" "$(req '"7"' ping)"
run "numberify-ids" "--fault numberify-ids" "$(req '"42"' ping)" "$(req '"4a"' ping)"
run "zero-id-dropped" "--fault zero-id-dropped" "$(req 0 ping)" "$(req 1 ping)"
run "result-and-error" "--fault result-and-error" "$(req 1 ping)"
run "no-jsonrpc-in-responses" "--fault no-jsonrpc-in-responses" "$(req 1 ping)" "$(req 2 nope)"
run "error-code-string" "--fault error-code-string" "$(req 2 tools/list)"
run "error-on-unknown-cancel" "--fault error-on-unknown-cancel" "$(init)" "$inited" '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}'
batch='[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"nope"}]'
run "correct batch under 2025-03-26" "" "$(init 2025-03-26)" "$inited" "$batch"
run "correct batch under 2025-11-25" "" "$(init)" "$inited" "$batch"
run "no-batch" "--fault no-batch" "$(init 2025-03-26)" "$inited" "$batch"
run "batch-always" "--fault batch-always" "$(init)" "$inited" "$batch"
run "banner-on-stdout" "--fault banner-on-stdout" "$(req 1 ping)"
run "pretty-print" "--fault pretty-print" "$(req 1 ping)"
echo "=== latin1-output (od -c of the end of the echo result line: expect 351 ?)"
printf '%s\n' "$(init)" "$(req 2 tools/call '{"name":"echo","arguments":{"text":"é✓"}}')" | "$B" --fault latin1-output 2>/dev/null | tail -1 | tail -c 20 | od -c
echo "=== ignore-eof (expect timeout exit 124)"
printf '%s\n' "$(req 1 ping)" | timeout 2 "$B" --fault ignore-eof 2>/dev/null; echo "--- exit $?"
run "early-roots-request" "--fault early-roots-request" "$(init)"
run "unknown fault" "--fault nope" "$(req 1 ping)"
