"""Key messages: a few key figures and factual French sentences that open a report.

Each message is built by a template from values read in one displayed table
(:func:`cdv_lib.report.theme_tables`): the table's key travels with the message, so
a reader (or a test) finds the figure in the table below it. A template writes nothing when
a value it needs is masked by statistical secrecy (the table's ``mask``), missing (``NaN``,
a year absent from the table) or when the data do not support the sentence (no growth
without both years, no « premier financeur » on a zero total...).

    >>> msgs = key_messages(dataset, "finances")
    >>> msgs[0].texte
    'Les financements mobilisés ont augmenté de 47 % entre 2016 et 2022, de 3 918 264 € à 5 761 482 €.'

The start year of an evolution is ``annee_debut`` of ``config.yaml`` when given (the first
full year of the contract), else the first year of the table; the end year is ``annee``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from cdv_lib.formatting import NBSP, fmt_euro, fmt_evolution, fmt_int, fmt_percent

MIN_MESSAGES = 3
MAX_MESSAGES = 6


@dataclass(frozen=True)
class KeyMessage:
    """One key figure and its sentence.

    Attributes
    ----------
    texte : str
        The French sentence, ending with a full stop.
    valeur : str
        The key figure, formatted in French (``+47 %``, ``5 761 482 €``).
    libelle : str
        What the figure is (``Évolution des financements 2016-2022``).
    table_key : str
        Key of the :class:`~cdv_lib.report.table.ReportTable` the values come from.
    """

    texte: str
    valeur: str
    libelle: str
    table_key: str


_SPACE_BEFORE = re.compile(r"[ \u00a0\u202f]+([:;!?»])")
_SPACE_AFTER = re.compile(r"«[ \u00a0\u202f]+")


def french_spacing(text: str) -> str:
    """French typography: the space before ``: ; ! ? »`` and after ``«`` becomes the
    no-break space :mod:`cdv_lib.formatting` uses (no line break inside « … » or before a
    colon). Text without such a space (``10:30``, a URL) is left alone."""
    return _SPACE_BEFORE.sub(NBSP + r"\1", _SPACE_AFTER.sub("«" + NBSP, text))


# --- reading values from a table, secrecy first -------------------------------------------

def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _row(table, column: str, value) -> int | None:
    """Position of the first row whose *column* equals *value* (compared as text)."""
    if table is None or column not in table.data.columns:
        return None
    for i, cell in enumerate(table.data[column].tolist()):
        if not _missing(cell) and str(cell) == str(value):
            return i
    return None


def _value(table, row: int | None, column: str):
    """The raw value at (*row*, *column*), or ``None`` when absent, missing or masked."""
    if table is None or row is None or column not in table.data.columns:
        return None
    if not 0 <= row < len(table.data):
        return None
    j = list(table.data.columns).index(column)
    if table.is_masked(row, j):
        return None
    value = table.data[column].iloc[row]
    return None if _missing(value) else value


def _number(table, row, column) -> float | None:
    value = _value(table, row, column)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _tables_by_key(tables) -> dict:
    return {t.key: t for t in tables}


def _single_base(table, column: str) -> float | None:
    """The one positive base every row of *table* shows in *column*, else ``None``."""
    bases = {_number(table, i, column) for i in range(len(table.data))}
    if len(bases) != 1 or None in bases:
        return None
    n = bases.pop()
    return n if n > 0 else None


def _leading_row(table, count: str) -> int | None:
    """The row with the strictly largest positive *count*, else ``None`` (a masked or
    missing count, a tie, nothing counted)."""
    counts = [_number(table, i, count) for i in range(len(table.data))]
    if not counts or any(c is None for c in counts) or max(counts) <= 0:
        return None
    best = max(range(len(counts)), key=lambda i: counts[i])
    return None if counts.count(counts[best]) > 1 else best


def _year(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _plural(n: float, word: str, plural: str | None = None) -> str:
    return word if abs(n) < 2 else (plural or word + "s")


# --- templates --------------------------------------------------------------------------
# Each template: (tables by key, context) -> KeyMessage | None

@dataclass(frozen=True)
class _Context:
    commune: str | None
    annee: int | None
    annee_debut: int | None


def _funding_growth(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("finances.par_annee")
    if table is None or not len(table.data):
        return None
    years = [_year(v) for v in table.data["Année"].tolist()]
    known = [y for y in years if y is not None]
    if len(known) < 2:
        return None
    start = ctx.annee_debut if ctx.annee_debut in known else min(known)
    end = ctx.annee if ctx.annee in known else max(known)
    if start >= end:
        return None
    first = _number(table, years.index(start), "Montant accordé")
    last = _number(table, years.index(end), "Montant accordé")
    if first is None or last is None or first <= 0:
        return None
    rate = last / first - 1
    shown = fmt_percent(abs(rate), 0)
    subject = ("Les financements accordés aux actions de la commune" if ctx.commune
               else "Les financements mobilisés")
    if shown.startswith("0"):
        texte = (f"{subject} sont restés stables entre {start} et {end}, de "
                 f"{fmt_euro(first)} à {fmt_euro(last)}.")
    else:
        verb = "augmenté" if rate > 0 else "diminué"
        texte = (f"{subject} ont {verb} de {shown} entre {start} et {end}, de "
                 f"{fmt_euro(first)} à {fmt_euro(last)}.")
    return KeyMessage(texte, fmt_evolution(rate, 0), f"Évolution des financements "
                      f"{start}-{end}", table.key)


def _funding_year(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("finances.par_annee")
    if table is None or not len(table.data):
        return None
    years = [_year(v) for v in table.data["Année"].tolist()]
    known = [y for y in years if y is not None]
    if not known:
        return None
    year = ctx.annee if ctx.annee in known else max(known)
    row = years.index(year)
    amount = _number(table, row, "Montant accordé")
    actions = _number(table, row, "Actions")
    if amount is None or actions is None or actions <= 0:
        return None
    scope = "pour les actions de la commune" if ctx.commune else "au titre du Contrat de Ville"
    texte = (f"En {year}, {fmt_euro(amount)} ont été accordés {scope}, pour "
             f"{fmt_int(actions)} {_plural(actions, 'action')} "
             f"{_plural(actions, 'financée', 'financées')}.")
    return KeyMessage(texte, fmt_euro(amount), f"Financements accordés en {year}", table.key)


def _top_share(table, label_column: str, *, what: str, libelle: str,
               ctx: _Context) -> KeyMessage | None:
    """The first row of a table sorted by amount, with its share of the total."""
    if table is None or not len(table.data):
        return None
    # a masked amount could be the largest; a tie has no « premier »
    best = _leading_row(table, "Montant accordé")
    if best is None:
        return None
    share = _number(table, best, "Part")
    total = _number(table, best, "Base (€)")
    label = _value(table, best, label_column)
    if share is None or total is None or total <= 0 or label is None:
        return None
    year = ""
    match = [w for w in table.titre.split() if w.isdigit() and len(w) == 4]
    if match:
        year = f" en {match[-1]}"
    texte = (f"{what}{year} : {label}, avec {fmt_percent(share)} des financements accordés "
             f"({fmt_euro(_number(table, best, 'Montant accordé'))} sur {fmt_euro(total)}).")
    return KeyMessage(texte, fmt_percent(share), f"{libelle} : {label}", table.key)


def _top_funder(t: dict, ctx: _Context) -> KeyMessage | None:
    return _top_share(t.get("finances.par_financeur"), "Financeur",
                      what="Premier financeur", libelle="Part du premier financeur", ctx=ctx)


def _top_pillar(t: dict, ctx: _Context) -> KeyMessage | None:
    return _top_share(t.get("finances.par_pilier"), "Pilier", what="Premier pilier",
                      libelle="Part du premier pilier", ctx=ctx)


_TERRITORY_ROWS = {  # cle of cdv_lib.themes.territoire.key_figures -> label in the table
    "communes": ("Communes",),
    "signataires": ("Communes signataires du Contrat de Ville",
                    "Commune signataire du Contrat de Ville"),
    "population": ("Population",),
    "qpv": ("Quartiers prioritaires (QPV)",),
    "pop_qpv": ("Habitants des QPV",),
    "part_qpv": ("Part de la population en QPV",),
}


def _territory_row(table, name: str) -> int | None:
    for label in _TERRITORY_ROWS[name]:
        row = _row(table, "Indicateur", label)
        if row is not None:
            return row
    return None


def _signatories(t: dict, ctx: _Context) -> KeyMessage | None:
    if ctx.commune:
        return None
    table = t.get("territoire.chiffres_cles")
    n = _number(table, _territory_row(table, "signataires"), "Valeur")
    total = _number(table, _territory_row(table, "communes"), "Valeur")
    if n is None or total is None or total <= 0 or n > total:
        return None
    if n == total:
        texte = (f"Les {fmt_int(total)} communes du territoire sont signataires du Contrat "
                 "de Ville.")
    else:
        texte = (f"{fmt_int(n)} des {fmt_int(total)} communes du territoire sont "
                 "signataires du Contrat de Ville.")
    return KeyMessage(texte, fmt_int(n), "Communes signataires", table.key)


def _qpv_population(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("territoire.chiffres_cles")
    if table is None:
        return None
    n_qpv = _number(table, _territory_row(table, "qpv"), "Valeur")
    pop_qpv = _number(table, _territory_row(table, "pop_qpv"), "Valeur")
    share = _number(table, _territory_row(table, "part_qpv"), "Part")
    if n_qpv is None or n_qpv <= 0 or pop_qpv is None or share is None:
        return None  # a commune's own QPV population is a bound, said by its table
    qpv = _plural(n_qpv, "quartier prioritaire", "quartiers prioritaires")
    texte = (f"{fmt_int(n_qpv)} {qpv} {'comptent' if n_qpv > 1 else 'compte'} "
             f"{fmt_int(pop_qpv)} habitants, soit {fmt_percent(share)} de la population.")
    return KeyMessage(texte, fmt_int(pop_qpv), "Habitants des QPV", table.key)


def _commune_qpv(t: dict, ctx: _Context) -> KeyMessage | None:
    if not ctx.commune:
        return None
    table = t.get("territoire.qpv")
    if table is None or not len(table.data):
        return None
    n = len(table.data)
    names = [_value(table, i, "Quartier") for i in range(n)]
    if any(v is None for v in names):
        return None
    listed = ", ".join(str(v) for v in names)
    texte = (f"La commune compte {fmt_int(n)} "
             f"{_plural(n, 'quartier prioritaire', 'quartiers prioritaires')} : {listed}.")
    return KeyMessage(texte, fmt_int(n), "Quartiers prioritaires", table.key)


def _response_rate(survey_word: str, row_label_word: str) -> Callable:
    def template(t: dict, ctx: _Context) -> KeyMessage | None:
        table = t.get("gouvernance.taux_reponse")
        if table is None:
            return None
        rows = [i for i, v in enumerate(table.data["Questionnaire"].tolist())
                if not _missing(v) and row_label_word in str(v).lower()]
        if len(rows) != 1:
            return None
        row = rows[0]
        received = _number(table, row, "Réponses reçues")
        sent = _number(table, row, "Base (questionnaires envoyés)")
        rate = _number(table, row, "Taux de réponse")
        if received is None or sent is None or sent <= 0 or rate is None:
            return None
        if received == sent:
            texte = (f"Les {fmt_int(sent)} {survey_word} interrogées ont toutes répondu au "
                     "questionnaire de l'évaluation.")
        else:
            texte = (f"{fmt_int(received)} des {fmt_int(sent)} {survey_word} interrogées ont "
                     f"répondu au questionnaire de l'évaluation ({fmt_percent(rate, 0)}).")
        return KeyMessage(texte, fmt_percent(rate, 0),
                          f"Taux de réponse des {survey_word}", table.key)
    return template


def _interviews(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("participation.entretiens")
    if table is None or not len(table.data):
        return None
    n = _single_base(table, "Base (n)")
    if n is None:
        return None
    kinds = len(table.data)
    texte = (f"{fmt_int(n)} {_plural(n, 'entretien')} {'ont' if n > 1 else 'a'} été "
             f"{_plural(n, 'mené', 'menés')} auprès de {fmt_int(kinds)} types d'acteurs.")
    return KeyMessage(texte, fmt_int(n), "Entretiens menés", table.key)


def _ladder(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("participation.echelle")
    if table is None or not len(table.data):
        return None
    best = _leading_row(table, "Entretiens")
    if best is None:
        return None
    share = _number(table, best, "Part")
    base = _number(table, best, "Base (n)")
    level = _value(table, best, "Niveau")
    if share is None or base is None or level is None:
        return None
    texte = (f"Le niveau de participation le plus souvent décrit en entretien est "
             f"« {str(level).lower()} » ({fmt_percent(share)} des {fmt_int(base)} entretiens "
             "qui situent la participation).")
    return KeyMessage(texte, fmt_percent(share), f"Participation : {str(level).lower()}",
                      table.key)


def _health_actions(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("sante.actions_thematique")
    if table is None or not len(table.data):
        return None
    n = _single_base(table, "Base (actions)")
    if n is None:
        return None
    who = "la commune" if ctx.commune else "les communes"
    texte = (f"{fmt_int(n)} {_plural(n, 'action')} de santé "
             f"{'ont' if n > 1 else 'a'} été {_plural(n, 'déclarée', 'déclarées')} par {who}.")
    return KeyMessage(texte, fmt_int(n), "Actions de santé déclarées", table.key)


def _health_public(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("sante.actions_public")
    if table is None or not len(table.data):
        return None
    best = _leading_row(table, "Actions")
    if best is None:
        return None
    share = _number(table, best, "Part")
    base = _number(table, best, "Base (actions)")
    public = _value(table, best, "Public")
    if share is None or base is None or public is None:
        return None
    texte = (f"Premier public visé par les actions de santé : {public} "
             f"({fmt_percent(share)} des {fmt_int(base)} actions ; une action peut viser "
             "plusieurs publics).")
    return KeyMessage(texte, fmt_percent(share), f"Actions de santé visant : {public}",
                      table.key)


def _health_programming(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("sante.programmation")
    if table is None or not len(table.data):
        return None
    years = [_year(v) for v in table.data["Année"].tolist()]
    known = [y for y in years if y is not None]
    if len(known) < 2:
        return None
    start, end = min(known), (ctx.annee if ctx.annee in known else max(known))
    if start >= end:
        return None
    r0, r1 = years.index(start), years.index(end)
    n0, n1 = _number(table, r0, "Actions de santé"), _number(table, r1, "Actions de santé")
    m0, m1 = _number(table, r0, "Montant santé"), _number(table, r1, "Montant santé")
    share = _number(table, r1, "Part du montant")
    if None in (n0, n1, m0, m1, share) or n1 <= 0:
        return None
    now = (f"{fmt_int(n1)} {_plural(n1, 'action')} ({fmt_euro(m1)}) en {end}, soit "
           f"{fmt_percent(share)} du montant accordé")
    if n0 == 0:
        texte = (f"La programmation compte {now.replace(' (', ' de santé (', 1)}, contre "
                 f"aucune en {start}.")
    else:
        texte = (f"La santé dans la programmation est passée de {fmt_int(n0)} "
                 f"{_plural(n0, 'action')} ({fmt_euro(m0)}) en {start} à {now}.")
    return KeyMessage(texte, fmt_int(n1), f"Actions de santé programmées en {end}", table.key)


def _perr_status(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("perr.statuts")
    if table is None or not len(table.data):
        return None
    done = _row(table, "État d'avancement", "réalisé")
    n = _number(table, done, "Engagements")
    base = _number(table, done, "Base (n)")
    if n is None or base is None or base <= 0:
        return None
    partial = _number(table, _row(table, "État d'avancement", "partiellement réalisé"),
                      "Engagements")
    extra = (f", {fmt_int(partial)} partiellement" if partial else "")
    texte = (f"{fmt_int(n)} des {fmt_int(base)} engagements du PERR sont réalisés{extra}.")
    return KeyMessage(texte, f"{fmt_int(n)} / {fmt_int(base)}", "Engagements du PERR réalisés",
                      table.key)


def _ami_rate(t: dict, ctx: _Context) -> KeyMessage | None:
    table = t.get("ami.regles")
    if table is None:
        return None
    base = _number(table, _row(table, "Règle", "Taux de base"), "Taux (%)")
    cap = _number(table, _row(table, "Règle", "Plafond du taux après bonification"), "Taux (%)")
    if base is None or cap is None or cap <= base:
        return None
    bonuses = [i for i, v in enumerate(table.data["Règle"].tolist())
               if _number(table, i, "Bonus (points de %)") is not None]
    texte = (f"L'AMI cohésion sociale subventionne une action à {fmt_percent(base / 100, 0)}, "
             f"jusqu'à {fmt_percent(cap / 100, 0)} avec les bonifications "
             f"({fmt_int(len(bonuses))} {_plural(len(bonuses), 'critère')}).")
    return KeyMessage(texte, fmt_percent(cap / 100, 0), "Taux maximal de l'AMI", table.key)


def _majorities(theme: str, n: int = 2) -> Callable:
    """Questions of *theme* answered by a majority: « <question> : « <réponse> » pour 57,9 %
    des 19 répondants. » The *n* largest majorities, single-choice questions only (the
    tables drawn as ``frequencies``); a table with a masked share says nothing (the masked
    share could be the largest)."""
    def template(t: dict, ctx: _Context) -> list[KeyMessage]:
        found = []
        for key, table in t.items():
            if not key.startswith(f"{theme}.") or table.chart != "frequencies":
                continue
            if not {"Réponse", "Part", BASE_COLUMN} <= set(table.data.columns):
                continue
            j = list(table.data.columns).index("Part")
            if any(table.is_masked(i, j) for i in range(len(table.data))):
                continue
            shares = [_number(table, i, "Part") for i in range(len(table.data))]
            rows = [i for i, v in enumerate(shares) if v is not None]  # non-response: no share
            if not rows:
                continue
            best = max(rows, key=lambda i: shares[i])
            if shares[best] <= 0.5 or sum(1 for i in rows if shares[i] == shares[best]) > 1:
                continue
            answer = _value(table, best, "Réponse")
            base = _number(table, best, BASE_COLUMN)
            if answer is None or base is None or base <= 0:
                continue
            question = str(table.titre).strip()
            texte = (f"{question} « {answer} » pour {fmt_percent(shares[best])} des "
                     f"{fmt_int(base)} {_plural(base, 'répondant')}.")
            if not question.endswith("?"):
                texte = f"{question} : « {answer} » pour {fmt_percent(shares[best])} des " \
                        f"{fmt_int(base)} {_plural(base, 'répondant')}."
            found.append((shares[best], KeyMessage(texte, fmt_percent(shares[best]),
                                                   f"« {answer} » : {_short(question)}", key)))
        found.sort(key=lambda pair: -pair[0])  # stable: table order among equal shares
        return [message for _share, message in found[:n]]
    return template


BASE_COLUMN = "Base (n)"


def _short(text: str, width: int = 60) -> str:
    """*text* cut at a word boundary to at most *width* characters, « … » marking the cut."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"

# theme -> templates, in order of importance
TEMPLATES: dict[str, tuple[Callable, ...]] = {
    "territoire": (_signatories, _qpv_population, _commune_qpv),
    "finances": (_funding_growth, _funding_year, _top_funder, _top_pillar),
    "ami": (_ami_rate,),
    "gouvernance": (_response_rate("communes", "commune"),
                    _response_rate("associations", "association"), _majorities("gouvernance")),
    "participation": (_interviews, _ladder, _majorities("participation", 1)),
    "sante": (_health_actions, _health_programming, _health_public),
    "perr": (_perr_status,),
}

# the document's head: the leading message of each theme, then the second ones
DOCUMENT_ORDER = ("territoire", "finances", "gouvernance", "participation", "sante", "perr")


def _context(dataset, commune, annee) -> _Context:
    config = getattr(dataset, "config", {}) or {}
    year = annee if annee is not None else _year(config.get("annee"))
    return _Context(commune=None if commune is None else str(commune), annee=year,
                    annee_debut=_year(config.get("annee_debut")))


def messages_from_tables(tables: Sequence, theme: str, *, commune: str | None = None,
                         annee: int | None = None, annee_debut: int | None = None,
                         limit: int = MAX_MESSAGES) -> list[KeyMessage]:
    """Key messages of *theme* from already built tables (:class:`ReportTable`).

    Use it when the tables are at hand (a report, the document); :func:`key_messages`
    builds them from a dataset.
    """
    if theme not in TEMPLATES:
        raise ValueError(f"Thème inconnu : « {theme} » (thèmes : {', '.join(TEMPLATES)}).")
    ctx = _Context(commune=None if commune is None else str(commune), annee=annee,
                   annee_debut=annee_debut)
    # a commune's report may show the agglomeration's result as a reference: a sentence
    # about it would read as the commune's own figure
    by_key = _tables_by_key([t for t in tables if not getattr(t, "reference", False)])
    out = []
    for template in TEMPLATES[theme]:
        made = template(by_key, ctx)
        for message in ([] if made is None else made if isinstance(made, list) else [made]):
            out.append(KeyMessage(french_spacing(message.texte), message.valeur,
                                  french_spacing(message.libelle), message.table_key))
    return out[:limit]


def key_messages(dataset, theme: str | None = None, commune: str | None = None, *,
                 annee: int | None = None, tables: Sequence | None = None,
                 limit: int = MAX_MESSAGES) -> list[KeyMessage]:
    """The key messages of a theme (or of the whole evaluation when *theme* is ``None``).

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.
    theme : str, optional
        A theme of :data:`TEMPLATES`; ``None`` gives the messages of the whole document:
        the leading message of each theme, then the others, at most *limit*.
    commune : str, optional
        A ``code_insee``: the messages read the commune's tables (secrecy applied).
    annee : int, optional
        End year of evolutions (default: ``annee`` of ``config.yaml``).
    tables : sequence of ReportTable, optional
        Tables already built for that scope (avoids building them again).

    Returns
    -------
    list of KeyMessage
        At most *limit* (6); fewer when the data do not support more. No message reads a
        masked or missing value.
    """
    from cdv_lib.report import theme_tables

    ctx = _context(dataset, commune, annee)
    themes = [theme] if theme is not None else list(DOCUMENT_ORDER)
    per_theme = {}
    for name in themes:
        if name not in TEMPLATES:
            raise ValueError(f"Thème inconnu : « {name} » (thèmes : {', '.join(TEMPLATES)}).")
        mine = (list(tables) if tables is not None
                else theme_tables(dataset, name, ctx.commune, annee=annee))
        per_theme[name] = messages_from_tables(
            mine, name, commune=ctx.commune, annee=ctx.annee, annee_debut=ctx.annee_debut)
    if theme is not None:
        return per_theme[theme][:limit]
    # round robin: each theme's first message, then the seconds...
    out, depth = [], 0
    while len(out) < limit and any(len(v) > depth for v in per_theme.values()):
        for name in themes:
            if depth < len(per_theme[name]) and len(out) < limit:
                out.append(per_theme[name][depth])
        depth += 1
    return out


def messages_html(messages: Sequence[KeyMessage], *, title: str = "Messages clés",
                  heading: str = "h2") -> str:
    """Key figures then sentences, as escaped HTML (empty text when there is no message).

    Each figure and sentence links to the table it comes from (``#<table_key>``), the
    anchor :meth:`ReportTable.to_html` gives its section.
    """
    if not messages:
        return ""
    figures = "".join(
        f'<li class="cdv-kf"><a href="#{html.escape(m.table_key)}">'
        f'<span class="cdv-kf-value">{html.escape(m.valeur)}</span>'
        f'<span class="cdv-kf-label">{html.escape(m.libelle)}</span></a></li>'
        for m in messages)
    sentences = "".join(f"<li>{html.escape(m.texte)}</li>" for m in messages)
    return (f'<section class="cdv-messages" aria-label="{html.escape(title)}">'
            f"<{heading}>{html.escape(title)}</{heading}>"
            f'<ul class="cdv-kf-list">{figures}</ul>'
            f'<ul class="cdv-sentences">{sentences}</ul></section>')


MESSAGES_STYLE = """<style>
.cdv-messages ul.cdv-kf-list {display: flex; flex-wrap: wrap; gap: .6em; list-style: none;
  padding: 0; margin: .4em 0;}
.cdv-messages li.cdv-kf a {display: block; min-width: 9em; padding: .5em .8em;
  border: 1px solid #b8c4d6; border-radius: 4px; color: #1a1a1a; text-decoration: none;}
.cdv-messages .cdv-kf-value {display: block; font-size: 1.5em; font-weight: 700;
  color: #0b4f8a;}
.cdv-messages .cdv-kf-label {display: block; font-size: .85em;}
.cdv-messages ul.cdv-sentences {margin: .4em 0 .8em 1.2em; padding: 0;}
</style>"""


def render_messages(messages: Sequence[KeyMessage], **options):
    """An object that Jupyter, papermill and Voilà display as the key messages."""
    from IPython.display import HTML

    return HTML(MESSAGES_STYLE + messages_html(messages, **options))
