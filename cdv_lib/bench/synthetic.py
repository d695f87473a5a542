"""National synthetic data: every French Contrat de Ville at once, for benchmarks.

The generator is **deterministic**: one ``numpy.random.Generator`` seeded once, draws in a
fixed order, no iteration over sets or dicts whose order could vary. The same seed gives
identical frames (:meth:`NationalData.fingerprint`).

Built on the real list of French communes and EPCI (Etalab, ``data/reference/
communes_france.csv``). Everything else is synthetic and marked so: QPV names and codes are
illustrative (``illustratif = True``), amounts, indicators and answers are drawn at random.

Rules (documented in ``benchmarks/README.md``)
----------------------------------------------
* **EPCI with a contrat**: the :data:`N_EPCI` (450) EPCI with the largest total population of
  the reference list (the 2024 géographie prioritaire counts about 450 contrats). The Lens-
  Liévin agglomeration (``246200364``, 242 000 inhabitants) is among them.
* **Signatory communes**: in each such EPCI, communes of at least :data:`SIGNATORY_MIN_POP`
  (5 000) inhabitants, and always the most populated one.
* **QPV**: :data:`N_QPV` (1 600) spread over the EPCI in proportion to the population of
  their signatory communes (largest remainders, at least one each); each QPV lies in a
  signatory commune drawn in proportion to population; about 10 % span two communes.
* **Programmation**: at least :data:`N_PROGRAMMATION` rows (one per action and funder,
  1 to 3 distinct funders per action), years 2015 to 2022, spread over the EPCI in proportion
  to their number of QPV.
* **Questionnaire** « habitants »: at least :data:`N_RESPONDENTS` respondents, spread like the
  programmation; every question type but free text (unique, echelle, multiple, matrice,
  numerique), with non-responses.
* **Indicateurs** (long form): five indicators for 2016 and 2019 at the levels qpv, commune
  (signatory), epci, departement, region and france; about 3 % secret (``s``) and 2 % not
  available (``nd``) at QPV level.
* **Actions santé, entretiens, PERR**: a few per signatory commune / per EPCI, so that every
  theme has data.

Tables are in the *typed* form that :func:`cdv_lib.dataset.load_dataset` gives (see
:mod:`cdv_lib.schemas`): text as object dtype holding ``str`` (missing = NaN), integers
``Int64``, booleans ``bool``, amounts ``float64``; indicator values ``float64`` with the
INSEE markers in ``marqueur``; index = spreadsheet row number named ``ligne``. The national frames are the
concatenation of the per-EPCI datasets: :meth:`NationalData.for_epci` gives one contract's
tables. PERR ids are unique within one EPCI (1..14), not nationally.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cdv_lib import columns as C
from cdv_lib.paths import REFERENCE_DIR

__all__ = [
    "N_EPCI",
    "N_PROGRAMMATION",
    "N_QPV",
    "N_RESPONDENTS",
    "NationalData",
    "generate",
    "read_reference",
    "reference_path",
    "select_epci",
    "survey_definition_dict",
    "typed_form",
]

N_EPCI = 450
N_QPV = 1_600
N_PROGRAMMATION = 250_000
N_RESPONDENTS = 50_000
SIGNATORY_MIN_POP = 5_000
YEARS = tuple(range(2015, 2023))
INDICATOR_YEARS = (2016, 2019)
SHARED_QPV_RATE = 0.10

SHARED_REFERENCE = Path("/work/shared/reference/communes_france.csv")

PILIERS = {
    "Cohésion sociale": ["Santé", "Éducation", "Culture", "Sport", "Parentalité",
                         "Accès aux droits", "Prévention de la délinquance"],
    "Cadre de vie et renouvellement urbain": ["Habitat", "Tranquillité publique", "Mobilité"],
    "Emploi et développement économique": ["Emploi", "Insertion", "Création d'activité"],
}
FINANCEURS = ["État", "Région", "Département", "Commune", "EPCI", "CAF", "Autre"]
FINANCEUR_WEIGHTS = np.array([0.32, 0.10, 0.12, 0.18, 0.14, 0.09, 0.05])

# (indicator id, unit, summable, source, QPV mean, spread)
INDICATORS = [
    ("population", "habitants", True, "INSEE RP", None, None),
    ("taux_pauvrete", "%", False, "INSEE Filosofi", 42.0, 8.0),
    ("revenu_median", "€", False, "INSEE Filosofi", 13_500.0, 1_800.0),
    ("part_logement_social", "%", False, "RPLS", 62.0, 15.0),
    ("taux_chomage", "%", False, "INSEE RP", 24.0, 6.0),
]

SANTE_THEMES = ["alimentation", "activité physique", "santé mentale", "addictions",
                "accès aux soins", "vie affective"]
SANTE_PUBLICS = ["adultes", "jeunes", "enfants", "seniors", "familles", "tout public"]
SANTE_DISPOSITIFS = ["ASV", "CLS", "Contrat de Ville", "droit commun"]
ACTEURS = ["habitant", "conseiller citoyen", "association", "élu", "technicien"]
CATEGORIES = ["frein", "levier", "proposition", "constat"]
CODES_ENTRETIEN = ["mobilisation", "horaires", "confiance", "information", "locaux",
                   "jeunes", "reconnaissance", "moyens", "echelle:information",
                   "echelle:consultation", "echelle:concertation", "echelle:co-construction",
                   "echelle:co-décision"]
PERR_STATUTS = ["réalisé", "en cours", "partiellement réalisé", "non engagé"]
N_PERR = 14

EPCI_COLUMNS = ["code_epci", "epci", "population", "n_communes", "n_signataires", "n_qpv",
                "n_lignes_programmation", "n_repondants"]


# ------------------------------------------------------------------ reference and selection
def reference_path() -> Path:
    """``data/reference/communes_france.csv``, or the project's shared copy until it is
    copied into ``data/``."""
    local = REFERENCE_DIR / "communes_france.csv"
    return local if local.exists() else SHARED_REFERENCE


def read_reference(path: str | Path | None = None) -> pd.DataFrame:
    """The Etalab list of communes, codes as strings, ``population`` Int64.

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``code_departement``, ``departement``, ``code_region``,
        ``code_epci`` (NA for the few communes outside any EPCI), ``epci``, ``population``.
    """
    ref = pd.read_csv(path or reference_path(), dtype=str, keep_default_na=False,
                      na_values=[""], encoding="utf-8-sig")
    for col in ["code_insee", "nom", "code_departement", "departement", "code_region",
                "code_epci", "epci"]:
        ref[col] = ref[col].astype("string").str.strip()
    ref["population"] = pd.to_numeric(ref["population"], errors="coerce").fillna(0).astype(
        "Int64")
    return ref


def select_epci(reference: pd.DataFrame, n: int = N_EPCI) -> pd.DataFrame:
    """The *n* EPCI with the largest population (ties broken by code).

    Returns
    -------
    DataFrame
        ``code_epci``, ``epci`` (name), ``population`` (Int64), ``n_communes`` (Int64),
        sorted by decreasing population.
    """
    ref = reference[reference["code_epci"].notna()]
    per = ref.groupby("code_epci", sort=True).agg(
        epci=("epci", "first"), population=("population", "sum"),
        n_communes=("code_insee", "size")).reset_index()
    per = per.sort_values(["population", "code_epci"], ascending=[False, True], kind="stable")
    per = per.head(n).reset_index(drop=True)
    per["population"] = per["population"].astype("Int64")
    per["n_communes"] = per["n_communes"].astype("Int64")
    per["epci"] = per["epci"].astype("string")
    per["code_epci"] = per["code_epci"].astype("string")
    return per


def _largest_remainder(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    """Integer allocation of *total* proportional to *weights*, each at least *minimum*."""
    n = len(weights)
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest <= 0:
        return base
    quota = weights / weights.sum() * rest
    alloc = np.floor(quota).astype(np.int64)
    remainder = quota - alloc
    missing = rest - alloc.sum()
    order = np.lexsort((np.arange(n), -remainder))
    alloc[order[:missing]] += 1
    return base + alloc


# ------------------------------------------------------------------ the dataset
@dataclass
class NationalData:
    """All synthetic tables, national frames in the typed contract form.

    Attributes
    ----------
    seed : int
    epci : DataFrame
        One row per EPCI with a contrat: ``code_epci``, ``epci``, ``population``,
        ``n_communes``, ``n_signataires``, ``n_qpv``, ``n_lignes_programmation``,
        ``n_repondants``.
    communes, qpv, indicateurs, programmation, actions_sante, entretiens, perr : DataFrame
        Contract tables (see ``data/README.md``), all EPCI together.
    survey : cdv_lib.survey.Survey
        Questionnaire « habitants »: definition, respondents (``respondent_id``,
        ``commune``, ``code_qpv``), long answers (``respondent_id``, ``question_id``,
        ``row``, ``value``).
    epci_of : dict of str to ndarray
        For each table name (and ``respondents``, ``answers``), the ``code_epci`` of each
        row, aligned with the table's rows: how the national frames split into contracts.
        Indicator rows of the département, région and France levels have ``""``.
    zones : DataFrame
        ``code_epci``, ``niveau`` (``departement`` or ``region``), ``code``: the wider
        territories each EPCI lies in, whose indicators its contract compares with.
    """

    seed: int
    epci: pd.DataFrame
    communes: pd.DataFrame
    qpv: pd.DataFrame
    indicateurs: pd.DataFrame
    programmation: pd.DataFrame
    actions_sante: pd.DataFrame
    entretiens: pd.DataFrame
    perr: pd.DataFrame
    survey: object
    epci_of: dict[str, np.ndarray] = field(default_factory=dict)
    zones: pd.DataFrame | None = None

    TABLES = ("communes", "qpv", "indicateurs", "programmation", "actions_sante",
              "entretiens", "perr")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Contract tables by name (without the questionnaire)."""
        return {name: getattr(self, name) for name in self.TABLES}

    def sizes(self) -> dict[str, int]:
        """Row counts: every table, ``epci``, ``repondants`` and ``reponses``."""
        out = {name: len(frame) for name, frame in self.tables().items()}
        out["epci"] = len(self.epci)
        out["repondants"] = len(self.survey.respondents)
        out["reponses"] = len(self.survey.answers)
        return out

    def fingerprint(self) -> dict[str, str]:
        """SHA-256 of each frame's content, index, column names and dtypes."""
        frames = dict(self.tables(), epci=self.epci, respondents=self.survey.respondents,
                      answers=self.survey.answers)
        return {name: frame_hash(frame) for name, frame in frames.items()}

    def for_epci(self, code_epci: str) -> dict[str, object]:
        """One contract's data: the tables, the survey and a config dict.

        Returns
        -------
        dict
            ``communes``, ``qpv``, ``indicateurs``, ``programmation``, ``actions_sante``,
            ``entretiens``, ``perr`` (DataFrames, index reset), ``survey`` (Survey restricted
            to the EPCI's respondents), ``config`` (``territoire``, ``code_epci``,
            ``annee``).

        Raises
        ------
        KeyError
            When the EPCI is not one with a contrat.
        """
        code = str(code_epci)
        match = self.epci[self.epci["code_epci"] == code]
        if match.empty:
            raise KeyError(f"EPCI « {code} » sans contrat dans les données synthétiques "
                           f"({len(self.epci)} EPCI retenus).")
        out: dict[str, object] = {}
        for name, frame in self.tables().items():
            keep = self.epci_of[name] == code
            if name == "indicateurs":
                zones = self.zones[self.zones["code_epci"] == code]
                wider = pd.MultiIndex.from_frame(frame[[C.NIVEAU, C.CODE]].astype(object))
                keep = keep | wider.isin(list(zip(zones[C.NIVEAU], zones[C.CODE]))) | (
                    frame[C.NIVEAU] == "france").to_numpy(dtype=bool)
            part = frame[keep]
            part.index = pd.RangeIndex(2, len(part) + 2, name="ligne")
            out[name] = part
        survey = self.survey
        out["survey"] = type(survey)(
            survey.definition,
            survey.respondents[self.epci_of["respondents"] == code].reset_index(drop=True),
            survey.answers[self.epci_of["answers"] == code].reset_index(drop=True))
        out["config"] = {"territoire": str(match["epci"].iloc[0]), "sigle": "",
                         "code_epci": code, "annee": YEARS[-1],
                         "secret": {"seuil_defaut": 5, "seuils": {}}}
        return out

    def dataset(self, code_epci: str | None = None):
        """A :class:`cdv_lib.dataset.Dataset` of one contract, or of all of them (``None``),
        as :func:`cdv_lib.dataset.load_dataset` would give it (questionnaire
        ``habitants``, no AMI rules)."""
        from cdv_lib.dataset import Dataset

        if code_epci is None:
            parts = dict(self.tables(), survey=self.survey,
                         config={"territoire": "France (synthétique)", "sigle": "",
                                 "code_epci": None, "annee": YEARS[-1],
                                 "secret": {"seuil_defaut": 5, "seuils": {}}})
        else:
            parts = self.for_epci(code_epci)
        return Dataset(Path("synthetique"), parts["config"],
                       **{name: parts[name] for name in self.TABLES},
                       questionnaires={"habitants": parts["survey"]}, ami_rules=None)

    def write_csv(self, folder: str | Path) -> Path:
        """Write the national frames as one contract folder of CSV files (``;``, UTF-8).

        Writes ``communes``, ``qpv``, ``indicateurs`` (valeur or its marker), ``programmation``,
        ``actions_sante``, ``entretiens``, ``questionnaires/habitants.yaml`` and its wide
        LimeSurvey-style response file. PERR is left out: its ids are unique per contract
        only. Returns *folder*.
        """
        folder = Path(folder)
        (folder / "questionnaires").mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables().items():
            if name == "perr":
                continue
            out = frame.copy()
            if name == "indicateurs":
                text = out[C.VALEUR].map(lambda v: "" if pd.isna(v) else repr(float(v)))
                out[C.VALEUR] = out["marqueur"].fillna(text)
                out = out.drop(columns="marqueur")
            for col in out.columns:
                if isinstance(out[col].dtype, pd.BooleanDtype) or out[col].dtype == bool:
                    out[col] = out[col].map({True: "oui", False: "non"})
            out.to_csv(folder / f"{name}.csv", sep=";", index=False, encoding="utf-8")
        definition = survey_definition_dict()
        with open(folder / "questionnaires" / "habitants.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(definition, fh, allow_unicode=True, sort_keys=False)
        wide_responses(self.survey).to_csv(
            folder / "questionnaires" / definition["reponses"], sep=";", index=False,
            encoding="utf-8")
        return folder


def typed_form(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast *frame* to the typed form :func:`cdv_lib.dataset.load_dataset` gives (see
    :mod:`cdv_lib.schemas`): text columns object dtype holding ``str`` (missing = NaN),
    ``Int64``, ``float64``, ``bool``; an empty ``montant_accorde`` is 0.0; index = the
    spreadsheet row number (first data row = 2) named ``ligne``."""
    from cdv_lib.schemas import TABLES, typed_columns

    kinds = {f.name: f.kind for f in TABLES[table]}
    defaults = {f.name: f.default for f in TABLES[table]}
    out = {}
    for name in typed_columns(table):
        # an optional column of the contract the generator does not fill: its default
        col = frame[name] if name in frame else pd.Series([defaults.get(name)] * len(frame))
        kind = kinds.get(name, "text")
        if kind == "text":
            values = col.astype(object).to_numpy(dtype=object, copy=True)
            values[pd.isna(values)] = np.nan
            out[name] = pd.Series(values, dtype=object)
        elif kind == "int":
            out[name] = pd.Series(pd.array(col, dtype="Int64"))
        elif kind == "float":
            values = col.astype("float64").to_numpy(copy=True)
            if name == C.MONTANT_ACCORDE:
                values = np.nan_to_num(values, nan=0.0)
            out[name] = pd.Series(values, dtype="float64")
        else:
            out[name] = pd.Series(col.astype("boolean").fillna(False).to_numpy(dtype=bool))
    typed = pd.DataFrame(out)
    typed.index = pd.RangeIndex(2, len(typed) + 2, name="ligne")
    return typed


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values (row hashes), index, column names and dtypes."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


# ------------------------------------------------------------------ questionnaire
def survey_definition_dict() -> dict:
    """The YAML structure of the synthetic « habitants » questionnaire (LimeSurvey columns)."""
    partners = [("etat", "État"), ("region", "Région"), ("departement", "Département"),
                ("caf", "CAF"), ("epci", "EPCI")]
    levels = ["Relation", "Connexion", "Cohésion", "Connexion dynamique", "Cohésion dynamique"]
    domains = [("sante", "Santé"), ("emploi", "Emploi et insertion"),
               ("education", "Éducation"), ("culture", "Culture"), ("sport", "Sport"),
               ("cadre_vie", "Cadre de vie")]
    return {
        "id": "habitants",
        "titre": "Questionnaire aux habitants (synthétique)",
        "reponses": "habitants_reponses.csv",
        "identifiant": "id",
        "envoyes": str(2 * N_RESPONDENTS),
        "valeurs_manquantes": ["", "NA"],
        "attributs": {"commune": {"colonne": "commune"}, "code_qpv": {"colonne": "qpv"}},
        "questions": [
            {"id": "connaissance", "libelle": "Connaissez-vous le Contrat de Ville ?",
             "type": "unique", "theme": "participation", "colonne": "Q1",
             "choix": [{"code": "oui", "libelle": "Oui"}, {"code": "non", "libelle": "Non"},
                       {"code": "nsp", "libelle": "Ne sait pas"}]},
            {"id": "satisfaction", "libelle": "Êtes-vous satisfait de la vie dans le quartier ?",
             "type": "echelle", "theme": "participation", "colonne": "Q2",
             "choix": [{"code": str(i + 1), "libelle": lab} for i, lab in enumerate(
                 ["Pas du tout", "Plutôt pas", "Plutôt", "Tout à fait"])]},
            {"id": "domaines", "libelle": "Quels domaines faut-il renforcer ?",
             "type": "multiple", "theme": "gouvernance", "format": "limesurvey",
             "choix": [{"code": code, "libelle": lab, "colonne": f"Q3[{code}]"}
                       for code, lab in domains]},
            {"id": "cooperation", "libelle": "Niveau de coopération par partenaire",
             "type": "matrice", "theme": "gouvernance",
             "lignes": [{"code": code, "libelle": lab, "colonne": f"Q4[{code}]"}
                        for code, lab in partners],
             "choix": [{"code": str(i + 1), "libelle": lab} for i, lab in enumerate(levels)]},
            {"id": "age", "libelle": "Âge", "type": "numerique", "theme": "participation",
             "colonne": "Q5"},
        ],
    }


def _survey_definition():
    from cdv_lib.survey import definition_from_dict

    return definition_from_dict(survey_definition_dict(), base_dir=".",
                                file_label="habitants.yaml")


def wide_responses(survey) -> pd.DataFrame:
    """The export a LimeSurvey user would have: one row per respondent, one column per
    single question, per ticked choice (``Y``) and per matrix row."""
    definition = survey.definition
    wide = pd.DataFrame({definition.id_column: survey.respondents[C.RESPONDENT_ID]})
    for name, col in definition.attributes.items():
        wide[col] = survey.respondents[name].to_numpy()
    ans = survey.answers
    for q in definition.questions:
        sub = ans[ans[C.QUESTION_ID] == q.id]
        if q.type == "multiple":
            for choice in q.choices:
                ticked = set(sub.loc[sub[C.VALUE] == choice.code, C.RESPONDENT_ID])
                wide[choice.column] = np.where(wide[definition.id_column].isin(ticked), "Y", "")
        elif q.type == "matrice":
            for row in q.rows:
                values = sub[sub[C.ROW] == row.code].set_index(C.RESPONDENT_ID)[C.VALUE]
                wide[row.column] = wide[definition.id_column].map(values).fillna("")
        else:
            values = sub.set_index(C.RESPONDENT_ID)[C.VALUE]
            wide[q.column] = wide[definition.id_column].map(values).fillna("")
    return wide


# ------------------------------------------------------------------ generation
def _strings(values) -> pd.Series:
    return pd.Series(values, dtype="string")


def generate(seed: int = 0, *, n_epci: int = N_EPCI, n_qpv: int = N_QPV,
             n_programmation: int = N_PROGRAMMATION, n_respondents: int = N_RESPONDENTS,
             reference: pd.DataFrame | None = None) -> NationalData:
    """Generate the national synthetic dataset.

    Parameters
    ----------
    seed : int
        Seed of the single ``numpy.random.Generator``; same seed, same frames.
    n_epci, n_qpv, n_programmation, n_respondents : int
        Sizes (defaults: 450 EPCI, 1 600 QPV, 250 000 programmation rows, 50 000
        respondents). Programmation rows and respondents are at least the number asked.
    reference : DataFrame, optional
        The reference list of communes (:func:`read_reference` by default).

    Returns
    -------
    NationalData
    """
    rng = np.random.default_rng(seed)
    ref = read_reference() if reference is None else reference
    epci = select_epci(ref, n_epci)
    epci_codes = epci["code_epci"].to_numpy(dtype=object)

    # communes of the selected EPCI, signatories
    # communes grouped by EPCI in the EPCI order (decreasing population), so that each
    # EPCI's signatory communes form a contiguous range
    communes = ref[ref["code_epci"].isin(set(epci_codes))].copy()
    rank = {code: i for i, code in enumerate(epci_codes)}
    communes["_rank"] = communes["code_epci"].map(rank).astype("int64")
    communes = communes.sort_values(["_rank", "code_insee"], kind="stable").reset_index(
        drop=True)
    pop = communes["population"].to_numpy(dtype=np.int64)
    top = communes.groupby("code_epci", sort=False)["population"].transform("max")
    signataire = (pop >= SIGNATORY_MIN_POP) | (pop == top.to_numpy(dtype=np.int64))
    communes_out = pd.DataFrame({
        C.CODE_INSEE: communes["code_insee"].astype("string"),
        C.NOM: communes["nom"].astype("string"),
        C.POPULATION: communes["population"].astype("Int64"),
        C.SIGNATAIRE: pd.array(signataire, dtype="boolean"),
        C.CODE_EPCI: communes["code_epci"].astype("string"),
    })
    sig = communes_out[signataire].reset_index(drop=True)
    sig_epci = sig[C.CODE_EPCI].to_numpy(dtype=object)
    sig_pop = sig[C.POPULATION].to_numpy(dtype=np.float64)
    epci_index = {code: i for i, code in enumerate(epci_codes)}
    sig_epci_idx = np.array([epci_index[c] for c in sig_epci], dtype=np.int64)
    sig_pop_per_epci = np.bincount(sig_epci_idx, weights=sig_pop, minlength=len(epci))
    # signatory communes of each EPCI as contiguous ranges (communes sorted by EPCI)
    starts = np.searchsorted(sig_epci_idx, np.arange(len(epci)), side="left")
    ends = np.searchsorted(sig_epci_idx, np.arange(len(epci)), side="right")

    def draw_commune(epci_idx: np.ndarray) -> np.ndarray:
        """For each item of an EPCI, a signatory commune drawn in proportion to population."""
        out = np.empty(len(epci_idx), dtype=np.int64)
        u = rng.random(len(epci_idx))
        cum = np.cumsum(sig_pop)
        before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        target = before[epci_idx] + u * sig_pop_per_epci[epci_idx]
        out[:] = np.searchsorted(cum, target, side="right")
        return np.minimum(np.maximum(out, starts[epci_idx]), ends[epci_idx] - 1)

    # QPV
    qpv_per_epci = _largest_remainder(sig_pop_per_epci, n_qpv)
    qpv_epci = np.repeat(np.arange(len(epci)), qpv_per_epci)
    qpv_commune = draw_commune(qpv_epci)
    n_sig = (ends - starts)[qpv_epci]
    shared = (rng.random(len(qpv_epci)) < SHARED_QPV_RATE) & (n_sig > 1)
    offset = rng.integers(1, np.maximum(n_sig, 2), size=len(qpv_epci))
    second = starts[qpv_epci] + (qpv_commune - starts[qpv_epci] + offset) % np.maximum(n_sig, 1)
    sig_codes = sig[C.CODE_INSEE].to_numpy(dtype=object)
    sig_names = sig[C.NOM].to_numpy(dtype=object)
    first_code = sig_codes[qpv_commune]
    qpv_communes = np.where(shared, first_code + C.MULTI_SEPARATOR + sig_codes[second],
                            first_code)
    cap = np.maximum(sig_pop[qpv_commune] * 0.6, 1_000)
    qpv_pop = np.minimum(np.round(rng.lognormal(np.log(3_000), 0.55, len(qpv_epci))), cap)
    qpv_pop = np.maximum(qpv_pop, 1_000).astype(np.int64)
    dep = [code[:3] if code.startswith("97") else code[:2] for code in first_code]
    seq = np.zeros(len(qpv_epci), dtype=np.int64)
    counters: dict[str, int] = {}
    for i, d in enumerate(dep):
        counters[d] = counters.get(d, 0) + 1
        seq[i] = counters[d]
    qpv_codes = [f"QN{d.zfill(3)}{s:03d}" for d, s in zip(dep, seq)]
    qpv_names = [f"Quartier {s} de {name} (illustratif)"
                 for s, name in zip(seq, sig_names[qpv_commune])]
    qpv_out = pd.DataFrame({
        C.CODE_QPV: _strings(qpv_codes),
        C.NOM: _strings(qpv_names),
        C.COMMUNES: _strings(qpv_communes),
        C.POPULATION: pd.array(qpv_pop, dtype="Int64"),
        "illustratif": pd.array(np.ones(len(qpv_epci), dtype=bool), dtype="boolean"),
    })
    qpv_code_arr = np.array(qpv_codes, dtype=object)
    # QPV of each signatory commune (first commune only), for programmation and survey
    qpv_order = np.argsort(qpv_commune, kind="stable")
    qpv_sorted_commune = qpv_commune[qpv_order]

    def draw_qpv(commune_idx: np.ndarray) -> np.ndarray:
        """A QPV lying in each commune, or None when the commune has none."""
        lo = np.searchsorted(qpv_sorted_commune, commune_idx, side="left")
        hi = np.searchsorted(qpv_sorted_commune, commune_idx, side="right")
        count = hi - lo
        pick = lo + np.floor(rng.random(len(commune_idx)) * np.maximum(count, 1)).astype(
            np.int64)
        pick = np.minimum(pick, len(qpv_order) - 1)
        codes = qpv_code_arr[qpv_order[pick]]
        return np.where(count > 0, codes, None)

    # programmation: actions with 1-3 distinct funders
    weights = qpv_per_epci.astype(np.float64)
    n_actions_guess = int(n_programmation / 1.6) + 1_000
    k = rng.choice([1, 2, 3], size=n_actions_guess, p=[0.55, 0.30, 0.15])
    n_actions = int(np.searchsorted(np.cumsum(k), n_programmation) + 1)
    k = k[:n_actions]
    act_epci = np.sort(rng.choice(len(epci), size=n_actions, p=weights / weights.sum()))
    act_year = rng.choice(np.array(YEARS), size=n_actions,
                          p=np.linspace(0.9, 1.4, len(YEARS)) / np.linspace(
                              0.9, 1.4, len(YEARS)).sum())
    order = np.lexsort((act_year, act_epci))
    act_epci, act_year = act_epci[order], act_year[order]
    interco = rng.random(n_actions) < 0.15
    act_commune = draw_commune(act_epci)
    act_qpv = draw_qpv(act_commune)
    act_qpv = np.where(interco | (rng.random(n_actions) < 0.3), None, act_qpv)
    pilier_names = list(PILIERS)
    act_pilier = rng.choice(len(pilier_names), size=n_actions, p=[0.6, 0.2, 0.2])
    theme_idx = np.floor(rng.random(n_actions) * np.array(
        [len(PILIERS[p]) for p in pilier_names])[act_pilier]).astype(np.int64)
    act_theme = np.array([PILIERS[pilier_names[p]][t] for p, t in zip(act_pilier, theme_idx)],
                         dtype=object)
    act_porteur = rng.integers(1, 120, size=n_actions)
    # per (EPCI, year) sequence number of the file
    group = act_epci * 10_000 + act_year
    first = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    sizes = np.diff(np.r_[first, n_actions])
    act_seq = np.arange(n_actions) - np.repeat(first, sizes) + 1
    funder_keys = rng.random((n_actions, len(FINANCEURS))) ** (1 / FINANCEUR_WEIGHTS)
    funder_rank = np.argsort(-funder_keys, axis=1, kind="stable")
    rows_action = np.repeat(np.arange(n_actions), k)
    rows_rank = np.arange(len(rows_action)) - np.repeat(np.cumsum(k) - k, k)
    rows_funder = funder_rank[rows_action, rows_rank]
    demande = np.round(rng.lognormal(np.log(6_000), 0.9, len(rows_action)), -1)
    accorde = np.round(demande * rng.uniform(0.5, 1.0, len(rows_action)), -1)
    accorde[rng.random(len(rows_action)) < 0.08] = np.nan
    total = np.bincount(rows_action, weights=np.nan_to_num(accorde), minlength=n_actions)
    epci_code_rows = epci_codes[act_epci][rows_action]
    year_rows = act_year[rows_action]
    numero = [f"{e}-{y}-{s:05d}" for e, y, s in zip(epci_code_rows, year_rows,
                                                    act_seq[rows_action])]
    commune_rows = np.where(interco[rows_action], C.INTERCO,
                            sig_codes[act_commune][rows_action])
    theme_rows = act_theme[rows_action]
    prog_out = pd.DataFrame({
        C.ANNEE: pd.array(year_rows, dtype="Int64"),
        C.NUMERO_DOSSIER: _strings(numero),
        C.PORTEUR: _strings([f"Association {p} ({e[-4:]})" for p, e in zip(
            act_porteur[rows_action], epci_code_rows)]),
        C.INTITULE: _strings([f"Action {t.lower()} n°{s}" for t, s in zip(
            theme_rows, act_seq[rows_action])]),
        C.COMMUNE: _strings(commune_rows),
        C.CODE_QPV: _strings(act_qpv[rows_action]),
        C.PILIER: _strings(np.array(pilier_names, dtype=object)[act_pilier][rows_action]),
        C.THEMATIQUE: _strings(theme_rows),
        C.FINANCEUR: _strings(np.array(FINANCEURS, dtype=object)[rows_funder]),
        C.MONTANT_DEMANDE: demande.astype("float64"),
        C.MONTANT_ACCORDE: accorde.astype("float64"),
        C.TOTAL_DECLARE: total[rows_action].astype("float64"),
    })

    # indicateurs (long)
    ind_frames = []
    deps = sorted(set(communes["code_departement"].dropna()))
    regions = sorted(set(communes["code_region"].dropna()))
    qpv_epci_codes = epci_codes[qpv_epci]
    levels = [("qpv", qpv_code_arr, qpv_pop.astype(np.float64), 1.0),
              ("commune", sig_codes, sig_pop, 0.6),
              ("epci", epci_codes, epci["population"].to_numpy(dtype=np.float64), 0.45),
              ("departement", np.array(deps, dtype=object), None, 0.4),
              ("region", np.array(regions, dtype=object), None, 0.38),
              ("france", np.array(["FR"], dtype=object), np.array([68_000_000.0]), 0.35)]
    for niveau, codes, pops, factor in levels:
        n = len(codes)
        for year in INDICATOR_YEARS:
            for ind, unit, summable, source, mean, spread in INDICATORS:
                if ind == "population":
                    base = pops if pops is not None else rng.uniform(2e5, 3e6, n)
                    values = np.round(base * rng.uniform(0.97, 1.03, n))
                elif unit == "€":
                    values = np.round(rng.normal(mean / factor ** 0.35, spread, n), -1)
                else:
                    values = np.round(np.clip(rng.normal(mean * factor, spread * factor, n),
                                              0, 100), 1)
                marker = np.full(n, None, dtype=object)
                if niveau == "qpv":
                    u = rng.random(n)
                    marker[u < 0.03] = "s"
                    marker[(u >= 0.03) & (u < 0.05)] = "nd"
                values = np.where(marker == None, values, np.nan)  # noqa: E711
                ind_frames.append(pd.DataFrame({
                    C.NIVEAU: niveau, C.CODE: codes, C.ANNEE: year, C.INDICATEUR: ind,
                    C.VALEUR: values.astype("float64"), "marqueur": marker, C.UNITE: unit,
                    C.SOMMABLE: summable, C.SOURCE: f"{source} {year} (synthétique)"}))
    ind = pd.concat(ind_frames, ignore_index=True)
    ind_out = pd.DataFrame({
        C.NIVEAU: ind[C.NIVEAU].astype("string"), C.CODE: ind[C.CODE].astype("string"),
        C.ANNEE: ind[C.ANNEE].astype("Int64"), C.INDICATEUR: ind[C.INDICATEUR].astype("string"),
        C.VALEUR: ind[C.VALEUR].astype("float64"), "marqueur": ind["marqueur"].astype("string"),
        C.UNITE: ind[C.UNITE].astype("string"),
        C.SOMMABLE: ind[C.SOMMABLE].astype("boolean"), C.SOURCE: ind[C.SOURCE].astype("string"),
    })
    # EPCI of each indicator row: QPV and communes map to theirs; wider levels belong to
    # the EPCI whose territory they contain (department/region/France are shared, "")
    ind_epci = np.full(len(ind_out), "", dtype=object)
    lookup = dict(zip(qpv_code_arr, qpv_epci_codes))
    lookup.update(zip(sig_codes, sig_epci))
    lookup.update(zip(epci_codes, epci_codes))
    lvl = ind_out[C.NIVEAU].to_numpy(dtype=object)
    code_arr = ind_out[C.CODE].to_numpy(dtype=object)
    fine = np.isin(lvl, ["qpv", "commune", "epci"])
    ind_epci[fine] = [lookup[c] for c in code_arr[fine]]

    # actions santé: per signatory commune and year
    n_sante = rng.poisson(np.clip(sig_pop / 20_000, 0.3, 6.0)[:, None], (len(sig), len(YEARS)))
    sante_commune = np.repeat(np.repeat(np.arange(len(sig)), len(YEARS)), n_sante.ravel())
    sante_year = np.repeat(np.tile(np.array(YEARS), len(sig)), n_sante.ravel())
    m = len(sante_commune)
    sante_theme = np.array(SANTE_THEMES, dtype=object)[rng.integers(0, len(SANTE_THEMES), m)]
    sante_out = pd.DataFrame({
        C.ANNEE: pd.array(sante_year, dtype="Int64"),
        C.COMMUNE: _strings(sig_codes[sante_commune]),
        C.INTITULE: _strings([f"Action {t}" for t in sante_theme]),
        C.THEMATIQUE: _strings(sante_theme),
        C.PUBLIC: _strings(np.array(SANTE_PUBLICS, dtype=object)[rng.choice(
            len(SANTE_PUBLICS), m, p=[0.26, 0.18, 0.14, 0.12, 0.15, 0.15])]),
        C.DUREE: _strings(np.where(rng.random(m) < 0.55, "ponctuelle", "pérenne")),
        C.DISPOSITIF: _strings(np.array(SANTE_DISPOSITIFS, dtype=object)[
            rng.integers(0, len(SANTE_DISPOSITIFS), m)]),
    })

    # entretiens: ~55 per EPCI, 1-4 codes each
    n_int = rng.integers(30, 60, len(epci))
    int_epci = np.repeat(np.arange(len(epci)), n_int)
    int_seq = np.arange(len(int_epci)) - np.repeat(np.cumsum(n_int) - n_int, n_int) + 1
    n_codes = rng.integers(1, 5, len(int_epci))
    row_int = np.repeat(np.arange(len(int_epci)), n_codes)
    e = len(row_int)
    anonymise = rng.random(e) < 0.7
    categorie = np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), e)]
    code = np.array(CODES_ENTRETIEN, dtype=object)[rng.integers(0, len(CODES_ENTRETIEN), e)]
    ent_out = pd.DataFrame({
        C.ID_ENTRETIEN: _strings([f"E{epci_codes[i][-4:]}-{s:03d}" for i, s in zip(
            int_epci[row_int], int_seq[row_int])]),
        C.TYPE_ACTEUR: _strings(np.array(ACTEURS, dtype=object)[
            rng.integers(0, len(ACTEURS), len(int_epci))][row_int]),
        C.CATEGORIE: _strings(categorie),
        "code": _strings(code),
        C.VERBATIM: _strings([f"{c.capitalize()} : {k} (verbatim synthétique)"
                              for c, k in zip(categorie, code)]),
        C.ANONYMISE: pd.array(anonymise, dtype="boolean"),
    })

    # PERR: 14 engagements per EPCI
    perr_epci = np.repeat(np.arange(len(epci)), N_PERR)
    perr_id = np.tile(np.arange(1, N_PERR + 1), len(epci))
    perr_out = pd.DataFrame({
        C.ID: pd.array(perr_id, dtype="Int64"),
        C.INTITULE: _strings([f"Engagement {i}" for i in perr_id]),
        C.STATUT: _strings(np.array(PERR_STATUTS, dtype=object)[rng.choice(
            len(PERR_STATUTS), len(perr_id), p=[0.4, 0.3, 0.2, 0.1])]),
        C.INDICATEURS: _strings([f"indicateur {i}.1|indicateur {i}.2" for i in perr_id]),
        C.PILIER: _strings(np.array(pilier_names, dtype=object)[perr_id % len(pilier_names)]),
    })

    # questionnaire « habitants »
    resp_epci = np.sort(rng.choice(len(epci), size=n_respondents, p=weights / weights.sum()))
    resp_commune = draw_commune(resp_epci)
    resp_qpv = draw_qpv(resp_commune)
    resp_seq = np.arange(n_respondents) - np.searchsorted(resp_epci, resp_epci) + 1
    resp_ids = np.array([f"{epci_codes[i]}-{s:05d}" for i, s in zip(resp_epci, resp_seq)],
                        dtype=object)
    definition = _survey_definition()
    parts = []  # (respondent index, question id, row, value)
    for q in definition.questions:
        if q.type == "multiple":
            probs = np.linspace(0.55, 0.15, len(q.choices))
            ticked = rng.random((n_respondents, len(q.choices))) < probs
            r_idx, c_idx = np.nonzero(ticked)
            values = np.array(q.choice_codes, dtype=object)[c_idx]
            parts.append((r_idx, q.id, np.full(len(r_idx), "", dtype=object), values))
        elif q.type == "matrice":
            n_rows, n_levels = len(q.rows), len(q.choices)
            answered = rng.random((n_respondents, n_rows)) >= 0.10
            level = rng.integers(0, n_levels, (n_respondents, n_rows))
            r_idx, row_idx = np.nonzero(answered)
            values = np.array(q.choice_codes, dtype=object)[level[r_idx, row_idx]]
            rows = np.array([r.code for r in q.rows], dtype=object)[row_idx]
            parts.append((r_idx, q.id, rows, values))
        else:
            answered = np.flatnonzero(rng.random(n_respondents) >= 0.05)
            if q.type == "numerique":
                values = rng.integers(15, 91, len(answered)).astype(str).astype(object)
            else:
                n_choices = len(q.choices)
                p = np.linspace(1.5, 1.0, n_choices)
                values = np.array(q.choice_codes, dtype=object)[
                    rng.choice(n_choices, len(answered), p=p / p.sum())]
            parts.append((answered, q.id, np.full(len(answered), "", dtype=object), values))
    r_all = np.concatenate([p[0] for p in parts])
    order = np.argsort(r_all, kind="stable")
    r_all = r_all[order]
    # built like cdv_lib.survey.normalize_responses builds them (same dtype inference)
    answers = pd.DataFrame(list(zip(
        resp_ids[r_all],
        np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])[order],
        np.concatenate([p[2] for p in parts])[order],
        np.concatenate([p[3] for p in parts])[order])),
        columns=[C.RESPONDENT_ID, C.QUESTION_ID, C.ROW, C.VALUE])
    respondents = pd.DataFrame(list(zip(resp_ids, sig_codes[resp_commune], resp_qpv)),
                               columns=[C.RESPONDENT_ID, "commune", "code_qpv"])
    from cdv_lib.survey import Survey

    survey = Survey(definition, respondents, answers)

    prog_epci = epci_code_rows
    epci_out = epci.copy()
    epci_out["n_signataires"] = pd.array(ends - starts, dtype="Int64")
    epci_out["n_qpv"] = pd.array(qpv_per_epci, dtype="Int64")
    epci_out["n_lignes_programmation"] = pd.array(
        np.bincount(act_epci[rows_action], minlength=len(epci)), dtype="Int64")
    epci_out["n_repondants"] = pd.array(np.bincount(resp_epci, minlength=len(epci)),
                                        dtype="Int64")
    epci_out = epci_out[EPCI_COLUMNS]

    epci_of = {
        "communes": communes_out[C.CODE_EPCI].to_numpy(dtype=object),
        "qpv": qpv_epci_codes,
        "indicateurs": ind_epci,
        "programmation": prog_epci,
        "actions_sante": sig_epci[sante_commune],
        "entretiens": epci_codes[int_epci[row_int]],
        "perr": epci_codes[perr_epci],
        "respondents": epci_codes[resp_epci],
        "answers": epci_codes[resp_epci][r_all],
    }
    zone_frames = []
    for niveau, col in [("departement", "code_departement"), ("region", "code_region")]:
        z = communes[["code_epci", col]].drop_duplicates().rename(columns={col: C.CODE})
        z.insert(1, C.NIVEAU, niveau)
        zone_frames.append(z)
    zones = pd.concat(zone_frames, ignore_index=True).astype("string")
    zones = zones.sort_values(["code_epci", C.NIVEAU, C.CODE], kind="stable").reset_index(
        drop=True)
    return NationalData(
        seed=seed, zones=zones, epci=epci_out,
        communes=typed_form("communes", communes_out), qpv=typed_form("qpv", qpv_out),
        indicateurs=typed_form("indicateurs", ind_out),
        programmation=typed_form("programmation", prog_out),
        actions_sante=typed_form("actions_sante", sante_out),
        entretiens=typed_form("entretiens", ent_out), perr=typed_form("perr", perr_out),
        survey=survey, epci_of=epci_of)
