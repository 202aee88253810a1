"""The server role: accept WebSocket connections on our own engine.

:class:`EchoServer` is the built-in demo peer and the test peer: it echoes text and
binary messages (with their fragmentation and compression as negotiated), answers
pings, closes properly and reports every connection's events to ``on_event``.

It is also the inspector's seat as a server, to debug a *client*: its
:class:`ServerOptions` say how each opening handshake is answered (a
:class:`HandshakeDecision`: accept with a chosen subprotocol, extension and headers,
refuse with a chosen status, headers and body, answer late, or accept and close at
once with a chosen code) and how it behaves afterwards (echo or not, a message on
connect, no automatic reply at all, strict or observe mode). A ``decide`` callback
can make the decision per connection, from the client's request.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import socket
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

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
from ..protocol.handshake.accept import check_accept
from ..protocol.handshake.fields import check_name, check_value
from .connection import Connection
from .publishing import MessageFilter

__all__ = [
    "Decider",
    "EchoServer",
    "HandshakeAction",
    "HandshakeDecision",
    "ServerOptions",
    "is_observe_mode",
    "server_header",
]

log = logging.getLogger(__name__)

ServerListener = Callable[[Connection, CaptureEvent], None]

#: Room for a close reason in a close frame's 125-byte payload, after the code.
_MAX_CLOSE_REASON = 123

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


class HandshakeAction(enum.StrEnum):
    """What the server does with a well-formed opening handshake."""

    ACCEPT = "accept"  # 101 Switching Protocols
    REJECT = "reject"  # a final HTTP status instead of the 101
    CLOSE = "close"  # a 101, then a close frame at once


@dataclass(frozen=True, slots=True)
class HandshakeDecision:
    """How the server answers one client's opening handshake.

    ``subprotocols`` are accepted when offered (the client's order of preference
    wins); ``force_subprotocol`` is sent whatever the client offered (a server that
    breaks RFC 6455 §4.2.2 on purpose, to see what the client does). ``deflate``
    accepts an offered permessage-deflate, the one extension the engine speaks (any
    other offer is declined). ``headers`` go into the response, the 101 or the
    refusal, and replace a generated header of the same name. ``status`` and
    ``body`` make the refusal; ``close_code`` (None: an empty close frame) and
    ``close_reason`` the close at once. The answer waits ``delay`` seconds.
    """

    action: HandshakeAction = HandshakeAction.ACCEPT
    subprotocols: tuple[str, ...] = ()
    force_subprotocol: str | None = None
    deflate: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 403
    body: str = ""
    close_code: int | None = 1000
    close_reason: str = ""
    delay: float = 0.0

    def __post_init__(self) -> None:
        # Wrong settings fail here, when they are made, not at a client's handshake.
        object.__setattr__(self, "action", HandshakeAction(self.action))
        object.__setattr__(self, "subprotocols", tuple(self.subprotocols))
        object.__setattr__(self, "headers", tuple((n, v) for n, v in self.headers))
        if not 200 <= self.status <= 999:
            raise ValueError(
                f"a refusal's status must be a final HTTP status (200-999), not {self.status}"
            )
        if self.delay < 0:
            raise ValueError(f"the handshake delay cannot be negative ({self.delay:g} s)")
        if self.close_code is not None and not 0 <= self.close_code <= 0xFFFF:
            raise ValueError(f"close code {self.close_code} does not fit in two bytes (0-65535)")
        if self.close_code is None and self.close_reason:
            raise ValueError("a close reason needs a close code")
        if len(self.close_reason.encode("utf-8")) > _MAX_CLOSE_REASON:
            raise ValueError(f"the close reason is over {_MAX_CLOSE_REASON} bytes of UTF-8")
        for name, value in self.headers:
            check_name(name)
            check_value(f"header {name}", value)
        forced = () if self.force_subprotocol is None else (self.force_subprotocol,)
        for token in (*self.subprotocols, *forced):
            check_value("subprotocol", token)
            if not token or "," in token or token != token.strip():
                raise ValueError(f"{token!r} is not a subprotocol name (a token, no commas)")


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How the server answers handshakes and behaves on the connections it opens.

    ``echo``: send every message back. ``on_connect``: text messages sent as soon as
    a connection opens. ``manual``: no automatic reply of any kind (no echo, no pong,
    no answer to a close frame): everything the client gets comes from the user.
    ``strict``: fail a connection on the first violation (a reference peer); off
    (observe mode), the server carries on, which lets a client see its own mistakes.
    """

    handshake: HandshakeDecision = field(default_factory=HandshakeDecision)
    echo: bool = True
    on_connect: tuple[str, ...] = ()
    manual: bool = False
    strict: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "on_connect", tuple(self.on_connect))


#: Makes the decision for one connection from the client's request.
Decider = Callable[[Connection, HandshakeRequest], HandshakeDecision]


class EchoServer:
    """An echo server on our engine. ``await start()``, read :attr:`url`, ``await
    close()``. ``keep_captures`` keeps each connection's capture (tests, the GUI's
    server mode); off by default so a thousand connections cost little.

    ``options`` say how it answers and behaves (default: accept, echo, observe
    mode); ``deflate``, ``subprotocols`` and ``strict``, when given, replace theirs.
    ``decide`` (optional) makes each connection's handshake decision instead of
    ``options.handshake``. :attr:`options` may be replaced while it runs: new
    connections follow the new one (:meth:`set_echo` changes open ones too)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        options: ServerOptions | None = None,
        decide: Decider | None = None,
        on_event: ServerListener | None = None,
        deflate: bool | None = None,
        subprotocols: Sequence[str] | None = None,
        keep_captures: bool = False,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        handshake_timeout: float = 10.0,
        strict: bool | None = None,
        close_timeout: float = 5.0,
        max_capture_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
        auto_pong: bool = True,
        pong_delay: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.on_event = on_event
        opts = options if options is not None else ServerOptions()
        decision = opts.handshake
        if deflate is not None:
            decision = replace(decision, deflate=deflate)
        if subprotocols is not None:
            decision = replace(decision, subprotocols=tuple(subprotocols))
        if strict is not None:
            opts = replace(opts, strict=strict)
        self.options = replace(opts, handshake=decision)
        self.decide = decide
        self.keep_captures = keep_captures
        self.max_message_size = max_message_size
        self.max_capture_bytes = max_capture_bytes
        self.handshake_timeout = handshake_timeout
        #: Seconds a closed connection may take to flush before it is dropped.
        self.close_timeout = close_timeout
        #: Pong policy, as on a client (ConnectOptions): at once, never, or this late
        #: (manual mode answers no ping whatever this says).
        self.auto_pong = auto_pong
        self.pong_delay = pong_delay
        self.connections: set[Connection] = set()
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._closing = False

    @property
    def deflate(self) -> bool:
        return self.options.handshake.deflate

    @property
    def subprotocols(self) -> tuple[str, ...]:
        return self.options.handshake.subprotocols

    @property
    def strict(self) -> bool:
        return self.options.strict

    def set_echo(self, on: bool) -> None:
        """Echo (or stop echoing) from now on, on the open connections too (not in
        manual mode, which never echoes)."""
        self.options = replace(self.options, echo=on)
        for conn in self.connections:
            if conn.protocol is not None:
                self._wire_echo(conn)

    def _wire_echo(self, conn: Connection) -> None:
        if self.options.echo and not self.options.manual:
            ref = weakref.ref(conn)
            conn.on_message = lambda message: self._echo_to(ref, message)
        else:
            conn.on_message = None

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
        # What the client sends after its request while the answer waits (a delayed
        # 101): frames sent too early, kept for the protocol once it is open.
        early = bytearray()
        answered = False

        def on_data(data: bytes) -> None:
            nonlocal answered
            if answered:
                early.extend(data)
                return
            result = parser.feed(data)
            live = ref()
            if result is not None and live is not None:
                answered = True
                timer.cancel()
                self._answer(live, result, early)

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

    def _answer(
        self, conn: Connection, request: HandshakeRequest | ParseFailure, early: bytearray
    ) -> None:
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
        decision = self._decision(conn, request)
        if decision.delay > 0:
            ref = weakref.ref(conn)
            asyncio.get_running_loop().call_later(
                decision.delay, self._respond_later, ref, request, decision, early
            )
            return
        self._respond(conn, request, decision, early)

    def _decision(self, conn: Connection, request: HandshakeRequest) -> HandshakeDecision:
        if self.decide is None:
            return self.options.handshake
        try:
            return self.decide(conn, request)
        except Exception as exc:  # the caller's code: the client gets a 500, we go on
            log.exception("the handshake decision for %s failed", conn.url)
            conn.record_error(ErrorStep.HANDSHAKE, f"the handshake decision failed: {exc}")
            return HandshakeDecision(HandshakeAction.REJECT, status=500, body=f"{exc}\n")

    def _respond_later(
        self,
        ref: weakref.ReferenceType[Connection],
        request: HandshakeRequest,
        decision: HandshakeDecision,
        early: bytearray,
    ) -> None:
        conn = ref()
        if conn is not None and not conn.closed.done() and not self._closing:
            self._respond(conn, request, decision, early)

    def _respond(
        self,
        conn: Connection,
        request: HandshakeRequest,
        decision: HandshakeDecision,
        early: bytearray,
    ) -> None:
        transport = conn.transport
        if transport is None or transport.is_closing():
            return  # the client left while the answer waited
        if decision.action is HandshakeAction.REJECT:
            response = build_error_response(
                decision.status, body=decision.body, headers=decision.headers
            )
            transport.write(response)
            start, headers = split_head(response)
            conn.publish(HandshakeCaptured(conn.now(), Direction.OUT, response, start, headers))
            transport.close()
            return
        options = self.options
        deflate: PerMessageDeflate | None = None
        accepted_ext = None
        if decision.deflate:
            negotiated = negotiate_server(request.extensions)
            if negotiated is not None:
                params, ext = negotiated
                deflate = PerMessageDeflate(
                    params, Role.SERVER, max_inflated_size=self.max_message_size
                )
                accepted_ext = [ext]
        subprotocol = decision.force_subprotocol or next(
            (p for p in request.subprotocols if p in decision.subprotocols), None
        )
        response = build_server_response(
            request,
            subprotocol=subprotocol,
            extensions=accepted_ext,
            extra_headers=(("Server", server_header(strict=options.strict)), *decision.headers),
        )
        transport.write(response)
        start, headers = split_head(response)
        sent = {name.lower(): value for name, value in headers}
        accept = None
        if request.key is not None:
            # What a client will check, worked out on our side: it shows in the
            # server's capture as it does in a client's.
            accept = check_accept(request.key, sent.get("sec-websocket-accept"))
        conn.publish(
            HandshakeCaptured(
                conn.now(),
                Direction.OUT,
                response,
                start,
                headers,
                accept=accept,
                subprotocol=subprotocol,
                extensions=sent.get("sec-websocket-extensions"),
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
            auto_pong=self.auto_pong and not options.manual,
            strict=options.strict,
            defer_failure_close=True,
        )
        if self.auto_pong and not options.manual:
            conn.pong_delay = self.pong_delay
        self._wire_echo(conn)
        if not options.manual:
            conn.subscribe(_ReplyClose(weakref.ref(conn)), messages=MessageFilter.NONE)
        conn.open(protocol)
        # What the server says first goes before anything the client sent early.
        if decision.action is HandshakeAction.CLOSE:
            conn.send_close(decision.close_code, decision.close_reason)
        else:
            for text in options.on_connect:
                conn.send_text(text)
        trailing = request.trailing + bytes(early)
        if trailing:
            conn.receive(trailing)

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
