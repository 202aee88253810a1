"""Shared helpers for the engine tests: bounded event loops with leak checks, event
recorders, and real WebSocket peers (our EchoServer, websockets, aiohttp, tornado)
that obey the same little command language so that one test runs against all four.

Commands, sent by the client as text messages:

* ``!ping PAYLOAD``: the server pings with PAYLOAD; when the pong comes back it
  records the payload in ``peer.pongs`` and answers the text ``pong PAYLOAD``.
* ``!close CODE REASON``: the server starts the closing handshake with CODE/REASON.

Anything else is echoed (text as text, binary as binary). Each peer records what it
saw: ``requests`` (path with query, headers in wire order, Origin, subprotocol),
``received`` (messages as str/bytes) and ``closes`` (the close code and reason it got).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import select
import socket
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from inspector.capture.events import (
    CaptureEvent,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RttSample,
    ViolationCaptured,
)
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectOptions
from inspector.engine.server import EchoServer
from inspector.protocol.constants import Opcode
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame

T = TypeVar("T")

#: Waits in tests are multiplied by this (slow CI machines: set it to 3 or 5).
TIMEOUT_FACTOR = float(os.environ.get("WS_INSPECTOR_TIMEOUT_FACTOR", "1"))

SUBPROTOCOL = "chat.v1"
BIG = 16 * 2**20
MAX_SIZE = 32 * 2**20


# --------------------------------------------------------------------- running
def run_async(
    main: Callable[[], Awaitable[T]], timeout: float = 15.0, *, collect: bool = True
) -> T:
    """Run ``main()`` in a fresh event loop, bounded by ``timeout``, and fail the test
    if it leaves tasks running, the loop reported an error (for example "Task was
    destroyed but it is pending" or an exception in a callback) or a transport or
    socket was left unclosed (ResourceWarning). ``collect=False`` skips the garbage
    collection that brings unclosed resources to light, for tests of what is freed
    without it."""
    loop_errors: list[dict[str, Any]] = []
    leftover: list[asyncio.Task[Any]] = []

    async def wrapper() -> T:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
        result = await asyncio.wait_for(main(), timeout * TIMEOUT_FACTOR)
        me = asyncio.current_task()
        deadline = loop.time() + 2.0
        while True:
            left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
            if not left or loop.time() > deadline:
                break
            await asyncio.sleep(0.01)
        leftover.extend(left)
        return result

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        result = asyncio.run(wrapper())
        if collect:
            gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leftover, f"tasks still running at the end: {leftover}"
    assert not unclosed, f"resources left open: {unclosed}"
    messages = [str(c.get("message")) + " " + repr(c.get("exception")) for c in loop_errors]
    assert not loop_errors, f"the event loop reported errors: {messages}"
    return result


async def eventually(
    predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Wait (bounded) until ``predicate()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout * TIMEOUT_FACTOR
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)


async def finish(conn: Connection, timeout: float = 5.0) -> None:
    """Wait (bounded) for a connection to end."""
    await asyncio.wait_for(conn.wait_closed(), timeout * TIMEOUT_FACTOR)


async def until_reset(sock: socket.socket | None, timeout: float = 3.0) -> None:
    """Wait (bounded) until the peer's RST has reached ``sock``, without reading it."""
    assert sock is not None
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLERR | select.POLLHUP)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not poller.poll(0):
        assert loop.time() < deadline, "the reset never arrived"
        await asyncio.sleep(0.005)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


# ------------------------------------------------------------------- recording
class Recorder:
    """A capture listener that keeps every event, with accessors for tests."""

    def __init__(self) -> None:
        self.events: list[CaptureEvent] = []

    def __call__(self, event: CaptureEvent) -> None:
        self.events.append(event)

    def messages(self, direction: Direction = Direction.IN) -> list[Message]:
        return [
            e.message for e in self.events if isinstance(e, MessageCaptured) and e.dir is direction
        ]

    def frames(self, direction: Direction = Direction.IN) -> list[Frame]:
        out: list[Frame] = []
        for e in self.events:
            if isinstance(e, FramesCaptured) and e.dir is direction:
                out.extend(e.frames)
        return out

    def handshake(self, direction: Direction) -> HandshakeCaptured:
        found = [e for e in self.events if isinstance(e, HandshakeCaptured) and e.dir is direction]
        assert found, f"no {direction.value} handshake captured"
        return found[-1]

    def errors(self) -> list[ErrorCaptured]:
        return [e for e in self.events if isinstance(e, ErrorCaptured)]

    def violations(self) -> list[ViolationCaptured]:
        return [e for e in self.events if isinstance(e, ViolationCaptured)]

    def rtts(self) -> list[RttSample]:
        return [e for e in self.events if isinstance(e, RttSample)]


def store_frames(conn: Connection, direction: Direction | None = None) -> list[Frame]:
    """Every frame in the connection's capture store, in order (one direction or both)."""
    store = conn.store
    assert store is not None
    return [
        store.frame(row)
        for row in range(len(store))
        if direction is None or store.direction(row) is direction
    ]


def close_frames(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f.opcode == Opcode.CLOSE]


# ----------------------------------------------------------------------- peers
@dataclass
class Seen:
    path: str
    headers: list[tuple[str, str]]
    subprotocol: str | None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def names(self) -> list[str]:
        return [key.lower() for key, _ in self.headers]


@dataclass
class PeerState:
    requests: list[Seen] = field(default_factory=list)
    received: list[str | bytes] = field(default_factory=list)
    closes: list[tuple[int | None, str | None]] = field(default_factory=list)
    pongs: list[bytes] = field(default_factory=list)


class Peer:
    """Base class: ``async with Kind() as peer: peer.url``."""

    name = "peer"
    deflate = True  # negotiates permessage-deflate when offered
    port = 0

    def __init__(self) -> None:
        self.state = PeerState()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Peer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def command(self, message: str | bytes) -> tuple[str, Any] | None:
        if not isinstance(message, str):
            return None
        if message.startswith("!ping "):
            return "ping", message[6:].encode()
        if message.startswith("!close "):
            code, _, reason = message[7:].partition(" ")
            return "close", (int(code), reason)
        return None


class _CommandEchoServer(EchoServer):
    """Our EchoServer, taught the test commands."""

    def _echo(self, conn: Connection, message: Message) -> None:  # type: ignore[override]
        text = message.text
        if text is not None and text.startswith("!ping "):
            conn.protocol.send_ping(text[6:].encode())  # type: ignore[union-attr]
            return
        if text is not None and text.startswith("!close "):
            code, _, reason = text[7:].partition(" ")
            conn.protocol.send_close(int(code), reason)  # type: ignore[union-attr]
            return
        super()._echo(conn, message)


class OurPeer(Peer):
    """Our own EchoServer (keeps each connection's capture)."""

    name = "ours"

    def __init__(self, *, deflate: bool = True) -> None:
        super().__init__()
        self.deflate = deflate
        self.server = _CommandEchoServer(
            "127.0.0.1",
            0,
            keep_captures=True,
            deflate=deflate,
            subprotocols=(SUBPROTOCOL,),
            max_message_size=MAX_SIZE,
            on_event=self._on_event,
        )

    def _on_event(self, conn: Connection, event: CaptureEvent) -> None:
        st = self.state
        if isinstance(event, HandshakeCaptured) and event.dir is Direction.IN:
            path = event.start_line.split(" ")[1] if " " in event.start_line else ""
            st.requests.append(Seen(path, list(event.headers), None))
        elif isinstance(event, HandshakeCaptured) and event.dir is Direction.OUT and st.requests:
            st.requests[-1].subprotocol = event.subprotocol
        elif isinstance(event, MessageCaptured) and event.dir is Direction.IN:
            msg = event.message
            st.received.append(msg.text if msg.text is not None else msg.data)
        elif isinstance(event, FramesCaptured) and event.dir is Direction.IN:
            for frame in event.frames:
                if frame.opcode == Opcode.PONG:
                    st.pongs.append(frame.payload)
                    if conn.protocol is not None and conn.protocol.close_sent is None:
                        conn.protocol.send_text("pong " + frame.payload.decode())
                elif frame.opcode == Opcode.CLOSE:
                    st.closes.append((frame.close_code, frame.close_reason))

    async def start(self) -> None:
        await self.server.start()
        self.port = self.server.port

    async def stop(self) -> None:
        await self.server.close()


class WebsocketsPeer(Peer):
    """The websockets library's asyncio server (permessage-deflate on by default)."""

    name = "websockets"

    def __init__(self, *, ssl: Any = None) -> None:
        super().__init__()
        self.ssl = ssl

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl else 'ws'}://127.0.0.1:{self.port}/"

    async def _handler(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        request = ws.request
        self.state.requests.append(
            Seen(request.path, list(request.headers.raw_items()), ws.subprotocol)
        )
        try:
            async for message in ws:
                self.state.received.append(message)
                cmd = self.command(message)
                if cmd is None:
                    await ws.send(message)
                elif cmd[0] == "ping":
                    waiter = await ws.ping(cmd[1])
                    await asyncio.wait_for(waiter, 5)
                    self.state.pongs.append(cmd[1])
                    await ws.send("pong " + cmd[1].decode())
                else:
                    await ws.close(*cmd[1])
        except ConnectionClosed:
            pass
        self.state.closes.append((ws.close_code, ws.close_reason))

    async def start(self) -> None:
        from websockets.asyncio.server import serve
        from websockets.typing import Subprotocol

        def select(_conn: Any, offered: Any) -> Subprotocol | None:
            return Subprotocol(SUBPROTOCOL) if SUBPROTOCOL in offered else None

        self.server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            max_size=MAX_SIZE,
            select_subprotocol=select,
            ping_interval=None,
            ssl=self.ssl,
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()
        await asyncio.wait_for(self.server.wait_closed(), 5)


class AiohttpPeer(Peer):
    """An aiohttp.web application with a WebSocketResponse (deflate on by default)."""

    name = "aiohttp"

    async def _handler(self, request: Any) -> Any:
        from aiohttp import WSMsgType, web

        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), autoping=False, max_msg_size=MAX_SIZE)
        await ws.prepare(request)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
        self.state.requests.append(Seen(request.path_qs, headers, ws.ws_protocol))
        close: tuple[int | None, str | None] = (None, None)
        async for msg in ws:
            if msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type is WSMsgType.PONG:
                self.state.pongs.append(msg.data)
                await ws.send_str("pong " + msg.data.decode())
            elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                self.state.received.append(msg.data)
                cmd = self.command(msg.data)
                if cmd is None:
                    if msg.type is WSMsgType.TEXT:
                        await ws.send_str(msg.data)
                    else:
                        await ws.send_bytes(msg.data)
                elif cmd[0] == "ping":
                    await ws.ping(cmd[1])
                else:
                    code, reason = cmd[1]
                    await ws.close(code=code, message=reason.encode())
                    close = (ws.close_code, reason)
        if close == (None, None):
            close = (ws.close_code, None)
        self.state.closes.append(close)
        return ws

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handler)
        self.runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        await asyncio.wait_for(self.runner.cleanup(), 10)


class TornadoPeer(Peer):
    """A tornado WebSocketHandler (no compression unless asked for)."""

    name = "tornado"
    deflate = False

    async def start(self) -> None:
        import tornado.httpserver
        import tornado.netutil
        import tornado.web
        import tornado.websocket

        peer = self

        class Handler(tornado.websocket.WebSocketHandler):
            def check_origin(self, origin: str) -> bool:
                return True

            def select_subprotocol(self, subprotocols: list[str]) -> str | None:
                return SUBPROTOCOL if SUBPROTOCOL in subprotocols else None

            def open(self, *args: str, **kwargs: str) -> None:
                peer.state.requests.append(
                    Seen(
                        self.request.uri or "",
                        list(self.request.headers.get_all()),
                        self.selected_subprotocol,
                    )
                )

            async def on_message(self, message: str | bytes) -> None:
                peer.state.received.append(message)
                cmd = peer.command(message)
                if cmd is None:
                    await self.write_message(message, binary=isinstance(message, bytes))
                elif cmd[0] == "ping":
                    self.ping(cmd[1])
                else:
                    self.close(*cmd[1])

            def on_pong(self, data: bytes) -> None:
                peer.state.pongs.append(data)
                self.write_message("pong " + data.decode())

            def on_close(self) -> None:
                peer.state.closes.append((self.close_code, self.close_reason))

        app = tornado.web.Application([(r"/.*", Handler)], websocket_max_message_size=MAX_SIZE)
        self.http = tornado.httpserver.HTTPServer(app)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        self.http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.http.stop()
        await asyncio.wait_for(self.http.close_all_connections(), 5)


PEERS: dict[str, type[Peer]] = {
    "ours": OurPeer,
    "websockets": WebsocketsPeer,
    "aiohttp": AiohttpPeer,
    "tornado": TornadoPeer,
}


@contextlib.asynccontextmanager
async def tcp_server(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    ssl: Any = None,
) -> AsyncIterator[tuple[asyncio.Server, int]]:
    """A raw asyncio server on 127.0.0.1:0 whose handler tasks are all finished (or
    cancelled) on exit, so that nothing is left pending."""
    tasks: set[asyncio.Task[None]] = set()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    server = await asyncio.start_server(on_client, "127.0.0.1", 0, ssl=ssl)
    try:
        yield server, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        pending = [t for t in tasks if not t.done()]
        if pending:
            _, still = await asyncio.wait(pending, timeout=2)
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still, timeout=2)
        await server.wait_closed()


@contextlib.asynccontextmanager
async def connected(
    url: str, options: ConnectOptions | None = None
) -> AsyncIterator[tuple[Connection, Recorder]]:
    """Connect with a Recorder listening from the first event; on exit close the
    connection (bounded) if the test did not."""
    from inspector.engine.client import connect

    rec = Recorder()
    conn = await connect(url, options, listeners=[rec])
    try:
        yield conn, rec
    finally:
        if not conn.closed.done():
            await conn.close()
        await finish(conn)


# ------------------------------------------------------------- hostile servers
class HostileConn:
    """The server side of one connection to a hostile server, for its script."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.request = b""
        self.key = ""
        #: Frames the client sent after the handshake (parsed as a server would).
        self.client_frames: list[Frame] = []

    async def read_request(self) -> bytes:
        self.request = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        for line in self.request.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                self.key = value.strip().decode()
        return self.request

    def response(
        self,
        *,
        accept: str | None = None,
        extensions: str | None = None,
        subprotocol: str | None = None,
    ) -> bytes:
        from inspector.protocol.handshake import compute_accept

        lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Accept: {accept or compute_accept(self.key)}",
        ]
        if extensions:
            lines.append(f"Sec-WebSocket-Extensions: {extensions}")
        if subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def handshake(self, *, first: bytes = b"", **kwargs: Any) -> None:
        """Read the request and answer a valid 101 (plus ``first`` in the same write)."""
        await self.read_request()
        await self.send(self.response(**kwargs) + first)

    @staticmethod
    def frame(opcode: int, payload: bytes = b"", **spec: Any) -> bytes:
        from inspector.protocol.constants import Role
        from inspector.protocol.frames import FrameSpec, encode_frame

        header, wire = encode_frame(FrameSpec(opcode, payload, **spec), Role.SERVER)
        return header + wire

    @staticmethod
    def close(code: int = 1000, reason: str = "") -> bytes:
        return HostileConn.frame(Opcode.CLOSE, code.to_bytes(2, "big") + reason.encode())

    async def send(self, *chunks: bytes) -> bool:
        """Write; False if the client has already gone."""
        try:
            for chunk in chunks:
                self.writer.write(chunk)
            await asyncio.wait_for(self.writer.drain(), 5)
        except (ConnectionError, OSError):
            return False
        return True

    async def read_client(self, timeout: float = 3.0) -> Frame | None:
        """Read the client's frames until its close frame (returned) or EOF or timeout."""
        from inspector.protocol.constants import Role
        from inspector.protocol.parser import FrameParser

        parser = FrameParser(Role.CLIENT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except (TimeoutError, ConnectionError, OSError):
                return None
            if not data:
                return None
            for frame in parser.feed(data):
                self.client_frames.append(frame)
                if frame.opcode == Opcode.CLOSE:
                    return frame

    def reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), not a FIN."""
        import struct

        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


class HostileServer:
    """``async with HostileServer(script) as server``: each connection runs
    ``script(HostileConn)``; ``await server.done()`` waits (bounded) for the scripts
    to finish and returns their results (or raises their exceptions). With ``ssl``
    (a server context) it speaks TLS and its URL is wss://."""

    def __init__(self, script: Callable[[HostileConn], Awaitable[Any]], *, ssl: Any = None) -> None:
        self.script = script
        self.ssl = ssl
        self.results: list[Any] = []
        self.conns: list[HostileConn] = []
        self._finished: list[asyncio.Future[Any]] = []
        self._cm: Any = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hc = HostileConn(reader, writer)
        self.conns.append(hc)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._finished.append(fut)
        try:
            result = await self.script(hc)
        except BaseException as exc:
            fut.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            fut.set_result(result)

    async def __aenter__(self) -> HostileServer:
        self._cm = tcp_server(self._handle, ssl=self.ssl)
        _, self.port = await self._cm.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)
        for fut in self._finished:  # retrieve exceptions so none is "never retrieved"
            if fut.done() and not fut.cancelled():
                fut.exception()

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl else 'ws'}://127.0.0.1:{self.port}/"

    async def done(self, timeout: float = 5.0) -> list[Any]:
        timeout *= TIMEOUT_FACTOR
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._finished:
            if loop.time() > deadline:
                raise AssertionError("no connection reached the hostile server")
            await asyncio.sleep(0.005)
        return list(await asyncio.wait_for(asyncio.gather(*self._finished), timeout))
