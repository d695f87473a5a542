"""One question of a questionnaire, optionally crossed and filtered, ready to show: the
table behind the explorer (« Explorer un questionnaire »).

Everything an exploration shows goes through :func:`explore`: counts, shares with their
interval (or « exhaustif »), base and non-responses, the test of independence, with
statistical secrecy applied (:func:`cdv_lib.secrecy.mask_frequencies` /
:func:`~cdv_lib.secrecy.mask_crosstab`, threshold of ``config.yaml``) and the bounds of
every masked share masked too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cdv_lib import secrecy
from cdv_lib.survey import crosstab, frequencies, selected_ids
from cdv_lib.survey.crosstab import GROUP
from cdv_lib.survey.normalize import Survey
from cdv_lib.survey.tables import NON_RESPONSE_CODE
from cdv_lib.survey.uncertainty import (
    add_intervals,
    census_note,
    describe_test,
    interval_texts,
    is_census,
    mask_intervals,
)

#: question types the explorer tabulates (numbers and free texts are not tabulated here)
EXPLORABLE_TYPES = ("unique", "echelle", "multiple", "matrice")
#: types a question must have to cross another question by it
CROSSING_TYPES = ("unique", "echelle")
SECRET_TEXT = secrecy.SECRET_MARK
NBSP = "\u00a0"

# French headers of the exported / displayed table
H_GROUP, H_CHOICE, H_COUNT, H_SHARE, H_LOW, H_HIGH, H_BASE = (
    "Groupe", "Réponse", "Effectif", "Part (%)", "IC 95 % bas (%)", "IC 95 % haut (%)", "Base")


def explorable_questions(survey: Survey) -> list[tuple[str, str]]:
    """``(label, question id)`` of the questions the explorer can tabulate, in
    questionnaire order; the label is the question's own text, prefixed by its id."""
    return [(f"{q.id} — {q.label}", q.id) for q in survey.definition.questions
            if q.type in EXPLORABLE_TYPES]


def crossing_variables(survey: Survey, question_id: str | None = None) -> list[tuple[str, str]]:
    """``(label, name)`` of the variables a question can be crossed by or filtered on:
    the attributes of the definition, then the single-choice questions (except
    *question_id* itself)."""
    out = [(f"{name} (attribut)", name) for name in survey.definition.attributes]
    out += [(f"{q.id} — {q.label}", q.id) for q in survey.definition.questions
            if q.type in CROSSING_TYPES and q.id != question_id]
    return out


def filter_values(survey: Survey, name: str) -> list[str]:
    """Values a filter on *name* can take: an attribute's distinct values (sorted, as
    :func:`cdv_lib.survey.group_of` spells them) or a question's choice labels."""
    from cdv_lib.survey import group_of

    return list(group_of(survey, name)[1])


@dataclass
class Exploration:
    """What the explorer shows for one question.

    Attributes
    ----------
    table : the masked long table, one row per (group,) choice and a ``_nr`` row per
        block: [``groupe``], ``code``, ``libelle``, ``effectif``, ``part``, ``base``,
        ``ic_bas``, ``ic_haut``, with the ``__secret`` companion columns of
        :mod:`cdv_lib.secrecy`.
    census : respondents are the whole population (no interval).
    test : the test of independence (crossed tables), :func:`cdv_lib.survey.independence_test`.
    choice_tests : per-choice tests of a crossed ``multiple`` question (list of dicts).
    """

    survey_id: str
    survey_title: str
    question_id: str
    question_label: str
    question_type: str
    by: str | None
    row: str | None
    where: dict | None
    threshold: int
    table: pd.DataFrame
    census: bool
    n_selected: int
    census_sentence: str
    test: dict | None = None
    choice_tests: list[dict] = field(default_factory=list)
    without_group: int = 0

    @property
    def crossed(self) -> bool:
        return self.by is not None

    @property
    def secret(self) -> bool:
        """Whether any figure of the table is masked."""
        flags = [c for c in self.table.columns if str(c).endswith(secrecy.SECRET_SUFFIX)]
        return bool(flags) and bool(self.table[flags].to_numpy(dtype=bool).any())

    def blocks(self) -> pd.DataFrame:
        """One row per block (group, or the whole selection): ``groupe``, ``base``,
        ``non_reponses`` (NaN where masked), ``masque`` (bool)."""
        nr = self.table[self.table["code"] == NON_RESPONSE_CODE]
        groups = nr[GROUP] if GROUP in nr.columns else pd.Series(["Ensemble"] * len(nr), index=nr.index)
        base_flag = nr.get("base__secret", pd.Series(False, index=nr.index)).astype(bool)
        return pd.DataFrame({
            "groupe": groups.to_numpy(),
            "base": nr["base"].to_numpy("float64"),
            "non_reponses": nr["effectif"].to_numpy("float64"),
            "masque": base_flag.to_numpy(),
        })

    def sentences(self) -> list[str]:
        """French sentences shown above the table: selection, base and non-responses,
        sample or census, secrecy, test."""
        out = []
        blocks = self.blocks()
        base_hidden = bool(not self.crossed and self.where and len(blocks) and blocks["masque"].iloc[0])
        if base_hidden and not secrecy.is_primary(self.n_selected, self.threshold):
            # the size of this selection would give back a base masked by difference
            scope = "Nombre de répondants sélectionnés masqué (secret statistique)"
        elif secrecy.is_primary(self.n_selected, self.threshold):
            scope = f"Moins de {self.threshold} répondants sélectionnés (secret statistique)"
        else:
            scope = f"{_count(self.n_selected, 'répondant')} sélectionné{'s' if self.n_selected > 1 else ''}"
        if self.where:
            scope += " (filtre : " + ", ".join(f"{k} = {v}" for k, v in self.where.items()) + ")"
        out.append(scope + ".")
        if not self.crossed and len(blocks):
            b = blocks.iloc[0]
            if b["masque"]:
                out.append(f"Base masquée (secret statistique : moins de {self.threshold} répondants, "
                           "ou base qui permettrait d'en retrouver une autre).")
            else:
                nr = "non-réponses : s" if pd.isna(b["non_reponses"]) else _count(int(b["non_reponses"]), "non-réponse")
                out.append(f"Base : {_count(int(b['base']), 'répondant')} ayant répondu ; {nr}"
                           " (exclues de la base).")
        elif self.crossed and not len(blocks):
            out.append(f"Aucun groupe : aucun répondant sélectionné n'a de valeur pour « {self.by} ».")
        elif self.crossed:
            parts = []
            for _, b in blocks.iterrows():
                parts.append(f"{b['groupe']} : " + ("s" if b["masque"] else f"n{NBSP}={NBSP}{int(b['base'])}"))
            out.append("Bases par groupe (répondants ayant répondu) : " + " ; ".join(parts) + ".")
            if secrecy.is_primary(self.without_group, self.threshold):
                out.append(f"Moins de {self.threshold} répondants sans valeur pour « {self.by} » "
                           "(hors du tableau ; nombre exact masqué).")
            elif self.without_group:
                out.append(f"{_count(self.without_group, 'répondant')} sans valeur pour « {self.by} » "
                           "(hors du tableau).")
        if self.question_type == "multiple":
            out.append("Question à choix multiple : part des répondants ayant coché chaque réponse "
                       "(le total dépasse 100 %).")
        out.append(self.census_sentence)
        if self.secret:
            out.append(f"« s » : valeur masquée (secret statistique, moins de {self.threshold} répondants, "
                       "ou valeur qui permettrait de la retrouver).")
        if self.test is not None and self.question_type != "multiple":
            out.append(describe_test(self.test, secret=self.secret))
        return out

    def test_table(self) -> pd.DataFrame:
        """Per-choice tests of a crossed ``multiple`` question: ``Réponse``, ``Test``
        (French sentence); empty otherwise."""
        rows = [{"Réponse": t["libelle"], "Test": describe_test(t, secret=self.secret)}
                for t in self.choice_tests]
        return pd.DataFrame(rows, columns=["Réponse", "Test"])

    def display_frame(self, *, wide: bool | None = None) -> pd.DataFrame:
        """The table as French strings, ``s`` where masked.

        Long form (the default without crossing): [``Groupe``], ``Réponse``,
        ``Effectif``, ``Part [IC 95 %]`` (or ``Part (exhaustif)``), ``Base``. Wide form
        (the default for a cross table): ``Réponse`` then one column per group named
        ``groupe (n = base)``, each cell ``effectif — part [interval]``.
        """
        wide = self.crossed if wide is None else wide
        if wide and self.crossed:
            return self._wide_frame()
        t = self.table
        share_header = "Part (exhaustif)" if self.census else "Part [IC 95 %]"
        from cdv_lib.formatting import fmt_int

        def cells(column):
            flag = t.get(f"{column}{secrecy.SECRET_SUFFIX}")
            flags = flag.astype(bool).tolist() if flag is not None else [False] * len(t)
            return [SECRET_TEXT if f else ("–" if pd.isna(v) else fmt_int(v)) for v, f in zip(t[column], flags)]

        shares = interval_texts(t, census=False)  # « exhaustif » is said in the header
        shares = [("" if code == NON_RESPONSE_CODE else s) for s, code in zip(shares, t["code"])]
        frame = pd.DataFrame({H_CHOICE: t["libelle"].to_numpy(), H_COUNT: cells("effectif"),
                              share_header: shares, H_BASE: cells("base")})
        if GROUP in t.columns:
            frame.insert(0, H_GROUP, t[GROUP].to_numpy())
        return frame

    def _wide_frame(self) -> pd.DataFrame:
        from cdv_lib.formatting import fmt_int

        t = self.table
        shares = interval_texts(t, census=False)
        count_flag = t.get(f"effectif{secrecy.SECRET_SUFFIX}", pd.Series(False, index=t.index)).astype(bool)
        cells = []
        for (i, r), share, hidden in zip(t.iterrows(), shares, count_flag):
            if hidden:
                cells.append(SECRET_TEXT)
            elif r["code"] == NON_RESPONSE_CODE:
                cells.append(fmt_int(r["effectif"]))
            elif pd.isna(r["part"]):
                cells.append(f"{fmt_int(r['effectif'])} — –")
            else:
                cells.append(f"{fmt_int(r['effectif'])} — {share}")
        frame = pd.DataFrame({"groupe": t[GROUP].to_numpy(), "libelle": t["libelle"].to_numpy(),
                              "cell": cells})
        headers = {}
        for _, b in self.blocks().iterrows():
            base = SECRET_TEXT if b["masque"] else fmt_int(b["base"])
            headers[b["groupe"]] = f"{b['groupe']} (n{NBSP}={NBSP}{base})"
        groups = list(dict.fromkeys(frame["groupe"]))
        choices = list(dict.fromkeys(frame["libelle"]))
        wide = frame.pivot(index="libelle", columns="groupe", values="cell").reindex(
            index=choices, columns=groups)
        wide.columns = [headers[g] for g in groups]
        wide.index.name = None
        return wide.reset_index(names=H_CHOICE)

    def export_frame(self) -> pd.DataFrame:
        """The table for a spreadsheet: [``Groupe``], ``Réponse``, ``Effectif``,
        ``Part (%)``, ``IC 95 % bas (%)``, ``IC 95 % haut (%)``, ``Base`` as numbers
        (percent points rounded to 0.1), ``"s"`` where masked, empty where absent."""
        t = self.table

        def column(name, scale=1.0, digits=None):
            flag = t.get(f"{name}{secrecy.SECRET_SUFFIX}")
            flags = flag.astype(bool).tolist() if flag is not None else [False] * len(t)
            out = []
            for v, f in zip(t[name], flags):
                if f:
                    out.append(SECRET_TEXT)
                elif pd.isna(v):
                    out.append(None)
                else:
                    x = float(v) * scale
                    out.append(round(x, digits) if digits is not None else int(round(x)))
            return out

        frame = pd.DataFrame({
            H_CHOICE: t["libelle"].to_numpy(),
            H_COUNT: column("effectif"),
            H_SHARE: column("part", 100, 1),
            H_LOW: column("ic_bas", 100, 1),
            H_HIGH: column("ic_haut", 100, 1),
            H_BASE: column("base"),
        })
        if GROUP in t.columns:
            frame.insert(0, H_GROUP, t[GROUP].to_numpy())
        return frame

    def export_notes(self) -> list[str]:
        """Title lines of an export: questionnaire, question, crossing, then the sentences."""
        lines = [self.survey_title, f"Question : {self.question_label}"]
        if self.row:
            lines.append(f"Ligne de la grille : {self.row}")
        if self.by:
            lines.append(f"Croisement : {self.by}")
        return lines + self.sentences()

    def chart_data(self) -> pd.DataFrame:
        """Rows to draw: ``groupe`` (label with its base), ``libelle``, ``part``,
        ``ic_bas``, ``ic_haut``, ``masque`` (share hidden by secrecy), choices only."""
        t = self.table[self.table["code"] != NON_RESPONSE_CODE]
        flag = t.get("part__secret", pd.Series(False, index=t.index)).astype(bool)
        if GROUP in t.columns:
            base_flag = t.get("base__secret", pd.Series(False, index=t.index)).astype(bool)
            labels = [f"{g} (s)" if bf else f"{g} (n{NBSP}={NBSP}{int(b)})"
                      for g, b, bf in zip(t[GROUP], t["base"], base_flag)]
        else:
            labels = ["Ensemble"] * len(t)
        return pd.DataFrame({
            "groupe": labels,
            "libelle": t["libelle"].to_numpy(),
            "part": t["part"].to_numpy("float64"),
            "ic_bas": t["ic_bas"].to_numpy("float64"),
            "ic_haut": t["ic_haut"].to_numpy("float64"),
            "masque": flag.to_numpy(),
        })


def _count(n: int, word: str) -> str:
    from cdv_lib.formatting import fmt_int

    return f"{fmt_int(n)} {word}{'s' if n > 1 else ''}"


HIDDEN_GROUP = "\u2063sans valeur"  # never a value of an attribute


def _mask_groups(survey: Survey, table: pd.DataFrame, question_id: str, *, row, where,
                 threshold: int) -> pd.DataFrame:
    """Secrecy of a cross table: :func:`cdv_lib.secrecy.mask_crosstab` with, when some
    selected respondents have no group, one hidden group holding their counts (the
    selection's counts minus the groups'), so that the groups shown cannot be
    differenced with the tri à plat into the counts of those respondents."""
    columns = [GROUP, "code", "libelle", "effectif", "part", "base"]
    scope = table[columns]
    overall = frequencies(survey, question_id, row=row, where=where)
    sums = scope.groupby("code", sort=False)["effectif"].sum()
    rest = overall["effectif"].to_numpy() - sums.reindex(overall["code"]).fillna(0).to_numpy()
    rest_base = int(overall["base"].iloc[0]) - int(scope.groupby(GROUP)["base"].first().sum())
    if not rest.any() and rest_base == 0:
        return secrecy.mask_crosstab(scope, threshold=threshold)
    extra = overall.assign(**{GROUP: HIDDEN_GROUP}, effectif=rest, base=rest_base, part=float("nan"))
    full = pd.concat([scope, extra[columns]], ignore_index=True)
    masked = secrecy.mask_crosstab(full, threshold=threshold, hidden_groups=[HIDDEN_GROUP])
    return masked[masked[GROUP] != HIDDEN_GROUP].reset_index(drop=True)


def _mask_filtered(survey: Survey, table: pd.DataFrame, question_id: str, *, row, where: dict,
                   threshold: int) -> pd.DataFrame:
    """Secrecy of a tri à plat restricted by a filter.

    A filter on one variable and one value is a group of the cross table by that
    variable: the cross table is masked as a whole (with the hidden group of the
    respondents without a value, :func:`_mask_groups`) and the selection takes the mask of
    its group, so that no cell can be recomputed by differencing the whole table with the
    other values of the filter. Any other filter is masked on its own
    (:func:`cdv_lib.secrecy.mask_frequencies`)."""
    from cdv_lib.survey.matching import fold

    single = len(where) == 1 and not isinstance(next(iter(where.values())), (list, tuple, set, frozenset))
    if not single:
        return secrecy.mask_frequencies(table, threshold=threshold)
    (name, value), = where.items()
    scope = crosstab(survey, question_id, name, row=row)
    if scope.empty:
        return secrecy.mask_frequencies(table, threshold=threshold)
    masked = _mask_groups(survey, scope, question_id, row=row, where=None, threshold=threshold)
    mine = masked[masked[GROUP].map(fold) == fold(value)]
    if mine.empty:  # nobody selected: a base of 0 says nothing about anybody
        return secrecy.mask_frequencies(table, threshold=threshold)
    flags = {}
    for column in ("effectif", "part"):
        by_code = dict(zip(mine["code"], mine[secrecy.secret_column(column)].astype(bool)))
        flags[column] = table["code"].map(lambda c: by_code.get(c, False)).to_numpy(bool)
    base_flag = bool(mine[secrecy.secret_column("base")].any())
    flags["base"] = [base_flag] * len(table)
    if base_flag:
        flags["effectif"] = flags["effectif"] | True
        flags["part"] = flags["part"] | True
    return secrecy.apply_mask(table, flags)


def explore(survey: Survey, question_id: str, *, by: str | None = None, row: str | None = None,
            where: dict | None = None, threshold: int = secrecy.DEFAULT_THRESHOLD) -> Exploration:
    """Tabulate one question for the explorer, secrecy applied.

    Parameters
    ----------
    survey : Survey
    question_id : a question of type ``unique``, ``echelle``, ``multiple`` or ``matrice``.
    by : attribute or single-choice question to cross by (None: no crossing).
    row : matrix row code (``matrice`` only; default: its first row).
    where : respondent filter ``{attribute or question: value}``
        (:func:`cdv_lib.survey.selected_ids`).
    threshold : secrecy threshold (:func:`cdv_lib.secrecy.threshold` of the config).

    Returns
    -------
    Exploration
    """
    question = survey.question(question_id)
    if question.type not in EXPLORABLE_TYPES:
        raise ValueError(f"question « {question.id} » de type {question.type} : "
                         "seules les questions à choix se tabulent ici")
    if question.type == "matrice":
        codes = [r.code for r in question.rows]
        row = row if row in codes else codes[0]
    else:
        row = None
    where = dict(where) if where else None
    ids = selected_ids(survey, where)
    census = is_census(survey)
    if by is None:
        raw = frequencies(survey, question_id, row=row, where=where)
        if where is None:  # the whole population, as the reports show it
            masked = secrecy.protect_question(raw, threshold=threshold, count="effectif",
                                              share="part", base="base")
        else:  # a sub-population, protected jointly with the other values of the filter
            masked = _mask_filtered(survey, raw, question_id, row=row, where=where,
                                    threshold=threshold)
        test, tests, without = None, [], 0
    else:
        raw = crosstab(survey, question_id, by, row=row, where=where)
        test = raw.attrs.get("test")
        tests = list(raw.attrs.get("tests_par_choix", []))
        without = int(raw.attrs.get("sans_groupe", 0))
        masked = _mask_groups(survey, raw, question_id, row=row, where=where,
                              threshold=threshold) if len(raw) else raw
    masked.attrs = {}
    # intervals from the shown counts only, hidden wherever their share is
    masked = mask_intervals(add_intervals(masked, census=census))
    masked.attrs = {}
    row_label = None
    if row is not None:
        row_label = next(r.label for r in question.rows if r.code == row)
    return Exploration(
        survey_id=survey.definition.id,
        survey_title=survey.definition.title,
        question_id=question.id,
        question_label=question.label,
        question_type=question.type,
        by=by,
        row=row_label,
        where=where,
        threshold=threshold,
        table=masked,
        census=census,
        n_selected=len(ids),
        census_sentence=census_note(survey),
        test=test,
        choice_tests=tests,
        without_group=without,
    )


__all__ = ["EXPLORABLE_TYPES", "Exploration", "crossing_variables", "explorable_questions",
           "explore", "filter_values"]
