"""A protocol-level Voilà visitor: what a browser asks of the server, without a browser.

One :func:`visit` does what the page's scripts do, over HTTP and the kernel websocket:

1. ``GET`` the app page; the first key figure is "visible" when the bytes holding the first
   ``cdv-kpi`` element have arrived (the ``cdv`` template writes the key figures into the
   page, before Voilà's scripts);
2. open the kernel's websocket (``/api/kernels/<kernelId>/channels``, the id the page
   carries in ``jupyter-config-data``), ask ``kernel_info`` as JupyterLab's kernel
   connection does, then open the ipywidgets control comm and ask the state of every widget
   (``request_states``): the app is "usable" when the states have arrived, the commune
   selector among them;
3. change the commune: an ``update`` of the selector's ``index`` (what the widget's view
   sends), answered when the key figure cards' new HTML (a new ``data-scope``) comes back.

Nothing is drawn: the load generator costs a fraction of a Chromium page, so that a load
test of twenty sessions measures the server rather than twenty browsers on the same cores
(``cdv bench`` runs 19 of these and 1 Chromium page).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

KPI_MARK = b'class="cdv-kpi'
CONTROL_PROTOCOL = "1.0.0"  # ipywidgets' control comm (request_states), ipywidgets >= 8
WIDGET_PROTOCOL = "2.1.0"
_CONFIG = re.compile(rb'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>',
                     re.S)
_SCOPE = re.compile(r'data-scope="([^"]*)"')


@dataclass
class Visit:
    """Times of one visit, in seconds from its start (``None`` when not reached)."""

    figure: float | None = None
    page: float | None = None
    usable: float | None = None
    respond: float | None = None
    kernel_id: str | None = None
    error: str | None = None
    scopes: list[str] = field(default_factory=list)


def _message(msg_type: str, content: dict, session: str, channel: str = "shell",
             metadata: dict | None = None) -> dict:
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "bench",
                   "session": session, "date": "", "version": "5.3"},
        "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": channel,
        "buffers": [],
    }


async def visit(url: str, *, change: bool = True, timeout: float = 120.0) -> Visit:
    """One visitor of the app at *url* (base URL, with ``?token=`` if any)."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    out = Visit()
    t0 = time.perf_counter()
    chunks: list[bytes] = []

    def on_chunk(data: bytes) -> None:
        if out.figure is None and KPI_MARK in (chunks[-1][-64:] if chunks else b"") + data:
            out.figure = time.perf_counter() - t0
        chunks.append(data)

    try:
        client = AsyncHTTPClient(force_instance=True)
        try:
            await client.fetch(HTTPRequest(url, streaming_callback=on_chunk,
                                           request_timeout=timeout, follow_redirects=True))
        finally:
            client.close()
        out.page = time.perf_counter() - t0
        body = b"".join(chunks)
        match = _CONFIG.search(body)
        if not match:
            raise RuntimeError("page sans jupyter-config-data")
        config = json.loads(match.group(1))
        out.kernel_id = config["kernelId"]
        parts = urlsplit(url)
        base = config.get("baseUrl") or "/"
        session = uuid.uuid4().hex
        ws_url = urlunsplit(("ws", parts.netloc,
                             f"{base.rstrip('/')}/api/kernels/{out.kernel_id}/channels",
                             f"session_id={session}" + (f"&{parts.query}" if parts.query else ""),
                             ""))
        ws = await asyncio.wait_for(websocket_connect(ws_url), timeout)
        try:
            await _usable_and_change(ws, out, session, t0, change=change, timeout=timeout)
        finally:
            ws.close()
    except Exception as exc:  # a visit's failure is a measurement, not a crash
        out.error = f"{type(exc).__name__}: {exc}"[:300]
    return out


async def _read(ws, timeout: float) -> dict:
    raw = await asyncio.wait_for(ws.read_message(), timeout)
    if raw is None:
        raise ConnectionError("websocket fermée par le serveur")
    if isinstance(raw, bytes):  # a message with buffers: jupyter_server's binary framing
        import struct

        nbufs = struct.unpack("!I", raw[:4])[0]
        offsets = struct.unpack("!" + "I" * nbufs, raw[4:4 * (nbufs + 1)])
        end = offsets[1] if nbufs > 1 else len(raw)
        return json.loads(raw[offsets[0]:end])
    return json.loads(raw)


async def _usable_and_change(ws, out: Visit, session: str, t0: float, *, change: bool,
                             timeout: float) -> None:
    info = _message("kernel_info_request", {}, session)
    await ws.write_message(json.dumps(info))
    while True:
        msg = await _read(ws, timeout)
        if msg.get("msg_type") == "kernel_info_reply":  # the server's nudge may answer first
            break
    comm_id = uuid.uuid4().hex
    await ws.write_message(json.dumps(_message(
        "comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control",
                      "data": {}}, session, metadata={"version": CONTROL_PROTOCOL})))
    await ws.write_message(json.dumps(_message(
        "comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}}, session)))
    states = None
    while states is None:
        msg = await _read(ws, timeout)
        content = msg.get("content") or {}
        data = content.get("data") or {}
        if msg.get("msg_type") == "comm_msg" and content.get("comm_id") == comm_id \
                and data.get("method") == "update_states":
            states = data.get("states") or {}
    select = cards = None
    for model_id, entry in states.items():
        state = entry.get("state", {})
        classes = state.get("_dom_classes") or []
        if "cdv-commune" in classes:
            select = (model_id, state)
        if "cdv-cards" in classes:
            cards = (model_id, state)
    if select is None or cards is None:
        raise RuntimeError("choix de la commune ou chiffres clés absents des widgets")
    out.usable = time.perf_counter() - t0
    old = _SCOPE.search(cards[1].get("value") or "")
    out.scopes.append(old.group(1) if old else "")
    if not change:
        return
    t1 = time.perf_counter()
    await ws.write_message(json.dumps(_message(
        "comm_msg", {"comm_id": select[0], "data": {"method": "update", "state": {"index": 1},
                                                    "buffer_paths": []}}, session,
        metadata={"version": WIDGET_PROTOCOL})))
    while True:
        msg = await _read(ws, timeout)
        content = msg.get("content") or {}
        data = content.get("data") or {}
        if msg.get("msg_type") == "comm_msg" and content.get("comm_id") == cards[0] \
                and data.get("method") in ("update", "echo_update"):
            value = (data.get("state") or {}).get("value")
            new = _SCOPE.search(value or "")
            if new and new.group(1) not in out.scopes:
                out.scopes.append(new.group(1))
                out.respond = time.perf_counter() - t1
                return


async def visits(url: str, n: int, *, change: bool = True, timeout: float = 120.0,
                 ) -> list[Visit]:
    """*n* visitors starting together."""
    return list(await asyncio.gather(*(visit(url, change=change, timeout=timeout)
                                       for _ in range(n))))


def run_visits(url: str, n: int, **kwargs) -> list[Visit]:
    """:func:`visits` from synchronous code (its own event loop)."""
    return asyncio.run(visits(url, n, **kwargs))
