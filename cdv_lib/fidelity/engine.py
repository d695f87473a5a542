"""The fidelity engine: compare figures printed in a report with the values computed from
the data. The recipes computing each figure of a given report live apart
(:mod:`cdv_lib.fidelity.recipes_2022` for the 2022 evaluation of the CA de Lens-Liévin).

For each row of ``reference/published_figures.csv`` (146 figures printed by the CALL's 2022
evaluation report) the workbench computes the same figure from the data directory through
the library (survey engine, themes, :func:`cdv_lib.dataset.load_dataset`) and compares:

* ``reproduit``: equal at the printed precision;
* ``expliqué``: not equal, or not computable from the data, and the committed file
  ``reference/fidelity_explanations.csv`` (``id;raison``) gives the reason (a report
  inconsistency, a population vintage, a fact no input carries);
* ``échec``: anything else.

Comparison rules (:func:`compare`)
----------------------------------
* a percentage is computed as a share (0..1) and compared as ``share × 100``;
* the computed value is rounded **half up** to the number of decimals printed
  (``42.1`` → 1 decimal, ``80`` → 0): 9/16 = 56,25 % matches a printed ``56.3``;
* a figure the report gives as approximate (note starting with ``about`` or ``near``:
  « près de 3 900 000 ») is compared at the place of its last non-zero digit
  (3 918 264 → 3 900 000);
* a figure given as a lower bound (note ``more than``: « plus de 60 % ») matches any
  larger computed value;
* when rounding does not match but truncation does (0,477 → 47 printed), the comparison
  says ``arrondi inférieur``: the row still needs an explanation to be ``expliqué``.

Computations are exact: shares are kept as fractions of counts and turned into
:class:`~decimal.Decimal` only for the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import pandas as pd

from cdv_lib.dataset import Dataset, load_dataset
from cdv_lib.paths import REFERENCE_DIR
from cdv_lib.readers import read_table

REPRODUCED = "reproduit"
EXPLAINED = "expliqué"
FAILED = "échec"
STATUSES = (REPRODUCED, EXPLAINED, FAILED)

# outcomes of compare()
EQUAL = "égal"
ROUNDED_DOWN = "arrondi inférieur"
DIFFERENT = "écart"
NOT_COMPUTED = "non calculé"

PUBLISHED_FILE = "published_figures.csv"
EXPLANATIONS_FILE = "fidelity_explanations.csv"
TABLE_COLUMNS = ["id", "theme", "libelle", "publie", "calcule", "unite", "base_n",
                 "comparaison", "statut", "detail", "raison"]


# --------------------------------------------------------------------------- comparison
def printed_decimals(printed: str) -> int:
    """Number of decimals of a printed figure as written in the reference file
    (``"42.1"`` → 1, ``"80"`` → 0, ``"-20"`` → 0)."""
    text = str(printed).strip().replace(",", ".")
    return len(text.split(".", 1)[1]) if "." in text else 0


def _to_decimal(value) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(float(value)))
    return Decimal(str(value))


def _quantum(printed: str, note: str) -> Decimal:
    note = (note or "").strip().lower()
    if note.startswith(("about", "near")):
        digits = str(printed).strip().lstrip("-").split(".")[0]
        zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
        return Decimal(10) ** zeros
    return Decimal(1).scaleb(-printed_decimals(printed))


def compare(printed: str, computed, *, unit: str = "count", note: str = "") -> str:
    """Compare a printed figure with a computed value.

    Parameters
    ----------
    printed : str
        The figure as written in ``published_figures.csv`` (``"42.1"``, ``"3900000"``).
    computed : float, int, Fraction or Decimal
        The computed value; for ``unit == "percent"`` a share in 0..1.
    unit : str
        ``percent`` (compared as ``share × 100``) or any other unit (compared as is).
    note : str
        The row's note: ``about…``/``near…`` (approximate figure) or ``more than…``
        (lower bound) change the rule (module docstring).

    Returns
    -------
    str
        ``"égal"``, ``"arrondi inférieur"`` (truncation matches, rounding does not) or
        ``"écart"``.
    """
    try:
        pub = Decimal(str(printed).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"chiffre publié illisible : « {printed} »") from exc
    value = _to_decimal(computed)
    if unit == "percent":
        value *= 100
    quantum = _quantum(printed, note)
    rounded = (value / quantum).quantize(Decimal(1), rounding=ROUND_HALF_UP) * quantum
    if (note or "").strip().lower().startswith("more than"):
        return EQUAL if rounded > pub else DIFFERENT
    if rounded == pub:
        return EQUAL
    truncated = (value / quantum).quantize(Decimal(1), rounding=ROUND_DOWN) * quantum
    return ROUNDED_DOWN if truncated == pub else DIFFERENT


# --------------------------------------------------------------------------- computations
@dataclass(frozen=True)
class Computed:
    """A figure computed from the data: ``value`` (a share in 0..1 for percentages, a
    :class:`~fractions.Fraction` when exact), its ``base`` when it is a share, and
    ``detail``, a French description of how it was obtained."""

    value: object
    base: int | None = None
    detail: str = ""


# --------------------------------------------------------------------------- tables
def _reference_file(directory: Path, name: str) -> Path:
    own = directory / "reference" / name
    return own if own.exists() else REFERENCE_DIR / name


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """The published figures: ``id``, ``theme``, ``section``, ``label``, ``value`` (text as
    printed), ``unit``, ``base_n``, ``note`` (strings; missing = empty string)."""
    path = Path(path) if path is not None else REFERENCE_DIR / PUBLISHED_FILE
    frame = read_table(path)
    return frame.fillna("").reset_index(drop=True)


def load_explanations(path: str | Path | None = None) -> dict[str, str]:
    """``{id: raison}`` from ``fidelity_explanations.csv`` (empty when the file is absent)."""
    path = Path(path) if path is not None else REFERENCE_DIR / EXPLANATIONS_FILE
    if not path.exists():
        return {}
    frame = read_table(path).fillna("")
    return dict(zip(frame["id"].str.strip(), frame["raison"].str.strip()))


def _display(value, unit: str) -> float:
    number = _to_decimal(value)
    return float(number * 100 if unit == "percent" else number)


def fidelity_table(data: str | Path | Dataset | None = None, *,
                   published: pd.DataFrame | None = None,
                   explanations: dict[str, str] | None = None,
                   recipes: Mapping[str, Callable] | None = None,
                   context: Callable[[Dataset], object] | None = None) -> pd.DataFrame:
    """Compare every published figure with the value computed from the data.

    Parameters
    ----------
    data : path, Dataset or None
        The data directory (default: :func:`cdv_lib.paths.data_dir`), or a loaded dataset.
    published, explanations : optional
        Override ``reference/published_figures.csv`` and
        ``reference/fidelity_explanations.csv`` (default: those of the data directory, else
        the embedded ones).
    recipes, context : optional
        ``{figure id: function(context) -> Computed}`` and the function building the
        context they read from the dataset (default: the recipes of the 2022 report,
        :mod:`cdv_lib.fidelity.recipes_2022`).

    Returns
    -------
    DataFrame
        One row per published figure, in file order: ``id``, ``theme``, ``libelle``,
        ``publie`` (text as printed), ``calcule`` (float64, in the printed unit: a percent
        for percentages; NaN when not computed), ``unite``, ``base_n`` (Int64, base of a
        computed share), ``comparaison`` (``égal``, ``arrondi inférieur``, ``écart``,
        ``non calculé``), ``statut`` (``reproduit``, ``expliqué``, ``échec``), ``detail``
        (how the value was computed, or the error), ``raison`` (the explanation, if any).
    """
    ds = data if isinstance(data, Dataset) else load_dataset(data)
    directory = Path(ds.data_dir)
    if published is None:
        published = load_published(_reference_file(directory, PUBLISHED_FILE))
    if explanations is None:
        explanations = load_explanations(_reference_file(directory, EXPLANATIONS_FILE))
    if recipes is None or context is None:
        from cdv_lib.fidelity import recipes_2022

        recipes = recipes_2022.FIGURES if recipes is None else recipes
        context = recipes_2022.Context if context is None else context
    ctx = context(ds)
    rows = []
    for fig in published.to_dict("records"):
        fid, unit, note = fig["id"], fig["unit"], fig.get("note", "")
        compute = recipes.get(fid)
        computed, error = None, ""
        if compute is None:
            error = "aucun calcul défini pour ce chiffre"
        else:
            try:
                computed = compute(ctx)
            except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
                error = f"calcul impossible : {exc}"
        if computed is None or computed.value is None or pd.isna(computed.value):
            outcome = NOT_COMPUTED
        else:
            outcome = compare(fig["value"], computed.value, unit=unit, note=note)
        reason = explanations.get(fid, "")
        if outcome == EQUAL:
            status = REPRODUCED
        elif reason:
            status = EXPLAINED
        else:
            status = FAILED
        detail = error or (computed.detail if computed is not None else
                           "non porté par les données")
        rows.append({
            "id": fid, "theme": fig["theme"], "libelle": fig["label"], "publie": fig["value"],
            "calcule": (_display(computed.value, unit) if outcome != NOT_COMPUTED
                        else float("nan")),
            "unite": unit,
            "base_n": computed.base if computed is not None and computed.base else pd.NA,
            "comparaison": outcome, "statut": status, "detail": detail, "raison": reason,
        })
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    out["calcule"] = out["calcule"].astype("float64")
    out["base_n"] = out["base_n"].astype("Int64")
    return out


def summary(table: pd.DataFrame) -> dict[str, int]:
    """Count of rows per status: ``{"reproduit": n, "expliqué": n, "échec": n, "total": n}``."""
    counts = table["statut"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in STATUSES}
    out["total"] = len(table)
    return out
