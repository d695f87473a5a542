"""Start Voilà (``python -m cdv_lib.app.voila_main``, same arguments as ``python -m voila``)
with a guard against a lost zmq wake-up in the server.

Why: with pyzmq 27 / jupyter_client 8.10 / nbclient 0.11, under load (20 pages requested at
once, 2 cores), a page sometimes stays forever on Voilà's "Running …" page. Observed in
the stuck server: its kernel had run the notebook and sent the ``execute_reply``; the
reply sat in the server's shell socket (``zmq.EVENTS`` reported ``POLLIN``) while nbclient
waited on ``socket.poll()``, a future the event loop was never woken for (the zmq file
descriptor is edge-triggered; the edge was consumed without the socket being re-checked).
No timeout applies (Voilà waits for a cell without limit), so the page waited for ever.

The guard: every :data:`RECHECK_SECONDS`, each asyncio zmq socket that has a pending
``poll`` or ``recv`` is asked for ``zmq.EVENTS``; pyzmq's asyncio socket then hands any
ready message to its waiting future. A lost wake-up now costs at most that delay. Sockets
are tracked in a weak set when they start waiting, so the check touches only those.
"""

from __future__ import annotations

import logging
import sys
import weakref

import zmq
import zmq.asyncio

RECHECK_SECONDS = 0.5

_waiting: weakref.WeakSet = weakref.WeakSet()
_log = logging.getLogger("cdv.serve")


def _track(method_name: str) -> None:
    original = getattr(zmq.asyncio.Socket, method_name)

    def tracked(self, *args, **kwargs):
        _waiting.add(self)
        return original(self, *args, **kwargs)

    tracked.__name__ = original.__name__
    tracked.__doc__ = original.__doc__
    tracked.__wrapped__ = original
    setattr(zmq.asyncio.Socket, method_name, tracked)


def recheck_waiting_sockets() -> int:
    """Ask every tracked socket with a pending receive for its events (pyzmq then
    resolves the waiting future if a message is ready). Returns the number of sockets
    checked; closed or idle sockets are dropped from the set."""
    checked = 0
    stranded: list[str] = []
    for sock in list(_waiting):
        if sock.closed:
            _waiting.discard(sock)
            continue
        if not sock._recv_futures:
            _waiting.discard(sock)
            continue
        try:
            # pyzmq's asyncio Socket.get schedules the handling of its ready events
            if sock.get(zmq.EVENTS) & zmq.POLLIN:
                stranded.append(zmq.SocketType(sock.type).name)
        except zmq.ZMQError:
            _waiting.discard(sock)
            continue
        checked += 1
    if stranded:
        # a ready message with a waiting future at a check is normally one whose wake-up
        # was lost (a wake-up on time is handled before the next check)
        _log.warning("Voilà : %d message(s) zmq prêt(s) non signalé(s), remis (sockets %s)",
                     len(stranded), ", ".join(sorted(stranded)))
    return checked


def install() -> None:
    """Track waiting asyncio zmq sockets (idempotent)."""
    if getattr(zmq.asyncio.Socket.poll, "__wrapped__", None) is None:
        for name in ("poll", "recv", "recv_multipart"):
            _track(name)


def _start_recheck() -> None:
    from tornado.ioloop import PeriodicCallback

    PeriodicCallback(recheck_waiting_sockets, RECHECK_SECONDS * 1000).start()


def main(argv: list[str] | None = None) -> None:
    install()
    from voila import app

    class Voila(app.Voila):  # same name: same log prefix and configuration sections
        def start(self):
            # Voilà's start() runs the loop; the check is scheduled to run in it
            from tornado.ioloop import IOLoop

            IOLoop.current().add_callback(_start_recheck)
            return super().start()

    Voila.launch_instance(argv=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
