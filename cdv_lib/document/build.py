"""Build the :class:`~cdv_lib.document.model.Document` from a dataset.

The structure follows the 2022 report: title page, sommaire, édito, avant-propos, 01
contexte et territoire, 02 démarche et méthodologie, 03 l'évaluation finale (programmation,
gouvernance et coopérations, AMI, participation des habitants), 04 focus santé, the PERR
follow-up and the annexes (QPV fiches, PERR commitments, questionnaires). Every figure comes
from :func:`cdv_lib.report.theme_tables` (secrecy already applied); a commune's
document uses the commune's tables and leaves out a table whose figures are all masked or
that has no answer of the commune, saying so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.document import narrative as nar
from cdv_lib.document.model import (
    Chapter,
    Document,
    FigureBlock,
    Messages,
    Paragraph,
    Section,
    SubHeading,
    TableBlock,
)
from cdv_lib.formatting import fmt_date, fmt_int
from cdv_lib.messages import messages_from_tables
from cdv_lib.report import commune_name, theme_tables
from cdv_lib.report.table import BASE_HEADER, INTEGER, PERCENT, TEXT, ReportTable
from cdv_lib.secrecy import RULE_POPULATION, RULE_PUBLIC

TITLE = "Rapport d'évaluation du Contrat de Ville"
SECTION_THEMES = ("territoire", "finances", "ami", "gouvernance", "sante", "participation",
                  "perr")


class _Numbering:
    """Tables and figures numbered in reading order; charts drawn on the way."""

    def __init__(self, dpi: int):
        self.tables = 0
        self.figures = 0
        self.dpi = dpi

    def blocks(self, table: ReportTable) -> list:
        self.tables += 1
        out = [TableBlock(self.tables, table)]
        if table.chart and table.plot_data is not None and not _no_figures(table):
            self.figures += 1
            out.insert(0, FigureBlock(
                number=self.figures, title=table.titre, png=chart_png(table, dpi=self.dpi),
                alt=_alt_text(table, self.tables), table_number=self.tables,
                source=table.source, base=table.base))
        return out


    def map_blocks(self, views) -> list:
        """Numbered figures of maps (:class:`cdv_lib.maps.MapView`)."""
        out = []
        for view in views:
            self.figures += 1
            out.append(FigureBlock(number=self.figures, title=view.titre,
                                   png=view.png(dpi=self.dpi), alt=view.alt, table_number=None,
                                   source=""))
        return out


def chart_png(table: ReportTable, *, dpi: int = 150) -> bytes:
    """The chart of *table* as PNG bytes, sized to its number of categories."""
    from cdv_lib.plots import table_png
    from cdv_lib.style import apply_style

    apply_style()
    rows = len(table.plot_data) if table.plot_data is not None else len(table.data)
    horizontal = table.chart not in ("funding_per_year", "health_programming")
    height = min(7.5, max(2.8, 0.32 * rows + 1.8)) if horizontal else 3.8
    return table_png(table, figsize=(7.2, height), dpi=dpi)


def _alt_text(table: ReportTable, table_number: int) -> str:
    text = f"Graphique : {table.titre}."
    if table.base:
        text += f" Base : {table.base}."
    return text + f" Les valeurs sont données dans le tableau {table_number}."


def _figure_columns(table: ReportTable) -> list[str]:
    return [c for c in table.data.columns
            if table.kind(c) != TEXT and not str(c).startswith("Base")]


def _no_figures(table: ReportTable) -> bool:
    """True when the table shows no figure: all masked, or every value missing or zero
    (a question no respondent of the scope answered)."""
    if table.fully_masked:
        return True
    columns = _figure_columns(table)
    if not columns or not len(table.data):
        return not len(table.data)
    shown = table.data[columns].copy()
    if table.mask is not None:
        shown = shown.mask(table.mask[columns].astype(bool))
    values = shown.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    return bool(np.all(np.isnan(values) | (values == 0)))


# --- sections ---------------------------------------------------------------------------

class _Builder:
    def __init__(self, dataset, commune: str | None, *, dpi: int):
        self.ds = dataset
        self.commune = None if commune is None else str(commune)
        self.numbering = _Numbering(dpi)
        self.year = _int(dataset.config.get("annee"))
        self.start_year = _int(dataset.config.get("annee_debut"))
        self.tables = {theme: theme_tables(dataset, theme, self.commune)
                       for theme in SECTION_THEMES}
        self.all_tables = [t for ts in self.tables.values() for t in ts]
        self.placed: set[str] = set()
        self.said: set[str] = set()  # texts of the chapters' key messages so far
        from cdv_lib.secrecy import threshold

        self.threshold = threshold(dataset.config)

    # tables ---------------------------------------------------------------------------

    def take(self, theme: str, keep: Callable[[ReportTable], bool] = lambda t: True,
             ) -> list[ReportTable]:
        """Tables of *theme* not placed yet, chosen by *keep*, in display order."""
        out = [t for t in self.tables[theme] if t.key not in self.placed and keep(t)]
        self.placed.update(t.key for t in out)
        return out

    def table_blocks(self, tables: Sequence[ReportTable]) -> list:
        """Numbered blocks of *tables*; in a commune's document a table without any figure
        to show is left out and a sentence says how many and why."""
        blocks, secret, no_answer, no_data = [], 0, 0, 0
        for table in tables:
            if self.commune is not None and _no_figures(table):
                if table.fully_masked or table.n_masked:
                    secret += 1
                elif self._is_survey(table):
                    no_answer += 1
                else:
                    no_data += 1
                continue
            blocks += self.numbering.blocks(table)
        notes = []
        if secret:
            notes.append(Paragraph(
                f"{_count(secret, 'tableau', 'tableaux')} de la commune "
                f"{_verb(secret, 'reproduit')} : {'ses' if secret == 1 else 'leurs'} "
                f"chiffres portent sur moins de {fmt_int(self.threshold)} répondants (secret "
                "statistique). Les résultats d'ensemble figurent dans le rapport de "
                "l'agglomération."))
        if no_answer:
            notes.append(Paragraph(
                f"{_count(no_answer, 'question', 'questions')} sans réponse de la commune "
                f"{_verb(no_answer, 'reproduite')}."))
        if no_data:
            notes.append(Paragraph(
                f"{_count(no_data, 'tableau', 'tableaux')} sans donnée pour la commune "
                f"{_verb(no_data, 'reproduit')}."))
        return notes + blocks

    def _is_survey(self, table: ReportTable) -> bool:
        parts = table.key.split(".")
        return len(parts) >= 3 and parts[1] in self.ds.questionnaires

    def messages(self, themes: Sequence[str], limit: int = 6) -> list:
        # a chapter does not repeat a message an earlier chapter opened with
        per_theme = [[m for m in messages_from_tables(self.all_tables, th, commune=self.commune,
                                                      annee=self.year,
                                                      annee_debut=self.start_year)
                      if m.texte not in self.said]
                     for th in themes]
        out, depth = [], 0
        while len(out) < limit and any(len(m) > depth for m in per_theme):
            for msgs in per_theme:
                if depth < len(msgs) and len(out) < limit:
                    out.append(msgs[depth])
            depth += 1
        self.said.update(m.texte for m in out)
        return [Messages(tuple(out))] if out else []

    def narrative(self, name: str):
        return nar.load_block(self.ds.data_dir, name, self.commune)

    # chapters -------------------------------------------------------------------------

    def chapters(self) -> list[Chapter]:
        chapters = [
            Chapter("Édito", "edito", blocks=[self.narrative("edito")]),
            Chapter("Avant-propos", "avant-propos", blocks=[self.narrative("avant_propos")]),
            self.contexte(), self.demarche(), self.evaluation(), self.sante(),
        ]
        perr = self.perr()
        if perr is not None:
            chapters.append(perr)
        chapters.append(self.annexes())
        return chapters

    def contexte(self) -> Chapter:
        sections = [Section("1.1 Chiffres clés du territoire", "s-territoire-chiffres",
                            self.table_blocks(self.take(
                                "territoire", lambda t: t.key == "territoire.chiffres_cles"))),
                    Section("1.2 Les quartiers prioritaires", "s-territoire-qpv",
                            self.territory_maps() + self.table_blocks(self.take("territoire")))]
        sections.append(Section("1.3 Analyse et préconisations", "s-contexte-analyse",
                                [self.narrative("contexte")]))
        return Chapter("Contexte et territoire", "chapitre-contexte", "01",
                       blocks=self.messages(["territoire"]), sections=sections)

    def territory_maps(self) -> list:
        """The maps of the territory (or of the commune and its QPV); a map that cannot be
        drawn never stops the document, it is said instead."""
        from cdv_lib.maps import theme_maps

        try:
            views = theme_maps(self.ds, "territoire", self.commune)
            return self.numbering.map_blocks(views)
        except Exception:  # noqa: BLE001 - the document goes on without its map
            return [Paragraph("La carte du territoire n'a pas pu être dessinée.")]

    def demarche(self) -> Chapter:
        questionnaires = self.take("gouvernance", lambda t: t.key == "gouvernance.taux_reponse")
        if not questionnaires:
            questionnaires = [t for t in theme_tables(self.ds, "gouvernance")
                              if t.key == "gouvernance.taux_reponse"]
        surveys = _survey_table(self.ds)
        interviews = self.take("participation", lambda t: t.key == "participation.entretiens")
        whole = []
        if self.commune is not None:
            interviews = [t for t in theme_tables(self.ds, "participation")
                          if t.key == "participation.entretiens"]
            whole = [Paragraph("La démarche est celle de l'évaluation d'ensemble : les chiffres "
                               "de ce chapitre portent sur tout le territoire.")]
        s1 = whole + self.table_blocks(questionnaires) + (
            self.table_blocks([surveys]) if surveys is not None else [])
        sections = [Section("2.1 Les questionnaires", "s-demarche-questionnaires", s1)]
        if interviews:
            sections.append(Section("2.2 Les entretiens", "s-demarche-entretiens",
                                    self.table_blocks(interviews)))
        sections.append(Section(f"2.{len(sections) + 1} Analyse et préconisations",
                                "s-demarche-analyse", [self.narrative("demarche")]))
        msgs = [] if self.commune else self.messages(["gouvernance", "participation"], 3)
        return Chapter("Démarche et méthodologie", "chapitre-demarche", "02",
                       blocks=msgs, sections=sections)

    def evaluation(self) -> Chapter:
        parts = [
            ("Programmation du Contrat de Ville", "s-programmation",
             self.take("finances", lambda t: t.key != "finances.sante")),
            ("Gouvernance et coopérations", "s-gouvernance", self.take("gouvernance")),
            ("L'AMI cohésion sociale", "s-ami", self.take("ami")),
            ("Participation des habitants", "s-participation", self.take("participation")),
        ]
        self.placed.add("finances.sante")  # the same figures as sante.programmation
        sections = []
        for title, anchor, tables in parts:
            blocks = self.table_blocks(tables)
            if not blocks:
                blocks = [Paragraph(_nothing_for_scope(self.commune))]
            sections.append(Section(f"3.{len(sections) + 1} {title}", anchor, blocks))
        sections.append(Section(f"3.{len(sections) + 1} Analyse et préconisations",
                                "s-evaluation-analyse", [self.narrative("evaluation")]))
        return Chapter("L'évaluation finale", "chapitre-evaluation", "03",
                       subtitle="programmation, gouvernance et coopérations, AMI, "
                                "participation des habitants",
                       blocks=self.messages(["finances", "gouvernance", "participation",
                                             "ami"]),
                       sections=sections)

    def sante(self) -> Chapter:
        parts = [
            ("Les actions de santé des communes", "s-sante-actions",
             self.take("sante", lambda t: t.key.startswith("sante.actions_"))),
            ("La santé dans la programmation", "s-sante-programmation",
             self.take("sante", lambda t: t.key == "sante.programmation")),
            ("Les indicateurs de contexte", "s-sante-indicateurs",
             self.take("sante", lambda t: t.key == "sante.indicateurs")),
            ("Les questionnaires santé", "s-sante-questionnaires", self.take("sante")),
        ]
        sections = []
        for title, anchor, tables in parts:
            blocks = self.table_blocks(tables)
            if blocks:
                sections.append(Section(f"4.{len(sections) + 1} {title}", anchor, blocks))
        sections.append(Section(f"4.{len(sections) + 1} Analyse et préconisations",
                                "s-sante-analyse", [self.narrative("sante")]))
        return Chapter("Focus santé", "chapitre-sante", "04",
                       blocks=self.messages(["sante"]), sections=sections)

    def perr(self) -> Chapter | None:
        status = self.take("perr", lambda t: t.key == "perr.statuts")
        if not status:
            return None
        sections = [Section("État d'avancement des engagements", "s-perr-statuts",
                            self.table_blocks(status)),
                        Section("Analyse et préconisations du suivi du PERR", "s-perr-analyse",
                                [self.narrative("perr")])]
        return Chapter("Suivi du Protocole d'Engagements Renforcés et Réciproques (PERR)",
                       "chapitre-perr", blocks=self.messages(["perr"]), sections=sections)

    def annexes(self) -> Chapter:
        sections = []
        fiches = self.qpv_fiches()
        if fiches:
            sections.append(Section("Annexe 1 – Fiches d'identité des QPV", "annexe-qpv",
                                    fiches))
        engagements = self.take("perr")
        if engagements:
            sections.append(Section(f"Annexe {len(sections) + 1} – Les engagements du PERR",
                                    "annexe-perr", self.table_blocks(engagements)))
        questionnaires = self.questionnaire_annex()
        if questionnaires:
            sections.append(Section(f"Annexe {len(sections) + 1} – Les questionnaires",
                                    "annexe-questionnaires", questionnaires))
        # any table not placed above still reaches the reader
        rest = [t for t in self.all_tables if t.key not in self.placed]
        self.placed.update(t.key for t in rest)
        if rest:
            sections.append(Section(f"Annexe {len(sections) + 1} – Autres tableaux",
                                    "annexe-autres", self.table_blocks(rest)))
        return Chapter("Annexes", "annexes", sections=sections)

    # annexes ----------------------------------------------------------------------------

    def qpv_fiches(self) -> list:
        """One fiche per QPV: its communes and population, then its context indicators."""
        if self.commune is not None:
            codes = [self.commune]
        else:
            signatories = self.ds.communes[
                self.ds.communes[C.SIGNATAIRE].astype("boolean").fillna(False)]
            codes = signatories[C.CODE_INSEE].astype(str).tolist()
        rows: dict[str, dict] = {}
        for code in codes:
            table = next((t for t in theme_tables(self.ds, "territoire", code)
                          if t.key == "territoire.qpv"), None)
            if table is None:
                continue
            name = commune_name(self.ds, code).rsplit(" (", 1)[0]
            for i in range(len(table.data)):
                qpv = str(table.data["Code QPV"].iloc[i])
                entry = rows.setdefault(qpv, {"nom": table.data["Quartier"].iloc[i],
                                              "habitants": table.data["Habitants"].iloc[i],
                                              "communes": []})
                entry["communes"].append(name)
        indicators = next((t for t in self.tables["sante"] if t.key == "sante.indicateurs"),
                          None)
        blocks = []
        for code, entry in sorted(rows.items()):
            blocks.append(SubHeading(f"{entry['nom']} ({code})", f"qpv-{code}"))
            data = pd.DataFrame({
                "Caractéristique": ["Code QPV", "Commune(s)", "Habitants"],
                "Valeur": [code, ", ".join(entry["communes"]),
                           fmt_int(entry["habitants"])]})
            fiche = ReportTable(key=f"annexe.qpv.{code}", titre=f"Fiche d'identité : "
                                f"{entry['nom']}", data=data, theme="territoire",
                                source="Liste des communes et des QPV (données du territoire)",
                                secret_rule=RULE_PUBLIC)
            self.placed.add(fiche.key)
            blocks += self.numbering.blocks(fiche)
            if indicators is not None:
                own = _rows_of(indicators, "Code", code)
                if own is not None:
                    self.placed.add(indicators.key)
                    blocks += self.numbering.blocks(own)
        return blocks

    def questionnaire_annex(self) -> list:
        shown = {t.key.split(".", 1)[1]: t for t in self.all_tables if t.key.count(".") >= 2}
        blocks = []
        for survey_id, survey in self.ds.questionnaires.items():
            definition = survey.definition
            rows = []
            for i, q in enumerate(definition.questions, start=1):
                table = shown.get(f"{survey_id}.{q.id}")
                base = _question_base(table)
                rows.append({"N°": i, "Question": q.label, "Type": _TYPE_LABELS.get(q.type,
                                                                                   q.type),
                             "Base": base})
            data = pd.DataFrame(rows)
            formats = {"N°": INTEGER}
            blocks.append(SubHeading(definition.title, f"questionnaire-{survey_id}"))
            sent = (f" ; {fmt_int(definition.sent)} questionnaires envoyés"
                    if definition.sent else "")
            scope = ("répondants de la commune" if self.commune else "répondants")
            table = ReportTable(
                key=f"annexe.questionnaire.{survey_id}", titre=f"Questions : {definition.title}",
                data=data, formats=formats, theme="annexe", source=definition.title,
                secret_rule=RULE_PUBLIC,
                base=f"{fmt_int(survey.n_respondents)} questionnaires reçus{sent}"
                if self.commune is None else "",
                notes=(f"Base : {scope} ayant répondu à la question (non-réponses exclues) ; "
                       "« – » : question non présentée dans ce rapport ; « s » : base masquée "
                       "(secret statistique).",))
            self.placed.add(table.key)
            blocks += self.numbering.blocks(table)
        return blocks


_TYPE_LABELS = {"unique": "choix unique", "multiple": "choix multiple", "echelle": "échelle",
                "matrice": "grille", "numerique": "nombre", "texte": "texte libre"}


def _question_base(table: ReportTable | None) -> str:
    """The base of a question as its table shows it: ``19``, ``14 à 21`` for a grid, ``s``
    when masked, ``–`` when the question is not shown."""
    if table is None or BASE_HEADER not in table.data.columns:
        return "–"
    j = list(table.data.columns).index(BASE_HEADER)
    values = []
    for i in range(len(table.data)):
        if table.is_masked(i, j):
            return "s"
        value = table.data[BASE_HEADER].iloc[i]
        if not pd.isna(value):
            values.append(int(value))
    if not values:
        return "–"
    low, high = min(values), max(values)
    return fmt_int(low) if low == high else f"{fmt_int(low)} à {fmt_int(high)}"


def _rows_of(table: ReportTable, column: str, value: str) -> ReportTable | None:
    """The rows of *table* whose *column* is *value*, as a table of their own (mask kept)."""
    keep = table.data[column].astype("string").eq(value).fillna(False).to_numpy(bool)
    if not keep.any():
        return None
    data = table.data[keep].reset_index(drop=True)
    mask = None if table.mask is None else table.mask[keep].reset_index(drop=True)
    if mask is not None and not mask.to_numpy().any():
        mask = None
    drop = [c for c in ("Code", "Territoire") if c in data.columns]
    if mask is not None:
        mask = mask.drop(columns=drop)
    return ReportTable(key=f"{table.key}.{value}", titre=f"{table.titre} : {value}",
                       data=data.drop(columns=drop), formats=table.formats,
                       source=table.source, base=table.base, mask=mask, theme=table.theme,
                       notes=table.notes, secret_rule=table.secret_rule)


def _survey_table(dataset) -> ReportTable | None:
    """Every questionnaire of the evaluation: answers received, sent, response rate."""
    from cdv_lib.themes.gouvernance import response_rates

    if not dataset.questionnaires:
        return None
    rates = response_rates(dataset.questionnaires)
    data = pd.DataFrame({
        "Questionnaire": rates["titre"].astype(str),
        "Réponses reçues": rates["recus"],
        "Taux de réponse": rates["taux"],
        "Base (questionnaires envoyés)": rates["envoyes"],
    })
    return ReportTable(
        key="demarche.questionnaires", titre="Les questionnaires de l'évaluation", data=data,
        formats={"Réponses reçues": INTEGER, "Taux de réponse": PERCENT,
                 "Base (questionnaires envoyés)": INTEGER},
        source="Questionnaires de l'évaluation", theme="demarche", secret_rule=RULE_POPULATION,
        notes=("« – » : nombre de questionnaires envoyés non connu, taux non calculé.",))


def _nothing_for_scope(commune: str | None) -> str:
    if commune is None:
        return "Aucune donnée n'est disponible pour cette partie."
    return ("Aucun tableau propre à la commune n'est disponible pour cette partie ; les "
            "résultats d'ensemble figurent dans le rapport de l'agglomération.")


def _verb(n: int, participle: str) -> str:
    """« n'est pas reproduit » / « ne sont pas reproduits »."""
    return f"n’est pas {participle}" if n == 1 else f"ne sont pas {participle}s"


def _count(n: int, word: str, plural: str) -> str:
    return f"{fmt_int(n)} {word if n == 1 else plural}".capitalize()


def _int(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def build_document(dataset, commune: str | None = None, *, today: dt.date | None = None,
                   dpi: int = 150) -> Document:
    """The whole report for the agglomeration (*commune* ``None``) or one commune.

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.
    commune : str, optional
        A ``code_insee`` (unknown code: ``ValueError``).
    today : date, optional
        The date printed on the title page (default: today).
    dpi : int
        Resolution of the charts.
    """
    builder = _Builder(dataset, commune, dpi=dpi)
    territory = str(dataset.config.get("territoire") or "Agglomération")
    scope = commune_name(dataset, builder.commune)
    doc = Document(title=TITLE, territory=territory, scope=scope, commune=builder.commune,
                   year=builder.year, date=fmt_date(today or dt.date.today()))
    doc.chapters = builder.chapters()
    builder.said.clear()  # the head sums up the whole document: repeats are expected
    head = builder.messages(["territoire", "finances", "gouvernance", "participation",
                             "sante", "perr"])
    doc.head_messages = head[0] if head else None
    return doc
