"""The audit recomputes masked cells from the produced files, as an outsider would.

Every table here is written as a reader gets it (HTML sections like the reports', workbook
sheets); the audit never sees the figures behind the « s »."""

from __future__ import annotations

import html
import random
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from cdv_lib.audit import audit_dir
from cdv_lib.audit_read import read_html
from cdv_lib.audit_relations import build_model
from cdv_lib.audit_solve import solve
from cdv_lib.cli import main

NBSP = "\u00a0"


def pct(count: int, base: int) -> str:
    return f"{count / base * 100:.1f}".replace(".", ",") + NBSP + "%"


def section(title: str, headers, rows, notes=()) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    notes_html = "".join(f'<p class="cdv-note">{html.escape(n)}</p>' for n in notes)
    return (f'<section class="cdv-report-table"><h3>{html.escape(title)}</h3>'
            f'<table class="cdv-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"</table>{notes_html}</section>")


def write_page(path: Path, *sections: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<!DOCTYPE html><html><body><h1>Rapport</h1>" + "".join(sections)
                    + "</body></html>", encoding="utf-8")
    return path


def recalculs(out_dir: Path):
    return [f for f in audit_dir(out_dir, threshold=5) if f.kind == "recalcul"]


SURVEY = ["Réponse", "Effectif", "Part", "Base (n)"]


# --- the known leak (issue 11) -----------------------------------------------------------

@pytest.fixture
def leaky_participation(tmp_path):
    """« Entretiens par type d'acteur » as the reports showed it before the secrecy rework:
    the small count and its share masked, the base and the five other counts shown."""
    from cdv_lib.report.table import INTEGER, PERCENT, ReportTable

    counts = [14, 12, 10, 9, 8, 2]
    data = pd.DataFrame({
        "Type d'acteur": ["habitant", "association", "technicien", "conseiller citoyen", "élu",
                          "partenaire institutionnel"],
        "Entretiens": [float(c) for c in counts[:5]] + [float("nan")],
        "Part": [c / 55 for c in counts[:5]] + [float("nan")],
        "Base (n)": [55.0] * 6,
    })
    mask = pd.DataFrame(False, index=data.index, columns=data.columns)
    mask.loc[5, ["Entretiens", "Part"]] = True
    table = ReportTable(key="participation.entretiens", titre="Entretiens par type d'acteur",
                        data=data, formats={"Entretiens": INTEGER, "Part": PERCENT,
                                            "Base (n)": INTEGER},
                        source="Entretiens de l'évaluation (codage)", mask=mask,
                        theme="participation", secret_rule="effectifs")
    write_page(tmp_path / "agglomeration" / "participation.html", table.to_html())
    return tmp_path


def test_known_leak_is_recovered_with_its_equation(leaky_participation, capsys):
    found = recalculs(leaky_participation)
    by_column = {f.location.rsplit("colonne « ", 1)[1].rstrip("»").strip(): f for f in found}
    count = by_column["Entretiens"]
    assert count.file == str(Path("agglomeration") / "participation.html")
    assert "« Entretiens par type d'acteur »" in count.location
    assert "ligne « partenaire institutionnel »" in count.location
    assert count.value == "2"
    assert "55 − (14 + 12 + 10 + 9 + 8) = 2" in count.detail
    share = by_column["Part"]
    assert share.value == "3,6" + NBSP + "%"
    assert "2 / 55" in share.detail
    assert main(["audit", str(leaky_participation)]) == 1
    assert "55 − (14 + 12 + 10 + 9 + 8) = 2" in capsys.readouterr().out


# --- kinds of recovery -------------------------------------------------------------------

def test_sum_to_base_excluding_stated_non_responses(tmp_path):
    write_page(tmp_path / "a.html", section(
        "Q1", SURVEY, [["Oui", 5, pct(5, 9), 9], ["Non", "s", "s", 9],
                       ["Non-réponse", "s", "–", 9]],
        notes=["Base : 9 répondants à la question, non-réponses exclues"]))
    found = recalculs(tmp_path)
    assert [(f.value, "ligne « Non »" in f.location) for f in found
            if "Effectif" in f.location] == [("4", True)]


def test_non_response_rule_unknown_both_readings_must_agree(tmp_path):
    # excluded: Non = 4; included: Non + NR = 4 — the reader cannot tell
    write_page(tmp_path / "a.html", section(
        "Q1", SURVEY, [["Oui", 5, pct(5, 9), 9], ["Non", "s", "s", 9],
                       ["Non-réponse", "s", "–", 9]]))
    assert recalculs(tmp_path) == []


def test_total_row(tmp_path):
    write_page(tmp_path / "a.html", section(
        "Actions par pilier", ["Pilier", "Actions", "Montant accordé"],
        [["Cohésion sociale", 12, "120 000 €"], ["Cadre de vie", "s", "s"],
         ["Emploi", 7, "35 500 €"], ["Total", 21, "160 000 €"]]))
    found = {f.location.rsplit("colonne « ", 1)[1]: f for f in recalculs(tmp_path)}
    assert found["Actions »"].value == "2"
    assert "21 − (12 + 7) = 2" in found["Actions »"].detail
    # euros are rounded to the euro: 160 000 − 155 500 within a euro or two
    assert "4\u00a0500" in found["Montant accordé »"].value


def test_total_column_checked_on_shown_rows(tmp_path):
    write_page(tmp_path / "a.html", section(
        "Actions par commune et durée", ["Commune", "Ponctuelles", "Pérennes", "Total"],
        [["Lens", 4, 6, 10], ["Liévin", "s", 5, 8], ["Avion", 2, 2, 4]]))
    (found,) = recalculs(tmp_path)
    assert found.value == "3" and "ligne « Liévin »" in found.location
    assert "8 − 5 = 3" in found.detail


def test_rounded_share_times_base_gives_the_count(tmp_path):
    # one base per row (no additivity), the count hidden but its share shown
    write_page(tmp_path / "a.html", section(
        "Taux de réponse", ["Questionnaire", "Réponses reçues", "Taux de réponse",
                            "Base (questionnaires envoyés)"],
        [["Communes", 19, pct(19, 19), 19], ["Associations", "s", "14,3" + NBSP + "%", 21]]))
    (found,) = recalculs(tmp_path)
    assert found.value == "3"
    assert "14,3" in found.detail and "21" in found.detail and "seul entier" in found.detail


def test_shares_of_a_distribution_without_counts(tmp_path):
    # Part only: the hidden share is 100 % minus the others, exact once times the base
    write_page(tmp_path / "a.html", section(
        "Q2", ["Réponse", "Part", "Base (n)"],
        [["Oui", pct(12, 40), 40], ["Non", pct(25, 40), 40], ["Sans avis", "s", 40]]))
    (found,) = recalculs(tmp_path)
    assert found.value == "7,5" + NBSP + "%"


def test_wide_grid_rows_add_up_to_their_base(tmp_path):
    headers = ["Élément", "Satisfait", "Neutre", "Insatisfait", "Base (n)"]
    write_page(tmp_path / "a.html", section(
        "Satisfaction par service", headers,
        [["Accueil", pct(10, 20), pct(6, 20), pct(4, 20), 20],
         ["Délais", pct(3, 15), "s", pct(9, 15), 15]]))
    (found,) = recalculs(tmp_path)
    assert found.value == "20,0" + NBSP + "%" and "ligne « Délais »" in found.location


def _commune_question(out: Path, scope: str, rows, base: int) -> None:
    write_page(out / scope / "gouvernance.html", section(
        "La gouvernance convient-elle ?", SURVEY,
        [[label, n, pct(n, base) if isinstance(n, int) and base else "s" if n == "s" else "–",
          base] for label, n in rows],
        notes=["Base : répondants à la question, non-réponses exclues"]))


def test_agglomeration_minus_communes_when_the_bases_add_up(tmp_path):
    _commune_question(tmp_path, "agglomeration", [("Oui", 10), ("Non", 6), ("Peut-être", 4)], 20)
    _commune_question(tmp_path, "62001", [("Oui", 6), ("Non", "s"), ("Peut-être", "s")], 10)
    _commune_question(tmp_path, "62002", [("Oui", 4), ("Non", 3), ("Peut-être", 3)], 10)
    found = {f.location.split("ligne « ")[1].split(" »")[0]: f for f in recalculs(tmp_path)
             if "colonne « Effectif »" in f.location}
    assert found["Non"].value == "3" and found["Peut-être"].value == "1"
    assert all(f.file == str(Path("62001") / "gouvernance.html") for f in found.values())
    assert "agglomération" in found["Non"].detail or "agglomération" in found[
        "Peut-être"].detail


def test_agglomeration_minus_communes_not_claimed_when_bases_do_not_add_up(tmp_path):
    # 10 + 9 < 20: someone answered without a commune, the difference is not certain
    _commune_question(tmp_path, "agglomeration", [("Oui", 10), ("Non", 6), ("Peut-être", 4)], 20)
    _commune_question(tmp_path, "62001", [("Oui", 6), ("Non", "s"), ("Peut-être", "s")], 10)
    _commune_question(tmp_path, "62002", [("Oui", 4), ("Non", 2), ("Peut-être", 3)], 9)
    assert recalculs(tmp_path) == []


def test_agglomeration_zero_gives_the_communes_zero(tmp_path):
    _commune_question(tmp_path, "agglomeration", [("Oui", 12), ("Non", 0), ("Peut-être", 8)], 20)
    _commune_question(tmp_path, "62001", [("Oui", "s"), ("Non", "s"), ("Peut-être", "s")], 3)
    (found,) = [f for f in recalculs(tmp_path) if "colonne « Effectif »" in f.location]
    assert found.value == "0" and "ligne « Non »" in found.location


def test_workbook_blocks_titles_and_cell_references(tmp_path):
    wb = Workbook()
    wb.active.title = "Sommaire"
    wb.active.append(["Sommaire des tableaux"])
    ws = wb.create_sheet("Participation")
    ws.append(["Échelle de la participation"])
    ws.append(["Périmètre : Agglomération"])
    ws.append([])
    ws.append(["Niveau", "Entretiens", "Part", "Base (n)"])
    for level, n in [("Information", 6), ("Consultation", 15), ("Concertation", 17)]:
        ws.append([level, n, n / 38, 38])
    ws.append([])
    ws.append(["Entretiens par type d'acteur"])
    ws.append(["Périmètre : Agglomération"])
    ws.append(["Type d'acteur", "Entretiens", "Part", "Base (n)"])
    for actor, n in [("habitant", 14), ("association", 12), ("technicien", 10),
                     ("conseiller citoyen", 9), ("élu", 8)]:
        ws.append([actor, n, n / 55, 55])
    ws.append(["partenaire institutionnel", "s", "s", 55])
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if cell.column == 3 and isinstance(cell.value, float):
                cell.number_format = "0.0 %"
    wb.save(tmp_path / "tableaux.xlsx")
    found = recalculs(tmp_path)
    assert [(f.value, f.location.split(" (")[0]) for f in found] == [
        ("2", ("feuille « Participation », tableau 2 « Entretiens par type d'acteur », "
               "cellule B17")),
        ("3,6" + NBSP + "%", ("feuille « Participation », tableau 2 « Entretiens par type "
                              "d'acteur », cellule C17"))]
    assert "55 − (14 + 12 + 10 + 9 + 8) = 2" in found[0].detail


# --- what is not recoverable -------------------------------------------------------------

def test_two_masked_cells_in_one_sum_are_not_recoverable(tmp_path):
    write_page(tmp_path / "a.html", section(
        "Q1", SURVEY, [["Oui", 12, pct(12, 17), 17], ["Non", "s", "s", 17],
                       ["Ne sait pas", "s", "s", 17]]))
    assert recalculs(tmp_path) == []


def test_multiple_choice_counts_do_not_add_up(tmp_path):
    rows = [["Sport", 9, pct(9, 12), 12], ["Culture", 8, pct(8, 12), 12],
            ["Santé", "s", "s", 12]]
    write_page(tmp_path / "note.html", section(
        "Domaines d'intervention", SURVEY, rows,
        notes=["Plusieurs réponses possibles : part des répondants, le total dépasse 100 %."]))
    write_page(tmp_path / "sans_note.html", section("Domaines (sans note)", SURVEY, rows))
    assert recalculs(tmp_path) == []


def test_multiple_choice_below_the_base_without_note_is_caught_elsewhere(tmp_path):
    # the agglomeration's fully shown table does not add up: no additivity for the question
    _commune_question(tmp_path, "agglomeration", [("Oui", 14), ("Non", 9), ("Peut-être", 6)], 20)
    _commune_question(tmp_path, "62001", [("Oui", 5), ("Non", 3), ("Peut-être", "s")], 8)
    assert recalculs(tmp_path) == []


def test_one_base_per_row_is_not_a_distribution(tmp_path):
    write_page(tmp_path / "a.html", section(
        "Taux de réponse", ["Questionnaire", "Réponses reçues", "Taux de réponse",
                            "Base (questionnaires envoyés)"],
        [["Communes", 19, pct(19, 19), 19], ["Associations", "s", "s", 21],
         ["Conseils", 7, pct(7, 30), 30]]))
    assert recalculs(tmp_path) == []


def test_several_blocks_need_a_fully_shown_block_that_adds_up(tmp_path):
    # the codes of an interview: several per interview, blocks per actor type
    headers = ["Type d'acteur", "Code", "Entretiens", "Part", "Base (n)"]
    rows = [["élu", "frein", 3, pct(3, 8), 8], ["élu", "levier", 6, pct(6, 8), 8],
            ["habitant", "frein", "s", "s", 9], ["habitant", "levier", 5, pct(5, 9), 9]]
    write_page(tmp_path / "a.html", section("Codes par type d'acteur", headers, rows))
    assert recalculs(tmp_path) == []


# --- soundness on random tables ----------------------------------------------------------

def _random_tables(rng: random.Random, n_tables: int):
    """Random single-choice distributions, masked at random, with their truth."""
    sections, truths = [], []
    for k in range(n_tables):
        labels = [f"Choix {i}" for i in range(rng.randint(2, 5))]
        counts = [rng.randint(0, 9) for _ in labels]
        base = sum(counts)
        if base == 0:
            counts[0], base = 1, 1
        nr = rng.randint(0, 3)
        stated = rng.random() < 0.5
        rows, truth = [], []
        hide_base = rng.random() < 0.15
        for label, n in zip(labels, counts):
            hide = rng.random() < 0.4
            share_shown = hide and rng.random() < 0.3
            rows.append([label, "s" if hide else n,
                         pct(n, base) if (not hide or share_shown) else "s",
                         "s" if hide_base else base])
            truth.append([label, n, n / base, base])
        hide_nr = rng.random() < 0.3
        rows.append(["Non-réponse", "s" if hide_nr else nr, "–", "s" if hide_base else base])
        truth.append(["Non-réponse", nr, None, base])
        notes = ["Base : répondants à la question, non-réponses exclues"] if stated else []
        sections.append(section(f"Question {k}", SURVEY, rows, notes))
        truths.append(truth)
    return sections, truths


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_recovered_value_is_the_true_value(tmp_path, seed):
    rng = random.Random(seed)
    sections, truths = _random_tables(rng, 40)
    path = write_page(tmp_path / "a.html", *sections)
    tables, _ = read_html(path, "a.html", None)
    recoveries = solve(build_model(tables))
    assert recoveries, "random masks always leave something recoverable"
    for rec in recoveries:
        true = truths[rec.table][rec.row][rec.column]
        assert rec.lo - 1e-9 <= true <= rec.hi + 1e-9, (rec, true)
    # a single hidden choice with its base shown and the non-response rule stated (or no
    # non-response shown) is always found
    by_table = {(r.table, r.row, r.column) for r in recoveries}
    for t, table in enumerate(tables):
        hidden = [r for r, row in enumerate(table.rows[:-1]) if row[1].kind == "secret"]
        if (len(hidden) == 1 and table.rows[0][3].kind == "number"
                and ((table.rows[-1][1].kind == "number" and table.rows[-1][1].hi == 0)
                     or "exclues" in table.notes)):
            assert (t, hidden[0], 1) in by_table


def test_random_communes_against_agglomeration_are_sound(tmp_path):
    rng = random.Random(7)
    labels = ["Oui", "Non", "Sans avis"]
    checked = 0
    for q in range(6):
        communes = {f"620{i:02d}": [rng.randint(0, 6) for _ in labels] for i in range(4)}
        agglo = [sum(c[j] for c in communes.values()) for j in range(len(labels))]
        _commune_question(tmp_path, "agglomeration", list(zip(labels, agglo)), sum(agglo))
        truths = {"agglomeration": agglo}
        for code, counts in communes.items():
            shown = [("s" if rng.random() < 0.35 else n) for n in counts]
            _commune_question(tmp_path, code, list(zip(labels, shown)), sum(counts))
            truths[code] = counts
        found = recalculs(tmp_path)
        for f in found:
            if "colonne « Effectif »" not in f.location:
                continue
            scope = Path(f.file).parts[0]
            label = f.location.split("ligne « ")[1].split(" »")[0]
            assert int(f.value) == truths[scope][labels.index(label)], f.message()
            checked += 1
    assert checked


def test_random_multiple_choice_tables_give_only_certain_values(tmp_path):
    """Counts of a multiple-choice question (with its note) never add up: whatever is
    found comes from share × base alone, and is true."""
    rng = random.Random(11)
    sections, truths = [], []
    for k in range(30):
        base = rng.randint(5, 15)
        counts = [rng.randint(0, base) for _ in range(4)]
        rows = []
        for i, n in enumerate(counts):
            hide = rng.random() < 0.4
            rows.append([f"Choix {i}", "s" if hide else n,
                         pct(n, base) if not hide or rng.random() < 0.3 else "s", base])
        sections.append(section(f"Question {k}", SURVEY, rows,
                                ["Plusieurs réponses possibles : le total dépasse 100 %."]))
        truths.append([[r[0], n, n / base, base] for r, n in zip(rows, counts)])
    path = write_page(tmp_path / "a.html", *sections)
    tables, _ = read_html(path, "a.html", None)
    for rec in solve(build_model(tables)):
        true = truths[rec.table][rec.row][rec.column]
        assert rec.lo - 1e-9 <= true <= rec.hi + 1e-9
        assert "part arrondie" in rec.equation or "/" in rec.equation


def test_non_responses_may_exceed_a_base_that_excludes_them(tmp_path):
    # nobody answered: base 0, the masked non-responses are not « at most 0 »
    write_page(tmp_path / "a.html", section(
        "Q1", SURVEY, [["Oui", 0, "–", 0], ["Non", 0, "–", 0], ["Non-réponse", "s", "–", 0]],
        notes=["Base : 0 répondants à la question"]))
    assert recalculs(tmp_path) == []


def _scope_workbook(path: Path, scope: str, rows, base: int) -> None:
    """A workbook laid out per theme sheet: title row, « Périmètre » and caption lines,
    header, rows, a link back to the Sommaire, two empty rows, the next table."""
    wb = Workbook()
    wb.active.title = "Sommaire"
    wb.active.append(["Sommaire des tableaux"])
    ws = wb.create_sheet("Gouvernance")
    for title, table_rows in (("Autre question", [("Oui", base), ("Non", 0)]),
                              ("La gouvernance convient-elle ?", rows)):
        ws.append([title])
        ws.append([f"Périmètre : {scope}"])
        ws.append(["Base : répondants à la question, non-réponses exclues"])
        ws.append(SURVEY)
        for label, n in table_rows:
            ws.append([label, n, n / base if isinstance(n, int) and base else "s", base])
            ws.cell(ws.max_row, 3).number_format = "0.0 %"
        ws.append(["← Retour au sommaire"])
        ws.append([])
        ws.append([])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_workbooks_per_scope_compared_through_their_perimetre(tmp_path):
    _scope_workbook(tmp_path / "tableaux.xlsx", "Agglomération",
                    [("Oui", 10), ("Non", 6), ("Peut-être", 4)], 20)
    _scope_workbook(tmp_path / "62001" / "tableaux.xlsx", "Angres (62001)",
                    [("Oui", 6), ("Non", "s"), ("Peut-être", "s")], 10)
    _scope_workbook(tmp_path / "62002" / "tableaux.xlsx", "Avion (62002)",
                    [("Oui", 4), ("Non", 3), ("Peut-être", 3)], 10)
    found = [f for f in recalculs(tmp_path) if "colonne « Effectif »" in f.location]
    assert sorted((f.file, f.location.split(" (ligne")[0], f.value) for f in found) == [
        (str(Path("62001") / "tableaux.xlsx"), ("feuille « Gouvernance », tableau 2 « La "
                                                "gouvernance convient-elle ? », cellule B15"),
         "3"),
        (str(Path("62001") / "tableaux.xlsx"), ("feuille « Gouvernance », tableau 2 « La "
                                                "gouvernance convient-elle ? », cellule B16"),
         "1")]


def test_group_base_is_the_count_of_the_same_label_in_another_table(tmp_path):
    # interviews per actor type, then codes per actor type with the type's interviews as
    # base: both tables say how many interviews each type had
    counts = {"habitant": 14, "association": 12, "élu": 8, "technicien": 6}
    hidden = {"élu", "technicien"}  # two hidden: the sum to the base alone cannot tell
    per_type = section("Entretiens par type d'acteur", ["Type d'acteur", "Entretiens", "Part",
                                                        "Base (n)"],
                       [[k, "s" if k in hidden else v, "s" if k in hidden else pct(v, 40), 40]
                        for k, v in counts.items()])
    codes = section("Codes par type d'acteur", ["Type d'acteur", "Code", "Entretiens", "Part",
                                                "Base (n)"],
                    [[k, code, 2, pct(2, v), v] for k, v in counts.items()
                     for code in ("frein", "levier")],
                    notes=["Un code cité plusieurs fois dans un entretien compte une fois."])
    write_page(tmp_path / "agglomeration" / "participation.html", per_type, codes)
    found = [f for f in recalculs(tmp_path) if "colonne « Entretiens »" in f.location
             and "tableau 1" in f.location]
    assert [f.value for f in found] == ["8", "6"]
    assert all("Codes par type d'acteur" in f.detail for f in found)


def test_total_row_reading_of_non_responses_checked_on_a_shown_column(tmp_path):
    # the « Actions » column shows that the total includes the non-response row
    write_page(tmp_path / "a.html", section(
        "Actions par public", ["Public", "Actions", "Montant accordé"],
        [["Jeunes", 5, "s"], ["Seniors", 3, "20 000 €"], ["Non-réponse", 2, "5 000 €"],
         ["Total", 10, "40 000 €"]]))
    (found,) = recalculs(tmp_path)
    assert "15\u00a0000" in found.value


def test_a_category_named_like_a_total_is_not_a_total(tmp_path):
    write_page(tmp_path / "a.html", section(
        "Actions de santé par public", ["Public", "Actions"],
        [["Jeunes", 5], ["Seniors", "s"], ["Tous publics", 9]]))
    assert recalculs(tmp_path) == []


def test_unreadable_file_is_reported_not_skipped(tmp_path):
    (tmp_path / "tableaux.xlsx").write_bytes(b"pas un classeur")
    findings = audit_dir(tmp_path, threshold=5)
    assert [(f.file, f.kind) for f in findings] == [("tableaux.xlsx", "lecture")]
    assert main(["audit", str(tmp_path)]) == 1
