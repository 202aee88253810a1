"""The GUI's proxy adapter against real peers on loopback (a websockets client
through the proxy to a websockets echo server): coalesced rows, a read-only
controller that follows a connection live, journals, and stopping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from inspector.capture.events import ConnectionState, Direction, SessionInfo, SessionRole
from inspector.capture.store import CaptureStore
from inspector.gui.session.controller import SessionController
from inspector.gui.session.proxy import (
    ConnectionRow,
    ProxyOptions,
    ProxyRunner,
    follow_connection,
    handshake_legs,
)

pytestmark = pytest.mark.gui


def _runner(upstream: str, **kwargs: Any) -> ProxyRunner:
    return ProxyRunner("127.0.0.1", 0, ProxyOptions(upstream=upstream, proxy=""), **kwargs)


def test_rows_come_in_batches_not_per_frame(
    loop: Any, arun: Callable[..., Any], ws_server: str, until: Callable[..., Any]
) -> None:
    runner = _runner(ws_server)
    batches: list[tuple[list[ConnectionRow], list[ConnectionRow]]] = []
    runner.rowsUpdated.connect(lambda new, changed: batches.append((new, changed)))

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url) as ws:
            for i in range(300):
                await ws.send(f"m{i}")
                assert await ws.recv() == f"m{i}"
            await until(lambda: bool(batches) and runner.rows()[0].frames >= 600, what="all frames")
            await until(lambda: runner._shown[1].frames >= 600, what="the last tick")
        await until(lambda: runner._shown[1].closed, what="the closed row")
        await runner.stop()

    arun(scenario(), 20)
    new = [r for n, _ in batches for r in n]
    assert [r.conn for r in new] == [1]  # one new row, once
    assert len(batches) == runner.batches
    assert runner.batches < 600 / 10  # coalesced: far fewer signals than frames
    last = [c for _, changed in batches for c in changed][-1]
    assert last.closed and last.frames >= 600 and last.bytes > 0
    assert not runner.running


def test_a_controller_follows_a_connection_live(
    loop: Any, arun: Callable[..., Any], ws_server: str, until: Callable[..., Any]
) -> None:
    runner = _runner(ws_server)
    controller = SessionController()
    updates: list[int] = []
    states: list[ConnectionState] = []
    controller.captureUpdated.connect(updates.append)
    controller.stateChanged.connect(lambda e: states.append(e.state))

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url) as ws:
            await ws.send("before")
            await ws.recv()
            conn = runner.connection(1)
            assert conn is not None and conn.store is not None
            with pytest.raises(ValueError):
                follow_connection(controller, conn)  # not shown yet
            controller.show_store(conn.store)
            follow_connection(controller, conn)
            assert controller.read_only and controller.store is conn.store
            assert len(handshake_legs(conn.store)) == 4
            shown = len(updates)
            await ws.send("after")
            await ws.recv()
            await until(lambda: len(updates) > shown, what="a live tick")
        await until(lambda: ConnectionState.CLOSED in states, what="the close, live")
        store = controller.store
        assert store is not None
        dirs = [store.direction(r) for r in range(len(store))]
        assert dirs.count(Direction.OUT) >= 3 and dirs.count(Direction.IN) >= 3
        await runner.stop()

    arun(scenario(), 20)


def test_showing_another_store_stops_following(
    loop: Any, arun: Callable[..., Any], ws_server: str, until: Callable[..., Any]
) -> None:
    runner = _runner(ws_server)
    controller = SessionController()

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url) as ws:
            await ws.send("x")
            await ws.recv()
            conn = runner.connection(1)
            assert conn is not None and conn.store is not None
            controller.show_store(conn.store)
            follow_connection(controller, conn)
            assert controller._on_event in conn._listeners
            other = CaptureStore(
                SessionInfo(url="ws://x/", role=SessionRole.CLIENT, started_at="", started_unix=0)
            )
            controller.show_store(other)
            assert controller._on_event not in conn._listeners
            await ws.send("y")
            await ws.recv()
            assert len(other) == 0
        await runner.stop()

    arun(scenario(), 20)


def test_journals_live_until_the_tab_lets_go_and_detach_stops_the_proxy(
    loop: Any, arun: Callable[..., Any], ws_server: str, until: Callable[..., Any], tmp_path: Path
) -> None:
    journals = tmp_path / "journals"
    runner = _runner(ws_server, journal_dir=str(journals))

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url) as ws:
            await ws.send("kept")
            await ws.recv()
            await until(lambda: any(journals.iterdir()), what="a journal on disk")
            runner.detach()  # the tab goes: journals deleted, the proxy stops itself
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1001
        assert not any(journals.iterdir())
        assert not runner.running

    arun(scenario(), 20)


def test_a_port_in_use_fails_with_the_reason(
    loop: Any, arun: Callable[..., Any], ws_server: str
) -> None:
    first = _runner(ws_server)
    failures: list[str] = []

    async def scenario() -> None:
        assert await first.start()
        second = ProxyRunner(
            "127.0.0.1", first.server.port, ProxyOptions(upstream=ws_server, proxy="")
        )
        second.failed.connect(failures.append)
        assert not await second.start()
        assert not second.running
        await first.stop()

    arun(scenario())
    assert failures and failures[0].startswith(f"cannot listen on 127.0.0.1:{first.server.port}")
