"""Write the report notebooks of notebooks/reports/ (outputs stripped, cell tags kept).

The notebooks are thin: a title, imports, one ``parameters`` cell, one cell deriving values,
then short cells that call ``cdv_lib`` and display. Keeping them generated keeps them
consistent; the generated files are committed. Run: ``.venv/bin/python scripts/make_notebooks.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cdv_lib.paths import REPORTS_DIR  # noqa: E402

IMPORTS = """\
from IPython.display import display

from cdv_lib import report_tables as rt
from cdv_lib.dataset import load_dataset
from cdv_lib.style import apply_style"""

PARAMETERS = """\
commune: str | None = None  # code INSEE, None = toute l'agglomération
annee: int = 2022  # année de la programmation
data_dir: str | None = None  # dossier de données, None = données embarquées"""

PARAMETERS_HELP = (
    "Les paramètres ci-dessous sont remplacés par le lot papermill (`cdv batch`) ; dans "
    "JupyterLab, on peut les modifier puis tout relancer.")


def derive(theme: str | None, titre: str) -> str:
    tables = (f'tables = rt.theme_tables(dataset, "{theme}", commune, annee=annee)' if theme
              else "tables = rt.all_tables(dataset, commune, annee=annee)")
    return f"""\
apply_style()
dataset = load_dataset(data_dir)
{tables}
display(rt.scope_header(dataset, commune, titre="{titre}", annee=annee))"""


def show(prefix: str, *, charts: bool = True) -> str:
    extra = "" if charts else ", charts=False"
    return f'rt.show(rt.select(tables, "{prefix}"){extra})'


def notebook(title: str, intro: str, theme: str | None, sections: list[tuple[str, str]]):
    cells = [
        new_markdown_cell(f"# {title}\n\n{intro}"),
        new_code_cell(IMPORTS),
        new_markdown_cell(PARAMETERS_HELP),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell(derive(theme, title)),
    ]
    for text, code in sections:
        cells.append(new_markdown_cell(text))
        cells.append(new_code_cell(code))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating gives no diff
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    return nb


READING = ("Chaque pourcentage porte sa base (répondants ayant répondu, non-réponses "
           "exclues et comptées à part). « s » marque une valeur masquée par le secret "
           "statistique : aucun chiffre n'est donné sur moins de répondants que le seuil "
           "de `config.yaml` (5 par défaut) pour une commune.")

NOTEBOOKS = {
    "gouvernance": notebook(
        "Gouvernance et coopérations",
        "Résultats des questionnaires aux communes signataires et aux associations : "
        "moyens, pilotage, coopérations entre partenaires. " + READING,
        "gouvernance",
        [
            ("## Taux de réponse\n\nQuestionnaires reçus rapportés aux questionnaires "
             "envoyés (à l'échelle de l'agglomération seulement).",
             show("gouvernance.taux_reponse", charts=False)),
            ("## Questionnaire aux communes signataires\n\nUne question par tableau, dans "
             "l'ordre du questionnaire, avec son graphique. Pour une commune, ses seules "
             "réponses forment une base de 1 : elles sont masquées.",
             show("gouvernance.communes.")),
            ("## Questionnaire aux associations\n\nLes questions à choix multiples donnent "
             "la part des répondants ayant coché chaque réponse (le total dépasse 100 %). "
             "La grille de coopération donne, par partenaire, la répartition sur les cinq "
             "niveaux (relation → cohésion dynamique).",
             show("gouvernance.associations.")),
        ]),
    "sante": notebook(
        "Santé",
        "Actions de santé déclarées par les communes (thématique, public, durée, "
        "dispositif), place de la santé dans la programmation, questionnaires santé et "
        "indicateurs de contexte. " + READING,
        "sante",
        [
            ("## Actions de santé\n\nUne action destinée à plusieurs publics compte pour "
             "chacun ; les actions sans valeur sont comptées à part (« Non renseigné »).",
             show("sante.actions_")),
            ("## La santé dans la programmation\n\nNombre d'actions et montants accordés "
             "aux actions de thématique santé, année par année, et leur part du total.",
             show("sante.programmation")),
            ("## Questionnaire santé aux communes", show("sante.sante_communes.")),
            ("## Partenaires santé\n\nNiveau de partenariat des acteurs de santé avec "
             "l'ASV et le CLS.", show("sante.partenaires_sante.")),
            ("## Indicateurs de contexte\n\nValeurs placées côte à côte (agglomération, "
             "département, région, France) : les taux ne sont jamais additionnés.",
             show("sante.indicateurs", charts=False)),
        ]),
    "participation": notebook(
        "Participation des habitants",
        "Questionnaire aux conseils citoyens, entretiens codés par type d'acteur (freins, "
        "leviers, propositions), échelle de la participation et verbatims anonymisés. "
        "Les entretiens ne sont pas rattachés à une commune : ils ne figurent que dans "
        "le rapport de l'agglomération. " + READING,
        "participation",
        [
            ("## Questionnaire aux conseils citoyens", show("participation.conseils_citoyens.")),
            ("## Entretiens\n\nNombre d'entretiens par type d'acteur, puis les codes "
             "(un code cité plusieurs fois dans un entretien compte une fois).",
             show("participation.entretiens", charts=False) + "\n"
             + show("participation.codes")),
            ("## Échelle de la participation\n\nDe l'information (en bas) à la co-décision "
             "(en haut).", show("participation.echelle")),
            ("## Verbatims\n\nSeuls les verbatims marqués anonymisés sont cités, sous un "
             "pseudonyme d'entretien.", show("participation.verbatims", charts=False)),
        ]),
    "finances": notebook(
        "Programmation et finances",
        "Subventions accordées par année, financeur, pilier, thématique et commune, et "
        "part de la santé. Une action cofinancée compte une fois ; ses montants sont ceux "
        "de tous ses financeurs. Pour une commune, seules ses lignes sont comptées (les "
        "actions intercommunales ne sont pas réparties).",
        "finances",
        [
            ("## Financements par année\n\nMontants accordés, empilés par financeur ; le "
             "total de chaque année est écrit au-dessus de sa barre.",
             show("finances.par_annee")),
            ("## Répartition de l'année\n\nPar financeur, pilier et thématique, pour "
             "l'année du paramètre `annee` ; la base de chaque part est le total de "
             "l'année.",
             show("finances.par_financeur") + "\n" + show("finances.par_pilier") + "\n"
             + show("finances.par_thematique")),
            ("## Par commune\n\nÀ l'échelle de l'agglomération seulement.",
             show("finances.par_commune", charts=False)),
            ("## Place de la santé", show("finances.sante", charts=False)),
        ]),
    "fiche_commune": notebook(
        "Fiche commune",
        "Synthèse du territoire et de chaque thème pour une commune. **Sans commune "
        "(`commune = None`), la fiche présente l'agglomération entière** : c'est la "
        "synthèse de référence à laquelle chaque fiche communale se compare (le lot "
        "papermill la produit pour chaque commune signataire). " + READING,
        None,
        [
            ("## Territoire\n\nChiffres clés et quartiers prioritaires. Un QPV partagé "
             "entre plusieurs communes compte pour chacune ; sa population n'est pas "
             "répartie.", show("territoire.")),
            ("## Programmation\n\nFinancements par année (lignes de la commune) et "
             "répartition par thématique de l'année.",
             show("finances.par_annee") + "\n" + show("finances.par_thematique")),
            ("## Santé\n\nActions de santé par thématique et place de la santé dans la "
             "programmation.",
             show("sante.actions_thematique") + "\n" + show("sante.programmation")),
            ("## Gouvernance\n\nRéponses au questionnaire aux communes (masquées pour une "
             "commune seule : base de 1).",
             show("gouvernance.communes.", charts=False)),
            ("## Participation des habitants\n\nQuestionnaire aux conseils citoyens.",
             show("participation.conseils_citoyens.", charts=False)),
            ("## Suivi du PERR\n\nÀ l'échelle de l'agglomération seulement.",
             show("perr.statuts")),
            ("## AMI cohésion sociale\n\nRègles de bonification du taux de subvention.",
             show("ami.", charts=False)),
        ]),
}


def main() -> int:
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    for name, nb in NOTEBOOKS.items():
        nbformat.validate(nb)
        path = REPORTS_DIR / f"{name}.ipynb"
        nbformat.write(nb, path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
