#!/usr/bin/env bash
# Creates .venv (if needed) and installs hailuo-nb with the given extra.
#   bash scripts/setup.sh emulator   # what the quickstart needs
#   bash scripts/setup.sh test       # everything the tests need, Chromium included
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-emulator}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -e ".[$extra]"
if [ "$extra" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  # The browser tests drive Debian's Chromium (never a Playwright download).
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser tests..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium is missing; browser tests will be skipped" \
         "(install Debian's 'chromium' package)" >&2
  fi
fi
