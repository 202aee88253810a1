"""The server role: accept WebSocket connections on our own engine.

:class:`EchoServer` is the built-in demo peer and the test peer: it echoes text and
binary messages (with their fragmentation and compression as negotiated), answers
pings, closes properly and reports every connection's events to ``on_event``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from collections.abc import Callable

from .. import __version__
from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorStep,
    HandshakeCaptured,
    StateChanged,
)
from ..capture.store import DEFAULT_MAX_CAPTURE_BYTES
from ..protocol.connection import Protocol
from ..protocol.constants import DEFAULT_MAX_MESSAGE_SIZE, Role
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
from .connection import Connection, MessageFilter

__all__ = ["EchoServer", "is_observe_mode", "server_header"]

log = logging.getLogger(__name__)

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
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        handshake_timeout: float = 10.0,
        strict: bool = False,
        close_timeout: float = 5.0,
        max_capture_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
        auto_pong: bool = True,
        pong_delay: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.on_event = on_event
        self.deflate = deflate
        self.subprotocols = subprotocols
        self.keep_captures = keep_captures
        self.max_message_size = max_message_size
        self.max_capture_bytes = max_capture_bytes
        self.handshake_timeout = handshake_timeout
        #: Seconds a closed connection may take to flush before it is dropped.
        self.close_timeout = close_timeout
        #: Fail a connection on the first violation (a reference peer); off, the
        #: server echoes whatever it can, which lets a client see its own mistakes.
        self.strict = strict
        #: Pong policy, as on a client (ConnectOptions): at once, never, or this late.
        self.auto_pong = auto_pong
        self.pong_delay = pong_delay
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
                    log.debug("could not send the shutdown close to %s", conn.url, exc_info=True)
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
            Role.SERVER,
            self.url,
            keep_capture=self.keep_captures,
            close_timeout=self.close_timeout,
            max_capture_bytes=self.max_capture_bytes,
        )
        self.accepted += 1
        self.connections.add(conn)
        # The connection's own callbacks hold it weakly: a closed connection must not
        # stay alive in a cycle until a full garbage collection.
        ref = weakref.ref(conn)
        if self.on_event is not None:
            conn.subscribe(_Forward(self.on_event, ref))
        parser = RequestParser()
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.handshake_timeout, self._handshake_timeout, ref, parser)

        def on_data(data: bytes) -> None:
            result = parser.feed(data)
            live = ref()
            if result is not None and live is not None:
                timer.cancel()
                self._answer(live, result)

        def on_eof() -> None:
            timer.cancel()

        conn._on_handshake_data = on_data
        conn._on_handshake_eof = on_eof
        connections = self.connections
        conn.closed.add_done_callback(lambda _: _discard(connections, ref))
        if self._closing:
            # Accepted while the server closes: its transport is aborted once attached.
            timer.cancel()
            conn.abort()
        return conn

    def _handshake_timeout(
        self, ref: weakref.ReferenceType[Connection], parser: RequestParser
    ) -> None:
        conn = ref()
        if conn is None or conn.protocol is not None:
            return
        partial = parser.feed_timeout(self.handshake_timeout)
        if partial.raw:
            # Keep what the client sent, as for any other handshake failure.
            start, headers = split_head(partial.raw)
            conn.publish(
                HandshakeCaptured(
                    conn.now(), Direction.IN, partial.raw, start, headers, problems=partial.problems
                )
            )
        conn.record_error(ErrorStep.TIMEOUT, "the client sent no complete handshake in time")
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
            sentences = [p.sentence for p in problems]
            response = build_error_response(status, body="\n".join(sentences) + "\n")
            transport.write(response)
            start, headers = split_head(response)
            conn.publish(HandshakeCaptured(conn.now(), Direction.OUT, response, start, headers))
            conn.record_error(ErrorStep.HANDSHAKE, "; ".join(sentences))
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
            auto_pong=self.auto_pong,
        )
        if self.auto_pong:
            conn.pong_delay = self.pong_delay
        ref = weakref.ref(conn)
        conn.on_message = lambda message: self._echo_to(ref, message)
        conn.subscribe(_ReplyClose(ref), messages=MessageFilter.NONE)
        conn.open(protocol, request.trailing)

    def _echo_to(self, ref: weakref.ReferenceType[Connection], message: Message) -> None:
        conn = ref()
        if conn is not None:
            self._echo(conn, message)

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


def _discard(connections: set[Connection], ref: weakref.ReferenceType[Connection]) -> None:
    conn = ref()
    if conn is not None:
        connections.discard(conn)


class _Forward:
    """A connection's events to the server's ``on_event``, holding the connection weakly."""

    __slots__ = ("callback", "ref")

    def __init__(self, callback: ServerListener, ref: weakref.ReferenceType[Connection]) -> None:
        self.callback = callback
        self.ref = ref

    def __call__(self, event: CaptureEvent) -> None:
        conn = self.ref()
        if conn is not None:
            self.callback(conn, event)


class _ReplyClose:
    """:meth:`EchoServer._reply_close` for one connection, held weakly."""

    __slots__ = ("ref",)

    def __init__(self, ref: weakref.ReferenceType[Connection]) -> None:
        self.ref = ref

    def __call__(self, event: CaptureEvent) -> None:
        conn = self.ref()
        if conn is not None:
            EchoServer._reply_close(conn, event)
