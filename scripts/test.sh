#!/usr/bin/env bash
# Sets up everything the test suite needs (Debian Chromium for the browser tests, a virtual
# environment with the project and its test extras) and runs the whole suite.
# Safe to re-run: every step is idempotent. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
if [ "$#" -gt 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
# the report and exploration notebooks themselves, executed by nbval in a real kernel with their defaults
.venv/bin/python -m pytest -q --nbval-lax notebooks/reports notebooks/explorer
# the whole suite (unit, papermill, batch, Voilà, Chromium); its summary closes the run
exec .venv/bin/python -m pytest
