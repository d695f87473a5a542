"""The dashboard for elected officials (Voilà gallery pattern).

Widgets are built in ``__init__``, :meth:`App.from_data` loads the data directory, one
update callback redraws into ``Output`` widgets, the layout is :attr:`App.container`. The
app notebook is two lines::

    from cdv_lib.app import App
    App.from_data().show()

Speed: the dataset is loaded once per kernel; :meth:`App.show` first displays the title
and key figures as plain HTML (the first view, written into the page by ``cdv serve``'s
template, readable before Voilà's scripts and the widgets are ready), then the widgets;
the AMI simulator is built when its tab is first opened (fewer widgets to send and draw
when the page loads); key figures, the maps of each scope and the HTML of each (commune,
tab) are cached; a
commune change redraws the cards first, then only the open tab (the others are drawn
when opened).

Each tab opens with its key messages (:func:`cdv_lib.messages.key_messages`), then its
maps (:data:`TAB_MAPS`, from :func:`cdv_lib.maps.report_maps`, each with its text
alternative and what could not be drawn), then the report's tables; for a commune, tables
that secrecy would mask entirely are the agglomeration's, labelled as the reference, and a
sentence at the head of the tab says why. A theme whose inputs were not supplied says
« Données non fournies » (:func:`cdv_lib.scaffold.no_data_message`). The page uses the one
stylesheet of :mod:`cdv_lib.page`.

Nothing technical reaches the reader: every callback catches its exceptions, logs them to
the server's console and shows a French message; warnings are logged, not displayed.
"""

from __future__ import annotations

import ctypes
import gc
import html
import time
from collections.abc import Callable

import ipywidgets as widgets
from IPython.display import HTML, display

from cdv_lib import columns as C
from cdv_lib.text import fold
from cdv_lib.app import html as views
from cdv_lib.app.key_figures import EVOLUTION_FROM, key_figures
from cdv_lib.app.log import logger as _logger
from cdv_lib.app.log import quiet as _quiet

from cdv_lib.report.registry import THEMES

#: (theme, tab title), in display order: the themes of :mod:`cdv_lib.report.registry`.
TABS: tuple[tuple[str, str], ...] = tuple((t.name, t.label) for t in THEMES.values())
AGGLOMERATION = ""  # selector value of the whole agglomeration
AGGLOMERATION_LABEL = "Toute l'agglomération"

#: Shown for a commune when a theme is only followed at agglomeration level.
AGGLOMERATION_ONLY = {t.name: t.agglomeration_only for t in THEMES.values()
                      if t.agglomeration_only}

ERROR_MESSAGE = ("Cet affichage n'a pas pu être produit. Les autres onglets restent "
                 "disponibles ; l'incident est consigné dans le journal du serveur.")
LOADING_MESSAGE = "Chargement…"
MAP_ERROR_MESSAGE = ("Cette carte n'a pas pu être dessinée ; les tableaux restent "
                     "disponibles et l'incident est consigné dans le journal du serveur.")

#: Maps of :func:`cdv_lib.maps.report_maps` shown in each tab, by key: the territory and
#: the share of the population in QPV (or the commune with its QPV) open the territory tab;
#: the subsidies and the health actions per commune go with their own theme.
TAB_MAPS: dict[str, tuple[str, ...]] = {
    "territoire": ("carte.territoire", "carte.part_qpv", "carte.commune"),
    "finances": ("carte.subventions",),
    "sante": ("carte.actions_sante",),
}


def release_memory() -> None:
    """Give the system back what building the app freed (about 10 MB per kernel).

    Loading and validating the data and drawing the first view leave many freed blocks in
    the allocator; every session's kernel keeps its memory for as long as the session lasts,
    so after the build the garbage is collected and glibc's free pages are returned
    (``malloc_trim``; nothing happens on another C library)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reference_message(n_reference: int, n_tables: int) -> str:
    """The sentence at the head of a commune's tab where secrecy replaced some of its
    tables by the agglomeration's (:attr:`ReportTable.reference`)."""
    which = ("Les tableaux de cet onglet montrent" if n_reference == n_tables else
             f"{n_reference} tableau{'x' if n_reference > 1 else ''} de cet onglet "
             f"montre{'nt' if n_reference > 1 else ''}")
    return (f"{which} le résultat de toute l'agglomération, en référence : les réponses "
            "de la commune portent sur trop peu de répondants pour être montrées "
            "(secret statistique).")


def _sort_key(name: str) -> tuple:
    return (fold(name), name)


class App:
    """The dashboard: commune selector, key-figure cards, one tab per theme, AMI simulator.

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.
    annee : int, optional
        Year of the key figures and yearly tables (default: ``annee`` of ``config.yaml``).
    since : int
        First year of the evolution of the subsidies (the report's 2016).

    Attributes
    ----------
    container : ipywidgets.VBox
        The whole app, to display.
    commune : ipywidgets.Dropdown
        ``""`` for the agglomeration, else a ``code_insee``.
    cards : ipywidgets.HTML
        The key figures (``div.cdv-kpi[data-kpi=…]``).
    tabs : ipywidgets.Tab
    outputs : dict of str to ipywidgets.Output
        One per theme of :data:`TABS`.
    rendered : dict of str to str
        Last HTML drawn in each tab (what the reader sees).
    simulator : AmiSimulator
        Built on first access (opening the AMI tab), shown at the top of :attr:`ami_box`.
    """

    def __init__(self, dataset, *, annee: int | None = None, since: int = EVOLUTION_FROM):
        from cdv_lib.style import apply_style

        apply_style()
        self.dataset = dataset
        self.annee = annee if annee is not None else dataset.config.get("annee")
        self.since = since
        self._cards_cache: dict[str, str] = {}
        self._tab_cache: dict[tuple[str, str], str] = {}
        self._maps_cache: dict[str, list] = {}
        self._drawn: dict[str, str | None] = {theme: None for theme, _ in TABS}
        self.rendered: dict[str, str] = {}
        self.timings: dict[str, float] = {}

        territory = str(dataset.config.get("territoire") or "Agglomération")
        subtitle = "Évaluation du Contrat de Ville"
        if self.annee:
            subtitle += f" — données {self.annee}"
        self.header = widgets.HTML(
            views.app_css() + f'<h1 class="cdv-title">{html.escape(territory)}</h1>'
            f'<p class="cdv-subtitle">{html.escape(subtitle)}</p>')
        self.commune = widgets.Dropdown(
            options=self.commune_options(), value=AGGLOMERATION, description="Territoire :",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="28em"))
        self.commune.add_class("cdv-commune")
        self.cards = widgets.HTML()
        self.cards.add_class("cdv-cards")
        self.outputs = {}
        for theme, _title in TABS:
            out = widgets.Output()
            out.add_class(f"cdv-tab-{theme}")
            self.outputs[theme] = out
        self._simulator = None
        self.ami_box = widgets.VBox([self.outputs["ami"]])
        children = [self.outputs[theme] if theme != "ami" else self.ami_box
                    for theme, _ in TABS]
        self.tabs = widgets.Tab(children=children, titles=[title for _, title in TABS])
        self.tabs.add_class("cdv-tabs")
        self.container = widgets.VBox([self.header, self.commune, self.cards, self.tabs])
        self.container.add_class("cdv-app")
        self.container.add_class("cdv-live")

        self.commune.observe(self._on_commune, names="value")
        self.tabs.observe(self._on_tab, names="selected_index")
        self.update()

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_data(cls, data_dir=None, **kwargs) -> App | Unavailable:
        """Load the data directory (default :func:`cdv_lib.paths.data_dir`, which reads
        ``$CDV_DATA_DIR`` set by ``cdv serve``) and build the app.

        Returns an :class:`Unavailable` page, with the problems in French, when the data
        cannot be loaded.
        """
        from cdv_lib.dataset import load_dataset
        from cdv_lib.errors import DataError

        try:
            with _quiet():
                dataset = load_dataset(data_dir)
                app = cls(dataset, **kwargs)
            release_memory()
            return app
        except DataError as exc:
            _logger().error("données invalides : %s", exc)
            return Unavailable("Les données du tableau de bord ne peuvent pas être chargées.",
                               [p.message() for p in exc.problems])
        except Exception:
            _logger().exception("échec du chargement du tableau de bord")
            return Unavailable("Le tableau de bord n'a pas pu démarrer. L'incident est "
                               "consigné dans le journal du serveur.")

    def commune_options(self) -> list[tuple[str, str]]:
        """``("Toute l'agglomération", "")`` then each signatory commune by name."""
        communes = self.dataset.communes
        signatories = communes[communes[C.SIGNATAIRE].astype("boolean").fillna(False)]
        pairs = sorted(((str(n), str(c)) for n, c in
                        zip(signatories[C.NOM], signatories[C.CODE_INSEE])),
                       key=lambda p: _sort_key(p[0]))
        return [(AGGLOMERATION_LABEL, AGGLOMERATION), *pairs]

    @property
    def simulator(self):
        """The AMI simulator (:class:`~cdv_lib.app.simulator.AmiSimulator`), built and put
        at the top of the AMI tab on first use."""
        if self._simulator is None:
            from cdv_lib.app.simulator import AmiSimulator

            self._simulator = AmiSimulator(self.dataset.ami_rules)
            self.ami_box.children = (self._simulator.container, self.outputs["ami"])
        return self._simulator

    def first_view_html(self) -> str:
        """Title and key figures of the agglomeration as plain HTML (the first view)."""
        return views.first_view_html(self.header.value, self.cards_html(None))

    def show(self) -> None:
        """Display the first view, then the app's widgets (the notebook's last line)."""
        display(HTML(self.first_view_html()), metadata=dict(views.FIRST_VIEW_METADATA))
        display(self.container)

    # -- state --------------------------------------------------------------------------

    @property
    def selected(self) -> str | None:
        """The selected ``code_insee``, ``None`` for the agglomeration."""
        return self.commune.value or None

    @property
    def current_theme(self) -> str:
        return TABS[self.tabs.selected_index or 0][0]

    def scope_label(self, commune: str | None) -> str:
        from cdv_lib.report.scope import commune_name

        return AGGLOMERATION_LABEL if commune is None else commune_name(self.dataset, commune)

    # -- callbacks ----------------------------------------------------------------------

    def _on_commune(self, _change) -> None:
        self.update()

    def _on_tab(self, _change) -> None:
        theme = self.current_theme
        self._guard(theme, lambda: self.open_tab(theme))

    def open_tab(self, theme: str) -> None:
        """Draw *theme*'s tab for the selected commune (building the simulator first
        for the AMI tab)."""
        if theme == "ami":
            self.simulator  # noqa: B018 - built on first use
        self.draw_tab(theme)

    def update(self) -> None:
        """The update callback: key figures first (the reader sees them at once), then
        the open tab; the other tabs are redrawn when opened."""
        self._guard(None, self.draw_cards)
        theme = self.current_theme
        self._guard(theme, lambda: self.draw_tab(theme))

    def _guard(self, theme: str | None, action: Callable[[], None]) -> None:
        """Run *action*; on failure, log it and show a French message in its place."""
        try:
            with _quiet():
                action()
        except Exception:
            _logger().exception("échec de l'affichage (onglet %r, commune %r)", theme,
                                self.commune.value)
            message = views.message_html(ERROR_MESSAGE, kind="error")
            if theme is None:
                self.cards.value = message
            else:
                self._show(self.outputs[theme], message)
                self.rendered[theme] = message
                self._drawn[theme] = None  # try again next time

    def _show(self, out: widgets.Output, content: str) -> None:
        out.clear_output(wait=True)
        with out:
            display(HTML(content))

    # -- drawing ------------------------------------------------------------------------

    def cards_html(self, commune: str | None) -> str:
        key = commune or AGGLOMERATION
        if key not in self._cards_cache:
            figures = key_figures(self.dataset, commune, annee=self.annee, since=self.since)
            self._cards_cache[key] = views.cards_html(
                figures, scope=self.scope_label(commune), scope_code=key)
        return self._cards_cache[key]

    def draw_cards(self) -> None:
        start = time.perf_counter()
        self.cards.value = self.cards_html(self.selected)
        self.timings["cards"] = time.perf_counter() - start

    def tab_html(self, theme: str, commune: str | None) -> str:
        """HTML of a tab: heading, the theme's key messages, its maps (:data:`TAB_MAPS`),
        then the report's tables (statistical secrecy applied by
        :func:`cdv_lib.report.theme_tables`; for a commune, a table that secrecy would mask
        entirely is replaced by the agglomeration's, labelled as the reference) and their
        charts. A theme whose inputs were not supplied says so (« Données non fournies »)."""
        from cdv_lib import report
        from cdv_lib.messages import key_messages, messages_html
        from cdv_lib.scaffold import no_data_message

        key = (theme, commune or AGGLOMERATION)
        if key in self._tab_cache:
            return self._tab_cache[key]
        title = dict(TABS)[theme]
        parts = [views.heading_html(title, self.scope_label(commune))]
        missing_inputs = no_data_message(self.dataset, theme)
        tables = report.theme_tables(self.dataset, theme, commune, annee=self.annee)
        own = tables
        note = ""
        if commune is not None and theme in AGGLOMERATION_ONLY:
            note = views.message_html(AGGLOMERATION_ONLY[theme])
            if not tables or theme == "perr":
                tables = report.theme_tables(self.dataset, theme, None, annee=self.annee)
        # the messages read the tables shown: the agglomeration's when the theme is only
        # followed at that level (the note above says so)
        messages = key_messages(self.dataset, theme, None if tables is not own else commune,
                                annee=self.annee, tables=tables)
        parts.append(messages_html(messages, title="Messages clés", heading="h3"))
        parts.append(note)
        references = [t for t in tables if getattr(t, "reference", False)]
        if commune is not None and references:
            parts.append(views.message_html(reference_message(len(references),
                                                              len(tables))))
        if missing_inputs:
            # nothing supplied: no empty map nor empty table, one sentence
            parts.append(views.message_html(missing_inputs + "."))
        else:
            parts.append(self.maps_html(theme, commune))
            if not tables:
                parts.append(views.message_html(
                    "Aucun tableau à afficher pour ce thème"
                    + (" et cette commune." if commune is not None else ".")))
            parts.append(views.tables_html(tables))
        self._tab_cache[key] = "".join(parts)
        return self._tab_cache[key]

    def maps_html(self, theme: str, commune: str | None) -> str:
        """The maps of *theme*'s tab (:data:`TAB_MAPS`) for that scope, each with its text
        alternative and what could not be drawn; a map that fails is replaced by a French
        message (logged), the rest of the tab is kept."""
        wanted = TAB_MAPS.get(theme, ())
        if not wanted:
            return ""
        try:
            views_ = [v for v in self.report_maps(commune) if v.key in wanted]
        except Exception:  # noqa: BLE001 - a map never takes the tab down
            _logger().exception("échec des cartes (commune %r)", commune)
            return views.message_html(MAP_ERROR_MESSAGE, kind="error")
        shown: set[str] = set()
        parts = []
        for view in views_:
            try:
                parts.append(views.map_html(view, shown_missing=shown))
            except Exception:  # noqa: BLE001 - a map never takes the tab down
                _logger().exception("échec de la carte %s (commune %r)", view.key, commune)
                parts.append(views.message_html(MAP_ERROR_MESSAGE, kind="error"))
        return "".join(parts)

    def report_maps(self, commune: str | None) -> list:
        """:func:`cdv_lib.maps.report_maps` for that scope (cached; drawn when shown)."""
        from cdv_lib.maps import report_maps

        key = commune or AGGLOMERATION
        if key not in self._maps_cache:
            self._maps_cache[key] = report_maps(self.dataset, commune, annee=self.annee)
        return self._maps_cache[key]

    def draw_tab(self, theme: str) -> None:
        commune = self.selected
        scope = commune or AGGLOMERATION
        if self._drawn.get(theme) == scope:
            return
        start = time.perf_counter()
        out = self.outputs[theme]
        if (theme, scope) not in self._tab_cache:
            self._show(out, views.message_html(LOADING_MESSAGE))
        content = self.tab_html(theme, commune)
        self._show(out, content)
        self.rendered[theme] = content
        self._drawn[theme] = scope
        self.timings[theme] = time.perf_counter() - start


class Unavailable:
    """The page shown instead of the app when it cannot start: a French message (and the
    data problems, which name the file, row and column), in :attr:`container`."""

    def __init__(self, message: str, problems: list[str] | None = None):
        items = "".join(f"<li>{html.escape(p)}</li>" for p in (problems or []))
        self.message = message
        self.problems = list(problems or [])
        self.container = widgets.HTML(
            views.app_css() + views.message_html(message, kind="error")
            + (f"<ul>{items}</ul>" if items else ""))
        self.container.add_class("cdv-app")

    def show(self) -> None:
        display(self.container)
