#!/usr/bin/env bash
# Send one non-streaming forecast request to the tollama daemon and print the response JSON.
# Exit codes (contract v2): 0 ok, 2 invalid input, 3 daemon unreachable, 4 model not installed,
# 5 license/permission, 6 timeout, 10 unexpected.
set -u

usage() {
  cat <<'USAGE'
Usage: tollama-forecast.sh [--input FILE] [--model NAME] [--pull] [--base-url URL] [--timeout SECONDS]

Reads a forecast request (JSON) from --input FILE or stdin and prints the forecast response
(one JSON object) on stdout; diagnostics go to stderr.

  --input FILE      request file (default: stdin)
  --model NAME      use this model, whatever the request names
  --pull            install the model first when it is missing (never without this flag)
  --base-url URL    daemon URL (default: $TOLLAMA_BASE_URL, else http://127.0.0.1:11435)
  --timeout SECONDS request timeout (default: $TOLLAMA_FORECAST_TIMEOUT_SECONDS, else 300)

Uses the tollama CLI when it is on PATH, else curl (POST /api/forecast, then /v1/forecast
only when /api/forecast answers 404). Never starts a daemon.
USAGE
}

here=${BASH_SOURCE[0]%/*}
[[ $here != "${BASH_SOURCE[0]}" ]] || here=.
# shellcheck source=SCRIPTDIR/../lib/tollama-common.sh
. "$here/../lib/tollama-common.sh"

input_file=""
model=""
pull=0
while [[ $# -gt 0 ]]; do
  take_common_option "$@"
  if [[ $CONSUMED -gt 0 ]]; then
    shift "$CONSUMED"
    continue
  fi
  case $1 in
    --input | -i | --model)
      [[ $# -ge 2 ]] || die "$EXIT_INVALID" "$1 needs a value"
      if [[ $1 == --model ]]; then model=$2; else input_file=$2; fi
      shift 2
      ;;
    --input=*) input_file=${1#*=} && shift ;;
    --model=*) model=${1#*=} && shift ;;
    --pull) pull=1 && shift ;;
    -h | --help) usage && exit 0 ;;
    *) die "$EXIT_INVALID" "unknown argument '$1' (see --help)" ;;
  esac
done
resolve_settings
[[ -z $model ]] || check_model_name "$model"

# The request, from --input FILE or stdin, as text (the daemon or the CLI parses it).
read_request() {
  if [[ -n $input_file && $input_file != - ]]; then
    [[ -f $input_file && -r $input_file ]] || die "$EXIT_INVALID" "input file $input_file does not exist or is not readable"
    request=$(<"$input_file")
  else
    [[ ! -t 0 ]] || die "$EXIT_INVALID" "no request given: pass --input FILE or pipe JSON on stdin"
    IFS= read -r -d '' request || true
  fi
  [[ $request =~ [^[:space:]] ]] || die "$EXIT_INVALID" "the request is empty"
}

# The model --pull installs: --model, else the request's "model".
model_to_pull() {
  local pattern='"model"[[:space:]]*:[[:space:]]*"([^"]*)"'
  if [[ -n $model ]]; then
    printf '%s' "$model"
  elif [[ $request =~ $pattern ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  fi
}

# --pull: install the model when the daemon says it is missing (a license still needs
# acceptance). Any other answer to the probe is left for the forecast call to report.
ensure_installed() {
  local name code=0
  name=$(model_to_pull)
  [[ -n $name ]] || die "$EXIT_INVALID" "--pull needs a model name: pass --model NAME or set \"model\" in the request"
  check_model_name "$name"
  if [[ $TRANSPORT == tollama ]]; then
    cli_call show "$name" --json --base-url "$BASE_URL" 2>/dev/null || code=$?
    [[ $code -eq $EXIT_NOT_INSTALLED ]] || return 0
    note "Pulling '$name' (--pull)..."
    code=0
    cli_call pull "$name" --no-stream --base-url "$BASE_URL" || code=$?
    [[ $code -eq 0 ]] || exit "$code"
    note "$CLI_OUT"
  else
    http_call POST /api/show "{\"model\":\"$name\"}"
    [[ $HTTP_STATUS == 404 ]] || return 0
    note "Pulling '$name' (--pull)..."
    http_call POST /api/pull "{\"model\":\"$name\",\"stream\":false}"
    [[ $HTTP_STATUS == 2?? ]] || finish_http
    note "$HTTP_BODY"
  fi
}

forecast_with_cli() {
  local args=(run) code=0
  [[ -z $model ]] || args+=("$model")
  args+=(--input - --no-stream --json --no-pull --no-autostart --base-url "$BASE_URL" --timeout "$TIMEOUT")
  cli_call "${args[@]}" <<<"$request" || code=$?
  [[ $code -eq 0 ]] || exit "$code"
  printf '%s\n' "$CLI_OUT"
}

forecast_with_curl() {
  local fields='"stream":false' body
  [[ -z $model ]] || fields="$fields,\"model\":\"$model\""
  body=$(with_fields "$request" "$fields") || exit "$EXIT_INVALID"
  http_call POST /api/forecast "$body"
  if [[ $HTTP_STATUS == 404 ]]; then
    note "POST /api/forecast answered 404; trying POST /v1/forecast"
    http_call POST /v1/forecast "$body"
  fi
  finish_http
}

request=""
read_request
[[ $pull -eq 0 ]] || ensure_installed
if [[ $TRANSPORT == tollama ]]; then forecast_with_cli; else forecast_with_curl; fi
