"""What a report reads, recorded *inside* its kernel while it runs, so that the batch can run
again only the reports whose inputs changed (:mod:`cdv_lib.batch.cache`).

Two records, both truths of the run rather than declarations:

- the inputs of a :class:`cdv_lib.dataset.Dataset` the report used (``programmation``,
  ``config``, ``questionnaires``...), told by the hook of :mod:`cdv_lib.dataset` on every
  attribute read (a report reading only the communes does not depend on the programming);
- the files under the data folders (the run's ``data_dir``, the embedded data and its
  reference lists) that the report opened itself, outside :func:`cdv_lib.dataset.load_dataset`
  (which reads every file of the folder, whatever the report uses, and caches the result:
  its reads say nothing about the report). Seen through a Python audit hook on ``open``.

:func:`start` is called before each report (by :func:`cdv_lib.batch.kernel_reset.reset`),
:func:`collect_json` after it, by the worker, through the kernel's control channel.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

_state: dict = {"on": False, "inputs": set(), "files": set(), "roots": (), "hooked": False}


def _on_dataset_read(data_dir, name: str) -> None:
    if _state["on"]:
        _state["inputs"].add((str(data_dir) if data_dir is not None else "", name))


def _inside_loader(frame) -> bool:
    from cdv_lib import dataset

    target = dataset._load.__code__
    while frame is not None:
        if frame.f_code is target:
            return True
        frame = frame.f_back
    return False


def _audit(event: str, args) -> None:
    if event != "open" or not _state["on"]:
        return
    path, mode = args[0], args[1] if len(args) > 1 else "r"
    if not isinstance(path, (str, bytes, os.PathLike)) or isinstance(path, int):
        return
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return
    try:
        full = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return
    if not any(full == root or full.startswith(root + os.sep) for root in _state["roots"]):
        return
    if _inside_loader(sys._getframe(1)):
        return
    _state["files"].add(full)


def start(data_dir: str | None = None) -> None:
    """Forget earlier records and record the reads of the next report.

    *data_dir* is the report's data folder (``None``: the default one)."""
    from cdv_lib import dataset
    from cdv_lib.paths import DATA_DIR, REFERENCE_DIR, data_dir as resolve

    if _on_dataset_read not in dataset.READ_HOOKS:
        dataset.READ_HOOKS.append(_on_dataset_read)
    if not _state["hooked"]:
        sys.addaudithook(_audit)  # cannot be removed: gated by _state["on"]
        _state["hooked"] = True
    roots = {os.path.realpath(p) for p in (DATA_DIR, REFERENCE_DIR)}
    try:
        roots.add(os.path.realpath(resolve(data_dir)))
    except (TypeError, ValueError, OSError):  # not a path (the report itself will say so)
        pass
    _state.update(on=True, inputs=set(), files=set(), roots=tuple(sorted(roots)))


def collect() -> dict:
    """The reads since :func:`start`, recording stopped and records emptied:
    ``{"inputs": [[data_dir, name], ...], "files": [absolute path, ...]}``, sorted."""
    _state["on"] = False
    out = {"inputs": sorted([list(x) for x in _state["inputs"]]),
           "files": sorted(_state["files"])}
    _state.update(inputs=set(), files=set())
    return out


def collect_json() -> str:
    """:func:`collect` as JSON text (what the worker asks the kernel for)."""
    return json.dumps(collect(), ensure_ascii=True)


def parse(text: str) -> dict:
    """The reads from the text the kernel returned for ``collect_json()`` (its ``repr``)."""
    import ast

    value = ast.literal_eval(text)
    data = json.loads(value) if isinstance(value, str) else value
    return {"inputs": [tuple(x) for x in data.get("inputs", [])],
            "files": [str(Path(p)) for p in data.get("files", [])]}
