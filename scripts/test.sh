#!/usr/bin/env bash
# One command: set up .venv and run every check (ruff, mypy, import layers, pytest).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k emulator -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "== ruff" && .venv/bin/ruff check hailuo_nb tests benchmarks
echo "== mypy" && .venv/bin/mypy
echo "== import layers" && .venv/bin/lint-imports --no-cache
echo "== pytest" && .venv/bin/python -m pytest "$@"
