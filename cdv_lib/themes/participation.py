"""Participation des habitants: conseils citoyens survey, coded interviews, anonymised
verbatims, the participation ladder.

The ``entretiens`` table has several rows per interview (one code per row). Everything here
counts **interviews** (distinct ``id_entretien``), never rows, except ``n_mentions``.

The participation ladder
------------------------
Levels, lowest first: information, consultation, concertation, co-construction,
co-décision. What the data maps onto them is explicit, never guessed from free text:

* by default, the interview **codes** carrying the prefix ``echelle:`` (``echelle:concertation``,
  ``Échelle:Co-décision``...): the part after the prefix names the level;
* or, with ``column=``, a column of the table holding the level of each row.

Level names are compared ignoring case, accents, spaces and hyphens (``co decision`` =
``Co-décision``); a value naming no level raises ``ValueError``.
"""

from __future__ import annotations

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.survey import Survey
from cdv_lib.text import fold
from cdv_lib.themes import share_table
from cdv_lib.themes.gouvernance import question_table

__all__ = [
    "LADDER",
    "LADDER_DTYPE",
    "LADDER_PREFIX",
    "codes_by_actor",
    "conseils_citoyens",
    "interviews_by_actor",
    "participation_ladder",
    "PSEUDO_PREFIXES",
    "pseudonyms",
    "verbatims",
]

#: The participation ladder, lowest level first (labels as printed).
LADDER = ["Information", "Consultation", "Concertation", "Co-construction", "Co-décision"]
LADDER_DTYPE = pd.CategoricalDtype(LADDER, ordered=True)
LADDER_PREFIX = "echelle:"
ALL_ACTORS = "Ensemble"
PSEUDO_PREFIXES = ("P", "PS", "Pseudo-", "Entretien anonyme ")


def _ladder_key(value: object) -> str:
    return fold(value).replace("-", "").replace(" ", "")


_LADDER_BY_KEY = {_ladder_key(level): level for level in LADDER}


def conseils_citoyens(survey: Survey, question_ids=None, *, where=None) -> pd.DataFrame:
    """Results of the conseils citoyens questionnaire, computed by the survey engine.

    Returns
    -------
    DataFrame
        As :func:`cdv_lib.themes.gouvernance.question_table`: one block per choice question
        (``questionnaire``, ``axe``, ``question_id``, ``question``, ``type``, ``ligne``,
        ``ligne_libelle``, ``code``, ``libelle``, ``n``, ``part``, ``base_n``), each ending
        with its non-response row.
    """
    return question_table(survey, question_ids, where=where)


def _actor_of_interview(entretiens: pd.DataFrame) -> pd.Series:
    """Actor type per interview (its first row's), indexed by ``id_entretien``."""
    return entretiens.groupby(C.ID_ENTRETIEN, sort=False)[C.TYPE_ACTEUR].first()


def interviews_by_actor(entretiens: pd.DataFrame) -> pd.DataFrame:
    """Interviews per actor type.

    Returns
    -------
    DataFrame
        ``type_acteur``, ``n`` (interviews), ``base_n`` (all interviews), ``part``; by
        decreasing ``n`` then name.
    """
    actors = _actor_of_interview(entretiens)
    counts = actors.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return share_table(counts, len(actors), name=C.TYPE_ACTEUR)


def codes_by_actor(entretiens: pd.DataFrame, *, by_actor: bool = True) -> pd.DataFrame:
    """How many interviews raised each code, per actor type and category.

    Parameters
    ----------
    entretiens : DataFrame
        Typed ``entretiens``: ``id_entretien``, ``type_acteur``, ``categorie``, ``code``.
    by_actor : bool
        ``False`` pools every actor type (``type_acteur = "Ensemble"``).

    Returns
    -------
    DataFrame
        ``type_acteur``, ``categorie``, ``code``, ``n`` (Int64, distinct interviews with
        that code: a code repeated in one interview counts once), ``n_mentions`` (Int64,
        rows), ``base_n`` (Int64, interviews of that actor type), ``part``. Sorted by actor
        type, category, then decreasing ``n``.
    """
    data = entretiens[[C.ID_ENTRETIEN, C.TYPE_ACTEUR, C.CATEGORIE, C.CODE]].copy()
    actors = _actor_of_interview(entretiens)
    if by_actor:
        data[C.TYPE_ACTEUR] = data[C.ID_ENTRETIEN].map(actors)
        bases = actors.value_counts()
    else:
        data[C.TYPE_ACTEUR] = ALL_ACTORS
        bases = pd.Series({ALL_ACTORS: len(actors)})
    keys = [C.TYPE_ACTEUR, C.CATEGORIE, C.CODE]
    out = data.groupby(keys, sort=True, dropna=False).agg(
        n=(C.ID_ENTRETIEN, "nunique"), n_mentions=(C.ID_ENTRETIEN, "size")).reset_index()
    out["base_n"] = out[C.TYPE_ACTEUR].map(bases).astype("Int64")
    out["n"] = out["n"].astype("Int64")
    out["n_mentions"] = out["n_mentions"].astype("Int64")
    out["part"] = out["n"].astype("float64") / out["base_n"].astype("float64")
    out = out.sort_values([C.TYPE_ACTEUR, C.CATEGORIE, "n", C.CODE],
                          ascending=[True, True, False, True], kind="stable")
    return out[[*keys, "n", "n_mentions", "base_n", "part"]].reset_index(drop=True)


def pseudonyms(entretiens: pd.DataFrame) -> dict:
    """``{id_entretien: "P01", ...}`` numbered by order of first appearance in the table.

    The number depends only on row order, not on the id's value, so the id cannot be
    recovered from the pseudonym. Exports often number interviews ``E01``, ``E02``… in
    order already, so the prefix is ``P`` and, should a pseudonym still equal an original
    id, the next prefix of ``PSEUDO_PREFIXES`` is used: a pseudonym is never an original id.
    """
    ids = list(dict.fromkeys(entretiens[C.ID_ENTRETIEN]))
    width = max(2, len(str(len(ids))))
    originals = {str(i) for i in ids}
    for prefix in PSEUDO_PREFIXES:
        names = [f"{prefix}{i:0{width}d}" for i in range(1, len(ids) + 1)]
        if originals.isdisjoint(names):
            return dict(zip(ids, names))
    raise ValueError("Pseudonymes : tous les préfixes prévus sont déjà des identifiants.")


def verbatims(entretiens: pd.DataFrame) -> pd.DataFrame:
    """Verbatims cleared for display: only rows with ``anonymise = True`` and a text.

    Returns
    -------
    DataFrame
        ``entretien`` (pseudonym ``P01``…, see :func:`pseudonyms`; numbered over the whole
        table so it is the same whatever is filtered afterwards), ``type_acteur``,
        ``categorie``, ``code``, ``verbatim``. No other column of the input (the original
        id, names, communes...) is carried.
    """
    names = pseudonyms(entretiens)
    cleared = entretiens[C.ANONYMISE].astype("boolean").fillna(False).astype(bool)
    text = entretiens[C.VERBATIM].astype("string").str.strip()
    keep = cleared & text.notna() & (text != "")
    sel = entretiens[keep]
    out = pd.DataFrame({
        "entretien": sel[C.ID_ENTRETIEN].map(names).astype("string").to_numpy(),
        C.TYPE_ACTEUR: sel[C.TYPE_ACTEUR].astype("string").to_numpy(),
        C.CATEGORIE: sel[C.CATEGORIE].astype("string").to_numpy(),
        C.CODE: sel[C.CODE].astype("string").to_numpy(),
        C.VERBATIM: text[keep].to_numpy(),
    })
    return out


def participation_ladder(entretiens: pd.DataFrame, *, column: str | None = None,
                         prefix: str = LADDER_PREFIX) -> pd.DataFrame:
    """Interviews mapped onto the participation ladder (mapping: module docstring).

    Parameters
    ----------
    entretiens : DataFrame
        Typed ``entretiens``.
    column : str, optional
        Column giving the level of each row; by default the ``code`` column's values
        starting with *prefix*.
    prefix : str
        Prefix of ladder codes (compared ignoring case and accents).

    Returns
    -------
    DataFrame
        Every level in order: ``niveau`` (ordered categorical :data:`LADDER`), ``n``
        (Int64, interviews placed at that level), ``n_mentions`` (Int64, rows),
        ``base_n`` (Int64, interviews placed at any level), ``part``, ``source`` (the
        mapping used, in French).
    """
    if column is not None:
        if column not in entretiens.columns:
            raise ValueError(f"Entretiens : colonne « {column} » absente.")
        raw = entretiens[column]
        mapped = raw.map(lambda v: _ladder_key(v) if fold(v) else None)
        source = f"colonne « {column} »"
    else:
        norm_prefix = fold(prefix)
        codes = entretiens[C.CODE].map(fold)
        raw = entretiens[C.CODE]
        mapped = codes.map(lambda c: _ladder_key(c[len(norm_prefix):])
                           if c.startswith(norm_prefix) else None)
        source = f"codes « {prefix}… »"
    present = mapped.notna()
    unknown = sorted({str(v) for v, k in zip(raw[present], mapped[present])
                      if k not in _LADDER_BY_KEY})
    if unknown:
        raise ValueError("Niveau(x) de l'échelle de participation inconnu(s) : "
                         + ", ".join(f"« {u} »" for u in unknown)
                         + " (attendu : " + ", ".join(LADDER) + ").")
    data = pd.DataFrame({"id": entretiens.loc[present, C.ID_ENTRETIEN].to_numpy(),
                         "niveau": mapped[present].map(_LADDER_BY_KEY).to_numpy()})
    interviews = data.groupby("niveau")["id"].nunique().reindex(LADDER, fill_value=0)
    mentions = data.groupby("niveau").size().reindex(LADDER, fill_value=0)
    out = share_table(interviews, data["id"].nunique(), name="niveau")
    out.insert(2, "n_mentions", pd.array(mentions.to_numpy(), dtype="Int64"))
    out["niveau"] = out["niveau"].astype(LADDER_DTYPE)
    out["source"] = source
    return out
