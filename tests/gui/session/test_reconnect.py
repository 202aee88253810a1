"""Reconnecting a tab (inspector.gui.session.reconnect and the controller's part):
the preamble read back from a capture, and a tab against a websockets server that
drops connections: attempts counted, the preamble replayed, each attempt's capture
kept in a tab of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import qasync

from inspector.gui.copyout.menu import CopyMenu
from inspector.gui.session.controller import Backoff, ReconnectPolicy
from inspector.gui.session.reconnect import PreambleMessage, Reconnecting, preamble_of
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.protocol.constants import Opcode

pytestmark = pytest.mark.gui


def test_the_preamble_is_what_was_sent_before_the_mark(capture: Any) -> None:
    cap = capture()
    cap.send(lambda p: p.send_text("login"))
    cap.send(lambda p: p.send_binary(b"\x01\x02", fragments=2))
    cap.receive_bytes(b"\x81\x02ok")
    cap.send(lambda p: p.send_text("query"))
    store = cap.store
    everything = [
        PreambleMessage(Opcode.TEXT, b"login"),
        PreambleMessage(Opcode.BINARY, b"\x01\x02"),
        PreambleMessage(Opcode.TEXT, b"query"),
    ]
    assert preamble_of(store) == everything
    query_row = len(store) - 1
    assert preamble_of(store, query_row) == everything[:2]
    assert preamble_of(store, 0) == []


def test_the_pauses_grow_and_the_attempts_end() -> None:
    reconnecting = Reconnecting(ReconnectPolicy(3, Backoff(first=0.5, longest=0.8)))
    assert reconnecting.next_pause(0.1) == 0.5 and reconnecting.attempt == 2
    assert reconnecting.describe_next(0.5) == "the connection dropped: attempt 2 of 3 in 0.5 s"
    assert reconnecting.next_pause(0.1) == 0.8 and reconnecting.attempt == 3
    assert reconnecting.next_pause(0.1) is None


@pytest.fixture
def dropping_server(loop: qasync.QEventLoop) -> Iterator[tuple[str, list[list[str]]]]:
    """A websockets server that ends the first connection when it gets "query", and
    every later one as soon as it gets "login": what each connection received."""
    from websockets.asyncio.server import ServerConnection, serve

    seen: list[list[str]] = []

    async def handler(ws: ServerConnection) -> None:
        got: list[str] = []
        seen.append(got)
        async for message in ws:
            assert isinstance(message, str)
            got.append(message)
            if message == "query" or (len(seen) > 1 and message == "login"):
                await ws.close(1012, "restarting")

    async def start() -> Any:
        return await serve(handler, "127.0.0.1", 0)

    server = loop.run_until_complete(asyncio.wait_for(start(), 5))
    try:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/", seen
    finally:
        server.close()
        loop.run_until_complete(asyncio.wait_for(server.wait_closed(), 5))


def test_a_tab_reconnects_replaying_the_preamble_and_keeps_each_attempt(
    window: MainWindow, dropping_server: tuple[str, list[list[str]]], arun: Any, until: Any
) -> None:
    url, seen = dropping_server
    window.show()
    panel = window.current_panel()
    assert panel is not None
    c = panel.controller
    c.reconnect = ReconnectPolicy(3, Backoff(first=0.05, longest=0.2))

    async def scenario() -> None:
        panel.connect_to(url)
        await until(lambda: c.is_open, 5, "open")
        assert c.send_text("login") and c.send_text("extra")
        await until(lambda: c.store is not None and len(c.store) == 2, 5, "two sent")
        # The user marks "extra": the preamble is "login" alone.
        menu = CopyMenu(panel).build_menu(1)
        (mark,) = [a for a in menu.actions() if a.objectName() == "markPreamble"]
        assert mark.isEnabled()
        mark.trigger()
        assert c.preamble_mark == 1
        assert c.send_text("query")
        await until(lambda: len(seen) == 3, 10, "three connections")
        await until(lambda: "gave up after 3 attempts" in panel.banner.message, 10, "the end")

    arun(scenario(), 30)
    assert seen == [["login", "extra", "query"], ["login"], ["login"]]
    # Attempts 1 and 2 kept in tabs of their own; the tab itself shows attempt 3.
    kept = [window.tabs.widget(i) for i in range(window.tabs.count())]
    assert len(kept) == 3
    stores = [p.controller.store for p in kept if isinstance(p, SessionPanel)]
    assert all(s is not None for s in stores) and len({id(s) for s in stores}) == 3


def test_closing_the_tab_ourselves_does_not_reconnect(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    c = panel.controller
    c.reconnect = ReconnectPolicy(3, Backoff(first=0.05))

    async def scenario() -> None:
        panel.connect_to(echo_server.url)
        await until(lambda: c.is_open, 5, "open")
        c.close_connection()
        await until(lambda: c.state is not None and c.state.value == "closed", 5, "closed")
        await asyncio.sleep(0.3)  # past the first pause: nothing was scheduled

    arun(scenario(), 10)
    assert window.tabs.count() == 1 and c._pause is None


def test_cancelling_an_attempt_does_not_reconnect(
    window: MainWindow, arun: Any, until: Any
) -> None:
    """A connection cancelled while it connects never opened, which counts as a drop;
    but the user ended it, so nothing is scheduled."""
    panel = window.current_panel()
    assert panel is not None
    c = panel.controller
    c.reconnect = ReconnectPolicy(3, Backoff(first=0.05))

    accepted: list[int] = []

    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        await reader.read()  # the request is read, and never answered
        writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(never_answers, "127.0.0.1", 0)
        try:
            port = server.sockets[0].getsockname()[1]
            panel.connect_to(f"ws://127.0.0.1:{port}/")
            await until(lambda: c.busy, 2, "connecting")
            await asyncio.sleep(0.1)  # the request is out: waiting for the response
            c.close_connection()
            await until(lambda: not c.busy, 5, "cancelled")
            await asyncio.sleep(0.3)  # past the first pause
        finally:
            server.close()
            await server.wait_closed()

    arun(scenario(), 10)
    assert len(accepted) == 1  # no second attempt
    assert c._pause is None and panel.banner.step != "reconnect"
