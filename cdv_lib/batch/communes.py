"""Which communes the batch renders: the signatories of the data's ``communes`` table, or
every commune of another EPCI from the national reference list."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.paths import REFERENCE_DIR, data_dir as resolve_data_dir

REFERENCE_COMMUNES = REFERENCE_DIR / "communes_france.csv"


def _communes_table(folder: Path) -> pd.DataFrame:
    """The ``communes`` table of *folder*, validated by :mod:`cdv_lib.dataset` when it exists,
    else read with :func:`cdv_lib.readers.read_table`."""
    try:
        from cdv_lib.dataset import load_dataset
    except ImportError:
        load_dataset = None
    if load_dataset is not None:
        dataset = load_dataset(folder)
        table = getattr(dataset, "communes", None)
        if table is None and isinstance(dataset, dict):
            table = dataset.get("communes")
        if table is not None:
            return table
    from cdv_lib.readers import find_table, read_table

    path = find_table(folder, "communes")
    if path is None:
        raise FileNotFoundError(
            f"Fichier des communes introuvable dans {folder} (communes.csv ou communes.xlsx)."
        )
    return read_table(path)


def _as_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.fillna(False).astype(bool)
    from cdv_lib.readers import parse_bool

    values, _bad = parse_bool(series)
    return values


def signatory_communes(data: str | os.PathLike | None = None) -> pd.DataFrame:
    """Signatory communes of a data folder.

    Parameters
    ----------
    data : data folder (``None``: the embedded data, see :func:`cdv_lib.paths.data_dir`).

    Returns
    -------
    DataFrame with columns ``code_insee`` (str) and ``nom`` (str), in file order, one row per
    commune whose ``signataire`` is true (every commune when the column is absent).
    """
    table = _communes_table(resolve_data_dir(data))
    if C.SIGNATAIRE in table.columns:
        table = table[_as_bool(table[C.SIGNATAIRE]).to_numpy()]
    return _codes_and_names(table)


def epci_communes(code_epci: str, reference: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every commune of EPCI *code_epci* in the national reference list.

    Parameters
    ----------
    code_epci : SIREN of the EPCI (9 digits).
    reference : reference list (default ``data/reference/communes_france.csv``), read with
        codes as strings.

    Returns
    -------
    DataFrame with columns ``code_insee`` and ``nom`` (str), sorted by code.

    Raises
    ------
    ValueError
        Unknown EPCI or missing reference list (French message).
    """
    path = Path(reference) if reference is not None else REFERENCE_COMMUNES
    if not path.exists():
        raise ValueError(f"Liste de référence des communes introuvable : {path}")
    ref = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    code = str(code_epci).strip()
    try:
        from cdv_lib.themes.territoire import communes_of_epci
    except ImportError:
        communes_of_epci = None
    if communes_of_epci is not None:
        return _codes_and_names(communes_of_epci(ref, code))
    found = ref[ref[C.CODE_EPCI].str.strip() == code].sort_values(C.CODE_INSEE)
    if found.empty:
        raise ValueError(f"Aucune commune de l'EPCI « {code} » dans la liste de référence {path}.")
    return _codes_and_names(found)


def _codes_and_names(table: pd.DataFrame) -> pd.DataFrame:
    codes = [str(c).strip() for c in table[C.CODE_INSEE]]
    names = [str(n) if n is not None and not pd.isna(n) else c
             for n, c in zip(table[C.NOM] if C.NOM in table.columns else codes, codes)]
    return pd.DataFrame({C.CODE_INSEE: codes, C.NOM: names}, dtype=object)
