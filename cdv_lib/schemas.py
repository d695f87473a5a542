"""Typing and checking of every input table of the data contract (``data/README.md``).

A raw string frame (from :func:`cdv_lib.readers.read_table`) is converted to its *typed form*
with the ``parse_*`` helpers, then checked by a pandera schema (``lazy=True``: every failure is
collected). Conversion failures and pandera failures both become :class:`Problem` objects naming
file, spreadsheet row, column, raw value and, in French, what was expected.

Typed forms (index = spreadsheet row number, named ``ligne``; text columns are object dtype
holding ``str``, missing = NaN; extra columns of the file are kept, as raw strings, after these):

- communes: code_insee, nom, population Int64, signataire bool, code_epci
- qpv: code_qpv, nom, communes ("|"-separated code_insee of the territory's communes),
  population Int64 (NA = ``nd``, not supplied yet), illustratif bool, autres_communes
  ("|"-separated code_insee of communes of another EPCI the QPV also covers, NaN if none),
  partage_avec (names of those other EPCI, ``|``-separated, NaN if not given). Every code of one
  file belongs to one geography (``QP`` 2015 or ``QN`` 2024): mixing them is an error.
- indicateurs: niveau, code, annee Int64, indicateur, valeur float64 (NaN for ``s``/``nd``/``ns``),
  marqueur (``s``, ``nd``, ``ns`` or NaN), unite, sommable bool, source
- programmation: annee Int64, numero_dossier, porteur, intitule, commune (code_insee or
  ``INTERCO``), code_qpv, pilier, thematique, financeur, montant_demande float64,
  montant_accorde float64 (empty = 0.0), total_declare float64 (NaN if absent)
- actions_sante: annee Int64, commune, intitule, thematique, public, duree (``ponctuelle`` or
  ``pérenne``), dispositif
- entretiens: id_entretien, type_acteur, categorie, code, verbatim, anonymise bool
- perr: id Int64, intitule, statut, indicateurs, pilier
- reunions: date datetime64[ns] (``AAAA-MM-JJ`` or ``JJ/MM/AAAA``), dispositif, instance,
  groupe, participant, duree_heures float64, elus Int64, techniciens Int64
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import Problem
from cdv_lib.readers import _as_text, parse_bool, parse_int
from cdv_lib.text import fold, parse_numbers

INSEE_RE = r"(?:\d{5}|2[AB]\d{3})"
QPV_RE = r"(?:QP\d{6}|QN[0-9A-Z]{6})"
EPCI_RE = r"\d{9}"
NIVEAUX = ("qpv", "commune", "epci", "departement", "region", "france")
DUREES = ("ponctuelle", "pérenne")
CATEGORIES = ("frein", "levier", "proposition", "constat")
STATUTS = ("réalisé", "en cours", "partiellement réalisé", "non engagé")
MARKERS = ("s", "nd", "ns")  # INSEE: secret, non disponible, non significatif
MAX_PER_KIND = 50  # problems of one kind listed per column before summarising


class _Pandera:
    """``pandera.pandas``, imported when a table is first checked: reading the column lists
    and empty frames of this module (the app's kernels, which receive the checked dataset,
    :func:`cdv_lib.dataset.write_snapshot`) costs no pandera import (about 11 MB and 0,3 s)."""

    def __getattr__(self, name: str):
        import pandera.pandas

        return getattr(pandera.pandas, name)


pa = _Pandera()

EXPECT_INSEE = "un code INSEE de 5 caractères (5 chiffres, ou 2A/2B suivi de 3 chiffres)"
EXPECT_QPV = "un code QPV : QP + 6 chiffres (2015) ou QN + 6 lettres ou chiffres (2024)"
EXPECT_INT = "un nombre entier"
EXPECT_INT_OR_MARKER = "un nombre entier, ou « nd » (non disponible) tant qu'il n'est pas connu"
EXPECT_FLOAT = "un nombre (virgule décimale et séparateur de milliers acceptés)"
EXPECT_DATE = "une date AAAA-MM-JJ ou JJ/MM/AAAA"
EXPECT_BOOL = "oui/non, 1/0, vrai/faux, true/false, o/n ou x/vide"
EXPECT_NOT_EMPTY = "une valeur (cellule vide)"
MARKER_HINT = " ; « s », « nd » et « ns » ne sont admis que dans la colonne valeur des indicateurs"


@dataclass(frozen=True)
class Field:
    """One column of the contract.

    ``kind`` is ``text``, ``int``, ``float``, ``bool`` or ``date``; ``required`` means the column must
    be present; ``nullable`` means a cell may be empty; ``default`` fills an absent optional
    column.
    """

    name: str
    kind: str = "text"
    required: bool = True
    nullable: bool = False
    default: object = np.nan
    markers: tuple[str, ...] = ()  # markers accepted instead of a number, typed as NA


TABLES: dict[str, tuple[Field, ...]] = {
    "communes": (
        Field(C.CODE_INSEE), Field(C.NOM), Field(C.POPULATION, "int"),
        Field(C.SIGNATAIRE, "bool"), Field(C.CODE_EPCI, required=False, nullable=True),
    ),
    "qpv": (
        Field(C.CODE_QPV), Field(C.NOM), Field(C.COMMUNES),
        Field(C.POPULATION, "int", nullable=True, markers=("nd",)),
        Field("illustratif", "bool", required=False, default=False),
        Field(C.AUTRES_COMMUNES, required=False, nullable=True),
        Field(C.PARTAGE_AVEC, required=False, nullable=True),
    ),
    "indicateurs": (
        Field(C.NIVEAU), Field(C.CODE), Field(C.ANNEE, "int"), Field(C.INDICATEUR),
        Field(C.VALEUR, "float", nullable=True), Field(C.UNITE), Field(C.SOMMABLE, "bool"),
        Field(C.SOURCE),
    ),
    "programmation": (
        Field(C.ANNEE, "int"), Field(C.NUMERO_DOSSIER), Field(C.PORTEUR), Field(C.INTITULE),
        Field(C.COMMUNE), Field(C.CODE_QPV, nullable=True), Field(C.PILIER),
        Field(C.THEMATIQUE), Field(C.FINANCEUR), Field(C.MONTANT_DEMANDE, "float"),
        Field(C.MONTANT_ACCORDE, "float", nullable=True),
        Field(C.TOTAL_DECLARE, "float", required=False, nullable=True),
    ),
    "actions_sante": (
        Field(C.ANNEE, "int"), Field(C.COMMUNE), Field(C.INTITULE), Field(C.THEMATIQUE),
        Field(C.PUBLIC), Field(C.DUREE), Field(C.DISPOSITIF),
    ),
    "entretiens": (
        Field(C.ID_ENTRETIEN), Field(C.TYPE_ACTEUR), Field(C.CATEGORIE), Field(C.CODE),
        Field(C.VERBATIM, nullable=True), Field(C.ANONYMISE, "bool"),
    ),
    "perr": (
        Field(C.ID, "int"), Field(C.INTITULE), Field(C.STATUT),
        Field(C.INDICATEURS, nullable=True), Field(C.PILIER, required=False, nullable=True),
    ),
    "reunions": (
        Field("date", "date"), Field(C.DISPOSITIF), Field("instance"),
        Field("groupe", required=False, nullable=True),
        Field("participant", required=False, nullable=True),
        Field("duree_heures", "float", required=False, nullable=True),
        Field("elus", "int", required=False, nullable=True),
        Field("techniciens", "int", required=False, nullable=True),
    ),
}
REQUIRED_TABLES = ("communes", "qpv")
INSEE_COLUMNS = {("communes", C.CODE_INSEE), ("programmation", C.COMMUNE),
                 ("actions_sante", C.COMMUNE)}


@dataclass(frozen=True)
class References:
    """Codes known from communes and qpv, for cross-table checks (None = not available)."""

    communes: frozenset[str] | None = None
    qpv: dict[str, frozenset[str]] | None = None  # code_qpv -> its communes

    @classmethod
    def from_frames(cls, communes: pd.DataFrame | None,
                    qpv: pd.DataFrame | None) -> References:
        codes = None
        if communes is not None and len(communes):
            # a code that lost its leading zero is reported once, in communes; other tables
            # referring to the full code must not repeat it
            known = communes[C.CODE_INSEE].dropna().astype(str)
            codes = frozenset(known) | frozenset(
                "0" + c for c in known if re.fullmatch(r"\d{4}", c))
        qpvs = None
        if qpv is not None and len(qpv):
            qpvs = {code: frozenset(split_codes(cell))
                    for code, cell in zip(qpv[C.CODE_QPV], qpv[C.COMMUNES]) if isinstance(code, str)}
        return cls(codes, qpvs)


def split_codes(cell: object) -> list[str]:
    """Split a ``|``-separated cell into stripped non-empty codes."""
    if not isinstance(cell, str):
        return []
    return [part.strip().upper() for part in cell.split(C.MULTI_SEPARATOR) if part.strip()]


def typed_columns(table: str) -> list[str]:
    """Columns of the typed form of *table*, in order."""
    names = [f.name for f in TABLES[table]]
    if table == "indicateurs":
        names.insert(names.index(C.VALEUR) + 1, "marqueur")
    return names


_DTYPES = {"text": object, "int": "Int64", "float": "float64", "bool": bool,
           "date": "datetime64[ns]"}


def empty_frame(table: str) -> pd.DataFrame:
    """An empty frame with the typed columns and dtypes of *table*."""
    kinds = {f.name: f.kind for f in TABLES[table]}
    data = {name: pd.Series([], dtype=_DTYPES[kinds.get(name, "text")])
            for name in typed_columns(table)}
    frame = pd.DataFrame(data)
    frame.index.name = "ligne"
    return frame


# --------------------------------------------------------------------------- normalising
def _key(value: object) -> object:
    return fold(value) if isinstance(value, str) else value


def normalize_duree(value: object) -> object:
    """``ponctuel``, ``Ponctuelles`` -> ``ponctuelle``; ``perenne``, ``long terme`` ->
    ``pérenne``; anything else unchanged."""
    key = _key(value)
    if not isinstance(key, str):
        return value
    if key.startswith("ponctuel"):
        return "ponctuelle"
    if key.rstrip("s") in {"perenne", "long terme", "longue duree", "permanent", "permanente",
                           "recurrent", "recurrente", "perennise", "perennisee"}:
        return "pérenne"
    return value


def _normalize_choice(value: object, choices: tuple[str, ...], *, plural: bool = False):
    key = _key(value)
    if not isinstance(key, str):
        return value
    keys = {_key(c): c for c in choices}
    if key in keys:
        return keys[key]
    if plural and key.rstrip("s") in keys:
        return keys[key.rstrip("s")]
    return value


def _normalize(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    def upper(col):
        if col in frame:
            frame[col] = frame[col].str.upper()

    if table == "communes":
        upper(C.CODE_INSEE)
    elif table == "qpv":
        upper(C.CODE_QPV)
        frame[C.COMMUNES] = frame[C.COMMUNES].map(
            lambda cell: C.MULTI_SEPARATOR.join(split_codes(cell)) if isinstance(cell, str)
            else cell)
        frame[C.AUTRES_COMMUNES] = frame[C.AUTRES_COMMUNES].map(
            lambda cell: (C.MULTI_SEPARATOR.join(split_codes(cell)) or np.nan)
            if isinstance(cell, str) else cell)
    elif table == "indicateurs":
        frame[C.NIVEAU] = frame[C.NIVEAU].map(lambda v: _normalize_choice(v, NIVEAUX))
        upper(C.CODE)
    elif table == "programmation":
        upper(C.COMMUNE)
        upper(C.CODE_QPV)
    elif table == "actions_sante":
        upper(C.COMMUNE)
        frame[C.DUREE] = frame[C.DUREE].map(normalize_duree)
    elif table == "entretiens":
        frame[C.CATEGORIE] = frame[C.CATEGORIE].map(
            lambda v: _normalize_choice(v, CATEGORIES, plural=True))
    elif table == "perr":
        frame[C.STATUT] = frame[C.STATUT].map(lambda v: _normalize_choice(v, STATUTS))
    return frame


# --------------------------------------------------------------------------- schemas
def _check(fn, error: str, name: str, **kw) -> pa.Check:
    return pa.Check(fn, error=error, name=name, ignore_na=True, **kw)


def _in(values, error: str, name: str) -> pa.Check:
    allowed = set(values)
    return _check(lambda s: s.isin(allowed), error, name)


def _matches(regex: str, error: str, name: str) -> pa.Check:
    return _check(lambda s: s.astype(str).str.fullmatch(regex), error, name)


def _unique(error: str = "une valeur unique dans le fichier") -> pa.Check:
    return _check(lambda s: ~s.duplicated(keep=False), error, "unique")


def _ge(low, error: str) -> pa.Check:
    return _check(lambda s: s >= low, error, f"ge{low}")


def _between(low, high, error: str) -> pa.Check:
    return _check(lambda s: (s >= low) & (s <= high), error, f"between{low}-{high}")


def _column(f: Field, checks=()) -> pa.Column:
    dtype = {"text": None, "int": "Int64", "float": "float64", "bool": bool,
             "date": "datetime64[ns]"}[f.kind]
    return pa.Column(dtype, list(checks), nullable=f.nullable, required=True)


@dataclass
class _Schema:
    schema: pa.DataFrameSchema
    frame_check_columns: dict[str, str] = field(default_factory=dict)
    key_columns: dict[str, list[str]] = field(default_factory=dict)


def _insee_checks(refs: References, *, allow_interco: bool = False) -> list[pa.Check]:
    allowed = "un code INSEE ou INTERCO" if allow_interco else EXPECT_INSEE
    regex = f"{INSEE_RE}|{C.INTERCO}" if allow_interco else INSEE_RE
    checks = [_matches(regex, allowed, "insee_format")]
    if refs.communes is not None:
        known = set(refs.communes) | ({C.INTERCO} if allow_interco else set())
        extra = " ou INTERCO" if allow_interco else ""
        checks.append(_check(
            lambda s: s.isin(known) | ~s.astype(str).str.fullmatch(regex),
            f"un code_insee du fichier communes{extra} (commune inconnue ou d'un autre EPCI)",
            "insee_known"))
    return checks


def build_schema(table: str, refs: References | None = None) -> _Schema:
    """The pandera schema of the typed form of *table*, with cross-table checks against
    *refs* when given."""
    refs = refs or References()
    fields = {f.name: f for f in TABLES[table]}
    checks: dict[str, list[pa.Check]] = defaultdict(list)
    frame_checks: list[pa.Check] = []
    frame_cols: dict[str, str] = {}
    keys: dict[str, list[str]] = {}
    year = _between(1990, 2100, "une année entre 1990 et 2100")
    non_negative = _ge(0, "un nombre positif ou nul")

    if table == "communes":
        checks[C.CODE_INSEE] += [_matches(INSEE_RE, EXPECT_INSEE, "insee_format"), _unique()]
        checks[C.POPULATION] += [non_negative]
        checks[C.CODE_EPCI] += [_matches(EPCI_RE, "un code SIREN d'EPCI à 9 chiffres", "siren")]
    elif table == "qpv":
        checks[C.CODE_QPV] += [_matches(QPV_RE, EXPECT_QPV, "qpv_format"), _unique()]
        checks[C.COMMUNES] += [_check(
            lambda s: s.map(lambda cell: all(re.fullmatch(INSEE_RE, c)
                                             for c in split_codes(cell)) and bool(cell)),
            "des codes INSEE de 5 caractères séparés par « | »", "communes_format")]
        if refs.communes is not None:
            known = refs.communes
            checks[C.COMMUNES].append(_check(
                lambda s: s.map(lambda cell: all(c in known for c in split_codes(cell)
                                                 if re.fullmatch(INSEE_RE, c))),
                "des communes du fichier communes (QPV d'une commune inconnue ou d'un "
                "autre EPCI)", "communes_known"))
        checks[C.AUTRES_COMMUNES] += [_check(
            lambda s: s.map(lambda cell: all(re.fullmatch(INSEE_RE, c)
                                             for c in split_codes(cell))),
            "des codes INSEE de 5 caractères séparés par « | »", "communes_format")]
        if refs.communes is not None:
            known = refs.communes
            checks[C.AUTRES_COMMUNES].append(_check(
                lambda s: s.map(lambda cell: not any(c in known for c in split_codes(cell))),
                "des communes hors du fichier communes (une commune du territoire va dans la "
                "colonne communes)", "autres_hors_territoire"))
        checks[C.POPULATION] += [non_negative]
        frame_checks.append(pa.Check(_one_geography, error=EXPECT_ONE_GEOGRAPHY,
                                     name="one_geography"))
        frame_cols[EXPECT_ONE_GEOGRAPHY] = C.CODE_QPV
    elif table == "indicateurs":
        checks[C.NIVEAU] += [_in(NIVEAUX, "un niveau parmi " + ", ".join(NIVEAUX), "niveau")]
        checks[C.ANNEE] += [year]
        checks["marqueur"] = [_in(MARKERS, "s, nd ou ns", "marqueur")]
        error = "un nombre, « s » (secret statistique), « nd » (non disponible) ou « ns » (non significatif)"
        frame_checks.append(pa.Check(
            lambda d: d[C.VALEUR].notna() | d["marqueur"].notna(), error=error,
            name="valeur_or_marker"))
        frame_cols[error] = C.VALEUR
        format_error = "un code de territoire conforme au niveau (QPV : QP/QN…, commune : " \
                       "5 caractères, epci : 9 chiffres)"
        frame_checks.append(pa.Check(_territory_code_ok, error=format_error, name="code_fmt"))
        frame_cols[format_error] = C.CODE
        if refs.qpv is not None:
            known_qpv = set(refs.qpv)
            error = "un code_qpv du fichier qpv pour le niveau qpv (QPV inconnu ou d'un autre EPCI)"
            frame_checks.append(pa.Check(
                lambda d: ~((d[C.NIVEAU] == "qpv") & d[C.CODE].str.fullmatch(QPV_RE, na=False)
                            & ~d[C.CODE].isin(known_qpv)), error=error, name="qpv_known"))
            frame_cols[error] = C.CODE
        if refs.communes is not None:
            known_com = set(refs.communes)
            error = "un code_insee du fichier communes pour le niveau commune (commune " \
                    "inconnue ou d'un autre EPCI)"
            frame_checks.append(pa.Check(
                lambda d: ~((d[C.NIVEAU] == "commune")
                            & d[C.CODE].str.fullmatch(INSEE_RE, na=False)
                            & ~d[C.CODE].isin(known_com)), error=error, name="com_known"))
            frame_cols[error] = C.CODE
        key = [C.NIVEAU, C.CODE, C.ANNEE, C.INDICATEUR]
        error = "une seule valeur par niveau, code, année et indicateur (ligne en double)"
        frame_checks.append(pa.Check(lambda d: ~d.duplicated(key, keep=False), error=error,
                                     name="unique_keys"))
        frame_cols[error] = C.INDICATEUR
        keys[error] = key
    elif table == "programmation":
        checks[C.ANNEE] += [_between(2000, 2100, "une année entre 2000 et 2100")]
        checks[C.COMMUNE] += _insee_checks(refs, allow_interco=True)
        checks[C.CODE_QPV] += [_matches(QPV_RE, EXPECT_QPV, "qpv_format")]
        if refs.qpv is not None:
            known_qpv = set(refs.qpv)
            checks[C.CODE_QPV].append(_check(
                lambda s: s.isin(known_qpv) | ~s.astype(str).str.fullmatch(QPV_RE),
                "un code_qpv du fichier qpv (QPV inconnu ou d'un autre EPCI)", "qpv_known"))
            pairs = {(q, c) for q, communes in refs.qpv.items() for c in communes}
            known_com = set(refs.communes or ())
            error = "un QPV situé dans la commune de l'action (ou commune INTERCO)"
            frame_checks.append(pa.Check(
                lambda d: pd.Series([
                    not (isinstance(q, str) and q in known_qpv and c in known_com
                         and (q, c) not in pairs)
                    for q, c in zip(d[C.CODE_QPV], d[C.COMMUNE])], index=d.index),
                error=error, name="qpv_commune"))
            frame_cols[error] = C.CODE_QPV
        for col in (C.MONTANT_DEMANDE, C.MONTANT_ACCORDE, C.TOTAL_DECLARE):
            checks[col] += [_ge(0, "un montant positif ou nul")]
        key = [C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR]
        error = "une seule ligne par année, numéro de dossier et financeur (ligne en double)"
        frame_checks.append(pa.Check(lambda d: ~d.duplicated(key, keep=False), error=error,
                                     name="unique_keys"))
        frame_cols[error] = C.NUMERO_DOSSIER
        keys[error] = key
    elif table == "actions_sante":
        checks[C.ANNEE] += [year]
        checks[C.COMMUNE] += _insee_checks(refs)
        checks[C.DUREE] += [_in(DUREES, "« ponctuelle » ou « pérenne »", "duree")]
    elif table == "entretiens":
        checks[C.CATEGORIE] += [_in(CATEGORIES, "une catégorie parmi " + ", ".join(CATEGORIES),
                                    "categorie")]
    elif table == "reunions":
        checks["date"] += [_between(pd.Timestamp("1990-01-01"), pd.Timestamp("2100-12-31"),
                                    "une date entre 1990 et 2100")]
        for col in ("duree_heures", "elus", "techniciens"):
            checks[col] += [non_negative]
    elif table == "perr":
        checks[C.ID] += [_ge(1, "un entier supérieur ou égal à 1"), _unique()]
        checks[C.STATUT] += [_in(STATUTS, "un statut parmi " + ", ".join(STATUTS), "statut")]

    cols = {name: _column(f, checks.get(name, ())) for name, f in fields.items()}
    if "marqueur" in checks:
        cols["marqueur"] = pa.Column(None, checks["marqueur"], nullable=True)
    schema = pa.DataFrameSchema(cols, checks=frame_checks, strict=False, name=table)
    return _Schema(schema, frame_cols, keys)


EXPECT_ONE_GEOGRAPHY = (
    "un code de la même géographie prioritaire que les autres lignes (QP… = 2015, "
    "QN… = 2024) : un fichier qpv ne mêle pas les deux géographies")


def _one_geography(d: pd.DataFrame) -> pd.Series:
    """Rows whose code is not of the file's majority geography (``QP`` or ``QN``) fail."""
    prefix = d[C.CODE_QPV].astype("string").str.upper().str[:2]
    valid = prefix.isin(["QP", "QN"])
    counts = prefix[valid].value_counts()
    if len(counts) < 2:
        return pd.Series(True, index=d.index)
    # the majority is kept; on a tie the 2024 geography is the reference one
    keep = "QN" if counts.get("QN", 0) >= counts.get("QP", 0) else "QP"
    return (~valid | (prefix == keep)).fillna(True).astype(bool)


def _territory_code_ok(d: pd.DataFrame) -> pd.Series:
    patterns = {"qpv": QPV_RE, "commune": INSEE_RE, "epci": EPCI_RE,
                "departement": r"\d{2,3}|2[AB]", "region": r"\d{2}", "france": r"FR|FRANCE"}
    ok = pd.Series(True, index=d.index)
    for niveau, regex in patterns.items():
        rows = d[C.NIVEAU] == niveau
        ok &= ~rows | d[C.CODE].str.fullmatch(regex, na=True).astype(bool)
    return ok


# --------------------------------------------------------------------------- conversion
def parse_date(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ``AAAA-MM-JJ`` or ``JJ/MM/AAAA`` dates (a time part is ignored).

    Returns a ``datetime64[ns]`` Series (NaT for empty or bad) and the bool *bad* mask.
    """
    text = _as_text(series).str.strip().str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2})?$", "",
                                                     regex=True)
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    french = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    values = iso.fillna(french).astype("datetime64[ns]")
    bad = text.notna() & values.isna()
    return values, bad.astype(bool)


def check_table(table: str, raw: pd.DataFrame, *, file_label: str,
                refs: References | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert a raw string frame of *table* to its typed form and check it.

    Parameters
    ----------
    table : one of :data:`TABLES`.
    raw : frame from :func:`cdv_lib.readers.read_table` (index = spreadsheet row).
    file_label : file name used in problems.
    refs : known communes and QPV, for cross-table checks.

    Returns
    -------
    (typed, problems) : the typed frame (see module docstring; an empty typed frame when
        columns are missing) and every problem found.
    """
    problems = missing_columns(table, raw, file_label)
    if problems:
        return empty_frame(table), problems

    typed = pd.DataFrame(index=raw.index)
    typed.index.name = "ligne"
    seen: set[tuple[int, str]] = set()
    hint = {f.name: (MARKER_HINT if f.kind in ("int", "float") else "") for f in TABLES[table]}
    for f in TABLES[table]:
        if f.name not in raw.columns:
            typed[f.name] = pd.Series(f.default, index=raw.index,
                                      dtype=_DTYPES[f.kind] if f.kind != "text" else object)
            continue
        text = _as_text(raw[f.name])
        if f.markers:
            # a marker (« nd ») is a state, typed as NA; an empty cell is still refused
            marked = text.str.strip().str.lower().isin(f.markers).fillna(False).astype(bool)
            for row in raw.index[(text.isna()).to_numpy()]:
                problems.append(Problem(file_label, int(row), f.name, None,
                                        EXPECT_INT_OR_MARKER))
                seen.add((int(row), f.name))
            text = text.where(~marked, None)
        if table == "indicateurs" and f.name == C.VALEUR:
            lower = text.str.lower()
            marker = lower.where(lower.isin(MARKERS), np.nan)
            values, bad = parse_numbers(text.where(marker.isna(), None))
            typed[f.name] = values
            typed["marqueur"] = marker.astype(object)
            expected = "un nombre, « s » (secret statistique), « nd » (non disponible) ou « ns » (non significatif)"
        elif f.kind == "text":
            typed[f.name] = text.where(text.notna(), np.nan).astype(object)
            continue
        elif f.kind == "int":
            typed[f.name], bad = parse_int(text)
            expected = EXPECT_INT_OR_MARKER if f.markers else EXPECT_INT
        elif f.kind == "date":
            typed[f.name], bad = parse_date(text)
            expected = EXPECT_DATE
        elif f.kind == "float":
            values, bad = parse_numbers(text)
            if f.name == C.MONTANT_ACCORDE:
                values = values.where(text.notna() | bad, 0.0)
            typed[f.name] = values
            expected = EXPECT_FLOAT
        else:
            typed[f.name], bad = parse_bool(text)
            expected = EXPECT_BOOL
        for row in raw.index[bad.to_numpy()]:
            value = raw.at[row, f.name]
            extra = hint[f.name] if (str(value).strip().lower() in MARKERS
                                     and not f.markers) else ""
            problems.append(Problem(file_label, int(row), f.name, value, expected + extra))
            seen.add((int(row), f.name))
    typed = _normalize(table, typed)
    for f in TABLES[table]:
        if f.kind == "text":
            typed[f.name] = typed[f.name].astype(object)
    if "marqueur" in typed:
        typed["marqueur"] = typed["marqueur"].astype(object)
    extras = [c for c in raw.columns if c not in typed.columns]
    for col in extras:
        typed[col] = raw[col]

    spec = build_schema(table, refs)
    try:
        spec.schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems += _failures_to_problems(exc.failure_cases, spec, table, raw, typed,
                                          file_label, seen, refs or References())
    return typed, _summarise(problems)


def _failures_to_problems(cases: pd.DataFrame, spec: _Schema, table: str, raw: pd.DataFrame,
                          typed: pd.DataFrame, label: str,
                          seen: set[tuple[int, str]], refs: References) -> list[Problem]:
    problems = []
    done: set[tuple] = set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        column = spec.frame_check_columns.get(check, case.column)
        row = case.index
        if row is None or (isinstance(row, float) and np.isnan(row)):
            problems.append(Problem(label, None, column, None, _french(check)))
            continue
        row = int(row)
        if (row, column) in seen or (row, column, check) in done:
            continue
        done.add((row, column, check))
        expected = _french(check)
        if check in spec.key_columns:
            keys = spec.key_columns[check]
            value = " / ".join(str(raw.at[row, k]) if k in raw else "" for k in keys)
            same = typed[keys].eq(typed.loc[row, keys]).all(axis=1)
            others = [str(r) for r in typed.index[same] if r != row]
            expected += f" ; même clé ligne{'s' if len(others) > 1 else ''} {', '.join(others)}"
        else:
            value = raw.at[row, column] if column in raw.columns else case.failure_case
            if check == "une valeur unique dans le fichier":
                same = typed[column] == typed.at[row, column]
                others = [str(r) for r in typed.index[same.fillna(False)] if r != row]
                expected += f" ; déjà présente ligne{'s' if len(others) > 1 else ''} " \
                            f"{', '.join(others)}"
        if check == "not_nullable":
            value = ""
        if (table, column) in INSEE_COLUMNS and isinstance(value, str) \
                and re.fullmatch(r"\d{4}", value.strip()):
            expected += f" — zéro initial perdu ? (« 0{value.strip()} »)"
        if table == "qpv" and column == C.COMMUNES and check.startswith("des codes INSEE"):
            short = [c for c in split_codes(value) if re.fullmatch(r"\d{4}", c)]
            if short:
                expected += f" — zéro initial perdu ? (« 0{short[0]} »)"
        if table == "qpv" and column == C.COMMUNES and check.startswith("des communes du"):
            unknown = [c for c in split_codes(typed.at[row, column])
                       if c not in (refs.communes or ())]
            expected += f" ; inconnu{'s' if len(unknown) > 1 else ''} : {', '.join(unknown)}"
        problems.append(Problem(label, row, column, value, expected))
    return problems


def _french(check: str) -> str:
    return {"not_nullable": EXPECT_NOT_EMPTY,
            "field_uniqueness": "une valeur unique dans le fichier"}.get(check, check)


def _summarise(problems: list[Problem]) -> list[Problem]:
    """Keep at most MAX_PER_KIND problems per (file, column, expectation)."""
    counts: dict[tuple, int] = defaultdict(int)
    kept = []
    for p in sorted(problems, key=lambda p: (p.row or 0, str(p.column))):
        key = (p.file, p.column, p.expected)
        counts[key] += 1
        if counts[key] <= MAX_PER_KIND:
            kept.append(p)
    for (file, column, expected), n in counts.items():
        if n > MAX_PER_KIND:
            kept.append(Problem(file, None, column, None,
                                f"{expected} — et {n - MAX_PER_KIND} autre(s) ligne(s) "
                                "dans le même cas"))
    return kept


def missing_columns(table: str, raw: pd.DataFrame, file_label: str) -> list[Problem]:
    """One problem per required column absent from *raw*, naming the columns found and the
    closest one."""
    found = [str(c) for c in raw.columns]
    contract = {f.name for f in TABLES[table]}
    norm = {_column_key(c): c for c in found if c not in contract}
    listed = ", ".join(f"« {c} »" for c in found)
    required = [f.name for f in TABLES[table] if f.required]
    if not any(name in found for name in required):
        sheets = raw.attrs.get("other_sheets")
        hint = (" ; autres feuilles du classeur : " + ", ".join(f"« {s} »" for s in sheets)
                + f" — nommer la feuille de données « {table} »") if sheets else ""
        return [Problem(file_label, 1, None, None,
                        "les colonnes " + ", ".join(required) + " ; aucune trouvée, colonnes "
                        f"lues : {listed}{hint}")]
    problems = []
    for f in TABLES[table]:
        if not f.required or f.name in found:
            continue
        close = difflib.get_close_matches(_column_key(f.name), list(norm), n=1, cutoff=0.6)
        suggestion = f" ; « {norm[close[0]]} » à renommer en « {f.name} » ?" if close else ""
        problems.append(Problem(
            file_label, 1, f.name, None,
            f"une colonne « {f.name} » (absente) ; colonnes trouvées : "
            + listed + suggestion))
    return problems


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-'’.]+", "_", fold(name))
