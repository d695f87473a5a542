"""The document model: what the report says, independent of any output format."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdv_lib.messages import KeyMessage


HEAD_MESSAGES_TITLE = "L'essentiel en chiffres"
HEAD_MESSAGES_ANCHOR = "essentiel"


@dataclass(frozen=True)
class Paragraph:
    """A sentence or two written from the data (never the analyst's text)."""

    text: str
    kind: str = "note"  # note: a reading note; info: a sentence of the body


@dataclass(frozen=True)
class Messages:
    """Key figures and sentences (:mod:`cdv_lib.messages`)."""

    messages: tuple[KeyMessage, ...]
    title: str = "Messages clés"


@dataclass(frozen=True)
class Narrative:
    """One block of the analyst's text.

    ``markdown`` is ``None`` when the file is missing: a draft shows a « à rédiger » box,
    a final document is refused.
    """

    name: str
    label: str
    path: str  # relative to the data folder, as the analyst finds it
    markdown: str | None


@dataclass(frozen=True)
class TableBlock:
    """A numbered table (``Tableau 3``) of a :class:`~cdv_lib.report.table.ReportTable`."""

    number: int
    table: object  # ReportTable

    @property
    def anchor(self) -> str:
        return self.table.key

    @property
    def caption(self) -> str:
        return f"Tableau {self.number} – {self.table.titre}"


@dataclass(frozen=True)
class FigureBlock:
    """A numbered chart (``Figure 2``) drawn from a table, or a map (*table_number*
    ``None``); *png* holds the image."""

    number: int
    title: str
    png: bytes
    alt: str
    table_number: int | None
    source: str = ""
    base: str = ""
    width_cm: float = 16.0

    @property
    def anchor(self) -> str:
        return f"figure-{self.number}"

    @property
    def caption(self) -> str:
        return f"Figure {self.number} – {self.title}"


@dataclass(frozen=True)
class SubHeading:
    """A level-3 heading inside a section (a QPV fiche, a questionnaire)."""

    text: str
    anchor: str


@dataclass
class Section:
    """A level-2 part of a chapter, listed in the sommaire."""

    title: str
    anchor: str
    blocks: list = field(default_factory=list)


@dataclass
class Chapter:
    """A level-1 part: ``number`` is ``01``… for the numbered chapters, ``None`` for the
    édito, the avant-propos, the PERR follow-up and the annexes."""

    title: str
    anchor: str
    number: str | None = None
    subtitle: str = ""
    blocks: list = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


@dataclass
class Document:
    """The whole report."""

    title: str
    territory: str
    scope: str  # the territory, or the commune « Ambérieu-en-Bugey (01004) »
    commune: str | None
    year: int | None
    date: str
    chapters: list[Chapter] = field(default_factory=list)
    head_messages: Messages | None = None

    def blocks(self):
        """Every block, in reading order."""
        for chapter in self.chapters:
            yield from chapter.blocks
            for section in chapter.sections:
                yield from section.blocks

    @property
    def narratives(self) -> list[Narrative]:
        return [b for b in self.blocks() if isinstance(b, Narrative)]

    @property
    def missing_narratives(self) -> list[Narrative]:
        return [b for b in self.narratives if b.markdown is None]

    @property
    def tables(self) -> list[TableBlock]:
        return [b for b in self.blocks() if isinstance(b, TableBlock)]

    @property
    def figures(self) -> list[FigureBlock]:
        return [b for b in self.blocks() if isinstance(b, FigureBlock)]

    def toc(self) -> list[tuple[int, str, str]]:
        """Sommaire entries: ``(level, heading text, anchor)`` for chapters and sections."""
        out = [(1, HEAD_MESSAGES_TITLE, HEAD_MESSAGES_ANCHOR)] if self.head_messages else []
        for chapter in self.chapters:
            out.append((1, chapter.heading, chapter.anchor))
            out.extend((2, s.title, s.anchor) for s in chapter.sections)
        return out
