"""Build an XLSForm workbook and its KoboToolbox CSV export, in their published layouts,
for the importer's tests. The respondents are the same six as in ``lime_files`` (LimeSurvey
export), so the counts computed by hand are the same."""

from __future__ import annotations

import csv
import io
from pathlib import Path

FR, EN = "label::Français (fr)", "label::English (en)"

SURVEY = [  # type, name, fr, en, appearance
    ("start", "start", "", "", ""),
    ("end", "end", "", "", ""),
    ("begin_group", "profil", "Profil", "Profile", "field-list"),
    ("select_one type_structure or_other", "type", "Type de structure", "Organisation", ""),
    ("select_multiple domaines", "domaines", "Domaines d'intervention", "Fields", ""),
    ("integer", "salaries", "Nombre de salariés", "Employees", ""),
    ("end_group", "", "", "", ""),
    ("begin_group", "cooperation", "Niveau de coopération avec chaque signataire",
     "Cooperation level", "table-list"),
    ("select_one niveaux", "coop_etat", "État", "State", ""),
    ("select_one niveaux", "coop_region", "Région", "Region", ""),
    ("select_one niveaux", "coop_dep", "Département", "County", ""),
    ("end_group", "", "", "", ""),
    ("text", "propositions", "Vos propositions", "Your proposals", "multiline"),
    ("select_one satisf", "satisfaction", "Satisfaction globale", "Satisfaction", ""),
    ("date", "date_entretien", "Date de l'entretien", "Date", ""),
    ("note", "merci", "Merci !", "Thanks!", ""),
    ("calculate", "total", "", "", ""),
]

CHOICES = [  # list_name, name, fr, en — the level order is the sheet order
    ("type_structure", "association", "Association", "Association"),
    ("type_structure", "commune", "Commune", "Municipality"),
    ("type_structure", "bailleur", "Bailleur", "Landlord"),
    ("domaines", "sante", "Santé", "Health"),
    ("domaines", "emploi", "Emploi", "Jobs"),
    ("domaines", "culture", "Culture", "Culture"),
    ("niveaux", "relation", "Relation", "Relation"),
    ("niveaux", "connexion", "Connexion", "Connection"),
    ("niveaux", "cooperation", "Coopération", "Cooperation"),
    ("niveaux", "cohesion", "Cohésion", "Cohesion"),
    ("satisf", "pas", "Pas satisfait", "Unsatisfied"),
    ("satisf", "moyen", "Moyennement satisfait", "Fairly"),
    ("satisf", "satisfait", "Satisfait", "Satisfied"),
]


def xlsform(path: Path, survey=None, choices=None, default_language="Français (fr)") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", FR, EN, "appearance", "required", "relevant"])
    for t, n, fr, en, app in (SURVEY if survey is None else survey):
        ws.append([t, n or None, fr or None, en or None, app or None,
                   "true" if t.startswith("select") else None, None])
    wc = wb.create_sheet("choices")
    wc.append(["list_name", "name", FR, EN])
    for row in (CHOICES if choices is None else choices):
        wc.append(list(row))
    wset = wb.create_sheet("settings")
    wset.append(["form_title", "form_id", "default_language", "version"])
    wset.append(["Enquête partenaires (Kobo)", "partenaires_kobo", default_language, "2024030401"])
    wb.save(path)
    return path


# same respondents as lime_files.ROWS (the incomplete one excluded)
RESPONSES = [
    # type, type_other, domaines, salaries, etat, region, dep, propositions, satisfaction
    ("association", "", "sante emploi", "3", "relation", "connexion", "cooperation", "Très utile", "satisfait"),
    ("commune", "", "sante", "10", "connexion", "connexion", "", "", "pas"),
    ("other", "Centre social", "", "", "cohesion", "cooperation", "relation",
     "Plus de réunions; moins de papier", "moyen"),
    ("association", "", "emploi", "0", "cooperation", "", "connexion",
     'Des "moyens" en plus,\nsur deux lignes', "satisfait"),
    ("", "", "sante", "7.5", "", "", "", "", ""),
    ("association", "", "sante emploi", "4", "relation", "relation", "cohesion", "", "moyen"),
]


def kobo_csv(groups: bool = True, split: bool = True, sep: str = ";", encoding: str = "utf-8-sig",
             responses=None) -> bytes:
    """Kobo's CSV export: XML names, group paths when *groups*, 0/1 columns per choice of
    select_multiple when *split*, then the ``_id``, ``_uuid``... columns."""
    g = (lambda grp, name: f"{grp}/{name}") if groups else (lambda grp, name: name)
    header = ["start", "end", g("profil", "type"), g("profil", "type_other"),
              g("profil", "domaines")]
    if split:
        header += [g("profil", "domaines/sante"), g("profil", "domaines/emploi"),
                   g("profil", "domaines/culture")]
    header += [g("profil", "salaries"), g("cooperation", "coop_etat"),
               g("cooperation", "coop_region"), g("cooperation", "coop_dep"), "propositions",
               "satisfaction", "date_entretien", "total", "_id", "_uuid", "_submission_time",
               "_validation_status", "_notes", "_status", "_submitted_by", "__version__",
               "_tags", "_index"]
    rows = []
    for i, (t, other, dom, sal, e, r, d, prop, sat) in enumerate(RESPONSES if responses is None
                                                                  else responses, start=1):
        row = [f"2024-03-0{i}T10:00:00.000+01:00", f"2024-03-0{i}T10:20:00.000+01:00", t, other, dom]
        if split:
            ticks = dom.split()
            row += [("1" if c in ticks else "0") if dom else "" for c in ("sante", "emploi", "culture")]
        row += [sal, e, r, d, prop, sat, "", "", str(1000 + i),
                f"5f1c0a4e-0000-4000-8000-00000000000{i}", f"2024-03-0{i}T09:20:00", "", "",
                "submitted_via_web", "", "vXyZ", "", str(i)]
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
