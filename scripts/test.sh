#!/usr/bin/env bash
# Sets up everything the test suite needs (Debian Chromium for the browser tests, a virtual
# environment with the project and its test extras) and runs the whole suite.
# Safe to re-run: every step is idempotent. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: browser tests, axe-core checks, the PDF of the report; poppler-utils (pdftotext:
# sommaire pages); LibreOffice Calc and Writer: the workbook and the DOCX must open (headless
# conversion); npm: axe-core from the npm registry
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
        || ! command -v pdftotext >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 \
        || ! dpkg -s libreoffice-calc-nogui libreoffice-writer-nogui >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver \
        poppler-utils libreoffice-calc-nogui libreoffice-writer-nogui npm >/dev/null
fi
# axe-core for the accessibility checks (tests/a11y.py), into the git-ignored .axe/
if [ ! -f .axe/node_modules/axe-core/axe.min.js ]; then
    npm install --prefix .axe --no-audit --no-fund --silent axe-core@4
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
