"""Theme computations: pure functions, typed tables in, tidy tables out.

One module per theme of the evaluation: ``territoire``, ``finances``, ``ami``, ``sante``,
``participation``, ``perr``, ``gouvernance``. They never read files, draw or mask: the
display layer formats, applies statistical secrecy (``cdv_lib.secrecy``) and draws.

Conventions shared by every theme
---------------------------------
* a share is a raw ratio in ``[0, 1]`` in a column named ``part`` (or ``part_*``); it always
  comes with its base in a column named ``base_n`` (or ``base_*``) and, for counts, the
  numerator in ``n``. Rounding and ``42,1 %`` are the display's job.
* INSEE markers ``s`` / ``nd`` travel in a ``marqueur`` column next to a NaN ``valeur``;
  they never become 0.
* category labels are compared with :func:`cdv_lib.text.fold` (case, accents and surrounding
  spaces ignored), so ``Santé``, ``sante`` and ``SANTE `` are the same theme.

This package module holds the few helpers the theme modules share.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

__all__ = ["NonSummableError", "share_table"]


class NonSummableError(ValueError):
    """Raised when asked to add or average an indicator that is a rate, median or mean."""


def share_table(counts: pd.Series, base: int | float, *, name: str) -> pd.DataFrame:
    """Turn category counts into a ``[name, n, base_n, part]`` table.

    Parameters
    ----------
    counts : Series
        Count per category (index = category label).
    base : int
        The base of every share (e.g. number of actions, respondents).
    name : str
        Name of the category column in the output.

    Returns
    -------
    DataFrame
        Columns ``name`` (category), ``n`` (Int64), ``base_n`` (Int64), ``part``
        (float64, ``n / base_n``; NaN when the base is 0).
    """
    out = pd.DataFrame({name: counts.index, "n": counts.to_numpy()})
    out["n"] = out["n"].astype("Int64")
    out["base_n"] = pd.array([int(base)] * len(out), dtype="Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["part"] = (out["n"].astype("float64") / float(base)) if base else np.nan
    out["part"] = out["part"].astype("float64")
    return out.reset_index(drop=True)
