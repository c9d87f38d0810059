#!/usr/bin/env bash
# Is the tollama daemon up? Prints {"status":"ok","base_url":...,"version":...,"transport":...}.
# Exit codes (contract v2): 0 ok, 2 invalid input, 3 daemon unreachable, 5 permission,
# 6 timeout, 10 unexpected.
set -u

usage() {
  cat <<'USAGE'
Usage: tollama-health.sh [--base-url URL] [--timeout SECONDS]

Checks that the tollama daemon answers (tollama info --json --remote, or GET /v1/health when
the tollama CLI is not on PATH) and prints one JSON object on stdout.
USAGE
}

here=${BASH_SOURCE[0]%/*}
[[ $here != "${BASH_SOURCE[0]}" ]] || here=.
# shellcheck source=SCRIPTDIR/../lib/tollama-common.sh
. "$here/../lib/tollama-common.sh"

while [[ $# -gt 0 ]]; do
  take_common_option "$@"
  if [[ $CONSUMED -gt 0 ]]; then
    shift "$CONSUMED"
    continue
  fi
  case $1 in
    -h | --help) usage && exit 0 ;;
    *) die "$EXIT_INVALID" "unknown argument '$1' (see --help)" ;;
  esac
done
resolve_settings

# Both answers carry the daemon's version as their first "version" key.
answer=""
if [[ $TRANSPORT == tollama ]]; then
  code=0
  cli_call info --json --remote --base-url "$BASE_URL" || code=$?
  [[ $code -eq 0 ]] || exit "$code"
  answer=$CLI_OUT
else
  http_call GET /v1/health
  [[ $HTTP_STATUS == 2?? ]] || finish_http
  answer=$HTTP_BODY
fi

version=null
version_pattern='"version"[[:space:]]*:[[:space:]]*"([^"]*)"'
if [[ $answer =~ $version_pattern ]]; then version=$(json_string "${BASH_REMATCH[1]}"); fi
printf '{"status":"ok","base_url":%s,"version":%s,"transport":"%s"}\n' \
  "$(json_string "$BASE_URL")" "$version" "$TRANSPORT"
