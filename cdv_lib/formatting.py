"""French formatting of figures for everything a reader sees (one place, babel-based).

Typographic choices
-------------------
* One kind of space, the no-break space ``U+00A0`` (:data:`NBSP`), everywhere: as the
  thousands separator (``5 760 000``), before ``%`` and ``€`` (``42,1 %``, ``5 760 000 €``)
  and around ``=`` in bases (``(n = 19)``). Babel's French narrow no-break space
  (U+202F) is replaced, so that every output uses the same character.
* Rounding is half-up on the decimal written value (``56,25`` → ``56,3``), as readers
  expect, not banker's rounding.
* Missing values (None, NaN, NA) are shown as :data:`NA_TEXT` ``"–"`` (en dash); secret
  cells as :data:`SECRET_TEXT` ``"s"``; the minus sign is ``-``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from babel.numbers import format_decimal

LOCALE = "fr_FR"
NBSP = "\u00a0"
NA_TEXT = "–"
SECRET_TEXT = "s"
SECRET_SUFFIX = "__secret"  # same as cdv_lib.secrecy.SECRET_SUFFIX


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _round(value, digits: int) -> Decimal:
    quantum = Decimal(1).scaleb(-digits)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def fmt_number(value, digits: int = 1) -> str:
    """``1234.56`` → ``"1 234,6"`` (``digits`` decimals, always written)."""
    if _missing(value):
        return NA_TEXT
    rounded = _round(value, digits)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0,0"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(rounded, format=pattern, locale=LOCALE, decimal_quantization=True)
    return text.replace("\u202f", NBSP).replace(" ", NBSP).replace("\u2212", "-")


def fmt_int(value) -> str:
    """``5760000`` → ``"5 760 000"`` (rounded half-up)."""
    return fmt_number(value, 0)


def fmt_percent(share, digits: int = 1) -> str:
    """Share in 0..1 → ``"42,1 %"``."""
    if _missing(share):
        return NA_TEXT
    return f"{fmt_number(float(share) * 100, digits)}{NBSP}%"


def fmt_euro(value, digits: int = 0) -> str:
    """``5760000`` → ``"5 760 000 €"``; ``digits=2`` → ``"12 337,00 €"``."""
    if _missing(value):
        return NA_TEXT
    return f"{fmt_number(value, digits)}{NBSP}€"


def fmt_evolution(rate, digits: int = 1) -> str:
    """Relative change → ``"+47,0 %"``, ``"-12,5 %"``, ``"0,0 %"``."""
    if _missing(rate):
        return NA_TEXT
    text = fmt_percent(rate, digits)
    return text if text.startswith("-") or _round(float(rate) * 100, digits) == 0 else "+" + text


def fmt_date(value) -> str:
    """``date(2022, 4, 25)``, a datetime, a Timestamp or ``"2022-04-25"`` → ``"25/04/2022"``."""
    if _missing(value):
        return NA_TEXT
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    raise TypeError(f"date attendue, reçu {value!r}")


def _formatter(spec) -> Callable[[object], str]:
    if callable(spec):
        return spec
    name, _, digits = str(spec).partition(":")
    table = {
        "percent": fmt_percent,
        "number": fmt_number,
        "int": lambda v, *_: fmt_int(v),
        "euro": fmt_euro,
        "evolution": fmt_evolution,
        "date": lambda v, *_: fmt_date(v),
        "text": lambda v, *_: NA_TEXT if _missing(v) else str(v),
    }
    if name not in table:
        raise ValueError(f"format inconnu « {spec} » : {', '.join(table)} (ex. « percent:0 »)")
    base = table[name]
    return (lambda v: base(v, int(digits))) if digits else base


def french_table(df: pd.DataFrame, formats: Mapping[str, object] | None = None, *, na: str = NA_TEXT) -> pd.DataFrame:
    """Copy of *df* with every cell a display string.

    Parameters
    ----------
    formats : column → ``"percent"``, ``"percent:0"``, ``"number:2"``, ``"int"``,
        ``"euro"``, ``"evolution"``, ``"date"``, ``"text"`` or a callable value → str.
        Other columns: ``str(value)``, missing → *na*.
    na : text of a missing value.

    A column ``c`` with a boolean companion ``c__secret`` (see :mod:`cdv_lib.secrecy`)
    shows ``"s"`` where the flag is True; companion columns are dropped.
    """
    formats = dict(formats or {})
    unknown = set(formats) - set(df.columns)
    if unknown:
        raise KeyError(f"colonnes absentes du tableau : {', '.join(sorted(map(str, unknown)))}")
    shown = [c for c in df.columns if not str(c).endswith(SECRET_SUFFIX)]
    out = pd.DataFrame(index=df.index)
    for column in shown:
        fmt = _formatter(formats[column]) if column in formats else _formatter("text")
        texts = [na if _missing(v) else fmt(v) for v in df[column]]
        flag = df.get(f"{column}{SECRET_SUFFIX}")
        if flag is not None:
            texts = [SECRET_TEXT if bool(f) else t for t, f in zip(texts, flag.fillna(False))]
        out[column] = pd.Series(texts, index=df.index, dtype=object)
    return out
