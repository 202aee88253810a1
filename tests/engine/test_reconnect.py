"""Tests of reconnecting (inspector.engine.reconnect): when a connection counts as
dropped, how many attempts are made, how long the pauses are, and a preamble
replayed on each new connection to a real server that drops connections."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from inspector.engine.client import connect
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectError, ConnectOptions
from inspector.engine.reconnect import Backoff, ReconnectPolicy, dropped, run_attempts
from inspector.engine.server import EchoServer

from ._engine_support import HostileConn, HostileServer, finish, free_port, run_async


def test_the_pauses_grow_and_stop_at_the_longest() -> None:
    backoff = Backoff(first=0.5, factor=2.0, longest=3.0)
    assert [backoff.pause(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "policy", [lambda: ReconnectPolicy(0), lambda: ReconnectPolicy(backoff=Backoff(first=-1))]
)
def test_a_policy_that_cannot_be_followed_is_refused(policy: object) -> None:
    with pytest.raises(ValueError):
        policy()  # type: ignore[operator]


def test_attempts_stop_at_the_maximum_with_the_pauses_told() -> None:
    pauses: list[tuple[int, float]] = []
    made: list[int] = []

    async def attempt(n: int) -> bool:
        made.append(n)
        return True  # every one drops

    async def main() -> int:
        policy = ReconnectPolicy(4, Backoff(first=0.01, factor=3.0, longest=0.05))
        return await run_attempts(policy, attempt, on_pause=lambda n, s: pauses.append((n, s)))

    assert run_async(main) == 4
    assert made == [1, 2, 3, 4]
    assert pauses == [(2, 0.01), (3, 0.03), (4, 0.05)]


def test_an_attempt_that_lasted_starts_the_pauses_over() -> None:
    pauses: list[float] = []

    async def attempt(n: int) -> bool:
        await asyncio.sleep(0.06 if n == 3 else 0)
        return n < 5

    async def main() -> int:
        policy = ReconnectPolicy(backoff=Backoff(first=0.01, longest=1.0, reset_after=0.05))
        return await run_attempts(policy, attempt, on_pause=lambda _n, s: pauses.append(s))

    assert run_async(main) == 5
    assert pauses == [0.01, 0.02, 0.01, 0.02]


def test_stop_ends_the_pause_and_the_attempts() -> None:
    made: list[int] = []

    async def main() -> int:
        stop = asyncio.Event()

        async def attempt(n: int) -> bool:
            made.append(n)
            asyncio.get_running_loop().call_later(0.02, stop.set)
            return True

        policy = ReconnectPolicy(backoff=Backoff(first=30.0, longest=30.0))
        return await run_attempts(policy, attempt, stop=stop)

    assert run_async(main, timeout=5) == 1
    assert made == [1]


# ------------------------------------------------------------ what counts as a drop
def test_a_connection_we_close_did_not_drop() -> None:
    async def main() -> None:
        async with EchoServer() as server:
            conn = await connect(server.url)
            await conn.close()
            assert not dropped(conn)

    run_async(main)


def test_a_connection_the_server_closes_dropped() -> None:
    async def main() -> None:
        async with EchoServer() as server:
            conn = await connect(server.url)
            await server.close()  # 1001 going away
            await finish(conn)
            assert dropped(conn)

    run_async(main)


def test_a_connection_that_never_opened_dropped() -> None:
    async def main() -> None:
        from inspector.engine.client import new_client_connection

        url = f"ws://127.0.0.1:{free_port()}/"
        conn = new_client_connection(url)
        with pytest.raises(ConnectError):
            await connect(url, ConnectOptions(open_timeout=2), connection=conn)
        assert dropped(conn)

    run_async(main)


def test_a_connection_failed_for_a_late_pong_dropped() -> None:
    async def silent(hc: HostileConn) -> None:
        await hc.handshake()
        await hc.read_client(5)

    async def main() -> None:
        async with HostileServer(silent) as server:
            options = ConnectOptions(keepalive_interval=0.05, ping_timeout=0.1)
            conn = await connect(server.url, options)
            await finish(conn)
            assert dropped(conn)
            await server.done()

    run_async(main)


# -------------------------------------------------- a server that drops connections
def test_reconnecting_to_a_server_that_drops_replays_the_preamble() -> None:
    """A websockets server that closes each connection once it got two messages: each
    attempt replays the preamble (login, subscribe) and is dropped; the attempts stop at
    the maximum, the pauses between them were taken."""
    from websockets.asyncio.server import ServerConnection, serve

    seen: list[list[str]] = []

    async def handler(ws: ServerConnection) -> None:
        got: list[str] = []
        seen.append(got)
        async for message in ws:
            assert isinstance(message, str)
            got.append(message)
            if len(got) == 2:
                await ws.close(1012, "restarting")

    async def main() -> None:
        server = await serve(handler, "127.0.0.1", 0)
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        conns: list[Connection] = []

        async def attempt(n: int) -> bool:
            conn = await connect(url)
            conns.append(conn)
            for text in ("login", "subscribe"):
                conn.send_text(text)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.wait_closed(), 5)
            if not conn.closed.done():
                await conn.close()
            return dropped(conn)

        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            policy = ReconnectPolicy(3, Backoff(first=0.05, factor=2.0, longest=0.5))
            assert await run_attempts(policy, attempt) == 3
        finally:
            server.close()
            await server.wait_closed()
        assert seen == [["login", "subscribe"]] * 3
        assert [c.final_state.code for c in conns if c.final_state] == [1012] * 3
        # The two pauses (0.05 s, 0.1 s) were taken: a lower bound, not a speed.
        assert loop.time() - started >= 0.15

    run_async(main)
