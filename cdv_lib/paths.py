"""One place for paths. Built from the package file, never from the working directory
(it differs between JupyterLab, papermill and Voilà)."""

from __future__ import annotations

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJ_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = NOTEBOOKS_DIR / "reports"
APPS_DIR = NOTEBOOKS_DIR / "apps"
PARAMS_DIR = PROJ_ROOT / "params"
DEFAULT_OUT_DIR = PROJ_ROOT / "out"


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the data directory to use: *path* if given, else ``$CDV_DATA_DIR``, else the
    embedded default data."""
    if path is not None and str(path) != "":
        return Path(path).expanduser().resolve()
    env = os.environ.get("CDV_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return DATA_DIR
