"""Engine.IO pings answered by the session: a real python-socketio server (aiohttp) with
a short ping timeout keeps the window's session connected while events arrive, and a
Socket.IO event emitted from the Format tab gets its ack; with the switch off the
server drops us. A "2" from a server that did not open an Engine.IO session is left
unanswered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from inspector.capture.events import ConnectionState, Direction
from inspector.capture.store import CaptureStore
from inspector.gui.compose.forms import SocketIOForm
from inspector.gui.session.controller import SessionController

pytestmark = pytest.mark.gui

Until = Callable[..., Awaitable[None]]
PING_INTERVAL, PING_TIMEOUT = 0.2, 0.3


def _texts(store: CaptureStore, direction: Direction) -> list[bytes]:
    out = []
    for r in range(len(store)):
        if store.direction(r) is direction and store.opcode(r) == 1:
            message = store.message_for(r)
            out.append(message.data if message is not None else bytes(store.payloads[r]))
    return out


@contextlib.asynccontextmanager
async def _socketio_server() -> AsyncIterator[str]:
    """A python-socketio server that pings every 0.2 s, drops a client after 0.3 s
    without a pong, sends "tick" events and acknowledges "chat"; yields its URL."""
    import socketio
    from aiohttp import web

    server = socketio.AsyncServer(
        async_mode="aiohttp", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    app = web.Application()
    server.attach(app)
    ticks: list[asyncio.Task[None]] = []

    async def tick(sid: str) -> None:
        for n in range(1000):
            await server.emit("tick", n, to=sid)
            await asyncio.sleep(0.1)

    @server.event  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: Any) -> None:
        ticks.append(asyncio.ensure_future(tick(sid)))

    @server.on("chat")  # type: ignore[untyped-decorator]
    async def chat(sid: str, text: str, extra: Any) -> tuple[str, str]:
        return ("got", text)

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}/socket.io/?EIO=4&transport=websocket"
    finally:
        for task in ticks:
            task.cancel()
        await asyncio.wait_for(runner.cleanup(), 10)


@pytest.mark.slow
def test_a_socketio_session_stays_connected_and_gets_its_ack(
    window: Any, arun: Any, until: Until
) -> None:
    panel = window.current_panel()
    assert panel is not None
    pane = panel.compose
    controller: SessionController = panel.controller

    async def scenario() -> None:
        async with _socketio_server() as url:
            panel.connect_to(url)
            await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
            store = controller.store
            assert store is not None
            await until(lambda: _texts(store, Direction.IN), 3, "the Engine.IO open")
            assert _texts(store, Direction.IN)[0].startswith(b'0{"sid"')

            pane.tabs.setCurrentIndex(pane.TAB_FORMAT)
            pane.format.select("socket.io")
            form = pane.format.form
            assert isinstance(form, SocketIOForm)
            form.kind.setCurrentIndex(form.KINDS.index("connect"))
            await until(pane.send_button.isEnabled, 2, "Send enabled")
            assert pane.send_current()  # "40": join the default namespace
            await until(
                lambda: any(t.startswith(b"40{") for t in _texts(store, Direction.IN)),
                3,
                "the namespace's CONNECT",
            )
            # Several ping timeouts go by: the session answers every ping itself.
            await asyncio.sleep(6 * (PING_INTERVAL + PING_TIMEOUT))
            assert controller.is_open  # not dropped
            received = _texts(store, Direction.IN)
            pings = received.count(b"2")
            assert pings >= 4
            assert _texts(store, Direction.OUT).count(b"3") >= pings - 1
            assert sum(t.startswith(b'42["tick",') for t in received) >= 10

            form.kind.setCurrentIndex(form.KINDS.index("event"))
            form.event_name.setText("chat")
            form.args.setPlainText('["hello", {"n": 1}]')
            form.ack.setText("7")
            assert pane.send_current()
            assert pane.history.list.item(0).text().startswith('TEXT  socket.io EVENT "chat"')
            await until(lambda: b'437["got","hello"]' in _texts(store, Direction.IN), 3, "the ack")
            controller.close_connection()
            await until(lambda: controller.state is ConnectionState.CLOSED, 5, "closed")

    arun(scenario(), 30)


@pytest.mark.slow
def test_with_the_switch_off_the_server_drops_us(window: Any, arun: Any, until: Until) -> None:
    panel = window.current_panel()
    assert panel is not None
    controller: SessionController = panel.controller
    controller.options = replace(controller.options, engineio_pongs=False)

    async def scenario() -> None:
        async with _socketio_server() as url:
            panel.connect_to(url)
            await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
            store = controller.store
            assert store is not None
            await until(
                lambda: controller.state is ConnectionState.CLOSED,
                10 * (PING_INTERVAL + PING_TIMEOUT),
                "the server dropping an unanswered client",
            )
            assert b"3" not in _texts(store, Direction.OUT)

    arun(scenario(), 30)


def test_only_an_engineio_session_is_answered(
    make_window: Any, echo_server: Any, arun: Any, until: Until
) -> None:
    """Our echo server sends back what we send: first a "2" (no Engine.IO session: not
    answered), then, on a new connection, an Engine.IO OPEN and a "2" (answered)."""
    window = make_window()
    panel = window.current_panel()
    controller: SessionController = panel.controller

    async def one(first: str) -> CaptureStore:
        panel.connect_to(echo_server.url)
        await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
        store = controller.store
        assert store is not None
        assert controller.send_text(first)
        assert controller.send_text("2")
        await until(lambda: len(_texts(store, Direction.IN)) >= 2, 3, "echoes")
        await asyncio.sleep(0.1)  # time for an answer that must not come
        controller.close_connection()
        await until(lambda: controller.state is ConnectionState.CLOSED, 5, "closed")
        return store

    async def scenario() -> None:
        plain = await one("hello")
        assert _texts(plain, Direction.OUT) == [b"hello", b"2"]
        opened = await one('0{"sid":"abc","pingInterval":25000,"pingTimeout":20000}')
        assert _texts(opened, Direction.OUT)[-1] == b"3"
        # The echoed "3" is no ping: answered once.
        assert _texts(opened, Direction.OUT).count(b"3") == 1

    arun(scenario(), 20)
