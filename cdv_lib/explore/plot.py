"""Chart of an exploration: horizontal bars of shares (one colour per group), the 95 %
interval as an error bar, masked shares marked « s ». Drawn with seaborn in the house
style (:func:`cdv_lib.style.apply_style`); the caption carries the bases."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from cdv_lib.style import (
    SECRET_NOTE,
    add_caption,
    apply_style,
    palette,
    percent_formatter,
    show_empty,
    wrap_label,
)


def plot_exploration(exploration, *, ax: Axes | None = None) -> Axes:
    """Draw :meth:`~cdv_lib.explore.tables.Exploration.chart_data` on *ax*.

    Bars are the shares (0..1) by choice, hue = group (its base in the legend); error bars
    are the Wilson intervals (none for a census); masked shares have no bar and an « s »
    at the origin. A table whose every share is masked or absent gets the empty-chart
    message. Returns the axes.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    apply_style()
    if ax is None:
        ax = plt.gca()
    data = exploration.chart_data()
    title = wrap_label(exploration.question_label, 70)
    shown = data[~data["masque"] & data["part"].notna()]
    if shown.empty:
        return show_empty(ax, title=title, message="Aucune part publiable (secret statistique ou aucune réponse)")
    choices = list(dict.fromkeys(data["libelle"]))
    # groups with at least one share shown (a wholly masked group has no bar)
    groups = [g for g in dict.fromkeys(data["groupe"]) if g in set(shown["groupe"])]
    # every (group, choice) is drawn, so that bar i of series h is (groups[h], choices[i]);
    # masked or absent shares are drawn at 0 and hidden below
    grid = data[data["groupe"].isin(groups)].copy()
    hidden = grid["masque"] | grid["part"].isna()
    grid["valeur"] = grid["part"].where(~hidden, 0.0)
    grid["libelle_court"] = [wrap_label(x, 32) for x in grid["libelle"]]
    sns.barplot(data=grid, x="valeur", y="libelle_court", hue="groupe",
                order=[wrap_label(x, 32) for x in choices], hue_order=groups,
                palette=palette(len(groups)), errorbar=None, orient="h", ax=ax,
                legend=len(groups) > 1)
    from matplotlib.container import BarContainer

    bars = [c for c in ax.containers if isinstance(c, BarContainer)]  # before errorbar adds its own
    if len(bars) != len(groups) or any(len(c) != len(choices) for c in bars):
        raise RuntimeError("graphique : séries de barres inattendues")
    cells = grid.set_index(["groupe", "libelle"])
    for h, container in enumerate(bars):
        for i, bar in enumerate(container):
            r = cells.loc[(groups[h], choices[i])]
            y = bar.get_y() + bar.get_height() / 2
            if bool(r["masque"]):
                bar.set_visible(False)
                ax.text(0.005, y, "s", va="center", ha="left", fontsize=9, color="0.3")
                continue
            if np.isfinite(r["ic_bas"]) and np.isfinite(r["ic_haut"]):
                ax.errorbar(r["part"], y, xerr=[[r["part"] - r["ic_bas"]], [r["ic_haut"] - r["part"]]],
                            fmt="none", ecolor="0.25", elinewidth=1, capsize=3)
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(percent_formatter(0))
    ax.set_xlabel("Part des répondants ayant répondu")
    ax.set_ylabel("")
    ax.set_title(title)
    if exploration.crossed and ax.get_legend() is not None:
        ax.legend(title=exploration.by, loc="lower right")
    elif exploration.crossed:
        ax.set_title(f"{title}\n{exploration.by} : {groups[0]}", fontsize=11)
    notes = []
    if not exploration.census:
        notes.append("Traits : intervalle de confiance à 95 % (Wilson)")
    else:
        notes.append("Exhaustif : pas d'intervalle")
    if exploration.secret:
        notes.append(SECRET_NOTE)
    masked_groups = [g for g in dict.fromkeys(data["groupe"]) if g not in groups]
    if masked_groups:
        notes.append("Groupes masqués en entier : " + ", ".join(masked_groups))
    blocks = exploration.blocks()
    base = None
    if not exploration.crossed and len(blocks) and not blocks["masque"].iloc[0]:
        base = int(blocks["base"].iloc[0])
    add_caption(ax, source=exploration.survey_title, base=base, note=notes)
    return ax
