"""A data folder for any EPCI of France, from the national references: the engine of
``cdv init --epci CODE DOSSIER``, and the list of what a folder still lacks.

The folder holds ``config.yaml`` (name, code, year), ``communes.csv`` (every commune of the
EPCI from the Etalab list; signatories by default: the communes with a QPV 2024, to
confirm), ``qpv.csv`` (the QPV 2024 touching its communes, populations « nd », QPV shared
with another EPCI marked), ``modeles/`` (every other table, header only: a header-only file
in the folder itself would be refused as an empty export) and ``LISEZMOI.md`` saying what
remains to supply.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
import shutil
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.schemas import REQUIRED_TABLES, TABLES
from cdv_lib.text import fold

__all__ = [
    "OPTIONAL_TABLES",
    "closest_epci",
    "THEME_INPUTS",
    "completeness",
    "no_data_message",
    "resolve_epci",
    "scaffold_tables",
    "write_scaffold",
]

OPTIONAL_TABLES = tuple(name for name in TABLES if name not in REQUIRED_TABLES)
TEMPLATES_DIR = "modeles"
README = "LISEZMOI.md"
TABLE_LABELS = {
    "indicateurs": "indicateurs de contexte (INSEE, par QPV, commune, EPCI…)",
    "programmation": "programmation financière (une ligne par action et financeur)",
    "actions_sante": "actions de santé déclarées par les communes",
    "entretiens": "entretiens codés (participation des habitants)",
    "perr": "engagements du PERR",
    "reunions": "journal des réunions",
}


def closest_epci(query: str, names: dict[str, str], n: int = 5) -> list[tuple[str, str]]:
    """EPCI closest to *query*: by SIREN when it is made of digits, else by name (accents and
    case ignored; a name containing the query comes first).

    Returns
    -------
    list of (siren, name)
    """
    query = str(query).strip()
    if re.fullmatch(r"\d+", query):
        codes = difflib.get_close_matches(query, list(names), n=n, cutoff=0.6)
        return [(c, names[c]) for c in codes]
    folded = {code: fold(name) for code, name in names.items()}
    q = fold(query)
    contains = [c for c, name in folded.items() if q and q in name]
    by_name = {}
    for code, name in folded.items():
        by_name.setdefault(name, code)
    close = [by_name[m] for m in difflib.get_close_matches(q, list(by_name), n=n, cutoff=0.5)]
    ordered = list(dict.fromkeys(sorted(contains, key=lambda c: names[c]) + close))[:n]
    return [(c, names[c]) for c in ordered]


def resolve_epci(query: str, names: dict[str, str]) -> str:
    """The SIREN of the EPCI *query* (a SIREN of the reference).

    Raises
    ------
    ValueError
        Unknown code (or a name given instead of a code), with the closest EPCI.
    """
    code = str(query).strip()
    if code in names:
        return code
    close = closest_epci(code, names)
    what = "code SIREN d'EPCI" if re.fullmatch(r"\d+", code) else "nom"
    message = f"EPCI « {code} » inconnu de la liste de référence ({what} non reconnu)."
    if close:
        message += " EPCI les plus proches : " + " ; ".join(f"{c} {n}" for c, n in close) + "."
    message += " Attendu : le SIREN à 9 chiffres de l'EPCI."
    raise ValueError(message)


def scaffold_tables(code_epci: str, reference_communes: pd.DataFrame, *,
                    signatories: str = "qpv") -> dict[str, pd.DataFrame]:
    """The ``communes`` and ``qpv`` tables of an EPCI, as strings ready to be written.

    Parameters
    ----------
    code_epci : str
        SIREN of the EPCI.
    reference_communes : DataFrame
        The Etalab list (``data/reference/communes_france.csv``).
    signatories : {"qpv", "toutes", "aucune"}
        Default signatories: communes with a QPV 2024, every commune, or none.

    Returns
    -------
    dict
        ``communes`` (``code_insee``, ``nom``, ``population``, ``signataire`` oui/non,
        ``code_epci``) and ``qpv`` (``code_qpv``, ``nom``, ``communes``, ``population`` « nd »,
        ``autres_communes``, ``partage_avec``; empty when the EPCI has no QPV 2024;
        ``attrs["communes_absentes"]``: (code_qpv, code_insee) of QPV communes absent from
        the list of communes, not kept).
    """
    from cdv_lib.geo import reference
    from cdv_lib.themes.territoire import communes_of_epci

    communes = communes_of_epci(reference_communes, code_epci)
    codes = list(communes[C.CODE_INSEE].astype(str))
    mine = set(codes)
    ref_qpv = reference.qpv_reference()
    names = reference.epci_names()
    epci_of = reference.epci_of_communes(
        c for cell in ref_qpv[C.COMMUNES] for c in cell.split(C.MULTI_SEPARATOR))
    known = set(reference_communes[C.CODE_INSEE].astype(str).str.zfill(5))
    rows, dropped = [], []
    for rec in ref_qpv.itertuples(index=False):
        covered = rec.communes.split(C.MULTI_SEPARATOR)
        inside = [c for c in covered if c in mine]
        if not inside:
            continue
        # a code of the ANCT list (COG 2024) missing from the list of communes (a more recent
        # COG: merged commune) belongs to no other EPCI: said in the README, not kept
        gone = [c for c in covered if c not in mine and c not in known]
        dropped += [(rec.code_qpv, c) for c in gone]
        others = [c for c in covered if c not in mine and c in known]
        partners = list(dict.fromkeys(names.get(epci_of.get(c, ""), "") for c in others))
        rows.append({C.CODE_QPV: rec.code_qpv, C.NOM: rec.nom,
                     C.COMMUNES: C.MULTI_SEPARATOR.join(inside), C.POPULATION: "nd",
                     C.AUTRES_COMMUNES: C.MULTI_SEPARATOR.join(others),
                     C.PARTAGE_AVEC: C.MULTI_SEPARATOR.join(p for p in partners if p)})
    qpv = pd.DataFrame(rows, columns=[C.CODE_QPV, C.NOM, C.COMMUNES, C.POPULATION,
                                      C.AUTRES_COMMUNES, C.PARTAGE_AVEC], dtype=object)
    with_qpv = {c for cell in qpv[C.COMMUNES] for c in cell.split(C.MULTI_SEPARATOR)}
    if signatories == "qpv":
        signed = [c in with_qpv for c in codes]
    elif signatories == "toutes":
        signed = [True] * len(codes)
    elif signatories == "aucune":
        signed = [False] * len(codes)
    else:
        raise ValueError(f"Signataires « {signatories} » : attendu qpv, toutes ou aucune.")
    table = pd.DataFrame({
        C.CODE_INSEE: codes, C.NOM: communes[C.NOM].astype(str).tolist(),
        C.POPULATION: [("" if pd.isna(p) else str(int(p))) for p in communes[C.POPULATION]],
        C.SIGNATAIRE: ["oui" if s else "non" for s in signed],
        C.CODE_EPCI: [str(code_epci)] * len(codes)}, dtype=object)
    qpv.attrs["communes_absentes"] = dropped
    return {"communes": table, "qpv": qpv}


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(sep=";", index=False, lineterminator="\n")


def _header(table: str) -> str:
    return ";".join(f.name for f in TABLES[table]) + "\n"


def _config_text(name: str, code: str, annee: int) -> str:
    import yaml

    body = yaml.safe_dump({"territoire": name, "sigle": "", "code_epci": str(code),
                           "annee": int(annee),
                           "secret": {"seuil_defaut": 5, "seuils": {"fiscal": 11}}},
                          allow_unicode=True, sort_keys=False, default_style=None)
    body = body.replace(f"code_epci: '{code}'", f'code_epci: "{code}"')
    return ("# Territoire créé par « cdv init » depuis la référence nationale.\n"
            "# sigle : à compléter (ex. CABBALR) ; annee : année du rapport.\n" + body)


def _readme(name: str, code: str, tables: dict[str, pd.DataFrame], signatories: str) -> str:
    communes, qpv = tables["communes"], tables["qpv"]
    n_sign = int((communes[C.SIGNATAIRE] == "oui").sum())
    shared = qpv[qpv[C.AUTRES_COMMUNES] != ""]
    rule = {"qpv": "les communes ayant au moins un QPV 2024", "toutes": "toutes les communes",
            "aucune": "aucune commune"}[signatories]
    lines = [
        f"# {name} ({code}) : données du Contrat de Ville",
        "",
        "Dossier créé par `cdv init` à partir des références nationales livrées avec l'atelier",
        "(liste Etalab des communes, QPV 2024 de l'ANCT). Le contrat de données est décrit dans",
        "`data/README.md` de l'atelier. `cdv validate DOSSIER` dit ce qui manque encore.",
        "",
        "## Déjà rempli",
        "",
        f"- `config.yaml` : nom du territoire, code EPCI {code}, année.",
        f"- `communes.csv` : les {len(communes)} communes de l'EPCI et leur population (Etalab).",
        f"- `qpv.csv` : les {len(qpv)} QPV 2024 qui touchent ces communes (ANCT), communes "
        "couvertes.",
    ]
    for rec in shared.itertuples(index=False):
        lines.append(f"  - {rec.code_qpv} {rec.nom} : couvre aussi {rec.autres_communes.replace('|', ', ')}"
                     f" ({rec.partage_avec.replace('|', ', ') or 'autre EPCI'}) — gardé, affiché "
                     "comme partagé.")
    for code_qpv, code in qpv.attrs.get("communes_absentes", []):
        lines.append(f"  - {code_qpv} : la commune {code} de la liste de l'ANCT (COG 2024) est "
                     "absente de la liste des communes (fusionnée depuis ?) : non reprise.")
    lines += [
        "",
        "## À vérifier ou compléter",
        "",
        f"- **Communes signataires** (`communes.csv`, colonne `signataire`) : {n_sign} marquées "
        f"`oui` par défaut ({rule}) ; à confirmer d'après le contrat signé.",
        "- **Population des QPV** (`qpv.csv`, colonne `population`) : `nd` tant qu'elle n'est pas "
        "saisie (INSEE, « Données sur les quartiers 2024 », pop_QPV24). Les parts de population "
        "en QPV restent « non disponibles » jusque-là.",
        "- **Sigle** du territoire dans `config.yaml`.",
        "",
        "## À fournir (facultatif, thème par thème)",
        "",
        "Chaque modèle de `modeles/` porte les colonnes attendues. Le remplir, puis le placer à la",
        "racine du dossier (un fichier réduit à son en-tête y serait refusé comme un export vide).",
        "Un thème sans données affiche « données non fournies ».",
        "",
    ]
    for table in OPTIONAL_TABLES:
        lines.append(f"- `{table}.csv` : {TABLE_LABELS.get(table, table)}.")
    lines += [
        "- `questionnaires/*.yaml` et leurs réponses : gouvernance, participation, santé.",
        "- `ami_regles.yaml` : règles de bonification de l'AMI.",
        "- `qpv.geojson` (facultatif) : périmètres propres au territoire ; sinon les contours "
        "nationaux des QPV 2024 sont utilisés.",
        "",
    ]
    return "\n".join(lines)


def write_scaffold(directory: str | os.PathLike, code_epci: str,
                   reference_communes: pd.DataFrame, *, annee: int | None = None,
                   signatories: str = "qpv") -> dict[str, object]:
    """Create the data folder *directory* for EPCI *code_epci*, whole or not at all.

    The folder is written beside its target under a temporary name and renamed at the end:
    an interrupted run leaves nothing half-made. An existing non-empty *directory* is refused
    (nothing is overwritten).

    Returns
    -------
    dict
        ``dossier`` (Path), ``territoire`` (name), ``communes``, ``signataires``, ``qpv``,
        ``qpv_partages`` (counts), ``fichiers`` (relative paths written).

    Raises
    ------
    ValueError
        Unknown EPCI (with the closest ones), EPCI without QPV 2024, existing folder.
    """
    from cdv_lib.geo import reference

    target = Path(directory).expanduser().resolve()
    names = reference.epci_names()
    code = resolve_epci(code_epci, names)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"Le dossier {target} existe déjà et n'est pas vide : rien n'est "
                         "écrasé ; choisir un nouveau dossier.")
    tables = scaffold_tables(code, reference_communes, signatories=signatories)
    if tables["qpv"].empty:
        raise ValueError(f"L'EPCI {code} ({names[code]}) n'a aucun quartier prioritaire de la "
                         "géographie 2024 : pas de Contrat de Ville à évaluer ; un dossier de la "
                         "géographie 2015 se remplit à la main (data/README.md).")
    year = int(annee or _dt.date.today().year)
    files = {
        "config.yaml": _config_text(names[code], code, year),
        "communes.csv": _csv(tables["communes"]),
        "qpv.csv": _csv(tables["qpv"]),
        README: _readme(names[code], code, tables, signatories),
    }
    for table in OPTIONAL_TABLES:
        files[f"{TEMPLATES_DIR}/{table}.csv"] = _header(table)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    qpv = tables["qpv"]
    return {"dossier": target, "territoire": names[code], "code_epci": code,
            "communes": len(tables["communes"]),
            "signataires": int((tables["communes"][C.SIGNATAIRE] == "oui").sum()),
            "qpv": len(qpv), "qpv_partages": int((qpv[C.AUTRES_COMMUNES] != "").sum()),
            "fichiers": list(files)}


def completeness(dataset) -> list[str]:
    """French lines saying what a *valid* data folder still lacks (empty when nothing).

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.

    Returns
    -------
    list of str
        QPV whose population is « nd », optional tables not supplied (with the theme they
        feed), no questionnaire, no AMI rules, no sigle.
    """
    lines = []
    qpv = dataset.qpv
    nd = qpv.loc[qpv[C.POPULATION].isna(), C.CODE_QPV].astype(str).tolist()
    if nd:
        lines.append(f"population des QPV non fournie (« nd ») : {len(nd)} sur {len(qpv)} "
                     f"({', '.join(nd[:10])}{' …' if len(nd) > 10 else ''}) — qpv.csv, colonne "
                     "population")
    missing = [t for t in OPTIONAL_TABLES if getattr(dataset, t).empty]
    for table in missing:
        lines.append(f"{table}.csv non fourni : {TABLE_LABELS.get(table, table)}")
    if not dataset.questionnaires:
        lines.append("aucun questionnaire (questionnaires/*.yaml) : gouvernance, participation "
                     "et santé sans résultats d'enquête")
    if dataset.ami_rules is None:
        lines.append("ami_regles.yaml non fourni : simulateur AMI indisponible")
    if not str(dataset.config.get("sigle") or "").strip():
        lines.append("sigle du territoire vide dans config.yaml")
    return lines


#: What each theme of the reports is computed from (``Dataset`` attributes; ``questionnaires``
#: and ``ami_rules`` are the YAML-defined inputs).
THEME_INPUTS: dict[str, tuple[str, ...]] = {
    "territoire": ("communes", "qpv"),
    "finances": ("programmation",),
    "ami": ("ami_rules",),
    "gouvernance": ("questionnaires",),
    "sante": ("actions_sante", "programmation", "indicateurs", "questionnaires", "reunions"),
    "participation": ("entretiens", "questionnaires"),
    "perr": ("perr",),
}
INPUT_FILES = {"ami_rules": "ami_regles.yaml", "questionnaires": "questionnaires/*.yaml"}
NO_DATA = "Données non fournies"


def _supplied(dataset, name: str) -> bool:
    value = getattr(dataset, name)
    if value is None:
        return False
    if isinstance(value, pd.DataFrame):
        return not value.empty
    return bool(value)


def no_data_message(dataset, theme: str) -> str | None:
    """« Données non fournies (programmation.csv) » when none of the inputs of *theme* is in
    the folder, else ``None`` (the theme has something to show).

    Parameters
    ----------
    dataset : Dataset
    theme : str
        A key of :data:`THEME_INPUTS`.

    Raises
    ------
    KeyError
        Unknown theme (with the known ones).
    """
    if theme not in THEME_INPUTS:
        raise KeyError(f"thème « {theme} » inconnu ; thèmes : {', '.join(THEME_INPUTS)}")
    inputs = THEME_INPUTS[theme]
    if any(_supplied(dataset, name) for name in inputs):
        return None
    files = [INPUT_FILES.get(name, f"{name}.csv") for name in inputs]
    return f"{NO_DATA} ({', '.join(files)})"
