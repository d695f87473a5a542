"""The evaluation report as a document: model, HTML, --final, and (slow) the PDF's sommaire
page numbers, the DOCX's structure and its conversion by LibreOffice."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from cdv_lib import cli
from cdv_lib.bench.document import parse_report
from cdv_lib.dataset import load_dataset
from cdv_lib.document import build_document
from cdv_lib.document.html import render_html
from cdv_lib.document.model import FigureBlock, Narrative, TableBlock
from cdv_lib.document.narrative import BLOCKS, markdown_to_html
from cdv_lib.document.pdf import heading_at_line_start, normalise, page_texts
from cdv_lib.paths import DATA_DIR

FORBIDDEN = ("papermill", "config.yaml", "paramètre", "notebook", "python")


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


@pytest.fixture(scope="module")
def lens(ds):
    return build_document(ds, "62498", dpi=60)


def _data_copy(tmp_path: Path, *, drop: tuple[str, ...] = (), add: dict | None = None) -> Path:
    target = tmp_path / "donnees"
    shutil.copytree(DATA_DIR, target)
    for name in drop:
        (target / "redaction" / name).unlink()
    for name, text in (add or {}).items():
        path = target / "redaction" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


# --- model ------------------------------------------------------------------------------

def test_commune_document_structure_and_secrecy(lens, ds):
    headings = [h for level, h, _ in lens.toc() if level == 1]
    assert headings[:3] == ["L'essentiel en chiffres", "Édito", "Avant-propos"]
    assert "01 Contexte et territoire" in headings and "04 Focus santé" in headings
    assert headings[-1] == "Annexes"
    assert lens.scope == "Lens (62498)"
    # no table made only of masked cells, no chart of a fully masked table
    assert not any(b.table.fully_masked for b in lens.tables)
    numbers = [b.number for b in lens.tables]
    assert numbers == list(range(1, len(numbers) + 1))
    figures = lens.figures
    assert [f.number for f in figures] == list(range(1, len(figures) + 1))
    by_number = {b.number: b for b in lens.tables}
    for fig in figures:
        assert fig.png.startswith(b"\x89PNG")
        if fig.table_number is None:  # a map, with what it shows in words
            assert fig.alt.startswith("Carte ")
            continue
        assert by_number[fig.table_number].table.titre == fig.title
        assert fig.alt.startswith("Graphique : ")
    # where Lens's own answers would be masked, the agglomeration's table stands in,
    # labelled, with the reason
    references = [b.table for b in lens.tables if b.table.reference]
    assert references
    assert all(any("Les réponses de Lens ne sont pas montrées" in n and "secret statistique" in n
                   for n in t.notes) for t in references
               if any("moins de" in n for n in t.notes))


def test_commune_narratives_look_in_the_commune_folder(lens):
    paths = {b.name: b.path for b in lens.narratives}
    assert paths["contexte"] == "redaction/communes/62498/contexte.md"
    # the édito falls back to the agglomeration's one, shipped with the demo data
    assert paths["edito"] == "redaction/edito.md"
    assert {b.name for b in lens.missing_narratives} == {"contexte", "demarche", "evaluation",
                                                         "sante"}


def test_markdown_raw_html_is_text_and_headings_sit_below_sections():
    out = markdown_to_html("## Titre\n\n<script>alert(1)</script> [a](javascript:x) **b**")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'href="#"' in out and "<strong>b</strong>" in out
    assert "<h4>Titre</h4>" in out


def test_html_is_standalone_french_and_says_what_is_missing(lens):
    page = render_html(lens)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    assert not re.search(r'src="(?!data:)', page)  # every image embedded
    assert page.count('src="data:image/png;base64,') == len(lens.figures)
    assert all(f'alt="{f.alt}"' in page.replace("&#x27;", "'") for f in lens.figures
               if '"' not in f.alt)
    assert page.count('class="a-rediger"') == len(lens.missing_narratives)
    assert "redaction/communes/62498/sante.md" in page
    text = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1]).lower()
    for word in FORBIDDEN:
        assert word not in text, word
    # sommaire: navigation links to every heading
    for _level, _text, anchor in lens.toc():
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page


# --- the command ------------------------------------------------------------------------

def test_final_with_a_missing_block_exits_2_and_writes_nothing(tmp_path, capsys):
    data = _data_copy(tmp_path, drop=("edito.md",))
    out = tmp_path / "sortie"
    code = cli.main(["rapport", "--final", "--format", "html", "--data", str(data),
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "redaction/edito.md" in err and "Édito" in err
    assert "redaction/contexte.md" in err
    assert not out.exists() or not any(out.rglob("*"))


def test_final_builds_when_every_block_is_written(tmp_path, capsys):
    blocks = {f"communes/62498/{b.name}.md":
              f"Texte de l'analyste pour {b.label}.\n\n<b>brut</b>\n" for b in BLOCKS}
    data = _data_copy(tmp_path, add=blocks)
    out = tmp_path / "sortie"
    code = cli.main(["rapport", "--final", "--format", "html", "--commune", "62498",
                     "--data", str(data), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    # what the document benchmark reads from the command (cdv_lib.bench.document)
    report = parse_report(printed)
    assert report["scope"] == "Lens (62498)" and set(report["formats"]) == {"html"}
    assert 0 < report["content_s"] <= report["total_s"]
    page = (out / "rapport" / "rapport_62498.html").read_text(encoding="utf-8")
    assert 'class="a-rediger"' not in page and "Document de travail" not in page
    assert "&lt;b&gt;brut&lt;/b&gt;" in page
    assert sorted(p.name for p in (out / "rapport").iterdir()) == ["rapport_62498.html"]


def test_unknown_commune_and_format_exit_2(tmp_path, capsys):
    assert cli.main(["rapport", "--commune", "99999", "--out", str(tmp_path)]) == 2
    assert cli.main(["rapport", "--format", "odt", "--out", str(tmp_path)]) == 2
    assert not any(tmp_path.rglob("*.html"))


# --- PDF and DOCX of the agglomeration (slow: charts, two prints, LibreOffice) ---------------

@pytest.fixture(scope="module")
def agglo_doc(ds):
    return build_document(ds, dpi=30)


@pytest.fixture(scope="module")
def agglomeration(tmp_path_factory):
    if not shutil.which("pdftotext") or not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium et poppler-utils requis")
    out = tmp_path_factory.mktemp("rapport")
    assert cli.main(["rapport", "--out", str(out)]) == 0
    return out / "rapport"


def _sommaire_numbers(pages: list[str], headings: list[str]) -> dict[str, int]:
    """The page number printed after each heading on the sommaire page(s) of the PDF."""
    sommaire = next(i for i, p in enumerate(pages)
                    if "Sommaire" in [normalise(line) for line in p.splitlines()])
    text = " ".join(normalise(p) for p in pages[sommaire:sommaire + 3])
    numbers = {}
    for heading in headings:
        match = re.search(re.escape(normalise(heading)) + r" (\d+)", text)
        assert match, f"« {heading} » absent du sommaire"
        numbers[heading] = int(match.group(1))
    return numbers


def _check_sommaire(pages: list[str], doc) -> None:
    """Every chapter and section is listed with a page number, and that page of the PDF
    starts a line with the heading."""
    headings = [h for _level, h, _ in doc.toc()]
    numbers = _sommaire_numbers(pages, headings)
    chapters = [h for level, h, _ in doc.toc() if level == 1]
    assert set(chapters) <= set(numbers)
    first_body = min(numbers.values())
    for heading, page in numbers.items():
        assert 1 <= page <= len(pages)
        assert heading_at_line_start(pages[page - 1], heading), (heading, page)
        # the first page of the body that holds it
        assert not any(heading_at_line_start(pages[p], heading)
                       for p in range(first_body - 1, page - 1)), (heading, page)
    assert list(numbers.values()) == sorted(numbers.values())


@pytest.mark.slow
@pytest.mark.browser
def test_pdf_holds_the_published_figures_and_a_right_sommaire(agglomeration, agglo_doc):
    pdf = agglomeration / "rapport_evaluation.pdf"
    pages = page_texts(pdf)
    text = normalise(" ".join(pages))
    for figure in ("5 761 482 €", "47 %", "19 des 36 communes", "21 des 70 associations",
                   "88 actions de santé", "3 918 264 €"):
        assert figure in text, figure
    _check_sommaire(pages, agglo_doc)
    # running header and page numbers on the pages after the title page
    assert "Rapport d'évaluation du Contrat de Ville" in pages[3]
    assert re.search(rf"\b4 / {len(pages)}\b", pages[3])


@pytest.mark.slow
def test_docx_structure_and_libreoffice_conversion(agglomeration, agglo_doc, tmp_path):
    import docx

    path = agglomeration / "rapport_evaluation.docx"
    word = docx.Document(str(path))
    heading1 = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    doc = agglo_doc
    assert heading1 == [h for level, h, _ in doc.toc() if level == 1]
    assert len(word.tables) == len(doc.tables)
    assert any("5 761 482 €" in c.text.replace("\u00a0", " ")
               for t in word.tables for row in t.rows for c in row.cells)
    assert len(word.inline_shapes) == len(doc.figures)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert xml.count('descr="Graphique : ') + xml.count('descr="Carte ') == len(doc.figures)
    assert xml.count('descr="Carte ') >= 1  # the map of the territory
    assert "TOC \\o" in xml
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice requis (paquet Debian libreoffice-writer-nogui)")
    result = subprocess.run(
        [soffice, "--headless", "--norestore",
         f"-env:UserInstallation=file://{tmp_path}/profil", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(path)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    converted = tmp_path / "rapport_evaluation.pdf"
    assert converted.is_file() and converted.stat().st_size > 10_000
    assert "01 Contexte et territoire" in normalise(" ".join(page_texts(converted)))


@pytest.mark.slow
@pytest.mark.browser
def test_lens_document(tmp_path, capsys):
    code = cli.main(["rapport", "--commune", "62498", "--format", "html,pdf",
                     "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr()
    folder = tmp_path / "rapport"
    assert sorted(p.name for p in folder.iterdir()) == ["rapport_62498.html",
                                                         "rapport_62498.pdf"]
    text = normalise(" ".join(page_texts(folder / "rapport_62498.pdf")))
    assert "Lens (62498)" in text
    assert "550 150 €" in text
    _check_sommaire(page_texts(folder / "rapport_62498.pdf"),
                    build_document(load_dataset(), "62498", dpi=40))
    from cdv_lib.commands import audit  # the document passes the secrecy audit

    assert cli.main(["audit", str(folder)]) == 0
    assert audit is not None


def test_docx_of_the_commune_document(lens):
    import io

    import docx

    from cdv_lib.document.docx import render_docx

    data = render_docx(lens)
    word = docx.Document(io.BytesIO(data))
    assert [p.text for p in word.paragraphs if p.style.name == "Heading 1"] == [
        h for level, h, _ in lens.toc() if level == 1]
    assert [p.text for p in word.paragraphs if p.style.name == "Heading 2"] == [
        h for level, h, _ in lens.toc() if level == 2]
    assert len(word.tables) == len(lens.tables)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
        settings = archive.read("word/settings.xml").decode("utf-8")
        styles = archive.read("word/styles.xml").decode("utf-8")
    assert xml.count('descr="Graphique : ') + xml.count('descr="Carte ') == len(lens.figures)
    # schema order of the settings: updateFields before compat
    assert settings.index("w:updateFields") < settings.index("<w:compat")
    assert 'w:lang w:val="fr-FR"' in styles
    assert "À rédiger" in xml


def test_a_commune_without_qpv_nor_answers_gets_honest_notes(ds):
    code = str(ds.communes.loc[~ds.communes["signataire"].astype(bool), "code_insee"].iloc[0])
    doc = build_document(ds, code, dpi=30)
    notes = [b.text for b in doc.blocks() if type(b).__name__ == "Paragraph"]
    assert any("sans donnée pour la commune" in n for n in notes)
    # its questionnaires: the agglomeration's results as the reference, saying why
    references = [b.table for b in doc.tables if b.table.reference]
    assert references and all(
        any("aucune réponse de la commune à ce questionnaire" in n for n in t.notes)
        for t in references)
    assert not any("secret statistique" in n for n in notes)  # nothing was masked
    assert not any(b.table.fully_masked for b in doc.tables)


def test_another_territory_builds_with_what_its_data_hold(tmp_path):
    """A synthetic contract (another EPCI, one questionnaire « habitants », no meetings, no
    AMI rules, no narrative block): every chapter is there, empty parts say so."""
    from cdv_lib.bench import synthetic
    from cdv_lib.dataset import Dataset
    from cdv_lib.document.docx import render_docx

    national = synthetic.generate(0, n_epci=3, n_qpv=12, n_programmation=600,
                                  n_respondents=200)
    part = national.for_epci(str(national.epci["code_epci"].iloc[1]))
    ds = Dataset(tmp_path, part["config"], part["communes"], part["qpv"],
                 part["indicateurs"], part["programmation"], part["actions_sante"],
                 part["entretiens"], part["perr"], questionnaires={"habitants": part["survey"]})
    doc = build_document(ds, dpi=30)
    assert doc.scope == part["config"]["territoire"]
    chapters = [h for level, h, _ in doc.toc() if level == 1]
    assert "03 L'évaluation finale" in chapters and chapters[-1] == "Annexes"
    assert len(doc.missing_narratives) == len(BLOCKS)
    texts = [getattr(b, "text", "") for b in doc.blocks()]
    assert "Aucune donnée n'est disponible pour cette partie." in texts  # no AMI rules
    # no start year in its config: the evolution starts with its first year
    growth = [m for m in doc.head_messages.messages if m.libelle.startswith("Évolution")]
    assert growth and "2015" in growth[0].libelle
    page = render_html(doc)
    assert "Les questionnaires" in page and "habitants" in page.lower()
    assert render_docx(doc)[:2] == b"PK"
