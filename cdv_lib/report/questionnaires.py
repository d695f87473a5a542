"""Questionnaire tables, shared by the gouvernance, santé and participation reports: one
table per choice question, protected by :mod:`cdv_lib.secrecy`.

For the agglomeration a question's counts are those of the whole population
(:func:`cdv_lib.secrecy.protect_question`); for a commune they are protected jointly with
every other commune and the agglomeration's counts
(:func:`cdv_lib.secrecy.protect_question_in_scope`), so that no commune's answer can be
recomputed by differencing the reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdv_lib import secrecy
from cdv_lib.formatting import fmt_int
from cdv_lib.report.scope import check_commune, threshold
from cdv_lib.report.table import BASE_HEADER, INTEGER, PERCENT, TEXT, ReportTable, build_table
from cdv_lib.survey.uncertainty import census_note, is_census

NO_COMMUNE_GROUP = "\u2063sans commune"  # never a commune code


def where_commune(survey, commune: str | None):
    """Respondent filter of a commune, or ``False`` when the questionnaire does not say
    which commune a respondent belongs to (its results cannot be shown for a commune)."""
    if commune is None:
        return None
    if "commune" not in survey.definition.attributes:
        return False
    return {"commune": str(commune)}


def scope_table(survey, question_id: str, row: str) -> tuple[pd.DataFrame, list[str]]:
    """The question cross-tabulated by commune, every commune with respondents, plus one
    hidden group for the respondents without a commune (overall minus the communes), as
    :func:`cdv_lib.secrecy.protect_question_in_scope` reads it.

    Returns
    -------
    (DataFrame ``groupe``, ``code``, ``libelle``, ``effectif``, ``part``, ``base``;
    list of the hidden groups)
    """
    from cdv_lib.survey import crosstab
    from cdv_lib.survey.tables import frequencies

    scope = crosstab(survey, question_id, "commune", row=row or None, tests=False)
    scope = scope[["groupe", "code", "libelle", "effectif", "part", "base"]]
    overall = frequencies(survey, question_id, row=row or None)
    sums = scope.groupby("code", sort=False)["effectif"].sum()
    rest = overall["effectif"].to_numpy() - sums.reindex(overall["code"]).fillna(0).to_numpy()
    rest_base = int(overall["base"].iloc[0]) - int(scope.groupby("groupe")["base"].first().sum())
    if not rest.any() and rest_base == 0:
        return scope.reset_index(drop=True), []
    extra = overall.assign(groupe=NO_COMMUNE_GROUP, effectif=rest, base=rest_base, part=np.nan)
    return pd.concat([scope, extra[scope.columns]], ignore_index=True), [NO_COMMUNE_GROUP]


def protect_block(block: pd.DataFrame, *, threshold: int, survey=None,
                  commune: str | None = None) -> pd.DataFrame:
    """Secrecy of one question's block (theme shape ``n``/``base_n``/``part``), one matrix
    row at a time: for a commune jointly with every commune and the overall counts, for
    the agglomeration as the whole population.

    Returns
    -------
    the block with ``effectif``, ``part``, ``base`` (NaN where masked) and their
    ``__secret`` flags.
    """
    frame = block.reset_index(drop=True)
    frame["n"] = frame["n"].astype("float64")
    frame["base_n"] = frame["base_n"].astype("float64")
    parts = []
    for ligne, sub in frame.groupby("ligne", sort=False):
        base = float(sub["base_n"].iloc[0]) if len(sub) else 0.0
        if commune is None or secrecy.is_primary(base, threshold) or base == 0:
            # the whole population; or a commune under the threshold, masked whole whatever
            # the other communes show (masking only adds cells); or nobody answered
            parts.append(secrecy.protect_question(sub, threshold=threshold))
        else:
            scope, hidden = scope_table(survey, str(sub["question_id"].iloc[0]), str(ligne))
            parts.append(secrecy.protect_question_in_scope(
                sub, scope, commune, threshold=threshold, hidden_groups=hidden))
    out = pd.concat(parts).sort_index()
    return out.rename(columns={"n": "effectif", "base_n": "base",
                               "n__secret": "effectif__secret",
                               "base_n__secret": "base__secret"})


def base_text(frame: pd.DataFrame, matrix: bool) -> str:
    """The base of a question's table in words."""
    if matrix:
        return "répondants ayant répondu, par ligne (colonne « Base (n) »), non-réponses exclues"
    if frame[secrecy.secret_column("base")].any():
        return "masquée (secret statistique)"
    base = frame["base"].iloc[0]
    nr = frame.loc[frame["code"] == secrecy.NON_RESPONSE_CODE, "effectif"]
    nr_text = ""
    if len(nr) and not pd.isna(nr.iloc[0]) and int(nr.iloc[0]) > 0:
        k = int(nr.iloc[0])
        nr_text = f", {fmt_int(k)} non-réponse{'s' if k > 1 else ''} exclue{'s' if k > 1 else ''}"
    return f"{fmt_int(base)} répondants à la question{nr_text}"


def own_answers_surveys(dataset) -> set[str]:
    """Questionnaires whose respondent is the commune itself and whose answers the
    agglomeration chose to show to each commune in its own report (``config.yaml``:
    ``secret: {reponses_propres: [communes, sante_communes]}``; none by default)."""
    section = (dataset.config.get("secret") or {}).get("reponses_propres") or []
    if isinstance(section, str):
        section = [section]
    return {str(s) for s in section}


def _question_tables(dataset, survey, survey_id: str, table: pd.DataFrame, *, theme: str,
                     commune: str | None, rule: str) -> list[ReportTable]:
    limit = threshold(dataset)
    source = survey.definition.title
    out = []
    for qid, block in table.groupby("question_id", sort=False):
        if rule == secrecy.RULE_OWN_ANSWERS:
            frame = block.rename(columns={"n": "effectif", "base_n": "base"}).reset_index(drop=True)
            for column in ("effectif", "part", "base"):
                frame[secrecy.secret_column(column)] = False
        else:
            frame = protect_block(block, threshold=limit, survey=survey, commune=commune)
        qtype = str(frame["type"].iloc[0])
        matrix = qtype == "matrice"
        columns = [("libelle", "Réponse", TEXT), ("effectif", "Effectif", INTEGER),
                   ("part", "Part", PERCENT), ("base", BASE_HEADER, INTEGER)]
        if matrix:
            columns.insert(0, ("ligne_libelle", "Élément", TEXT))
        notes = [census_note(survey)]
        if not is_census(survey):
            frame = with_interval_text(frame)
            columns.append(("ic_texte", "Intervalle de confiance à 95 %", TEXT))
        if qtype == "multiple":
            notes.append("Plusieurs réponses possibles : part des répondants, le total "
                         "dépasse 100 %.")
        if rule == secrecy.RULE_OWN_ANSWERS:
            notes.append("Réponses de la commune elle-même, montrées dans son seul rapport "
                         "à la demande de l'agglomération.")
        chart = {"multiple": "multiple_choice", "matrice": "level_grid"}.get(qtype, "frequencies")
        out.append(build_table(
            f"{theme}.{survey_id}.{qid}", str(frame["question"].iloc[0]), frame, columns,
            theme=theme, secret_rule=rule, source=source, base=base_text(frame, matrix),
            notes=notes, chart=chart))
    return out


def with_interval_text(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* (``effectif``, ``base``, ``part`` and their ``__secret`` flags) with
    ``ic_texte``, the 95 % Wilson interval of each share in French (``[5,0 ; 34,6]``),
    masked wherever the share is (its bounds give the count back)."""
    from cdv_lib.survey.uncertainty import fmt_interval, wilson_interval

    out = frame.copy()
    count = pd.to_numeric(out["effectif"], errors="coerce").to_numpy(dtype=float)
    base = pd.to_numeric(out["base"], errors="coerce").to_numpy(dtype=float)
    choice = (out["code"] != secrecy.NON_RESPONSE_CODE).to_numpy() & (base > 0) \
        & ~np.isnan(count)
    low = np.full(len(out), np.nan)
    high = np.full(len(out), np.nan)
    if choice.any():
        low[choice], high[choice] = wilson_interval(count[choice], base[choice])
    out["ic_texte"] = [fmt_interval(a, b) if ok else None
                       for a, b, ok in zip(low, high, choice)]
    out[secrecy.secret_column("ic_texte")] = out[secrecy.secret_column("part")].to_numpy(bool)
    return out


def as_reference(table: ReportTable, commune_label: str, reason: str) -> ReportTable:
    """The agglomeration's *table* shown in a commune's report in place of the commune's
    own, labelled as the reference, with the sentence saying why."""
    from dataclasses import replace

    return replace(table, titre=f"{table.titre} — agglomération (référence)", reference=True,
                   notes=(f"Les réponses de {commune_label} ne sont pas montrées : {reason} "
                          "Le résultat de toute l'agglomération sert de référence.",
                          *table.notes))


def survey_tables(dataset, survey_id: str, *, theme: str, commune: str | None = None,
                  question_ids: Sequence[str] | None = None,
                  question_theme: str | None = None,
                  reference: bool = True) -> list[ReportTable]:
    """One table per choice question of a questionnaire, protected for secrecy.

    Parameters
    ----------
    dataset : Dataset
    survey_id : str
        Key of ``dataset.questionnaires``; an absent questionnaire gives no table.
    theme : str
        Theme the tables belong to (their key is ``theme.survey_id.question_id``).
    commune : str, optional
        Restrict to the respondents of that commune (questionnaires with a ``commune``
        attribute only; others give no table for a commune). Where secrecy would mask any
        of the commune's figures (a base under the threshold, a small count), the
        agglomeration's table is given instead, labelled as the reference, with the
        reason (*reference* = False keeps the commune's masked table). A questionnaire
        listed in ``secret.reponses_propres`` of ``config.yaml`` shows the commune its own
        answers.
    question_ids, question_theme : optional
        Questions to show (default: every choice question, or those of *question_theme*).

    Returns
    -------
    list of ReportTable
        Columns ``Réponse``, ``Effectif``, ``Part``, ``Base (n)`` (``Élément`` first for a
        grid); the non-response row ends each block. ``chart`` is ``frequencies``,
        ``multiple_choice`` or ``level_grid``.
    """
    commune = check_commune(dataset, commune)
    survey = dataset.questionnaires.get(survey_id)
    if survey is None:
        return []
    # A report asks for the same tables twice (its key messages, then its sections): they
    # are built once per dataset object. Each report loads its own copy of the dataset
    # (load_dataset), so nothing is shared between reports and what a report reads is still
    # recorded by the batch the first time.
    key = (survey_id, id(survey), theme, commune,
           None if question_ids is None else tuple(question_ids), question_theme, reference,
           repr(dataset.config))
    memo = vars(dataset).setdefault("_survey_tables_memo", {})
    if key not in memo:
        memo[key] = tuple(_survey_tables(dataset, survey, survey_id, theme=theme,
                                         commune=commune, question_ids=question_ids,
                                         question_theme=question_theme, reference=reference))
    return list(memo[key])


def _survey_tables(dataset, survey, survey_id: str, *, theme: str, commune: str | None,
                   question_ids: Sequence[str] | None, question_theme: str | None,
                   reference: bool) -> list[ReportTable]:
    from cdv_lib.report.scope import commune_name
    from cdv_lib.themes.gouvernance import question_table

    where = where_commune(survey, commune)
    if where is False:
        return []
    if commune is None:
        table = question_table(survey, question_ids, theme=question_theme)
        return _question_tables(dataset, survey, survey_id, table, theme=theme, commune=None,
                                rule=secrecy.RULE_POPULATION)
    table = question_table(survey, question_ids, theme=question_theme, where=where)
    if survey_id in own_answers_surveys(dataset):
        return _question_tables(dataset, survey, survey_id, table, theme=theme,
                                commune=commune, rule=secrecy.RULE_OWN_ANSWERS)
    mine = _question_tables(dataset, survey, survey_id, table, theme=theme, commune=commune,
                            rule=secrecy.RULE_SCOPE)
    if not reference:
        return mine
    from cdv_lib.survey.tables import selected_ids

    respondents = len(selected_ids(survey, where))
    agglomeration = None
    label = commune_name(dataset, commune).rsplit(" (", 1)[0]
    limit = threshold(dataset)
    out = []
    for own in mine:
        base = own.data[BASE_HEADER]
        answered = pd.to_numeric(base, errors="coerce").fillna(0)
        if own.n_masked == 0 and (answered > 0).all():
            out.append(own)
            continue
        if agglomeration is None:
            agglomeration = {t.key: t for t in survey_tables(
                dataset, survey_id, theme=theme, question_ids=question_ids,
                question_theme=question_theme)}
        if respondents == 0:
            reason = "aucune réponse de la commune à ce questionnaire n'a été reçue."
        elif own.n_masked == 0:
            reason = "aucun de ses répondants n'a répondu à cette question."
        elif respondents < limit:
            reason = (f"elles portent sur moins de {limit} répondants (secret "
                      "statistique).")
        else:
            reason = ("elles permettraient de retrouver une réponse masquée dans un autre "
                      "rapport (secret statistique).")
        out.append(as_reference(agglomeration[own.key], label, reason))
    return out


def response_rates(dataset, survey_ids: Sequence[str], theme: str) -> ReportTable | None:
    """Questionnaires received against questionnaires sent (``None`` when none of
    *survey_ids* is in the data)."""
    from cdv_lib.themes.gouvernance import response_rates as rates_of

    surveys = {k: dataset.questionnaires[k] for k in survey_ids if k in dataset.questionnaires}
    if not surveys:
        return None
    rates = rates_of(surveys)
    return build_table(
        f"{theme}.taux_reponse", "Taux de réponse aux questionnaires", rates,
        [("titre", "Questionnaire", TEXT), ("recus", "Réponses reçues", INTEGER),
         ("taux", "Taux de réponse", PERCENT), ("envoyes", "Base (questionnaires envoyés)",
                                                 INTEGER)],
        theme=theme, secret_rule=secrecy.RULE_POPULATION,
        source="Questionnaires de l'évaluation")
