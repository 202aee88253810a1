"""Shared helpers for the probe tests: bounded runs and real echo servers on loopback.

The servers: our EchoServer (observe mode unless ``strict``; in process, or as the
``ws-inspector serve`` command in a subprocess), the ``websockets`` library, aiohttp
and tornado. All listen on 127.0.0.1, port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from inspector.engine.server import EchoServer
from inspector.probe import Grade, ProbeReport, run_probe

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


def run(coro: Awaitable[T], timeout: float = 60.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def grades(report: ProbeReport) -> dict[str, Grade]:
    return {r.id: r.grade for r in report}


def free_port() -> int:
    """A port nothing listens on (bound, then closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ----------------------------------------------------------------------------- servers
@contextlib.asynccontextmanager
async def own_server(*, strict: bool = False) -> AsyncIterator[str]:
    async with EchoServer(strict=strict) as server:
        yield server.url


@contextlib.contextmanager
def serve_command(*args: str) -> Iterator[str]:
    """``ws-inspector serve --quiet ARGS`` in a subprocess (a server with its own
    process, as a user runs it); yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--quiet", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://"), url
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.asynccontextmanager
async def websockets_server() -> AsyncIterator[str]:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, close_timeout=1) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


@contextlib.asynccontextmanager
async def aiohttp_server() -> AsyncIterator[str]:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def tornado_server() -> AsyncIterator[str]:
    import tornado.httpserver
    import tornado.netutil
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            self.write_message(message, binary=isinstance(message, bytes))

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Echo)]))
    server.add_sockets(sockets)
    try:
        yield f"ws://127.0.0.1:{sockets[0].getsockname()[1]}/"
    finally:
        server.stop()
        await server.close_all_connections()


async def probe_with(server: Any, *args: Any, **kw: Any) -> ProbeReport:
    async with server() as url:
        return await run_probe(url, *args, **kw)


class _WsprotoEcho(asyncio.Protocol):
    """An echo endpoint on wsproto, handling events the way uvicorn's ``--ws wsproto``
    (and hypercorn) do: a close frame is answered only in the REMOTE_CLOSING state,
    so a close frame wsproto refuses to parse (an invalid code, a bad reason), like
    any other protocol error, ends in a TCP drop without a close frame."""

    def __init__(self) -> None:
        from wsproto import ConnectionType, WSConnection

        self.conn = WSConnection(ConnectionType.SERVER)
        self.transport: asyncio.Transport | None = None
        self.text: list[str] = []
        self.data: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        from wsproto.utilities import RemoteProtocolError

        transport = self.transport
        if transport is None or transport.is_closing():
            return
        try:
            self.conn.receive_data(data)
        except RemoteProtocolError as err:
            if err.event_hint is not None:
                transport.write(self.conn.send(err.event_hint))
            transport.close()
            return
        self._handle_events(transport)

    def _handle_events(self, transport: asyncio.Transport) -> None:
        from wsproto.connection import ConnectionState
        from wsproto.events import (
            AcceptConnection,
            BytesMessage,
            CloseConnection,
            Ping,
            Request,
            TextMessage,
        )
        from wsproto.extensions import PerMessageDeflate

        for event in self.conn.events():
            if isinstance(event, Request):
                accept = AcceptConnection(extensions=[PerMessageDeflate()])
                transport.write(self.conn.send(accept))
            elif isinstance(event, TextMessage):
                self.text.append(event.data)
                if event.message_finished:
                    self._send(transport, TextMessage(data="".join(self.text)))
                    self.text = []
            elif isinstance(event, BytesMessage):
                self.data.append(bytes(event.data))
                if event.message_finished:
                    self._send(transport, BytesMessage(data=b"".join(self.data)))
                    self.data = []
            elif isinstance(event, Ping):
                self._send(transport, event.response())
            elif isinstance(event, CloseConnection):
                if self.conn.state is ConnectionState.REMOTE_CLOSING:
                    transport.write(self.conn.send(event.response()))
                transport.close()
                return

    def _send(self, transport: asyncio.Transport, event: Any) -> None:
        from wsproto.connection import ConnectionState

        if self.conn.state is ConnectionState.OPEN:
            transport.write(self.conn.send(event))


@contextlib.asynccontextmanager
async def wsproto_server() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_WsprotoEcho, "127.0.0.1", 0)
    try:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    finally:
        server.close()
        await server.wait_closed()


@contextlib.contextmanager
def resetting_server() -> Iterator[str]:
    """A server that fails the connection at the first byte of a frame the hard way:
    it sends a close frame (1002) and resets TCP at once (SO_LINGER 0), as a server
    does that closes its socket with our bytes still unread. Whatever the client
    writes after that fails (ECONNRESET, then EPIPE) while the close frame is still
    in its socket, waiting to be read. Blocking sockets in a thread, so that the
    reset comes independently of the client's event loop."""
    import re
    import struct
    import threading

    from inspector.protocol.handshake import derive_accept

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve_one(sock: socket.socket) -> None:
        sock.settimeout(5)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(4096)
            if not chunk:
                return
            request += chunk
        key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", request)
        assert key is not None
        accept = derive_accept(key.group(1).decode()).accept
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n"
        )
        if not sock.recv(1):
            return
        sock.sendall(b"\x88\x02\x03\xea")  # close 1002, unmasked
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            with sock, contextlib.suppress(OSError):
                serve_one(sock)

    thread = threading.Thread(target=accept_loop, name="resetting-server", daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
