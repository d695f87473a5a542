"""The AMI cohésion sociale simulator: cost, requested amount and one checkbox per bonus
criterion of ``ami_regles.yaml`` → rate, subsidy and the reasons, computed by
:func:`cdv_lib.themes.ami.simulate_application`."""

from __future__ import annotations

import html
import ipywidgets as widgets

from cdv_lib.app import html as views
from cdv_lib.app.log import logger

MAX_AMOUNT = 1e9


class AmiSimulator:
    """Simulator widgets; :attr:`container` to display, :attr:`result` holds the outcome.

    Parameters
    ----------
    raw_rules : dict or None
        ``Dataset.ami_rules`` (``ami_regles.yaml``); ``None`` shows a French message.
    cost, requested : float
        Initial values of the two amounts.
    """

    def __init__(self, raw_rules: dict | None, *, cost: float = 10_000.0,
                 requested: float = 8_000.0):
        from cdv_lib.themes.ami import load_rules

        self.rules = load_rules(raw_rules) if raw_rules else None
        self.last: dict | None = None
        self.intro = widgets.HTML()
        self.cost = widgets.BoundedFloatText(
            value=cost, min=0, max=MAX_AMOUNT, step=100, description="Coût de l'action (€) :",
            style={"description_width": "14em"}, layout=widgets.Layout(width="26em"))
        self.cost.add_class("cdv-ami-cout")
        self.requested = widgets.BoundedFloatText(
            value=requested, min=0, max=MAX_AMOUNT, step=100,
            description="Montant demandé (€) :", style={"description_width": "14em"},
            layout=widgets.Layout(width="26em"))
        self.requested.add_class("cdv-ami-demande")
        self.criteria: dict[str, widgets.Checkbox] = {}
        for criterion in self.rules.criteres if self.rules else ():
            box = widgets.Checkbox(value=False, description=criterion.libelle, indent=False,
                                   layout=widgets.Layout(width="auto"))
            box.add_class("cdv-ami-critere")
            box.add_class(f"cdv-ami-critere-{criterion.id}")
            self.criteria[criterion.id] = box
        self.result = widgets.HTML()
        self.result.add_class("cdv-ami-resultat")
        if self.rules is None:
            self.container = widgets.VBox([widgets.HTML(views.message_html(
                "Les règles de l'AMI (ami_regles.yaml) ne figurent pas dans les données."))])
        else:
            from cdv_lib.formatting import fmt_euro, fmt_percent

            self.intro.value = (
                "<h2>Simulateur de l'AMI cohésion sociale</h2>"
                f"<p>Taux de base {html.escape(fmt_percent(self.rules.taux_base))}, "
                f"plafond {html.escape(fmt_percent(self.rules.plafond))}, enveloppe "
                f"annuelle {html.escape(fmt_euro(self.rules.enveloppe_annuelle))}. "
                "Cochez les critères remplis par l'action.</p>")
            self.container = widgets.VBox(
                [self.intro, self.cost, self.requested, *self.criteria.values(), self.result])
            for widget in [self.cost, self.requested, *self.criteria.values()]:
                widget.observe(self._on_change, names="value")
            self.update()
        self.container.add_class("cdv-ami")

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Recompute and show the result (a French message if the inputs are refused)."""
        from cdv_lib.themes.ami import simulate_application

        try:
            met = {cid: bool(box.value) for cid, box in self.criteria.items()}
            self.last = simulate_application(self.rules, float(self.cost.value),
                                             float(self.requested.value), met)
            self.result.value = views.ami_result_html(self.last)
        except ValueError as exc:
            self.last = None
            self.result.value = views.message_html(str(exc), kind="error")
        except Exception:
            logger().exception("échec du simulateur AMI")
            self.last = None
            self.result.value = views.message_html(
                "Le calcul n'a pas pu être fait. L'incident est consigné dans le journal "
                "du serveur.", kind="error")

