"""A live WebSocket connection on asyncio, after (or during) the opening handshake.

:class:`Connection` is an :class:`asyncio.BufferedProtocol`: the event loop reads into
our buffer, the sans-I/O :class:`~inspector.protocol.connection.Protocol` turns bytes
into frames and messages, and every capture event is published to the listeners
(a :class:`~inspector.capture.store.CaptureStore` first, then the GUI, the command
line...). Frames are published one batch per socket read, never one call per frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import weakref
from collections.abc import Callable
from typing import Any

from ..capture.events import (
    ConnectionState,
    Direction,
    ErrorStep,
    FramesCaptured,
    RttSample,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    ViolationCaptured,
)
from ..capture.store import CAPPED_PAYLOAD, DEFAULT_MAX_CAPTURE_BYTES, CaptureStore
from ..protocol.connection import Protocol
from ..protocol.constants import CloseCode, Opcode, Role, describe_close
from ..protocol.events import Failure, Message
from ..protocol.frames import FrameBatch
from ..protocol.sending import SentColumns
from ..protocol.violations import LocalProtocolError, Rule, Violation
from ..views.text import format_bytes
from .keepalive import Timekeeper
from .leftovers import read_leftovers, read_tls_leftovers_on_error
from .publishing import Listener, Publisher
from .sending import SendingSide

__all__ = ["Connection", "new_session"]

log = logging.getLogger(__name__)

#: Close rules whose breach makes an end unclean (contract 4), and the codes that say
#: a protocol error whichever side sent them.
_CLOSE_RULES = frozenset(
    {Rule.CLOSE_PAYLOAD_ONE_BYTE, Rule.INVALID_CLOSE_CODE, Rule.INVALID_CLOSE_REASON}
)
_ERROR_CODES = frozenset({CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_FRAME_PAYLOAD_DATA})
#: Looked up once: an enum member costs ~60 ns a lookup on 3.11 (once per read here).
_IN = Direction.IN


def _size(n: int) -> str:
    # A budget is a round number: "512 MiB", not "512.0 MiB".
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return format_bytes(n)


def new_session(url: str, role: Role, source: SessionSource = SessionSource.LIVE) -> SessionInfo:
    now = datetime.datetime.now(datetime.UTC).astimezone()
    return SessionInfo(
        url=url,
        role=SessionRole(role.value),
        started_at=now.isoformat(timespec="milliseconds"),
        started_unix=now.timestamp(),
        source=source,
    )


def _unclean_because(proto: Protocol) -> str:
    """Why the end is not clean (contract 4), or "" for a clean one: the closing
    handshake completed, nobody failed the connection, the peer's close frame broke no
    close rule, and neither side's close code says a protocol error."""
    if proto.failure is not None:  # we failed it: say why, not how it ended
        return f"failed: {proto.failure}"
    received = proto.close_received
    sent = proto.close_sent
    if received is None:
        if sent is not None:
            return "the TCP connection closed before the peer answered our close frame"
        return "the TCP connection closed without a close frame"
    broken = [v for v in received.violations if v.rule in _CLOSE_RULES]
    if broken:
        return f"the peer's close frame broke a rule: {broken[0].sentence}"
    theirs = (
        f"the peer closed with {describe_close(proto.close_code, proto.close_reason)}"
        if proto.close_code in _ERROR_CODES
        else ""
    )
    ours = (
        f"we closed with {describe_close(sent.close_code, sent.close_reason)}"
        if sent is not None and sent.close_code in _ERROR_CODES
        else ""
    )
    # Whoever started the closing handshake with an error code is the one to name.
    first, second = (ours, theirs) if proto.closing_started_by is proto.role else (theirs, ours)
    if first or second:
        return first or second
    if sent is None:
        return "the peer's close frame was not answered: the connection ended first"
    return ""


class Connection(SendingSide, Publisher, asyncio.BufferedProtocol):
    """One connection's transport, protocol state, capture and listeners.

    Create it, :meth:`subscribe` listeners, then the client or server code attaches
    the transport and finishes the handshake; :meth:`open` switches to frames.
    Sending methods write at once and return the records of what was sent.
    """

    def __init__(
        self,
        role: Role,
        url: str,
        *,
        read_size: int = 64 * 1024,
        close_timeout: float = 5.0,
        keep_capture: bool = True,
        max_capture_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
    ) -> None:
        self.role = role
        self.url = url
        self.session = new_session(url, role)
        self.store: CaptureStore | None = None
        if keep_capture:
            self.store = CaptureStore(self.session, max_payload_bytes=max_capture_bytes)
            self.store.on_capped = self._capture_capped
        Publisher.__init__(self, self.store.add if self.store is not None else None)
        #: Frames we send go straight into the store's columns (when the store
        #: listens) and as FramesCaptured to the other listeners only: no event object
        #: per send when nobody else listens.
        self._sent_store: CaptureStore | None = self.store
        self._frame_listeners: list[Listener] = []
        #: Frames sent in this event-loop turn, not yet in the store, as columns:
        #: added in bulk when the turn's writes go out, or before anything reads or
        #: adds to the store (CaptureStore.hold), when nobody else listens to frames.
        self._held = SentColumns()
        self._on_message: Callable[[Message], None] | None = None
        #: Writes of the current event-loop turn after its first, joined into one
        #: socket write at the end of the turn (None: nothing written this turn yet).
        self._burst: list[bytes] | None = None
        self._burst_end = 0
        self._burst_scheduled = False  # _end_burst will run at the end of this turn
        self._receiving = False  # inside buffer_updated: writes wait for its end
        self.close_timeout = close_timeout
        self._buffer = bytearray(read_size)
        self._view = memoryview(self._buffer)
        self._reading_into = False  # the last get_buffer gave the protocol's buffer
        self.transport: asyncio.Transport | None = None
        self.protocol: Protocol | None = None
        self.state = ConnectionState.CONNECTING
        self._announced = False  # no StateChanged published yet (not even CONNECTING)
        #: Before :meth:`open`, received bytes go to this callback (the handshake).
        self._on_handshake_data: Callable[[bytes], None] | None = None
        self._on_handshake_eof: Callable[[], None] | None = None
        self.closed = asyncio.get_event_loop().create_future()
        self._close_timer: asyncio.TimerHandle | None = None
        self._pings: dict[bytes, float] = {}
        #: Answer each ping this many seconds late instead of at once (None: the
        #: protocol's own automatic pong, or none when auto_pong is off). Set before
        #: :meth:`open`.
        self.pong_delay: float | None = None
        #: Periodic pings, their deadlines and late pongs (made when first needed).
        self.timekeeper: Timekeeper | None = None
        self.last_rtt: float | None = None
        #: The CLOSED state change, once the connection has ended.
        self.final_state: StateChanged | None = None
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        #: A write failed: nothing more reaches the peer, so nothing more is recorded
        #: as sent (automatic replies included).
        self._write_failed = False
        self._hold_sent = False  # set by _listeners_changed

    # ------------------------------------------------------------ listeners
    @property
    def on_message(self) -> Callable[[Message], None] | None:
        """Called with every data message received (after the capture has it)."""
        return self._on_message

    @on_message.setter
    def on_message(self, callback: Callable[[Message], None] | None) -> None:
        self._on_message = callback
        self._listeners_changed()

    def _listeners_changed(self) -> None:
        self._record_sent()
        store = self.store
        store_add = store.add if store is not None else None
        listening = store_add is not None and store_add in self._listeners
        self._sent_store = store if listening else None
        self._frame_listeners = [x for x in self._listeners if x != store_add or not listening]
        self._hold_sent = (
            self._sent_store is not None and not self._frame_listeners and not self._write_failed
        )
        if self.protocol is not None:
            # Message objects for one-frame messages only when someone takes them:
            # on_message takes received ones, message listeners both directions.
            self.protocol.record_plain_sent = bool(self._message_listeners)
            self.protocol.record_plain_messages = bool(
                self._message_listeners or self._on_message is not None
            )

    def _before_publish(self) -> None:
        if self._held.headers:
            self._record_sent()

    def set_state(
        self,
        state: ConnectionState,
        *,
        code: int | None = None,
        reason: str | None = None,
        clean: bool | None = None,
        detail: str = "",
    ) -> None:
        if state is self.state and state is not ConnectionState.CLOSED and self._announced:
            return
        self._announced = True
        self.state = state
        event = StateChanged(self.now(), state, code, reason, clean, detail)
        if state is ConnectionState.CLOSED:
            self.final_state = event
            log.debug(
                "state closed code=%s clean=%s%s (%s)",
                code,
                clean,
                f": {detail}" if detail else "",
                self.url,
            )
        else:
            log.debug("state %s (%s)", state.value, self.url)
        self.publish(event)

    def _capture_capped(self) -> None:
        store = self.store
        if store is None or store.max_payload_bytes is None:
            return
        self.record_error(
            ErrorStep.CAPTURE,
            f"capture budget of {_size(store.max_payload_bytes)} reached at frame "
            f"{store.capped_at_row}: later frames keep their headers and the first "
            f"{_size(CAPPED_PAYLOAD)} of payload",
            fatal=False,
        )

    # ------------------------------------------------------------- transport
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.closed.done():
            # abort() came first (a server closing while this connection was being
            # accepted): the socket must not outlive the connection.
            transport.abort()
            return
        read_tls_leftovers_on_error(transport, weakref.WeakMethod(self._writing_failed))

    def get_buffer(self, sizehint: int) -> memoryview:
        proto = self.protocol
        if proto is not None:
            # A large frame coming in: the socket reads straight into its buffer.
            into = proto.receive_buffer()
            if into is not None:
                self._reading_into = True
                return into
        self._reading_into = False
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        # What this read makes us send (pongs, close replies, an echo server's
        # echoes, whatever on_message sends) goes out in one write when it is done.
        self._receiving = True
        try:
            if self._reading_into:
                self._reading_into = False
                proto = self.protocol
                assert proto is not None
                proto.receive_into(nbytes)
                self._after_receive(proto)
            else:
                self._dispatch(self._view[:nbytes])
        finally:
            self._receiving = False
            self.write_pending()
            if not self._burst_scheduled:
                self._burst = None

    def _dispatch(self, data: bytes | memoryview) -> None:
        if self.protocol is None:
            if self._on_handshake_data is not None:
                self._on_handshake_data(bytes(data))
            return
        self.receive(data)

    def eof_received(self) -> bool | None:
        if self.protocol is None:
            if self._on_handshake_eof is not None:
                self._on_handshake_eof()
            return None
        self.protocol.receive_eof()
        self._after_eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if isinstance(exc, OSError) and self.transport is not None:
            # A failed write (or read) stopped the transport reading: what the peer
            # sent before the end may still be in the socket buffer.
            chunks = read_leftovers(self.transport.get_extra_info("socket"))
            if chunks:
                log.debug("read %d bytes left in the socket after %r", sum(map(len, chunks)), exc)
                self._writing_failed()
                for chunk in chunks:
                    self._dispatch(chunk)
        if self.protocol is None:
            if self._on_handshake_eof is not None:
                self._on_handshake_eof()
        elif not self.protocol.eof_received:
            self.protocol.receive_eof()
            if exc is not None and self.error is None:
                self.record_error(ErrorStep.READ, f"the connection was lost: {exc}")
            self._after_eof()
        self._finish()

    def _writing_failed(self) -> None:
        """Nothing can be written any more: the peer's leftovers are read without
        automatic replies, which would be recorded as sent and never be."""
        self._write_failed = True
        self._hold_sent = False
        if self.protocol is not None:
            self.protocol.auto_pong = False
            self.protocol.auto_close = False

    # ------------------------------------------------------------------ open
    def open(self, protocol: Protocol, trailing: bytes = b"") -> None:
        """The handshake succeeded: from now on bytes are frames."""
        self.protocol = protocol
        if self.pong_delay is not None:
            protocol.auto_pong = False  # answered by the timekeeper instead
        self._on_handshake_data = None
        self._listeners_changed()
        self.set_state(ConnectionState.OPEN)
        if trailing:
            self.receive(trailing)

    def start_keepalive(
        self,
        interval: float,
        *,
        timeout: float | None = None,
        payload: bytes = b"",
        fail_late: bool = True,
    ) -> None:
        """Ping every ``interval`` seconds, each pong an :class:`RttSample`; a pong
        later than ``timeout`` fails the connection, or is noted when not
        ``fail_late`` (see :meth:`.Timekeeper.start_keepalive`)."""
        self._timekeeper().start_keepalive(
            interval, timeout=timeout, payload=payload, fail_late=fail_late
        )

    def _timekeeper(self) -> Timekeeper:
        if self.timekeeper is None:
            self.timekeeper = Timekeeper(self)
        return self.timekeeper

    def give_up(self, message: str, reason: str) -> None:
        """Fail the connection from our side for ``message`` (a fatal timeout): a
        close frame with 1011 and ``reason``, and TCP closed without waiting for an
        answer from a peer that may no longer read."""
        self.record_error(ErrorStep.TIMEOUT, message, fatal=True)
        with contextlib.suppress(LocalProtocolError):
            self.send_close(CloseCode.INTERNAL_ERROR, reason)
        if self.transport is not None:
            self.write_pending()
            self.transport.close()
            self._arm_close_timer()

    # --------------------------------------------------------------- receive
    def receive(self, data: bytes | memoryview) -> None:
        proto = self.protocol
        assert proto is not None
        proto.receive_data(data)
        self._after_receive(proto)

    def _after_receive(self, proto: Protocol) -> None:
        """Publish what the protocol made of the bytes just received, and act on it."""
        events = proto.events_received()
        if events:
            t = self.now()
            publish = self.publish
            publish_message = self._publish_message
            on_message = self._on_message
            # No event when the store is the only one listening to frames.
            store = None if self._frame_listeners else self._sent_store
            for event in events:
                if type(event) is FrameBatch:
                    if store is not None:
                        if self._held.headers:
                            self._record_sent()
                        try:
                            store.add_received(t, event)
                        except Exception:  # a broken capture must not break the connection
                            log.exception("the capture failed on frames received")
                    else:
                        publish(FramesCaptured(t, _IN, event))
                    if self._pings:
                        self._match_pongs(event, t)
                    if self.pong_delay is not None:
                        self._timekeeper().delay_pongs(event, self.pong_delay)
                elif type(event) is Message:
                    publish_message(t, _IN, event)
                    if on_message is not None:
                        on_message(event)
                elif isinstance(event, Failure):
                    # Messages before the failure have been answered: now the close.
                    proto.send_failure_close()
                    self.record_error(ErrorStep.PROTOCOL, str(event), fatal=True)
                    # Section 7.1.7: no more processing of the peer's data once failed;
                    # later frames of this read are still captured, not acted on.
                    on_message = None
        self.flush()
        if proto.failure is not None and self.transport is not None:
            # Failing the connection (section 7.1.7): the close frame is queued; the
            # TCP connection goes once it is written.
            self.write_pending()
            self.transport.close()
            self._arm_close_timer()
        elif proto.close_received is not None:
            self._closing_handshake_progress()

    def _match_pongs(self, batch: FrameBatch, t: float) -> None:
        for i in range(len(batch)):
            if batch.b0(i) & 0x0F == Opcode.PONG:
                sent = self._pings.pop(batch.payloads[i], None)
                if sent is not None:
                    if self.timekeeper is not None:
                        self.timekeeper.answered(batch.payloads[i], t)
                    self.last_rtt = t - sent
                    self.publish(RttSample(t, t - sent, batch.payloads[i]))

    def _closing_handshake_progress(self) -> None:
        proto = self.protocol
        assert proto is not None
        if self.state is ConnectionState.OPEN:
            self.set_state(ConnectionState.CLOSING)
        if proto.close_handshake_done and self.transport is not None:
            if self.role is Role.SERVER:
                # The server closes TCP first (section 7.1.1).
                self.write_pending()
                self.transport.close()
            self._arm_close_timer()

    def _arm_close_timer(self) -> None:
        if self._close_timer is None and self.transport is not None:
            loop = asyncio.get_running_loop()
            self._close_timer = loop.call_later(self.close_timeout, self._close_timed_out)

    def _close_timed_out(self) -> None:
        self._close_timer = None
        transport = self.transport
        if transport is None or self.closed.done():
            return
        if not transport.is_closing():
            proto = self.protocol
            if proto is not None and proto.close_sent is not None and proto.close_received is None:
                what = "did not answer our close frame"
            else:
                what = "did not close the TCP connection"
            self.record_error(
                ErrorStep.CLOSE,
                f"the peer {what} within {self.close_timeout:g} s"
                + (" after the closing handshake" if what.startswith("did not close") else "")
                + "; closing it here",
                fatal=False,
            )
            self.write_pending()
            transport.close()
            self._arm_close_timer()  # closing waits for the peer to read what is queued
        else:
            # Closed, but what was written is still queued: the peer does not read.
            self.record_error(
                ErrorStep.CLOSE,
                f"the peer has not read the {transport.get_write_buffer_size()} bytes still "
                f"queued for it {self.close_timeout:g} s after the connection was closed; "
                "dropping it",
                fatal=False,
            )
            transport.abort()

    def _after_eof(self) -> None:
        proto = self.protocol
        assert proto is not None
        if proto.incomplete_bytes:
            self.publish(
                ViolationCaptured(
                    self.now(),
                    Direction.IN,
                    Violation(
                        Rule.INCOMPLETE_FRAME,
                        f"the stream ended with {proto.incomplete_bytes} bytes of an "
                        "incomplete frame",
                        proto.bytes_received,
                    ),
                )
            )
        if self.transport is not None and not self.transport.is_closing():
            self.write_pending()
            self.transport.close()
            self._arm_close_timer()

    def _finish(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)  # nothing more will be written
        if self.timekeeper is not None:
            self.timekeeper.stop()
        proto = self.protocol
        if self.state is not ConnectionState.CLOSED:
            if proto is None:
                self.set_state(
                    ConnectionState.CLOSED, clean=False, detail="closed during the handshake"
                )
            else:
                code = (
                    proto.close_code
                    if proto.close_received is not None
                    else CloseCode.ABNORMAL_CLOSURE
                )
                if proto.close_received is not None and code is None:
                    code = CloseCode.NO_STATUS_RCVD
                detail = _unclean_because(proto)
                self.set_state(
                    ConnectionState.CLOSED,
                    code=int(code) if code is not None else None,
                    reason=proto.close_reason,
                    clean=not detail,
                    detail=detail,
                )
        if not self.closed.done():
            self.closed.set_result(None)
        self._break_cycles()

    def _break_cycles(self) -> None:
        """Drop the callbacks that point back at this connection, so that a closed one
        is freed at once, without waiting for a full garbage collection (a long-running
        server closes thousands). Listeners stay: events may follow the end (a failed
        connect reports its error after the transport is gone)."""
        self._on_handshake_data = None
        self._on_handshake_eof = None
        self._on_message = None
        self._close_timer = None
        if self.store is not None:
            self.store.on_capped = None

    # ------------------------------------------------- what callers may ask
    # The GUI and the command line ask these instead of reaching into the protocol
    # state or the transport.
    @property
    def is_open(self) -> bool:
        """Frames can be exchanged: the handshake succeeded and TCP is up."""
        return self.protocol is not None and not self.is_closing

    @property
    def is_closing(self) -> bool:
        """The transport is gone or closing: nothing more can be written."""
        return self.transport is None or self.transport.is_closing()

    @property
    def close_sent(self) -> bool:
        """We sent a close frame (or a crafted frame with the CLOSE opcode)."""
        return self.protocol is not None and self.protocol.close_sent is not None

    @property
    def close_received(self) -> bool:
        return self.protocol is not None and self.protocol.close_received is not None

    @property
    def deflate_negotiated(self) -> bool:
        """permessage-deflate is in use on this connection (RFC 7692)."""
        return self.protocol is not None and self.protocol.deflate is not None

    @property
    def writing_failed(self) -> bool:
        """A write failed: nothing more reaches the peer."""
        return self._write_failed

    def ping_sent_at(self, payload: bytes) -> float | None:
        """When our latest ping with this payload went, if no pong answered it yet."""
        return self._pings.get(payload)

    async def wait_closed(self) -> None:
        await asyncio.shield(self.closed)

    def info(self) -> dict[str, Any]:
        proto = self.protocol
        return {
            "url": self.url,
            "state": self.state.value,
            "bytes_in": proto.bytes_received if proto else 0,
            "bytes_out": proto.bytes_sent if proto else 0,
            "rtt": self.last_rtt,
        }
