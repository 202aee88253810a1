"""The server role: accept WebSocket connections on our own engine.

:class:`EchoServer` is the built-in demo peer and the test peer: it echoes text and
binary messages (with their fragmentation and compression as negotiated), answers
pings, closes properly and reports every connection's events to ``on_event``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

from .. import __version__
from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    HandshakeCaptured,
    StateChanged,
)
from ..protocol.connection import Protocol
from ..protocol.constants import Role
from ..protocol.deflate import PerMessageDeflate, negotiate_server
from ..protocol.events import Message
from ..protocol.frames import parse_close_payload
from ..protocol.handshake import (
    HandshakeRequest,
    ParseFailure,
    RequestParser,
    build_error_response,
    build_server_response,
    split_head,
)
from .connection import Connection

__all__ = ["EchoServer", "is_observe_mode", "server_header"]

log = logging.getLogger("inspector.engine.server")

ServerListener = Callable[[Connection, CaptureEvent], None]

_PRODUCT = f"ws-inspector/{__version__}"


def server_header(*, strict: bool) -> str:
    """Our Server header: what we are and in which mode, so that a check-up of this
    server can say that observe mode is lenient on purpose."""
    return f"{_PRODUCT} ({'strict' if strict else 'observe'})"


def is_observe_mode(server: str | None) -> bool:
    """``server`` (a Server header) says it is our echo server in observe mode."""
    return (
        server is not None and server.startswith("ws-inspector/") and server.endswith(" (observe)")
    )


class EchoServer:
    """An echo server on our engine. ``await start()``, read :attr:`url`, ``await
    close()``. ``keep_captures`` keeps each connection's capture (tests, the GUI's
    server mode); off by default so a thousand connections cost little."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_event: ServerListener | None = None,
        deflate: bool = True,
        subprotocols: tuple[str, ...] = (),
        keep_captures: bool = False,
        max_message_size: int | None = 64 * 2**20,
        handshake_timeout: float = 10.0,
        strict: bool = False,
        close_timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        self.on_event = on_event
        self.deflate = deflate
        self.subprotocols = subprotocols
        self.keep_captures = keep_captures
        self.max_message_size = max_message_size
        self.handshake_timeout = handshake_timeout
        #: Seconds a closed connection may take to flush before it is dropped.
        self.close_timeout = close_timeout
        #: Fail a connection on the first violation (a reference peer); off, the
        #: server echoes whatever it can, which lets a client see its own mistakes.
        self.strict = strict
        self.connections: set[Connection] = set()
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._closing = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/"

    async def start(self) -> EchoServer:
        loop = asyncio.get_running_loop()
        self._closing = False
        self._server = await loop.create_server(
            self._make_connection, self.host, self.port, backlog=1024, reuse_address=True
        )
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        return self

    async def __aenter__(self) -> EchoServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            if conn.protocol is not None and conn.protocol.close_sent is None:
                try:
                    conn.send_close(1001, "server shutting down")
                except Exception:  # closing anyway
                    conn.abort()
            else:
                conn.abort()
        if self.connections:
            await asyncio.wait(
                [asyncio.ensure_future(c.wait_closed()) for c in self.connections], timeout=2
            )
            for conn in list(self.connections):
                conn.abort()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _make_connection(self) -> Connection:
        conn = Connection(
            Role.SERVER, self.url, keep_capture=self.keep_captures, close_timeout=self.close_timeout
        )
        self.accepted += 1
        self.connections.add(conn)
        if self.on_event is not None:
            callback = self.on_event
            conn.subscribe(lambda event: callback(conn, event))
        parser = RequestParser()
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.handshake_timeout, self._handshake_timeout, conn)

        def on_data(data: bytes) -> None:
            result = parser.feed(data)
            if result is not None:
                timer.cancel()
                self._answer(conn, result)

        def on_eof() -> None:
            timer.cancel()

        conn._on_handshake_data = on_data
        conn._on_handshake_eof = on_eof
        conn.closed.add_done_callback(lambda _: self.connections.discard(conn))
        if self._closing:
            # Accepted while the server closes: its transport is aborted once attached.
            timer.cancel()
            conn.abort()
        return conn

    def _handshake_timeout(self, conn: Connection) -> None:
        if conn.protocol is None:
            conn.record_error("timeout", "the client sent no complete handshake in time")
            conn.abort()

    def _answer(self, conn: Connection, request: HandshakeRequest | ParseFailure) -> None:
        transport = conn.transport
        assert transport is not None
        if isinstance(request, ParseFailure) or not request.ok:
            problems = request.problems
            start, headers = split_head(request.raw)
            conn.publish(
                HandshakeCaptured(
                    conn.now(), Direction.IN, request.raw, start, headers, problems=problems
                )
            )
            version_bad = isinstance(request, HandshakeRequest) and request.version != "13"
            status = 426 if version_bad else 400
            response = build_error_response(status, body="\n".join(problems) + "\n")
            transport.write(response)
            start, headers = split_head(response)
            conn.publish(HandshakeCaptured(conn.now(), Direction.OUT, response, start, headers))
            conn.record_error("handshake", "; ".join(problems))
            transport.close()
            return
        start, headers = split_head(request.raw)
        conn.publish(HandshakeCaptured(conn.now(), Direction.IN, request.raw, start, headers))
        conn.url = f"ws://{request.header('host') or self.host}{request.target}"
        deflate: PerMessageDeflate | None = None
        accepted_ext = None
        if self.deflate:
            negotiated = negotiate_server(request.extensions)
            if negotiated is not None:
                params, ext = negotiated
                deflate = PerMessageDeflate(
                    params, Role.SERVER, max_inflated_size=self.max_message_size
                )
                accepted_ext = [ext]
        subprotocol = next((p for p in request.subprotocols if p in self.subprotocols), None)
        response = build_server_response(
            request,
            subprotocol=subprotocol,
            extensions=accepted_ext,
            extra_headers=(("Server", server_header(strict=self.strict)),),
        )
        transport.write(response)
        start, headers = split_head(response)
        conn.publish(
            HandshakeCaptured(
                conn.now(), Direction.OUT, response, start, headers, subprotocol=subprotocol
            )
        )
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # auto_close is off so that messages read together with the client's close
        # frame are echoed before the close reply (see _reply_close).
        protocol = Protocol(
            Role.SERVER,
            deflate=deflate,
            max_message_size=self.max_message_size,
            auto_close=False,
            strict=self.strict,
            defer_failure_close=True,
        )
        conn.on_message = lambda message: self._echo(conn, message)
        conn.subscribe(lambda event: self._reply_close(conn, event), messages=False)
        conn.open(protocol, request.trailing)

    @staticmethod
    def _reply_close(conn: Connection, event: CaptureEvent) -> None:
        """Answer the client's close frame once the messages read with it are echoed:
        the connection enters CLOSING after a read's messages are handled. The reply
        echoes the code, or gives the code of the rule a bad close frame broke."""
        if type(event) is not StateChanged or event.state is not ConnectionState.CLOSING:
            return
        proto = conn.protocol
        if proto is None or proto.close_received is None or proto.close_sent is not None:
            return
        if proto.failure is not None or conn.transport is None or conn.transport.is_closing():
            return
        code, _, problems = parse_close_payload(proto.close_received.payload)
        conn.send_close(problems[0][0].close_code if problems else code, "")

    def _echo(self, conn: Connection, message: Message) -> None:
        proto = conn.protocol
        if proto is None or proto.close_sent is not None or message.truncated:
            return
        closing = proto.close_received
        if closing is not None and message.last_seq > closing.seq:
            # Sent after the client's close frame (RFC 6455 §5.5.1): not answered.
            return
        proto.send_message(message.opcode, message.data, fragments=min(message.fragments, 64))
        # Written by Connection.receive's flush after this batch; nothing to do here.

    @property
    def open_connections(self) -> int:
        return sum(1 for c in self.connections if c.state is ConnectionState.OPEN)
