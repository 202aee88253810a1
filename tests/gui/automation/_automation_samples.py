"""Real sessions and controls for the window's automation tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from PySide6.QtWidgets import QWidget
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from inspector.automation.messages import messages_of
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.protocol.constants import Role

W = TypeVar("W", bound=QWidget)


async def record(url: str) -> CaptureStore:
    """A real session with ``url``: two texts and a binary answered, then our close."""
    conn = await connect(url)
    conn.send_text("hello")
    conn.send_binary(b"\x00\x01\x02")
    conn.send_text("how are you")
    for _ in range(200):
        assert conn.store is not None
        if len(messages_of(conn.store, Role.SERVER)) >= 3:
            break
        await asyncio.sleep(0.01)
    await conn.close(4000, "done")
    assert conn.store is not None
    return conn.store


def by_name(root: QWidget, kind: type[W], accessible: str) -> W:
    """The one ``kind`` under ``root`` with that accessible name."""
    found = [w for w in root.findChildren(kind) if w.accessibleName() == accessible]
    assert len(found) == 1, f"{len(found)} {kind.__name__} named {accessible!r}"
    return found[0]


@pytest.fixture
def shouting_server(loop: Any) -> Iterator[str]:
    """A websockets server that leaves "hello" unanswered and shouts the rest back."""

    async def shout(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                if message != "hello":
                    await ws.send(message.upper() if isinstance(message, str) else message)

    async def start() -> Any:
        return await serve(shout, "127.0.0.1", 0)

    server = loop.run_until_complete(asyncio.wait_for(start(), 5))
    port = next(iter(server.sockets)).getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        loop.run_until_complete(asyncio.wait_for(server.wait_closed(), 10))
