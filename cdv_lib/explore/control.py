"""Checking a year's data folder before using it (« Contrôler les données de l'année »):
the findings of ``cdv validate`` as tables, a profile of every input file, and what changed
since last year's folder.

Everything here reads files only, never writes, and works on a folder that does **not**
pass validation (that is when an analyst needs it): files are read raw, as strings
(:func:`cdv_lib.readers.read_table`), not through the typed dataset.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import DataError, Problem
from cdv_lib.readers import TABLE_EXTENSIONS, find_table, read_table

FINDING_COLUMNS = ["fichier", "ligne", "colonne", "valeur", "attendu", "message"]
PROFILE_COLUMNS = ["fichier", "contenu", "lignes", "colonnes", "annees", "communes",
                   "cellules_vides", "colonnes_incompletes", "remarque"]
COMPARISON_COLUMNS = ["fichier", "statut", "lignes_avant", "lignes_apres", "cle",
                      "cles_ajoutees", "cles_supprimees", "cles_modifiees", "remarque"]
CHANGE_COLUMNS = ["fichier", "cle", "colonne", "avant", "apres"]

#: tables of the data contract (data/README.md), in contract order
TABLE_NAMES = ("communes", "qpv", "indicateurs", "programmation", "actions_sante", "entretiens",
               "perr", "reunions")
#: the key identifying a row of each table (unique per data/README.md); tables without a
#: natural key are compared row by row
KEYS: dict[str, tuple[str, ...]] = {
    "communes": (C.CODE_INSEE,),
    "qpv": (C.CODE_QPV,),
    "indicateurs": (C.NIVEAU, C.CODE, C.ANNEE, C.INDICATEUR),
    "programmation": (C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR),
    "perr": (C.ID,),
}
YEAR_COLUMNS = (C.ANNEE, "date")
COMMUNE_COLUMNS = (C.CODE_INSEE, C.COMMUNE, C.COMMUNES)
QUESTIONNAIRES = "questionnaires"
_YEAR = re.compile(r"\b(19\d{2}|20\d{2}|2100)\b")


# --- findings of cdv validate ------------------------------------------------------------

def findings(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every problem ``cdv validate`` reports for the folder *path*.

    Returns
    -------
    DataFrame
        one row per problem, in file order: ``fichier``, ``ligne`` (spreadsheet row, header
        = 1; NA for a whole file or column), ``colonne``, ``valeur``, ``attendu``,
        ``message`` (the French sentence of ``cdv validate``). Empty when the data is valid.
    """
    from cdv_lib.validation import validate_dir

    rows = [{"fichier": p.file, "ligne": p.row, "colonne": p.column,
             "valeur": None if p.value is None else str(p.value), "attendu": p.expected,
             "message": p.message()} for p in validate_dir(path)]
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    frame["ligne"] = frame["ligne"].astype("Int64")
    return frame


def findings_by_file(table: pd.DataFrame) -> pd.DataFrame:
    """Number of problems per file: ``fichier``, ``problemes`` (most first)."""
    counts = table.groupby("fichier", sort=False).size().rename("problemes").reset_index()
    return counts.sort_values(["problemes", "fichier"], ascending=[False, True], ignore_index=True)


def findings_html(table: pd.DataFrame) -> str:
    """The count of problems per file, then one titled table per file of a
    :func:`findings` table (HTML for a notebook); a French sentence when there is no
    problem."""
    if table.empty:
        return "<p><b>Aucun problème</b> : le dossier respecte le contrat de données.</p>"
    parts = [f"<p><b>{len(table)} problème{'s' if len(table) > 1 else ''}</b> dans "
             f"{table['fichier'].nunique()} fichier(s).</p>",
             findings_by_file(table).to_html(index=False, border=0, escape=True,
                                             classes="cdv-findings-count")]
    for name, block in table.groupby("fichier", sort=False):
        shown = block[["ligne", "colonne", "valeur", "attendu"]].astype(object).where(
            block[["ligne", "colonne", "valeur", "attendu"]].notna(), "")
        parts.append(f"<h4>{html.escape(str(name))} ({len(block)})</h4>"
                     + shown.to_html(index=False, border=0, escape=True, classes="cdv-findings"))
    return "\n".join(parts)


# --- profile of the inputs ---------------------------------------------------------------

def input_files(path: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """``(content, file)`` of every input of the folder: the contract's tables present,
    then each questionnaire definition and its response file."""
    from cdv_lib.paths import data_dir

    directory = data_dir(path)
    out: list[tuple[str, Path]] = []
    for name in TABLE_NAMES:
        found = find_table(directory, name)
        if found is not None:
            out.append((name, found))
    folder = directory / QUESTIONNAIRES
    if folder.is_dir():
        for yaml_path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            out.append(("questionnaire (définition)", yaml_path))
            responses = _responses_of(yaml_path)
            if responses is not None and responses.is_file():
                out.append((f"questionnaire {yaml_path.stem} (réponses)", responses))
    return out


def _responses_of(yaml_path: Path) -> Path | None:
    from cdv_lib.survey import load_definition

    try:
        return load_definition(yaml_path).responses_path
    except DataError:
        return None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _find_column(frame: pd.DataFrame, names) -> str | None:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _years(frame: pd.DataFrame) -> str:
    column = _find_column(frame, YEAR_COLUMNS)
    if column is None:
        return ""
    years = sorted({int(m) for v in frame[column].dropna() for m in _YEAR.findall(str(v))})
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _communes(frame: pd.DataFrame) -> int | None:
    column = _find_column(frame, COMMUNE_COLUMNS)
    if column is None:
        return None
    codes = {code.strip() for v in frame[column].dropna() for code in str(v).split("|") if code.strip()}
    return len(codes)


def profile_file(path: Path, content: str = "", root: Path | None = None) -> dict:
    """Profile of one input file (a row of :func:`profile_inputs`)."""
    label = _relative(path, root) if root is not None else path.name
    row = dict.fromkeys(PROFILE_COLUMNS)
    row.update(fichier=label, contenu=content, remarque="")
    if path.suffix.lower() in (".yaml", ".yml"):
        row["remarque"] = "définition (YAML)"
        return row
    try:
        frame = read_table(path, file_label=label)
    except DataError as exc:
        row["remarque"] = "illisible : " + "; ".join(p.message() for p in exc.problems)
        return row
    empty = frame.isna()
    incomplete = empty.sum()
    incomplete = incomplete[incomplete > 0].sort_values(ascending=False)
    row.update(
        lignes=len(frame),
        colonnes=frame.shape[1],
        annees=_years(frame),
        communes=_communes(frame),
        cellules_vides=int(empty.to_numpy().sum()),
        colonnes_incompletes=", ".join(f"{c} ({n})" for c, n in incomplete.items()),
    )
    return row


def profile_inputs(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """A profile of each input file of the folder *path* (default: the embedded data).

    Returns
    -------
    DataFrame
        one row per file (:func:`input_files` order): ``fichier`` (relative to the
        folder), ``contenu`` (table name or questionnaire), ``lignes`` (data rows),
        ``colonnes``, ``annees`` (first–last year of the ``annee`` or ``date`` column),
        ``communes`` (distinct codes of ``code_insee``, ``commune`` or ``communes``),
        ``cellules_vides``, ``colonnes_incompletes`` (columns with empty cells and their
        count), ``remarque`` (unreadable file, YAML definition).
    """
    from cdv_lib.paths import data_dir

    root = data_dir(path)
    rows = [profile_file(p, content, root) for content, p in input_files(root)]
    frame = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    for column in ("lignes", "colonnes", "communes", "cellules_vides"):
        frame[column] = frame[column].astype("Int64")
    return frame


# --- what changed since last year ---------------------------------------------------------

def data_files(path: str | os.PathLike) -> dict[str, Path]:
    """Relative path → file of every input-like file of the folder (tables, YAML,
    questionnaires), ``reference/`` and hidden files left out."""
    root = Path(path)
    out = {}
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root)
        if not file.is_file() or rel.parts[0] == "reference" or any(p.startswith(".") for p in rel.parts):
            continue
        if file.suffix.lower() in (*TABLE_EXTENSIONS, ".yaml", ".yml"):
            out[str(rel)] = file
    return out


def _key_of(rel: str, new_root: Path, old_root: Path) -> tuple[str, ...] | None:
    stem = Path(rel).stem.lower()
    if Path(rel).parent == Path(".") and stem in KEYS:
        return KEYS[stem]
    if Path(rel).parts[0] == QUESTIONNAIRES:
        for root in (new_root, old_root):
            folder = root / QUESTIONNAIRES
            for yaml_path in [*folder.glob("*.yaml"), *folder.glob("*.yml")]:
                try:
                    from cdv_lib.survey import load_definition

                    definition = load_definition(yaml_path)
                except DataError:
                    continue
                if definition.responses_path.name == Path(rel).name:
                    return (definition.id_column,)
    return None


def _frame(path: Path) -> pd.DataFrame | None:
    try:
        frame = read_table(path, file_label=path.name)
    except DataError:
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)


def compare_file(old: Path, new: Path, key: tuple[str, ...] | None, label: str,
                 ) -> tuple[dict, pd.DataFrame]:
    """Compare one file present in both folders: (summary row, changed values)."""
    row = dict.fromkeys(COMPARISON_COLUMNS)
    row.update(fichier=label, statut="présent les deux années", remarque="")
    changes = pd.DataFrame(columns=CHANGE_COLUMNS)
    if old.suffix.lower() in (".yaml", ".yml"):
        same = old.read_bytes() == new.read_bytes()
        row["statut"] = "identique" if same else "modifié"
        row["remarque"] = "définition (YAML)"
        return row, changes
    a, b = _frame(old), _frame(new)
    if a is None or b is None:
        row["remarque"] = "illisible l'une des deux années"
        return row, changes
    row.update(lignes_avant=len(a), lignes_apres=len(b))
    if key is None or not all(k in a.columns and k in b.columns for k in key):
        # no key: rows compared whole (a changed row is one removed plus one added)
        shared = [c for c in a.columns if c in b.columns]
        ka = a[shared].fillna("").astype(str).agg("\x1f".join, axis=1).value_counts()
        kb = b[shared].fillna("").astype(str).agg("\x1f".join, axis=1).value_counts()
        both = ka.index.union(kb.index)
        diff = kb.reindex(both, fill_value=0) - ka.reindex(both, fill_value=0)
        row.update(cle="(ligne entière)", cles_ajoutees=int(diff[diff > 0].sum()),
                   cles_supprimees=int(-diff[diff < 0].sum()), cles_modifiees=None)
        if list(a.columns) != list(b.columns):
            row["remarque"] = _columns_note(a, b)
        return row, changes
    key = list(key)
    ia = a.assign(_k=a[key].fillna("").astype(str).agg(" | ".join, axis=1)).drop_duplicates("_k").set_index("_k")
    ib = b.assign(_k=b[key].fillna("").astype(str).agg(" | ".join, axis=1)).drop_duplicates("_k").set_index("_k")
    common = ia.index.intersection(ib.index)
    shared = [c for c in a.columns if c in b.columns and c not in key]
    records = []
    for column in shared:
        before = ia.loc[common, column]
        after = ib.loc[common, column]
        differs = ~((before == after) | (before.isna() & after.isna()))
        for k in common[differs.to_numpy()]:
            records.append({"fichier": label, "cle": k, "colonne": column,
                            "avant": before.loc[k], "apres": after.loc[k]})
    changes = pd.DataFrame(records, columns=CHANGE_COLUMNS)
    row.update(cle=", ".join(key), cles_ajoutees=int(len(ib.index.difference(ia.index))),
               cles_supprimees=int(len(ia.index.difference(ib.index))),
               cles_modifiees=int(changes["cle"].nunique()) if len(changes) else 0)
    if list(a.columns) != list(b.columns):
        row["remarque"] = _columns_note(a, b)
    return row, changes


def _columns_note(a: pd.DataFrame, b: pd.DataFrame) -> str:
    added = [c for c in b.columns if c not in a.columns]
    removed = [c for c in a.columns if c not in b.columns]
    parts = []
    if added:
        parts.append("colonnes ajoutées : " + ", ".join(added))
    if removed:
        parts.append("colonnes supprimées : " + ", ".join(removed))
    return " ; ".join(parts) or "colonnes dans un autre ordre"


def compare_folders(old: str | os.PathLike, new: str | os.PathLike | None = None,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What changed between last year's folder *old* and this year's *new* (default: the
    embedded data).

    Returns
    -------
    (summary, changes)
        *summary*: one row per file of either folder: ``fichier``, ``statut`` (« ajouté »,
        « supprimé », « présent les deux années », « identique » / « modifié » for a YAML),
        ``lignes_avant``, ``lignes_apres``, ``cle`` (columns identifying a row, or
        « (ligne entière) »), ``cles_ajoutees``, ``cles_supprimees``, ``cles_modifiees``
        (rows of the same key with at least one different value), ``remarque``.
        *changes*: one row per changed value: ``fichier``, ``cle``, ``colonne``,
        ``avant``, ``apres``.
    """
    from cdv_lib.paths import data_dir

    old_root, new_root = Path(old).expanduser().resolve(), data_dir(new)
    if not old_root.is_dir():
        raise DataError([Problem(str(old_root), None, None, None,
                                 "un dossier existant (données de l'année précédente)")])
    before, after = data_files(old_root), data_files(new_root)
    rows, all_changes = [], []
    for rel in sorted(set(before) | set(after)):
        if rel not in before:
            frame = _frame(after[rel]) if after[rel].suffix.lower() in TABLE_EXTENSIONS else None
            rows.append({"fichier": rel, "statut": "ajouté",
                         "lignes_apres": None if frame is None else len(frame)})
            continue
        if rel not in after:
            frame = _frame(before[rel]) if before[rel].suffix.lower() in TABLE_EXTENSIONS else None
            rows.append({"fichier": rel, "statut": "supprimé",
                         "lignes_avant": None if frame is None else len(frame)})
            continue
        row, changes = compare_file(before[rel], after[rel], _key_of(rel, new_root, old_root), rel)
        rows.append(row)
        if len(changes):
            all_changes.append(changes)
    summary = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    for column in ("lignes_avant", "lignes_apres", "cles_ajoutees", "cles_supprimees", "cles_modifiees"):
        summary[column] = summary[column].astype("Int64")
    summary["remarque"] = summary["remarque"].fillna("")
    changes = pd.concat(all_changes, ignore_index=True) if all_changes else pd.DataFrame(columns=CHANGE_COLUMNS)
    return summary, changes


def comparison_html(old: str | os.PathLike | None, new: str | os.PathLike | None = None, *,
                    max_changes: int = 200) -> str:
    """HTML of :func:`compare_folders` for a notebook: the summary per file, then the
    changed values (the first *max_changes*). Without *old*, a sentence saying how to
    name last year's folder."""
    if old is None or str(old) == "":
        return ("<p>Aucun dossier de l'année précédente n'est indiqué : écrire son chemin dans "
                "<code>dossier_annee_precedente</code>, puis relancer le notebook.</p>")
    try:
        summary, changes = compare_folders(old, new)
    except DataError as exc:
        return "<p><b>Comparaison impossible</b> : " + html.escape(
            "; ".join(p.message() for p in exc.problems)) + "</p>"
    shown = summary.astype(object).where(summary.notna(), "")
    parts = [f"<p>Comparaison de <code>{html.escape(str(Path(old)))}</code> (année précédente) "
             f"avec le dossier de cette année.</p>",
             shown.to_html(index=False, border=0, escape=True, classes="cdv-comparison")]
    if changes.empty:
        parts.append("<p>Aucune valeur modifiée pour une même clé.</p>")
    else:
        parts.append(f"<h4>Valeurs modifiées ({len(changes)})</h4>")
        head = changes.head(max_changes).astype(object)
        parts.append(head.where(head.notna(), "").to_html(index=False, border=0, escape=True,
                                                          classes="cdv-changes"))
        if len(changes) > max_changes:
            parts.append(f"<p>… et {len(changes) - max_changes} autres : "
                         "<code>control.compare_folders(...)</code> les donne toutes.</p>")
    return "\n".join(parts)
