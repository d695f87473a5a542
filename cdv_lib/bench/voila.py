"""The Voilà dashboard in headless Chromium: time until the first key figure is visible,
cold (no preheated kernel) and preheated; time from changing the commune to its new key
figures and chart; and a bounded load test of simultaneous sessions with the memory of each
session's kernel.

Uses the serve contributor's helpers (``tests/browser.py``: a real ``cdv serve`` Voilà on a
free port of 127.0.0.1, Debian Chromium through Playwright) and the app's CSS classes:
``.cdv-kpis[data-scope]`` / ``.cdv-kpi`` (key figures), ``.cdv-commune select`` (the commune
selector), ``.cdv-chart`` (a chart of the open tab).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from dataclasses import replace
from pathlib import Path

import psutil

from cdv_lib.bench.results import Results, fmt_number
from cdv_lib.paths import PROJ_ROOT

KPI = ".cdv-kpi"
SELECT = ".cdv-commune select"

# new scope in the cards and, when the open tab has charts, a chart drawn after the change
_CHANGED_JS = """([old]) => {
  const cards = document.querySelector('.cdv-kpis');
  if (!cards || cards.dataset.scope === old) return false;
  const charts = document.querySelectorAll('.cdv-tabs .cdv-chart');
  const hadCharts = window.__cdvHadCharts;
  if (!hadCharts) return true;
  return Array.from(charts).some(c => !c.hasAttribute('data-cdv-old'));
}"""
_MARK_JS = """() => {
  const charts = document.querySelectorAll('.cdv-tabs .cdv-chart');
  charts.forEach(c => c.setAttribute('data-cdv-old', '1'));
  window.__cdvHadCharts = charts.length > 0;
  const cards = document.querySelector('.cdv-kpis');
  return cards ? cards.dataset.scope : null;
}"""


def browser_helpers():
    """The module ``tests/browser.py`` (not a package: loaded from its file)."""
    path = PROJ_ROOT / "tests" / "browser.py"
    import sys

    name = "cdv_browser_helpers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses of the module look themselves up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def kernels_of(server_pid: int) -> list[psutil.Process]:
    """Kernel processes (``ipykernel``) started by the Voilà server."""
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for p in children:
        try:
            if any("ipykernel" in part for part in p.cmdline()):
                out.append(p)
        except psutil.Error:
            continue
    return out


def kernel_rss_mb(server_pid: int) -> list[float]:
    out = []
    for p in kernels_of(server_pid):
        try:
            out.append(p.memory_info().rss / 2**20)
        except psutil.Error:
            continue
    return out


def wait_idle(pid: int, *, timeout: float = 120.0, threshold: float = 5.0,
              quiet_for: float = 1.5) -> float:
    """Wait until the server and its kernels use less than *threshold* % CPU for
    *quiet_for* seconds (a preheated kernel has finished running the notebook). Returns the
    seconds waited."""
    t0 = time.perf_counter()
    quiet_since = None
    while time.perf_counter() - t0 < timeout:
        try:
            procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            break
        for p in procs:
            try:
                p.cpu_percent(None)
            except psutil.Error:
                pass
        time.sleep(0.5)
        busy = 0.0
        for p in procs:
            try:
                busy += p.cpu_percent(None)
            except psutil.Error:
                pass
        if busy < threshold:
            quiet_since = quiet_since or time.perf_counter()
            if time.perf_counter() - quiet_since >= quiet_for:
                break
        else:
            quiet_since = None
    return time.perf_counter() - t0


def first_figure_seconds(browser, url: str, *, timeout_ms: float = 180_000) -> float:
    """Open a fresh page and return the seconds until the first key figure is visible."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_selector(KPI, state="visible", timeout=timeout_ms)
        return time.perf_counter() - t0
    finally:
        context.close()


def commune_changes(browser, url: str, *, n: int = 5, timeout_ms: float = 60_000,
                    ) -> list[float]:
    """Load the app, then change the commune *n* times; return the milliseconds from each
    change until the new key figures and the open tab's new chart are shown."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(url, timeout=180_000)
        page.wait_for_selector(KPI, state="visible", timeout=180_000)
        page.wait_for_selector(SELECT, timeout=timeout_ms)
        count = page.eval_on_selector_all(f"{SELECT} option", "els => els.length")
        times = []
        for i in range(1, min(n, count - 1) + 1):
            old = page.evaluate(_MARK_JS)
            t0 = time.perf_counter()
            page.select_option(SELECT, index=i)
            page.wait_for_function(_CHANGED_JS, arg=[old], timeout=timeout_ms, polling="raf")
            times.append(1000 * (time.perf_counter() - t0))
        return times
    finally:
        context.close()


def load_test(browser, url: str, server_pid: int, *, sessions: int,
              deadline_s: float = 420.0) -> dict:
    """Open *sessions* pages at once, wait (bounded) for each to show its key figures, then
    change the commune on each and wait for its answer. Closes every page at the end.

    Returns ``loaded``, ``responded`` (counts), ``load_seconds`` (until the last page
    loaded), ``respond_ms`` (each page's change time), ``kernel_rss_mb`` (each kernel's
    RSS while every session is open), ``errors``."""
    t0 = time.perf_counter()
    contexts, pages, errors = [], [], []
    loaded, responded, respond_ms = 0, 0, []
    try:
        for _ in range(sessions):
            ctx = browser.new_context(locale="fr-FR", viewport={"width": 1200, "height": 900})
            contexts.append(ctx)
            page = ctx.new_page()
            page.goto(url, wait_until="commit", timeout=60_000)
            pages.append(page)
        ready = []
        for page in pages:
            left = max(1.0, deadline_s - (time.perf_counter() - t0))
            try:
                page.wait_for_selector(KPI, state="visible", timeout=1000 * left)
                ready.append(page)
            except Exception as exc:
                errors.append(f"chargement : {type(exc).__name__}")
        loaded = len(ready)
        load_seconds = time.perf_counter() - t0
        rss = kernel_rss_mb(server_pid)
        for page in ready:
            left = max(1.0, deadline_s - (time.perf_counter() - t0))
            try:
                old = page.evaluate(_MARK_JS)
                t1 = time.perf_counter()
                page.select_option(SELECT, index=1)
                page.wait_for_function(_CHANGED_JS, arg=[old], timeout=1000 * min(left, 120),
                                       polling="raf")
                respond_ms.append(1000 * (time.perf_counter() - t1))
                responded += 1
            except Exception as exc:
                errors.append(f"changement de commune : {type(exc).__name__}")
    finally:
        for ctx in contexts:
            try:
                ctx.close()
            except Exception:
                pass
    return {"loaded": loaded, "responded": responded, "load_seconds": load_seconds,
            "respond_ms": respond_ms, "kernel_rss_mb": rss, "errors": errors}


def _url_and_process(server):
    """``running_voila`` yields a server object (url, process) or, in older helpers, a
    ``(url, process)`` tuple."""
    if hasattr(server, "url"):
        return server.url, server.process
    return server


def bench_voila(res: Results, opts, work: Path) -> None:
    helpers = browser_helpers()
    if not helpers.chromium_available():
        raise RuntimeError(f"Chromium absent ({helpers.CHROMIUM})")
    from cdv_lib.serve import ServeConfig

    b = "voila"
    loads = 1 if opts.quick else 3
    base = ServeConfig()
    with helpers.chromium_browser() as browser:
        # cold: no preheated kernel, each visit starts a kernel and runs the notebook
        with helpers.running_voila(replace(base, preheat=False)) as server:
            url, process = _url_and_process(server)
            cold = [first_figure_seconds(browser, url) for _ in range(loads)]
        res.figure(b, "voila.cold", "Premier chiffre clé visible, à froid (médiane)",
                   statistics.median(cold), "s",
                   f"{loads} visites : " + ", ".join(fmt_number(x, 2) for x in cold) + " s")
        # preheated: wait until the pool kernel has run the notebook before each visit
        with helpers.running_voila(replace(base, preheat=True)) as server:
            url, process = _url_and_process(server)
            warm, waited = [], []
            for _ in range(loads):
                waited.append(wait_idle(process.pid))
                warm.append(first_figure_seconds(browser, url))
            res.figure(b, "voila.preheated", "Premier chiffre clé visible, noyau préchauffé "
                       "(médiane)", statistics.median(warm), "s",
                       f"{loads} visites : " + ", ".join(fmt_number(x, 2) for x in warm)
                       + " s ; attente du préchauffage avant chaque visite : "
                       + ", ".join(fmt_number(x, 1) for x in waited) + " s")
            wait_idle(process.pid)
            changes = commune_changes(browser, url, n=2 if opts.quick else 6)
            if changes:
                res.figure(b, "voila.commune_change", "Changement de commune → nouveaux "
                           "chiffres clés et graphique (médiane)", statistics.median(changes),
                           "ms", f"{len(changes)} changements : "
                           + ", ".join(fmt_number(x, 0) for x in changes) + " ms")
        # bounded load test with the default `cdv serve` configuration
        sessions = 3 if opts.quick else opts.sessions
        res.extra["sessions"] = sessions
        with helpers.running_voila(base) as server:
            url, process = _url_and_process(server)
            wait_idle(process.pid)
            load = load_test(browser, url, process.pid, sessions=sessions)
    res.figure(b, "voila.load_ok", f"Sessions simultanées chargées et ayant répondu "
               f"(sur {sessions})", min(load["loaded"], load["responded"]), "sessions",
               f"chargées {load['loaded']}, ont répondu {load['responded']}"
               + (f" ; erreurs : {', '.join(sorted(set(load['errors'])))}"
                  if load["errors"] else ""))
    res.figure(b, "voila.load_seconds", f"Temps jusqu'à la dernière des {sessions} sessions "
               "chargée", load["load_seconds"], "s")
    if load["respond_ms"]:
        res.figure(b, "voila.load_respond", "Changement de commune sous charge (médiane)",
                   statistics.median(load["respond_ms"]), "ms",
                   f"max {fmt_number(max(load['respond_ms']), 0)} ms")
    rss = load["kernel_rss_mb"]
    if rss:
        res.figure(b, "voila.session_mb", "Mémoire par session (RSS du noyau, médiane)",
                   statistics.median(rss), "Mo",
                   f"{len(rss)} noyaux, total {fmt_number(sum(rss), 0)} Mo, max "
                   f"{fmt_number(max(rss), 0)} Mo")
    parts = []
    if res.get("voila.cold") and res.get("voila.preheated"):
        c, p = res.get("voila.cold").value, res.get("voila.preheated").value
        res.extra["voila_ratio_limit"] = (
            f"à froid {fmt_number(c, 2)} s = démarrage du noyau + exécution du notebook ; "
            f"préchauffé {fmt_number(p, 2)} s = chargement de la page et des widgets")
        res.extra["voila_preheated_limit"] = (
            f"{fmt_number(p, 2)} s : page Voilà, JavaScript des widgets et rendu des "
            "chiffres clés par le navigateur (le noyau a déjà tout calculé)")
        parts.append(f"Le préchauffage évite {fmt_number(c - p, 2)} s par visite : le noyau "
                     "démarre, importe les bibliothèques, charge les données et calcule les "
                     "chiffres clés avant l'arrivée du visiteur.")
    if res.get("voila.commune_change"):
        res.extra["voila_change_limit"] = (
            "calcul des chiffres clés et des tableaux de l'onglet ouvert pour la commune, "
            "dessin matplotlib, aller-retour websocket")
    if rss:
        parts.append(f"Chaque session garde son noyau : {fmt_number(statistics.median(rss), 0)}"
                     f" Mo (médiane) ; {sessions} sessions occupent "
                     f"{fmt_number(sum(rss), 0)} Mo de noyaux.")
    if load["loaded"] < sessions or load["responded"] < load["loaded"]:
        res.extra["voila_load_limit"] = (
            f"{sessions - load['loaded']} sessions non chargées dans le délai ; "
            f"dernière chargée à {fmt_number(load['load_seconds'], 0)} s : un noyau par "
            "session, démarrés ensemble sur les cœurs disponibles")
    for p in parts:
        res.finding(b, p)
