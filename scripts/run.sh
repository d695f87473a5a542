#!/usr/bin/env bash
# Sets up the workbench (a virtual environment; Debian Chromium and poppler-utils for the PDF of
# the evaluation report) and runs the main job on the embedded data: the evaluation report as a
# document (HTML, PDF, DOCX), every report (HTML), the index and the Excel workbooks under out/.
# Safe to re-run. Extra arguments go to `cdv batch`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils >/dev/null
fi
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
# the document first, so that the index written by the batch links to it
.venv/bin/cdv rapport
exec .venv/bin/cdv batch "$@"
