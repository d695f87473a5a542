"""Subsidies exported by each funder → the ``programmation`` table (one row per action and
funder).

Layouts: ``--format anct`` (ANCT open data on politique de la ville credits), ``--format
scdl`` (national format « Subventions » of the SCDL, arrêté du 17 novembre 2017), or
``--format MAPPING.yaml`` for any other layout. A mapping file says, for each column of the
contract, which column of the export holds it (``colonnes``) or which value it takes for
every row (``valeurs``)::

    # mapping d'un export de la Région
    colonnes:                       # colonne du contrat: colonne de l'export
      annee: Exercice               # une année, ou une date (AAAA-MM-JJ, JJ/MM/AAAA)
      numero_dossier: N° de dossier
      porteur: Bénéficiaire
      intitule: Objet
      commune: Commune              # code INSEE, nom d'une commune du dossier, ou INTERCO
      pilier: Pilier
      thematique: Thématique
      montant_demande: Montant sollicité
      montant_accorde: Montant voté
    valeurs:                        # valeur fixe des colonnes absentes de l'export
      financeur: Région
    feuille: Subventions            # facultatif : feuille d'un classeur

Several files (one per funder) may be given: rows of the same action (same
``numero_dossier``) complete each other's missing fields (an SCDL file has no commune nor
theme; the CALL's own file has them). Options ``--financeur``, ``--annee``, ``--pilier``,
``--thematique``, ``--commune`` give a value to every row still missing one; an absent
``montant_demande`` is taken equal to ``montant_accorde`` and said so. Amounts are read the
French or the plain way (``1 234,50 €``, ``1234.5``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
import yaml

from cdv_lib import columns as C
from cdv_lib.errors import DataError, Problem
from cdv_lib.importers.common import (
    ImportReport,
    ImportResult,
    commune_lookup,
    csv_bytes,
    fail,
    read_input,
)
from cdv_lib.text import parse_numbers
from cdv_lib.survey.matching import fold, is_blank

DESCRIPTION = ("subventions exportées par les financeurs (ANCT, format SCDL « Subventions » ou "
               "fichier de correspondance) vers la programmation")
FILES_HELP = "FICHIER.csv ou .xlsx (un par financeur)"

OUTPUT_COLUMNS = [C.ANNEE, C.NUMERO_DOSSIER, C.PORTEUR, C.INTITULE, C.COMMUNE, C.CODE_QPV,
                  C.PILIER, C.THEMATIQUE, C.FINANCEUR, C.MONTANT_DEMANDE, C.MONTANT_ACCORDE,
                  C.TOTAL_DECLARE]
AMOUNTS = (C.MONTANT_DEMANDE, C.MONTANT_ACCORDE, C.TOTAL_DECLARE)
REQUIRED = (C.ANNEE, C.NUMERO_DOSSIER, C.PORTEUR, C.INTITULE, C.COMMUNE, C.PILIER, C.THEMATIQUE,
            C.FINANCEUR, C.MONTANT_ACCORDE)
#: fields an action shares across funders (completed from another funder's row)
SHARED = (C.ANNEE, C.PORTEUR, C.INTITULE, C.COMMUNE, C.CODE_QPV, C.PILIER, C.THEMATIQUE)

PRESETS: dict[str, dict] = {
    "anct": {
        "colonnes": {
            C.NUMERO_DOSSIER: "Numéro de l'action PRJ",
            C.INTITULE: "Libellé de l'action",
            C.PORTEUR: "Raison sociale longue",
            C.THEMATIQUE: "Thème",
            C.MONTANT_ACCORDE: "Mt engagé",
        },
        "valeurs": {C.FINANCEUR: "État"},
        "ignorees": ["Type de tiers", "Code contrat ville", "Libellé contrat ville",
                     "Sous-thèmes", "Région"],
    },
    "scdl": {
        "colonnes": {
            C.FINANCEUR: "nomAttribuant",
            C.ANNEE: "dateConvention",
            C.NUMERO_DOSSIER: "referenceDecision",
            C.PORTEUR: "nomBeneficiaire",
            C.INTITULE: "objet",
            C.MONTANT_ACCORDE: "montant",
        },
        "valeurs": {},
        "ignorees": ["idAttribuant", "idBeneficiaire", "rnaBeneficiaire", "nature",
                     "conditionsVersement", "datesPeriodeVersement", "idRAE", "notificationUE",
                     "pourcentageSubvention", "dispositifAide", "multiFinanceur"],
    },
}
_MAPPING_KEYS = {"colonnes", "valeurs", "feuille", "ignorees"}


def load_mapping(spec: str) -> tuple[dict, str]:
    """The mapping of ``--format``: a preset name or a YAML file. Returns ``(mapping,
    description)``. Raises :class:`DataError` for an unknown preset or a bad file."""
    if spec in PRESETS:
        return PRESETS[spec], f"format {spec}"
    path = Path(spec)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise fail("--format", "anct, scdl ou un fichier de correspondance .yaml", value=spec)
    if not path.is_file():
        raise fail(path.name, f"un fichier de correspondance existant ({path})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise fail(path.name, f"un YAML valide en UTF-8 ({type(exc).__name__})") from None
    problems = []
    if not isinstance(data, dict):
        raise fail(path.name, "un dictionnaire avec colonnes et valeurs (voir data/README.md)")
    for key in sorted(set(data) - _MAPPING_KEYS):
        problems.append(Problem(path.name, None, key, None, "clé connue : " + ", ".join(sorted(_MAPPING_KEYS))))
    for section in ("colonnes", "valeurs"):
        part = data.get(section) or {}
        if not isinstance(part, dict):
            problems.append(Problem(path.name, None, section, part, "colonne_du_contrat: valeur"))
            continue
        for key, value in part.items():
            if key not in OUTPUT_COLUMNS:
                problems.append(Problem(path.name, None, f"{section}.{key}", None,
                                        "une colonne du contrat : " + ", ".join(OUTPUT_COLUMNS)))
            elif value is None or isinstance(value, (dict, list)) or not str(value).strip():
                problems.append(Problem(path.name, None, f"{section}.{key}", value,
                                        "un nom de colonne (colonnes) ou une valeur (valeurs)"))
    if problems:
        raise DataError(problems)
    mapping = {"colonnes": {k: str(v) for k, v in (data.get("colonnes") or {}).items()},
               "valeurs": {k: str(v) for k, v in (data.get("valeurs") or {}).items()},
               "feuille": data.get("feuille"), "ignorees": list(data.get("ignorees") or [])}
    return mapping, f"correspondance {path.name}"


def _year(text: str) -> str | None:
    text = text.strip()
    for pattern in (r"(\d{4})", r"(\d{4})-\d{2}-\d{2}.*", r"\d{2}/\d{2}/(\d{4}).*", r"(\d{4})\.0"):
        match = re.fullmatch(pattern, text)
        if match:
            return match.group(1)
    return None


def _amount_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def map_rows(frame: pd.DataFrame, mapping: dict, *, file_label: str) -> pd.DataFrame:
    """Rows of one export in the contract's columns (strings, None when absent).

    Amounts are parsed (French or plain), years taken from a year or a date; the index is
    kept (spreadsheet rows). Raises :class:`DataError` naming file, row, column and value
    for a missing mapped column, a bad amount or a bad year."""
    header = [str(c) for c in frame.columns]
    missing = [(k, v) for k, v in mapping["colonnes"].items() if v not in header]
    if missing:
        raise DataError([Problem(file_label, 1, v, None,
                                 f"la colonne « {v} » (→ {k}) ; colonnes lues : " + ", ".join(header[:12]))
                         for k, v in missing])
    out = pd.DataFrame(index=frame.index, columns=OUTPUT_COLUMNS, dtype=object)
    problems = []
    for target, source in mapping["colonnes"].items():
        values = frame[source].map(lambda v: None if is_blank(v) else str(v).strip())
        if target in AMOUNTS:
            parsed, bad = parse_numbers(values)
            for row in values.index[bad.to_numpy()]:
                problems.append(Problem(file_label, int(row), source, values[row],
                                        "un montant (ex. 1 234,50 € ou 1234.5)"))
            values = parsed.map(lambda x: None if pd.isna(x) else _amount_text(x))
        elif target == C.ANNEE:
            years = values.map(lambda v: None if v is None else _year(v))
            for row in values.index[(values.notna() & years.isna()).to_numpy()]:
                problems.append(Problem(file_label, int(row), source, values[row],
                                        "une année (AAAA) ou une date (AAAA-MM-JJ, JJ/MM/AAAA)"))
            values = years
        out[target] = values
    for target, value in mapping["valeurs"].items():
        out[target] = out[target].where(out[target].notna(), value)
    if problems:
        raise DataError(problems)
    return out


def join_funders(rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Fill the shared fields of an action (:data:`SHARED`) from the other rows with the
    same ``numero_dossier`` (first non-empty value in file order). Returns the frame and the
    number of cells filled."""
    rows = rows.copy()
    filled = 0
    for col in SHARED:
        first = rows.groupby(C.NUMERO_DOSSIER, sort=False)[col].agg(
            lambda s: next((v for v in s if v is not None and not pd.isna(v)), None))
        missing = rows[col].isna() & rows[C.NUMERO_DOSSIER].notna()
        fill = rows.loc[missing, C.NUMERO_DOSSIER].map(first)
        filled += int(fill.notna().sum())
        rows.loc[missing, col] = fill
    return rows, filled


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", dest="layout", required=True, metavar="anct|scdl|MAPPING.yaml",
                        help="disposition des fichiers : anct, scdl, ou un fichier de "
                             "correspondance YAML (voir data/README.md)")
    for name, what in (("financeur", "financeur (ex. Région)"), ("annee", "année"),
                       ("pilier", "pilier (ex. Cohésion sociale)"),
                       ("thematique", "thématique"),
                       ("commune", "commune (code INSEE ou INTERCO)")):
        parser.add_argument(f"--{name}", default=None,
                            help=f"{what} des lignes qui n'en ont pas après lecture et jonction")
    parser.add_argument("--ajouter", action="store_true",
                        help="ajouter à la programmation existante (une ligne de même année, "
                             "dossier et financeur est remplacée)")


def build(files: list[Path], args: argparse.Namespace, data_dir: Path) -> ImportResult:
    """Read every funder's export and produce ``programmation.csv``."""
    mapping, described = load_mapping(args.layout)
    report = ImportReport("subventions")
    parts = []
    for path in files:
        frame = read_input(path, sheet=mapping.get("feuille"))
        label = frame.attrs.get("file_label", path.name)
        part = map_rows(frame, mapping, file_label=label)
        part["_fichier"], part["_ligne"] = label, part.index
        parts.append(part)
        used = set(mapping["colonnes"].values())
        ignored = [c for c in frame.columns if c not in used]
        report.read.append(f"{label} : {len(frame)} lignes ({described})")
        if ignored:
            report.dropped.append((f"{label} : colonne(s) " + ", ".join(map(str, ignored[:10]))
                                   + ("…" if len(ignored) > 10 else ""),
                                   "sans colonne correspondante dans la programmation"))
    for target, source in mapping["colonnes"].items():
        report.mapped.append((source, target))
    for target, value in mapping["valeurs"].items():
        report.mapped.append((f"« {value} » (valeur fixe)", target))
    rows = pd.concat(parts, ignore_index=True)
    from cdv_lib.readers import find_table

    existing_path = find_table(data_dir, "programmation")
    existing = None
    if args.ajouter and existing_path is not None:
        if existing_path.suffix.lower() != ".csv":
            raise fail(existing_path.name, "un fichier programmation.csv pour --ajouter")
        existing = read_input(existing_path)
        # the folder's rows take part in the join: a funder's file completes its actions
        pool = existing.reindex(columns=OUTPUT_COLUMNS).astype(object)
        pool = pool.where(pool.notna(), None)
        joined, filled = join_funders(pd.concat([pool, rows], ignore_index=True))
        rows = joined.iloc[len(pool):].set_index(rows.index)
    else:
        rows, filled = join_funders(rows)
    if filled:
        report.notes.append(f"{filled} champ(s) complété(s) depuis la ligne d'un autre financeur "
                            "du même numéro de dossier")
    for name in ("financeur", "annee", "pilier", "thematique", "commune"):
        value = getattr(args, name)
        if value is not None:
            col = {"annee": C.ANNEE}.get(name, name)
            n = int(rows[col].isna().sum())
            rows[col] = rows[col].where(rows[col].notna(), str(value))
            if n:
                report.notes.append(f"{n} ligne(s) sans {col} : « {value} » (--{name})")
    lookup = commune_lookup(data_dir)
    by_name = rows[C.COMMUNE].map(lambda v: lookup.get(fold(v)) if isinstance(v, str)
                                  and not re.fullmatch(r"\d{5}|2[AB]\d{3}|INTERCO", v.upper()) else None)
    if by_name.notna().any():
        report.notes.append(f"{int(by_name.notna().sum())} commune(s) données par leur nom, "
                            "remplacées par leur code INSEE")
        rows[C.COMMUNE] = by_name.where(by_name.notna(), rows[C.COMMUNE])
    no_request = rows[C.MONTANT_DEMANDE].isna() & rows[C.MONTANT_ACCORDE].notna()
    if no_request.any():
        rows.loc[no_request, C.MONTANT_DEMANDE] = rows.loc[no_request, C.MONTANT_ACCORDE]
        report.notes.append(f"{int(no_request.sum())} ligne(s) sans montant demandé : pris égal au "
                            "montant accordé")
    problems = []
    for col in REQUIRED:
        for i in rows.index[rows[col].isna()][:20]:
            problems.append(Problem(rows.at[i, "_fichier"], int(rows.at[i, "_ligne"]), None, None,
                                    f"une valeur pour {col} (absente du fichier et des autres "
                                    f"financeurs du dossier ; --{'annee' if col == C.ANNEE else col} "
                                    "VALEUR ou une correspondance)"))
    if problems:
        raise DataError(problems)
    dup = rows.duplicated([C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR], keep=False)
    if dup.any():
        raise DataError([Problem(rows.at[i, "_fichier"], int(rows.at[i, "_ligne"]), C.NUMERO_DOSSIER,
                                 f"{rows.at[i, C.ANNEE]} / {rows.at[i, C.NUMERO_DOSSIER]} / "
                                 f"{rows.at[i, C.FINANCEUR]}",
                                 "une seule ligne par année, dossier et financeur (en double)")
                         for i in rows.index[dup][:20]])
    out = rows[OUTPUT_COLUMNS]
    if out[C.TOTAL_DECLARE].isna().all():
        out = out.drop(columns=C.TOTAL_DECLARE)
    overwrite: set[str] = set()
    from cdv_lib.importers.insee import merge_existing

    if existing is not None:
        out, replaced = merge_existing(existing, out, [C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR])
        report.notes.append(f"ajout à {existing_path.name} : {len(existing) - replaced} ligne(s) "
                            f"gardée(s), {replaced} remplacée(s)")
        overwrite.add(existing_path.name)
    funders = out[C.FINANCEUR].value_counts()
    report.kept.append(f"programmation.csv : {len(out)} lignes, {out[C.NUMERO_DOSSIER].nunique()} "
                       "dossiers ; financeurs : " + ", ".join(f"{k} ({v})" for k, v in funders.items()))
    return ImportResult({"programmation.csv": csv_bytes(out.fillna(""))}, report,
                        overwrite_ok=overwrite)
