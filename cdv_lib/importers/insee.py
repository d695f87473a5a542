"""INSEE statistics on QPV (« Données sur les quartiers de la politique de la ville »):
wide files → the long ``indicateurs`` table of the contract.

Input layout: one row per territory (``CODGEO``, ``LIBGEO``), one column per indicator whose
name ends with the vintage's two last digits (``DISP_MED21``, ``DISP_TP6021``), decimal
comma, ``;``; markers ``s`` (secret statistique), ``nd`` (non disponible), ``ns`` (non
significatif) instead of a value. CSV, or ``.xlsx`` whose table may start below title rows.

Output, one row per territory × indicator with a value or a marker: ``niveau`` (from the
code's shape: ``QP``/``QN`` codes → ``qpv``, 5 characters → ``commune``, 9 digits → ``epci``,
``FR`` → ``france``, 2-3 characters → ``departement`` unless listed in ``--regions``),
``code``, ``annee`` (from the suffix), ``indicateur`` (identifier from :data:`KNOWN`, else the
variable's code without its suffix), ``valeur`` (the number, or the marker kept as is),
``unite``, ``sommable`` (``non`` for every known indicator: rates, medians, deciles, shares;
unknown ones ``non`` unless listed in ``--sommable``), ``source``, ``libelle``.

Only territories of the data folder are kept (its QPV, its communes, its EPCI; département,
région and France rows always): the others are counted in the report.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import DataError, Problem
from cdv_lib.importers.common import ImportReport, ImportResult, csv_bytes, fail, read_input
from cdv_lib.text import parse_numbers
from cdv_lib.schemas import EPCI_RE, INSEE_RE, QPV_RE

DESCRIPTION = "statistiques INSEE sur les QPV (fichier large, une colonne par indicateur)"
FILES_HELP = "FICHIER.csv ou .xlsx (un ou plusieurs thèmes)"

INSEE_MARKERS = {"s": "s", "nd": "nd", "ns": "ns"}
CODE_COLUMN = "CODGEO"
LABEL_COLUMN = "LIBGEO"
OUTPUT_COLUMNS = [C.NIVEAU, C.CODE, C.ANNEE, C.INDICATEUR, C.VALEUR, C.UNITE, C.SOMMABLE,
                  C.SOURCE, "libelle"]

# variable stem (without the vintage) -> (identifier, French label, unit, summable, source)
_FILOSOFI = {
    "MED": ("revenu_median", "revenu {k} médian par unité de consommation", "€"),
    "Q1": ("revenu_q1", "1er quartile du revenu {k} par unité de consommation", "€"),
    "Q3": ("revenu_q3", "3e quartile du revenu {k} par unité de consommation", "€"),
    "D1": ("revenu_d1", "1er décile du revenu {k} par unité de consommation", "€"),
    "D9": ("revenu_d9", "9e décile du revenu {k} par unité de consommation", "€"),
    "RD": ("rapport_interdecile", "rapport interdécile D9/D1 du revenu {k}", "rapport"),
    "S80S20": ("rapport_s80_s20", "rapport S80/S20 du revenu {k}", "rapport"),
    "GI": ("indice_gini", "indice de Gini du revenu {k}", "indice"),
    "EQ": ("ecart_interquartile", "écart interquartile rapporté à la médiane du revenu {k}", "rapport"),
    "TP60": ("taux_pauvrete", "taux de pauvreté au seuil de 60 %", "%"),
    "PACT": ("part_revenus_activite", "part des revenus d'activité", "%"),
    "PTSA": ("part_salaires", "part des traitements et salaires", "%"),
    "PCHO": ("part_chomage", "part des indemnités de chômage", "%"),
    "PBEN": ("part_benefices", "part des revenus des activités non salariées", "%"),
    "PPEN": ("part_pensions", "part des pensions, retraites et rentes", "%"),
    "PPAT": ("part_patrimoine", "part des revenus du patrimoine et autres revenus", "%"),
    "PPSOC": ("part_prestations_sociales", "part de l'ensemble des prestations sociales", "%"),
    "PPFAM": ("part_prestations_familiales", "part des prestations familiales", "%"),
    "PPMINI": ("part_minima_sociaux", "part des minima sociaux", "%"),
    "PPLOGT": ("part_prestations_logement", "part des prestations logement", "%"),
    "PIMPOT": ("part_impots", "part des impôts", "%"),
}


def _known() -> dict[str, tuple[str, str, str, bool, str]]:
    out = {}
    for stem, (ident, label, unit) in _FILOSOFI.items():
        out[f"DISP_{stem}"] = (ident, _cap(label.format(k="disponible")), unit, False, "INSEE Filosofi")
        if "{k}" in label:
            out[f"DEC_{stem}"] = (f"{ident}_declare", _cap(label.format(k="déclaré")), unit, False,
                                  "INSEE Filosofi")
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


#: known INSEE variables (stem without the vintage) → (identifier, label, unit, summable, source)
KNOWN = _known()


def split_variable(name: str) -> tuple[str, int] | None:
    """``DISP_MED21`` → ``("DISP_MED", 2021)``; census variables with the vintage after their
    prefix too: ``P21_POP`` → ``("P_POP", 2021)``; ``None`` for a name without a vintage
    (``CODGEO``, ``LIBGEO``)."""
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_]*?)_?(\d{2})", name.strip())
    if not match:
        # census variables carry the vintage after their prefix: P21_POP, C21_ACT1564
        census = re.fullmatch(r"([PC])(\d{2})_([A-Za-z0-9_]+)", name.strip())
        if census is None:
            return None
        yy = int(census.group(2))
        return f"{census.group(1)}_{census.group(3)}".upper(), (2000 + yy if yy <= 69 else 1900 + yy)
    stem, yy = match.group(1), int(match.group(2))
    if name.strip().endswith(f"_{match.group(2)}"):
        stem = stem.rstrip("_")
    return stem.upper(), (2000 + yy if yy <= 69 else 1900 + yy)


def territory_level(code: str, regions=()) -> str | None:
    """Level of a territory code (see the module docstring); None when unrecognised."""
    code = code.strip().upper()
    if re.fullmatch(QPV_RE, code):
        return "qpv"
    if re.fullmatch(INSEE_RE, code):
        return "commune"
    if re.fullmatch(EPCI_RE, code):
        return "epci"
    if code in ("FR", "FRANCE", "FRM", "METRO"):
        return "france"
    if code in regions:
        return "region"
    if re.fullmatch(r"\d{2,3}|2[AB]", code):
        return "departement"
    return None


def read_wide(path: Path) -> pd.DataFrame:
    """Read a wide INSEE file as strings (index = spreadsheet row). An ``.xlsx`` may have
    title rows above the header: the header is the first row holding ``CODGEO``."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_input(path)
    import zipfile

    from openpyxl import load_workbook

    if not path.is_file():
        raise fail(path.name, f"un fichier existant ({path})")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise fail(path.name, f"un classeur .xlsx lisible ({type(exc).__name__})") from None
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        for i, values in enumerate(rows[:30]):
            cells = ["" if v is None else str(v).strip() for v in values]
            if any(c.upper() == CODE_COLUMN for c in cells):
                header = cells
                while header and header[-1] == "":
                    header.pop()
                data = [[None if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                                 else str(v)).strip() for v in r[:len(header)]]
                        for r in rows[i + 1:]]
                frame = pd.DataFrame(data, columns=header, dtype=object,
                                     index=pd.RangeIndex(i + 2, i + 2 + len(data)))
                frame = frame.replace({"": None}).dropna(how="all")
                frame.attrs["file_label"] = f"{path.name} (feuille « {ws.title} »)"
                return frame
    raise fail(path.name, f"une ligne d'en-tête avec la colonne {CODE_COLUMN} (fichier INSEE des "
               "quartiers) dans l'une des feuilles")


def wide_to_long(frame: pd.DataFrame, *, file_label: str, source: str | None = None,
                 summable=(), regions=(), keep=None) -> tuple[pd.DataFrame, ImportReport]:
    """Turn one wide INSEE table into long indicator rows.

    Parameters
    ----------
    frame : raw strings, ``CODGEO`` then indicator columns (index = spreadsheet row).
    file_label : file name used in problems and in the default source.
    source : ``source`` of every row (default: ``INSEE Filosofi <année>`` for known Filosofi
        variables, ``INSEE (<fichier>)`` otherwise).
    summable : variable stems declared summable (counts).
    regions : two-digit codes to read as regions rather than départements.
    keep : callable ``(niveau, code) -> bool`` choosing the territories kept, or None.

    Returns
    -------
    (DataFrame with :data:`OUTPUT_COLUMNS`, all strings; report lines)

    Raises
    ------
    DataError
        no ``CODGEO`` column, no indicator column, a cell neither a number nor a marker, an
        unknown territory code.
    """
    report = ImportReport("insee")
    header = [str(c) for c in frame.columns]
    code_col = next((c for c in header if c.strip().upper() == CODE_COLUMN), None)
    if code_col is None:
        raise fail(file_label, f"une colonne {CODE_COLUMN} (code du territoire) ; colonnes lues : "
                   + ", ".join(header[:10]), row=1)
    indicators: list[tuple[str, str, int]] = []
    for col in header:
        if col == code_col or col.strip().upper() == LABEL_COLUMN:
            continue
        parsed = split_variable(col)
        if parsed is None:
            report.dropped.append((f"colonne {col}", "pas de millésime (deux chiffres) en fin de nom : "
                                   "pas un indicateur"))
            continue
        indicators.append((col, *parsed))
    if not indicators:
        raise fail(file_label, "des colonnes d'indicateurs terminées par le millésime (ex. "
                   "DISP_MED21)", row=1, value=", ".join(header[:10]))
    summable = {s.upper() for s in summable}
    problems: list[Problem] = []
    records = []
    counts = {"hors": 0, "vides": 0, "marqueurs": 0}
    outside: set[str] = set()
    unknown_vars: set[str] = set()
    levels_seen: dict[str, int] = {}
    for row, code in frame[code_col].items():
        if code is None or pd.isna(code) or not str(code).strip():
            problems.append(Problem(file_label, int(row), code_col, None, "un code de territoire"))
            continue
        code = str(code).strip().upper()
        level = territory_level(code, regions)
        if level is None:
            hint = " — zéro initial perdu ? (« 0" + code + " »)" if re.fullmatch(r"\d{4}", code) else ""
            problems.append(Problem(file_label, int(row), code_col, code,
                                    "un code QPV (QP/QN…), commune (5 caractères), EPCI (9 chiffres), "
                                    "département, région ou FR" + hint))
            continue
        if keep is not None and not keep(level, code):
            counts["hors"] += 1
            outside.add(level)
            continue
        levels_seen[level] = levels_seen.get(level, 0) + 1
        for col, stem, year in indicators:
            raw = frame.at[row, col]
            text = "" if raw is None or (not isinstance(raw, str) and pd.isna(raw)) else str(raw).strip()
            if not text:
                counts["vides"] += 1
                continue
            marker = INSEE_MARKERS.get(text.lower())
            if marker is None:
                _, bad = parse_numbers(pd.Series([text]))
                if bool(bad.iloc[0]):
                    problems.append(Problem(file_label, int(row), col, text,
                                            "un nombre (virgule décimale acceptée) ou un marqueur "
                                            "« s » (secret), « nd » (non disponible), « ns » (non "
                                            "significatif)"))
                    continue
                value = text
            else:
                counts["marqueurs"] += 1
                value = marker
            ident, label, unit, is_sum, src = KNOWN.get(stem, (stem, "", "", None, None))
            if stem not in KNOWN:
                unknown_vars.add(stem)
                is_sum = stem in summable
                unit = "nombre" if is_sum else "non précisée"
            row_source = source or (f"{src} {year}" if src else f"INSEE ({file_label})")
            records.append([level, code, str(year), ident, value, unit,
                            "oui" if is_sum else "non", row_source, label or stem])
    if problems:
        raise DataError(problems)
    long = pd.DataFrame(records, columns=OUTPUT_COLUMNS)
    report.read.append(f"{file_label} : {len(frame)} territoires, {len(indicators)} colonnes "
                       "d'indicateurs (" + ", ".join(c for c, *_ in indicators[:8])
                       + ("…" if len(indicators) > 8 else "") + ")")
    for col, stem, year in indicators:
        if stem in KNOWN:
            report.mapped.append((col, f"{KNOWN[stem][0]} {year} « {KNOWN[stem][1]} » ({KNOWN[stem][2]}, "
                                       "non sommable)"))
        else:
            report.mapped.append((col, f"{stem} {year} (variable inconnue : gardée sous son code, "
                                       + ("sommable" if stem in summable else "non sommable par prudence")
                                       + ")"))
    report.kept.append("territoires : " + ", ".join(f"{n} {lvl}" for lvl, n in levels_seen.items()))
    if counts["marqueurs"]:
        report.notes.append(f"{counts['marqueurs']} valeur(s) remplacée(s) par un marqueur INSEE "
                            "(s, nd, ns) gardées comme marqueurs, jamais comme 0")
    if counts["hors"]:
        report.dropped.append((f"{counts['hors']} territoire(s) ({', '.join(sorted(outside))})",
                               "absents du dossier de données (QPV, communes ou EPCI d'un autre "
                               "territoire)"))
    if counts["vides"]:
        report.dropped.append((f"{counts['vides']} cellule(s) vide(s)", "ni valeur ni marqueur : "
                               "aucune ligne écrite (jamais 0)"))
    if unknown_vars and not summable & unknown_vars:
        report.notes.append("variables inconnues notées non sommables ; --sommable VAR pour "
                            "déclarer un effectif additionnable")
    two_digit = sorted({c for c, lvl in zip(long[C.CODE], long[C.NIVEAU]) if lvl == "departement"})
    if two_digit and not regions:
        report.notes.append("codes " + ", ".join(two_digit[:10]) + " lus comme départements "
                            "(--regions CODES pour des régions)")
    return long, report


def _folder_filter(data_dir: Path):
    """``keep(niveau, code)`` for the territories of *data_dir*, or None when its communes
    and QPV cannot be read (then every territory is kept)."""
    from cdv_lib.readers import find_table, read_table

    known: dict[str, set[str]] = {}
    for table, col, level in (("qpv", C.CODE_QPV, "qpv"), ("communes", C.CODE_INSEE, "commune"),
                              ("communes", C.CODE_EPCI, "epci")):
        path = find_table(data_dir, table)
        if path is None:
            continue
        try:
            frame = read_table(path)
        except DataError:
            continue
        if col in frame.columns:
            known.setdefault(level, set()).update(frame[col].dropna().astype(str).str.strip().str.upper())
    import yaml

    try:
        config = yaml.safe_load((data_dir / "config.yaml").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        config = None  # a broken config.yaml is reported by cdv validate
    if isinstance(config, dict) and config.get("code_epci"):
        known.setdefault("epci", set()).add(str(config["code_epci"]))
    if not known:
        return None
    return lambda level, code: level not in ("qpv", "commune", "epci") or code in known.get(level, set())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", default=None,
                        help="source écrite sur chaque ligne (défaut : « INSEE Filosofi <année> » "
                             "pour les variables Filosofi connues, sinon « INSEE (<fichier>) »)")
    parser.add_argument("--sommable", action="append", default=[], metavar="VAR",
                        help="variable inconnue (sans millésime) qui est un effectif additionnable")
    parser.add_argument("--regions", default="", metavar="32,84",
                        help="codes à deux chiffres à lire comme des régions")
    parser.add_argument("--ajouter", action="store_true",
                        help="ajouter aux indicateurs existants (une ligne de même niveau, code, "
                             "année et indicateur est remplacée)")


def merge_existing(existing: pd.DataFrame, new: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, int]:
    """*existing* rows whose *key* is not in *new*, then *new*; returns the frame and the
    number of existing rows replaced."""
    existing = existing.copy()
    for col in new.columns:
        if col not in existing.columns:
            existing[col] = None
    new_keys = set(map(tuple, new[key].astype(str).to_numpy()))
    old_keys = existing[key].astype(str).apply(tuple, axis=1)
    replaced = old_keys.isin(new_keys)
    kept = existing.loc[~replaced.to_numpy()]
    columns = list(existing.columns) + [c for c in new.columns if c not in existing.columns]
    return pd.concat([kept[columns], new.reindex(columns=columns)], ignore_index=True), int(replaced.sum())


def build(files: list[Path], args: argparse.Namespace, data_dir: Path) -> ImportResult:
    """Read one or several wide INSEE files and produce ``indicateurs.csv``."""
    regions = {r.strip() for r in args.regions.split(",") if r.strip()}
    keep = _folder_filter(data_dir)
    report = ImportReport("insee")
    frames = []
    for path in files:
        wide = read_wide(path)
        label = wide.attrs.get("file_label", path.name)
        long, part = wide_to_long(wide, file_label=label, source=args.source,
                                  summable=args.sommable, regions=regions, keep=keep)
        frames.append(long)
        for name in ("read", "kept", "dropped", "mapped", "notes"):
            getattr(report, name).extend(getattr(part, name))
    out = pd.concat(frames, ignore_index=True)
    key = [C.NIVEAU, C.CODE, C.ANNEE, C.INDICATEUR]
    dup = out.duplicated(key, keep=False)
    if dup.any():
        first = out[dup].iloc[0]
        raise fail(", ".join(p.name for p in files),
                   "une seule valeur par territoire, année et indicateur (deux fichiers ou deux "
                   "colonnes donnent le même indicateur)",
                   value=f"{first[C.CODE]} / {first[C.ANNEE]} / {first[C.INDICATEUR]}")
    if out.empty:
        raise fail(", ".join(p.name for p in files), "au moins une valeur pour un territoire du "
                   f"dossier {data_dir} (aucun de ses QPV, communes ou EPCI dans le fichier)")
    overwrite: set[str] = set()
    from cdv_lib.readers import find_table

    existing_path = find_table(data_dir, "indicateurs")
    if args.ajouter and existing_path is not None:
        if existing_path.suffix.lower() != ".csv":
            raise fail(existing_path.name, "un fichier indicateurs.csv pour --ajouter (le classeur "
                       "n'est pas réécrit)")
        existing = read_input(existing_path)
        out, replaced = merge_existing(existing, out, key)
        report.notes.append(f"ajout à {existing_path.name} : {len(existing) - replaced} ligne(s) "
                            f"existante(s) gardée(s), {replaced} remplacée(s)")
        overwrite.add(existing_path.name)
    elif existing_path is not None and existing_path.name != "indicateurs.csv":
        raise fail(existing_path.name, "pas d'autre fichier de la table indicateurs (le supprimer, "
                   "ou l'enregistrer en indicateurs.csv et utiliser --ajouter)")
    report.kept.insert(0, f"indicateurs.csv : {len(out)} lignes")
    return ImportResult({"indicateurs.csv": csv_bytes(out.fillna(""))}, report,
                        overwrite_ok=overwrite)
