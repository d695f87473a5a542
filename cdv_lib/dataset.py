"""Loading a whole data directory (see ``data/README.md``) into one typed :class:`Dataset`.

:func:`load_dataset` reads every table, types and checks it (:mod:`cdv_lib.schemas`), checks
the YAML files and the questionnaires, and raises one :class:`DataError` carrying *every*
problem found. It never writes anything. Results are cached per process, keyed on the
directory and on the names, sizes and modification times of its files.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, fields
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
QPV_GEOJSON = "qpv.geojson"
DEFAULT_SECRET = {"seuil_defaut": 5, "seuils": {}}

# Callables ``hook(data_dir, name)`` told of every read of an input of a Dataset (a table,
# ``config``, ``questionnaires``, ``ami_rules``, ``qpv_contours``: every field but
# ``data_dir``, see RECORDED_INPUTS below the class): the batch records which inputs each
# report uses, to run again only the reports whose inputs changed (:mod:`cdv_lib.batch.reads`).
READ_HOOKS: list = []


@dataclass
class Dataset:
    """Every input of one territory, typed (see :mod:`cdv_lib.schemas` for the columns).

    An optional table whose file is absent is an empty frame with the typed columns.
    ``questionnaires`` maps a survey id to the object returned by
    :func:`cdv_lib.survey.load_survey`; ``ami_rules`` is the raw ``ami_regles.yaml`` (checked)
    or None; ``config`` is ``config.yaml`` completed with defaults. ``qpv_contours`` holds the
    perimeters of ``qpv.geojson`` when the folder has one (``code_qpv``, ``nom``, ``geometry``,
    see :mod:`cdv_lib.geo.geojson`), else an empty frame: maps then use the national
    reference. ``qpv.partage_avec`` is completed from the national reference for QPV that list
    ``autres_communes`` without naming the other EPCI.
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
    qpv_contours: pd.DataFrame = field(default_factory=lambda: _empty_contours())

    def tables(self) -> dict[str, pd.DataFrame]:
        """The eight tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def __getattribute__(self, name):
        if READ_HOOKS and name in RECORDED_INPUTS:
            data_dir = object.__getattribute__(self, "__dict__").get("data_dir")
            for hook in READ_HOOKS:
                hook(data_dir, name)
        return object.__getattribute__(self, name)


def _empty_contours() -> pd.DataFrame:
    return pd.DataFrame({C.CODE_QPV: pd.Series([], dtype=object),
                         C.NOM: pd.Series([], dtype=object),
                         "geometry": pd.Series([], dtype=object)})


RECORDED_INPUTS = frozenset(f.name for f in fields(Dataset)) - {"data_dir"}


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
        cached = _read_snapshot(key) or _load(directory)
        _CACHE.clear()  # keep only the latest load: data directories can be large
        _CACHE[key] = cached
    return _copy(cached)


#: A checked dataset written by :func:`write_snapshot` (set by ``cdv serve`` for its kernels).
SNAPSHOT_ENV = "CDV_DATASET_SNAPSHOT"


def write_snapshot(path: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                   ) -> Path | None:
    """Load and check *data_dir* once and write the checked dataset to *path*.

    A process whose :data:`SNAPSHOT_ENV` names *path* then gets the dataset from it in
    :func:`load_dataset` without reading, typing and checking the files again (nor importing
    pandera), as long as the folder's files are those the snapshot was made from (names,
    sizes and modification times, as for the in-process cache); otherwise it loads the folder
    itself. ``cdv serve`` makes one for its kernels in a private temporary folder: each
    session's kernel starts faster and about 11 MB lighter.

    Returns *path*, or ``None`` (nothing written) when the data does not pass its checks:
    every reader then loads the folder and reports the problems itself.
    """
    import pickle

    from cdv_lib import atomic
    from cdv_lib.paths import data_dir as default_dir

    directory = default_dir(data_dir)
    key = (str(directory.resolve()), _fingerprint(directory))  # before reading: no race
    try:
        dataset = load_dataset(directory)
    except DataError:
        return None
    payload = pickle.dumps({"key": key, "dataset": dataset}, protocol=pickle.HIGHEST_PROTOCOL)
    return atomic.write_bytes(Path(path), payload)


def _read_snapshot(key: tuple) -> Dataset | None:
    path = os.environ.get(SNAPSHOT_ENV)
    if not path:
        return None
    import pickle

    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except Exception:  # absent, unreadable or from another version of the code: load
        return None
    if not isinstance(payload, dict) or payload.get("key") != key:
        return None
    dataset = payload.get("dataset")
    return dataset if isinstance(dataset, Dataset) else None


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
                   ami_rules=copy.deepcopy(src["ami_rules"]),
                   qpv_contours=src["qpv_contours"].copy())


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
    contours, found = _load_qpv_contours(directory, frames["qpv"])
    problems += found
    if problems:
        raise DataError(problems)
    if len(frames["qpv"]):
        from cdv_lib.geo.territory import complete_sharing

        frames["qpv"] = complete_sharing(frames["qpv"])
    return Dataset(directory, config, **frames, questionnaires=surveys, ami_rules=ami,
                   qpv_contours=contours)


def _load_qpv_contours(directory: Path, qpv: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """``qpv.geojson`` if present; its QPV must be of the geography (2015/2024) of qpv.csv."""
    path = directory / QPV_GEOJSON
    if not path.exists():
        return _empty_contours(), []
    from cdv_lib.geo.geojson import read_qpv_geojson
    from cdv_lib.geo.reference import geography_of

    contours, problems = read_qpv_geojson(path)
    if problems or contours.empty or qpv.empty:
        return (contours if not problems else _empty_contours()), problems
    table_geo = {geography_of(c) for c in qpv[C.CODE_QPV]} - {None}
    if len(table_geo) == 1:
        (geo,) = table_geo
        other = contours[contours[C.CODE_QPV].map(geography_of) != geo]
        if len(other) and not contours[C.CODE_QPV].isin(set(qpv[C.CODE_QPV])).any():
            problems.append(Problem(
                path.name, None, C.CODE_QPV, ", ".join(other[C.CODE_QPV].head(3)),
                f"des contours de la géographie {geo} comme qpv.csv (QP… = 2015, QN… = 2024) : "
                "aucun QPV du fichier qpv n'y figure"))
        contours = contours[contours[C.CODE_QPV].map(geography_of) == geo]
    return contours.reset_index(drop=True), problems


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
    from cdv_lib.themes.ami import parse_rules

    return rules, parse_rules(rules, AMI_FILE)[1]


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
