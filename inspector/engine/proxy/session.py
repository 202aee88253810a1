"""One proxied connection as a capture: both sides' frames, parsed passively.

The relay forwards every byte as it arrived; :class:`ProxiedConnection` is shown the
same bytes afterwards and parses them with the sans-I/O codec, each direction with
its own parser checking its own sender's role (client frames masked, server frames
not), and its own permessage-deflate context to inflate for display. Frames from the
client are :attr:`~inspector.capture.events.Direction.OUT` and frames from the
server :attr:`~inspector.capture.events.Direction.IN`, as in a client's capture; the
capture's role is :attr:`~inspector.capture.events.SessionRole.PROXY`.

It offers what a :class:`~inspector.engine.connection.Connection` offers a recorder
(``session``, ``store``, ``subscribe``, ``closed``), so a journal, the command line or
a GUI session tab can follow it the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...capture.events import (
    ConnectionState,
    Direction,
    ErrorStep,
    FramesCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    ViolationCaptured,
)
from ...capture.store import DEFAULT_MAX_CAPTURE_BYTES, CaptureStore
from ...protocol.connection import Protocol
from ...protocol.constants import DEFAULT_MAX_MESSAGE_SIZE, Role
from ...protocol.deflate import (
    DeflateError,
    DeflateOffer,
    PerMessageDeflate,
    negotiate_client,
)
from ...protocol.events import Failure
from ...protocol.frames import FrameBatch, FrameSpec
from ...protocol.headers import ExtensionOffer
from ...protocol.violations import Rule, Violation
from ..publishing import Publisher
from .legs import Leg

if TYPE_CHECKING:
    from .intercept import Interceptor

__all__ = ["ProxiedConnection", "Side"]

log = logging.getLogger(__name__)

Side = Direction  # OUT: from the client, IN: from the server


def _new_session(url: str, notes: tuple[str, ...]) -> SessionInfo:
    now = datetime.datetime.now(datetime.UTC).astimezone()
    return SessionInfo(
        url=url,
        role=SessionRole.PROXY,
        started_at=now.isoformat(timespec="milliseconds"),
        started_unix=now.timestamp(),
        source=SessionSource.LIVE,
        notes=notes,
    )


def negotiated_deflate(
    offers: tuple[ExtensionOffer, ...], accepted: tuple[ExtensionOffer, ...]
) -> tuple[PerMessageDeflate, PerMessageDeflate] | None:
    """The two inflaters (client's messages, server's messages) for what the server
    accepted of the client's permessage-deflate offers, or None."""
    answer = next((e for e in accepted if e[0] == "permessage-deflate"), None)
    if answer is None:
        return None
    for offer in offers:
        if offer[0] != "permessage-deflate":
            continue
        try:
            params = negotiate_client(DeflateOffer.from_extension(offer), answer)
        except DeflateError:
            continue
        return (
            PerMessageDeflate(params, Role.SERVER, max_inflated_size=DEFAULT_MAX_MESSAGE_SIZE),
            PerMessageDeflate(params, Role.CLIENT, max_inflated_size=DEFAULT_MAX_MESSAGE_SIZE),
        )
    return None


class ProxiedConnection(Publisher):
    """One connection through the proxy: its capture and its live figures.

    ``conn_id`` is stable within the proxy's run; ``client`` is the client's address.
    The GUI lists these (``client``, ``path``, ``state``, ``frames``, ``bytes``) and
    opens each one's :attr:`store`.
    """

    def __init__(
        self,
        conn_id: int,
        client: str,
        url: str,
        *,
        max_capture_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
        keep_capture: bool = True,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.conn_id = conn_id
        self.client = client
        self.url = url
        self.path = ""
        self.session = _new_session(url, notes)
        self.store: CaptureStore | None = (
            CaptureStore(self.session, max_payload_bytes=max_capture_bytes)
            if keep_capture
            else None
        )
        super().__init__(self.store.add if self.store is not None else None)
        self.state = ConnectionState.CONNECTING
        self.final_state: StateChanged | None = None
        #: An opaque tunnel (a host excluded from interception): bytes, no frames.
        self.tunnel = False
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.bytes = [0, 0]  # relayed, from the client and from the server
        self._parsers: tuple[Protocol, Protocol] | None = None
        #: The client's and the upstream connection, while both are relaying.
        self.legs: tuple[Leg, Leg] | None = None
        #: The interception pipeline (:mod:`.intercept`), while relaying.
        self.interceptor: Interceptor | None = None
        #: permessage-deflate is in use (its messages cannot be changed in flight).
        self.deflated = False

    # ------------------------------------------------------------ listeners
    def set_state(
        self,
        state: ConnectionState,
        *,
        code: int | None = None,
        reason: str | None = None,
        clean: bool | None = None,
        detail: str = "",
    ) -> None:
        if self.state is ConnectionState.CLOSED and self.final_state is not None:
            return
        self.state = state
        event = StateChanged(self.now(), state, code, reason, clean, detail)
        if state is ConnectionState.CLOSED:
            self.final_state = event
        self.publish(event)
        if state is ConnectionState.CLOSED and not self.closed.done():
            self.closed.set_result(None)

    # --------------------------------------------------------------- frames
    def open(self, deflate: tuple[PerMessageDeflate, PerMessageDeflate] | None) -> None:
        """The 101 went back to the client: from now on bytes are frames."""
        # Role SERVER parses what the client sends (masked), CLIENT what the server
        # sends; neither ever answers (no pongs, no close replies): the real ends do.
        self.deflated = deflate is not None
        self._parsers = (
            Protocol(
                Role.SERVER,
                deflate=deflate[0] if deflate else None,
                auto_pong=False,
                auto_close=False,
            ),
            Protocol(
                Role.CLIENT,
                deflate=deflate[1] if deflate else None,
                auto_pong=False,
                auto_close=False,
            ),
        )
        self.set_state(ConnectionState.OPEN)

    @property
    def is_open(self) -> bool:
        return self._parsers is not None

    def inject(self, toward: Role, specs: list[FrameSpec], by: str = "user") -> bytes:
        """Send frames of ours toward the server (as the client would: masked, unless a
        spec says otherwise) or toward the client, between two whole frames of the
        other sender's; marked in the capture. Returns the bytes sent; RuntimeError
        when the connection is not relaying."""
        icpt = self.interceptor
        if icpt is None or self.legs is None:
            raise RuntimeError(f"connection {self.conn_id} is not open: nothing can be sent")
        return icpt.inject(toward, specs, by)

    def parser(self, side: Direction) -> Protocol | None:
        if self._parsers is None:
            return None
        return self._parsers[0 if side is Direction.OUT else 1]

    def observe(self, side: Direction, data: bytes | bytearray | memoryview) -> None:
        """Bytes relayed from ``side`` (OUT: the client): parse and publish them."""
        index = 0 if side is Direction.OUT else 1
        self.bytes[index] += len(data)
        parsers = self._parsers
        if parsers is None:
            return
        proto = parsers[index]
        proto.receive_data(data)
        events = proto.events_received()
        if not events:
            return
        t = self.now()
        for event in events:
            if isinstance(event, FrameBatch):
                self.publish(FramesCaptured(t, side, event))
            elif isinstance(event, Failure):
                self.record_error(ErrorStep.PROTOCOL, str(event), fatal=False)
            else:
                self._publish_message(t, side, event)
        if self.state is ConnectionState.OPEN and (proto.close_received is not None):
            self.set_state(ConnectionState.CLOSING)

    def ended(self, side: Direction) -> None:
        """``side``'s stream ended: a frame cut short is a violation of that side."""
        proto = self.parser(side)
        if proto is None or proto.eof_received:
            return
        proto.receive_eof()
        if proto.incomplete_bytes:
            self.publish(
                ViolationCaptured(
                    self.now(),
                    side,
                    Violation(
                        Rule.INCOMPLETE_FRAME,
                        f"the stream ended with {proto.incomplete_bytes} bytes of an "
                        "incomplete frame",
                        proto.bytes_received,
                    ),
                )
            )

    def mid_frame(self, side: Direction) -> bool:
        """``side``'s stream (ended: see :meth:`ended`) stopped in the middle of a
        frame, so a close frame of ours cannot follow it on the other side."""
        proto = self.parser(side)
        return proto is not None and proto.incomplete_bytes > 0

    def close_frames(self) -> tuple[Any, Any]:
        """The close frames seen from the client and from the server (None: none)."""
        if self._parsers is None:
            return None, None
        return self._parsers[0].close_received, self._parsers[1].close_received

    def finish(self, detail: str = "", *, lost: str = "") -> None:
        """Both legs are gone: publish the end, with the first close frame's code."""
        if self.final_state is not None:
            return
        client_close, server_close = self.close_frames()
        first = client_close or server_close
        clean = client_close is not None and server_close is not None and not lost
        code: int | None = None
        reason: str | None = None
        if first is not None:
            code = first.close_code if first.close_code is not None else 1005
            reason = first.close_reason
        elif self._parsers is not None:
            code = 1006
        self.set_state(
            ConnectionState.CLOSED,
            code=code,
            reason=reason,
            clean=clean if self._parsers is not None else False,
            detail=lost or detail,
        )

    def info(self) -> dict[str, Any]:
        """The figures a list of connections shows."""
        counts = (
            (len(self.store) if self.store is not None else 0),
            self.bytes[0] + self.bytes[1],
        )
        return dataclasses.asdict(
            _Row(
                self.conn_id,
                self.client,
                self.path,
                self.state.value,
                counts[0],
                counts[1],
                self.tunnel,
            )
        )


@dataclasses.dataclass(frozen=True, slots=True)
class _Row:
    conn: int
    client: str
    path: str
    state: str
    frames: int
    bytes: int
    tunnel: bool


ProxyListener = Callable[[ProxiedConnection], None]
