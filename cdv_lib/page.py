"""The frame shared by every page a reader opens (batch reports, index, app): the one
stylesheet ``cdv_lib/share/cdv.css`` and the finishing pass of a report page (title block
heading, table of contents from the ``h2``/``h3`` headings, table header scopes, numeric
cells right-aligned, a French text alternative on every chart without one).

Nothing here imports above :mod:`cdv_lib.paths`; BeautifulSoup is imported when a page is
finished.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path

SHARE_DIR = Path(__file__).resolve().parent / "share"
STYLESHEET_PATH = SHARE_DIR / "cdv.css"
TEMPLATES_DIR = SHARE_DIR / "templates"

TOC_TITLE = "Sommaire"
TOC_MIN_HEADINGS = 2
NUM_CLASS = "num"
CHART_ALT = "Graphique : {title}. Les valeurs sont données dans le tableau qui le précède."
CHART_ALT_DEFAULT = "Graphique du rapport ; ses valeurs sont données dans le tableau voisin."

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")
# a French formatted figure: 5 760 000 €, 42,1 %, -3, 2022, 1,5 ; spaces may be NBSP/NNBSP
_NUMERIC = re.compile(r"^[-−+]?\d{1,3}(?:[ \u00a0\u202f]?\d{3})*(?:,\d+)?[ \u00a0\u202f]?(?:%|€|k€|M€)?$")
_NEUTRAL = {"s", "–", "-", "—", ""}  # masked, not available: align with the figures around


@functools.cache
def stylesheet() -> str:
    """The text of the shared stylesheet (screen and print rules)."""
    return STYLESHEET_PATH.read_text(encoding="utf-8")


def style_tag() -> str:
    """``<style>`` element holding the shared stylesheet, for a self-contained page."""
    return f"<style>\n{stylesheet()}</style>"


def french_date(value: date | datetime | str | None) -> str:
    """``1er décembre 2026`` from a date, a datetime or an ISO text; empty if unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return ""
    if not isinstance(value, (date, datetime)):
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {_MONTHS[value.month - 1]} {value.year}"


def slug(text: str, taken: set[str]) -> str:
    """An ``id`` for a heading: ASCII words joined by ``-``, unique within *taken*."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:60].strip("-") or "section"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def is_numeric_text(text: str) -> bool:
    """Whether a table cell shows a figure (French formatting)."""
    return bool(_NUMERIC.match(text.strip()))


def _heading_text(tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def figure_marks(rows) -> tuple[list[list[bool]], set[int]]:
    """Which cells of a table body show a figure, and which columns show only figures.

    *rows* are lists of cell texts (``None`` for a header cell of the row, skipped). A
    column counts as a column of figures when every cell that is not masked or missing
    (:data:`_NEUTRAL`) shows one: its masked cells and its header are then aligned with the
    figures. The one rule for report pages (:func:`mark_tables_html`) and tables written
    directly (:meth:`cdv_lib.report.table.ReportTable.to_html`, the app)."""
    cells: list[list[bool]] = []
    columns: dict[int, list[bool]] = {}
    for row in rows:
        flags = []
        for j, text in enumerate(row):
            if text is None or text in _NEUTRAL:
                flags.append(False)
                continue
            numeric = is_numeric_text(text)
            columns.setdefault(j, []).append(numeric)
            flags.append(numeric)
        cells.append(flags)
    return cells, {j for j, flags in columns.items() if flags and all(flags)}


def _mark_tables(root) -> None:
    """Header scopes, and the ``num`` class on figure cells and their column headers."""
    for table in root.find_all("table"):
        thead = table.find("thead")
        if thead is not None:
            for tr in thead.find_all("tr"):
                tr.attrs.pop("style", None)  # pandas' text-align: right on every header
                for th in tr.find_all("th"):
                    th.attrs.setdefault("scope", "col")
        body_rows = [tr.find_all(["td", "th"], recursive=False)
                     for tr in table.find_all("tr") if tr.find_parent("thead") is None]
        for row in body_rows:
            for cell in row:
                if cell.name == "th":
                    cell.attrs.setdefault("scope", "row")
        cells, numeric_cols = figure_marks(
            [[None if c.name == "th" else c.get_text(" ", strip=True) for c in row]
             for row in body_rows])
        for row, flags in zip(body_rows, cells):
            for j, (cell, numeric) in enumerate(zip(row, flags)):
                if cell.name != "td":
                    continue
                if numeric or (j in numeric_cols and cell.get_text(strip=True) in _NEUTRAL):
                    cell["class"] = list(dict.fromkeys([*cell.get("class", []), NUM_CLASS]))
        if thead is not None:
            last = thead.find_all("tr")[-1:] or []
            for tr in last:
                for j, th in enumerate(tr.find_all("th", recursive=False)):
                    if j in numeric_cols:
                        th["class"] = list(dict.fromkeys([*th.get("class", []), NUM_CLASS]))


def mark_tables_html(fragment: str) -> str:
    """*fragment* (HTML text) with its tables marked as in a report page: ``scope`` on
    header cells, the ``num`` class on cells showing a figure and on their column headers
    (for the app's tables, which are not exported by nbconvert)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    _mark_tables(soup)
    return str(soup)


def _chart_alternatives(root) -> None:
    for img in root.find_all("img"):
        alt = img.get("alt")
        auto = img.attrs.pop("data-cdv-alt", None) is not None
        if alt is not None and not auto and not alt.startswith("No description"):
            continue  # given by the notebook (alt="" marks a decorative image)
        heading = img.find_previous(["h2", "h3", "h4"])
        title = _heading_text(heading) if heading is not None else ""
        img["alt"] = CHART_ALT.format(title=title) if title else CHART_ALT_DEFAULT


def _toc(soup, main) -> None:
    taken = {tag["id"] for tag in soup.find_all(id=True)}
    entries: list[tuple[object, list]] = []
    for heading in main.find_all(["h2", "h3"]):
        text = _heading_text(heading)
        if not text:
            continue
        if not heading.get("id"):
            heading["id"] = slug(text, taken)
        if heading.name == "h2" or not entries:
            entries.append((heading, []))
        else:
            entries[-1][1].append(heading)
    count = sum(1 + len(children) for _h, children in entries)
    nav = soup.find("nav", class_="cdv-toc")
    if count < TOC_MIN_HEADINGS:
        if nav is not None:
            nav.decompose()
        layout = soup.find(class_="cdv-layout")
        if layout is not None:
            layout["class"] = [c for c in layout.get("class", []) if c != "cdv-with-toc"]
        return

    def link(heading) -> str:
        return f'<a href="#{html.escape(heading["id"], quote=True)}">{html.escape(_heading_text(heading))}</a>'

    items = []
    for heading, children in entries:
        sub = ""
        if children:
            sub = "<ol>" + "".join(f"<li>{link(h)}</li>" for h in children) + "</ol>"
        items.append(f"<li>{link(heading)}{sub}</li>")
    from bs4 import BeautifulSoup

    fragment = BeautifulSoup(
        f'<nav class="cdv-toc" aria-labelledby="cdv-toc-titre">'
        f'<h2 id="cdv-toc-titre">{TOC_TITLE}</h2><ol>{"".join(items)}</ol></nav>',
        "html.parser")
    if nav is not None:
        nav.replace_with(fragment)
    else:
        main.insert_before(fragment)


def finish_report_page(page: str) -> str:
    """The finishing pass of a report page rendered by the ``cdv_report`` template.

    The first ``h1`` of the content becomes the title block's heading (the template's
    fallback heading is dropped); nbconvert's ``¶`` anchor links are removed; every
    ``h2``/``h3`` of the content gets an ``id`` and an entry in the table of contents
    (``nav.cdv-toc``, left out below two headings); table headers get ``scope``; cells
    showing a figure, and the headers of columns of figures, get the ``num`` class; an image
    without a text alternative gets one naming the heading above it.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    main = soup.find("main")
    if main is None:
        return page
    for anchor in main.select("a.anchor-link"):
        anchor.decompose()
    header = soup.find("header", class_="cdv-title")
    first_h1 = main.find("h1")
    if header is not None and first_h1 is not None:
        fallback = header.find("h1")
        moved = first_h1.extract()
        if fallback is not None:
            fallback.replace_with(moved)
        else:
            header.append(moved)
    _mark_tables(main)
    _chart_alternatives(main)
    _toc(soup, main)
    return str(soup)
