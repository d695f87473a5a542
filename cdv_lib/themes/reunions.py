"""Journal des réunions (auditions, restitutions, groupes de travail): how many meetings,
people and hours, by type of meeting."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cdv_lib.text import fold

__all__ = ["BY", "meeting_counts", "find_meetings"]

#: Default grouping: the programme, the kind of meeting and the working group.
BY = ("dispositif", "instance", "groupe")


def meeting_counts(reunions: pd.DataFrame, by: str | Sequence[str] = BY) -> pd.DataFrame:
    """Meetings, people present and hours, by type of meeting.

    Parameters
    ----------
    reunions : DataFrame
        The typed ``reunions`` table: ``dispositif``, ``instance``, ``groupe`` (text),
        ``duree_heures`` (float), ``elus``, ``techniciens`` (Int64); missing counts are 0.
    by : str or sequence of str
        Grouping columns. Labels are compared without case, accents or extra spaces
        (``Audition commune`` = ``audition  commune``); the first spelling is shown. An
        empty cell (no working group) is a group of its own, shown as NaN.

    Returns
    -------
    DataFrame
        One row per group, sorted by the grouping labels: the *by* columns, ``n_reunions``
        (int), ``elus``, ``techniciens``, ``personnes`` (``elus + techniciens``, int) and
        ``heures`` (float, sum of ``duree_heures``).
    """
    by = [by] if isinstance(by, str) else list(by)
    keys = pd.DataFrame({f"_key{i}": reunions[col].map(fold)
                         for i, col in enumerate(by)}, index=reunions.index)
    values = pd.DataFrame({
        "elus": pd.to_numeric(reunions["elus"]).fillna(0).astype("int64"),
        "techniciens": pd.to_numeric(reunions["techniciens"]).fillna(0).astype("int64"),
        "heures": pd.to_numeric(reunions["duree_heures"]).fillna(0.0).astype("float64"),
    }, index=reunions.index)
    frame = pd.concat([keys, reunions[by].astype(object), values], axis=1)
    key_cols = list(keys.columns)
    if frame.empty:
        out = pd.DataFrame({col: pd.Series([], dtype=object) for col in by})
        for col, dtype in [("n_reunions", "int64"), ("elus", "int64"),
                           ("techniciens", "int64"), ("personnes", "int64"),
                           ("heures", "float64")]:
            out[col] = pd.Series([], dtype=dtype)
        return out
    grouped = frame.groupby(key_cols, sort=True, dropna=False)
    labels = grouped[by].first()
    out = pd.concat([
        labels,
        grouped.size().rename("n_reunions").astype("int64"),
        grouped[["elus", "techniciens"]].sum().astype("int64"),
        grouped["heures"].sum().astype("float64"),
    ], axis=1).reset_index(drop=True)
    out.insert(len(by) + 3, "personnes", out["elus"] + out["techniciens"])
    for col in by:
        out[col] = out[col].astype(object).where(out[col].notna(), float("nan"))
    return out


def find_meetings(counts: pd.DataFrame, **labels: str) -> pd.DataFrame:
    """Rows of :func:`meeting_counts` whose labels match *labels* (``instance="audition
    commune"``), compared without case, accents or extra spaces.

    Parameters
    ----------
    counts : DataFrame
        Output of :func:`meeting_counts`, holding every column named in *labels*.

    Returns
    -------
    DataFrame
        The matching rows, same columns.
    """
    keep = pd.Series(True, index=counts.index)
    for col, wanted in labels.items():
        keep &= counts[col].map(fold) == fold(wanted)
    return counts[keep]
