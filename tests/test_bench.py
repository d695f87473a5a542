"""`cdv bench`: the report writer and the national sub-benchmark in quick mode."""

from __future__ import annotations

import pytest

from cdv_lib.bench.results import HEADINGS, Results, fmt_value
from cdv_lib.cli import main


def test_results_markdown_has_figures_ratios_and_targets(tmp_path):
    res = Results(echo=False)
    res.machine = {"date": "01/01/2026", "cpu_model": "CPU", "cores": 2}
    res.figure("batch", "batch.naive", "Boucle naïve", 800.0)
    res.figure("batch", "batch.cdv", "cdv batch", 100.0)
    ratio = res.ratio("batch", "batch.speedup", "Accélération", "batch.naive", "batch.cdv")
    assert ratio.value == pytest.approx(8.0)
    res.target("batch", "t", "batch ≥ 8×", "8,0×", "≥ 8×", True)
    res.target("voila", "t2", "premier chiffre", "2,00 s", "≤ 1 s", False, "import de seaborn")
    text = res.write(tmp_path / "r.md").read_text(encoding="utf-8")
    for heading in HEADINGS.values():
        assert heading in text
    assert "| batch | Accélération | 8,00 |" in text
    assert "| voila | premier chiffre | ≤ 1 s | 2,00 s | **non** | import de seaborn |" in text


def test_french_units():
    assert fmt_value(1234.5, "s") == "1\u00a0234,5 s"  # one no-break space, as every output
    assert fmt_value(0.25, "s") == "0,25 s"
    assert fmt_value(2048, "Mo") == "2\u00a0048 Mo"


def test_ratio_needs_both_figures():
    res = Results(echo=False)
    res.figure("batch", "batch.cdv", "cdv batch", 10.0)
    assert res.ratio("batch", "r", "r", "batch.naive", "batch.cdv") is None


def test_unknown_benchmark_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--only", "batch,nope"])
    assert "banc inconnu : nope" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_national_writes_results(tmp_path, capsys):
    out = tmp_path / "results.md"
    code = main(["bench", "--quick", "--only", "national", "--results", str(out),
                 "--work-dir", str(tmp_path / "work")])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    for heading in HEADINGS.values():
        assert heading in text
    assert "Commande : `cdv bench --only national --quick`" in text
    assert "Tous les indicateurs sur les tables nationales" in text
    assert "Tous les indicateurs, EPCI par EPCI" in text
    assert "chaque indicateur national en 10 s et 2 Go" in text
    assert "Tous les indicateurs de chaque EPCI, passes groupées" in text
    assert "| passes groupées : mêmes résultats que EPCI par EPCI (échantillon) | toutes |" in text
    assert "| oui |" in text.split("mêmes résultats que EPCI par EPCI (échantillon)")[1][:80]
    assert "Banc « national » interrompu" not in text
    printed = capsys.readouterr().out
    assert "[national] Génération en mémoire" in printed
    assert (tmp_path / "work" / "national" / "csv" / "programmation.csv").exists()


def test_compare_outputs_ignores_timestamps_but_not_figures(tmp_path):
    from cdv_lib.bench.batch import compare_outputs, html_figures

    a, b = tmp_path / "a", tmp_path / "b"
    for root, stamp, amount in [(a, "25/11/2026 à 20:25", "5 760 000 €"),
                                (b, "26/11/2026 à 09:01", "5 760 000 €")]:
        (root / "62498").mkdir(parents=True)
        (root / "62498" / "finances.html").write_text(
            f"<html><body><p>Produit le {stamp}</p><td>{amount}</td><td>42,1 %</td>"
            "</body></html>", encoding="utf-8")
    assert html_figures(a / "62498" / "finances.html") == ["5 760 000", "42,1"]
    same = compare_outputs(a, b)
    assert same == {"only_a": [], "only_b": [], "html": 1, "differing": []}
    (b / "62498" / "finances.html").write_text(
        "<html><body><td>5 760 001 €</td><td>42,1 %</td></body></html>", encoding="utf-8")
    (b / "62498" / "sante.html").write_text("<html></html>", encoding="utf-8")
    diff = compare_outputs(a, b)
    assert diff["differing"] == ["62498/finances.html"]
    assert diff["only_b"] == ["62498/sante.html"]


def test_import_source_is_the_cells_before_parameters():
    from cdv_lib.bench.floor import import_source
    from cdv_lib.paths import REPORTS_DIR

    code = import_source(REPORTS_DIR / "finances.ipynb")
    assert "import" in code
    assert "load_dataset(" not in code.replace("import load_dataset", "")
    assert "commune:" not in code


def test_partial_run_keeps_the_previous_reports(tmp_path):
    from cdv_lib.bench.results import PREVIOUS_HEADING, previous_run

    first = Results(echo=False)
    first.figure("voila", "voila.cold", "Premier chiffre clé, à froid", 2.85)
    text = first.to_markdown()
    second = Results(echo=False)
    second.figure("national", "national.grouped", "Passes groupées", 12.0)
    second.previous = previous_run(text)
    kept = second.to_markdown()
    assert "Passes groupées" in kept and "Premier chiffre clé, à froid" in kept
    assert "### Mesures" in kept.split(PREVIOUS_HEADING)[1]
    third = Results(echo=False)
    third.previous = previous_run(kept)
    again = third.to_markdown()
    assert again.count(PREVIOUS_HEADING) == 2  # each earlier run, the older one deeper
    assert "Passes groupées" in again and "Premier chiffre clé, à froid" in again
    assert "#### Mesures" in again.split(PREVIOUS_HEADING)[2]


def test_fix_one_row_changes_one_value_only(tmp_path):
    from cdv_lib.bench.batch import fix_one_row

    path = tmp_path / "programmation.csv"
    path.write_bytes(b"annee;numero_dossier;montant_demande\r\n2015;A;870\r\n2016;B;12,5\r\n")
    said = fix_one_row(path)
    assert path.read_bytes() == b"annee;numero_dossier;montant_demande\r\n2015;A;871\r\n2016;B;12,5\r\n"
    assert said == "programmation.csv, ligne 2, montant_demande : 870 → 871"


def test_document_report_is_read_from_the_command_output():
    from cdv_lib.bench.document import parse_report

    out = ("écrit : /t/rapport/rapport_evaluation.html (0,1 s)\n"
           "écrit : /t/rapport/rapport_evaluation.pdf (5,0 s)\n"
           "Document de travail : 5 textes à rédiger (redaction/contexte.md).\n"
           "Rapport « CA de Lens-Liévin » : 89 tableaux, 54 figures, 13,5 s (données, tableaux, "
           "graphiques et cartes : 7,2 s).\n")
    assert parse_report(out) == {"scope": "CA de Lens-Liévin", "tables": 89, "figures": 54,
                                 "total_s": 13.5, "content_s": 7.2,
                                 "formats": {"html": 0.1, "pdf": 5.0}}
    with pytest.raises(ValueError, match="bilan"):
        parse_report("écrit : x.pdf (1,0 s)\n")
