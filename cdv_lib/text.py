"""Reading what people type: the one text folding and the one number parser.

:func:`fold` is how labels typed by people are compared (``"Santé"`` == ``" SANTE "``).

:func:`parse_number` (one value) and :func:`parse_numbers` (a column) read numbers written
the French way. They **accept**: a decimal comma or point (``12,5``, ``3.5``); thousands
separated by a space, a no-break space (U+00A0, U+202F), a thin space or an apostrophe
(``5 760 000``, ``1'234``); thousands separated by points when a decimal comma follows or
when there are several groups (``5.760.000,00``, ``5.760.000``); a sign; a trailing ``€`` or
``EUR``. They **refuse** (never guess) what a French reader could read two ways: commas as
thousands separators (``5,760,000``, ``5,760.00``, ``1,234.5``), several commas (``1,2,3``),
words (``12 euros env.``), ``inf`` and ``nan``.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

_SPACES = re.compile(r"\s+")
_GROUPING = re.compile(r"[\s\u00a0\u202f\u2009\u2007']")
_CURRENCY = re.compile(r"\s*(€|EUR)$")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d*")
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3}){2,}")


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fold(value: object) -> str:
    """Lower-case (casefold), accent-free, single-spaced, stripped form of *value*;
    ``""`` for ``None``/NaN/NA."""
    if _missing(value):
        return ""
    decomposed = unicodedata.normalize("NFKD", str(value))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).strip().casefold()


def fold_series(values: pd.Series) -> pd.Series:
    """:func:`fold` of each value of a column, computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([fold(v) for v in uniques] + [""], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype=object)


def parse_number(value: object) -> float | None:
    """One number by the rules of the module docstring; ``None`` for an empty cell or
    a text that is not such a number. Numbers (int, float) pass through when finite."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if _missing(value):
        return None
    text = _CURRENCY.sub("", str(value).strip().replace("\u2212", "-"))
    text = _GROUPING.sub("", text)
    if not text:
        return None
    if _COMMA_DECIMAL.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        return None
    elif _DOT_THOUSANDS.fullmatch(text):
        text = text.replace(".", "")
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A column of numbers by the rules of the module docstring, each distinct cell parsed
    once.

    Returns
    -------
    (values, bad) : float64 Series (NaN for empty or bad cells) and a bool Series, True where
        a non-empty cell is not a number. Both keep the input index.
    """
    series = pd.Series(series, copy=False)
    blank = series.map(lambda v: _missing(v) or (isinstance(v, str) and not v.strip()))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = np.array([parse_number(v) for v in uniques] + [None], dtype=object)
    values = pd.Series(parsed[codes], index=series.index, dtype=object)
    bad = values.isna() & ~blank.astype(bool)
    return values.astype("float64"), bad.astype(bool)
