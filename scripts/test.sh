#!/usr/bin/env bash
# The README's test command: create .venv, install tollama with its dev and datasets extras
# (pinned by constraints.txt; datasets: the real M3 data of the accuracy tests), lint, and run
# every test (the slow real-library ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev,datasets,ray]" -c constraints.txt  # datasets: benchmark data sets; ray: the batch engine
.venv/bin/ruff check .
.venv/bin/python -m pytest -q --durations=25 "$@"  # the slowest tests, for keeping CI short
