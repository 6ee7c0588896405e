#!/usr/bin/env bash
# Planted-bug check: applies each mutation of mutations.txt, one at a time, to a temporary clone of this repository's HEAD,
# builds and runs the test project (and filter) that should guard that code, and reports whether a test failed (caught)
# or all passed (MISSED). Not part of CI: each mutation rebuilds what it touches, so a full run takes an hour or more.
#
#   tools/mutation-check/run.sh [--only ID,ID…] [--report FILE] [--keep]
#
# --report writes the results as a Markdown table (default: docs/mutation-report.md in this checkout). Every `dotnet`
# call takes /tmp/tk-cpu.lock, so runs share the machine's two cores with other builds politely. A mutation whose `find`
# text is no longer in its file is reported STALE (update mutations.txt); one that does not compile, INVALID.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
only="" report="$root/docs/mutation-report.md" keep=0
while (( $# )); do
  case "$1" in
    --only) only=",$2,"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--only ID,ID…] [--report FILE] [--keep]" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work="$(mktemp -d /tmp/tk-mutants.XXXXXX)"
trap '(( keep )) || rm -rf "$work"' EXIT
git clone -q --no-hardlinks "$root" "$work/repo"
commit="$(git -C "$work/repo" rev-parse --short HEAD)"
cd "$work/repo"
results=()
caught=0 missed=0 other=0

run_one() { # id file find replace tests filter env why
  local id="$1" file="$2" find="$3" replace="$4" tests="$5" filter="$6" env="$7" why="$8" log="$work/$1.log" verdict detail
  if [[ ! -f "$file" ]] || ! FIND="$find" perl -0ne 'exit(index($_, $ENV{FIND}) >= 0 ? 0 : 1)' "$file"; then
    verdict="STALE"; detail="find text not in $file"
  else
    FIND="$find" REPL="$replace" perl -0pi -e 's/\Q$ENV{FIND}\E/$ENV{REPL}/g' "$file"
    if ! flock /tmp/tk-cpu.lock dotnet build "$tests" -c Release > "$log" 2>&1; then
      verdict="INVALID"; detail="does not compile (see $log with --keep)"
    else
      local -a cmd=(dotnet test "$tests" -c Release --no-build)
      [[ -n "$filter" ]] && cmd+=(--filter "$filter")
      if flock /tmp/tk-cpu.lock timeout 1500 env $env "${cmd[@]}" >> "$log" 2>&1; then
        verdict="MISSED"; detail="all tests passed"
      else
        local failed; failed="$(grep -oE 'Failed: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')"
        verdict="caught"; detail="${failed:-?} failed"
        local first; first="$(grep -m1 -oE '^\s+Failed [A-Za-z0-9_.]+' "$log" | awk '{print $2}')"
        [[ -n "$first" ]] && detail="$detail, e.g. ${first##*.}"
      fi
    fi
    git checkout -q -- "$file"
  fi
  case "$verdict" in caught) ((caught++)) ;; MISSED) ((missed++)) ;; *) ((other++)) ;; esac
  echo "$(date +%H:%M:%S) $verdict $id: $detail" >&2
  results+=("| \`$id\` | $why | \`${file##*/}\` | $verdict | $detail |")
}

id="" file="" find="" replace="" tests="" filter="" env="" why=""
flush() {
  if [[ -n "$id" ]] && { [[ -z "$only" ]] || [[ "$only" == *",$id,"* ]]; }; then
    run_one "$id" "$file" "$find" "$replace" "$tests" "$filter" "$env" "$why"
  fi
  id="" file="" find="" replace="" tests="" filter="" env="" why=""
}
while IFS= read -r line || [[ -n "$line" ]]; do
  case "$line" in
    "#"*) ;;
    "") flush ;;
    id:*) id="${line#id: }" ;;
    why:*) why="${line#why: }" ;;
    file:*) file="${line#file: }" ;;
    find:*) find="${line#find: }" ;;
    replace:*) replace="${line#replace: }" ;;
    tests:*) tests="${line#tests: }" ;;
    filter:*) filter="${line#filter: }" ;;
    env:*) env="${line#env: }" ;;
    *) echo "mutations.txt: cannot read '$line'" >&2; exit 2 ;;
  esac
done < "$work/repo/tools/mutation-check/mutations.txt" # the clone's list: the one of the commit under test
flush

mkdir -p "$(dirname "$report")"
{
  echo "# Mutation check"
  echo
  echo "\`tools/mutation-check/run.sh\` on commit \`$commit\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Each row is one planted bug (\`tools/mutation-check/mutations.txt\`), applied alone; **caught** means a test of the named"
  echo "project failed. $caught caught, $missed missed, $other stale or invalid."
  echo
  echo "| mutation | what it breaks | file | verdict | detail |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${results[@]}"
} > "$report"
echo "$caught caught, $missed missed, $other stale or invalid: $report" >&2
(( missed == 0 && other == 0 ))
