# Sourced by the scripts that run the suite against the reference server over HTTP.
#
#   start_http_server LOG PROGRAM [ARGS...]
#
# Starts PROGRAM in the background with its stderr in LOG, then waits up to 5 s for
# it to print its http://127.0.0.1:PORT/mcp URL. Sets `server_pid` (for the caller's
# cleanup) and `url`; on failure prints the log and returns 3.
start_http_server() {
  local log=$1
  shift
  "$@" 2>"$log" &
  server_pid=$!
  url=
  for _ in $(seq 1 50); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "$log" | head -n 1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "the server did not start its HTTP listener:" >&2
  cat "$log" >&2
  return 3
}
