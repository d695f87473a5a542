"""``out/manifest.json``: the state of every run of the batch, rewritten atomically as runs
start and finish, so that a batch killed at any moment leaves a readable manifest and
``--resume`` knows what is left to do.

Format::

    {
      "version": 1,
      "updated": "2026-05-04T10:12:03+02:00",
      "data_dir": "/abs/path" | null,
      "runs": {
        "<commune code or 'agglomeration'>/<theme>": {
          "commune": "01004" | null, "commune_name": "Ambérieu-en-Bugey", "theme": "sante",
          "theme_label": "Santé", "notebook": "/abs/notebooks/reports/sante.ipynb",
          "status": "ok" | "failed" | "timeout" | "killed" | "missing" | "pending" | "running",
          "error": "ValueError: ..." | null,
          "started": ISO | null, "finished": ISO | null, "duration": seconds | null,
          "html": "01004/sante.html" | null, "ipynb": "01004/sante.ipynb" | null,
          "attempts": 1,
          "reused": false, "statut": "exécuté" | "réutilisé" | "échec" | "en attente" | "en cours",
          "key": "<digest of notebook, parameters, title, library>" | null,
          "inputs": {"data": [[data_dir, "programmation", digest], ...],
                     "files": [[path, digest], ...]} | null,
          "fichiers": ["config.yaml", "programmation.csv", ...]
        }
      },
      "classeur": {"key": "<digest>", "file": "tableaux.xlsx"},
      "notebooks": {"/abs/notebooks/reports/sante.ipynb": {"sha": digest, "parameters": {...}}}
    }

Output paths are relative to the manifest's folder. ``reused`` is true for a report of an
earlier batch kept because nothing it depends on changed (:mod:`cdv_lib.batch.cache`);
``statut`` says the same in French for a reader. ``key``, ``inputs`` and ``fichiers`` (the
data files behind what the report read) are set by a successful run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cdv_lib import atomic
from cdv_lib.batch.plan import RunSpec
from cdv_lib.batch.run import MISSING, OK, PENDING, RUNNING, now_iso

STATUT_RUN, STATUT_REUSED = "exécuté", "réutilisé"
_STATUTS = {OK: STATUT_RUN, PENDING: "en attente", RUNNING: "en cours"}

MANIFEST_NAME = "manifest.json"
VERSION = 1


def manifest_path(out_dir: str | os.PathLike) -> Path:
    return Path(out_dir) / MANIFEST_NAME


def load(out_dir: str | os.PathLike) -> dict:
    """The manifest of *out_dir*, or an empty one (missing or unreadable file)."""
    path = manifest_path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("runs"), dict):
            return data
    except (OSError, ValueError):
        pass
    return {"version": VERSION, "updated": None, "data_dir": None, "runs": {}}


def save(out_dir: str | os.PathLike, manifest: dict) -> Path:
    manifest["updated"] = now_iso()
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False)
    return atomic.write_text(manifest_path(out_dir), text + "\n")


def entry(spec: RunSpec, status: str = PENDING) -> dict:
    """A fresh manifest entry for *spec*."""
    return {
        "commune": spec.commune, "commune_name": spec.commune_name,
        "theme": spec.theme, "theme_label": spec.theme_label, "notebook": spec.notebook,
        "status": status, "error": None, "started": None, "finished": None,
        "duration": None, "html": None, "ipynb": None, "attempts": 0,
        "reused": False, "statut": statut(status), "key": None, "inputs": None, "fichiers": [],
    }


def statut(status: str, reused: bool = False) -> str:
    """The French word for a run's state in the manifest."""
    if reused:
        return STATUT_REUSED
    return _STATUTS.get(status, "échec")


def html_complete(path: Path) -> bool:
    """True when *path* is a whole HTML page (ends with ``</html>``)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64))
            return fh.read().rstrip().lower().endswith(b"</html>")
    except OSError:
        return False


def notebook_valid(path: Path) -> bool:
    """True when *path* is a whole notebook file: a JSON object with its ``cells`` list and
    ``nbformat`` 4 or more (a truncated file does not parse). Read as JSON rather than with
    ``nbformat``, whose import (schema validators) costs seconds: a batch with nothing to do
    checks every output."""
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return False
    return (isinstance(data, dict) and isinstance(data.get("cells"), list)
            and isinstance(data.get("nbformat"), int) and data["nbformat"] >= 4)


def outputs_valid(out_dir: str | os.PathLike, spec: RunSpec) -> bool:
    """Both outputs of a successful run exist and are whole."""
    out_dir = Path(out_dir)
    return html_complete(out_dir / spec.html) and notebook_valid(out_dir / spec.ipynb)


def is_done(manifest: dict, out_dir: str | os.PathLike, spec: RunSpec) -> bool:
    """A run ``--resume`` may skip: status ``ok`` and valid outputs."""
    record = manifest["runs"].get(spec.run_id)
    return bool(record) and record.get("status") == OK and outputs_valid(out_dir, spec)


def mark_missing(manifest: dict, out_dir: str | os.PathLike, specs: list[RunSpec]) -> int:
    """Mark ``ok`` runs whose outputs are missing or truncated as ``missing``, and runs left
    ``pending``/``running`` by an interrupted batch as ``missing`` too. Returns the count."""
    count = 0
    for spec in specs:
        record = manifest["runs"].get(spec.run_id)
        if not record:
            continue
        stale = record.get("status") in (PENDING, RUNNING)
        broken = record.get("status") == OK and not outputs_valid(out_dir, spec)
        if stale or broken:
            record["status"], record["statut"], record["reused"] = MISSING, statut(MISSING), False
            record["error"] = "Sorties absentes ou incomplètes" if broken else "Exécution interrompue"
            count += 1
    return count
