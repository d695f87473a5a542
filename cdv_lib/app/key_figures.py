"""The key figures at the top of the app, for the agglomeration or one commune, gathered
from the theme functions (nothing is computed here that a theme already computes)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.formatting import NBSP, fmt_euro, fmt_evolution, fmt_int, fmt_percent

#: First year of the 2016 → year evolution of the subsidies, as in the 2022 report; the
#: first year of the programmation when that year has no line.
EVOLUTION_FROM = 2016


@dataclass(frozen=True)
class KeyFigure:
    """One card: ``key`` (stable, the card's ``data-kpi``), French ``label``, the
    formatted ``value``, French ``notes`` (base, scope), the raw value ``raw`` and, for a
    card listing several figures, ``lines`` of (label, formatted value)."""

    key: str
    label: str
    value: str
    notes: tuple[str, ...] = ()
    raw: float | None = None
    lines: tuple[tuple[str, str], ...] = field(default=())


def _figure(figures: pd.DataFrame, key: str) -> pd.Series:
    return figures.loc[figures["cle"] == key].iloc[0]


def key_figures(dataset, commune: str | None = None, *, annee: int | None = None,
                since: int = EVOLUTION_FROM) -> list[KeyFigure]:
    """The cards of the app.

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.
    commune : str, optional
        A ``code_insee``; ``None`` for the agglomeration.
    annee : int, optional
        Year of the subsidies (default: ``annee`` of ``config.yaml``, else the last year
        of the programmation).
    since : int
        First year of the evolution of the subsidies.

    Returns
    -------
    list of KeyFigure
        Keys ``population``, ``population_qpv``, ``part_qpv``, ``subventions``,
        ``evolution`` (when the programmation is not empty) and ``taux_reponse`` (when a
        questionnaire says how many were sent).
    """
    from cdv_lib.themes import finances, territoire
    from cdv_lib.themes.gouvernance import response_rates

    out: list[KeyFigure] = []
    figures = territoire.key_figures(dataset.communes, dataset.qpv, commune)
    population = _figure(figures, "terr.population")
    pop_qpv = _figure(figures, "terr.pop_qpv")
    share = _figure(figures, "terr.part_pop_qpv")
    share_max = _figure(figures, "terr.part_pop_qpv_max")
    out.append(KeyFigure("population", "Population", fmt_int(population["valeur"]),
                         ("habitants",), float(population["valeur"])))
    qpv = _figure(figures, "terr.qpv")
    out.append(KeyFigure(
        "population_qpv", "Habitants des quartiers prioritaires",
        fmt_int(pop_qpv["valeur"]),
        (f"{fmt_int(qpv['valeur'])} QPV", *((str(pop_qpv["note"]),)
                                                   if commune and pop_qpv["note"] else ())),
        float(pop_qpv["valeur"])))
    base = share["base_n"]
    share_notes = [f"n{NBSP}={NBSP}{fmt_int(base)} habitants"] if not pd.isna(base) else []
    if commune is not None and share_max["valeur"] > share["valeur"]:
        share_notes.insert(0, "au plus " + fmt_percent(share_max["valeur"])
                           + " avec les QPV partagés")
    out.append(KeyFigure(
        "part_qpv", "Part de la population en QPV",
        fmt_percent(share["valeur"]),
        tuple(share_notes), float(share["valeur"])))

    prog = dataset.programmation
    if not prog.empty:
        years = sorted(int(y) for y in prog[C.ANNEE].dropna().unique())
        year = int(annee or dataset.config.get("annee") or years[-1])
        per_year = finances.totals(prog, C.ANNEE, commune=commune).set_index(C.ANNEE)
        granted = float(per_year["montant_accorde"].get(year, 0.0))
        n_actions = int(per_year["n_actions"].get(year, 0)) if year in per_year.index else 0
        scope = ("lignes de la commune, hors actions intercommunales" if commune
                 else "toutes lignes, tous financeurs")
        out.append(KeyFigure(
            "subventions", f"Subventions accordées en {year}", fmt_euro(granted),
            (f"{fmt_int(n_actions)} action{'s' if n_actions > 1 else ''}", scope),
            granted))
        start = since if since in years else years[0]
        label = f"Évolution des subventions {start} → {year}"
        try:
            change = finances.evolution(prog, start, year, commune=commune)
        except ValueError:
            change = float("nan")
        if pd.isna(change):
            out.append(KeyFigure("evolution", label, "–",
                                 (f"pas de subvention en {start}",)))
        else:
            first = float(per_year["montant_accorde"].get(start, 0.0))
            out.append(KeyFigure(
                "evolution", label, fmt_evolution(change),
                (f"{fmt_euro(first)} en {start}", f"{fmt_euro(granted)} en {year}"),
                float(change)))

    if dataset.questionnaires:
        rates = response_rates(dataset.questionnaires)
        rates = rates[rates["envoyes"].notna() & rates["taux"].notna()]
        if len(rates):
            lines = tuple(
                (str(r["titre"]), f"{fmt_percent(r['taux'])} "
                 f"({fmt_int(r['recus'])} / {fmt_int(r['envoyes'])})")
                for _, r in rates.iterrows())
            notes = ("réponses reçues / questionnaires envoyés",)
            if commune is not None:
                notes += ("ensemble de l'agglomération",)
            out.append(KeyFigure("taux_reponse", "Taux de réponse aux questionnaires", "",
                                 notes, None, lines))
    return out
