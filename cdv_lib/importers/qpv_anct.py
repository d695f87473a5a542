"""The ANCT list of QPV (``listeqp2024-cog2024.csv``, data.gouv.fr) → the contract's
``qpv.csv`` for the EPCI of the data folder.

Input layout (``docs/real_formats.md`` § 1), read by :mod:`cdv_lib.geo.anct`: ``;``, UTF-8
with BOM, empty columns after ``lib_epci``, a QPV over several communes listing them in one
quoted cell joined by ``"; "``, leading zeros of départements 01-09 lost in ``insee_com``
(restored), one EPCI or a ``"; "`` list in ``siren_epci`` / ``lib_epci``.

The EPCI is ``--epci SIREN``, else ``code_epci`` of the folder's ``config.yaml``, else the single
``code_epci`` of its ``communes`` table; none of them → refused. Only the QPV touching that EPCI
are kept; a QPV over two EPCI keeps its communes of the EPCI in ``communes`` and lists the
others in ``autres_communes``, the other EPCI's name in ``partage_avec`` (each commune's EPCI
from the national reference when the list gives several, see :func:`settle_commune_epci`).
The list has no
population: ``population`` is ``nd``, except that when an existing ``qpv.csv`` is replaced
(``--remplacer``), the populations already typed in it are kept for the QPV codes that stay
(and said so, QPV by QPV). QPV of the old file that leave are listed with their population.

When the folder has a ``communes`` table, every commune the new file puts in ``communes`` must
be in it and none of ``autres_communes`` may be: a mismatch (a commune missing, a folder of
another EPCI) is refused, naming the commune, its QPV and the line of the list.
"""

from __future__ import annotations

import argparse
import codecs
import re
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import DataError, Problem
from cdv_lib.importers.common import ImportReport, ImportResult, csv_bytes, fail

DESCRIPTION = ("liste nationale des QPV de l'ANCT (listeqp2024-cog2024.csv) vers qpv.csv, pour "
               "l'EPCI du dossier")
FILES_HELP = "listeqp2024-cog2024.csv (la liste de l'ANCT telle que publiée sur data.gouv.fr)"

TARGET = "qpv.csv"
ILLUSTRATIF = "illustratif"
OUTPUT_COLUMNS = [C.CODE_QPV, C.NOM, C.COMMUNES, C.POPULATION, ILLUSTRATIF,
                  C.AUTRES_COMMUNES, C.PARTAGE_AVEC]
#: columns of the list the contract does not need
UNUSED_COLUMNS = ("insee_reg", "lib_reg", "insee_dep", "lib_dep")
_SIREN = re.compile(r"\d{9}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epci", default=None, metavar="SIREN",
                        help="EPCI dont garder les QPV (défaut : code_epci de config.yaml, sinon "
                             "celui du fichier communes du dossier)")


# --------------------------------------------------------------------------- the EPCI
def folder_epci(data_dir: Path, option: str | None = None) -> tuple[str, str]:
    """The SIREN of the EPCI to import, and where it was found (French, for the report).

    Order: *option* (``--epci``), ``code_epci`` of ``config.yaml``, the single ``code_epci``
    of the folder's ``communes`` table.

    Raises
    ------
    DataError
        No EPCI anywhere, a code that is not 9 digits, an unreadable ``config.yaml`` (when no
        option is given), several EPCI in the communes table.
    """
    if option is not None:
        code = str(option).strip()
        if not _SIREN.fullmatch(code):
            raise fail("option --epci", "le code SIREN à 9 chiffres de l'EPCI", value=option)
        return code, "option --epci"
    config = data_dir / "config.yaml"
    if config.exists():
        import yaml

        try:
            raw = yaml.safe_load(config.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise fail("config.yaml", "un YAML lisible, ou l'option --epci SIREN "
                       f"({type(exc).__name__})") from None
        code = raw.get("code_epci") if isinstance(raw, dict) else None
        if code is not None and not (isinstance(code, str) and not code.strip()):
            text = str(code).strip()
            if isinstance(code, bool) or not _SIREN.fullmatch(text):
                raise fail("config.yaml", "un code SIREN à 9 chiffres, entre guillemets",
                           column="code_epci", value=code)
            return text, "config.yaml"
    communes = _folder_communes(data_dir)
    if communes is not None and C.CODE_EPCI in communes.columns:
        codes = sorted({str(c).strip() for c in communes[C.CODE_EPCI].dropna() if str(c).strip()})
        if len(codes) > 1:
            raise fail(communes.attrs["file"], "un seul EPCI, ou l'option --epci SIREN pour "
                       "choisir", column=C.CODE_EPCI, value=", ".join(codes))
        if codes and _SIREN.fullmatch(codes[0]):
            return codes[0], f"{communes.attrs['file']} (colonne code_epci ; config.yaml n'en "\
                             "donne pas)"
    raise fail("config.yaml", "l'EPCI du territoire : « code_epci: \"SIREN\" » dans "
               f"config.yaml du dossier {data_dir}, ou l'option --epci SIREN",
               column="code_epci")


def _folder_communes(data_dir: Path) -> pd.DataFrame | None:
    """The folder's communes table as strings (``attrs["file"]``), or None when absent or
    unreadable (``cdv validate`` reports it)."""
    from cdv_lib.readers import find_table, read_table

    path = find_table(data_dir, "communes")
    if path is None:
        return None
    try:
        frame = read_table(path)
    except DataError:
        return None
    frame.attrs["file"] = path.name
    return frame


def _epci_names(anct: pd.DataFrame) -> dict[str, str]:
    """SIREN → name: the national reference, completed by the names the list gives."""
    from cdv_lib.geo import reference

    names = dict(reference.epci_names())
    for sirens, libs in zip(anct["siren_epci"], anct["lib_epci"]):
        for siren, lib in zip(sirens.split("|"), libs.split("|")):
            if siren and lib:
                names.setdefault(siren, lib)
    return names


# --------------------------------------------------------------------------- the list
def read_list(path: Path) -> tuple[pd.DataFrame, str]:
    """The ANCT list (see :func:`cdv_lib.geo.anct.parse_anct_qpv`) and a French line saying
    its encoding. Raises :class:`DataError` for a missing file, a workbook, an unreadable
    encoding, a wrong header, an empty list or bad rows."""
    from cdv_lib.geo.anct import parse_anct_qpv
    from cdv_lib.readers import decode_bytes

    if not path.is_file():
        raise fail(path.name, f"un fichier existant ({path})")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise fail(path.name, "la liste de l'ANCT au format CSV publié (listeqp2024-cog2024.csv, "
                   "« ; ») ; un classeur n'est pas lu : télécharger le CSV ou l'enregistrer en "
                   "CSV « ; » UTF-8")
    raw = path.read_bytes()
    text = decode_bytes(raw, path.name)
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "UTF-8 avec BOM (l'encodage publié)"
    else:
        try:
            raw.decode("utf-8")
            encoding = "UTF-8 sans BOM"
        except UnicodeDecodeError:
            encoding = ("Windows-1252, pas l'UTF-8 publié (fichier réenregistré par un tableur ?) : "
                        "lu comme tel, accents vérifiés")
    anct = parse_anct_qpv(text, file_label=path.name)
    if anct.empty:
        raise fail(path.name, "au moins un QPV sous l'en-tête (le fichier n'a que l'en-tête)",
                   row=2)
    return anct, encoding


def settle_commune_epci(anct: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Decide, for a QPV listed with several EPCI, which EPCI each of its communes is in.

    The published layout does not say how ``siren_epci`` reads for a QPV over two EPCI; with
    as many SIREN as communes, :func:`cdv_lib.geo.anct.parse_anct_qpv` pairs them in order,
    which is a guess. Here the national reference decides whenever it knows every commune of
    the QPV and names only EPCI the list gives (``epci_communes`` emptied, so that
    :func:`~cdv_lib.geo.anct.anct_to_qpv` takes it); the pairing in order is kept otherwise.

    Parameters
    ----------
    anct : DataFrame
        From :func:`cdv_lib.geo.anct.parse_anct_qpv` (``code_qpv``, ``communes``,
        ``epci_communes``, ``siren_epci``, ``|``-joined).

    Returns
    -------
    (DataFrame, list of str)
        A copy of *anct*, and one French line per QPV where the pairing in order was
        replaced by a different reading, or kept without being checked.
    """
    from cdv_lib.geo import reference

    out = anct.copy()
    several = out["siren_epci"].str.contains("|", regex=False)
    if not several.any():
        return out, []
    known = reference.epci_of_communes(
        c for cell in out.loc[several, C.COMMUNES] for c in cell.split("|") if c)
    notes = []
    for idx in out.index[several.to_numpy()]:
        codes = out.at[idx, C.COMMUNES].split("|")
        sirens = set(out.at[idx, "siren_epci"].split("|"))
        paired = out.at[idx, "epci_communes"]
        if all(c in known for c in codes) and {known[c] for c in codes} <= sirens:
            if paired and paired.split("|") != [known[c] for c in codes]:
                notes.append(f"{out.at[idx, C.CODE_QPV]} : les EPCI de la liste ne sont pas dans "
                             "l'ordre de ses communes ; rattachement commune par commune pris "
                             "dans la référence nationale")
            out.at[idx, "epci_communes"] = ""
        elif paired:
            notes.append(f"{out.at[idx, C.CODE_QPV]} : EPCI de la liste rattachés aux communes "
                         "dans l'ordre (la référence nationale ne permet pas de le vérifier)")
    return out, notes


# --------------------------------------------------------------------------- old populations
def carry_populations(new: pd.DataFrame, old: pd.DataFrame, *, file_label: str,
                      code_epci: str) -> tuple[pd.DataFrame, ImportReport]:
    """Keep the populations typed in the *old* ``qpv`` table for the QPV codes of *new*.

    Parameters
    ----------
    new : DataFrame
        The new ``qpv`` table (string columns of :data:`OUTPUT_COLUMNS`, ``population`` « nd »).
    old : DataFrame
        The existing file as strings (:func:`cdv_lib.readers.read_table`, index = spreadsheet
        row): ``code_qpv``, ``population``, optionally ``nom``, ``illustratif`` and others.
    file_label : str
        Name of the old file, in the report.
    code_epci : str
        The EPCI imported, in the report.

    Returns
    -------
    (DataFrame, ImportReport)
        *new* with ``population`` set to the old integer where the code stays and the old one
        was an integer ≥ 0 of a real (not ``illustratif``) row; the report's ``kept`` lists
        the populations taken, ``dropped`` the old QPV that leave, populations not taken (and
        why) and old columns not carried over, ``notes`` the geography change.
    """
    from cdv_lib.formatting import fmt_int
    from cdv_lib.readers import parse_bool, parse_int

    report = ImportReport("qpv-anct")
    out = new.copy()
    if C.CODE_QPV not in old.columns:
        report.notes.append(f"{file_label} existant sans colonne code_qpv : aucune population "
                            "reprise")
        return out, report
    codes = old[C.CODE_QPV].fillna("").astype(str).str.strip().str.upper()
    names = old[C.NOM].fillna("").astype(str) if C.NOM in old.columns else pd.Series("", index=old.index)
    if C.POPULATION in old.columns:
        text = old[C.POPULATION].fillna("").astype(str).str.strip()
        nd = text.str.lower().eq("nd") | text.eq("")
        values, bad = parse_int(text.where(~nd, None))
        bad = bad | (values.notna() & (values < 0)).fillna(False).astype(bool)
    else:
        text = pd.Series("", index=old.index)
        values = pd.Series(pd.NA, index=old.index, dtype="Int64")
        bad = pd.Series(False, index=old.index)
        report.notes.append(f"{file_label} existant sans colonne population : aucune population "
                            "reprise")
    if ILLUSTRATIF in old.columns:
        invented, _ = parse_bool(old[ILLUSTRATIF])
    else:
        invented = pd.Series(False, index=old.index)
    rows_of: dict[str, list[int]] = {}
    for row, code in codes.items():
        if code:
            rows_of.setdefault(code, []).append(int(row))
    position = {code: i for i, code in enumerate(out[C.CODE_QPV])}
    taken = []
    for code, rows in rows_of.items():
        row = rows[0]
        label = f"{code} {names[row]}".strip()
        where = f"{file_label}, ligne {row}"
        if code not in position:
            pop = "" if pd.isna(values[row]) else f", population {fmt_int(int(values[row]))}"
            report.dropped.append((f"{label} ({where}{pop})",
                                   f"absent de la liste de l'ANCT pour l'EPCI {code_epci} : "
                                   "retiré du fichier des QPV"))
            continue
        if len(rows) > 1:
            report.dropped.append((f"population de {code} ({file_label}, lignes "
                                   f"{', '.join(map(str, rows))})",
                                   "QPV listé plusieurs fois dans l'ancien fichier : aucune "
                                   "population reprise, « nd »"))
            continue
        if bad[row]:
            report.dropped.append((f"population « {text[row]} » de {code} ({where})",
                                   "ni un entier positif ni « nd » : non reprise, « nd »"))
            continue
        if pd.isna(values[row]):
            continue
        if invented[row]:
            report.dropped.append((f"population {fmt_int(int(values[row]))} de {code} ({where})",
                                   "ligne marquée illustratif = oui (chiffre inventé) : non "
                                   "reprise, « nd »"))
            continue
        out.loc[position[code], C.POPULATION] = str(int(values[row]))
        taken.append(f"{code} ({fmt_int(int(values[row]))})")
    if taken:
        report.kept.append(f"population reprise de l'ancien {file_label} pour {len(taken)} QPV "
                           "dont le code reste : " + ", ".join(taken))
    extra = [c for c in old.columns if c not in OUTPUT_COLUMNS]
    for col in extra:
        report.dropped.append((f"colonne « {col} » de l'ancien {file_label}",
                               "absente de la liste de l'ANCT : non reprise"))
    old_geo = {c[:2] for c in rows_of if c[:2] in ("QP", "QN")}
    new_geo = {c[:2] for c in out[C.CODE_QPV]}
    if old_geo == {"QP"} and new_geo == {"QN"}:
        report.notes.append(f"l'ancien {file_label} est en géographie 2015 (codes QP…) et la "
                            "liste en géographie 2024 (QN…) : pas de correspondance un à un, "
                            "aucune population reprise")
    return out, report


# --------------------------------------------------------------------------- folder check
def check_against_communes(qpv: pd.DataFrame, anct: pd.DataFrame, communes: pd.DataFrame,
                           *, code_epci: str, list_label: str) -> list[Problem]:
    """Problems between the new ``qpv`` table and the folder's ``communes`` table (strings,
    ``attrs["file"]``): a commune of a kept QPV's ``communes`` missing from it, or a commune
    of ``autres_communes`` present in it. One problem when none of the kept QPV's communes
    is in it (a folder of another EPCI)."""
    label = communes.attrs.get("file", "communes.csv")
    if C.CODE_INSEE not in communes.columns:
        return []
    folder = {}
    for row, code in communes[C.CODE_INSEE].items():
        if isinstance(code, str) and code.strip():
            folder.setdefault(code.strip().upper(), int(row))
    line_of = dict(zip(anct[C.CODE_QPV], anct.index))
    name_of = {}
    for codes, names in zip(anct[C.COMMUNES], anct["noms_communes"]):
        name_of.update(zip(codes.split("|"), names.split("|")))
    mine = [(rec, c) for rec in qpv.itertuples(index=False) for c in rec.communes.split("|") if c]
    if mine and not any(c in folder for _, c in mine):
        return [Problem(label, None, C.CODE_INSEE, None,
                        f"les communes de l'EPCI {code_epci} : aucune des {len(mine)} communes de "
                        f"ses QPV n'y est (dossier d'un autre EPCI ? vérifier --epci ou "
                        "code_epci de config.yaml)")]
    problems = []
    national = None
    for rec, code in mine:
        if code in folder:
            continue
        if national is None:
            national = _national_communes()
        merged = "" if code in national else (" ; ce code manque aussi à la liste nationale "
                                              "des communes de l'atelier (commune nouvelle ou "
                                              "fusionnée depuis 2024 ?)")
        problems.append(Problem(
            label, None, C.CODE_INSEE, code,
            f"la commune {code} {name_of.get(code, '')}, couverte par le QPV {rec.code_qpv} "
            f"{rec.nom} ({list_label}, ligne {line_of[rec.code_qpv]}) : l'ajouter au fichier "
            f"des communes, ou vérifier l'EPCI{merged}"))
    for rec in qpv.itertuples(index=False):
        for code in (c for c in rec.autres_communes.split("|") if c):
            if code in folder:
                other = rec.partage_avec.replace("|", ", ") or "un autre EPCI"
                problems.append(Problem(
                    label, folder[code], C.CODE_INSEE, code,
                    f"une commune de l'EPCI {code_epci} : {code} {name_of.get(code, '')}, du QPV "
                    f"{rec.code_qpv} ({list_label}, ligne {line_of[rec.code_qpv]}), est de "
                    f"{other} selon la liste ou la référence nationale"))
    return problems


def _national_communes() -> set[str]:
    from cdv_lib.paths import REFERENCE_DIR

    path = REFERENCE_DIR / "communes_france.csv"
    try:
        ref = pd.read_csv(path, dtype=str, usecols=[C.CODE_INSEE], encoding="utf-8-sig")
    except (OSError, ValueError):
        return set()
    return set(ref[C.CODE_INSEE].dropna().str.upper())


# --------------------------------------------------------------------------- build
def build(files: list[Path], args: argparse.Namespace, data_dir: Path) -> ImportResult:
    """Read the ANCT list and produce ``qpv.csv`` for the folder's EPCI (module docstring)."""
    from cdv_lib.geo.anct import REPORT, anct_to_qpv
    from cdv_lib.readers import read_table, table_candidates
    from cdv_lib.scaffold import closest_epci

    if len(files) != 1:
        raise fail(", ".join(p.name for p in files),
                   f"un seul fichier, la liste de l'ANCT ({len(files)} donnés)")
    path = files[0]
    label = path.name
    code_epci, origin = folder_epci(data_dir, getattr(args, "epci", None))
    anct, encoding = read_list(path)
    names = _epci_names(anct)
    if code_epci not in names:
        close = closest_epci(code_epci, names)
        hint = (" ; les plus proches : " + " ; ".join(f"{c} {n}" for c, n in close)) if close else ""
        source = origin.split(" (")[0]
        raise fail(source, "le SIREN d'un EPCI connu (liste de référence nationale ou liste de "
                   f"l'ANCT){hint}", column=None if source.startswith("option") else "code_epci",
                   value=code_epci)
    epci_label = f"{code_epci} {names[code_epci]}"
    anct, pairing = settle_commune_epci(anct)
    try:
        qpv = anct_to_qpv(anct, code_epci, epci_names=names)
    except ValueError:
        raise fail(label, f"au moins un QPV de l'EPCI {epci_label} : aucun des {len(anct)} QPV "
                   "de la liste ne touche ses communes (liste d'un autre millésime ou extrait "
                   "d'une autre région ?)") from None

    communes = _folder_communes(data_dir)
    if communes is not None:
        problems = check_against_communes(qpv, anct, communes, code_epci=code_epci,
                                          list_label=label)
        if problems:
            raise DataError(problems)

    qpv[ILLUSTRATIF] = "non"
    qpv = qpv[OUTPUT_COLUMNS]
    candidates = table_candidates(data_dir, "qpv")
    other = [p for p in candidates if p.name != TARGET]
    if other:
        raise fail(other[0].name, f"pas d'autre fichier de la table qpv que {TARGET} (le "
                   f"supprimer, ou l'enregistrer en {TARGET} et ajouter --remplacer)")

    report = ImportReport("qpv-anct")
    report.read.append(f"{label} : {encoding}, séparateur « ; »")
    report.read.extend(anct.attrs.get(REPORT, []))
    report.mapped += [
        ("code_qp", f"{C.CODE_QPV} (majuscules)"),
        ("lib_qp", C.NOM),
        ("insee_com (liste « ; »)", f"{C.COMMUNES} pour les communes de l'EPCI, "
                                    f"{C.AUTRES_COMMUNES} pour celles d'un autre EPCI (« | »)"),
        ("siren_epci, lib_epci", f"appartenance à l'EPCI et {C.PARTAGE_AVEC} (nom de l'autre EPCI)"),
        ("(absente de la liste)", f"{C.POPULATION} « nd » tant qu'elle n'est pas fournie"),
        ("(absente de la liste)", f"{ILLUSTRATIF} « non » : codes et noms officiels de l'ANCT"),
        (f"EPCI ({origin})", epci_label),
    ]
    rendu = qpv.attrs.get(REPORT, []) or []
    shared = int((qpv[C.AUTRES_COMMUNES] != "").sum())
    report.kept.append(f"{TARGET} : {len(qpv)} QPV de l'EPCI {epci_label}"
                       + (f", dont {shared} partagé(s) avec un autre EPCI" if shared else ""))
    # anct_to_qpv's lines: first the count, then one per shared QPV, then how the link was made
    for line in rendu:
        if line.startswith(tuple(qpv[C.CODE_QPV])):
            report.kept.append(line)
        elif not line.startswith(("population", f"{len(qpv)} QPV")):
            report.notes.append(line)
    if len(anct) > len(qpv):
        report.dropped.append((f"{len(anct) - len(qpv)} QPV de la liste",
                               f"aucune de leurs communes n'est dans l'EPCI {code_epci}"))
    kept_codes = set(qpv[C.CODE_QPV])
    report.notes.extend(line for line in pairing if line.split(" : ")[0] in kept_codes)
    report.dropped.append(("colonnes " + ", ".join(UNUSED_COLUMNS),
                           "région et département, que le contrat ne garde pas"))
    report.dropped.append(("colonne lib_com", "les noms des communes sont ceux du fichier des "
                                              "communes (lus ici pour les messages)"))

    existing = data_dir / TARGET
    if existing.exists():
        try:
            old = read_table(existing)
        except DataError as exc:
            report.notes.append(f"{TARGET} existant illisible ({exc.problems[0].expected}) : "
                                "aucune population reprise")
        else:
            qpv, part = carry_populations(qpv, old, file_label=TARGET, code_epci=code_epci)
            for name in ("kept", "dropped", "notes"):
                getattr(report, name).extend(getattr(part, name))
    missing = qpv[qpv[C.POPULATION] == "nd"][C.CODE_QPV].tolist()
    if missing:
        report.notes.append(f"population « nd » pour {len(missing)} QPV : la liste de l'ANCT n'en "
                            "donne pas ; la saisir dans qpv.csv (INSEE, population des QPV 2024)"
                            + (" : " + ", ".join(missing) if len(missing) < len(qpv) else ""))
    if origin == "option --epci":
        configured = _configured_epci(data_dir)
        if configured and configured != code_epci:
            report.notes.append(f"l'EPCI choisi ({code_epci}) n'est pas celui de config.yaml "
                                f"({configured}) : mettre config.yaml à jour si le territoire change")
    return ImportResult({TARGET: csv_bytes(qpv)}, report)


def _configured_epci(data_dir: Path) -> str | None:
    try:
        return folder_epci(data_dir)[0]
    except DataError:
        return None
