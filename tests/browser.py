"""Shared helpers for tests with real components: a real Voilà server on a free local port
and a headless Debian Chromium driven by Playwright (nothing is downloaded).

    with voila_server() as url:              # real `cdv serve` configuration
        with chromium_page() as page:
            page.goto(url)
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from cdv_lib.serve import ServeConfig, free_port, start, stop, wait_until_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class RunningServer:
    """A started Voilà server: base URL, process, and its log file."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, size: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]


@contextmanager
def voila_server(config: ServeConfig | None = None, *, timeout: float = 120.0,
                 ) -> Iterator[str]:
    """Start the real Voilà server on a free port of 127.0.0.1 and yield its base URL.

    *config* defaults to the ``cdv serve`` configuration (the app notebook, embedded
    data); its host and port are replaced. The server's log goes to a temporary file,
    shown if it fails to start. The server and its kernels are stopped on exit.
    """
    with running_voila(config, timeout=timeout) as server:
        yield server.url


@contextmanager
def running_voila(config: ServeConfig | None = None, *, timeout: float = 120.0,
                  ) -> Iterator[RunningServer]:
    """Like :func:`voila_server`, yielding a :class:`RunningServer`."""
    config = replace(config or ServeConfig(), host="127.0.0.1", port=free_port())
    fd, name = tempfile.mkstemp(prefix="voila-", suffix=".log")
    log_path = Path(name)
    with os.fdopen(fd, "wb") as log:
        process = start(config, stdout=log, stderr=log)
    server = RunningServer(config.url(), process, log_path)
    try:
        try:
            wait_until_ready(config.url(), timeout=timeout, process=process)
        except Exception:
            raise RuntimeError(f"Voilà n'a pas démarré ; journal :\n{server.log_tail()}") from None
        yield server
    finally:
        stop(process)
        log_path.unlink(missing_ok=True)


def chromium_available() -> bool:
    return CHROMIUM.exists() and shutil.which(str(CHROMIUM)) is not None


def require_chromium() -> None:
    """Skip the calling test when Debian's Chromium is not installed."""
    if not chromium_available():
        pytest.skip(f"Chromium absent ({CHROMIUM}) : installer le paquet Debian `chromium` "
                    "(bash scripts/test.sh le fait)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("le paquet Python playwright n'est pas installé")


@contextmanager
def chromium_browser():
    """Launch headless Debian Chromium through Playwright and yield the Browser."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page(*, timeout_ms: float = 30_000):
    """Yield a fresh page (French locale) of a headless Chromium."""
    with chromium_browser() as browser:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(timeout_ms)
        try:
            yield context.new_page()
        finally:
            context.close()


def raw_get(base_url: str, path: str, *, max_redirects: int = 5,
            ) -> tuple[int, bytes, list[str]]:
    """GET *path* exactly as written (no dot-segment normalisation, no re-encoding),
    following redirects. Returns (final status, body, list of visited paths)."""
    parts = urlsplit(base_url)
    visited = [path]
    for _ in range(max_redirects + 1):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Accept": "*/*"})
            response = conn.getresponse()
            body = response.read()
            status = response.status
            location = response.getheader("Location")
        finally:
            conn.close()
        if status in (301, 302, 303, 307, 308) and location:
            if location.startswith("/"):
                path = location  # as sent: a client normalising ".." would hide traversal
            else:
                target = urlsplit(urljoin(base_url.rstrip("/") + path, location))
                path = target.path + (f"?{target.query}" if target.query else "")
            visited.append(path)
            continue
        return status, body, visited
    return status, body, visited
