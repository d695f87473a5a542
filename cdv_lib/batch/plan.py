"""Planning the batch: which (commune, theme) runs, with which papermill parameters and
which output paths."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.batch.registry import AGGLOMERATION, THEMES, Theme


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs; plain data so that it pickles to a worker or a Dask task.

    ``html`` and ``ipynb`` are relative to ``out_dir``."""

    commune: str | None
    commune_name: str
    theme: str
    theme_label: str
    notebook: str
    out_dir: str
    parameters: dict = field(default_factory=dict)
    timeout: float | None = None
    reuse_kernel: bool = True

    @property
    def run_id(self) -> str:
        return f"{self.folder}/{self.theme}"

    @property
    def folder(self) -> str:
        return self.commune if self.commune is not None else AGGLOMERATION

    @property
    def html(self) -> str:
        return f"{self.folder}/{self.theme}.html"

    @property
    def ipynb(self) -> str:
        return f"{self.folder}/{self.theme}.ipynb"

    @property
    def title(self) -> str:
        where = "Agglomération" if self.commune is None else f"{self.commune_name} ({self.commune})"
        return f"{self.theme_label} — {where}"


def select_themes(names: Iterable[str] | None = None,
                  registry: Mapping[str, Theme] = THEMES) -> list[Theme]:
    """Themes of *registry* named in *names* (all when empty), in registry order.

    Raises ``ValueError`` (French) for an unknown name."""
    names = list(names or [])
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(
            "Thème(s) inconnu(s) : " + ", ".join(unknown)
            + ". Thèmes disponibles : " + ", ".join(registry) + "."
        )
    return [t for n, t in registry.items() if not names or n in names]


def plan_runs(communes: pd.DataFrame, themes: Iterable[Theme], *, out_dir: str | os.PathLike,
              agglomeration: bool = True, data_dir: str | os.PathLike | None = None,
              annee: int | None = None, timeout: float | None = None,
              reuse_kernel: bool = True) -> list[RunSpec]:
    """The runs of a batch: each theme for the agglomeration (when the theme and
    *agglomeration* allow it), then each theme for each commune.

    Parameters
    ----------
    communes : DataFrame with columns ``code_insee`` and ``nom`` (the communes to render).
    themes : themes to render (see :data:`cdv_lib.batch.registry.THEMES`).
    out_dir : output folder.
    agglomeration : render the agglomeration-level reports.
    data_dir : passed to the notebooks as ``data_dir`` (``None``: embedded data).
    annee : passed as ``annee`` when given (else the notebook default applies).
    timeout : per-run timeout in seconds.
    reuse_kernel : run in the worker's kernel, reset between reports (``False``: a new
        kernel for every report, slower, fully isolated).

    Returns
    -------
    list of :class:`RunSpec`, agglomeration first, then communes in table order.
    """
    themes = list(themes)
    base: dict = {"data_dir": None if data_dir is None else str(Path(data_dir).resolve())}
    if annee is not None:
        base["annee"] = int(annee)
    out = str(Path(out_dir).resolve())
    targets: list[tuple[str | None, str]] = []
    if agglomeration:
        targets.append((None, "Agglomération"))
    targets += [(str(code), str(name)) for code, name in zip(communes[C.CODE_INSEE], communes[C.NOM])]
    runs = []
    for code, name in targets:
        for theme in themes:
            if (code is None and not theme.agglomeration) or (code is not None and not theme.communes):
                continue
            runs.append(RunSpec(
                commune=code, commune_name=name, theme=theme.name, theme_label=theme.label,
                notebook=str(theme.notebook), out_dir=out,
                parameters={"commune": code, **base}, timeout=timeout,
                reuse_kernel=reuse_kernel,
            ))
    return runs
