#!/usr/bin/env bash
# The quickstart: set up .venv and run notebooks/quickstart.ipynb against the local
# emulator (no API key, nothing leaves this machine).
#   bash scripts/quickstart.sh          # headless: writes notebooks/quickstart.executed.ipynb
#   bash scripts/quickstart.sh --lab    # opens the notebook in JupyterLab instead
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh emulator,notebook
if [ "${1:-}" = "--lab" ]; then
  shift
  # Containers usually run as root, which Jupyter refuses without --allow-root: pass it,
  # and say so (running a notebook server as root is a choice, not a default).
  if [ "$(id -u)" = "0" ]; then
    echo "running as root: starting JupyterLab with --allow-root" >&2
    set -- --allow-root "$@"
  fi
  exec .venv/bin/jupyter lab notebooks/quickstart.ipynb "$@"
fi
# Jobs take ~10 s each on the emulator's default clock, with full-size videos.
.venv/bin/python -m hailuo_nb.notebook.headless notebooks/quickstart.ipynb
echo "open it with: bash scripts/quickstart.sh --lab   (or any Jupyter front end)"
