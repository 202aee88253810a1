"""The GUI's server adapter against independent clients on loopback (websockets and
aiohttp): clients numbered and listed in coalesced batches, a controller that drives
one client's connection as its own, sends to all open clients, forgetting closed
clients, journals, and stopping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import connect

from inspector.capture.events import Direction
from inspector.gui.session.controller import SessionController
from inspector.gui.session.server import (
    BroadcastController,
    ClientRow,
    HandshakeAction,
    HandshakeDecision,
    ServerOptions,
    ServerRunner,
    show_client,
)

pytestmark = pytest.mark.gui


def _runner(options: ServerOptions | None = None, **kwargs: Any) -> ServerRunner:
    return ServerRunner("127.0.0.1", 0, options or ServerOptions(), **kwargs)


def test_clients_come_in_batches_not_per_frame(
    loop: Any, arun: Callable[..., Any], until: Callable[..., Any]
) -> None:
    runner = _runner()
    batches: list[tuple[list[ClientRow], list[ClientRow]]] = []
    runner.rowsUpdated.connect(lambda new, changed: batches.append((new, changed)))

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url + "a?x=1", compression=None) as ws:
            for i in range(200):
                await ws.send(f"m{i}")
            for i in range(200):
                assert await ws.recv() == f"m{i}"
            await until(
                lambda: runner.rows() and runner.rows()[0].frames == 400, what="the frames counted"
            )
            runner.tick()
        await runner.stop()

    arun(scenario(), 20)
    new = [r for b in batches for r in b[0]]
    assert [r.conn for r in new] == [1] and new[0].path == "/a?x=1"
    assert len(batches) < 40  # far fewer than the 400 frames
    (last,) = batches[-1][1]
    assert last.closed and last.frames >= 400 and last.bytes > 400 * 4


def test_a_controller_drives_one_client_and_the_broadcast_reaches_all_open(
    loop: Any, arun: Callable[..., Any], until: Callable[..., Any]
) -> None:
    runner = _runner()
    controller = SessionController()
    broadcast = BroadcastController(runner)
    errors: list[str] = []
    broadcast.errorOccurred.connect(lambda _step, message, _fatal: errors.append(message))
    states: list[str] = []
    broadcast.stateChanged.connect(lambda event: states.append(event.state.value))

    async def scenario() -> None:
        assert await runner.start()
        assert not broadcast.send_text("nobody")
        assert errors == ["cannot send a text message: no client is connected"]
        async with (
            connect(runner.url + "one") as first,
            aiohttp.ClientSession() as session,
            session.ws_connect(runner.url + "two") as second,
        ):
            await until(lambda: len(runner.open_clients()) == 2, what="two open clients")
            runner.tick()
            assert states == ["open"] and broadcast.can_send_frames
            conn = runner.client(1)
            assert conn is not None
            show_client(controller, conn)
            assert controller.store is conn.store and not controller.read_only
            assert controller.is_open
            assert controller.send_text("to one")
            assert await asyncio.wait_for(first.recv(), 5) == "to one"
            assert broadcast.send_text("to all")
            assert broadcast.send_ping(b"p")
            assert await asyncio.wait_for(first.recv(), 5) == "to all"
            assert await asyncio.wait_for(second.receive_str(), 5) == "to all"
            # A client whose close was sent is no longer among "all".
            controller.send_close(4000, "done with you")
            await asyncio.wait_for(first.wait_closed(), 5)
            assert [n for n, _ in runner.open_clients()] == [2]
            assert broadcast.send_binary(b"\x01\x02")
            assert await asyncio.wait_for(second.receive_bytes(), 5) == b"\x01\x02"
            controller.drain()
            store = controller.store
            assert store is not None
            sent = [store.frame(r).opcode for r in range(len(store))]
            assert store.direction(0) is Direction.OUT and 0x8 in sent
        await until(lambda: not runner.open_clients(), what="both ended")
        runner.tick()
        assert states == ["open", "closed"]
        assert runner.forget_closed() == [1, 2]
        assert runner.rows() == [] and runner.client(1) is None
        await runner.stop()

    arun(scenario(), 20)
    assert errors == ["cannot send a text message: no client is connected"]


def test_the_decision_can_change_between_clients(
    loop: Any, arun: Callable[..., Any], until: Callable[..., Any]
) -> None:
    runner = _runner()

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url) as ws:
            await ws.send("ok")
            assert await ws.recv() == "ok"
        runner.set_decision(HandshakeDecision(HandshakeAction.REJECT, status=429))
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(runner.url)
            assert refused.value.status == 429
        await until(lambda: len(runner.rows()) == 2 and runner.rows()[1].closed, what="rows")
        assert runner.rows()[1].state == "refused 429"
        await runner.stop()

    arun(scenario(), 20)


def test_journals_live_until_the_tab_lets_go_and_detach_stops_the_server(
    loop: Any, arun: Callable[..., Any], until: Callable[..., Any], tmp_path: Path
) -> None:
    journals = tmp_path / "journals"
    runner = _runner(journal_dir=str(journals))

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url) as ws:
            await ws.send("kept")
            await ws.recv()
            await until(lambda: any(journals.iterdir()), what="a journal on disk")
            runner.detach()  # the tab goes: journals deleted, the server stops itself
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1001
        assert not any(journals.iterdir())
        assert not runner.running

    arun(scenario(), 20)


def test_a_port_in_use_fails_with_the_reason(loop: Any, arun: Callable[..., Any]) -> None:
    first = _runner()
    failures: list[str] = []

    async def scenario() -> None:
        assert await first.start()
        second = ServerRunner("127.0.0.1", first.server.port, ServerOptions())
        second.failed.connect(failures.append)
        assert not await second.start()
        assert not second.running
        await first.stop()

    arun(scenario())
    assert failures and failures[0].startswith(f"cannot listen on 127.0.0.1:{first.server.port}")
