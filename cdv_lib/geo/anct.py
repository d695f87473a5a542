"""Reader of the ANCT list of QPV, ``listeqp2024-cog2024.csv`` (data.gouv.fr, « Quartiers
prioritaires de la politique de la ville (QPV) »), and its conversion to the contract's
``qpv`` table for one EPCI.

Layout (``docs/real_formats.md`` § 1): ``;``-separated, UTF-8 with BOM, empty columns after
the last named one; header ``code_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;
lib_com;siren_epci;lib_epci``. A QPV over several communes lists them in one quoted cell
joined by ``"; "``, in the same order in ``insee_com`` and ``lib_com``; ``siren_epci`` /
``lib_epci`` hold one value or such a list. Leading zeros of départements 01-09 are lost in
``insee_com`` (``1053`` for ``01053``) and restored; ``2A``/``2B`` codes stay as they are.

Pure functions: :func:`parse_anct_qpv` (text → DataFrame), :func:`read_anct_qpv` (file →
DataFrame), :func:`anct_to_qpv` (→ the contract's ``qpv`` table for one EPCI, QPV shared
with another EPCI kept and marked). Each result carries, in ``attrs["compte_rendu"]``, the
French lines saying what was understood, restored and dropped.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import DataError, Problem
from cdv_lib.readers import decode_bytes

__all__ = ["ANCT_COLUMNS", "anct_to_qpv", "parse_anct_qpv", "read_anct_qpv"]

ANCT_COLUMNS = ("code_qp", "lib_qp", "insee_reg", "lib_reg", "insee_dep", "lib_dep",
                "insee_com", "lib_com", "siren_epci", "lib_epci")
REPORT = "compte_rendu"
_LIST_SEP = re.compile(r"\s*;\s*")
_QPV = re.compile(r"Q[PN][0-9A-Z]{6}")
_INSEE = re.compile(r"\d{5}|2[AB]\d{3}")
_SIREN = re.compile(r"\d{9}")

#: columns of :func:`parse_anct_qpv`'s frame
OUT_COLUMNS = [C.CODE_QPV, C.NOM, "code_region", "region", "code_departement", "departement",
               C.COMMUNES, "noms_communes", "epci_communes", "siren_epci", "lib_epci"]


def _split(cell: str) -> list[str]:
    return [part for part in _LIST_SEP.split(cell.strip()) if part] if cell else []


def _restore_insee(code: str) -> tuple[str, bool]:
    code = code.strip().upper()
    if re.fullmatch(r"\d{4}", code):
        return "0" + code, True
    return code, False


def parse_anct_qpv(text: str, *, file_label: str = "listeqp2024-cog2024.csv") -> pd.DataFrame:
    """Parse the text of the ANCT list.

    Parameters
    ----------
    text : str
        The decoded file (a BOM is ignored).
    file_label : str
        File name used in problems.

    Returns
    -------
    DataFrame
        One row per QPV, index = line number in the file (header = 1): ``code_qpv``, ``nom``,
        ``code_region``, ``region``, ``code_departement`` (2 or 3 characters, zero
        restored), ``departement``, ``communes`` (INSEE codes, 5 characters, ``|``-joined, in
        the file's order), ``noms_communes`` (``|``-joined), ``epci_communes`` (SIREN of each
        commune's EPCI, ``|``-joined in the order of ``communes``, when the file says it: one
        EPCI for the QPV or one per commune; empty otherwise), ``siren_epci``, ``lib_epci``
        (the file's EPCI lists, ``|``-joined). ``attrs["compte_rendu"]``: French lines.

    Raises
    ------
    DataError
        Every problem found (missing columns, bad QPV/INSEE/SIREN codes, as many names as
        codes expected in ``lib_com``, a QPV listed twice), naming line, column and value.
    """
    text = text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";", quotechar='"'))
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise DataError([Problem(file_label, None, None, None,
                                 "une liste de QPV de l'ANCT (fichier vide)")])
    header = [h.strip().lower() for h in rows[0]]
    named = [h for h in header if h]
    trailing = len(header) - len(named)
    missing = [c for c in ANCT_COLUMNS if c not in header]
    if missing:
        sep_hint = " ; séparateur attendu : « ; »" if len(header) == 1 else ""
        raise DataError([Problem(
            file_label, 1, None, None,
            "les colonnes " + ", ".join(ANCT_COLUMNS) + " ; absentes : " + ", ".join(missing)
            + " ; colonnes lues : " + ", ".join(f"« {h} »" for h in named) + sep_hint)])
    pos = {name: header.index(name) for name in ANCT_COLUMNS}
    problems: list[Problem] = []
    out = []
    restored = 0
    dropped_cells = 0
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (len(header) - len(row))
        extra = [c for i, c in enumerate(row) if (i >= len(header) or not header[i]) and c.strip()]
        dropped_cells += len(extra)
        cell = {name: row[pos[name]].strip() for name in ANCT_COLUMNS}

        def bad(column, value, expected):
            problems.append(Problem(file_label, line, column, value, expected))

        code = cell["code_qp"].upper()
        if not _QPV.fullmatch(code):
            bad("code_qp", cell["code_qp"], "un code QPV : QN + 6 lettres ou chiffres (2024) "
                "ou QP + 6 chiffres (2015)")
        elif code in seen:
            bad("code_qp", code, f"un QPV par ligne ; déjà ligne {seen[code]}")
        else:
            seen[code] = line
        if not cell["lib_qp"]:
            bad("lib_qp", None, "le nom du QPV (cellule vide)")
        codes = []
        for part in _split(cell["insee_com"]):
            fixed, was_short = _restore_insee(part)
            restored += was_short
            if not _INSEE.fullmatch(fixed):
                bad("insee_com", part, "des codes INSEE (5 caractères, ou 4 chiffres dont le zéro "
                    "initial est perdu) séparés par « ; »")
            codes.append(fixed)
        if not codes:
            bad("insee_com", None, "au moins un code INSEE de commune")
        names = _split(cell["lib_com"])
        if codes and len(names) != len(codes):
            bad("lib_com", cell["lib_com"],
                f"autant de noms de communes que de codes dans insee_com ({len(codes)})")
        sirens = _split(cell["siren_epci"])
        for siren in sirens:
            if not _SIREN.fullmatch(siren):
                bad("siren_epci", siren, "des codes SIREN d'EPCI à 9 chiffres séparés par « ; »")
        libs = _split(cell["lib_epci"])
        if sirens and len(libs) != len(sirens):
            bad("lib_epci", cell["lib_epci"],
                f"autant de noms d'EPCI que de SIREN dans siren_epci ({len(sirens)})")
        if len(sirens) == 1:
            per_commune = sirens * len(codes)
        elif codes and len(sirens) == len(codes):
            per_commune = sirens
        else:
            per_commune = []
        dep = cell["insee_dep"].upper()
        if re.fullmatch(r"\d", dep):
            dep = "0" + dep
        out.append((line, code, cell["lib_qp"], cell["insee_reg"], cell["lib_reg"], dep,
                    cell["lib_dep"], "|".join(codes), "|".join(names), "|".join(per_commune),
                    "|".join(sirens), "|".join(libs)))
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame([r[1:] for r in out], columns=OUT_COLUMNS,
                         index=pd.Index([r[0] for r in out], name="ligne"), dtype=object)
    report = [f"{len(frame)} QPV lus dans {file_label}"]
    n_multi = int(frame[C.COMMUNES].str.contains("|", regex=False).sum()) if len(frame) else 0
    report.append(f"{n_multi} QPV couvrent plusieurs communes")
    if restored:
        report.append(f"{restored} code(s) INSEE à 4 chiffres complétés d'un zéro initial "
                      "(départements 01 à 09)")
    if trailing:
        report.append(f"{trailing} colonne(s) sans nom en fin de ligne ignorées"
                      + (f" ({dropped_cells} cellule(s) non vides)" if dropped_cells else ""))
    frame.attrs[REPORT] = report
    return frame


def read_anct_qpv(path: str | Path, *, file_label: str | None = None) -> pd.DataFrame:
    """Read ``listeqp2024-cog2024.csv`` (UTF-8 with or without BOM, or Windows-1252): see
    :func:`parse_anct_qpv`. The file is never modified."""
    path = Path(path)
    label = file_label or path.name
    return parse_anct_qpv(decode_bytes(path.read_bytes(), label), file_label=label)


def anct_to_qpv(anct: pd.DataFrame, code_epci: str, *, communes=None,
                epci_of=None, epci_names=None) -> pd.DataFrame:
    """The contract's ``qpv`` table of one EPCI from the ANCT list.

    A QPV belongs to the EPCI when at least one of its communes does. Its communes of the EPCI
    go to ``communes``; those of another EPCI to ``autres_communes``, with the other EPCI's
    names in ``partage_avec`` (« partagé avec la CA d'Hénin-Carvin » in the reports).

    Parameters
    ----------
    anct : DataFrame
        From :func:`read_anct_qpv`.
    code_epci : str
        SIREN of the EPCI (9 digits).
    communes : iterable of str, optional
        INSEE codes of the territory's communes (its ``communes`` table). When given, they
        decide membership; otherwise each commune's EPCI is taken from the file when it says
        it (one EPCI per QPV, or one per commune), else from *epci_of*.
    epci_of : dict, optional
        INSEE code → SIREN; default: the national reference shipped with the package.
    epci_names : dict, optional
        SIREN → name, for other EPCI the file does not name; default: the national
        reference.

    Returns
    -------
    DataFrame
        String columns ``code_qpv``, ``nom``, ``communes``, ``population`` (``nd``: the ANCT
        list has no population), ``autres_communes``, ``partage_avec`` (empty strings when
        not shared), sorted by code, ready to be written as ``qpv.csv``;
        ``attrs["compte_rendu"]`` says how many QPV were kept, which are shared and with whom,
        and how the commune → EPCI link was decided.

    Raises
    ------
    ValueError
        When no QPV of the list touches the EPCI. A commune whose EPCI cannot be known is
        kept in ``autres_communes``, its partner unnamed, and said in the report.
    """
    from cdv_lib.geo import reference

    code_epci = str(code_epci).strip()
    territory = None if communes is None else {str(c).strip().upper() for c in communes}
    if epci_names is None:
        epci_names = reference.epci_names()
    rows, unknown, from_reference = [], set(), 0
    for rec in anct.itertuples(index=False):
        codes = [c for c in rec.communes.split("|") if c]
        file_epci = [e for e in rec.epci_communes.split("|") if e]
        file_names = dict(zip([s for s in rec.siren_epci.split("|") if s],
                              [n for n in rec.lib_epci.split("|") if n]))
        if len(file_epci) == len(codes):
            owner = dict(zip(codes, file_epci))
        else:
            if epci_of is None:
                epci_of = reference.epci_of_communes(
                    c for cell in anct[C.COMMUNES] for c in cell.split("|") if c)
            owner = {c: epci_of.get(c) for c in codes}
        if territory is not None:
            inside = [c in territory for c in codes]
        else:
            inside = [owner[c] == code_epci for c in codes]
            from_reference += len(file_epci) != len(codes)
        if not any(inside):
            continue
        mine = [c for c, ok in zip(codes, inside) if ok]
        others = [c for c, ok in zip(codes, inside) if not ok]
        partners = []
        for c in others:
            siren = owner.get(c)
            if siren is None:
                unknown.add(c)
                continue
            name = file_names.get(siren) or epci_names.get(siren) or siren
            if name not in partners:
                partners.append(name)
        rows.append({C.CODE_QPV: rec.code_qpv, C.NOM: rec.nom, C.COMMUNES: "|".join(mine),
                     C.POPULATION: "nd", C.AUTRES_COMMUNES: "|".join(others),
                     C.PARTAGE_AVEC: "|".join(partners)})
    if not rows:
        raise ValueError(f"Aucun QPV de la liste de l'ANCT ne touche l'EPCI « {code_epci} ».")
    out = pd.DataFrame(rows, dtype=object).sort_values(C.CODE_QPV).reset_index(drop=True)
    shared = out[out[C.AUTRES_COMMUNES] != ""]
    report = [f"{len(out)} QPV de l'EPCI {code_epci} retenus sur {len(anct)} de la liste",
              "population « nd » : la liste de l'ANCT n'en donne pas (INSEE, pop_QPV24)"]
    for rec in shared.itertuples(index=False):
        report.append(f"{rec.code_qpv} {rec.nom} : partagé avec "
                      f"{rec.partage_avec.replace('|', ', ') or 'un autre EPCI'} "
                      f"(communes {rec.autres_communes.replace('|', ', ')})")
    if territory is not None:
        report.append("communes du territoire : celles du fichier communes")
    elif from_reference:
        report.append(f"EPCI de chaque commune pris dans la référence nationale pour "
                      f"{from_reference} QPV dont la liste ne le donne pas commune par commune")
    if unknown:
        report.append("EPCI inconnu pour les communes " + ", ".join(sorted(unknown))
                      + " : partenaire non nommé")
    out.attrs[REPORT] = report
    return out
