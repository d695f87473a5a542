"""The analyst's text: narrative blocks written in Markdown in the data folder.

``<données>/redaction/<bloc>.md`` for the agglomeration's document;
``<données>/redaction/communes/<code_insee>/<bloc>.md`` for a commune's, where the édito and
the avant-propos fall back to the agglomeration's ones. Raw HTML in a block is shown as
text, never interpreted; links other than ``http(s):``, ``mailto:`` and ``#`` are dropped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from cdv_lib.document.model import Narrative

FOLDER = "redaction"
COMMUNES_FOLDER = "communes"


@dataclass(frozen=True)
class BlockSpec:
    name: str
    label: str
    shared: bool = False  # a commune's document may use the agglomeration's block


# every narrative block of the document, in reading order
BLOCKS = (
    BlockSpec("edito", "Édito", shared=True),
    BlockSpec("avant_propos", "Avant-propos", shared=True),
    BlockSpec("contexte", "Analyse et préconisations : contexte et territoire"),
    BlockSpec("demarche", "Analyse et préconisations : démarche et méthodologie"),
    BlockSpec("evaluation", "Analyse et préconisations : l'évaluation finale"),
    BlockSpec("sante", "Analyse et préconisations : focus santé"),
    BlockSpec("perr", "Analyse et préconisations : suivi du PERR"),
)
SPECS = {b.name: b for b in BLOCKS}


def block_paths(data_dir: Path, name: str, commune: str | None = None) -> list[Path]:
    """Where block *name* is looked for, first found wins."""
    spec = SPECS[name]
    base = Path(data_dir) / FOLDER
    if commune is None:
        return [base / f"{name}.md"]
    paths = [base / COMMUNES_FOLDER / str(commune) / f"{name}.md"]
    if spec.shared:
        paths.append(base / f"{name}.md")
    return paths


def load_block(data_dir: Path, name: str, commune: str | None = None) -> Narrative:
    """The block *name* (``markdown=None`` when no file holds it, or only blank text)."""
    paths = block_paths(data_dir, name, commune)
    for path in paths:
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            if text.strip():
                return Narrative(name, SPECS[name].label, _relative(path, data_dir), text)
    return Narrative(name, SPECS[name].label, _relative(paths[0], data_dir), None)


def _relative(path: Path, data_dir: Path) -> str:
    try:
        return path.relative_to(data_dir).as_posix()
    except ValueError:
        return path.as_posix()


_SAFE_LINK = re.compile(r"^(https?:|mailto:|#)", re.I)
_HREF = re.compile(r'href="([^"]*)"')


def markdown_to_html(text: str) -> str:
    """Markdown to HTML with raw HTML escaped (shown as text), unsafe links dropped, French
    spacing (a no-break space before ``: ; ! ? »`` and after ``«``)."""
    import markdown

    from cdv_lib.messages import french_spacing

    text = french_spacing(text)  # no line break before « ; » or inside « … »
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # raw HTML blocks and inline tags become text
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    out = md.convert(text)

    def link(match: re.Match) -> str:
        url = html.unescape(match.group(1))
        return match.group(0) if _SAFE_LINK.match(url.strip()) else 'href="#"'

    out = _HREF.sub(link, out)
    # the block sits inside a chapter section (h1, h2): its own headings come below them
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{_demoted(m.group(2))}", out)


_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _demoted(level: str) -> int:
    return min(6, max(3, int(level) + 2))
