#!/usr/bin/env bash
# The logic of the GitHub Action in action.yml (the repository root), kept here so that
# .ci/run can test it (.github/action/selftest.sh) without GitHub.
#
#   .github/action/run.sh install   install mcp-conform (cargo install)
#   .github/action/run.sh           run mcp-conform on INPUT_TARGET, write the job summary
#                                   and the step outputs, exit with mcp-conform's code
#
# Inputs come from the environment, one INPUT_* variable per input of action.yml (the
# action sets them in each step's `env:`, never by pasting `${{ inputs.* }}` into the
# script text, so an input is data and never shell code):
#
#   INPUT_TARGET         required: an http(s) URL, or the server's command and arguments
#   INPUT_HINTS          a hints file (--hints)
#   INPUT_BASELINE       a baseline file (--baseline)
#   INPUT_FORMATS        report formats, separated by commas or blanks (each a --format);
#                        markdown is always added, for the job summary
#   INPUT_OUTPUT_DIR     the report folder (-o; default mcp-conform-report)
#   INPUT_ARGS           more mcp-conform arguments, before the target
#   INPUT_BEARER         a token for a URL target: passed as MCP_CONFORM_BEARER in the
#                        environment, never on the command line (where ps and logs show it)
#   INPUT_SCOPED_BEARER  likewise, as MCP_CONFORM_SCOPED_BEARER
#   INPUT_REF            install: a commit of ACTION_REPOSITORY to install instead of the
#                        action's own checkout (ACTION_PATH)
#   MCP_CONFORM          run: the mcp-conform binary (default: mcp-conform on PATH)
#
# INPUT_TARGET and INPUT_ARGS are split into words as a shell would split them, quotes and
# backslashes included, but nothing is expanded: no variables, globs, `~` or command
# substitution, and no eval. The split is xargs' (POSIX quoting: '…', "…", \x); a text
# it cannot split (an unmatched quote, a newline inside quotes) is refused with exit 2.
# A target that is one word starting with http:// or https:// is a URL; anything else is
# a command, passed after `--` (its own flags stay its own).
#
# Summary: each report.md under the report folder (one per server with --all-servers) is
# appended to $GITHUB_STEP_SUMMARY, or, outside Actions, to <report folder>/job-summary.md.
# Outputs (to $GITHUB_OUTPUT when set, else printed): exit-code, report-dir, sarif-file
# (empty without a report.sarif).
set -euo pipefail

die() {
  echo "mcp-conform action: $*" >&2
  exit 2
}

# split_words TEXT: the words of TEXT, shell-quoted style, into the array `words`.
split_words() {
  words=()
  local text=$1 file
  # Blank text has no words (xargs would still run printf once, giving one empty word).
  [[ $text =~ [^[:space:]] ]] || return 0
  file=$(mktemp)
  if ! printf '%s' "$text" | xargs printf '%s\0' >"$file" 2>/dev/null; then
    rm -f "$file"
    return 1
  fi
  local w
  while IFS= read -r -d '' w; do
    words+=("$w")
  done <"$file"
  rm -f "$file"
}

install() {
  local action_path=${ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
  local cmd
  if [ -n "${INPUT_REF:-}" ]; then
    [ -n "${ACTION_REPOSITORY:-}" ] || die "INPUT_REF needs ACTION_REPOSITORY (owner/name)"
    cmd=(cargo install --locked --git "https://github.com/$ACTION_REPOSITORY" --rev "$INPUT_REF" mcp-conform)
  else
    cmd=(cargo install --locked --path "$action_path/harness")
  fi
  echo "+ ${cmd[*]}"
  [ -n "${MCP_CONFORM_ACTION_DRY_RUN:-}" ] && return 0
  "${cmd[@]}"
}

# The mcp-conform command line, into the array `cmd`.
build_command() {
  local out=$1
  cmd=("${MCP_CONFORM:-mcp-conform}")
  local formats=${INPUT_FORMATS:-terminal,markdown,junit,sarif} f seen_md=0 list
  IFS=$', \t\n' read -r -d '' -a list <<<"$formats" || true
  for f in ${list[@]+"${list[@]}"}; do
    [ -n "$f" ] || continue
    [[ $f =~ ^[a-z]+$ ]] || die "not a format: '$f'"
    cmd+=(--format "$f")
    [ "$f" = markdown ] && seen_md=1
  done
  [ $seen_md = 1 ] || cmd+=(--format markdown)
  cmd+=(-o "$out")
  [ -z "${INPUT_HINTS:-}" ] || cmd+=(--hints "$INPUT_HINTS")
  [ -z "${INPUT_BASELINE:-}" ] || cmd+=(--baseline "$INPUT_BASELINE")
  split_words "${INPUT_ARGS:-}" || die "cannot split args into words (an unmatched quote?)"
  cmd+=(${words[@]+"${words[@]}"})
  split_words "${INPUT_TARGET:-}" || die "cannot split target into words (an unmatched quote?)"
  [ ${#words[@]} -gt 0 ] || die "the target input is empty: give a URL or a command"
  if [ ${#words[@]} -eq 1 ] && [[ ${words[0]} =~ ^https?:// ]]; then
    cmd+=("${words[0]}")
  else
    cmd+=(-- "${words[@]}")
  fi
}

# Appends each report.md to the job summary (or a file beside the reports).
write_summary() {
  local out=$1 code=$2 summary=${GITHUB_STEP_SUMMARY:-$1/job-summary.md} md found=0
  mkdir -p "$out"
  while IFS= read -r -d '' md; do
    found=1
    cat "$md" >>"$summary"
    printf '\n' >>"$summary"
  done < <(find "$out" -maxdepth 2 -name report.md -print0 | sort -z)
  if [ $found = 0 ]; then
    printf '## mcp-conform\n\nmcp-conform exited %s before writing a report: see the job log.\n' \
      "$code" >>"$summary"
  fi
  echo "mcp-conform action: job summary in $summary"
}

set_outputs() {
  local out=$1 code=$2 sarif=
  [ -f "$out/report.sarif" ] && sarif=$out/report.sarif
  local lines="exit-code=$code
report-dir=$out
sarif-file=$sarif"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s\n' "$lines" >>"$GITHUB_OUTPUT"
  else
    printf '%s\n' "$lines"
  fi
}

run() {
  local out=${INPUT_OUTPUT_DIR:-mcp-conform-report}
  [[ $out != *$'\n'* ]] || die "output-dir holds a newline"
  # Tokens travel in the environment only; the INPUT_* copies are not passed on.
  [ -z "${INPUT_BEARER:-}" ] || export MCP_CONFORM_BEARER=$INPUT_BEARER
  [ -z "${INPUT_SCOPED_BEARER:-}" ] || export MCP_CONFORM_SCOPED_BEARER=$INPUT_SCOPED_BEARER
  unset INPUT_BEARER INPUT_SCOPED_BEARER
  build_command "$out"
  mkdir -p "$out"
  echo "+ ${cmd[*]}"
  local code=0
  "${cmd[@]}" || code=$?
  write_summary "$out" "$code"
  set_outputs "$out" "$code"
  exit "$code"
}

case ${1:-run} in
  install) install ;;
  run) run ;;
  *) die "usage: $0 [install|run]" ;;
esac
