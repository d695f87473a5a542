"""House style of every chart: seaborn's whitegrid look in plain matplotlib, colour-blind-safe
palettes, French tick formatters and captions carrying the source and the base of a figure.

Numbers shown on charts are formatted by :mod:`cdv_lib.formatting` (the one place for
French formatting) so that a chart and a table never print the same figure differently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from cdv_lib.formatting import fmt_euro, fmt_int, fmt_number, fmt_percent

# Qualitative palette for unordered categories (funders, themes, actor types): seaborn's
# "colorblind" set (below) stays distinguishable under the common colour-vision deficiencies.
PALETTE = "colorblind"
# Ordered levels (cooperation grid, participation ladder) use a perceptually uniform
# sequential map built for colour-vision deficiencies, so that order is read from lightness.
ORDERED_PALETTE = "cividis"

CAPTION_GID = "cdv-caption"
EMPTY_GID = "cdv-empty"
EMPTY_MESSAGE = "Aucune donnée"
SECRET_MARK = "s"
SECRET_NOTE = "s : valeur masquée (secret statistique)"

FONT_SIZE = 11
CAPTION_SIZE = 8.5


# The seaborn "whitegrid" style, "notebook" context and "colorblind" palette, written out in
# matplotlib settings: importing seaborn (and scipy.stats with it) cost every report and every
# dashboard kernel about half a second. Heat maps default to the ordered map, not seaborn's.
_COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
               "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9")
_INK = ".15"
_RULE = ".8"
HOUSE_RC: dict = {
    "axes.axisbelow": True, "axes.edgecolor": _RULE, "axes.facecolor": "white",
    "axes.grid": True, "axes.labelcolor": _INK, "axes.linewidth": 1.25,
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.titlesize": FONT_SIZE + 1, "axes.titleweight": "bold", "axes.labelsize": FONT_SIZE,
    "figure.facecolor": "white", "figure.figsize": (8.0, 4.5), "figure.dpi": 100,
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "font.size": 12.0, "grid.color": _RULE, "grid.linestyle": "-", "grid.linewidth": 1.0,
    "image.cmap": ORDERED_PALETTE,
    "legend.frameon": False, "legend.fontsize": FONT_SIZE - 1, "legend.title_fontsize": 12.0,
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "savefig.bbox": "tight", "text.color": _INK,
    "xtick.bottom": False, "xtick.color": _INK, "xtick.direction": "out",
    "xtick.labelsize": FONT_SIZE, "xtick.major.size": 6.0, "xtick.major.width": 1.25,
    "xtick.minor.size": 4.0, "xtick.minor.width": 1.0, "xtick.top": False,
    "ytick.color": _INK, "ytick.direction": "out", "ytick.labelsize": FONT_SIZE,
    "ytick.left": False, "ytick.major.size": 6.0, "ytick.major.width": 1.25,
    "ytick.minor.size": 4.0, "ytick.minor.width": 1.0, "ytick.right": False,
}


def apply_style() -> None:
    """Set the house theme for every following chart (idempotent)."""
    from cycler import cycler

    mpl.rcParams.update(HOUSE_RC)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=palette(len(_COLORBLIND)))


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours of the qualitative colour-blind-safe palette (cycled beyond 10)."""
    from matplotlib.colors import to_rgb

    return [to_rgb(_COLORBLIND[i % len(_COLORBLIND)]) for i in range(max(n, 1))]


def ordered_palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours for ordered levels, from the lowest to the highest level: evenly
    spaced inside the sequential map, its two extremes left out."""
    import numpy as np

    n = max(n, 1)
    colours = mpl.colormaps[ORDERED_PALETTE](np.linspace(0, 1, n + 2)[1:-1])
    return [tuple(float(x) for x in rgba[:3]) for rgba in colours]


# --- French numbers on axes -------------------------------------------------------------

def number_formatter(decimals: int = 0) -> FuncFormatter:
    """Tick formatter for counts and amounts: ``1 234``."""
    return FuncFormatter(lambda x, _pos: fmt_number(x, decimals))


def euro_formatter(*, compact: bool = True) -> FuncFormatter:
    """Tick formatter for euro amounts: ``5 760 000 €`` or, if *compact* and at least a
    million, ``5,8 M€`` (keeps long axes readable)."""

    def fmt(x: float, _pos) -> str:
        if compact and abs(x) >= 1_000_000:
            return f"{fmt_number(x / 1_000_000, 1)} M€"
        if compact and abs(x) >= 10_000:
            return f"{fmt_number(x / 1_000, 0)} k€"
        return fmt_euro(x)

    return FuncFormatter(fmt)


def percent_formatter(decimals: int = 0) -> FuncFormatter:
    """Tick formatter for shares in [0, 1]: ``0.25`` → ``25 %``."""
    return FuncFormatter(lambda x, _pos: fmt_percent(x, decimals))


# --- captions and empty charts ----------------------------------------------------------

def caption_text(*, source: str | None = None, base: str | int | None = None,
                 note: str | Sequence[str] | None = None) -> str:
    """The text of a caption: ``Source : …``, ``Base : n = 19 …`` and notes, one per line.

    An integer *base* is printed as ``Base : n = 19`` (French thousands separator); a
    string is printed as given after ``Base :``.
    """
    lines = []
    if base is not None and base != "":
        if isinstance(base, (int, float)) and not isinstance(base, bool):
            base = f"n = {fmt_int(base)}"
        lines.append(f"Base : {base}")
    if note:
        lines.extend([note] if isinstance(note, str) else list(note))
    if source:
        lines.append(f"Source : {source}")
    return "\n".join(lines)


def add_caption(ax: Axes, *, source: str | None = None, base: str | int | None = None,
                note: str | Sequence[str] | None = None) -> Text | None:
    """Write the source, the base and notes under the chart, left-aligned.

    The caption is anchored under the x-axis label (so it never overlaps tick labels) and
    replaces a previous caption of the same axes. Returns the text artist, or ``None`` when
    there is nothing to say.
    """
    for old in [t for t in ax.texts if t.get_gid() == CAPTION_GID]:
        old.remove()
    text = caption_text(source=source, base=base, note=note)
    if not text:
        return None
    artist = ax.annotate(
        text,
        xy=(0, 0),
        xycoords=("axes fraction", ax.xaxis.label),
        xytext=(0, -8),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=CAPTION_SIZE,
        color="0.3",
        annotation_clip=False,
    )
    artist.set_gid(CAPTION_GID)
    return artist


def get_caption(ax: Axes) -> str:
    """The caption written by :func:`add_caption` on *ax* (empty string if none)."""
    return "\n".join(t.get_text() for t in ax.texts if t.get_gid() == CAPTION_GID)


def show_empty(ax: Axes, *, title: str | None = None,
               message: str = EMPTY_MESSAGE) -> Axes:
    """Mark *ax* as a chart without data: a centred French message, no ticks."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title)
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            fontsize=FONT_SIZE + 1, color="0.4", gid=EMPTY_GID)
    return ax


def is_empty_chart(ax: Axes) -> bool:
    """Whether *ax* was marked by :func:`show_empty`."""
    return any(t.get_gid() == EMPTY_GID for t in ax.texts)


def wrap_label(text: object, width: int = 28) -> str:
    """Wrap a long category label on several lines (break on spaces only)."""
    words = str(text).split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return "\n".join(lines)


def is_missing(value: object) -> bool:
    """Whether a plotted value is absent or masked (``None``, ``NaN``, ``pd.NA``)."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return True


def new_axes(figsize: tuple[float, float] | None = None) -> Axes:
    """A fresh figure with one axes in the house style (for notebooks and the app)."""
    apply_style()
    _fig, ax = plt.subplots(figsize=figsize or mpl.rcParams["figure.figsize"])
    return ax
