#!/usr/bin/env bash
# End-to-end check of the OpenClaw skill skills/tollama-forecast against a live daemon: its
# structure, the README's "Skill smoke checks", and exit-code contract v2 on real conditions,
# through the tollama CLI and again through curl alone (the fallback when tollama is not on PATH).
#
#   tollama serve &                       # a running daemon
#   TOLLAMA_BASE_URL=http://127.0.0.1:11435 scripts/e2e_skills_test.sh
#
# It pulls the builtin `mock` model when missing. Exit status: 0 when every check passes.
set -u
cd "$(dirname "$0")/.." || exit 1

SKILL=skills/tollama-forecast
BIN=$SKILL/bin
export TOLLAMA_BASE_URL=${TOLLAMA_BASE_URL:-http://127.0.0.1:11435}
DEAD_URL=http://127.0.0.1:1
SLOW_REQUEST='{"model":"mock","horizon":2,"series":[{"id":"s","target":[1,2,3]}],"options":{"delay_seconds":3}}'
PYTHON3=$(command -v python3 || true)
STDERR_FILE=$(mktemp)
failures=0
checks=0

pass() { checks=$((checks + 1)) && printf 'PASS  %s\n' "$1"; }
fail() { checks=$((checks + 1)) && failures=$((failures + 1)) && printf 'FAIL  %s: %s\n' "$1" "$2"; }

# One JSON object on stdout: parsed by python3 when there is one, else checked for its braces.
is_one_json_object() {
  if [[ -n $PYTHON3 ]]; then
    "$PYTHON3" -c 'import json, sys; assert isinstance(json.load(sys.stdin), dict)' 2>/dev/null <<<"$1"
  else
    [[ $1 =~ ^[[:space:]]*[{].*[}][[:space:]]*$ ]]
  fi
}

# expect NAME CODE COMMAND...: run it (stdin passes through) and compare the exit code.
expect() {
  local name=$1 want=$2 out rc=0
  shift 2
  out=$("$@" 2>"$STDERR_FILE") || rc=$?
  if [[ $rc -ne $want ]]; then
    fail "$name" "exit $rc, expected $want; stderr: $(head -c 400 "$STDERR_FILE")"
  elif [[ $want -eq 0 ]] && ! is_one_json_object "$out"; then
    fail "$name" "stdout is not one JSON object: $(head -c 200 <<<"$out")"
  elif [[ $want -ne 0 && -n $out ]]; then
    fail "$name" "stdout should be empty on failure: $(head -c 200 <<<"$out")"
  else
    pass "$name"
  fi
}

check_structure() {
  local file missing=0 metadata
  for file in SKILL.md bin/tollama-health.sh bin/tollama-models.sh bin/tollama-forecast.sh \
    examples/simple_forecast.json examples/covariates_forecast.json examples/metrics_forecast.json; do
    [[ -f $SKILL/$file ]] || { fail "structure" "missing $SKILL/$file" && missing=1; }
  done
  [[ $missing -eq 1 ]] || pass "structure: SKILL.md, bin/*.sh, examples/*.json"
  metadata=$(sed -n '2,/^---$/p' "$SKILL/SKILL.md" | grep '^metadata:' | tr -d ' ')
  if [[ $metadata == *'"bins":["bash"]'* && $metadata == *'"anyBins":["tollama","curl"]'* ]]; then
    pass "SKILL.md metadata: bins=[bash], anyBins=[tollama,curl]"
  else
    fail "SKILL.md metadata" "want a single-line JSON metadata with bins/anyBins, got: $metadata"
  fi
  for file in "$BIN"/*.sh; do
    if bash -n "$file"; then pass "bash -n $file"; else fail "bash -n $file" "syntax error"; fi
  done
  if command -v shellcheck >/dev/null 2>&1; then
    if shellcheck -x "$BIN"/*.sh "$SKILL"/lib/*.sh; then pass "shellcheck"; else fail "shellcheck" "see above"; fi
  else
    printf 'SKIP  shellcheck (not installed)\n'
  fi
}

# The README's smoke checks, then each exit code of contract v2 from a real condition.
check_transport() {
  local label=$1
  expect "[$label] pull mock" 0 bash "$BIN/tollama-models.sh" pull mock --base-url "$TOLLAMA_BASE_URL"
  expect "[$label] smoke: health" 0 bash "$BIN/tollama-health.sh" --base-url "$TOLLAMA_BASE_URL"
  expect "[$label] smoke: installed" 0 bash "$BIN/tollama-models.sh" installed --base-url "$TOLLAMA_BASE_URL"
  expect "[$label] smoke: simple forecast" 0 \
    bash "$BIN/tollama-forecast.sh" --model mock --base-url "$TOLLAMA_BASE_URL" <"$SKILL/examples/simple_forecast.json"
  expect "[$label] covariates forecast" 0 \
    bash "$BIN/tollama-forecast.sh" --model mock --input "$SKILL/examples/covariates_forecast.json"
  expect "[$label] metrics forecast" 0 \
    bash "$BIN/tollama-forecast.sh" --model mock --input "$SKILL/examples/metrics_forecast.json"
  expect "[$label] loaded" 0 bash "$BIN/tollama-models.sh" loaded
  expect "[$label] available" 0 bash "$BIN/tollama-models.sh" available
  expect "[$label] show mock" 0 bash "$BIN/tollama-models.sh" show mock
  expect "[$label] exit 2: bad JSON" 2 bash "$BIN/tollama-forecast.sh" --model mock <<<'{"horizon": }'
  expect "[$label] exit 3: no daemon" 3 bash "$BIN/tollama-health.sh" --base-url "$DEAD_URL"
  expect "[$label] exit 4: model not installed" 4 \
    bash "$BIN/tollama-forecast.sh" --model no-such-model --input "$SKILL/examples/simple_forecast.json"
  expect "[$label] exit 5: license not accepted" 5 bash "$BIN/tollama-models.sh" pull moirai-2.0-R-small
  expect "[$label] exit 6: timeout" 6 bash "$BIN/tollama-forecast.sh" --timeout 1 <<<"$SLOW_REQUEST"
}

check_structure
if command -v tollama >/dev/null 2>&1; then
  check_transport "tollama CLI"
else
  printf 'SKIP  tollama CLI transport (tollama is not on PATH)\n'
fi
if command -v curl >/dev/null 2>&1; then
  curl_only=$(mktemp -d)
  ln -s "$(command -v bash)" "$curl_only/bash"
  ln -s "$(command -v curl)" "$curl_only/curl"
  # head is only for this script's messages; the skill itself needs bash and curl alone.
  ln -s "$(command -v head)" "$curl_only/head"
  PATH=$curl_only check_transport "curl only"
  rm -rf "$curl_only"
else
  printf 'SKIP  curl transport (curl is not on PATH)\n'
fi
rm -f "$STDERR_FILE"

printf '\n%d checks, %d failed (daemon: %s)\n' "$checks" "$failures" "$TOLLAMA_BASE_URL"
[[ $failures -eq 0 ]]
