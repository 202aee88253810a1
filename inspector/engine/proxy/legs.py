"""The two TCP (or TLS) connections of a proxied pair, and what crosses between them.

A :class:`Leg` reads like a stream during the opening handshake (:meth:`Leg.read_head`)
and then relays: every chunk the event loop hands it goes to its ``sink`` at once, no
copy, no re-framing. Flow control is the transports' own: when one side's write buffer
fills up, reading from the other side pauses until it drains.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, TypeVar

from ...protocol.handshake import ParseFailure

__all__ = ["HOP_BY_HOP", "Leg", "upstream_head"]

_R = TypeVar("_R", covariant=True)


class HeadParser(Protocol[_R]):
    """A request or response parser of :mod:`inspector.protocol.handshake`."""

    def feed(self, data: bytes, /) -> _R | ParseFailure | None: ...

    def feed_eof(self) -> _R | ParseFailure: ...


#: Headers that belong to one hop (RFC 9110 section 7.6.1) and are not passed on;
#: Connection and Upgrade are the WebSocket's own and stay.
HOP_BY_HOP = frozenset(
    {
        "proxy-connection",
        "proxy-authorization",
        "proxy-authenticate",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
    }
)


class Leg(asyncio.Protocol):
    """One side of a proxied connection."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[None] | None = None
        self.eof = False
        self.error: Exception | None = None
        #: In relay mode, where every received chunk goes.
        self.sink: Callable[[bytes], None] | None = None
        #: Called once when the connection is gone (with its error, if any).
        self.on_end: Callable[[Exception | None], None] | None = None
        #: The other side, whose reading pauses while this side cannot write.
        self.peer: Leg | None = None
        self.gone = False
        #: Reading stopped on purpose (a full interception queue), whatever the
        #: other side's flow control says.
        self.held = False
        self._paused_for_peer = False

    # ------------------------------------------------------------ transport
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        sink = self.sink
        if sink is not None:
            sink(data)
            return
        self._buffer += data
        self._wake()

    def eof_received(self) -> bool | None:
        self.eof = True
        self._wake()
        return None  # the transport closes; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.gone = True
        self.error = exc
        self._wake()
        if self.peer is not None and self.peer.transport is not None:
            # Its reading may be paused on our behalf: nothing will resume it now.
            self.peer.transport.resume_reading()
        on_end, self.on_end = self.on_end, None
        if on_end is not None:
            on_end(exc)

    def pause_writing(self) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer._paused_for_peer = True
            peer.transport.pause_reading()

    def resume_writing(self) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.gone:
            peer._paused_for_peer = False
            if not peer.held:
                peer.transport.resume_reading()

    def hold_reading(self, on: bool) -> None:
        """Stop (or start again) reading from this side, on purpose."""
        self.held = on
        transport = self.transport
        if transport is None or self.gone or transport.is_closing():
            return
        if on:
            transport.pause_reading()
        elif not self._paused_for_peer:
            transport.resume_reading()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ---------------------------------------------------------- stream mode
    async def read_some(self) -> bytes:
        """What arrived since the last call, waiting for something; b"" at the end."""
        while not self._buffer and not self.eof:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    async def read_head(self, parser: HeadParser[_R]) -> _R | ParseFailure:
        """Feed what arrives to ``parser`` until it has the whole head (or fails)."""
        while True:
            data = await self.read_some()
            if not data:
                return parser.feed_eof()
            result = parser.feed(data)
            if result is not None:
                return result

    def unread(self, data: bytes) -> None:
        """Put bytes back in front (what came after a head, in the same read)."""
        self._buffer[:0] = data

    def relay(
        self, sink: Callable[[bytes], None], on_end: Callable[[Exception | None], None]
    ) -> None:
        """Switch to relay mode: buffered bytes first, then every chunk as it comes."""
        self.sink = sink
        self.on_end = on_end
        pending = bytes(self._buffer)
        self._buffer.clear()
        if pending:
            sink(pending)
        if self.gone:
            self.on_end = None
            on_end(self.error)

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.gone and not self.transport.is_closing()


def upstream_head(target: str, headers: tuple[tuple[str, str], ...], host: str) -> bytes:
    """The request we send upstream: the client's, with its own request target
    (origin form), our ``Host``, and no hop-by-hop headers; everything else as sent
    and in the client's order, extensions and subprotocols included."""
    named_by_connection = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    } - {"upgrade"}
    drop = HOP_BY_HOP | named_by_connection
    lines = [f"GET {target} HTTP/1.1"]
    host_done = False
    for name, value in headers:
        low = name.lower()
        if low == "host":
            if not host_done:
                lines.append(f"{name}: {host}")
                host_done = True
            continue
        if low in drop:
            continue
        lines.append(f"{name}: {value}")
    if not host_done:
        lines.insert(1, f"Host: {host}")
    return ("\r\n".join([*lines, "", ""])).encode("latin-1")
