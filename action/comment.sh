#!/usr/bin/env bash
# Posts the pull request's diff as one comment and edits that comment on every later push, so a
# pull request carries one current diff, not one per push. The comment is found by the marker
# it starts with (a bot's comment first, should a person have quoted the marker).
#
# A failure to post is a warning, not a failed gate: the verdict is check's and test's, and the
# diff is in the job summary and the artifact. A pull request from a fork, for one, gets a
# read-only token.
#
# Environment: COMMENT (the shortened report, comment.md), PULL_REQUEST (its number), GH_TOKEN,
# RUN_URL (this run, where the whole report is), and the runner's GITHUB_API_URL and
# GITHUB_REPOSITORY.
set -euo pipefail

marker='<!-- zonegate-diff -->'
work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/zonegate-comment.XXXXXX")"
trap 'rm -rf "$work"' EXIT

{
  printf '%s\n' "$marker"
  cat "${COMMENT:?}"
  printf '\nThe whole report: the job summary and the `zonegate-report` artifact of [this run](%s).\n' "${RUN_URL:?}"
} > "$work/body.md"
jq --null-input --rawfile body "$work/body.md" '{body: $body}' > "$work/payload.json"

# One REST call: the response body in $work/response.json, the HTTP status in $status. No call
# waits more than 30 seconds.
call() {
  curl --silent --show-error --connect-timeout 10 --max-time 30 \
    --header "Authorization: Bearer ${GH_TOKEN:?}" \
    --header "Accept: application/vnd.github+json" \
    --header "X-GitHub-Api-Version: 2022-11-28" \
    --output "$work/response.json" --write-out '%{http_code}' "$@" > "$work/status" || echo 000 > "$work/status"
  status="$(cat "$work/status")"
  [ "${status:0:1}" = "2" ]
}

# A call that must succeed; a failure ends the script with a warning.
api() {
  if ! call "$@"; then
    local message
    message="$(jq -r '.message? // empty' "$work/response.json" 2> /dev/null || true)"
    echo "::warning title=zonegate::could not post the diff as a comment: HTTP $status${message:+ ($message)} from $GITHUB_API_URL; the diff is in the job summary"
    exit 0
  fi
}

comments="${GITHUB_API_URL:?}/repos/${GITHUB_REPOSITORY:?}/issues/${PULL_REQUEST:?}/comments"
id=""
page=1
while [ -z "$id" ]; do
  # Only reads are retried: a POST retried after a lost answer could post twice.
  api --retry 3 "$comments?per_page=100&page=$page"
  id="$(jq -r --arg marker "$marker" \
    '[.[] | select(.body // "" | startswith($marker))] | (map(select(.user.type == "Bot")) + .) | .[0].id // empty' \
    "$work/response.json")"
  if [ "$(jq length "$work/response.json")" -lt 100 ]; then
    break
  fi
  page=$((page + 1))
done

edited=false
if [ -n "$id" ]; then
  if call --request PATCH --data "@$work/payload.json" "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/comments/$id"; then
    edited=true
    echo "edited comment $id: $(jq -r .html_url "$work/response.json")"
  elif [ "$status" != 403 ] && [ "$status" != 404 ]; then
    echo "::warning title=zonegate::could not edit comment $id: HTTP $status from $GITHUB_API_URL; the diff is in the job summary"
    exit 0
  fi
  # 403 or 404: not ours to edit (someone quoted the marker), or gone: post our own.
fi
if [ "$edited" = false ]; then
  api --request POST --data "@$work/payload.json" "$comments"
  echo "posted comment $(jq -r .id "$work/response.json"): $(jq -r .html_url "$work/response.json")"
fi
