"""The guard of cdv_lib.app.voila_main: a zmq wake-up lost by the event loop (the edge of
the socket's file descriptor consumed without pyzmq noticing) leaves a pending poll for
ever; the periodic re-check hands the ready message to it."""

from __future__ import annotations

import asyncio

import zmq
import zmq.asyncio

from cdv_lib.app import voila_main


def test_recheck_resolves_a_poll_whose_wake_up_was_lost():
    voila_main.install()

    async def scenario():
        ctx = zmq.asyncio.Context()
        a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
        try:
            a.bind("inproc://cdv-guard")
            b.connect("inproc://cdv-guard")
            await asyncio.sleep(0.05)
            waiting = b.poll()  # the way jupyter_client waits for a kernel reply
            await asyncio.sleep(0.05)
            assert not waiting.done()
            a.send(b"execute_reply")
            # libzmq's notification is consumed here, outside pyzmq's asyncio socket:
            # the message is ready but the event loop is never woken for it
            assert b._shadow_sock.get(zmq.EVENTS) & zmq.POLLIN
            await asyncio.sleep(0.3)
            lost = not waiting.done()
            checked = voila_main.recheck_waiting_sockets()
            await asyncio.wait_for(waiting, 1.0)
            return lost, checked, waiting.result(), await b.recv()
        finally:
            a.close(0)
            b.close(0)
            ctx.term()

    lost, checked, events, message = asyncio.run(scenario())
    assert lost, "the wake-up was not lost: the scenario no longer reproduces the hang"
    assert checked >= 1
    assert events & zmq.POLLIN
    assert message == b"execute_reply"


def test_recheck_forgets_closed_and_idle_sockets():
    voila_main.install()

    async def scenario():
        ctx = zmq.asyncio.Context()
        s = ctx.socket(zmq.PAIR)
        s.bind("inproc://cdv-guard-idle")
        pending = s.poll(timeout=10)
        await pending  # times out: nothing waits on the socket any more
        idle = voila_main.recheck_waiting_sockets()
        s.close(0)
        ctx.term()
        return idle, s in voila_main._waiting

    idle, still_tracked = asyncio.run(scenario())
    assert idle == 0
    assert not still_tracked
