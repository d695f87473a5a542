"""Accessibility check of a page with axe-core in the real headless Debian Chromium.

axe-core comes from the npm registry, installed by ``bash scripts/test.sh`` into
``.axe/node_modules/axe-core`` (git-ignored); nothing is downloaded at test time.

    assert_accessible("file:///…/out/index.html")        # a URL or a path
    with chromium_page() as page:                           # or a page already loaded
        page.goto(url); ...; assert_accessible(page)

Fails on every violation of impact « serious » or « critical », listing each rule with the
elements it found (CSS selector and HTML excerpt), in French (axe's French locale).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE_DIR = Path(os.environ.get("CDV_AXE_DIR", ROOT / ".axe" / "node_modules" / "axe-core"))
AXE_SCRIPT = AXE_DIR / "axe.min.js"
AXE_LOCALE = AXE_DIR / "locales" / "fr.json"
FAILING_IMPACTS = ("serious", "critical")
# the WCAG A/AA rules and axe's best practices, as the RGAA asks
DEFAULT_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")


def require_axe() -> None:
    """Skip the calling test when axe-core is not installed."""
    if not AXE_SCRIPT.is_file():
        pytest.skip(f"axe-core absent ({AXE_SCRIPT}) : `npm install --prefix .axe axe-core@4` "
                    "(bash scripts/test.sh le fait)")


def run_axe(page, *, tags=DEFAULT_TAGS, context: str | None = None) -> dict:
    """Inject axe-core into *page* (a Playwright page, already loaded) and return the
    results of ``axe.run`` (``violations``, ``incomplete``... as axe gives them)."""
    require_axe()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))
        if AXE_LOCALE.is_file():
            page.evaluate("locale => window.axe.configure({locale})",
                          json.loads(AXE_LOCALE.read_text(encoding="utf-8")))
    options = {"runOnly": {"type": "tag", "values": list(tags)},
               "resultTypes": ["violations"]}
    return page.evaluate(
        "async ([context, options]) => await window.axe.run(context || document, options)",
        [context, options])


def serious_violations(results: dict, impacts=FAILING_IMPACTS) -> list[dict]:
    return [v for v in results.get("violations", []) if v.get("impact") in impacts]


def describe(violations: list[dict], *, max_nodes: int = 8) -> str:
    """The violations as French text: rule, impact, help, and each element found."""
    lines = []
    for v in violations:
        lines.append(f"- [{v.get('impact')}] {v.get('id')} : {v.get('help')} "
                     f"({len(v.get('nodes', []))} élément(s)) — {v.get('helpUrl', '')}")
        for node in v.get("nodes", [])[:max_nodes]:
            target = " ".join(str(t) for t in node.get("target", []))
            snippet = " ".join(str(node.get("html", "")).split())[:160]
            lines.append(f"    {target} : {snippet}")
            summary = " ".join(str(node.get("failureSummary", "")).split())[:300]
            if summary:
                lines.append(f"      {summary}")
        if len(v.get("nodes", [])) > max_nodes:
            lines.append(f"    … et {len(v['nodes']) - max_nodes} autre(s)")
    return "\n".join(lines)


def _goto(page, target: str | os.PathLike) -> None:
    text = str(target)
    if "://" not in text:
        text = Path(text).resolve().as_uri()
    page.goto(text, wait_until="load")


def assert_accessible(target, *, impacts=FAILING_IMPACTS, tags=DEFAULT_TAGS,
                      context: str | None = None, ready: str | None = None) -> dict:
    """Fail when axe-core finds a violation of one of *impacts* on *target*.

    Parameters
    ----------
    target : str, path or Playwright page
        A URL (``http://``, ``file://``), a file path, or a page already loaded (then it is
        checked as it is: wait for the app's widgets before calling).
    impacts : impacts that fail (default « serious » and « critical »).
    tags : axe rule tags to run (default WCAG 2.x A/AA and best practices).
    context : CSS selector of the part of the page to check (default: the whole document).
    ready : CSS selector to wait for before checking a URL (a page drawn by scripts).

    Returns
    -------
    dict : the axe results (for further checks by the caller).
    """
    if hasattr(target, "evaluate"):
        results = run_axe(target, tags=tags, context=context)
    else:
        require_axe()
        from browser import chromium_page

        with chromium_page() as page:
            _goto(page, target)
            if ready:
                page.wait_for_selector(ready)
            results = run_axe(page, tags=tags, context=context)
    found = serious_violations(results, impacts)
    if found:
        where = results.get("url", str(target))
        pytest.fail(f"axe-core : {len(found)} règle(s) d'impact {' ou '.join(impacts)} "
                    f"non respectée(s) sur {where}\n{describe(found)}", pytrace=False)
    return results
