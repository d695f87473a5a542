"""``cdv fidelity [--data DOSSIER] [--csv]``: compare the workbench's computations with the
figures printed in the 2022 report; exit 0 when no figure fails, 1 otherwise, 2 when the
data cannot be read."""

from __future__ import annotations

import argparse
import math
import sys
from decimal import Decimal

STATUS_ORDER = ("reproduit", "expliqué", "échec")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fidelity",
        help="comparer les calculs aux chiffres publiés du rapport 2022",
        description=(
            "Recalcule chaque chiffre imprimé dans le rapport d'évaluation 2022 de la CALL "
            "(reference/published_figures.csv) à partir des données et le compare au chiffre "
            "publié, à la précision imprimée. Statuts : reproduit, expliqué (raison dans "
            "reference/fidelity_explanations.csv), échec. Code 0 si aucun échec, 1 sinon, "
            "2 si les données sont illisibles."
        ),
    )
    parser.add_argument("--data", default=None, metavar="DOSSIER",
                        help="dossier de données (défaut : $CDV_DATA_DIR, sinon les données "
                             "embarquées)")
    parser.add_argument("--csv", action="store_true",
                        help="écrire le tableau complet en CSV (séparateur « ; ») sur la "
                             "sortie standard")
    parser.set_defaults(func=run)


def _number(text: str) -> str:
    """French rendering of a number given as text or float: ``42,1``, ``3 900 000``."""
    value = Decimal(str(text))
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = sign + "\u00a0".join(groups)
    return out + ("," + frac if frac else "")


def _computed(value: float, printed: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    from cdv_lib.fidelity import printed_decimals

    decimals = printed_decimals(printed) + 1
    rounded = round(float(value), decimals)
    text = f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")
    return _number(text)


def render_text(table) -> str:
    """Plain-text table: id, publié, calculé, statut, then the reason of non-reproduced
    rows and a summary line."""
    from cdv_lib.fidelity import summary

    rows = [("id", "publié", "calculé", "statut")]
    for r in table.itertuples(index=False):
        rows.append((r.id, _number(r.publie), _computed(r.calcule, r.publie), r.statut))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]),
                                row[2].rjust(widths[2]), row[3]]).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    others = table[table["statut"] != "reproduit"]
    if len(others):
        lines.append("")
        lines.append("Chiffres non reproduits :")
        for r in others.itertuples(index=False):
            why = r.raison or r.detail
            lines.append(f"- {r.id} ({r.statut}, {r.comparaison}) : {why}")
    counts = summary(table)
    lines.append("")
    lines.append(f"{counts['total']} chiffres publiés : {counts['reproduit']} reproduits, "
                 f"{counts['expliqué']} expliqués, {counts['échec']} en échec.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.errors import DataError
    from cdv_lib.fidelity import fidelity_table, summary

    try:
        table = fidelity_table(args.data)
    except DataError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.csv:
        sys.stdout.write(table.to_csv(sep=";", index=False, lineterminator="\n"))
    else:
        print(render_text(table))
    return 0 if summary(table)["échec"] == 0 else 1
