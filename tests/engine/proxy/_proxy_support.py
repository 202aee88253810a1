"""Peers for the proxy tests: raw-socket ends that send exactly the bytes a test
chooses and keep exactly the bytes they receive, so byte-exactness is checked on the
wire, not through a library's parser."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from inspector.capture.events import Direction
from inspector.capture.store import CaptureStore
from inspector.engine.proxy import ProxiedConnection, ProxyOptions, ProxyServer
from inspector.protocol.frames import Frame
from inspector.protocol.handshake import compute_accept

from .._engine_support import TIMEOUT_FACTOR


def store(conn: ProxiedConnection) -> CaptureStore:
    assert conn.store is not None
    return conn.store


def frames_of(conn: ProxiedConnection, side: Direction) -> list[Frame]:
    store = conn.store
    assert store is not None
    return [store.frame(r) for r in range(len(store)) if store.direction(r) is side]


def wire(frames: list[Frame]) -> bytes:
    """The frames' bytes as they crossed the wire (payloads masked again)."""
    return b"".join(f.header + f.masked_payload for f in frames)


class RawServer:
    """Answers one opening handshake with a 101, sends ``script`` right after it, and
    keeps every byte received after the request until the client closes."""

    def __init__(self, script: bytes = b"", *, close_after: bool = False) -> None:
        self.script = script
        self.close_after = close_after
        self.received = bytearray()
        self.request = b""
        self.done = asyncio.Event()
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.request = head
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {compute_accept(key)}\r\n\r\n".encode()
            + self.script
        )
        await writer.drain()
        if self.close_after:
            writer.close()
        while data := await reader.read(65536):
            self.received += data
        writer.close()
        self.done.set()

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await asyncio.wait_for(self.server.wait_closed(), 5)


async def raw_client(
    port: int, path: str = "/", *, extra: str = ""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """A raw client that sent an opening handshake; returns the response head too."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5 * TIMEOUT_FACTOR)
    return reader, writer, head


@asynccontextmanager
async def reverse_proxy(upstream: str, **options: object) -> AsyncIterator[ProxyRun]:
    run = ProxyRun()
    server = ProxyServer(
        "127.0.0.1",
        0,
        ProxyOptions(upstream=upstream, **{"proxy": "", **options}),  # type: ignore[arg-type]
        on_connection=run.conns.append,
    )
    async with server:
        run.server = server
        yield run


@asynccontextmanager
async def forward_proxy(**options: object) -> AsyncIterator[ProxyRun]:
    run = ProxyRun()
    server = ProxyServer(
        "127.0.0.1",
        0,
        ProxyOptions(forward=True, **{"proxy": "", **options}),  # type: ignore[arg-type]
        on_connection=run.conns.append,
    )
    async with server:
        run.server = server
        yield run


class ProxyRun:
    """A running proxy and the connections it made, in order."""

    server: ProxyServer

    def __init__(self) -> None:
        self.conns: list[ProxiedConnection] = []

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}"

    async def closed(self, index: int = 0, timeout: float = 5.0) -> ProxiedConnection:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout * TIMEOUT_FACTOR
        while len(self.conns) <= index:
            assert loop.time() < deadline, "no proxied connection came"
            await asyncio.sleep(0.005)
        conn = self.conns[index]
        await asyncio.wait_for(asyncio.shield(conn.closed), timeout * TIMEOUT_FACTOR)
        return conn
