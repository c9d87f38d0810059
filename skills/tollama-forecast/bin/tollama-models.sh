#!/usr/bin/env bash
# Model lifecycle for the tollama-forecast skill; prints one JSON object on stdout.
# Exit codes (contract v2): 0 ok, 2 invalid input, 3 daemon unreachable, 4 model not installed,
# 5 license/permission, 6 timeout, 10 unexpected.
set -u

usage() {
  cat <<'USAGE'
Usage: tollama-models.sh COMMAND [NAME] [--accept-license] [--base-url URL] [--timeout SECONDS]

  installed        models installed on the daemon          {"models": [...]}
  loaded           models loaded in memory now             {"models": [...]}
  available        the daemon's diagnostics; what it can pull is under .models.available
  show NAME        an installed model's manifest
  pull NAME        install a model (--accept-license for license-gated ones)
  rm NAME          remove an installed model               {"deleted": NAME}

Uses the tollama CLI when it is on PATH, else curl. `available` always asks the daemon
(tollama info --json --remote, or GET /api/info), never local files.
USAGE
}

here=${BASH_SOURCE[0]%/*}
[[ $here != "${BASH_SOURCE[0]}" ]] || here=.
# shellcheck source=SCRIPTDIR/../lib/tollama-common.sh
. "$here/../lib/tollama-common.sh"

words=()
accept_license=0
while [[ $# -gt 0 ]]; do
  take_common_option "$@"
  if [[ $CONSUMED -gt 0 ]]; then
    shift "$CONSUMED"
    continue
  fi
  case $1 in
    --accept-license) accept_license=1 && shift ;;
    -h | --help) usage && exit 0 ;;
    -*) die "$EXIT_INVALID" "unknown option '$1' (see --help)" ;;
    *) words+=("$1") && shift ;;
  esac
done
[[ ${#words[@]} -gt 0 ]] || die "$EXIT_INVALID" "a command is required: installed, loaded, available, show, pull or rm"
verb=${words[0]}
name=""
case $verb in
  installed | loaded | available) [[ ${#words[@]} -eq 1 ]] || die "$EXIT_INVALID" "'$verb' takes no model name" ;;
  show | pull | rm)
    [[ ${#words[@]} -eq 2 ]] || die "$EXIT_INVALID" "'$verb' takes exactly one model name"
    name=${words[1]}
    check_model_name "$name"
    ;;
  *) die "$EXIT_INVALID" "unknown command '$verb': use installed, loaded, available, show, pull or rm" ;;
esac
if [[ $accept_license -eq 1 && $verb != pull ]]; then
  die "$EXIT_INVALID" "--accept-license only goes with 'pull'"
fi
resolve_settings

# The same answer either way: the CLI's --json output is the route's JSON.
with_cli() {
  local args=() code=0
  case $verb in
    installed) args=(list --json) ;;
    loaded) args=(ps --json) ;;
    available) args=(info --json --remote) ;;
    show) args=(show "$name" --json) ;;
    pull) args=(pull "$name" --no-stream) ;;
    rm) args=(rm "$name") ;;
  esac
  [[ $accept_license -eq 0 ]] || args+=(--accept-license)
  cli_call "${args[@]}" --base-url "$BASE_URL" || code=$?
  [[ $code -eq 0 ]] || exit "$code"
  if [[ $verb == rm ]]; then
    note "$CLI_OUT"
    printf '{"deleted":%s}\n' "$(json_string "$name")"
  else
    printf '%s\n' "$CLI_OUT"
  fi
}

with_curl() {
  local accept=""
  [[ $accept_license -eq 0 ]] || accept=',"accept_license":true'
  case $verb in
    installed) http_call GET /api/tags ;;
    loaded) http_call GET /api/ps ;;
    available) http_call GET /api/info ;;
    show) http_call POST /api/show "{\"model\":\"$name\"}" ;;
    pull) http_call POST /api/pull "{\"model\":\"$name\",\"stream\":false$accept}" ;;
    rm)
      http_call DELETE /api/delete "{\"model\":\"$name\"}"
      [[ $HTTP_STATUS != 2?? ]] || HTTP_BODY="{\"deleted\":$(json_string "$name")}"
      ;;
  esac
  finish_http
}

if [[ $TRANSPORT == tollama ]]; then with_cli; else with_curl; fi
