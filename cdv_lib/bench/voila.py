"""The Voilà dashboard in headless Chromium: time until the first key figure is visible and
until the app is usable (commune selector shown), cold (no preheated kernel) and
preheated; time from changing the commune to its new key figures and chart; and a bounded
load test of simultaneous sessions with the memory of each session's kernel and the CPU
used by the server and by the browser.

Uses the serve contributor's helpers (``tests/browser.py``: a real ``cdv serve`` Voilà on a
free port of 127.0.0.1, Debian Chromium through Playwright) and the app's CSS classes:
``.cdv-kpis[data-scope]`` / ``.cdv-kpi`` (key figures), ``.cdv-commune select`` (the commune
selector), ``.cdv-chart`` (a chart of the open tab).

Times are taken when the page itself shows the element (checked at every animation frame,
or by a mutation observer in the page for the load test), not by Playwright's
``wait_for_selector``, whose polling backs off to every 500 ms and would add up to half a
second to a figure shown at 0,8 s.
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
LOAD_USABLE_S = 15.0  # issue 17: twenty sessions opened together all usable within 15 s
LOAD_FIGURE_S = 3.0  # ... each showing its key figures within 3 s
KERNEL_RSS_MB = 150.0  # aim per kernel
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


#: What a kernel's command line holds.
KERNEL_MARKS = ("cdv_lib.app_kernel", "ipykernel")


def kernels_of(server_pid: int) -> list[psutil.Process]:
    """Kernel processes started by the Voilà server: the app's kernel
    (``-m cdv_lib.app_kernel``, see :mod:`cdv_lib.app_kernel`) or a standard ``ipykernel``."""
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for p in children:
        try:
            if any(mark in part for part in p.cmdline() for mark in KERNEL_MARKS):
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


# what Playwright calls visible: a non-empty box, not visibility:hidden
_VISIBLE_JS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return false;
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
}"""

# load test: each page notes (Date.now(), ms since the epoch) when it first shows a key
# figure and the commune selector; a mutation observer, cheap with 20 pages open
_RECORD_JS = """(() => {
  const marks = window.__cdvMarks = {};
  const shown = (selector) => {
    const el = document.querySelector(selector);
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const check = () => {
    const now = Date.now();
    if (!marks.kpi && shown('%s')) marks.kpi = now;
    if (!marks.app && shown('%s')) marks.app = now;
    return marks.kpi && marks.app;
  };
  const start = () => {
    if (check()) return;
    const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
    observer.observe(document, {childList: true, subtree: true, attributes: true});
  };
  if (document.readyState === 'loading') document.addEventListener('readystatechange', start, {once: true});
  else start();
})();""" % (KPI, SELECT)


def page_load_seconds(browser, url: str, *, timeout_ms: float = 180_000,
                      ) -> tuple[float, float]:
    """Open a fresh page; return the seconds from the request until the first key figure
    is visible, and until the app is usable (the commune selector is visible)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(_VISIBLE_JS, arg=KPI, polling="raf", timeout=timeout_ms)
        figure = time.perf_counter() - t0
        page.wait_for_function(_VISIBLE_JS, arg=SELECT, polling="raf", timeout=timeout_ms)
        return figure, time.perf_counter() - t0
    finally:
        context.close()


def first_figure_seconds(browser, url: str, *, timeout_ms: float = 180_000) -> float:
    """Open a fresh page and return the seconds until the first key figure is visible."""
    return page_load_seconds(browser, url, timeout_ms=timeout_ms)[0]


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


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    out = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return out


def _browser_processes(server_pid: int) -> list[psutil.Process]:
    """Chromium and the Playwright driver: this process's descendants outside the server."""
    server = {p.pid for p in _tree(server_pid)}
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in server]


def kernel_memory_mb(server_pid: int) -> tuple[list[float], list[float]]:
    """RSS and PSS (shared pages divided among the processes sharing them) of each kernel."""
    rss, pss = [], []
    for p in kernels_of(server_pid):
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        rss.append(info.rss / 2**20)
        if getattr(info, "pss", None) is not None:
            pss.append(info.pss / 2**20)
    return rss, pss


def load_test(browser, url: str, server_pid: int, *, sessions: int,
              deadline_s: float = 420.0) -> dict:
    """Open *sessions* pages at once (each in its own browser context, all requests sent
    without waiting for any answer), wait (bounded) until each shows its key figures and
    its commune selector, then change the commune on each and wait for its answer. Closes
    every page at the end.

    Returns ``loaded``, ``responded`` (counts), ``load_seconds`` (until the last page was
    usable), ``figure_s`` / ``usable_s`` (each page's times), ``respond_ms`` (each page's
    change time), ``kernel_rss_mb`` / ``kernel_pss_mb`` (each kernel while every session
    is open), ``cpu_server_s`` / ``cpu_browser_s`` (CPU seconds used during the loading by
    Voilà and its kernels, and by Chromium on the same machine), ``wall_s``, ``errors``."""
    contexts, pages, errors = [], [], []
    loaded, responded, respond_ms = 0, 0, []
    rss, pss = [], []
    figure_s, usable_s = [], []
    try:
        for _ in range(sessions):
            ctx = browser.new_context(locale="fr-FR", viewport={"width": 1200, "height": 900})
            contexts.append(ctx)
            page = ctx.new_page()
            page.add_init_script(_RECORD_JS)
            pages.append(page)
        server_before = _cpu_seconds(_tree(server_pid))
        browser_before = _cpu_seconds(_browser_processes(server_pid))
        t0_epoch, t0 = time.time(), time.perf_counter()
        for page in pages:  # navigation started, no wait for the answer
            page.evaluate("(u) => { window.location.href = u; }", url)
        marks: dict[int, dict] = {}
        while len(marks) < sessions and time.perf_counter() - t0 < deadline_s:
            time.sleep(0.5)
            for i, page in enumerate(pages):
                if i in marks:
                    continue
                try:
                    m = page.evaluate("() => window.__cdvMarks || null")
                except Exception:
                    continue  # between two documents
                if m and m.get("kpi") and m.get("app"):
                    marks[i] = m
        wall = time.perf_counter() - t0
        server_after = _cpu_seconds(_tree(server_pid))
        browser_after = _cpu_seconds(_browser_processes(server_pid))
        cpu_server = sum(v - server_before.get(k, 0.0) for k, v in server_after.items())
        cpu_browser = sum(v - browser_before.get(k, 0.0) for k, v in browser_after.items())
        for m in marks.values():
            figure_s.append(m["kpi"] / 1000 - t0_epoch)
            usable_s.append(m["app"] / 1000 - t0_epoch)
        loaded = len(marks)
        if loaded < sessions:
            errors.append(f"chargement : {sessions - loaded} page(s) sans application après "
                          f"{deadline_s:.0f} s")
        load_seconds = max(usable_s) if usable_s else wall
        rss, pss = kernel_memory_mb(server_pid)
        for i in sorted(marks):
            page = pages[i]
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
            "figure_s": figure_s, "usable_s": usable_s, "respond_ms": respond_ms,
            "kernel_rss_mb": rss, "kernel_pss_mb": pss, "cpu_server_s": cpu_server,
            "cpu_browser_s": cpu_browser, "wall_s": wall, "errors": errors}


def mixed_load_test(browser, url: str, server_pid: int, *, sessions: int, pages: int = 1,
                    deadline_s: float = 240.0) -> dict:
    """*sessions* visitors at once: *pages* Chromium pages (each in its own context) and
    ``sessions - pages`` protocol-level visitors (:mod:`cdv_lib.bench.voila_client`: the
    same requests as a page, without drawing), so that the load generator does not take the
    CPU it measures. Every visitor loads the app, then changes the commune once.

    Returns the keys of :func:`load_test`, plus ``protocol`` (the protocol visitors'
    :class:`~cdv_lib.bench.voila_client.Visit`), ``pages``, ``cpu_client_s`` (this
    process: the protocol visitors) next to ``cpu_browser_s`` (Chromium)."""
    import threading

    from cdv_lib.bench import voila_client

    n_proto = max(0, sessions - pages)
    contexts, page_list, errors = [], [], []
    protocol: list = []
    try:
        for _ in range(pages):
            ctx = browser.new_context(locale="fr-FR", viewport={"width": 1200, "height": 900})
            contexts.append(ctx)
            page = ctx.new_page()
            page.add_init_script(_RECORD_JS)
            page_list.append(page)
        me = psutil.Process()
        server_before = _cpu_seconds(_tree(server_pid))
        browser_before = _cpu_seconds(_browser_processes(server_pid))
        client_before = sum(me.cpu_times()[:2])
        t0_epoch, t0 = time.time(), time.perf_counter()
        worker = threading.Thread(target=lambda: protocol.extend(voila_client.run_visits(
            url, n_proto, timeout=deadline_s)), daemon=True)
        worker.start()
        for page in page_list:
            page.evaluate("(u) => { window.location.href = u; }", url)
        marks: dict[int, dict] = {}
        while (len(marks) < pages or worker.is_alive()) and time.perf_counter() - t0 < deadline_s:
            time.sleep(0.25)
            for i, page in enumerate(page_list):
                if i in marks:
                    continue
                try:
                    m = page.evaluate("() => window.__cdvMarks || null")
                except Exception:
                    continue
                if m and m.get("kpi") and m.get("app"):
                    marks[i] = {**m, "at": time.perf_counter()}
        worker.join(timeout=max(1.0, deadline_s - (time.perf_counter() - t0)))
        wall = time.perf_counter() - t0
        server_after = _cpu_seconds(_tree(server_pid))
        browser_after = _cpu_seconds(_browser_processes(server_pid))
        cpu_server = sum(v - server_before.get(k, 0.0) for k, v in server_after.items())
        cpu_browser = sum(v - browser_before.get(k, 0.0) for k, v in browser_after.items())
        cpu_client = sum(me.cpu_times()[:2]) - client_before
        rss, pss = kernel_memory_mb(server_pid)
        figure_s = [m["kpi"] / 1000 - t0_epoch for m in marks.values()]
        usable_s = [m["app"] / 1000 - t0_epoch for m in marks.values()]
        respond_ms, page_respond = [], 0
        for i in sorted(marks):
            try:
                old = page_list[i].evaluate(_MARK_JS)
                t1 = time.perf_counter()
                page_list[i].select_option(SELECT, index=1)
                page_list[i].wait_for_function(_CHANGED_JS, arg=[old], timeout=60_000,
                                               polling="raf")
                respond_ms.append(1000 * (time.perf_counter() - t1))
                page_respond += 1
            except Exception as exc:
                errors.append(f"changement de commune (page) : {type(exc).__name__}")
        for v in protocol:
            if v.figure is not None:
                figure_s.append(v.figure)
            if v.usable is not None:
                usable_s.append(v.usable)
            if v.respond is not None:
                respond_ms.append(1000 * v.respond)
            if v.error:
                errors.append(f"visiteur : {v.error.split(':')[0]}")
        loaded = len(marks) + sum(v.usable is not None for v in protocol)
        responded = page_respond + sum(v.respond is not None for v in protocol)
        if len(protocol) < n_proto:
            errors.append(f"{n_proto - len(protocol)} visiteur(s) sans réponse dans le délai")
    finally:
        for ctx in contexts:
            try:
                ctx.close()
            except Exception:
                pass
    return {"loaded": loaded, "responded": responded,
            "load_seconds": max(usable_s) if usable_s else wall,
            "figure_s": figure_s, "usable_s": usable_s, "respond_ms": respond_ms,
            "kernel_rss_mb": rss, "kernel_pss_mb": pss, "cpu_server_s": cpu_server,
            "cpu_browser_s": cpu_browser, "cpu_client_s": cpu_client, "wall_s": wall,
            "errors": errors, "protocol": protocol, "pages": pages,
            "page_figure_s": [m["kpi"] / 1000 - t0_epoch for m in marks.values()],
            "page_usable_s": [m["app"] / 1000 - t0_epoch for m in marks.values()]}


#: RSS added by each import of an app kernel, in MB (measured once, ``psutil``, see
#: benchmarks/README.md): what a kernel is made of. A session's kernel receives the checked
#: dataset from the server (no pandera), runs without the debugger (no debugpy) and writes its
#: tables without an HTML parser (no bs4): the script says if one of them is imported anyway.
_IMPORT_SCRIPT = """
import importlib, json, sys, psutil
p = psutil.Process(); out = {}; last = p.memory_info().rss
for mod in ["ipykernel.ipkernel", "numpy", "pandas", "ipywidgets", "matplotlib.figure",
            "matplotlib.backends.backend_agg", "babel.numbers", "cdv_lib.app", "cdv_lib.maps",
            "cdv_lib.messages"]:
    importlib.import_module(mod)
    now = p.memory_info().rss; out[mod] = (now - last) / 2**20; last = now
out["total"] = last / 2**20
heavy = [m for m in ("pandera", "debugpy", "bs4", "scipy.optimize") if m in sys.modules]
print(json.dumps({"parts": out, "heavy": heavy}))
"""


def import_breakdown() -> str:
    """French text: the RSS each import of an app kernel adds (measured in a fresh Python),
    and which of the modules a session's kernel avoids got imported anyway."""
    import json
    import subprocess
    import sys

    from cdv_lib.bench.measure import cli_env

    try:
        proc = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT], capture_output=True,
                              text=True, timeout=120, env=cli_env())
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except Exception as exc:
        return f"mesure impossible ({type(exc).__name__})"
    parts = data["parts"]
    total = parts.pop("total")
    text = ", ".join(f"{k} {fmt_number(v, 0)} Mo" for k, v in parts.items())
    text += f" (total {fmt_number(total, 0)} Mo avant les données)"
    if data.get("heavy"):
        text += " ; importés quand même : " + ", ".join(f"`{m}`" for m in data["heavy"])
    return text


def _url_and_process(server):
    """``running_voila`` yields a server object (url, process) or, in older helpers, a
    ``(url, process)`` tuple."""
    if hasattr(server, "url"):
        return server.url, server.process
    return server


def _times(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return ", ".join(fmt_number(x, digits) for x in values) + f" {unit}"


def bench_voila(res: Results, opts, work: Path) -> None:
    helpers = browser_helpers()
    if not helpers.chromium_available():
        raise RuntimeError(f"Chromium absent ({helpers.CHROMIUM})")
    from cdv_lib.serve import ServeConfig

    b = "voila"
    loads = 1 if opts.quick else 5
    base = ServeConfig()
    with helpers.chromium_browser() as browser:
        # cold: no preheated kernel, each visit starts a kernel and runs the notebook
        with helpers.running_voila(replace(base, preheat=False)) as server:
            url, process = _url_and_process(server)
            cold = [page_load_seconds(browser, url) for _ in range(loads)]
        cold_fig, cold_app = [c[0] for c in cold], [c[1] for c in cold]
        res.figure(b, "voila.cold", "Premier chiffre clé visible, à froid (médiane)",
                   statistics.median(cold_fig), "s",
                   f"{loads} visites : {_times(cold_fig)}")
        res.figure(b, "voila.cold_usable", "Application utilisable (choix de la commune "
                   "affiché), à froid (médiane)", statistics.median(cold_app), "s",
                   f"{loads} visites : {_times(cold_app)}")
        # preheated: wait until the pool kernels have run the notebook before each visit
        with helpers.running_voila(replace(base, preheat=True)) as server:
            url, process = _url_and_process(server)
            warm, waited = [], []
            for _ in range(loads):
                waited.append(wait_idle(process.pid))
                warm.append(page_load_seconds(browser, url))
            warm_fig, warm_app = [w[0] for w in warm], [w[1] for w in warm]
            res.figure(b, "voila.preheated", "Premier chiffre clé visible, noyau préchauffé "
                       "(médiane)", statistics.median(warm_fig), "s",
                       f"{loads} visites : {_times(warm_fig)} ; titre et chiffres clés écrits "
                       "dans la page par le modèle `cdv`, avant les widgets ; attente du "
                       f"préchauffage avant chaque visite : {_times(waited, digits=1)}")
            res.figure(b, "voila.preheated_usable", "Application utilisable (choix de la "
                       "commune affiché), noyau préchauffé (médiane)",
                       statistics.median(warm_app), "s", f"{loads} visites : {_times(warm_app)}")
            wait_idle(process.pid)
            changes = commune_changes(browser, url, n=2 if opts.quick else 6)
            if changes:
                res.figure(b, "voila.commune_change", "Changement de commune → nouveaux "
                           "chiffres clés et graphique (médiane)", statistics.median(changes),
                           "ms", f"{len(changes)} changements : {_times(changes, 'ms', 0)}")
        # bounded load test: one Chromium page and protocol-level visitors for the others
        sessions = 3 if opts.quick else opts.sessions
        pool = int(opts.extra.get("pool_size") or base.pool_size)
        res.extra["sessions"] = sessions
        if pool != base.pool_size and not opts.quick:
            # the same load on the default pool of `cdv serve`, for reference
            with helpers.running_voila(base) as server:
                url, process = _url_and_process(server)
                wait_idle(process.pid, timeout=300.0, quiet_for=3.0)
                ref = mixed_load_test(browser, url, process.pid, sessions=sessions, pages=1)
            res.figure(b, "voila.load_seconds_default_pool",
                       f"Dernière des {sessions} sessions utilisable, pool par défaut de "
                       f"{base.pool_size} noyaux (référence)", ref["load_seconds"], "s",
                       f"chargées {ref['loaded']}/{sessions} ; premier chiffre clé : la plus "
                       "lente " + (f"{fmt_number(max(ref['figure_s']), 1)} s, médiane "
                                   f"{fmt_number(statistics.median(ref['figure_s']), 1)} s"
                                   if ref["figure_s"] else "—")
                       + f" ; CPU serveur {fmt_number(ref['cpu_server_s'], 1)} s")
        with helpers.running_voila(replace(base, pool_size=pool)) as server:
            url, process = _url_and_process(server)
            waited = wait_idle(process.pid, timeout=300.0, quiet_for=3.0)
            pool_rss, pool_pss = kernel_memory_mb(process.pid)
            load = mixed_load_test(browser, url, process.pid, sessions=sessions, pages=1)
        res.figure(b, "voila.pool_fill", f"Remplissage du pool de {pool} noyaux préchauffés",
                   waited, "s", f"avant le test de charge ; {len(pool_rss)} noyaux, RSS médiane "
                   f"{fmt_number(statistics.median(pool_rss), 0) if pool_rss else '?'} Mo"
                   + (f", PSS médiane {fmt_number(statistics.median(pool_pss), 0)} Mo"
                      if pool_pss else ""))
    res.figure(b, "voila.load_ok", f"Sessions simultanées chargées et ayant répondu "
               f"(sur {sessions})", min(load["loaded"], load["responded"]), "sessions",
               f"chargées {load['loaded']}, ont répondu {load['responded']} ; les {sessions} "
               f"sessions ouvertes ensemble ({load['pages']} page Chromium, "
               f"{sessions - load['pages']} visiteurs au niveau du protocole), pool de {pool} "
               "noyaux préchauffés"
               + (f" ; erreurs : {', '.join(sorted(set(load['errors'])))}"
                  if load["errors"] else ""))
    res.figure(b, "voila.load_seconds", f"Temps jusqu'à la dernière des {sessions} sessions "
               "utilisable", load["load_seconds"], "s",
               (f"premier chiffre clé : médiane {fmt_number(statistics.median(load['figure_s']), 1)}"
                f" s, dernier {fmt_number(max(load['figure_s']), 1)} s ; application "
                f"utilisable : médiane {fmt_number(statistics.median(load['usable_s']), 1)} s"
                if load["usable_s"] else ""))
    cpu_total = load["cpu_server_s"] + load["cpu_browser_s"] + load.get("cpu_client_s", 0.0)
    res.figure(b, "voila.load_cpu", "CPU consommé pendant le chargement des sessions",
               cpu_total, "s",
               f"serveur (Voilà et noyaux) {fmt_number(load['cpu_server_s'], 1)} s, Chromium "
               f"({load['pages']} page) {fmt_number(load['cpu_browser_s'], 1)} s, visiteurs au "
               f"niveau du protocole {fmt_number(load.get('cpu_client_s', 0.0), 1)} s ; "
               f"{fmt_number(load['wall_s'], 1)} s écoulées × {psutil.cpu_count()} cœurs = "
               f"{fmt_number(load['wall_s'] * (psutil.cpu_count() or 1), 0)} s disponibles")
    if load["figure_s"]:
        res.figure(b, "voila.load_figure_max", f"Premier chiffre clé, la plus lente des "
                   f"{sessions} sessions", max(load["figure_s"]), "s",
                   f"médiane {fmt_number(statistics.median(load['figure_s']), 2)} s ; page "
                   "Chromium : " + (_times(load["page_figure_s"]) if load["page_figure_s"]
                                    else "non chargée"))
    res.extra["voila_load_cpu_limit"] = (
        f"{sessions} sessions pour un pool de {pool} noyaux préchauffés : les autres démarrent "
        f"un noyau et exécutent le notebook ; CPU serveur {fmt_number(load['cpu_server_s'], 0)} s"
        f" en {fmt_number(load['wall_s'], 0)} s sur {psutil.cpu_count()} cœurs partagés")
    if not opts.quick:
        last = load["load_seconds"] if load["usable_s"] else None
        ok = last is not None and load["loaded"] == sessions and last <= LOAD_USABLE_S
        res.target(b, "target.voila_load_usable", f"{sessions} sessions ouvertes ensemble, "
                   "toutes utilisables", f"{fmt_number(last, 1)} s" if last is not None
                   else "non chargées", f"≤ {fmt_number(LOAD_USABLE_S, 0)} s", ok,
                   res.extra.get("voila_load_cpu_limit", ""))
        worst = max(load["figure_s"]) if load["figure_s"] else None
        res.target(b, "target.voila_load_figure", "chaque session montre ses chiffres clés",
                   f"{fmt_number(worst, 2)} s (la plus lente)" if worst is not None else "—",
                   f"≤ {fmt_number(LOAD_FIGURE_S, 0)} s",
                   worst is not None and worst <= LOAD_FIGURE_S and len(load["figure_s"]) == sessions,
                   res.extra.get("voila_load_cpu_limit", ""))
        # a kernel at rest with the notebook executed (the preheated pool before the test):
        # after the test the pool's new kernels are still starting and weigh less
        med = statistics.median(pool_rss) if pool_rss else None
        res.target(b, "target.voila_kernel_mb", "mémoire par noyau préchauffé, notebook "
                   "exécuté (RSS, médiane)",
                   f"{fmt_number(med, 0)} Mo" if med is not None else "—",
                   f"≤ {fmt_number(KERNEL_RSS_MB, 0)} Mo", med is not None and med <= KERNEL_RSS_MB,
                   "RSS compte les bibliothèques partagées par tous les noyaux ; PSS, qui "
                   "les répartit, médiane "
                   + (f"{fmt_number(statistics.median(pool_pss), 0)} Mo"
                      if pool_pss else "?")
                   + f" ; à l'import, {import_breakdown()}")
    if load["respond_ms"]:
        res.figure(b, "voila.load_respond", "Changement de commune sous charge (médiane)",
                   statistics.median(load["respond_ms"]), "ms",
                   f"max {fmt_number(max(load['respond_ms']), 0)} ms")
    rss, pss = load["kernel_rss_mb"], load["kernel_pss_mb"]
    if rss:
        res.figure(b, "voila.session_mb", "Mémoire des noyaux à la fin du chargement (RSS, "
                   "médiane)", statistics.median(rss), "Mo",
                   f"{len(rss)} noyaux : les sessions et le pool qui se remplit à nouveau (ses "
                   f"noyaux en cours de démarrage pèsent moins), total {fmt_number(sum(rss), 0)} Mo, "
                   f"max {fmt_number(max(rss), 0)} Mo"
                   + (f" ; PSS (pages partagées réparties) médiane "
                      f"{fmt_number(statistics.median(pss), 0)} Mo, total "
                      f"{fmt_number(sum(pss), 0)} Mo" if pss else ""))
    parts = []
    if res.get("voila.cold") and res.get("voila.preheated"):
        c, p = res.get("voila.cold").value, res.get("voila.preheated").value
        cu = res.get("voila.cold_usable").value
        pu = res.get("voila.preheated_usable").value
        res.extra["voila_ratio_limit"] = (
            f"à froid {fmt_number(c, 2)} s = démarrage du noyau + exécution du notebook ; "
            f"préchauffé {fmt_number(p, 2)} s = réception de la page (chiffres clés écrits "
            f"dedans) ; application utilisable : à froid {fmt_number(cu, 2)} s, préchauffé "
            f"{fmt_number(pu, 2)} s ({fmt_number(cu / pu, 1)}×)")
        res.extra["voila_preheated_limit"] = (
            f"{fmt_number(p, 2)} s : page reçue et affichée (le noyau a déjà tout calculé) ; "
            f"application utilisable à {fmt_number(pu, 2)} s : scripts de Voilà, connexion "
            "au noyau, état et rendu des widgets")
        parts.append(f"Le préchauffage évite {fmt_number(c - p, 2)} s par visite : le noyau "
                     "démarre, importe les bibliothèques, charge les données et calcule les "
                     "chiffres clés avant l'arrivée du visiteur. Les chiffres clés sont écrits "
                     "dans la page (modèle `cdv`) et lisibles avant que les scripts de Voilà "
                     f"et les widgets soient prêts ({fmt_number(pu, 2)} s préchauffé).")
    if res.get("voila.commune_change"):
        res.extra["voila_change_limit"] = (
            "calcul des chiffres clés et des tableaux de l'onglet ouvert pour la commune, "
            "dessin matplotlib, aller-retour websocket")
    if load["respond_ms"] and pool > 2:
        parts.append(f"Sous charge, un changement de commune a pris "
                     f"{fmt_number(statistics.median(load['respond_ms']), 0)} ms (médiane, max "
                     f"{fmt_number(max(load['respond_ms']), 0)} ms) : les {sessions} sessions "
                     f"ayant pris les noyaux du pool, Voilà en redémarre {pool} au même moment "
                     "(une seconde après), qui prennent le CPU des sessions.")
    if rss:
        at_rest = statistics.median(pool_rss) if pool_rss else statistics.median(rss)
        parts.append(f"Chaque session garde son noyau : {fmt_number(at_rest, 0)}"
                     f" Mo de RSS (médiane, noyau préchauffé au repos) ; {len(rss)} noyaux occupent "
                     f"{fmt_number(sum(rss), 0)} Mo de RSS"
                     + (f", {fmt_number(sum(pss), 0)} Mo en PSS (pages partagées comptées "
                        "une fois)." if pss else "."))
    if cpu_total:
        client = load["cpu_browser_s"] + load.get("cpu_client_s", 0.0)
        parts.append(f"Test de charge : {fmt_number(load['cpu_server_s'], 1)} s de CPU pour le "
                     f"serveur et ses noyaux ; le générateur de charge, sur les mêmes cœurs, "
                     f"{fmt_number(client, 1)} s ({fmt_number(100 * client / cpu_total, 0)} % du "
                     f"total) : {load['pages']} page Chromium "
                     f"({fmt_number(load['cpu_browser_s'], 1)} s) et "
                     f"{sessions - load['pages']} visiteurs au niveau du protocole "
                     f"({fmt_number(load.get('cpu_client_s', 0.0), 1)} s : page, websocket du "
                     "noyau, états des widgets, changement de commune, sans dessin).")
    if load["loaded"] < sessions or load["responded"] < load["loaded"]:
        res.extra["voila_load_limit"] = (
            f"{sessions - load['loaded']} sessions non chargées dans le délai ; "
            f"CPU : serveur {fmt_number(load['cpu_server_s'], 0)} s, Chromium "
            f"{fmt_number(load['cpu_browser_s'], 0)} s en {fmt_number(load['wall_s'], 0)} s "
            "sur les cœurs disponibles")
    for p in parts:
        res.finding(b, p)
