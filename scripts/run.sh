#!/usr/bin/env bash
# Sets up the workbench in a virtual environment and runs the main job on the embedded data:
# every report (HTML), the index and the Excel workbook under out/.
# Safe to re-run. Extra arguments go to `cdv batch`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/cdv batch "$@"
