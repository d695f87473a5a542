"""AMI cohésion sociale: the bonus rules of the subsidy rate (rules are data)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib.formatting import fmt_euro
from cdv_lib.report.table import DECIMAL, TEXT, ReportTable, build_table
from cdv_lib.secrecy import RULE_PUBLIC


def regles(dataset) -> ReportTable | None:
    """Base rate, each criterion's bonus and the ceiling (``None`` without AMI rules)."""
    from cdv_lib.themes import ami

    if not dataset.ami_rules:
        return None
    rules = ami.load_rules(dataset.ami_rules)
    frame = pd.DataFrame(
        [{"libelle": "Taux de base", "bonus": np.nan, "taux": rules.taux_base},
         *({"libelle": c.libelle, "bonus": c.bonus, "taux": np.nan} for c in rules.criteres),
         {"libelle": "Plafond du taux après bonification", "bonus": np.nan,
          "taux": rules.plafond}])
    # rates are not shares of a population: shown in points, without a base
    frame["taux_points"] = frame["taux"].astype("float64") * 100
    frame["bonus_points"] = frame["bonus"].astype("float64") * 100
    return build_table(
        "ami.regles", "AMI cohésion sociale : règles de bonification", frame,
        [("libelle", "Règle", TEXT), ("bonus_points", "Bonus (points de %)", DECIMAL),
         ("taux_points", "Taux (%)", DECIMAL)],
        theme="ami", secret_rule=RULE_PUBLIC,
        source="Règles de l'AMI cohésion sociale du territoire",
        notes=[f"Enveloppe annuelle : {fmt_euro(rules.enveloppe_annuelle)}."])


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme (the rules are the same for every commune)."""
    table = regles(dataset)
    return [table] if table is not None else []
