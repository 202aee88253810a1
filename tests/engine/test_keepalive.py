"""Tests of time on a connection (inspector.engine.keepalive): pongs answered late or
never, against a websockets server with a ping deadline and against our own server
seen by a websockets client, and our own pings' deadline against a peer that never
answers."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from inspector.capture.events import Direction, ErrorStep
from inspector.engine.client import connect
from inspector.engine.connection import Connection
from inspector.engine.keepalive import format_ping
from inspector.engine.options import ConnectOptions
from inspector.engine.server import EchoServer
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import Frame

from ._engine_support import (
    HostileConn,
    HostileServer,
    Recorder,
    close_frames,
    eventually,
    finish,
    run_async,
)


def test_a_ping_payload_is_named_safely() -> None:
    assert format_ping(b"ka-1") == "'ka-1'"
    assert format_ping(b"") == "(empty)"
    assert format_ping(b"\xff\x00") == "ff 00"
    assert "\x1b" not in format_ping(b"\x1b[31m")


# ----------------------------------------------------------- time: pong policy
async def _websockets_pinging_server(
    interval: float, timeout: float
) -> tuple[Any, int, list[tuple[int | None, str | None]]]:
    """A websockets server that pings every ``interval`` s and closes a client whose
    pong is ``timeout`` s late; it records how each connection ended."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    ends: list[tuple[int | None, str | None]] = []

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for _ in ws:
                pass
        ends.append((ws.close_code, ws.close_reason))

    server = await serve(handler, "127.0.0.1", 0, ping_interval=interval, ping_timeout=timeout)
    return server, server.sockets[0].getsockname()[1], ends


def _pong_lags(conn: Connection) -> list[float]:
    """For each pong we sent, how long after the ping it answers it arrived."""
    assert conn.store is not None
    pings: dict[bytes, float] = {}
    lags: list[float] = []
    store = conn.store
    for row in range(len(store)):
        t, direction, frame = store.t[row], store.direction(row), store.frame(row)
        if direction is Direction.IN and frame.opcode == Opcode.PING:
            pings[frame.payload] = t
        elif direction is Direction.OUT and frame.opcode == Opcode.PONG:
            lags.append(t - pings[frame.payload])
    return lags


def test_pongs_later_than_the_servers_ping_timeout_get_us_closed() -> None:
    """websockets pings every 0.1 s and gives up after 0.3 s: pongs 1 s late end the
    connection from its side (1011), as a real server's ping deadline would."""

    async def main() -> None:
        server, port, ends = await _websockets_pinging_server(0.1, 0.3)
        try:
            rec = Recorder()
            conn = await connect(
                f"ws://127.0.0.1:{port}/", ConnectOptions(pong_delay=1.0), listeners=[rec]
            )
            await finish(conn, 5)
            pongs = [f for f in rec.frames(Direction.OUT) if f.opcode == Opcode.PONG]
            assert pongs == []  # none was due before the server gave up
            assert any(f.opcode == Opcode.PING for f in rec.frames(Direction.IN))
            (close,) = close_frames(rec.frames(Direction.IN))
            assert close.payload[:2] == (1011).to_bytes(2, "big")  # keepalive ping timeout
            await eventually(lambda: bool(ends), what="the server to record the end")
        finally:
            server.close()
            await server.wait_closed()

    run_async(main)


def test_pongs_late_but_within_the_servers_timeout_keep_the_connection() -> None:
    async def main() -> None:
        server, port, ends = await _websockets_pinging_server(0.1, 0.5)
        try:
            conn = await connect(f"ws://127.0.0.1:{port}/", ConnectOptions(pong_delay=0.05))
            await eventually(lambda: len(_pong_lags(conn)) >= 4, what="four delayed pongs")
            assert conn.is_open and not ends
            # Each pong went out no sooner than the delay asked (a lower bound only).
            assert all(lag >= 0.045 for lag in _pong_lags(conn)), _pong_lags(conn)
            await conn.close()
            await finish(conn)
            await eventually(lambda: bool(ends), what="the server to record the end")
            assert ends[0][0] == 1000
        finally:
            server.close()
            await server.wait_closed()

    run_async(main)


def test_a_delayed_pong_is_not_sent_once_the_closing_handshake_began() -> None:
    """A ping answered late, after our close frame: RFC 6455 sends nothing after a
    close frame, so the pong is dropped."""

    async def script(hc: HostileConn) -> list[int]:
        await hc.handshake(first=HostileConn.frame(Opcode.PING, b"late"))
        close = await hc.read_client(3)
        await hc.send(HostileConn.close(1000))
        assert close is not None
        return [f.opcode for f in hc.client_frames]

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, ConnectOptions(pong_delay=0.2))
            await conn.close()
            (opcodes,) = await server.done()
            assert opcodes == [Opcode.CLOSE]
            assert conn.timekeeper is not None and conn.timekeeper.pending == 0

    run_async(main)


def test_our_server_answers_pings_late_or_never() -> None:
    """The pong policy on the server's side, seen by a websockets client."""
    from websockets.asyncio.client import connect as ws_connect

    async def round_trip(server: EchoServer) -> float | None:
        async with server, ws_connect(server.url, ping_interval=None) as ws:
            loop = asyncio.get_running_loop()
            sent = loop.time()
            waiter = await ws.ping(b"x")
            try:
                await asyncio.wait_for(waiter, 1.0)
            except TimeoutError:
                return None
            return loop.time() - sent

    async def main() -> None:
        late = await round_trip(EchoServer(pong_delay=0.15, keep_captures=True))
        assert late is not None and late >= 0.14
        assert await round_trip(EchoServer(auto_pong=False)) is None
        at_once = await round_trip(EchoServer())
        assert at_once is not None

    run_async(main)


# ---------------------------------------------------------- time: ping deadline
async def _never_pongs(hc: HostileConn) -> list[Frame]:
    """A peer that reads and never answers a ping (nor anything else) until EOF."""
    await hc.handshake()
    await hc.read_client(5)
    return hc.client_frames


def test_a_late_pong_fails_the_connection_with_a_reason() -> None:
    async def main() -> None:
        async with HostileServer(_never_pongs) as server:
            rec = Recorder()
            options = ConnectOptions(keepalive_interval=0.05, ping_timeout=0.2)
            conn = await connect(server.url, options, listeners=[rec])
            await finish(conn, 5)
            (frames,) = await server.done()
            assert conn.error is not None and conn.error.step is ErrorStep.TIMEOUT
            assert "no pong to our ping 'ka-1' within 0.2 s" in conn.error.message
            assert frames[0].opcode == Opcode.PING and frames[0].payload == b"ka-1"
            (close,) = close_frames(frames)
            assert close.payload[:2] == (1011).to_bytes(2, "big")
            assert conn.final_state is not None and not conn.final_state.clean

    run_async(main)


def test_a_late_pong_only_recorded_leaves_the_connection_open() -> None:
    async def main() -> None:
        async with HostileServer(_never_pongs) as server:
            rec = Recorder()
            options = ConnectOptions(
                keepalive_interval=0.05,
                ping_timeout=0.1,
                ping_late_fails=False,
                ping_payload=b"hb",
            )
            conn = await connect(server.url, options, listeners=[rec])
            await eventually(lambda: len(rec.errors()) >= 2, what="two late pongs noted")
            assert conn.is_open and conn.error is None
            notes = rec.errors()
            assert all(not e.fatal and e.step is ErrorStep.TIMEOUT for e in notes)
            assert "no pong to our ping 'hb'" in notes[0].message
            await conn.close()
            await finish(conn, 5)
            await server.done()

    run_async(main)


def test_a_pong_in_time_passes_the_deadline() -> None:
    async def main() -> None:
        async with EchoServer() as server:
            rec = Recorder()
            options = ConnectOptions(keepalive_interval=0.05, ping_timeout=0.5)
            conn = await connect(server.url, options, listeners=[rec])
            await eventually(lambda: len(rec.rtts()) >= 3, what="three RTT samples")
            await asyncio.sleep(0.6)  # past the first pings' deadlines
            assert conn.is_open and rec.errors() == []
            await conn.close()
            await finish(conn)

    run_async(main)
