"""The incremental batch: a report is run again only when something it depends on changed.

A report's key has two parts:

- its **recipe**, known before it runs: the content of its notebook, its parameters, its
  title, and the library's version (:func:`library_version`: the digest of every source file
  of ``cdv_lib`` and the versions of the packages that shape a page);
- its **data**, known only once it ran: the inputs of the :class:`~cdv_lib.dataset.Dataset`
  it read and the files it opened itself (:mod:`cdv_lib.batch.reads`), each with the
  digest of its content. A table's digest is the digest of the *typed* table that
  :func:`~cdv_lib.dataset.load_dataset` hands to the reports (values, index, columns,
  types): what the report saw, including what other files contribute to it (references
  checked, defaults of ``config.yaml``).

Both are stored in the manifest (``key``, ``inputs``, ``fichiers``); the next batch reuses a
report whose recipe and data digests are unchanged and whose outputs are whole.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from cdv_lib.batch.plan import RunSpec

# packages whose version can change a report's figures or page
PACKAGES = ("pandas", "numpy", "matplotlib", "nbconvert", "nbformat", "papermill",
            "ipykernel", "pandera", "pyyaml", "openpyxl")
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: str | os.PathLike) -> str | None:
    """sha256 of the bytes of *path*; ``None`` when it cannot be read (absent)."""
    try:
        return _sha(Path(path).read_bytes())
    except OSError:
        return None


def source_digest(root: str | os.PathLike | None = None) -> str:
    """Digest of every file of the ``cdv_lib`` package (names and contents; bytecode and
    caches left out)."""
    if root is None:
        root = Path(__file__).resolve().parents[1]
    root = Path(root)
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(dirpath) / name
            if path.suffix in _SKIP_SUFFIXES or ".tmp-" in name:
                continue
            h.update(str(path.relative_to(root)).replace(os.sep, "/").encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def library_version() -> str:
    """``cdv_lib <version> (sources <digest>)`` then each package's version; computed once
    per process."""
    from importlib import metadata

    import cdv_lib

    parts = [f"cdv_lib {cdv_lib.__version__} (sources {source_digest()[:16]})"]
    for name in PACKAGES:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return " ; ".join(parts)


def recipe_key(spec: RunSpec, library: str, notebook_sha: str | None = None) -> str:
    """Digest of what a run does before it reads any data: notebook content, parameters,
    commune, theme and title, library version."""
    if notebook_sha is None:
        notebook_sha = file_digest(spec.notebook)
    recipe = {"notebook": notebook_sha, "parameters": spec.parameters, "commune": spec.commune,
              "theme": spec.theme, "title": spec.title, "library": library}
    return _sha(json.dumps(recipe, sort_keys=True, ensure_ascii=True, default=str).encode())


def frame_digest(frame) -> str:
    """Digest of a DataFrame: columns, dtypes, index and values."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    try:
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except (TypeError, ValueError):  # unhashable cells (lists...): through their text
        h.update(frame.to_json(orient="split", date_format="iso",
                               default_handler=str).encode())
    return h.hexdigest()


def _plain_digest(value) -> str:
    return _sha(json.dumps(value, sort_keys=True, ensure_ascii=True, default=str).encode())


class DataDigests:
    """Digests of the inputs of data folders, computed on first use and kept for the batch.

    ``input(data_dir, name)`` digests an input of the folder's Dataset; ``file(path)`` a
    file. A folder that does not load gives ``None`` digests (its reports then run, and fail
    with the data's message)."""

    def __init__(self) -> None:
        self._datasets: dict[str, object] = {}
        self._inputs: dict[tuple[str, str], str | None] = {}
        self._files: dict[str, str | None] = {}

    def _dataset(self, data_dir: str):
        if data_dir not in self._datasets:
            from cdv_lib.dataset import load_dataset
            from cdv_lib.errors import DataError

            try:
                self._datasets[data_dir] = load_dataset(data_dir or None)
            except (DataError, OSError):
                self._datasets[data_dir] = None
        return self._datasets[data_dir]

    def input(self, data_dir: str, name: str) -> str | None:
        key = (data_dir, name)
        if key not in self._inputs:
            self._inputs[key] = self._compute(data_dir, name)
        return self._inputs[key]

    def _compute(self, data_dir: str, name: str) -> str | None:
        from cdv_lib.dataset import QUESTIONNAIRES_DIR, TABLE_NAMES

        dataset = self._dataset(data_dir)
        if dataset is None:
            return None
        if name in TABLE_NAMES:
            return frame_digest(getattr(dataset, name))
        if name == "questionnaires":  # the surveys are built from these files only
            folder = Path(dataset.data_dir) / QUESTIONNAIRES_DIR
            files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
            return _plain_digest([[str(p.relative_to(folder)), file_digest(p)] for p in files])
        import pandas as pd

        value = getattr(dataset, name, None)
        if isinstance(value, pd.DataFrame):  # qpv_contours...
            return frame_digest(value)
        return _plain_digest(value)  # config, ami_rules

    def file(self, path: str) -> str | None:
        if path not in self._files:
            self._files[path] = file_digest(path)
        return self._files[path]

    def files_of(self, data_dir: str, name: str) -> list[str]:
        """The files an input of the folder's Dataset comes from, relative to the folder."""
        from cdv_lib.dataset import AMI_FILE, CONFIG_FILE, QUESTIONNAIRES_DIR, TABLE_NAMES
        from cdv_lib.paths import data_dir as resolve
        from cdv_lib.readers import table_candidates

        folder = resolve(data_dir or None)
        if name in TABLE_NAMES:
            paths = table_candidates(folder, name)
        elif name == "questionnaires":
            q = folder / QUESTIONNAIRES_DIR
            paths = sorted(p for p in q.rglob("*") if p.is_file()) if q.is_dir() else []
        else:
            from cdv_lib import dataset as ds_mod

            file = {"config": CONFIG_FILE, "ami_rules": AMI_FILE,
                    "qpv_contours": getattr(ds_mod, "QPV_GEOJSON", None)}.get(name)
            path = folder / file if file else None
            paths = [path] if path is not None and path.exists() else []
        return [str(Path(p).relative_to(folder)).replace(os.sep, "/") for p in paths]


def data_inputs(reads: dict, digests: DataDigests) -> dict:
    """The ``inputs`` entry of a run that read *reads* (see :func:`cdv_lib.batch.reads.collect`):
    ``{"data": [[data_dir, name, digest], ...], "files": [[path, digest], ...]}``."""
    return {
        "data": [[d, n, digests.input(d, n)] for d, n in reads.get("inputs", [])],
        "files": [[p, digests.file(p)] for p in reads.get("files", [])],
    }


def read_files(reads: dict, digests: DataDigests, data_dir: str | None) -> list[str]:
    """The files behind *reads*, for a reader of the manifest: relative to *data_dir* when
    inside it (``programmation.csv``, ``questionnaires/communes.yaml``), else absolute."""
    from cdv_lib.paths import data_dir as resolve

    base = resolve(data_dir or None)
    names: set[str] = set()
    for d, n in reads.get("inputs", []):
        folder = resolve(d or None)
        for rel in digests.files_of(d, n):
            names.add(_relative(folder / rel, base))
    for path in reads.get("files", []):
        names.add(_relative(Path(path), base))
    return sorted(names)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(Path(os.path.realpath(path)).relative_to(os.path.realpath(base))).replace(os.sep, "/")
    except ValueError:
        return str(path)


def unchanged(record: dict, key: str, digests: DataDigests) -> bool:
    """True when *record* (a manifest entry) was made with recipe *key* and every input it
    read still has the digest recorded then."""
    inputs = record.get("inputs")
    if record.get("key") != key or not isinstance(inputs, dict):
        return False
    try:
        for d, n, sha in inputs.get("data", []):
            if sha is None or digests.input(d, n) != sha:
                return False
        for path, sha in inputs.get("files", []):
            if digests.file(path) != sha:
                return False
    except (TypeError, ValueError):  # a manifest edited by hand
        return False
    return True
