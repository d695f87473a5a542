"""Uncertainty of survey shares: 95 % Wilson intervals, censuses, tests in French.

A share ``k / n`` of a **sample** (21 associations answered out of 70) carries the Wilson
score interval at 95 %::

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z · sqrt(p(1 - p)/n + z²/4n²) / (1 + z²/n),   p = k/n, z = 1,959964

bounded to [0, 1], never outside, never degenerate at 0 or n (unlike the Wald interval).
No finite-population correction is applied: the interval is the conservative one of a
draw with replacement, and it covers sampling error only (not the bias of who chose to
answer).

The respondents of a **census** are the whole population (19 communes out of 19): their
shares have no sampling error and no interval; tables say « exhaustif ». A questionnaire
is a census when its definition says ``exhaustif: oui``, or, when it does not say,
when ``envoyes`` equals the number of respondents (:func:`is_census`).

Interval bounds are derived from the count and the base: wherever secrecy masks a share,
its bounds are masked too (:func:`mask_intervals`).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

LEVEL = 0.95
LOW, HIGH = "ic_bas", "ic_haut"
SECRET_SUFFIX = "__secret"  # as cdv_lib.secrecy.SECRET_SUFFIX
NBSP = "\u00a0"
CENSUS_TEXT = "exhaustif"
SIGNIFICANCE = 0.05


def z_value(level: float = LEVEL) -> float:
    """Two-sided normal quantile of *level* (1,959964 for 95 %)."""
    if not 0 < level < 1:
        raise ValueError(f"niveau de confiance entre 0 et 1 attendu, reçu {level}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_interval(count, base, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the share ``count / base``.

    Parameters
    ----------
    count, base : scalars or arrays of non-negative numbers (``count <= base``).
    level : confidence level, 0.95 by default.

    Returns
    -------
    (low, high) arrays of shares in 0..1; NaN where ``base`` is 0, missing or negative.
    """
    k = np.asarray(count, dtype="float64")
    n = np.asarray(base, dtype="float64")
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(k) & np.isfinite(n) & (n > 0)
        nn = np.where(ok, n, 1.0)
        p = np.where(ok, k, 0.0) / nn
        denom = 1 + z * z / nn
        centre = (p + z * z / (2 * nn)) / denom
        half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom
        low = np.where(ok, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(ok, np.clip(centre + half, 0.0, 1.0), np.nan)
    # exact ends: the interval of 0/n starts at 0 and that of n/n ends at 1
    low = np.where(ok & (k <= 0), 0.0, low)
    high = np.where(ok & (k >= n), 1.0, high)
    return low, high


def is_census(survey) -> bool:
    """Whether the respondents of *survey* are the whole population asked.

    The definition's ``exhaustif`` flag decides when it is given; otherwise a survey is a
    census when ``envoyes`` is known and equals the number of respondents. Without
    ``envoyes`` nothing says it is a census: it is treated as a sample.
    """
    definition = survey.definition
    if definition.census is not None:
        return bool(definition.census)
    return definition.sent is not None and definition.sent == survey.n_respondents


def census_note(survey) -> str:
    """One French sentence saying whether the shares of *survey* carry an interval."""
    n = survey.n_respondents
    sent = survey.definition.sent
    if is_census(survey):
        who = f"les {n} destinataires ont répondu" if sent == n else "les répondants sont toute la population interrogée"
        return (f"Exhaustif : {who} ; les parts n'ont pas d'erreur d'échantillonnage, "
                "aucun intervalle n'est donné.")
    sample = (f"{n} réponses sur {sent} questionnaires envoyés" if sent
              else f"{n} réponses, nombre d'envoyés inconnu")
    return (f"Échantillon ({sample}) : chaque part est donnée avec son intervalle de confiance à "
            f"{_percent_text(LEVEL, 0)} (méthode de Wilson), qui ne mesure que l'aléa "
            "d'échantillonnage, pas le biais de non-réponse.")


def add_intervals(table: pd.DataFrame, *, census: bool, level: float = LEVEL,
                  count: str = "effectif", base: str = "base", share: str = "part") -> pd.DataFrame:
    """Copy of a frequency or cross table with the interval of each share.

    Parameters
    ----------
    table : columns ``effectif``, ``base``, ``part`` (as :func:`cdv_lib.survey.frequencies`,
        :func:`~cdv_lib.survey.crosstab`, :func:`~cdv_lib.survey.matrix_frequencies`).
    census : True when the respondents are the whole population (:func:`is_census`).

    Returns
    -------
    copy with ``ic_bas`` and ``ic_haut`` (shares 0..1): the Wilson interval where ``part``
    is a number, NaN on non-response rows, where ``part`` is NaN and for a census.
    ``attrs["exhaustif"]`` = *census*, ``attrs["niveau"]`` = *level*.
    """
    out = table.copy()
    if census or out.empty:
        out[LOW] = np.full(len(out), np.nan)
        out[HIGH] = np.full(len(out), np.nan)
    else:
        low, high = wilson_interval(out[count].to_numpy("float64"), out[base].to_numpy("float64"), level)
        has_share = out[share].notna().to_numpy()
        out[LOW] = np.where(has_share, low, np.nan)
        out[HIGH] = np.where(has_share, high, np.nan)
    out.attrs = {**table.attrs, "exhaustif": bool(census), "niveau": level}
    return out


def mask_intervals(masked: pd.DataFrame, *, share: str = "part") -> pd.DataFrame:
    """Hide the interval of every masked share.

    *masked* is the output of :func:`cdv_lib.secrecy.mask_frequencies` or
    :func:`~cdv_lib.secrecy.mask_crosstab` applied to a table with intervals: bounds are
    functions of the count and the base, so they are masked wherever ``part__secret`` is
    True (NaN, with ``ic_bas__secret`` and ``ic_haut__secret`` flags)."""
    out = masked.copy()
    if LOW not in out.columns:
        return out
    flag_col = f"{share}{SECRET_SUFFIX}"
    flag = out[flag_col].fillna(False).astype(bool).to_numpy() if flag_col in out.columns \
        else np.zeros(len(out), dtype=bool)
    for column in (LOW, HIGH):
        out[column] = out[column].astype("float64").where(~flag)
        out[f"{column}{SECRET_SUFFIX}"] = flag
    out.attrs = dict(masked.attrs)
    return out


# --- French display ------------------------------------------------------------------------

def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number_text(value: float, digits: int) -> str:
    # same rounding (half up on the written value) and characters as cdv_lib.formatting
    from cdv_lib.formatting import fmt_number

    return fmt_number(value, digits)


def _percent_text(share: float, digits: int = 1) -> str:
    return f"{_number_text(float(share) * 100, digits)}{NBSP}%"


def fmt_interval(low, high, digits: int = 1) -> str:
    """``(0.0498, 0.3464)`` → ``"[5,0 ; 34,6]"`` (percent points, no « % » inside);
    ``"–"`` when a bound is missing."""
    if _missing(low) or _missing(high):
        return "–"
    return f"[{_number_text(float(low) * 100, digits)}{NBSP}; {_number_text(float(high) * 100, digits)}]"


def fmt_share_ci(share, low=None, high=None, *, census: bool = False, digits: int = 1) -> str:
    """A share with its uncertainty, in French.

    ``(3/21, 0.0498, 0.3464)`` → ``"14,3 % [5,0 ; 34,6]"``; for a census
    ``"42,1 % (exhaustif)"``; ``"–"`` when the share is missing; the share alone when
    the bounds are missing (a non-response row). Spaces inside a figure are no-break
    spaces, as in :mod:`cdv_lib.formatting`.
    """
    if _missing(share):
        return "–"
    text = _percent_text(share, digits)
    if census:
        return f"{text} ({CENSUS_TEXT})"
    if _missing(low) or _missing(high):
        return text
    return f"{text} {fmt_interval(low, high, digits)}"


def interval_texts(table: pd.DataFrame, *, census: bool | None = None, digits: int = 1,
                   secret_text: str = "s") -> pd.Series:
    """One display string per row of a table with ``part``, ``ic_bas``, ``ic_haut``:
    :func:`fmt_share_ci`, ``"s"`` where the share is masked (``part__secret``).
    *census* defaults to ``table.attrs["exhaustif"]``."""
    if census is None:
        census = bool(table.attrs.get("exhaustif", False))
    flag = table.get(f"part{SECRET_SUFFIX}")
    flags = flag.fillna(False).astype(bool).tolist() if flag is not None else [False] * len(table)
    low = table[LOW] if LOW in table.columns else pd.Series(np.nan, index=table.index)
    high = table[HIGH] if HIGH in table.columns else pd.Series(np.nan, index=table.index)
    texts = [secret_text if f else fmt_share_ci(p, lo, hi, census=census, digits=digits)
             for p, lo, hi, f in zip(table["part"], low, high, flags)]
    return pd.Series(texts, index=table.index, dtype=object)


def share_ci_texts(masked: pd.DataFrame, *, census: bool, mark_census: bool = True,
                   digits: int = 1, secret_text: str = "s") -> pd.Series:
    """Display strings « 14,3 % [5,0 ; 34,6] » of a table **already masked** for secrecy.

    For report tables: *masked* has ``effectif``, ``base``, ``part`` (and the
    ``__secret`` companions of :mod:`cdv_lib.secrecy`), e.g. the output of
    :func:`cdv_lib.secrecy.mask_frequencies`. Intervals are computed from the shown counts
    only (a masked count is NaN, so is its interval) and every masked share reads
    ``"s"``. A census gives ``"42,1 % (exhaustif)"`` (or the share alone when
    *mark_census* is False, the table then saying « exhaustif » once in a note:
    :func:`census_note`). Non-response rows (``part`` NaN) give ``"–"``.
    """
    with_ci = mask_intervals(add_intervals(masked, census=census))
    texts = interval_texts(with_ci, census=census and mark_census, digits=digits,
                           secret_text=secret_text)
    return texts


def fmt_p_value(p: float) -> str:
    """``0.0098`` → ``"p = 0,010"``; below 0,001 → ``"p < 0,001"``."""
    if _missing(p):
        return "p non calculé"
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0,001"
    return f"p{NBSP}={NBSP}{_number_text(p, 3)}"


def describe_test(test: dict, *, secret: bool = False) -> str:
    """French sentence for a test of :func:`cdv_lib.survey.independence_test`.

    Parameters
    ----------
    test : dict with ``valide``, ``p_value``, ``note``, and for a chi-square ``chi2``
        and ``ddl``, ``methode`` (``"khi2"`` or ``"fisher"``).
    secret : True when some cells of the table are masked. The statistic and the exact
        p-value, computed on the true counts, could then help recompute a masked cell:
        only the conclusion is given, with ``p < 0,05`` or ``p ≥ 0,05``.
    """
    if not test.get("valide"):
        note = str(test.get("note") or "test non calculé")
        return f"Pas de test d'indépendance : {note}."
    p = float(test["p_value"])
    significant = p < SIGNIFICANCE
    verdict = ("la répartition des réponses diffère selon les groupes (dépendance significative "
               "au seuil de 5 %)" if significant else
               "pas de différence significative entre les groupes au seuil de 5 %")
    if test.get("methode") == "fisher":
        name = "Test exact de Fisher (tableau 2 × 2)"
        stat = ""
    else:
        name = "Test du khi-deux de Pearson"
        stat = f"khi-deux = {_number_text(test['chi2'], 2)}, {test['ddl']} ddl, "
    if secret:
        bucket = f"p{NBSP}<{NBSP}0,05" if significant else f"p{NBSP}≥{NBSP}0,05"
        return (f"{name} : {bucket} : {verdict}. Valeurs exactes non publiées : des cases du "
                "tableau sont masquées par le secret statistique.")
    return f"{name} : {stat}{fmt_p_value(p)} : {verdict}."


__all__ = [
    "CENSUS_TEXT", "HIGH", "LEVEL", "LOW", "add_intervals", "census_note", "describe_test",
    "fmt_interval", "fmt_p_value", "fmt_share_ci", "interval_texts", "is_census",
    "mask_intervals", "share_ci_texts", "wilson_interval", "z_value",
]
