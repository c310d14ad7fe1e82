#!/usr/bin/env bash
# The gate of the zonegate action: runs the commands of the `commands` input in order (check
# and test as GitHub annotations; diff as reports) and exits 1 when one of them fails, after
# running all of them.
#
# The diff is written whole and shortened, into REPORT_DIRECTORY (inside the workspace, where
# upload-artifact and hashFiles see files): diff.txt (for people; also printed in the log),
# diff.md (the whole Markdown report; the job summary when it fits GitHub's 1 MiB per step),
# comment.md (shortened to fit one pull-request comment); and check's findings as
# zonegate.sarif, for code scanning. The step outputs name them: `report-directory`, `sarif` once
# zonegate.sarif is written, and `comment` once comment.md is written. Annotations and SARIF name
# files from the checkout's top, so they land on the right files when REPOSITORY is a subfolder.
#
# Environment: REPOSITORY (the zones repository root), COMMANDS, BASE (the diff's base revision;
# empty: the base tip of actions/checkout's pull-request merge commit, HEAD^1, or else
# origin/<the pull request's base branch>), REPORT_DIRECTORY, and the runner's GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY and GITHUB_BASE_REF.
set -uo pipefail

report="${REPORT_DIRECTORY:?}"
mkdir -p "$report"
echo "report-directory=$report" >> "${GITHUB_OUTPUT:?}"

# GitHub drops a step's whole job summary over 1 MiB; keep clear of it.
summary_limit=1000000
# Lines of the diff printed in the log; the artifact has all of them.
log_lines=20000

diff_report() {
  local base="${BASE:-}"
  local head=()
  if [ -z "$base" ]; then
    if git -C "$REPOSITORY" rev-parse --quiet --verify 'HEAD^2' > /dev/null; then
      # actions/checkout on a pull request checks out GitHub's merge of the head onto the base
      # tip: HEAD^1 is that tip, HEAD the merge result.
      base="HEAD^1"
      head=(--head HEAD)
    elif [ -n "${GITHUB_BASE_REF:-}" ]; then
      base="origin/$GITHUB_BASE_REF"
    else
      echo "no diff: not a pull request, and the base input is empty"
      return 0
    fi
  fi
  zonegate_diff() { zonegate --repo "$REPOSITORY" diff --base "$base" "${head[@]}" "$@"; }
  zonegate_diff > "$report/diff.txt" || return 1
  zonegate_diff --format markdown --max-bytes 0 > "$report/diff.md" || return 1
  zonegate_diff --format markdown > "$report/comment.md" || return 1
  if [ "$(wc -c < "$report/diff.md")" -le "$summary_limit" ]; then
    cat "$report/diff.md" >> "$GITHUB_STEP_SUMMARY"
  else
    zonegate_diff --format markdown --max-bytes "$summary_limit" >> "$GITHUB_STEP_SUMMARY" || return 1
  fi
  echo "comment=$report/comment.md" >> "$GITHUB_OUTPUT"
  echo "::group::zonegate diff --base $base ${head[*]}"
  head -n "$log_lines" "$report/diff.txt"
  local lines
  lines="$(wc -l < "$report/diff.txt")"
  if [ "$lines" -gt "$log_lines" ]; then
    echo "... $((lines - log_lines)) more lines in diff.txt of the report artifact"
  fi
  echo "::endgroup::"
}

status=0
for command in ${COMMANDS:-check test diff}; do
  case "$command" in
    check)
      # SARIF for code scanning first (exit 1 is findings, 2 malformed input: both are SARIF),
      # then the annotations, whose exit status is the verdict.
      zonegate --repo "$REPOSITORY" check --format sarif > "$report/zonegate.sarif"
      if [ "$?" -le 2 ] && [ -s "$report/zonegate.sarif" ]; then
        echo "sarif=$report/zonegate.sarif" >> "$GITHUB_OUTPUT"
      fi
      zonegate --repo "$REPOSITORY" check --format github || status=1
      ;;
    test) zonegate --repo "$REPOSITORY" test --format github || status=1 ;;
    diff) diff_report || status=1 ;;
    *)
      echo "::error title=zonegate::unknown zonegate command '$command' in the commands input (check, test, diff)"
      exit 2
      ;;
  esac
done
exit "$status"
