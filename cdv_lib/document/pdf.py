"""The PDF: the document's HTML printed by headless Chromium (Debian package ``chromium``),
A4, running header and page numbers from the print stylesheet's ``@page`` margin boxes.

The sommaire's page numbers are found, not guessed: a first print, then each heading is
looked for in the text of each page (``pdftotext``, Debian package ``poppler-utils``), the
numbers are written into the sommaire and the document printed again, until the pages
found no longer move.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from cdv_lib.document.html import render_html
from cdv_lib.document.model import Document

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
PLACEHOLDER = "00"
MAX_PASSES = 4


class PdfError(RuntimeError):
    """The PDF could not be printed (Chromium or pdftotext missing or failing)."""


def chromium_path() -> str:
    """Path of the Chromium executable (``$CDV_CHROMIUM`` first)."""
    for candidate in (os.environ.get("CDV_CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and (shutil.which(candidate) or Path(candidate).is_file()):
            return shutil.which(candidate) or candidate
    raise PdfError("Chromium est introuvable : le PDF est imprimé par Chromium sans "
                   "interface (paquet Debian « chromium »).")


def print_pdf(html_text: str, pdf_path: Path, *, timeout: float = 180) -> None:
    """Print *html_text* to *pdf_path* with headless Chromium."""
    chromium = chromium_path()
    with tempfile.TemporaryDirectory(prefix="cdv-pdf-") as tmp:
        page = Path(tmp) / "document.html"
        page.write_text(html_text, encoding="utf-8")
        out = Path(tmp) / "document.pdf"
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                   "--generate-pdf-document-outline", f"--user-data-dir={tmp}/profile",
                   f"--print-to-pdf={out}", page.as_uri()]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium n'a pas imprimé le document en {timeout:.0f} s.") from exc
        if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            raise PdfError("Chromium n'a pas imprimé le document : "
                           + (result.stderr.strip().splitlines() or ["erreur inconnue"])[-1])
        shutil.move(str(out), str(pdf_path))


def page_texts(pdf_path: Path) -> list[str]:
    """The text of each page (``pdftotext``), page 1 first."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise PdfError("pdftotext est introuvable (paquet Debian « poppler-utils ») : il "
                       "sert à placer les numéros de page du sommaire.")
    result = subprocess.run([exe, "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True,
                            timeout=120)
    if result.returncode != 0:
        raise PdfError("pdftotext n'a pas lu le PDF : "
                       + result.stderr.decode("utf-8", "replace").strip())
    pages = result.stdout.decode("utf-8", "replace").split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return pages


def normalise(text: str) -> str:
    """Text compared across HTML and PDF: NFKC, every space one plain space."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return " ".join(text.split())


def heading_at_line_start(page: str, heading: str) -> bool:
    """True when *heading* starts a line of *page* (it may wrap over several lines)."""
    lines = [normalise(line) for line in page.splitlines()]
    lines = [line for line in lines if line]
    target = normalise(heading)
    for i in range(len(lines)):
        joined = ""
        for line in lines[i:]:
            joined = f"{joined} {line}".strip()
            if joined.startswith(target):
                return True
            if not target.startswith(joined):
                break
    return False


def find_pages(pages: Sequence[str], entries: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Page (1-based) of each ``(anchor, heading)`` entry, in document order.

    The sommaire lists every heading, so the search starts after the page where the
    sommaire's last entry is first found; each heading is looked for from the page of the
    previous one on, at the start of a line.
    """
    if not entries:
        return {}
    last = entries[-1][1]
    start = next((i for i, p in enumerate(pages) if heading_at_line_start(p, last)), None)
    if start is None:
        raise PdfError(f"sommaire introuvable dans le PDF (« {last} »).")
    found, current = {}, start + 1
    for anchor, heading in entries:
        page = next((i for i in range(current, len(pages))
                     if heading_at_line_start(pages[i], heading)), None)
        if page is None:
            raise PdfError(f"titre « {heading} » introuvable dans le PDF.")
        found[anchor] = page + 1
        current = page
    return found


def render_pdf(doc: Document, pdf_path: Path, *, draft: bool = True) -> dict[str, int]:
    """Print *doc* to *pdf_path* with a sommaire whose page numbers are right.

    Returns the page of each sommaire entry (anchor → page).
    """
    entries = [(anchor, text) for _level, text, anchor in doc.toc()]
    numbers: dict[str, int | str] = {anchor: PLACEHOLDER for anchor, _ in entries}
    with tempfile.TemporaryDirectory(prefix="cdv-pdf-") as tmp:
        work = Path(tmp) / "pass.pdf"
        for _ in range(MAX_PASSES):
            print_pdf(render_html(doc, page_numbers=numbers, draft=draft), work)
            found = find_pages(page_texts(work), entries)
            if found == numbers:
                shutil.move(str(work), str(pdf_path))
                return found
            numbers = found
    raise PdfError("les numéros de page du sommaire ne se stabilisent pas.")
