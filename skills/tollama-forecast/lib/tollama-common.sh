# shellcheck shell=bash disable=SC2034  # globals here are read by the scripts that source this file
# Shared by the tollama-forecast skill scripts (sourced, never run): option defaults, exit codes
# v2, and the two transports: the `tollama` CLI when it is on PATH, else curl against the HTTP API.
# Needs bash (3.2 or later) and one of tollama/curl; no python, no jq.

EXIT_OK=0
EXIT_INVALID=2
EXIT_UNREACHABLE=3
EXIT_NOT_INSTALLED=4
EXIT_LICENSE=5
EXIT_TIMEOUT=6
EXIT_UNEXPECTED=10

DEFAULT_BASE_URL="http://127.0.0.1:11435"
DEFAULT_TIMEOUT_SECONDS=300
MODEL_NAME_PATTERN='^[A-Za-z0-9][A-Za-z0-9._-]*$'

# The skill never starts a daemon, whatever a CLI verb would otherwise do.
export TOLLAMA_NO_AUTOSTART=1

OPT_BASE_URL=""
OPT_TIMEOUT=""
BASE_URL=""
TIMEOUT=""
TRANSPORT=""
CONSUMED=0
CLI_OUT=""
HTTP_STATUS=""
HTTP_BODY=""

die() {
  local code=$1
  shift
  printf 'Error: %s\n' "$*" >&2
  exit "$code"
}

note() {
  printf '%s\n' "$*" >&2
}

# Consume --base-url/--timeout ("--opt VALUE" or "--opt=VALUE"); CONSUMED says how many words.
take_common_option() {
  CONSUMED=0
  case ${1-} in
    --base-url | --timeout)
      [[ $# -ge 2 ]] || die "$EXIT_INVALID" "$1 needs a value"
      set_common_option "$1" "$2"
      CONSUMED=2
      ;;
    --base-url=* | --timeout=*)
      set_common_option "${1%%=*}" "${1#*=}"
      CONSUMED=1
      ;;
  esac
}

set_common_option() {
  if [[ $1 == --base-url ]]; then OPT_BASE_URL=$2; else OPT_TIMEOUT=$2; fi
}

# Base URL: --base-url > TOLLAMA_BASE_URL > default. Timeout: --timeout >
# TOLLAMA_FORECAST_TIMEOUT_SECONDS > 300. Transport: the CLI if on PATH, else curl.
resolve_settings() {
  local url=${OPT_BASE_URL:-${TOLLAMA_BASE_URL:-$DEFAULT_BASE_URL}}
  [[ $url == *://* ]] || url="http://$url"
  BASE_URL=${url%/}
  local source="--timeout"
  TIMEOUT=$OPT_TIMEOUT
  if [[ -z $TIMEOUT ]]; then
    source="TOLLAMA_FORECAST_TIMEOUT_SECONDS"
    TIMEOUT=${TOLLAMA_FORECAST_TIMEOUT_SECONDS:-$DEFAULT_TIMEOUT_SECONDS}
  fi
  if ! [[ $TIMEOUT =~ ^[0-9]+([.][0-9]+)?$ && $TIMEOUT =~ [1-9] ]]; then
    die "$EXIT_INVALID" "$source must be a positive number of seconds, not '$TIMEOUT'"
  fi
  if command -v tollama >/dev/null 2>&1; then
    TRANSPORT=tollama
  elif command -v curl >/dev/null 2>&1; then
    TRANSPORT=curl
  else
    die "$EXIT_UNEXPECTED" "neither tollama nor curl is on PATH; install tollama or add its venv bin to PATH"
  fi
}

check_model_name() {
  [[ $1 =~ $MODEL_NAME_PATTERN ]] || die "$EXIT_INVALID" "'$1' is not a model name (letters, digits, '.', '_', '-')"
}

# A JSON string literal (quotes, backslashes and control characters escaped).
json_string() {
  local text=$1 bs=\\ quote='"'
  text=${text//"$bs"/"$bs$bs"}
  text=${text//"$quote"/"$bs$quote"}
  text=${text//$'\n'/"${bs}n"}
  text=${text//$'\r'/"${bs}r"}
  text=${text//$'\t'/"${bs}t"}
  printf '"%s"' "$text"
}

# --- the tollama CLI -------------------------------------------------------------------------

# Keep the CLI's own exit codes (they are contract v2); a deadline kill is a timeout and
# anything outside the contract (a crash, an interrupt) is unexpected.
contract_code() {
  case $1 in
    0 | 2 | 3 | 4 | 5 | 6 | 10) return "$1" ;;
    124) return "$EXIT_TIMEOUT" ;;
    *) return "$EXIT_UNEXPECTED" ;;
  esac
}

# Wide enough that the CLI (rich) prints each error message on one line.
CLI_COLUMNS=4096

# Run `tollama ARGS...` with stdout in CLI_OUT (stderr passes through). Verbs without their own
# --timeout run under coreutils `timeout` when it exists. Returns the contract exit code.
cli_call() {
  local rc=0
  if [[ $1 != run ]] && command -v timeout >/dev/null 2>&1; then
    CLI_OUT=$(COLUMNS=$CLI_COLUMNS timeout "$TIMEOUT" tollama "$@") || rc=$?
  else
    CLI_OUT=$(COLUMNS=$CLI_COLUMNS tollama "$@") || rc=$?
  fi
  if [[ $rc -eq 124 ]]; then
    note "Error: tollama $1 gave no answer within ${TIMEOUT}s; raise --timeout or TOLLAMA_FORECAST_TIMEOUT_SECONDS"
  fi
  contract_code "$rc"
}

# --- curl -----------------------------------------------------------------------------------

# Exit code for an HTTP status: 400/413/422 invalid, 401/403/409 license or permission,
# 404 not installed, 504 timeout, any other failure unexpected.
status_code() {
  case $1 in
    2??) return "$EXIT_OK" ;;
    400 | 413 | 422) return "$EXIT_INVALID" ;;
    401 | 403 | 409) return "$EXIT_LICENSE" ;;
    404) return "$EXIT_NOT_INSTALLED" ;;
    504) return "$EXIT_TIMEOUT" ;;
    *) return "$EXIT_UNEXPECTED" ;;
  esac
}

# `http_call METHOD PATH [BODY]`: sets HTTP_STATUS and HTTP_BODY. A transport failure exits:
# no connection -> 3, past --timeout -> 6, anything else -> 10. TOLLAMA_API_KEY goes in a
# header read from a file descriptor, so it never shows in the process list.
http_call() {
  local method=$1 path=$2 rc=0 out
  local args=(--silent --show-error --max-time "$TIMEOUT" --request "$method"
    --header 'Content-Type: application/json' --write-out '\n%{http_code}')
  if [[ -n ${TOLLAMA_API_KEY:-} ]]; then args+=(--header @/dev/fd/3); fi
  if [[ $# -ge 3 ]]; then
    out=$(printf '%s' "$3" | curl "${args[@]}" --data-binary @- "$BASE_URL$path" \
      3<<<"Authorization: Bearer ${TOLLAMA_API_KEY:-}") || rc=$?
  else
    out=$(curl "${args[@]}" "$BASE_URL$path" 3<<<"Authorization: Bearer ${TOLLAMA_API_KEY:-}") || rc=$?
  fi
  case $rc in
    0) ;;
    6 | 7 | 35 | 52 | 55 | 56)
      die "$EXIT_UNREACHABLE" "cannot reach the tollama daemon at $BASE_URL; start it with \`tollama serve\`" \
        "or pass --base-url with an address reachable from here"
      ;;
    28) die "$EXIT_TIMEOUT" "$method $path gave no answer within ${TIMEOUT}s; raise --timeout or TOLLAMA_FORECAST_TIMEOUT_SECONDS" ;;
    *) die "$EXIT_UNEXPECTED" "curl failed with exit code $rc on $method $BASE_URL$path" ;;
  esac
  HTTP_STATUS=${out##*$'\n'}
  HTTP_BODY=${out%$'\n'*}
}

# Print a 2xx body as the one JSON object on stdout; otherwise say why and exit by the table.
finish_http() {
  local code=0 message
  status_code "$HTTP_STATUS" || code=$?
  if [[ $code -eq 0 ]]; then
    printf '%s\n' "$HTTP_BODY"
    exit 0
  fi
  message=$(error_message "$HTTP_BODY")
  die "$code" "${message:-HTTP $HTTP_STATUS from $BASE_URL}"
}

# The daemon's one-line `{"error": "..."}` message, when the body has one (quotes unescaped).
error_message() {
  local pattern='"error"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)"' bs=\\ quote='"' message
  [[ $1 =~ $pattern ]] || return 0
  message=${BASH_REMATCH[1]//"$bs$quote"/"$quote"}
  printf '%s' "${message//"$bs$bs"/"$bs"}"
}

# `with_fields OBJECT FIELDS`: the JSON object with `"k":v,...` appended as its last members.
# A later duplicate key wins in the daemon's JSON parser, so appended fields override.
with_fields() {
  local object_pattern='^[[:space:]]*[{](.*)[}][[:space:]]*$'
  [[ $1 =~ $object_pattern ]] || die "$EXIT_INVALID" "the request must be one JSON object ({...})"
  local inner=${BASH_REMATCH[1]}
  if [[ $inner =~ ^[[:space:]]*$ ]]; then
    printf '{%s}' "$2"
  else
    printf '{%s,%s}' "$inner" "$2"
  fi
}
