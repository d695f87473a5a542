"""Charts of the evaluation, in the seaborn manner.

Every function takes the data first (an already computed table from :mod:`cdv_lib.themes`
or :mod:`cdv_lib.survey`) and keyword-only options naming its columns, draws on *ax* (the
current axes if ``None``) and returns the axes. Nothing is computed here beyond ordering and
stacking; nothing is shown or saved. Empty data gives a chart reading « Aucune donnée ».

Column defaults follow the producers' conventions: for :mod:`cdv_lib.themes` a share
``part`` in [0, 1], its base ``base_n`` and its numerator ``n``; for :mod:`cdv_lib.survey`
``libelle``, ``effectif``, ``part``, ``base`` and a non-response row ``code = "_nr"``.
A missing share (``NaN``/``NA``) is a value masked by statistical secrecy: no bar is drawn and the mark « s » is written in its place.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from cdv_lib import columns as C
from cdv_lib.formatting import fmt_euro, fmt_int, fmt_number, fmt_percent
from cdv_lib.style import (
    SECRET_MARK,
    SECRET_NOTE,
    add_caption,
    apply_style,
    euro_formatter,
    is_missing,
    number_formatter,
    ordered_palette,
    palette,
    percent_formatter,
    show_empty,
    wrap_label,
)

# Ordered levels shared by the report's grids (lowest first).
COOPERATION_LEVELS = ["Relation", "Connexion", "Cohésion", "Connexion dynamique",
                      "Cohésion dynamique"]
PARTICIPATION_LEVELS = ["Information", "Consultation", "Concertation", "Co-construction",
                        "Co-décision"]
PERR_STATUSES = ["réalisé", "partiellement réalisé", "en cours", "non engagé"]

AMOUNT = "montant"
COUNT = "n"
SHARE = "part"
LABEL = "libelle"
BASE = "base_n"
NON_RESPONSE_CODE = "_nr"  # row of non-responses in cdv_lib.survey tables

_LABEL_SIZE = 9


# --- shared helpers ---------------------------------------------------------------------

def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        apply_style()
        ax = plt.gca()
    return ax


def _is_empty(data: pd.DataFrame | None, needed: Sequence[str | None]) -> bool:
    if data is None or len(data) == 0:
        return True
    missing = [c for c in needed if c is not None and c not in data.columns]
    if missing:
        raise KeyError(f"colonnes absentes du tableau à représenter : {', '.join(missing)}")
    return False


def _values(series: pd.Series) -> np.ndarray:
    """Float values, masked values as NaN (works with pandas nullable dtypes)."""
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def _ordered(values: Sequence, order: Sequence | None) -> list:
    """Categories in *order* first (those present), then the others in data order."""
    present = list(dict.fromkeys(v for v in values if not is_missing(v)))
    if not order:
        return present
    head = [o for o in order if o in present]
    return head + [v for v in present if v not in head]


def _secret_note(masked: bool, note) -> list[str]:
    notes = [] if not note else ([note] if isinstance(note, str) else list(note))
    if masked:
        notes.append(SECRET_NOTE)
    return notes


def _bar_labels(ax: Axes, positions, lengths, texts, *, horizontal: bool,
                offset: float = 3) -> None:
    """Write *texts* at the end of each bar (or at its foot when the bar is masked)."""
    for pos, length, text in zip(positions, lengths, texts):
        value = 0.0 if is_missing(length) else float(length)
        if horizontal:
            ax.annotate(text, xy=(value, pos), xytext=(offset, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=_LABEL_SIZE)
        else:
            ax.annotate(text, xy=(pos, value), xytext=(0, offset), textcoords="offset points",
                        ha="center", va="bottom", fontsize=_LABEL_SIZE)


def _share_text(share, count=None) -> str:
    if is_missing(share):
        return SECRET_MARK
    text = fmt_percent(share)
    if count is not None and not is_missing(count):
        text += f" ({fmt_int(count)})"
    return text


def _base_text(base, non_responses=None, unit: str = "répondants") -> str | None:
    if base is None or is_missing(base):
        return None
    text = f"n = {fmt_int(base)} {unit}"
    if non_responses is not None and not is_missing(non_responses):
        k = int(non_responses)
        text += f", {fmt_int(k)} non-réponse{'s' if k > 1 else ''} exclue{'s' if k > 1 else ''}"
    return text


def _set_yticks(ax: Axes, positions, labels) -> None:
    """Category ticks listed bottom-up whatever the drawing order."""
    pairs = sorted(zip(positions, labels), key=lambda p: p[0])
    ax.set_yticks([p for p, _ in pairs], [lab for _, lab in pairs])


def _pick(data: pd.DataFrame, given: str | None, candidates: Sequence[str]) -> str | None:
    """*given*, or the first of *candidates* present in *data* (themes and survey tables
    name the same thing differently: ``n``/``effectif``, ``base_n``/``base``)."""
    if given is not None:
        return given
    return next((c for c in candidates if c in data.columns), candidates[0])


def _split_non_responses(data: pd.DataFrame, count: str | None):
    """Separate the ``_nr`` row of a :mod:`cdv_lib.survey` frequency table.

    Returns the choice rows, the number of non-responses (``None`` without such a row) and
    the table's base (``None`` without a ``base`` column or when it is masked)."""
    frame = data.copy()
    nr = None
    if "code" in frame.columns:
        is_nr = frame["code"].astype("string").eq(NON_RESPONSE_CODE).fillna(False).to_numpy()
        if is_nr.any():
            if count and count in frame.columns:
                nr = frame.loc[is_nr, count].iloc[0]
                nr = None if is_missing(nr) else int(nr)
            frame = frame.loc[~is_nr]
    base = None
    base_col = _pick(frame, None, ("base", BASE))
    if base_col in frame.columns and len(frame):
        value = frame[base_col].iloc[0]
        base = None if is_missing(value) else int(value)
    return frame, nr, base


def _legend_right(ax: Axes, title: str | None = None) -> None:
    ax.legend(title=title, loc="center left", bbox_to_anchor=(1.01, 0.5))


def _stacked_bars(ax: Axes, table: pd.DataFrame, colors, *, horizontal: bool,
                  width: float = 0.7) -> None:
    """Stack the columns of *table* (index = positions' labels) in column order."""
    positions = np.arange(len(table.index))
    start = np.zeros(len(table.index))
    for color, column in zip(colors, table.columns):
        values = np.nan_to_num(_values(table[column]))
        if horizontal:
            ax.barh(positions, values, left=start, height=width, color=color,
                    label=str(column))
        else:
            ax.bar(positions, values, bottom=start, width=width, color=color,
                   label=str(column))
        start = start + values


# --- finances ---------------------------------------------------------------------------

def plot_funding_per_year(data: pd.DataFrame, *, x: str = C.ANNEE, y: str = AMOUNT,
                          hue: str | None = C.FINANCEUR, hue_order: Sequence | None = None,
                          title: str | None = "Financements du Contrat de Ville par année",
                          source: str | None = None, note=None,
                          ax: Axes | None = None) -> Axes:
    """Subsidies granted per year, stacked by funder, with each year's total on top.

    Parameters
    ----------
    data : DataFrame
        One row per year (and funder): columns *x* (year), *y* (amount in euros) and
        *hue* (funder, optional). Rows with the same year and funder are summed.
    """
    ax = _axes(ax)
    if _is_empty(data, [x, y, hue]):
        return show_empty(ax, title=title)
    frame = data.copy()
    frame[y] = _values(frame[y])
    if hue is None:
        frame["_tout"] = "Total"
        hue = "_tout"
    table = frame.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", fill_value=0,
                              observed=True, sort=True)
    if hue_order is None:
        hue_order = list(table.sum().sort_values(ascending=False).index)
    table = table[_ordered(table.columns, hue_order)]
    _stacked_bars(ax, table, palette(len(table.columns)), horizontal=False)
    totals = table.sum(axis=1).to_numpy()
    # full amounts overlap beyond a few bars: millions with two decimals then
    many = len(totals) > 5
    texts = [f"{fmt_number(t / 1e6, 2)} M€" if many and t >= 1e6 else fmt_euro(t)
             for t in totals]
    _bar_labels(ax, np.arange(len(totals)), totals, texts, horizontal=False)
    ax.set_xticks(np.arange(len(table.index)), [str(i) for i in table.index])
    ax.yaxis.set_major_formatter(euro_formatter())
    ax.set_xlabel("Année")
    ax.set_ylabel("Montant accordé")
    ax.margins(y=0.12)
    if hue != "_tout":
        _legend_right(ax, "Financeur")
    if title:
        ax.set_title(title)
    add_caption(ax, source=source, note=note)
    return ax


def plot_funding_by(data: pd.DataFrame, *, category: str = C.PILIER, y: str = AMOUNT,
                    share: str | None = None, order: Sequence | None = None,
                    title: str | None = None, source: str | None = None, note=None,
                    ax: Axes | None = None) -> Axes:
    """Subsidies by pillar, theme or commune: horizontal bars, largest first.

    Parameters
    ----------
    data : DataFrame
        Columns *category* (label), *y* (amount in euros) and optionally *share* (fraction
        of the total, printed next to the amount).
    """
    ax = _axes(ax)
    if title is None:
        title = f"Financements par {_category_word(category)}"
    if _is_empty(data, [category, y, share]):
        return show_empty(ax, title=title)
    frame = data.copy()
    frame[y] = _values(frame[y])
    frame = frame.groupby(category, sort=False, observed=True, dropna=False).agg(
        {y: "sum", **({share: "sum"} if share else {})}).reset_index()
    if order is None:
        frame = frame.sort_values(y, ascending=False, kind="stable")
    else:
        ranks = {v: i for i, v in enumerate(_ordered(frame[category], order))}
        frame = frame.sort_values(category, key=lambda s: s.map(ranks), kind="stable")
    positions = np.arange(len(frame))[::-1]
    values = frame[y].to_numpy()
    ax.barh(positions, np.nan_to_num(values), color=palette(1)[0], height=0.7)
    texts = [fmt_euro(v) if not is_missing(v) else SECRET_MARK for v in values]
    if share:
        texts = [f"{t} ({fmt_percent(s)})" if not is_missing(s) else t
                 for t, s in zip(texts, frame[share])]
    _bar_labels(ax, positions, values, texts, horizontal=True)
    _set_yticks(ax, positions, [wrap_label(v) for v in frame[category]])
    ax.xaxis.set_major_formatter(euro_formatter())
    ax.set_xlabel("Montant accordé")
    ax.set_ylabel("")
    ax.margins(x=0.25)
    ax.set_title(title)
    add_caption(ax, source=source, note=_secret_note(bool(np.isnan(values).any()), note))
    return ax


def _category_word(column: str) -> str:
    return {C.PILIER: "pilier", C.THEMATIQUE: "thématique", C.FINANCEUR: "financeur",
            C.COMMUNE: "commune"}.get(column, column)


def plot_health_programming(data: pd.DataFrame, *, x: str = C.ANNEE, y: str = AMOUNT,
                            count: str | None = "actions", share: str | None = None,
                            title: str | None = "Actions de santé dans la programmation",
                            source: str | None = None, note=None,
                            ax: Axes | None = None) -> Axes:
    """Health actions financed each year: amount bars labelled with the number of
    actions (and the share of the whole programmation when *share* is given).

    Parameters
    ----------
    data : DataFrame
        One row per year: columns *x* (year), *y* (amount granted to health actions),
        *count* (number of actions) and optionally *share* (fraction of the year's total).
    """
    ax = _axes(ax)
    if _is_empty(data, [x, y, count, share]):
        return show_empty(ax, title=title)
    frame = data.sort_values(x, kind="stable")
    positions = np.arange(len(frame))
    values = _values(frame[y])
    ax.bar(positions, np.nan_to_num(values), width=0.7, color=palette(3)[2])
    texts = []
    for i, (_, row) in enumerate(frame.iterrows()):
        parts = [fmt_euro(values[i]) if not is_missing(values[i]) else SECRET_MARK]
        if count:
            n = row[count]
            parts.append(f"{fmt_int(n)} action{'s' if n and n > 1 else ''}"
                         if not is_missing(n) else SECRET_MARK)
        if share and not is_missing(row[share]):
            parts.append(fmt_percent(row[share]))
        texts.append("\n".join(parts))
    _bar_labels(ax, positions, values, texts, horizontal=False)
    ax.set_xticks(positions, [str(v) for v in frame[x]])
    ax.yaxis.set_major_formatter(euro_formatter())
    ax.set_xlabel("Année")
    ax.set_ylabel("Montant accordé")
    ax.margins(y=0.3)
    if title:
        ax.set_title(title)
    add_caption(ax, source=source, note=note)
    return ax


# --- questionnaires ---------------------------------------------------------------------

def plot_frequencies(data: pd.DataFrame, *, label: str = LABEL, share: str = SHARE,
                     count: str | None = None, base: int | None = None,
                     non_responses: int | None = None, question: str | None = None,
                     order: Sequence | None = None, sort: bool = False,
                     source: str | None = None, note=None, ax: Axes | None = None) -> Axes:
    """Answers to a single-choice or scale question: one horizontal bar per choice, the
    share of respondents printed with its count; the base (non-responses excluded) and the
    number of non-responses go in the caption.

    Parameters
    ----------
    data : DataFrame
        One row per choice, in the questionnaire's order, as
        :func:`cdv_lib.survey.frequencies` or one question of
        :func:`cdv_lib.themes.gouvernance.question_table` gives it: *label* (choice),
        *share* (fraction of the base, ``NaN`` if masked), *count* (default ``effectif``
        or ``n``), ``base`` or ``base_n``, and a last non-response row ``code = "_nr"``
        (not drawn: counted in the caption).
    base : int, optional
        Respondents who answered the question (denominator of the shares); default: the
        ``base`` column.
    non_responses : int, optional
        Respondents who did not answer; default: the count of the ``_nr`` row.
    """
    ax = _axes(ax)
    title = wrap_label(question, 70) if question else None
    if data is not None and len(data):
        count = _pick(data, count, ("effectif", "n"))
    if _is_empty(data, [label, share, count]):
        return show_empty(ax, title=title)
    frame, nr_count, table_base = _split_non_responses(data, count)
    if non_responses is None:
        non_responses = nr_count
    if base is None:
        base = table_base
    if frame.empty:
        return show_empty(ax, title=title)
    if order is not None:
        ranks = {v: i for i, v in enumerate(_ordered(frame[label], order))}
        frame = frame.sort_values(label, key=lambda s: s.map(ranks), kind="stable")
    elif sort:
        frame = frame.assign(_s=_values(frame[share])).sort_values(
            "_s", ascending=False, kind="stable", na_position="last")
    shares = _values(frame[share])
    positions = np.arange(len(frame))[::-1]
    ax.barh(positions, np.nan_to_num(shares), height=0.7, color=palette(1)[0])
    counts = frame[count].tolist() if count else [None] * len(frame)
    _bar_labels(ax, positions, shares, [_share_text(s, n) for s, n in zip(shares, counts)],
                horizontal=True)
    _set_yticks(ax, positions, [wrap_label(v) for v in frame[label]])
    ax.set_xlim(0, max(1.0, float(np.nanmax(shares)) if not np.isnan(shares).all() else 1.0)
                * 1.18)
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.set_xlabel("Part des répondants")
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    add_caption(ax, source=source, base=_base_text(base, non_responses),
                note=_secret_note(bool(np.isnan(shares).any()), note))
    return ax


def plot_multiple_choice(data: pd.DataFrame, *, label: str = LABEL, share: str = SHARE,
                         count: str | None = None, base: int | None = None,
                         non_responses: int | None = None, question: str | None = None,
                         source: str | None = None, note=None,
                         ax: Axes | None = None) -> Axes:
    """Answers to a multiple-choice question: shares of respondents (not of answers),
    largest first; the caption says that the total exceeds 100 %.

    Parameters
    ----------
    data : DataFrame
        One row per choice: *label*, *share* (fraction of respondents who ticked it) and
        optionally *count*.
    """
    notes = ["Plusieurs réponses possibles : part des répondants, le total dépasse 100 %"]
    notes += [] if not note else ([note] if isinstance(note, str) else list(note))
    return plot_frequencies(data, label=label, share=share, count=count, base=base,
                            non_responses=non_responses, question=question, sort=True,
                            source=source, note=notes, ax=ax)


def plot_level_grid(data: pd.DataFrame, *, row: str | None = None,
                    level: str | None = None, share: str = SHARE, base: str | None = None,
                    levels: Sequence[str] | None = None, title: str | None = None,
                    legend_title: str | None = "Niveau", source: str | None = None,
                    note=None, ax: Axes | None = None) -> Axes:
    """Ordered levels per row (partner, item): stacked horizontal 100 % bars, lowest level
    on the left, coloured from light to dark along the order.

    Parameters
    ----------
    data : DataFrame
        Long form, one row per (row, level), as
        :func:`cdv_lib.themes.gouvernance.cooperation_long` or
        :func:`cdv_lib.survey.matrix_frequencies` gives it: *row* (default ``partenaire``
        or ``ligne_libelle``), *level* (default ``niveau`` or ``libelle``), *share*
        (fraction of the row's base, ``NaN`` for a masked row) and *base* (default
        ``base_n`` or ``base``: respondents who answered for the row, shown next to its
        label; ``False`` to hide). Non-response rows (``code = "_nr"``) are left out:
        bases exclude them.
    levels : sequence of str, optional
        The ordered levels, lowest first (default: order of appearance).
    """
    ax = _axes(ax)
    if data is not None and len(data):
        row = _pick(data, row, ("partenaire", "ligne_libelle"))
        level = _pick(data, level, ("niveau", LABEL))
        base = _pick(data, base, (BASE, "base")) if base is not False else None
    if _is_empty(data, [row, level, share, base]):
        return show_empty(ax, title=title)
    frame, _nr, _base = _split_non_responses(data, None)
    if frame.empty:
        return show_empty(ax, title=title)
    rows = _ordered(frame[row], None)
    order = _ordered(frame[level], levels)
    frame[share] = _values(frame[share])
    table = frame.pivot_table(index=row, columns=level, values=share, aggfunc="sum",
                              observed=True, dropna=False, sort=False)
    table = table.reindex(index=rows, columns=order)
    masked_rows = frame[share].isna().groupby(frame[row], sort=False).all().reindex(rows)
    # rows from the top: reverse so that the first row is drawn at the top
    drawn = table.fillna(0).iloc[::-1]
    colors = ordered_palette(len(order))
    _stacked_bars(ax, drawn, colors, horizontal=True)
    for y_pos, (name, values) in enumerate(drawn.iterrows()):
        if masked_rows[name]:
            ax.text(0.01, y_pos, SECRET_MARK, va="center", ha="left", fontsize=_LABEL_SIZE)
            continue
        left = 0.0
        for color, value in zip(colors, values):
            if value >= 0.07:
                r, g, b = color[:3]
                ink = "white" if (0.299 * r + 0.587 * g + 0.114 * b) < 0.5 else "black"
                ax.text(left + value / 2, y_pos, fmt_percent(value, 0), ha="center",
                        va="center", fontsize=_LABEL_SIZE - 1, color=ink)
            left += value
    labels = []
    bases = None
    if base:
        bases = frame.groupby(row, sort=False, observed=True)[base].max()
    for name in drawn.index:
        text = wrap_label(name, 24)
        # the base of a masked row is itself secret
        if bases is not None and not masked_rows[name] and not is_missing(bases.get(name)):
            text += f"\n(n = {fmt_int(bases[name])})"
        labels.append(text)
    ax.set_yticks(np.arange(len(drawn.index)), labels)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.set_xlabel("Part des répondants")
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    _legend_right(ax, legend_title)
    if title:
        ax.set_title(wrap_label(title, 70))
    add_caption(ax, source=source, note=_secret_note(bool(masked_rows.any()), note))
    return ax


def plot_cooperation_grid(data: pd.DataFrame, *, row: str | None = None,
                          level: str | None = None, share: str = SHARE,
                          base: str | None = None,
                          levels: Sequence[str] | None = COOPERATION_LEVELS,
                          title: str | None = "Niveau de coopération par partenaire",
                          source: str | None = None, note=None,
                          ax: Axes | None = None) -> Axes:
    """The cooperation grid of the report: one 100 % bar per partner over the five
    ordered levels (relation → cohésion dynamique). See :func:`plot_level_grid`."""
    return plot_level_grid(data, row=row, level=level, share=share, base=base,
                           levels=levels, title=title, legend_title="Niveau de coopération",
                           source=source, note=note, ax=ax)


# --- santé ------------------------------------------------------------------------------

def plot_health_actions(data: pd.DataFrame, *, by: str = C.PUBLIC, count: str = COUNT,
                        share: str | None = None, hue: str | None = None,
                        order: Sequence | None = None, title: str | None = None,
                        source: str | None = None, note=None,
                        ax: Axes | None = None) -> Axes:
    """Health actions by public or by theme: horizontal bars of counts, largest first,
    optionally stacked by *hue* (e.g. duration: ponctuelle / pérenne).

    Parameters
    ----------
    data : DataFrame
        Columns *by* (public or theme), *count* (number of actions), optionally *share*
        (fraction of all actions) and *hue*.
    """
    ax = _axes(ax)
    if title is None:
        title = "Actions de santé par " + {C.PUBLIC: "public", C.THEMATIQUE: "thématique",
                                           C.DUREE: "durée"}.get(by, by)
    if _is_empty(data, [by, count, share, hue]):
        return show_empty(ax, title=title)
    frame = data.copy()
    frame[count] = _values(frame[count])
    if hue:
        table = frame.pivot_table(index=by, columns=hue, values=count, aggfunc="sum",
                                  fill_value=0, observed=True, sort=False)
    else:
        table = frame.groupby(by, sort=False, observed=True)[[count]].sum()
    totals = table.sum(axis=1)
    if order is None:
        table = table.loc[totals.sort_values(ascending=False, kind="stable").index]
    else:
        table = table.loc[_ordered(table.index, order)]
    drawn = table.iloc[::-1]
    colors = palette(len(drawn.columns)) if hue else [palette(1)[0]]
    _stacked_bars(ax, drawn, colors, horizontal=True)
    drawn_totals = drawn.sum(axis=1).to_numpy()
    texts = [fmt_int(t) for t in drawn_totals]
    if share and not hue:
        shares = frame.groupby(by, sort=False, observed=True)[share].sum()
        texts = [f"{t} ({fmt_percent(shares[name])})" for t, name in
                 zip(texts, drawn.index)]
    _bar_labels(ax, np.arange(len(drawn)), drawn_totals, texts, horizontal=True)
    ax.set_yticks(np.arange(len(drawn)), [wrap_label(v) for v in drawn.index])
    ax.xaxis.set_major_formatter(number_formatter())
    ax.set_xlabel("Nombre d'actions")
    ax.set_ylabel("")
    ax.margins(x=0.2)
    if hue:
        _legend_right(ax, {C.DUREE: "Durée"}.get(hue, hue))
    ax.set_title(title)
    add_caption(ax, source=source, note=note)
    return ax


def plot_indicator_comparison(data: pd.DataFrame, *, territory: str = "territoire",
                              value: str = C.VALEUR, unit: str | None = None,
                              title: str | None = None, source: str | None = None,
                              note=None, ax: Axes | None = None) -> Axes:
    """One context indicator for several territories (QPV, commune, département, région,
    France): one bar per territory, in the given order.

    Parameters
    ----------
    data : DataFrame
        Columns *territory* (label) and *value* (number; ``NaN`` when secret or not
        available, shown as « s »). *unit* ``"%"`` prints values as percentages of 100.
    """
    ax = _axes(ax)
    if _is_empty(data, [territory, value]):
        return show_empty(ax, title=title)
    values = _values(data[value])
    positions = np.arange(len(data))
    ax.bar(positions, np.nan_to_num(values), width=0.6, color=palette(len(data)))

    def text(v):
        if is_missing(v):
            return SECRET_MARK
        if unit == "%":
            return fmt_percent(v / 100)
        if unit == "€":
            return fmt_euro(v)
        return fmt_number(v, 1 if v != round(v) else 0)

    _bar_labels(ax, positions, values, [text(v) for v in values], horizontal=False)
    ax.set_xticks(positions, [wrap_label(v, 16) for v in data[territory]])
    if unit == "%":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: fmt_percent(x / 100, 0)))
    elif unit == "€":
        ax.yaxis.set_major_formatter(euro_formatter())
    else:
        ax.yaxis.set_major_formatter(number_formatter())
    ax.set_xlabel("")
    ax.margins(y=0.15)
    if title:
        ax.set_title(wrap_label(title, 70))
    add_caption(ax, source=source, note=_secret_note(bool(np.isnan(values).any()), note))
    return ax


# --- participation ----------------------------------------------------------------------

def plot_participation_ladder(data: pd.DataFrame, *, level: str = "niveau",
                              count: str = COUNT, share: str | None = None,
                              levels: Sequence[str] | None = PARTICIPATION_LEVELS,
                              title: str | None = "Échelle de la participation",
                              base: int | None = None, source: str | None = None,
                              note=None, ax: Axes | None = None) -> Axes:
    """The participation ladder: one rung per level, information at the bottom and
    co-décision at the top, bar length = number (or share) of actions or answers.

    Parameters
    ----------
    data : DataFrame
        Columns *level* (rung label), *count* and optionally *share* (fraction of *base*).
        Levels of *levels* absent from the data are drawn as empty rungs.
    """
    ax = _axes(ax)
    if _is_empty(data, [level, count, share]):
        return show_empty(ax, title=title)
    frame = data.copy()
    order = _ordered(frame[level], levels)
    if levels:
        order = list(levels) + [v for v in order if v not in levels]
    grouped = frame.groupby(level, sort=False, observed=True)
    counts = grouped[count].sum(min_count=1).reindex(order)
    values = _values(counts)
    positions = np.arange(len(order))  # lowest level at the bottom
    colors = ordered_palette(len(order))
    ax.barh(positions, np.nan_to_num(values), height=0.8, color=colors)
    shares = grouped[share].sum(min_count=1).reindex(order) if share else None
    texts = []
    for i, name in enumerate(order):
        if is_missing(values[i]):
            texts.append(SECRET_MARK if name in set(frame[level]) else "0")
            continue
        t = fmt_int(values[i])
        if shares is not None and not is_missing(shares[name]):
            t += f" ({fmt_percent(shares[name])})"
        texts.append(t)
    _bar_labels(ax, positions, values, texts, horizontal=True)
    _set_yticks(ax, positions, order)
    ax.xaxis.set_major_formatter(number_formatter())
    ax.set_xlabel("Effectif")
    ax.set_ylabel("")
    ax.margins(x=0.2)
    if title:
        ax.set_title(title)
    masked = any(t == SECRET_MARK for t in texts)
    add_caption(ax, source=source, base=_base_text(base),
                note=_secret_note(masked, note))
    return ax


def plot_interview_codes(data: pd.DataFrame, *, actor: str = C.TYPE_ACTEUR,
                         category: str = C.CATEGORIE, count: str = COUNT,
                         categories: Sequence[str] | None = ("frein", "levier",
                                                             "proposition", "constat"),
                         title: str | None = "Codes des entretiens par type d'acteur",
                         base: int | None = None, source: str | None = None, note=None,
                         xlabel: str = "Nombre de codes",
                         ax: Axes | None = None) -> Axes:
    """Coded interview statements by actor type: one bar per actor type, stacked by
    category (freins, leviers…), actor types with the most codes first. With
    ``actor="code"``, one bar per code coloured by its category.

    Parameters
    ----------
    data : DataFrame
        Columns *actor*, *category* and *count* (number of coded statements).
    base : int, optional
        Number of interviews, written in the caption.
    """
    ax = _axes(ax)
    if _is_empty(data, [actor, category, count]):
        return show_empty(ax, title=title)
    frame = data.copy()
    frame[count] = _values(frame[count])
    table = frame.pivot_table(index=actor, columns=category, values=count, aggfunc="sum",
                              fill_value=0, observed=True, sort=False)
    table = table[_ordered(table.columns, categories)]
    table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    drawn = table.iloc[::-1]
    _stacked_bars(ax, drawn, palette(len(drawn.columns)), horizontal=True)
    totals = drawn.sum(axis=1).to_numpy()
    _bar_labels(ax, np.arange(len(drawn)), totals, [fmt_int(t) for t in totals],
                horizontal=True)
    ax.set_yticks(np.arange(len(drawn)), [wrap_label(v) for v in drawn.index])
    ax.xaxis.set_major_formatter(number_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.margins(x=0.15)
    _legend_right(ax, "Catégorie")
    if title:
        ax.set_title(title)
    add_caption(ax, source=source,
                base=_base_text(base, unit="entretiens") if base is not None else None,
                note=note)
    return ax


# --- PERR -------------------------------------------------------------------------------

def plot_perr_status(data: pd.DataFrame, *, status: str = C.STATUT, count: str = COUNT,
                     order: Sequence[str] | None = PERR_STATUSES,
                     title: str | None = "Engagements du PERR par état d'avancement",
                     source: str | None = None, note=None, ax: Axes | None = None) -> Axes:
    """Number of PERR commitments per status, from « réalisé » to « non engagé ».

    Parameters
    ----------
    data : DataFrame
        Columns *status* and *count* (number of commitments).
    """
    ax = _axes(ax)
    if _is_empty(data, [status, count]):
        return show_empty(ax, title=title)
    counts = data.groupby(status, sort=False, observed=True)[count].sum()
    names = _ordered(counts.index, order)
    values = _values(counts.reindex(names))
    positions = np.arange(len(names))[::-1]
    # darkest = most advanced
    colors = ordered_palette(len(names))[::-1]
    ax.barh(positions, np.nan_to_num(values), height=0.7, color=colors)
    total = np.nansum(values)
    texts = [f"{fmt_int(v)} ({fmt_percent(v / total)})" if total else
             fmt_int(v) for v in values]
    _bar_labels(ax, positions, values, texts, horizontal=True)
    _set_yticks(ax, positions, [str(n).capitalize() for n in names])
    ax.xaxis.set_major_formatter(number_formatter())
    ax.set_xlabel("Nombre d'engagements")
    ax.set_ylabel("")
    ax.margins(x=0.25)
    if title:
        ax.set_title(title)
    add_caption(ax, source=source, base=f"{fmt_int(total)} engagements", note=note)
    return ax


# --- charts of report tables ------------------------------------------------------------

# chart name (ReportTable.chart) -> (function, options, name of its title option)
CHARTS: dict[str, tuple] = {
    "frequencies": (plot_frequencies, {}, "question"),
    "multiple_choice": (plot_multiple_choice, {}, "question"),
    "level_grid": (plot_level_grid, {}, "title"),
    "funding_per_year": (plot_funding_per_year, {"y": "montant_accorde"}, "title"),
    "funding_by_financeur": (plot_funding_by, {"category": C.FINANCEUR,
                                               "y": "montant_accorde", "share": "part"},
                             "title"),
    "funding_by_pilier": (plot_funding_by, {"category": C.PILIER, "y": "montant_accorde",
                                            "share": "part"}, "title"),
    "funding_by_thematique": (plot_funding_by, {"category": C.THEMATIQUE,
                                                "y": "montant_accorde", "share": "part"},
                              "title"),
    "health_programming": (plot_health_programming, {"y": "montant_sante",
                                                     "count": "n_actions_sante",
                                                     "share": "part_montant"}, "title"),
    "health_actions_thematique": (plot_health_actions, {"by": C.THEMATIQUE, "share": "part"},
                                  "title"),
    "health_actions_public": (plot_health_actions, {"by": C.PUBLIC, "share": "part"}, "title"),
    "health_actions_duree": (plot_health_actions, {"by": C.DUREE, "share": "part"}, "title"),
    "health_actions_dispositif": (plot_health_actions, {"by": C.DISPOSITIF, "share": "part"},
                                  "title"),
    "participation_ladder": (plot_participation_ladder, {"share": "part"}, "title"),
    "interview_codes": (plot_interview_codes, {"actor": C.CODE,
                                               "xlabel": "Entretiens citant le code"}, "title"),
    "perr_status": (plot_perr_status, {}, "title"),
}


def plot_table(table, *, ax: Axes | None = None) -> Axes:
    """Draw a :class:`cdv_lib.report.table.ReportTable` with the chart it names, titled
    with the table's title and captioned with its source."""
    if table.chart not in CHARTS:
        raise ValueError(f"graphique inconnu : « {table.chart} » (graphiques : "
                         f"{', '.join(CHARTS)})")
    func, options, title_option = CHARTS[table.chart]
    return func(table.plot_data, **options, **{title_option: table.titre},
                source=table.source or None, ax=ax)


#: Charts already drawn in this process (:func:`table_png` with ``cache=True``), by content.
_PNG_CACHE: OrderedDict[str, bytes] = OrderedDict()
PNG_CACHE_BYTES = 24 * 2**20


def _png_key(table, figsize, dpi: int, tight: bool) -> str | None:
    """Digest of everything a chart's pixels depend on: the chart, its title, source and data,
    the size and resolution, and matplotlib's settings. ``None`` if it cannot be computed."""
    import hashlib
    import pickle

    import matplotlib

    try:
        payload = pickle.dumps(
            (table.chart, table.titre, table.source, table.plot_data, tuple(figsize), dpi,
             tight, sorted((k, repr(v)) for k, v in matplotlib.rcParams.items())),
            protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def table_png(table, *, figsize: tuple[float, float], dpi: int = 100,
              tight: bool = False, cache: bool = False) -> bytes:
    """The chart of a :class:`cdv_lib.report.table.ReportTable` as PNG bytes, drawn on a
    figure of its own (no pyplot state): the one rendering behind the report pages, the app
    and the document, each choosing its size. *tight* crops to the drawing
    (``bbox_inches="tight"``), otherwise the layout is constrained to *figsize*.

    *cache*: reuse the PNG of an identical chart drawn earlier in this process (same data,
    title, source, size and matplotlib settings; at most :data:`PNG_CACHE_BYTES`). The batch
    keeps each kernel for many reports, and the commune reports show the agglomeration's
    reference tables again and again: each of those charts is drawn once per kernel."""
    key = _png_key(table, figsize, dpi, tight) if cache else None
    if key is not None and key in _PNG_CACHE:
        _PNG_CACHE.move_to_end(key)
        return _PNG_CACHE[key]
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=None if tight else "constrained")
    plot_table(table, ax=fig.subplots())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, **({"bbox_inches": "tight"} if tight else {}))
    png = buffer.getvalue()
    if key is not None:
        _PNG_CACHE[key] = png
        while sum(len(v) for v in _PNG_CACHE.values()) > PNG_CACHE_BYTES and len(_PNG_CACHE) > 1:
            _PNG_CACHE.popitem(last=False)
    return png
