"""XLSForm (KoboToolbox, ODK, SurveyCTO): form workbook (``.xlsx``) and its CSV export →
a questionnaire definition (``questionnaires/<id>.yaml``) and its responses.

The workbook has a ``survey`` sheet (``type``, ``name``, ``label`` or ``label::Langue (xx)``,
``appearance``...), a ``choices`` sheet (``list_name``, ``name``, ``label``...) and a
``settings`` sheet (``form_title``, ``form_id``, ``default_language``).

=========================  ===========================================================
``select_one L``           ``unique`` (``echelle`` with ``--echelle``); ``or_other`` adds
                           « Autre » (``other``) and the text column ``<name>_other``
``select_multiple L``      ``multiple``: one column per choice, the export's 0/1 split
                           columns (``q/choix``) when present, else derived here from the
                           space-separated cell
``integer`` ``decimal``    ``numerique``
``text``                   ``texte``
group ``table-list``       its ``select_one`` questions sharing one list → one ``matrice``
                           (rows = questions, levels = the list in its order)
=========================  ===========================================================

Metadata (``start``, ``end``, ``today``, ``deviceid``...), notes and groups carry no answer;
``date``, ``calculate``, repeats, geopoints, media... have no contract type: each is listed
in the report with its reason.

Kobo's export names columns by the XML names, with the group path when « include groups »
is on (``cooperation/coop_etat``); both spellings are accepted.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdv_lib.errors import DataError, Problem
from cdv_lib.importers.common import (
    COMMUNE_CODE_COLUMN,
    ImportReport,
    ImportResult,
    communes_of_choices,
    csv_bytes,
    fail,
    read_input,
    survey_result,
)
from cdv_lib.importers.limesurvey import COMMUNE_ATTRIBUTE, _unique_labels, parse_attributes, slug
from cdv_lib.survey.definition import Choice
from cdv_lib.survey.matching import ChoiceMatcher, is_blank

DESCRIPTION = ("formulaire XLSForm (KoboToolbox, ODK) : classeur .xlsx et export CSV des "
               "réponses")
FILES_HELP = "FORMULAIRE.xlsx [EXPORT.csv]"

METADATA = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
            "username", "email", "audit", "imei", "start-geopoint", "background-audio"}
NO_DATA = {"note", "begin_group", "end_group", "begin group", "end group"}
UNMAPPED = {
    "date": "date : le contrat n'a pas de type date pour les questionnaires",
    "time": "heure : pas de type correspondant",
    "datetime": "date et heure : pas de type correspondant",
    "calculate": "calcul : valeur calculée par le formulaire, pas une réponse",
    "begin_repeat": "répétition : ses réponses sont exportées dans un autre fichier",
    "begin repeat": "répétition : ses réponses sont exportées dans un autre fichier",
    "geopoint": "position GPS", "geotrace": "tracé GPS", "geoshape": "surface GPS",
    "image": "photo", "audio": "son", "video": "vidéo", "file": "fichier joint",
    "barcode": "code-barres", "acknowledge": "acquittement", "range": "curseur : pas de type correspondant",
    "rank": "classement : pas de type correspondant", "hidden": "champ caché",
    "select_one_from_file": "liste de choix dans un fichier externe",
    "select_multiple_from_file": "liste de choix dans un fichier externe",
}
ID_CANDIDATES = ("_uuid", "_id", "KEY", "meta/instanceID", "instanceID", "_index")
GROUP_SEPARATORS = ("/", ".", ":")
OTHER_CODE = "other"
TICK, NO_TICK = "1", "0"


@dataclass
class FormRow:
    """One row of the ``survey`` sheet: ``row`` is the sheet row number, ``group`` the
    path of enclosing group names, ``table_list`` the enclosing table-list group or None."""

    row: int
    type: str
    list_name: str | None
    or_other: bool
    name: str
    label: str
    appearance: str
    group: tuple[str, ...]
    group_labels: tuple[str, ...]
    table_list: str | None
    repeat: str | None = None  # enclosing repeat, whose answers are exported apart


@dataclass
class Form:
    """The parts of an XLSForm the importer uses."""

    title: str
    form_id: str
    language: str | None
    languages: list[str]
    rows: list[FormRow]
    choices: dict[str, list[tuple[str, str]]]  # list_name -> [(name, label)] in sheet order


def _sheet(wb, name: str, label: str, required: bool = True):
    for sheet in wb.sheetnames:
        if sheet.strip().lower() == name:
            ws = wb[sheet]
            rows = list(ws.iter_rows(values_only=True))
            if not rows:
                break
            header = ["" if v is None else str(v).strip() for v in rows[0]]
            data = []
            for i, values in enumerate(rows[1:], start=2):
                record = {h: ("" if v is None else str(v).strip())
                          for h, v in zip(header, values) if h}
                if any(record.values()):
                    data.append((i, record))
            return header, data
    if required:
        raise fail(label, f"une feuille « {name} » (formulaire XLSForm) ; feuilles trouvées : "
                   + ", ".join(f"« {s} »" for s in wb.sheetnames))
    return [], []


def _label_column(header: list[str], language: str | None) -> str | None:
    if language is None:
        return "label" if "label" in header else None
    exact = f"label::{language}"
    if exact in header:
        return exact
    for h in header:
        if h.startswith("label::") and re.search(rf"\({re.escape(language)}\)\s*$", h):
            return h
    return None


def form_languages(header: list[str]) -> list[str]:
    """Languages of the ``label::…`` columns, in sheet order."""
    return [h.split("::", 1)[1].strip() for h in header if h.startswith("label::")]


def parse_xlsform(path: Path, language: str | None = None, file_label: str | None = None) -> Form:
    """Read an XLSForm workbook.

    Parameters
    ----------
    path : the ``.xlsx`` form.
    language : label language (``Français (fr)`` or its code ``fr``); default: the
        ``default_language`` of the settings when it has labels, else the plain ``label``
        column, else the first ``label::`` language.

    Raises
    ------
    DataError
        unreadable workbook, missing sheet or column, unknown language, a select without
        its list, a group not closed.
    """
    import zipfile

    from openpyxl import load_workbook

    label = file_label or path.name
    if not path.is_file():
        raise fail(label, f"un fichier existant ({path})")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise fail(label, f"un classeur .xlsx lisible ({type(exc).__name__})") from None
    s_header, s_rows = _sheet(wb, "survey", label)
    c_header, c_rows = _sheet(wb, "choices", label)
    _, settings_rows = _sheet(wb, "settings", label, required=False)
    settings = settings_rows[0][1] if settings_rows else {}
    for needed in ("type", "name"):
        if needed not in s_header:
            raise fail(f"{label} (feuille « survey »)", f"une colonne « {needed} »", row=1)
    languages = form_languages(s_header)
    default = settings.get("default_language") or None
    if language is None:
        if default and _label_column(s_header, default):
            language = default
        elif "label" in s_header:
            language = None
        elif languages:
            language = languages[0]
    label_col = _label_column(s_header, language)
    if label_col is None and not (language is None and "label" in s_header):
        known = ", ".join(languages) or "aucune (colonne label seule)"
        raise fail(f"{label} (feuille « survey »)", "une langue des libellés du formulaire : " + known,
                   column="--langue", value=language)
    choice_label = _label_column(c_header, language) or ("label" if "label" in c_header else None)
    for needed in ("list_name", "name"):
        if needed not in c_header:
            raise fail(f"{label} (feuille « choices »)", f"une colonne « {needed} »", row=1)
    choices: dict[str, list[tuple[str, str]]] = {}
    for _, rec in c_rows:
        lst, name = rec.get("list_name", ""), rec.get("name", "")
        if lst and name:
            text = (rec.get(choice_label, "") if choice_label else "") or name
            choices.setdefault(lst, []).append((name, text))

    rows: list[FormRow] = []
    stack: list[tuple[str, str, bool, int, bool]] = []  # (name, label, table_list, row, repeat)
    problems = []
    for rownum, rec in s_rows:
        raw_type = re.sub(r"\s+", " ", rec.get("type", "")).strip()
        base = raw_type.lower()
        parts = raw_type.split(" ")
        list_name, or_other = None, False
        if parts[0].lower() in ("select_one", "select_multiple") and len(parts) >= 2:
            base = parts[0].lower()
            list_name = parts[1]
            or_other = len(parts) > 2 and parts[2].lower() == "or_other"
            if list_name not in choices:
                problems.append(Problem(f"{label} (feuille « survey »)", rownum, "type", raw_type,
                                        f"une liste « {list_name} » dans la feuille choices"))
        text = rec.get(label_col, "") if label_col else ""
        appearance = rec.get("appearance", "").strip().lower()
        if base in ("begin_group", "begin group", "begin_repeat", "begin repeat"):
            table_list = "table-list" in appearance and "group" in base
            stack.append((rec.get("name", ""), text, table_list, rownum, "repeat" in base))
        if base in ("end_group", "end group", "end_repeat", "end repeat"):
            if not stack:
                problems.append(Problem(f"{label} (feuille « survey »)", rownum, "type", raw_type,
                                        "un end_group précédé de son begin_group"))
            else:
                stack.pop()
            continue
        in_groups = stack[:-1] if base.startswith("begin") else stack
        table = next((g[0] for g in reversed(in_groups) if g[2]), None)
        repeat = next((g[0] for g in in_groups if g[4]), None)
        rows.append(FormRow(rownum, base, list_name, or_other, rec.get("name", ""), text,
                            appearance, tuple(g[0] for g in in_groups),
                            tuple(g[1] for g in in_groups if g[1]), table, repeat))
    if stack:
        problems.append(Problem(f"{label} (feuille « survey »)", stack[-1][3], "type", "begin_group",
                                f"un end_group fermant le groupe « {stack[-1][0]} »"))
    if problems:
        raise DataError(problems)
    title = settings.get("form_title") or path.stem
    return Form(title, settings.get("form_id") or "", language, languages, rows, choices)


# --------------------------------------------------------------------------- mapping
@dataclass
class XlsMapping:
    """Definition parts built from a form: ``questions`` (YAML dicts); ``columns``: key →
    candidate export columns (group paths); ``multiples``: question → (cell column key,
    [(choice, derived column)]); report lines."""

    questions: list[dict] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    multiples: dict[str, tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)
    choice_codes: dict[str, list[str]] = field(default_factory=dict)
    mapped: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _paths(row: FormRow, name: str | None = None) -> list[str]:
    name = name or row.name
    out = []
    if row.group:
        for sep in GROUP_SEPARATORS:
            out.append(sep.join([*row.group, name]))
    out.append(name)
    return list(dict.fromkeys(out))


def map_form(form: Form, *, scales=(), theme: str | None = None,
             file_label: str = "formulaire.xlsx") -> XlsMapping:
    """Map the rows of *form* to the contract's questions (see the module docstring)."""
    m = XlsMapping()
    scales = list(scales)
    by_name = {r.name: r for r in form.rows}
    problems = [Problem(file_label, None, "--echelle", s, "une question select_one du formulaire")
                for s in scales if s not in by_name or by_name[s].type != "select_one"]
    if problems:
        raise DataError(problems)

    def base(row, qid, qtype, text):
        d = {"id": qid, "libelle": text or qid, "type": qtype}
        if theme:
            d["theme"] = theme
        if row.group_labels:
            d["axe"] = row.group_labels[0]
        return d

    def choice_list(row):
        items = [{"code": n, "libelle": lab} for n, lab in form.choices.get(row.list_name, [])]
        if row.or_other:
            items.append({"code": OTHER_CODE, "libelle": "Autre"})
        return _unique_labels(items)

    # table-list groups: their select_one questions sharing one list become one matrix
    grids: dict[str, list[FormRow]] = {}
    for r in form.rows:
        if r.table_list and r.type == "select_one" and r.name not in scales:
            grids.setdefault(r.table_list, []).append(r)
    grid_rows = {}
    for group, members in grids.items():
        lists = {r.list_name for r in members}
        if len(lists) == 1 and len(members) >= 1:
            for r in members:
                grid_rows[r.name] = group
        else:
            m.notes.append(f"groupe table-list « {group} » : listes différentes ("
                           + ", ".join(sorted(lists)) + ") ; ses questions restent séparées")
    done_grids: set[str] = set()
    group_rows = {r.name: r for r in form.rows if r.type in ("begin_group", "begin group")}

    for r in form.rows:
        t = r.type
        where = f"{r.name} ({t}{' ' + r.list_name if r.list_name else ''}, ligne {r.row})"
        if t in ("begin_group", "begin group"):
            continue
        if r.repeat is not None:
            if t not in NO_DATA:
                m.dropped.append((f"{r.name} ({t}, ligne {r.row})",
                                  f"dans la répétition « {r.repeat} » : ses réponses sont "
                                  "exportées dans une autre feuille ou un autre fichier"))
            continue
        if t in METADATA:
            m.dropped.append((f"{r.name} ({t})", "métadonnée du formulaire, pas une réponse"))
            continue
        if t == "note":
            continue
        if r.name in grid_rows:
            group = grid_rows[r.name]
            if group in done_grids:
                continue
            done_grids.add(group)
            members = [x for x in grids[group]]
            grow = group_rows.get(group)
            d = base(members[0], group, "matrice", grow.label if grow else group)
            if grow is not None and grow.group_labels:
                d["axe"] = grow.group_labels[0]
            elif "axe" in d and grow is not None and d["axe"] == grow.label:
                d.pop("axe")
            d["lignes"] = [{"code": x.name, "libelle": x.label or x.name, "colonne": x.name}
                           for x in members]
            for x in members:
                m.columns[x.name] = _paths(x)
            d["choix"] = choice_list(members[0])
            m.questions.append(d)
            m.mapped.append((f"groupe table-list {group}",
                             f"matrice, {len(members)} lignes × {len(d['choix'])} niveaux"))
            continue
        if t == "select_one":
            qtype = "echelle" if r.name in scales else "unique"
            d = base(r, r.name, qtype, r.label)
            d["colonne"] = r.name
            d["choix"] = choice_list(r)
            m.columns[r.name] = _paths(r)
            m.questions.append(d)
            m.choice_codes[r.name] = [c["code"] for c in d["choix"]]
            m.mapped.append((where, f"{qtype}, {len(d['choix'])} choix"))
            if r.or_other:
                _text(m, base(r, f"{r.name}_other", "texte", f"{r.label} — Autre (précisez)"),
                      _paths(r, f"{r.name}_other"))
            continue
        if t == "select_multiple":
            items = choice_list(r)
            d = base(r, r.name, "multiple", r.label)
            d["format"] = "limesurvey"
            derived = [(c["code"], f"{r.name}/{c['code']}") for c in items]
            d["choix"] = [{**c, "colonne": col} for c, (_, col) in zip(items, derived)]
            m.columns[r.name] = _paths(r)
            for code, col in derived:
                m.columns[col] = _paths(r, col)
            m.multiples[r.name] = (r.name, derived)
            m.questions.append(d)
            m.mapped.append((where, f"multiple, {len(items)} choix (une colonne 0/1 par choix)"))
            if r.or_other:
                _text(m, base(r, f"{r.name}_other", "texte", f"{r.label} — Autre (précisez)"),
                      _paths(r, f"{r.name}_other"))
            continue
        if t in ("integer", "decimal"):
            d = base(r, r.name, "numerique", r.label)
            d["colonne"] = r.name
            m.columns[r.name] = _paths(r)
            m.questions.append(d)
            m.mapped.append((where, "numerique"))
            continue
        if t == "text":
            _text(m, base(r, r.name, "texte", r.label), _paths(r))
            m.mapped.append((where, "texte"))
            continue
        reason = UNMAPPED.get(t, f"type XLSForm « {t} » inconnu de l'importateur")
        m.dropped.append((f"{r.name} ({t}, ligne {r.row})", reason))
    return m


def _text(m: XlsMapping, d: dict, paths: list[str]) -> None:
    d["colonne"] = d["id"]
    m.columns[d["id"]] = paths
    m.questions.append(d)
    if d["id"].endswith("_other"):
        m.mapped.append((f"{d['id']} (précision de « Autre »)", f"texte {d['id']}"))


# --------------------------------------------------------------------------- responses
def resolve(columns: dict[str, list[str]], header: list[str]) -> dict[str, str]:
    """Export column of each key: the first candidate present in *header*."""
    present = set(header)
    return {key: next(c for c in cands if c in present)
            for key, cands in columns.items() if any(c in present for c in cands)}


def responses_frame(frame: pd.DataFrame, mapping: XlsMapping, found: dict[str, str],
                    id_column: str, file_label: str) -> pd.DataFrame:
    """The responses as written: id, then one column per key of the definition (renamed
    from the export's group paths), 0/1 columns of multiple choices taken from the export
    or derived from the space-separated cell. Index = the export's row numbers.

    Raises
    ------
    DataError
        a multiple-choice cell names a choice that is not in the list.
    """
    out = pd.DataFrame({id_column: frame[id_column]}, index=frame.index)
    problems = []
    for key, col in found.items():
        if any(key == d for _, ds in mapping.multiples.values() for _, d in ds):
            continue
        out[key] = frame[col]
    for qid, (cell_key, derived) in mapping.multiples.items():
        split_present = [d for _, d in derived if d in found]
        if len(split_present) == len(derived):
            for _, d in derived:
                out[d] = frame[found[d]]
            continue
        cells = frame[found[cell_key]]
        codes = [c for c, _ in derived]
        for row, cell in cells.items():
            if is_blank(cell):
                continue
            unknown = [v for v in str(cell).split() if v not in codes]
            if unknown:
                problems.append(Problem(file_label, int(row), found[cell_key], cell,
                                        f"des noms de choix de « {qid} » séparés par des espaces "
                                        f"({', '.join(codes)})"))
        for code, d in derived:
            out[d] = cells.map(lambda v, c=code: "" if is_blank(v) else
                               (TICK if c in str(v).split() else NO_TICK))
    if problems:
        raise DataError(problems)
    return out


# --------------------------------------------------------------------------- command
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", dest="survey_id", default=None, metavar="ID",
                        help="identifiant du questionnaire (défaut : form_id, sinon le titre)")
    parser.add_argument("--titre", default=None, help="titre (défaut : form_title)")
    parser.add_argument("--langue", default=None, metavar="LANGUE",
                        help="langue des libellés : « Français (fr) » ou « fr » (défaut : "
                             "default_language du formulaire)")
    parser.add_argument("--echelle", action="append", default=[], metavar="q4,q7",
                        help="questions select_one dont les choix sont ordonnés (échelle)")
    parser.add_argument("--theme", default=None, help="thème des questions (ex. gouvernance)")
    parser.add_argument("--attribut", action="append", default=[], metavar="NOM=NOM_XLSFORM",
                        help="variable de croisement : NOM=nom de question ou colonne de "
                             "l'export (ex. commune=commune) ; répétable")
    parser.add_argument("--envoyes", type=int, default=None, metavar="N",
                        help="questionnaires envoyés (taux de réponse)")
    parser.add_argument("--identifiant", default=None, metavar="COLONNE",
                        help="colonne identifiant la soumission (défaut : _uuid, _id, KEY…)")


def build(files: list[Path], args: argparse.Namespace, data_dir: Path) -> ImportResult:
    """Read ``FORMULAIRE.xlsx [EXPORT.csv]`` and produce the questionnaire files."""
    if not 1 <= len(files) <= 2:
        raise fail("cdv import xlsform", "un classeur .xlsx, puis éventuellement l'export CSV",
                   value=" ".join(str(f) for f in files))
    form_path = files[0]
    if form_path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise fail(form_path.name, "un formulaire XLSForm .xlsx en premier")
    language = args.langue
    form = parse_xlsform(form_path, language)
    report = ImportReport("xlsform")
    report.read.append(f"{form_path.name} : formulaire « {form.title} », {len(form.rows)} lignes "
                       f"de questions, {len(form.choices)} listes de choix")
    if len(form.languages) > 1 or (form.languages and form.language is None):
        report.notes.append("libellés en « " + (form.language or "label") + " »"
                            + ("" if args.langue else " (langue par défaut)") + " ; langues du "
                            "formulaire : " + ", ".join(form.languages) + " (--langue pour choisir)")
    scales = [t.strip() for spec in args.echelle for t in spec.split(",") if t.strip()]
    mapping = map_form(form, scales=scales, theme=args.theme, file_label=form_path.name)
    if not mapping.questions:
        raise fail(form_path.name, "au moins une question d'un type reconnu (select_one, "
                   "select_multiple, integer, decimal, text)")
    survey_id = args.survey_id or slug(form.form_id) or slug(form.title) or "xlsform"
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", survey_id):
        raise fail(form_path.name, "un identifiant de lettres, chiffres, « _ », « - » ou « . »",
                   column="--id", value=survey_id)
    attributes = parse_attributes(args.attribut)
    by_id = {q["id"]: q for q in mapping.questions}
    attr_specs = {}
    commune_from = None  # (question column, choice code -> code_insee, matcher)
    for name, key in attributes.items():
        q = by_id.get(key)
        if q is not None and "colonne" not in q:
            raise fail(form_path.name, "une question à une seule colonne ou une colonne de l'export",
                       column="--attribut", value=f"{name}={key}")
        spec = {"colonne": key}
        if q is not None and q["type"] in ("unique", "echelle") and OTHER_CODE not in mapping.choice_codes[key]:
            spec["valeurs"] = list(mapping.choice_codes[key])
        if q is None:
            mapping.columns.setdefault(key, [key])
        if name == COMMUNE_ATTRIBUTE and q is not None and q["type"] in ("unique", "echelle"):
            insee = communes_of_choices(q["choix"], data_dir)
            if insee and any(k != v for k, v in insee.items()):
                commune_from = (key, insee, ChoiceMatcher([Choice(c["code"], c["libelle"])
                                                           for c in q["choix"]]))
                spec = {"colonne": COMMUNE_CODE_COLUMN, "valeurs": sorted(set(insee.values()))}
                report.notes.append(f"attribut commune : les choix de {key} sont rapprochés des "
                                    f"communes du dossier par leur nom ; colonne « {COMMUNE_CODE_COLUMN} » "
                                    "ajoutée aux réponses")
        attr_specs[name] = spec

    responses_name = f"{survey_id}_reponses.csv"
    yaml_rel, responses_rel = f"questionnaires/{survey_id}.yaml", f"questionnaires/{responses_name}"
    files_out: dict[str, bytes] = {}
    checked_apart: set[str] = set()
    id_column = args.identifiant or ID_CANDIDATES[0]
    responses = label = None
    if len(files) == 2:
        frame = read_input(files[1])
        label = frame.attrs.get("file_label", files[1].name)
        header = [str(c) for c in frame.columns]
        if args.identifiant:
            if args.identifiant not in header:
                raise fail(label, "la colonne identifiant donnée par --identifiant", row=1,
                           column=args.identifiant)
        else:
            id_column = next((c for c in ID_CANDIDATES if c in header), None)
            if id_column is None:
                raise fail(label, "une colonne identifiant la soumission ("
                           + ", ".join(ID_CANDIDATES) + ") ou --identifiant COLONNE", row=1,
                           value=", ".join(header[:8]))
        found = resolve(mapping.columns, header)
        needed = [k for k in mapping.columns
                  if not any(k == d for _, ds in mapping.multiples.values() for _, d in ds)]
        missing = [k for k in needed if k not in found]
        if missing and len(missing) == len(needed):
            raise fail(label, "des colonnes nommées par les noms XLSForm (ex. "
                       + ", ".join(needed[:3]) + ", avec ou sans le chemin des groupes) ; aucune "
                       "trouvée : exporter avec « valeurs et en-têtes XML »", row=1,
                       value=", ".join(header[:6]))
        if missing:
            raise DataError([Problem(label, 1, k, None,
                                     "la colonne de la question « " + k + " » (absente de "
                                     "l'export ; noms essayés : " + ", ".join(mapping.columns[k]) + ")")
                             for k in missing])
        responses = responses_frame(frame, mapping, found, id_column, label)
        if commune_from is not None:
            source, insee, matcher = commune_from
            responses[COMMUNE_CODE_COLUMN] = responses[source].map(
                lambda v: "" if is_blank(v) else insee.get(matcher.match(v) or "", ""))
        used = set(found.values()) | {id_column}
        dropped = [c for c in header if c not in used]
        renamed = [(v, k) for k, v in found.items() if k != v]
        report.read.append(f"{label} : {len(frame)} soumissions, {len(header)} colonnes ; "
                           f"identifiant : {id_column}")
        if renamed:
            report.notes.append(f"{len(renamed)} colonne(s) renommée(s) sans le chemin des groupes "
                                f"(ex. {renamed[0][0]} → {renamed[0][1]})")
        for qid, (_, derived) in mapping.multiples.items():
            if not all(d in found for _, d in derived):
                report.notes.append(f"{qid} : colonnes 0/1 par choix calculées depuis la cellule "
                                    "(noms de choix séparés par des espaces)")
        if dropped:
            report.dropped.append((f"{len(dropped)} colonne(s) de l'export ("
                                   + ", ".join(dropped[:8]) + ("…" if len(dropped) > 8 else "") + ")",
                                   "ni question reprise ni attribut (métadonnées non copiées)"))
        files_out[responses_rel] = csv_bytes(responses.fillna(""))
        report.kept.append(f"{responses_rel} : {len(responses)} réponses, "
                           f"{responses.shape[1]} colonnes")
    else:
        checked_apart.add(yaml_rel)
        report.notes.append("sans export des réponses : seule la définition est écrite ; déposer "
                            f"les réponses sous {responses_rel}, puis cdv validate")

    definition = {"id": survey_id, "titre": args.titre or form.title, "reponses": responses_name,
                  "identifiant": id_column}
    if args.envoyes is not None:
        definition["envoyes"] = str(args.envoyes)
    if attr_specs:
        definition["attributs"] = attr_specs
    definition["questions"] = mapping.questions
    comment = (f"# Produit par « cdv import xlsform » depuis {form_path.name}"
               + (f" et {files[1].name}" if len(files) == 2 else "")
               + (f" (libellés en « {form.language} »)" if form.language else "") + ".\n")
    return survey_result(definition, survey_id=survey_id, yaml_rel=yaml_rel,
                         header_comment=comment, responses=responses, responses_label=label,
                         files_out=files_out, report=report, mapping=mapping,
                         attr_specs=attr_specs, theme=args.theme, checked_apart=checked_apart)
