"""Checking a data directory without loading it for use: the engine of ``cdv validate``."""

from __future__ import annotations

import os

from cdv_lib.errors import DataError, Problem


def validate_dir(path: str | os.PathLike | None = None) -> list[Problem]:
    """Every problem of the data directory *path* (default :func:`cdv_lib.paths.data_dir`);
    an empty list when the data is valid. Reads only, never writes."""
    from cdv_lib.dataset import load_dataset

    try:
        load_dataset(path)
    except DataError as exc:
        return list(exc.problems)
    return []


def summary(path: str | os.PathLike | None = None) -> str:
    """One French line describing a *valid* directory: communes, QPV and rows per file."""
    from cdv_lib.dataset import load_dataset

    ds = load_dataset(path)
    n_sign = int(ds.communes["signataire"].sum())
    parts = [f"{len(ds.communes)} communes dont {n_sign} signataires", f"{len(ds.qpv)} QPV"]
    for name, frame in ds.tables().items():
        if name in ("communes", "qpv") or frame.empty:
            continue
        parts.append(f"{name} : {len(frame)} ligne{'s' if len(frame) > 1 else ''}")
    if ds.questionnaires:
        parts.append(f"{len(ds.questionnaires)} questionnaire(s) : "
                     + ", ".join(sorted(ds.questionnaires)))
    if ds.ami_rules is not None:
        parts.append("règles AMI")
    return " ; ".join(parts)
