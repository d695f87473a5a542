"""The tables shown to readers: one source for the HTML reports, the Excel workbook and the
Voilà app.

A :class:`ReportTable` holds a table with French column headers and *raw* values (numbers
stay numbers, shares stay ratios in [0, 1]) plus what a reader must know about it: its
source, its base and what statistical secrecy masked. The display formats it
(:meth:`ReportTable.formatted`, :func:`render`), the workbook writes it with Excel number
formats (:mod:`cdv_lib.excel`).

:func:`theme_tables` builds the tables of a theme from :mod:`cdv_lib.themes` and
:mod:`cdv_lib.survey`, applying :mod:`cdv_lib.secrecy` to every figure about a
sub-population.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdv_lib.style import SECRET_MARK, format_euro, format_number, format_percent

# Column kinds: how a column is formatted for readers and in Excel.
TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
EURO = "euro"
PERCENT = "percent"
KINDS = (TEXT, INTEGER, DECIMAL, EURO, PERCENT)

MISSING_MARK = "–"  # value not available (not the same as masked)
BASE_HEADER = "Base (n)"


@dataclass(frozen=True)
class ReportTable:
    """One displayed table.

    Attributes
    ----------
    key : str
        Stable identifier, ``theme.name`` (``finances.par_annee``).
    titre : str
        French title.
    data : DataFrame
        French column headers, raw values: numbers, ratios in [0, 1] for shares, ``NaN``
        or ``NA`` where a value is masked or not available. Each percentage column is
        followed by its base column (``Base (n)``).
    formats : mapping
        Column header → kind (``text``, ``integer``, ``decimal``, ``euro``, ``percent``);
        unlisted columns are text.
    source : str
        Where the figures come from.
    base : str
        The base of the table in words (``19 communes répondantes``); empty if none.
    mask : DataFrame or None
        Boolean frame aligned on *data*: ``True`` where a value was masked by statistical
        secrecy (shown ``s``). ``None`` when nothing was masked.
    theme : str
        Theme the table belongs to.
    notes : tuple of str
        Further reading notes (non-responses, how shares are computed...).
    chart : str or None
        Name of the chart drawing this table (a key of :data:`cdv_lib.plots.CHARTS`).
    plot_data : DataFrame or None
        The theme-shaped table behind *data*, after masking (masked values are NaN), as
        the chart function reads it.
    """

    key: str
    titre: str
    data: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    base: str = ""
    mask: pd.DataFrame | None = None
    theme: str = ""
    notes: tuple[str, ...] = ()
    chart: str | None = field(default=None, compare=False)
    plot_data: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = {k: v for k, v in self.formats.items() if v not in KINDS}
        if unknown:
            raise ValueError(f"formats inconnus : {unknown}")
        if self.mask is not None and self.mask.shape != self.data.shape:
            raise ValueError("le masque n'a pas la forme du tableau")
        headers = [str(c) for c in self.data.columns]
        for i, column in enumerate(headers):
            if self.formats.get(column) != PERCENT:
                continue
            # a run of percentage columns sharing one base (a grid) ends with that base
            j = i + 1
            while j < len(headers) and self.formats.get(headers[j]) == PERCENT:
                j += 1
            if not (j < len(headers) and headers[j].startswith("Base")):
                raise ValueError(f"{self.key} : la colonne de pourcentage « {column} » doit "
                                 "être suivie de sa base (colonne « Base… »)")

    @property
    def n_masked(self) -> int:
        """Number of masked cells."""
        return 0 if self.mask is None else int(np.asarray(self.mask, dtype=bool).sum())

    @property
    def fully_masked(self) -> bool:
        """True when secrecy masked every figure of the table: its chart would show nothing."""
        if self.mask is None:
            return False
        figures = [c for c in self.data.columns if self.kind(c) != TEXT]
        return bool(figures) and bool(np.asarray(self.mask[figures], dtype=bool).all())

    @property
    def masked_note(self) -> str:
        """French note on masked values, empty when nothing was masked."""
        n = self.n_masked
        if not n:
            return ""
        return (f"{format_number(n)} valeur{'s' if n > 1 else ''} masquée{'s' if n > 1 else ''}"
                f" ({SECRET_MARK}) : secret statistique, effectif sous le seuil")

    def kind(self, column: str) -> str:
        return self.formats.get(column, TEXT)

    def is_masked(self, row: int, col: int) -> bool:
        return self.mask is not None and bool(self.mask.iat[row, col])

    def formatted(self) -> pd.DataFrame:
        """The table as French strings: ``5 760 000 €``, ``42,1 %``, ``s`` for a masked
        value, ``–`` for a value not available."""
        out = {}
        for j, column in enumerate(self.data.columns):
            kind = self.kind(column)
            values = []
            for i, value in enumerate(self.data[column].tolist()):
                if self.is_masked(i, j):
                    values.append(SECRET_MARK)
                else:
                    values.append(format_value(value, kind))
            out[column] = values
        return pd.DataFrame(out, index=range(len(self.data)), dtype="object")

    def caption_lines(self) -> list[str]:
        """Base, notes, secrecy and source, in the order a reader needs them."""
        lines = []
        if self.base:
            lines.append(f"Base : {self.base}")
        lines.extend(self.notes)
        if self.masked_note:
            lines.append(self.masked_note)
        if self.source:
            lines.append(f"Source : {self.source}")
        return lines

    def to_html(self, *, heading: str = "h3") -> str:
        """Escaped HTML: title, table without index, caption lines.

        Every text from the data (commune names, action titles, verbatims) is escaped, so
        ``<script>`` is shown as text.
        """
        table = self.formatted().to_html(index=False, escape=True, border=0,
                                         classes="cdv-table", na_rep=MISSING_MARK)
        caption = "".join(f"<p class=\"cdv-note\">{html.escape(line)}</p>"
                          for line in self.caption_lines())
        title = html.escape(self.titre)
        return (f"<section class=\"cdv-report-table\" id=\"{html.escape(self.key)}\">"
                f"<{heading}>{title}</{heading}>{table}{caption}</section>")

    def _repr_html_(self) -> str:
        return self.to_html()


def format_value(value: object, kind: str) -> str:
    """One value as a French string according to its column kind."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING_MARK
    if kind == EURO:
        return format_euro(float(value))
    if kind == PERCENT:
        return format_percent(float(value))
    if kind == INTEGER:
        return format_number(float(value))
    if kind == DECIMAL:
        v = float(value)
        return format_number(v, 0 if v == round(v) else 1)
    return str(value)


_STYLE = """<style>
.cdv-report-table table.cdv-table {border-collapse: collapse; margin: 0.3em 0;}
.cdv-report-table table.cdv-table th, .cdv-report-table table.cdv-table td
  {padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left;}
.cdv-report-table p.cdv-note {font-size: 0.85em; color: #555; margin: 0.1em 0;}
</style>"""


def to_html(tables: Iterable[ReportTable], *, heading: str = "h3") -> str:
    """Several tables as one escaped HTML fragment (with a small stylesheet)."""
    return _STYLE + "".join(t.to_html(heading=heading) for t in tables)


def render(tables: ReportTable | Iterable[ReportTable], *, heading: str = "h3"):
    """An object that Jupyter, papermill and Voilà display as the formatted tables."""
    from IPython.display import HTML

    if isinstance(tables, ReportTable):
        tables = [tables]
    return HTML(to_html(tables, heading=heading))


def find(tables: Sequence[ReportTable], key: str) -> ReportTable:
    """The table of *tables* with that key (``KeyError`` naming the known keys)."""
    for table in tables:
        if table.key == key:
            return table
    raise KeyError(f"tableau « {key} » introuvable ; tableaux : "
                   + ", ".join(t.key for t in tables))


# --- building tables from the themes -----------------------------------------------------

THEMES = ("territoire", "finances", "ami", "gouvernance", "sante", "participation", "perr")
BASE_EURO_HEADER = "Base (€)"


def _table(key: str, titre: str, frame: pd.DataFrame,
           columns: Sequence[tuple[str, str, str]], *, theme: str, source: str = "",
           base: str = "", notes: Sequence[str] = (), chart: str | None = None,
           plot_data: pd.DataFrame | None = None) -> ReportTable:
    """A :class:`ReportTable` from a theme table.

    *columns* lists ``(source column, French header, kind)`` in display order. A source
    column with a ``<column>__secret`` companion (:mod:`cdv_lib.secrecy`) gives the mask.
    """
    from cdv_lib.secrecy import secret_column

    frame = frame.reset_index(drop=True)
    data = pd.DataFrame({header: frame[src] for src, header, _kind in columns},
                        index=frame.index)
    formats = {header: kind for _src, header, kind in columns if kind != TEXT}
    mask = pd.DataFrame(False, index=frame.index, columns=data.columns)
    for src, header, _kind in columns:
        flag = secret_column(src)
        if flag in frame.columns:
            mask[header] = frame[flag].fillna(False).astype(bool).to_numpy()
    return ReportTable(key=key, titre=titre, data=data, formats=formats, source=source,
                       base=base, mask=mask if mask.to_numpy().any() else None, theme=theme,
                       notes=tuple(n for n in notes if n), chart=chart,
                       plot_data=frame if chart and plot_data is None else plot_data)


def _threshold(dataset) -> int:
    from cdv_lib.secrecy import threshold

    return threshold(dataset.config)


def commune_name(dataset, commune: str | None) -> str:
    """``Lens (62498)`` for a commune code, the territory's name for ``None``."""
    from cdv_lib import columns as C

    if commune is None:
        return str(dataset.config.get("territoire") or "Agglomération")
    match = dataset.communes[dataset.communes[C.CODE_INSEE].astype("string") == str(commune)]
    if match.empty:
        raise ValueError(f"Commune « {commune} » absente de la table des communes.")
    return f"{match[C.NOM].iloc[0]} ({commune})"


# territoire ---------------------------------------------------------------------------

def _territoire(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    from cdv_lib import columns as C
    from cdv_lib.themes import territoire as th

    source = "Liste des communes et des QPV (données du territoire)"
    figures = th.key_figures(dataset.communes, dataset.qpv, commune)
    is_share = figures["unite"].eq("ratio").to_numpy()
    figures = figures.assign(
        valeur_nombre=figures["valeur"].where(~is_share),
        valeur_part=figures["valeur"].where(is_share),
        base_part=figures["base_n"].astype("Float64").where(is_share))
    tables = [_table(
        "territoire.chiffres_cles", "Chiffres clés du territoire", figures,
        [("libelle", "Indicateur", TEXT), ("valeur_nombre", "Valeur", DECIMAL),
         ("valeur_part", "Part", PERCENT), ("base_part", "Base (habitants)", INTEGER),
         ("note", "Note", TEXT)],
        theme="territoire", source=source)]
    if commune is None:
        per = th.qpv_per_commune(dataset.communes, dataset.qpv)
        per = per[per["n_qpv"] > 0]
        tables.append(_table(
            "territoire.qpv_par_commune", "Quartiers prioritaires par commune", per,
            [(C.CODE_INSEE, "Code INSEE", TEXT), (C.NOM, "Commune", TEXT),
             (C.POPULATION, "Population", INTEGER), ("n_qpv", "QPV", INTEGER),
             ("n_qpv_partages", "dont QPV partagés", INTEGER),
             ("population_qpv", "Habitants des QPV", INTEGER)],
            theme="territoire", source=source,
            notes=["Un QPV couvrant plusieurs communes est compté pour chacune ; sa "
                   "population n'est pas répartie."]))
    else:
        mine = th.qpv_communes_table(dataset.communes, dataset.qpv, commune)
        tables.append(_table(
            "territoire.qpv", "Quartiers prioritaires de la commune", mine,
            [(C.CODE_QPV, "Code QPV", TEXT), ("nom_qpv", "Quartier", TEXT),
             ("population_qpv", "Habitants", INTEGER),
             ("n_communes_qpv", "Communes couvertes", INTEGER)],
            theme="territoire", source=source))
    return tables


# finances ------------------------------------------------------------------------------

_PROG_SOURCE = "Programmation du Contrat de Ville (plateforme de subventions)"


def _finances(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    from cdv_lib import columns as C
    from cdv_lib.themes import finances as fin

    prog = dataset.programmation
    scope_note = ("Lignes de la commune seulement : les actions intercommunales ne sont pas "
                  "attribuées aux communes." if commune else "")
    per_year = fin.totals(prog, C.ANNEE, commune=commune)
    tables = [_table(
        "finances.par_annee", "Financements par année", per_year,
        [(C.ANNEE, "Année", TEXT), ("montant_accorde", "Montant accordé", EURO),
         ("montant_demande", "Montant demandé", EURO), ("n_actions", "Actions", INTEGER)],
        theme="finances", source=_PROG_SOURCE,
        notes=["Une action cofinancée compte une fois ; ses montants sont ceux de tous ses "
               "financeurs.", scope_note],
        chart="funding_per_year",
        plot_data=fin.totals(prog, [C.ANNEE, C.FINANCEUR], commune=commune))]
    year = annee if annee is not None else dataset.config.get("annee")
    in_year = prog[prog[C.ANNEE] == int(year)] if year is not None else prog
    label = f" en {year}" if year is not None else ""
    for by, titre, header in [(C.FINANCEUR, "Financements par financeur", "Financeur"),
                              (C.PILIER, "Financements par pilier", "Pilier"),
                              (C.THEMATIQUE, "Financements par thématique", "Thématique")]:
        table = fin.totals(in_year, by, commune=commune)
        total = float(table["montant_accorde"].sum())
        table = table.sort_values("montant_accorde", ascending=False, kind="stable")
        table = table.assign(part=table["montant_accorde"] / total if total else np.nan,
                             base_euros=total)
        tables.append(_table(
            f"finances.par_{by}", titre + label, table,
            [(by, header, TEXT), ("montant_accorde", "Montant accordé", EURO),
             ("part", "Part", PERCENT), ("base_euros", BASE_EURO_HEADER, EURO),
             ("n_actions", "Actions", INTEGER)],
            theme="finances", source=_PROG_SOURCE, notes=[scope_note],
            chart=f"funding_by_{by}"))
    if commune is None:
        table = fin.totals(in_year, C.COMMUNE)
        names = dict(zip(dataset.communes[C.CODE_INSEE].astype(str), dataset.communes[C.NOM]))
        table = table.assign(nom=table[C.COMMUNE].astype(str).map(
            lambda c: names.get(c, "Intercommunal" if c == C.INTERCO else c)))
        table = table.sort_values("montant_accorde", ascending=False, kind="stable")
        tables.append(_table(
            "finances.par_commune", "Financements par commune" + label, table,
            [(C.COMMUNE, "Code", TEXT), ("nom", "Commune", TEXT),
             ("montant_accorde", "Montant accordé", EURO), ("n_actions", "Actions", INTEGER)],
            theme="finances", source=_PROG_SOURCE))
    health = fin.health_share(prog, commune=commune)
    tables.append(_table(
        "finances.sante", "Place de la santé dans la programmation", health,
        [(C.ANNEE, "Année", TEXT), ("n_actions_sante", "Actions de santé", INTEGER),
         ("part_actions", "Part des actions", PERCENT), ("n_actions", "Base (actions)", INTEGER),
         ("montant_sante", "Montant santé", EURO), ("part_montant", "Part du montant", PERCENT),
         ("montant_total", BASE_EURO_HEADER, EURO)],
        theme="finances", source=_PROG_SOURCE, notes=[scope_note]))
    return tables


# AMI -----------------------------------------------------------------------------------

def _ami(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    from cdv_lib.themes import ami

    if not dataset.ami_rules:
        return []
    rules = ami.load_rules(dataset.ami_rules)
    frame = pd.DataFrame(
        [{"libelle": "Taux de base", "bonus": np.nan, "taux": rules.taux_base},
         *({"libelle": c.libelle, "bonus": c.bonus, "taux": np.nan} for c in rules.criteres),
         {"libelle": "Plafond du taux après bonification", "bonus": np.nan,
          "taux": rules.plafond}])
    # rates are not shares of a population: shown in points, without a base
    frame["taux_points"] = frame["taux"].astype("float64") * 100
    frame["bonus_points"] = frame["bonus"].astype("float64") * 100
    return [_table(
        "ami.regles", "AMI cohésion sociale : règles de bonification", frame,
        [("libelle", "Règle", TEXT), ("bonus_points", "Bonus (points de %)", DECIMAL),
         ("taux_points", "Taux (%)", DECIMAL)],
        theme="ami", source="Règles de l'AMI cohésion sociale (ami_regles.yaml)",
        notes=[f"Enveloppe annuelle : {format_euro(rules.enveloppe_annuelle)}."])]


# questionnaires (gouvernance, santé, participation) ------------------------------------

def _where_commune(survey, commune: str | None):
    """Respondent filter of a commune, or ``False`` when the questionnaire does not say
    which commune a respondent belongs to (its results cannot be shown for a commune)."""
    if commune is None:
        return None
    if "commune" not in survey.definition.attributes:
        return False
    return {"commune": str(commune)}


def _mask_survey_block(block: pd.DataFrame, *, threshold: int, sub_population: bool):
    """Apply secrecy to one question's block (theme shape ``n``/``base_n``/``part``).

    For a sub-population (a commune) every count under the threshold is masked with
    secondary masking (:func:`cdv_lib.secrecy.mask_frequencies`); for the whole
    population only blocks whose base is under the threshold are masked whole."""
    from cdv_lib import secrecy

    frame = block.rename(columns={"n": "effectif", "base_n": "base"}).reset_index(drop=True)
    frame["effectif"] = frame["effectif"].astype("float64")
    frame["base"] = frame["base"].astype("float64")
    if sub_population:
        frame = secrecy.mask_frequencies(frame, threshold=threshold)
    else:
        small = frame["base"].map(lambda v: secrecy.is_primary(v, threshold)).to_numpy(bool)
        frame = secrecy.apply_mask(frame, {"effectif": small, "part": small, "base": small})
    return frame


def _survey_base_text(frame: pd.DataFrame, matrix: bool) -> str:
    from cdv_lib.secrecy import secret_column

    if matrix:
        return "répondants ayant répondu, par ligne (colonne « Base (n) »), non-réponses exclues"
    if frame[secret_column("base")].any():
        return "masquée (secret statistique)"
    base = frame["base"].iloc[0]
    nr = frame.loc[frame["code"] == "_nr", "effectif"]
    nr_text = ""
    if len(nr) and not pd.isna(nr.iloc[0]) and int(nr.iloc[0]) > 0:
        k = int(nr.iloc[0])
        nr_text = f", {format_number(k)} non-réponse{'s' if k > 1 else ''} exclue{'s' if k > 1 else ''}"
    return f"{format_number(base)} répondants à la question{nr_text}"


def survey_tables(dataset, survey_id: str, *, theme: str, commune: str | None = None,
                  question_ids: Sequence[str] | None = None,
                  question_theme: str | None = None) -> list[ReportTable]:
    """One table per choice question of a questionnaire, masked for secrecy.

    Parameters
    ----------
    dataset : Dataset
    survey_id : str
        Key of ``dataset.questionnaires``; an absent questionnaire gives no table.
    theme : str
        Theme the tables belong to (their key is ``theme.survey_id.question_id``).
    commune : str, optional
        Restrict to the respondents of that commune (questionnaires with a ``commune``
        attribute only; others give no table for a commune).
    question_ids, question_theme : optional
        Questions to show (default: every choice question, or those of *question_theme*).

    Returns
    -------
    list of ReportTable
        Columns ``Réponse``, ``Effectif``, ``Part``, ``Base (n)`` (``Élément`` first for a
        grid); the non-response row ends each block. ``chart`` is ``frequencies``,
        ``multiple_choice`` or ``level_grid``.
    """
    from cdv_lib.themes.gouvernance import question_table

    survey = dataset.questionnaires.get(survey_id)
    if survey is None:
        return []
    where = _where_commune(survey, commune)
    if where is False:
        return []
    table = question_table(survey, question_ids, theme=question_theme, where=where)
    threshold = _threshold(dataset)
    source = survey.definition.title
    out = []
    for qid, block in table.groupby("question_id", sort=False):
        frame = _mask_survey_block(block, threshold=threshold, sub_population=commune is not None)
        qtype = str(frame["type"].iloc[0])
        matrix = qtype == "matrice"
        columns = [("libelle", "Réponse", TEXT), ("effectif", "Effectif", INTEGER),
                   ("part", "Part", PERCENT), ("base", BASE_HEADER, INTEGER)]
        if matrix:
            columns.insert(0, ("ligne_libelle", "Élément", TEXT))
        notes = []
        if qtype == "multiple":
            notes.append("Plusieurs réponses possibles : part des répondants, le total "
                         "dépasse 100 %.")
        chart = {"multiple": "multiple_choice", "matrice": "level_grid"}.get(qtype, "frequencies")
        out.append(_table(
            f"{theme}.{survey_id}.{qid}", str(frame["question"].iloc[0]), frame, columns,
            theme=theme, source=source, base=_survey_base_text(frame, matrix), notes=notes,
            chart=chart))
    return out


def _response_rates(dataset, survey_ids: Sequence[str], theme: str) -> list[ReportTable]:
    from cdv_lib.themes.gouvernance import response_rates

    surveys = {k: dataset.questionnaires[k] for k in survey_ids if k in dataset.questionnaires}
    if not surveys:
        return []
    rates = response_rates(surveys)
    return [_table(
        f"{theme}.taux_reponse", "Taux de réponse aux questionnaires", rates,
        [("titre", "Questionnaire", TEXT), ("recus", "Réponses reçues", INTEGER),
         ("taux", "Taux de réponse", PERCENT), ("envoyes", "Base (questionnaires envoyés)",
                                                 INTEGER)],
        theme=theme, source="Questionnaires de l'évaluation")]


def _gouvernance(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    tables = [] if commune else _response_rates(dataset, ["communes", "associations"],
                                                "gouvernance")
    for survey_id in ("communes", "associations"):
        tables += survey_tables(dataset, survey_id, theme="gouvernance", commune=commune,
                                question_theme="gouvernance")
    return tables


def _participation(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    from cdv_lib.themes import normalise_label
    from cdv_lib.themes import participation as th

    tables = survey_tables(dataset, "conseils_citoyens", theme="participation",
                           commune=commune)
    if commune is not None or dataset.entretiens.empty:
        # interviews do not say which commune they come from
        return tables
    source = "Entretiens de l'évaluation (codage)"
    threshold = _threshold(dataset)
    actors = _masked_rows(th.interviews_by_actor(dataset.entretiens), threshold)
    tables.append(_table(
        "participation.entretiens", "Entretiens par type d'acteur", actors,
        [("type_acteur", "Type d'acteur", TEXT), ("n", "Entretiens", INTEGER),
         ("part", "Part", PERCENT), ("base_n", BASE_HEADER, INTEGER)],
        theme="participation", source=source))
    codes = th.codes_by_actor(dataset.entretiens)
    # ladder codes are shown by the ladder table below, not as findings
    ladder_code = codes["code"].map(normalise_label).str.startswith(
        normalise_label(th.LADDER_PREFIX))
    codes = codes[~ladder_code].reset_index(drop=True)
    codes = _masked_groups(codes, threshold)
    tables.append(_table(
        "participation.codes", "Freins, leviers et propositions par type d'acteur", codes,
        [("type_acteur", "Type d'acteur", TEXT), ("categorie", "Catégorie", TEXT),
         ("code", "Code", TEXT), ("n", "Entretiens", INTEGER), ("part", "Part", PERCENT),
         ("base_n", BASE_HEADER, INTEGER)],
        theme="participation", source=source,
        notes=["Un code cité plusieurs fois dans un entretien compte une fois."],
        chart="interview_codes"))
    ladder = th.participation_ladder(dataset.entretiens)
    tables.append(_table(
        "participation.echelle", "Échelle de la participation", ladder,
        [("niveau", "Niveau", TEXT), ("n", "Entretiens", INTEGER), ("part", "Part", PERCENT),
         ("base_n", BASE_HEADER, INTEGER)],
        theme="participation", source=source,
        notes=[str(ladder["source"].iloc[0]) if len(ladder) else ""],
        chart="participation_ladder"))
    verbatims = th.verbatims(dataset.entretiens)
    tables.append(_table(
        "participation.verbatims", "Verbatims anonymisés", verbatims,
        [("entretien", "Entretien", TEXT), ("type_acteur", "Type d'acteur", TEXT),
         ("categorie", "Catégorie", TEXT), ("code", "Code", TEXT),
         ("verbatim", "Verbatim", TEXT)],
        theme="participation", source=source,
        notes=["Seuls les verbatims marqués anonymisés sont cités ; les entretiens sont "
               "désignés par un pseudonyme."]))
    return tables


def _masked_rows(table: pd.DataFrame, threshold: int, *, base: str = "base_n",
                 count: str = "n") -> pd.DataFrame:
    """Mask counts under the threshold and, with them, their shares (a share and its base
    give the count back)."""
    from cdv_lib import secrecy

    small = table[count].astype("float64").map(
        lambda v: secrecy.is_primary(v, threshold)).to_numpy(bool)
    return secrecy.apply_mask(table, {count: small, "part": small})


def _masked_groups(table: pd.DataFrame, threshold: int, *, base: str = "base_n",
                   count: str = "n") -> pd.DataFrame:
    """Mask every figure of a group (an actor type...) whose base is under the threshold."""
    from cdv_lib import secrecy

    small = table[base].astype("float64").map(
        lambda v: secrecy.is_primary(v, threshold)).to_numpy(bool)
    return secrecy.apply_mask(table, {count: small, "part": small, base: small})


def _perr(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    from cdv_lib.themes import perr as th

    if dataset.perr.empty or commune is not None:
        return []
    source = "Suivi du PERR 2019-2022"
    counts = th.status_counts(dataset.perr)
    engagements = th.engagements(dataset.perr)
    engagements = engagements.assign(
        indicateurs_texte=engagements["indicateurs"].astype("string").str.replace(
            "|", " ; ", regex=False))
    return [
        _table("perr.statuts", "Engagements du PERR par état d'avancement", counts,
               [("statut", "État d'avancement", TEXT), ("n", "Engagements", INTEGER),
                ("part", "Part", PERCENT), ("base_n", BASE_HEADER, INTEGER)],
               theme="perr", source=source, chart="perr_status"),
        _table("perr.engagements", "Les engagements du PERR", engagements,
               [("id", "N°", INTEGER), ("intitule", "Engagement", TEXT),
                ("pilier", "Pilier", TEXT), ("statut", "État d'avancement", TEXT),
                ("indicateurs_texte", "Indicateurs", TEXT)],
               theme="perr", source=source),
    ]


# santé ---------------------------------------------------------------------------------

_HEALTH_SOURCE = "Actions de santé déclarées par les communes"


def _sante(dataset, commune: str | None, annee: int | None) -> list[ReportTable]:
    from cdv_lib import columns as C
    from cdv_lib.secrecy import INSEE_SECRET, secret_column
    from cdv_lib.themes import sante as th

    tables = []
    actions = dataset.actions_sante
    if not actions.empty:
        for column, titre, header in [
                (C.THEMATIQUE, "Actions de santé par thématique", "Thématique"),
                (C.PUBLIC, "Actions de santé par public", "Public"),
                (C.DUREE, "Actions de santé par durée", "Durée"),
                (C.DISPOSITIF, "Actions de santé par dispositif", "Dispositif")]:
            dist = th.distribution(actions, column, commune=commune)
            notes = ["Une action destinée à plusieurs publics compte pour chacun : le total "
                     "peut dépasser 100 %."] if column == C.PUBLIC else []
            tables.append(_table(
                f"sante.actions_{column}", titre, dist,
                [(column, header, TEXT), ("n", "Actions", INTEGER), ("part", "Part", PERCENT),
                 ("base_n", "Base (actions)", INTEGER)],
                theme="sante", source=_HEALTH_SOURCE, notes=notes,
                chart="health_actions_" + column))
        if commune is None:
            per = th.actions_per_commune(actions, communes=dataset.communes)
            tables.append(_table(
                "sante.actions_par_commune", "Actions de santé par commune", per,
                [(C.COMMUNE, "Code", TEXT), ("nom", "Commune", TEXT),
                 ("n", "Actions", INTEGER), ("n_ponctuelles", "dont ponctuelles", INTEGER),
                 ("n_perennes", "dont pérennes", INTEGER), ("part", "Part", PERCENT),
                 ("base_n", "Base (actions)", INTEGER)],
                theme="sante", source=_HEALTH_SOURCE))
    if not dataset.programmation.empty:
        health = th.health_programming(dataset.programmation, commune=commune)
        tables.append(_table(
            "sante.programmation", "La santé dans la programmation du Contrat de Ville",
            health,
            [(C.ANNEE, "Année", TEXT), ("n_actions_sante", "Actions de santé", INTEGER),
             ("part_actions", "Part des actions", PERCENT),
             ("n_actions", "Base (actions)", INTEGER),
             ("montant_sante", "Montant santé", EURO),
             ("part_montant", "Part du montant", PERCENT),
             ("montant_total", BASE_EURO_HEADER, EURO)],
            theme="sante", source=_PROG_SOURCE, chart="health_programming"))
    tables += survey_tables(dataset, "sante_communes", theme="sante", commune=commune)
    tables += survey_tables(dataset, "partenaires_sante", theme="sante", commune=commune)
    if not dataset.indicateurs.empty and commune is None:
        ind = th.context_indicators(dataset.indicateurs)
        if len(ind):
            ind = ind.assign(**{
                "niveau_texte": ind[C.NIVEAU].astype(str).map(_LEVEL_LABELS).fillna(
                    ind[C.NIVEAU].astype(str)),
                secret_column(C.VALEUR): ind["marqueur"].astype("string").eq(
                    INSEE_SECRET).fillna(False).to_numpy(bool)})
            tables.append(_table(
                "sante.indicateurs", "Indicateurs de contexte", ind,
                [(C.INDICATEUR, "Indicateur", TEXT), (C.ANNEE, "Année", TEXT),
                 ("niveau_texte", "Territoire", TEXT), (C.CODE, "Code", TEXT),
                 (C.VALEUR, "Valeur", DECIMAL), (C.UNITE, "Unité", TEXT),
                 (C.SOURCE, "Source", TEXT)],
                theme="sante", source="Indicateurs de contexte (voir la colonne Source)",
                notes=["Les taux et médianes sont placés côte à côte, jamais additionnés."]))
    return tables


_LEVEL_LABELS = {"qpv": "QPV", "commune": "Commune", "epci": "Agglomération",
                 "departement": "Département", "region": "Région", "france": "France"}


# dispatch ------------------------------------------------------------------------------

_BUILDERS = {
    "territoire": _territoire,
    "finances": _finances,
    "ami": _ami,
    "gouvernance": _gouvernance,
    "sante": _sante,
    "participation": _participation,
    "perr": _perr,
}


def theme_tables(dataset, theme: str, commune: str | None = None, *,
                 annee: int | None = None) -> list[ReportTable]:
    """Every displayed table of a theme, statistical secrecy applied.

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.
    theme : str
        One of :data:`THEMES`.
    commune : str, optional
        A ``code_insee``: the commune's tables (its respondents, its lines); ``None`` for
        the agglomeration. Figures about a commune's respondents are masked under the
        secrecy threshold of ``config.yaml`` (with secondary masking); tables that cannot
        be restricted to a commune (interviews, PERR, questionnaires without a commune)
        are left out for a commune.
    annee : int, optional
        Year of the yearly breakdowns (default: ``annee`` of ``config.yaml``).

    Returns
    -------
    list of ReportTable
        In display order; keys start with the theme (``finances.par_annee``).
    """
    if theme not in _BUILDERS:
        raise ValueError(f"Thème inconnu : « {theme} » (thèmes : {', '.join(THEMES)}).")
    if commune is not None:
        commune = str(commune)
        commune_name(dataset, commune)  # raises on an unknown commune
    return _BUILDERS[theme](dataset, commune, annee)


def all_tables(dataset, commune: str | None = None, *,
               annee: int | None = None) -> list[ReportTable]:
    """The tables of every theme, in :data:`THEMES` order."""
    return [t for theme in THEMES for t in theme_tables(dataset, theme, commune, annee=annee)]


def select(tables: Sequence[ReportTable], prefix: str) -> list[ReportTable]:
    """Tables whose key starts with *prefix* (``gouvernance.communes.``)."""
    return [t for t in tables if t.key.startswith(prefix)]


def show(tables: ReportTable | Iterable[ReportTable], *, charts: bool = True,
         heading: str = "h3") -> None:
    """Display tables in a notebook, each followed by its chart (Jupyter, papermill,
    Voilà)."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    from cdv_lib.plots import plot_table

    if isinstance(tables, ReportTable):
        tables = [tables]
    display(HTML(_STYLE))
    for table in tables:
        display(HTML(table.to_html(heading=heading)))
        if charts and table.chart and not table.fully_masked:
            fig, ax = plt.subplots()
            plot_table(table, ax=ax)
            display(fig)
            plt.close(fig)


def scope_header(dataset, commune: str | None, *, titre: str, annee: int | None = None):
    """The heading of a report: theme title, scope (territory or commune) and year, as
    escaped HTML for Jupyter, papermill and Voilà."""
    from IPython.display import HTML

    scope = commune_name(dataset, commune)
    parts = [f"<h2>{html.escape(titre)} — {html.escape(scope)}</h2>"]
    if annee is not None:
        parts.append(f"<p>Année de la programmation : {html.escape(str(annee))}</p>")
    return HTML("".join(parts))
