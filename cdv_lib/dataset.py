"""Loading a whole data directory (see ``data/README.md``) into one typed :class:`Dataset`.

:func:`load_dataset` reads every table, types and checks it (:mod:`cdv_lib.schemas`), checks
the YAML files and the questionnaires, and raises one :class:`DataError` carrying *every*
problem found. It never writes anything. Results are cached per process, keyed on the
directory and on the names, sizes and modification times of its files.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import DataError, Problem
from cdv_lib.readers import (
    TABLE_EXTENSIONS,
    UNSUPPORTED_EXTENSIONS,
    find_table,
    read_table,
    table_candidates,
)
from cdv_lib.schemas import REQUIRED_TABLES, TABLES, References, check_table, empty_frame

TABLE_NAMES = tuple(TABLES)  # communes, qpv, indicateurs, ..., perr, reunions
CONFIG_FILE = "config.yaml"
AMI_FILE = "ami_regles.yaml"
QUESTIONNAIRES_DIR = "questionnaires"
DEFAULT_SECRET = {"seuil_defaut": 5, "seuils": {}}

# Callables ``hook(data_dir, name)`` told of every read of an input of a Dataset (a table,
# ``config``, ``questionnaires``, ``ami_rules``): the batch records which inputs each report
# uses, to run again only the reports whose inputs changed (:mod:`cdv_lib.batch.reads`).
READ_HOOKS: list = []
RECORDED_INPUTS = frozenset(TABLE_NAMES + ("config", "questionnaires", "ami_rules"))


@dataclass
class Dataset:
    """Every input of one territory, typed (see :mod:`cdv_lib.schemas` for the columns).

    An optional table whose file is absent is an empty frame with the typed columns.
    ``questionnaires`` maps a survey id to the object returned by
    :func:`cdv_lib.survey.load_survey`; ``ami_rules`` is the raw ``ami_regles.yaml`` (checked)
    or None; ``config`` is ``config.yaml`` completed with defaults.
    """

    data_dir: Path
    config: dict
    communes: pd.DataFrame
    qpv: pd.DataFrame
    indicateurs: pd.DataFrame
    programmation: pd.DataFrame
    actions_sante: pd.DataFrame
    entretiens: pd.DataFrame
    perr: pd.DataFrame
    reunions: pd.DataFrame = field(default_factory=lambda: empty_frame("reunions"))
    questionnaires: dict[str, object] = field(default_factory=dict)
    ami_rules: dict | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The eight tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def __getattribute__(self, name):
        if READ_HOOKS and name in RECORDED_INPUTS:
            data_dir = object.__getattribute__(self, "__dict__").get("data_dir")
            for hook in READ_HOOKS:
                hook(data_dir, name)
        return object.__getattribute__(self, name)


_CACHE: dict[tuple, Dataset] = {}


def load_dataset(path: str | os.PathLike | None = None) -> Dataset:
    """Load and check the data directory *path* (default :func:`cdv_lib.paths.data_dir`).

    Raises
    ------
    DataError
        With every problem of every file (missing directory, missing required file, bad
        cells, cross-table inconsistencies, bad YAML, questionnaire problems).
    """
    from cdv_lib.paths import data_dir as default_dir

    directory = default_dir(path)
    if not directory.is_dir():
        raise DataError([Problem(str(directory), None, None, None,
                                 "un dossier de données existant")])
    key = (str(directory.resolve()), _fingerprint(directory))
    cached = _CACHE.get(key)
    if cached is None:
        cached = _load(directory)
        _CACHE.clear()  # keep only the latest load: data directories can be large
        _CACHE[key] = cached
    return _copy(cached)


def clear_cache() -> None:
    """Forget cached datasets."""
    _CACHE.clear()


def _fingerprint(directory: Path) -> tuple:
    entries = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "reference")
        for name in sorted(files):
            full = Path(root) / name
            try:
                st = full.stat()
            except OSError:
                continue
            entries.append((str(full.relative_to(directory)), st.st_mtime_ns, st.st_size))
    return tuple(entries)


def _copy(ds: Dataset) -> Dataset:
    src = vars(ds)  # not through attributes: a copy is no read by a report
    frames = {name: src[name].copy() for name in TABLE_NAMES}
    return Dataset(src["data_dir"], copy.deepcopy(src["config"]), **frames,
                   questionnaires=dict(src["questionnaires"]),
                   ami_rules=copy.deepcopy(src["ami_rules"]))


def _load(directory: Path) -> Dataset:
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    refs = References()
    for name in TABLE_NAMES:
        frame, found = _load_table(directory, name, refs)
        frames[name] = frame
        problems += found
        if name == "qpv" or name == "communes":
            refs = References.from_frames(frames.get("communes"), frames.get("qpv"))

    config, found = _load_config(directory, frames)
    problems += found
    communes_file = find_table(directory, "communes")
    problems += _check_epci(frames["communes"], config,
                            communes_file.name if communes_file else "communes.csv")
    ami, found = _load_ami(directory)
    problems += found
    surveys, found = _load_questionnaires(directory)
    problems += found
    if problems:
        raise DataError(problems)
    return Dataset(directory, config, **frames, questionnaires=surveys, ami_rules=ami)


def _load_table(directory: Path, name: str,
                refs: References) -> tuple[pd.DataFrame, list[Problem]]:
    candidates = table_candidates(directory, name)
    if len(candidates) > 1:
        return empty_frame(name), [Problem(
            candidates[0].name, None, None, None,
            "un seul fichier pour la table " + name + " ; trouvés : "
            + ", ".join(p.name for p in candidates))]
    if not candidates:
        other = table_candidates(directory, name, tuple(UNSUPPORTED_EXTENSIONS))
        if other:
            return empty_frame(name), [Problem(
                other[0].name, None, None, None,
                f"un fichier CSV ou .xlsx ({UNSUPPORTED_EXTENSIONS[other[0].suffix.lower()]} "
                "non pris en charge : l'enregistrer en .xlsx)")]
        if name in REQUIRED_TABLES:
            exts = ", ".join(f"{name}{e}" for e in TABLE_EXTENSIONS[:4])
            return empty_frame(name), [Problem(
                f"{name}.csv", None, None, None,
                f"un fichier obligatoire ({exts}) dans {directory}")]
        return empty_frame(name), []
    path = candidates[0]
    try:
        raw = read_table(path, file_label=path.name)
    except DataError as exc:
        return empty_frame(name), list(exc.problems)
    label = raw.attrs.get("file_label", path.name)
    return check_table(name, raw, file_label=label, refs=refs)


# --------------------------------------------------------------------------- YAML files
def _read_yaml(path: Path) -> tuple[object, list[Problem]]:
    import yaml

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(path.name, None, None, None,
                              f"un fichier YAML en UTF-8 (octet invalide en position {exc.start})")]
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        detail = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(path.name, row, None, None, f"un YAML valide ({detail})")]


def _load_config(directory: Path, frames: dict) -> tuple[dict, list[Problem]]:
    label = CONFIG_FILE
    path = directory / CONFIG_FILE
    raw, problems = ({}, [])
    if path.exists():
        raw, problems = _read_yaml(path)
        if problems:
            raw = {}
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            return _default_config(frames), [Problem(label, None, None, type(raw).__name__,
                                                     "un dictionnaire clé: valeur")]
    config = _default_config(frames)
    config.update({k: v for k, v in raw.items() if v is not None})

    for key in ("territoire", "sigle"):
        if not isinstance(config.get(key), str):
            problems.append(Problem(label, None, key, config.get(key), "un texte"))
    code = config.get("code_epci")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
        config["code_epci"] = code
    if code is not None and not (isinstance(code, str) and code.isdigit() and len(code) == 9):
        problems.append(Problem(label, None, "code_epci", code,
                                "un code SIREN à 9 chiffres, entre guillemets"))
    annee = config.get("annee")
    if annee is not None and (isinstance(annee, bool) or not isinstance(annee, int)
                              or not 2000 <= annee <= 2100):
        problems.append(Problem(label, None, "annee", annee, "une année entre 2000 et 2100"))

    secret = config.get("secret")
    if not isinstance(secret, dict):
        problems.append(Problem(label, None, "secret", secret,
                                "un dictionnaire avec seuil_defaut et seuils"))
        secret = {}
    secret = {**DEFAULT_SECRET, **{k: v for k, v in secret.items() if v is not None}}
    if not _positive_int(secret["seuil_defaut"]):
        problems.append(Problem(label, None, "secret.seuil_defaut", secret["seuil_defaut"],
                                "un entier supérieur ou égal à 1"))
    if not isinstance(secret["seuils"], dict):
        problems.append(Problem(label, None, "secret.seuils", secret["seuils"],
                                "un dictionnaire source: seuil"))
        secret["seuils"] = {}
    for source, value in secret["seuils"].items():
        if not _positive_int(value):
            problems.append(Problem(label, None, f"secret.seuils.{source}", value,
                                    "un entier supérieur ou égal à 1"))
    config["secret"] = secret
    return config, problems


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _default_config(frames: dict) -> dict:
    communes = frames["communes"]
    epcis = communes[C.CODE_EPCI].dropna().unique() if len(communes) else []
    annee = None
    for name in ("programmation", "actions_sante"):
        years = frames[name][C.ANNEE].dropna()
        if len(years):
            annee = int(years.max())
            break
    return {"territoire": "", "sigle": "", "code_epci": str(epcis[0]) if len(epcis) == 1 else None,
            "annee": annee, "secret": copy.deepcopy(DEFAULT_SECRET)}


def _check_epci(communes: pd.DataFrame, config: dict, label: str) -> list[Problem]:
    code = config.get("code_epci")
    if not (isinstance(code, str) and len(code) == 9 and code.isdigit()) or not len(communes):
        return []  # an invalid code is reported once, on config.yaml
    other = communes[communes[C.CODE_EPCI].notna() & (communes[C.CODE_EPCI] != code)]
    return [Problem(label, int(row), C.CODE_EPCI, value,
                    f"le code EPCI de config.yaml ({code}) : commune d'un autre EPCI")
            for row, value in other[C.CODE_EPCI].items()]


def _load_ami(directory: Path) -> tuple[dict | None, list[Problem]]:
    path = directory / AMI_FILE
    if not path.exists():
        return None, []
    rules, problems = _read_yaml(path)
    if problems:
        return None, problems
    return rules, check_ami_rules(rules)


def check_ami_rules(rules: object, label: str = AMI_FILE) -> list[Problem]:
    """Problems in the structure of ``ami_regles.yaml`` (enveloppe_annuelle > 0, taux_base and
    plafond in [0, 1] with plafond >= taux_base, criteres: list of {id, libelle, bonus in
    [0, 1]} with unique ids)."""
    if not isinstance(rules, dict):
        return [Problem(label, None, None, type(rules).__name__,
                        "un dictionnaire avec enveloppe_annuelle, taux_base, plafond, criteres")]
    problems = []

    def number(key, low, high, strict_low=False):
        value = rules.get(key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
            value > low if strict_low else value >= low) and (high is None or value <= high)
        if not ok:
            bounds = (f"un nombre strictement positif" if strict_low
                      else f"un nombre entre {low} et {high}")
            problems.append(Problem(label, None, key, value, bounds))
        return value if ok else None

    number("enveloppe_annuelle", 0, None, strict_low=True)
    base = number("taux_base", 0, 1)
    cap = number("plafond", 0, 1)
    if base is not None and cap is not None and cap < base:
        problems.append(Problem(label, None, "plafond", cap,
                                f"un plafond supérieur ou égal à taux_base ({base})"))
    criteria = rules.get("criteres")
    if not isinstance(criteria, list):
        problems.append(Problem(label, None, "criteres", criteria,
                                "une liste de critères {id, libelle, bonus}"))
        return problems
    ids = set()
    for i, crit in enumerate(criteria, start=1):
        where = f"criteres[{i}]"
        if not isinstance(crit, dict):
            problems.append(Problem(label, None, where, crit, "un critère {id, libelle, bonus}"))
            continue
        cid = crit.get("id")
        if not isinstance(cid, str) or not cid:
            problems.append(Problem(label, None, f"{where}.id", cid, "un identifiant texte"))
        elif cid in ids:
            problems.append(Problem(label, None, f"{where}.id", cid, "un identifiant unique"))
        ids.add(cid)
        if not isinstance(crit.get("libelle"), str) or not crit.get("libelle"):
            problems.append(Problem(label, None, f"{where}.libelle", crit.get("libelle"),
                                    "un libellé non vide"))
        bonus = crit.get("bonus")
        if not (isinstance(bonus, (int, float)) and not isinstance(bonus, bool)
                and 0 <= bonus <= 1):
            problems.append(Problem(label, None, f"{where}.bonus", bonus,
                                    "un nombre entre 0 et 1"))
    return problems


def _load_questionnaires(directory: Path) -> tuple[dict[str, object], list[Problem]]:
    folder = directory / QUESTIONNAIRES_DIR
    yamls = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() \
        else []
    if not yamls:
        return {}, []
    try:
        from cdv_lib.survey import load_survey
    except ImportError:
        return {}, []  # survey support not installed yet: questionnaires are not checked
    surveys: dict[str, object] = {}
    problems: list[Problem] = []
    for path in yamls:
        try:
            survey = load_survey(path)
        except DataError as exc:
            problems += exc.problems
            continue
        definition = getattr(survey, "definition", None)
        key = getattr(definition, "id", None) or path.stem
        surveys[str(key)] = survey
    return surveys, problems
