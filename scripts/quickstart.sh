#!/usr/bin/env bash
# The quickstart: set up .venv and run notebooks/quickstart.ipynb against the local
# emulator (no API key, nothing leaves this machine).
#   bash scripts/quickstart.sh          # headless: writes notebooks/quickstart.executed.ipynb
#   bash scripts/quickstart.sh --lab    # opens the notebook in JupyterLab instead
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh emulator
# Running notebooks needs a kernel and an executor (JupyterLab for --lab); not in the
# emulator extra, so installed here.
if [ "${1:-}" = "--lab" ]; then
  .venv/bin/python -m pip install -q ipykernel jupyterlab
  exec .venv/bin/jupyter lab notebooks/quickstart.ipynb
fi
.venv/bin/python -m pip install -q ipykernel nbclient nbformat
# Jobs take ~10 s on the emulator's default clock; the preview renderer keeps it light.
export HAILUO_EMULATOR="${HAILUO_EMULATOR:-{\"preview\": true}}"
.venv/bin/python -m hailuo_nb.notebook.headless notebooks/quickstart.ipynb
echo "open it with: bash scripts/quickstart.sh --lab   (or any Jupyter front end)"
