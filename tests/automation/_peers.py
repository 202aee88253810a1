"""Real peers for the automation tests, on 127.0.0.1 port 0: our EchoServer and a
websockets server (echo, or a handler a test gives), in the test's event loop or in
a thread of their own for commands run in-process (``main(argv)`` runs its own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from inspector.capture.events import CaptureEvent
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectOptions
from inspector.engine.server import EchoServer

#: Waits in tests are multiplied by this (slow CI machines: set it to 3 or 5).
TIMEOUT_FACTOR = float(os.environ.get("WS_INSPECTOR_TIMEOUT_FACTOR", "1"))

Handler = Callable[[ServerConnection], Awaitable[None]]
ServerListener = Callable[[Connection, CaptureEvent], None]
PEERS = ("ours", "websockets")


async def echo(ws: ServerConnection) -> None:
    with contextlib.suppress(Exception):
        async for message in ws:
            await ws.send(message)


@contextlib.asynccontextmanager
async def peer(
    kind: str = "ours", handler: Handler = echo, on_event: ServerListener | None = None
) -> AsyncIterator[str]:
    """The URL of a running peer: ``ours`` (EchoServer, with ``on_event``) or
    ``websockets`` (with ``handler``, an echo by default)."""
    if kind == "ours":
        async with EchoServer("127.0.0.1", 0, on_event=on_event) as server:
            yield server.url
        return
    async with serve(handler, "127.0.0.1", 0) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


@contextlib.contextmanager
def threaded_peer(
    kind: str = "ours", handler: Handler = echo, on_event: ServerListener | None = None
) -> Iterator[str]:
    """:func:`peer` running in a thread with its own event loop."""
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[str] = loop.create_future()
    stop = asyncio.Event()

    async def main() -> None:
        async with peer(kind, handler, on_event) as url:
            ready.set_result(url)
            await stop.wait()

    def run() -> None:
        loop.run_until_complete(main())

    thread = threading.Thread(target=run, name=f"{kind}-peer", daemon=True)
    thread.start()
    try:
        url = asyncio.run_coroutine_threadsafe(_wait(ready), loop).result(10 * TIMEOUT_FACTOR)
        yield url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10 * TIMEOUT_FACTOR)
        loop.close()


async def _wait(future: asyncio.Future[Any]) -> Any:
    return await future


def bounded(coro: Awaitable[Any], timeout: float = 15.0) -> Any:
    """Run ``coro`` in a fresh event loop, bounded."""

    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout * TIMEOUT_FACTOR)

    return asyncio.run(main())


async def record(
    url: str,
    act: Callable[[Connection], Awaitable[None]],
    options: ConnectOptions | None = None,
) -> Connection:
    """A client session of ours against ``url``: ``act(conn)`` runs on the open
    connection, then the connection is closed (bounded). Returns the connection."""
    from inspector.automation.replay import listen_then_close
    from inspector.engine.client import connect

    conn = await connect(url, options)
    await act(conn)
    await listen_then_close(conn, 2.0 * TIMEOUT_FACTOR)
    return conn
