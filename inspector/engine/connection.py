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
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    ViolationCaptured,
)
from ..capture.store import CaptureStore
from ..protocol.connection import Protocol
from ..protocol.constants import CloseCode, Opcode, Role, State
from ..protocol.events import Failure, Message
from ..protocol.frames import Frame, FrameBatch, FrameSpec
from ..protocol.violations import LocalProtocolError, Rule, Violation
from .leftovers import read_leftovers, read_tls_leftovers_on_error

__all__ = ["Connection", "Listener", "new_session"]

log = logging.getLogger("inspector.engine")

Listener = Callable[[CaptureEvent], None]


def new_session(url: str, role: Role, source: SessionSource = SessionSource.LIVE) -> SessionInfo:
    now = datetime.datetime.now(datetime.UTC).astimezone()
    return SessionInfo(
        url=url,
        role=SessionRole(role.value),
        started_at=now.isoformat(timespec="milliseconds"),
        started_unix=now.timestamp(),
        source=source,
    )


class Connection(asyncio.BufferedProtocol):
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
    ) -> None:
        self.role = role
        self.url = url
        self.session = new_session(url, role)
        self._t0 = time.monotonic()
        self.store: CaptureStore | None = CaptureStore(self.session) if keep_capture else None
        self._listeners: list[Listener] = [self.store.add] if self.store is not None else []
        #: Listeners of every :class:`MessageCaptured`, and of those of composite
        #: messages only (fragmented, compressed or truncated); see :meth:`subscribe`.
        self._message_listeners: list[Listener] = []
        self._composite_listeners: list[Listener] = list(self._listeners)
        self.close_timeout = close_timeout
        self._buffer = bytearray(read_size)
        self._view = memoryview(self._buffer)
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
        self._keepalive: asyncio.Task[None] | None = None
        self._ping_counter = 0
        self.last_rtt: float | None = None
        self.on_message: Callable[[Message], None] | None = None
        self.error: ErrorCaptured | None = None
        #: The CLOSED state change, once the connection has ended.
        self.final_state: StateChanged | None = None
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        #: A write failed: nothing more reaches the peer, so nothing more is recorded
        #: as sent (automatic replies included).
        self._write_failed = False

    # ------------------------------------------------------------ listeners
    def now(self) -> float:
        return time.monotonic() - self._t0

    def subscribe(self, listener: Listener, *, messages: bool | str = True) -> None:
        """Call ``listener`` with every capture event.

        ``messages`` chooses which :class:`MessageCaptured` it gets: ``True`` every one
        (one per frame in a flood of small messages), ``"composite"`` only those that
        are more than their one frame shows (fragmented, compressed or truncated: what
        a capture must keep), ``False`` none.
        """
        if messages not in (True, False, "composite"):
            raise ValueError("messages is True, False or 'composite'")
        self._listeners.append(listener)
        if messages is True:
            self._message_listeners.append(listener)
        elif messages == "composite":
            self._composite_listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        for group in (self._listeners, self._message_listeners, self._composite_listeners):
            with contextlib.suppress(ValueError):
                group.remove(listener)

    def publish(self, event: CaptureEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the connection
                log.exception("capture listener %r failed on %s", listener, type(event).__name__)

    def _publish_message(self, t: float, direction: Direction, message: Message) -> None:
        # A MessageCaptured costs about half a microsecond to make: only made for a
        # message someone listens to.
        everyone = self._message_listeners
        composite = (
            self._composite_listeners
            if (message.frame_count > 1 or message.compressed or message.truncated)
            else ()
        )
        if not everyone and not composite:
            return
        event = MessageCaptured(t, direction, message)
        for listener in (*everyone, *composite):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the connection
                log.exception("capture listener %r failed on MessageCaptured", listener)

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
        self.publish(event)

    def record_error(
        self, step: ErrorStep | str, message: str, *, fatal: bool = True
    ) -> ErrorCaptured:
        error = ErrorCaptured(self.now(), ErrorStep(step), message, fatal)
        if fatal and self.error is None:
            self.error = error
        self.publish(error)
        return error

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
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self._dispatch(self._view[:nbytes])

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
                log.debug(
                    "read %d bytes left in the socket after %r", sum(map(len, chunks)), exc
                )
                self._writing_failed()
                for chunk in chunks:
                    self._dispatch(chunk)
        if self.protocol is None:
            if self._on_handshake_eof is not None:
                self._on_handshake_eof()
        elif not self.protocol.eof_received:
            self.protocol.receive_eof()
            if exc is not None and self.error is None:
                self.record_error("read", f"the connection was lost: {exc}")
            self._after_eof()
        self._finish()

    def _writing_failed(self) -> None:
        """Nothing can be written any more: the peer's leftovers are read without
        automatic replies, which would be recorded as sent and never be."""
        self._write_failed = True
        if self.protocol is not None:
            self.protocol.auto_pong = False
            self.protocol.auto_close = False

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark (or until
        the connection ends). Several callers may wait at once."""
        if self._paused and self.transport is not None and not self.transport.is_closing():
            if self._drain_waiter is None or self._drain_waiter.done():
                self._drain_waiter = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._drain_waiter)

    # ------------------------------------------------------------------ open
    def open(self, protocol: Protocol, trailing: bytes = b"") -> None:
        """The handshake succeeded: from now on bytes are frames."""
        self.protocol = protocol
        self._on_handshake_data = None
        self.set_state(ConnectionState.OPEN)
        if trailing:
            self.receive(trailing)

    def start_keepalive(self, interval: float) -> None:
        if interval and interval > 0 and self._keepalive is None:
            self._keepalive = asyncio.get_running_loop().create_task(self._keepalive_loop(interval))

    async def _keepalive_loop(self, interval: float) -> None:
        while self.protocol is not None and self.protocol.state is State.OPEN:
            await asyncio.sleep(interval)
            if self.protocol.state is not State.OPEN or self.protocol.close_sent is not None:
                return
            self._ping_counter += 1
            self.send_ping(b"ka-" + str(self._ping_counter).encode())

    # --------------------------------------------------------------- receive
    def receive(self, data: bytes | memoryview) -> None:
        proto = self.protocol
        assert proto is not None
        proto.receive_data(data)
        events = proto.events_received()
        if events:
            t = self.now()
            publish = self.publish
            publish_message = self._publish_message
            on_message = self.on_message
            for event in events:
                if type(event) is FrameBatch:
                    publish(FramesCaptured(t, Direction.IN, event))
                    if self._pings:
                        self._match_pongs(event, t)
                elif type(event) is Message:
                    publish_message(t, Direction.IN, event)
                    if on_message is not None:
                        on_message(event)
                elif isinstance(event, Failure):
                    # Messages before the failure have been answered: now the close.
                    proto.send_failure_close()
                    self.record_error("protocol", str(event), fatal=True)
                    # Section 7.1.7: no more processing of the peer's data once failed;
                    # later frames of this read are still captured, not acted on.
                    on_message = None
        self.flush()
        if proto.failure is not None and self.transport is not None:
            # Failing the connection (section 7.1.7): the close frame is queued; the
            # TCP connection goes once it is written.
            self.transport.close()
            self._arm_close_timer()
        elif proto.close_received is not None:
            self._closing_handshake_progress()

    def _match_pongs(self, batch: FrameBatch, t: float) -> None:
        for i in range(len(batch)):
            if batch.b0(i) & 0x0F == Opcode.PONG:
                sent = self._pings.pop(batch.payloads[i], None)
                if sent is not None:
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
            self.record_error(
                "close",
                f"the peer did not close the TCP connection within {self.close_timeout:g} s "
                "after the closing handshake; closing it here",
                fatal=False,
            )
            transport.close()
            self._arm_close_timer()  # closing waits for the peer to read what is queued
        else:
            # Closed, but what was written is still queued: the peer does not read.
            self.record_error(
                "close",
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
            self.transport.close()
            self._arm_close_timer()

    def _finish(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)  # nothing more will be written
        if self._keepalive is not None:
            self._keepalive.cancel()
        proto = self.protocol
        if self.state is not ConnectionState.CLOSED:
            if proto is None:
                self.set_state(
                    ConnectionState.CLOSED, clean=False, detail="closed during the handshake"
                )
            else:
                clean = proto.close_handshake_done and proto.failure is None
                code = (
                    proto.close_code
                    if proto.close_received is not None
                    else CloseCode.ABNORMAL_CLOSURE
                )
                if proto.close_received is not None and code is None:
                    code = CloseCode.NO_STATUS_RCVD
                detail = ""
                if proto.failure is not None:  # we failed it: say why, not how it ended
                    detail = f"failed: {proto.failure}"
                elif not proto.close_received:
                    detail = "the TCP connection closed without a close frame"
                self.set_state(
                    ConnectionState.CLOSED,
                    code=int(code) if code is not None else None,
                    reason=proto.close_reason,
                    clean=clean,
                    detail=detail,
                )
        if not self.closed.done():
            self.closed.set_result(None)

    # ------------------------------------------------------------------ send
    def flush(self) -> list[Frame]:
        """Write what the protocol queued and publish records of it."""
        proto = self.protocol
        if proto is None:
            return []
        data = proto.data_to_send()
        sent = proto.events_sent()
        if not data and not sent:
            return []
        if self._write_failed:
            log.debug("%d frames not sent: writing failed already", len(sent))
            return []
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.writelines(data)
        frames = [e for e in sent if type(e) is Frame]
        t = self.now()
        if frames:
            self.publish(FramesCaptured(t, Direction.OUT, frames))
            for frame in frames:
                if frame.opcode == Opcode.PING:
                    self._pings[frame.payload] = t
        for event in sent:
            if type(event) is Message:
                self._publish_message(t, Direction.OUT, event)
        if proto.close_sent is not None and self.state is ConnectionState.OPEN:
            self.set_state(ConnectionState.CLOSING)
            if proto.close_handshake_done:
                self._closing_handshake_progress()
        return frames

    def _proto(self) -> Protocol:
        if self.protocol is None:
            raise LocalProtocolError("the connection is not open")
        return self.protocol

    def send_text(
        self, text: str, *, fragments: int = 1, compress: bool | None = None
    ) -> list[Frame]:
        self._proto().send_text(text, fragments=fragments, compress=compress)
        return self.flush()

    def send_binary(
        self, data: bytes, *, fragments: int = 1, compress: bool | None = None
    ) -> list[Frame]:
        self._proto().send_binary(data, fragments=fragments, compress=compress)
        return self.flush()

    def send_ping(self, payload: bytes = b"") -> list[Frame]:
        self._proto().send_ping(payload)
        return self.flush()

    def send_pong(self, payload: bytes = b"") -> list[Frame]:
        self._proto().send_pong(payload)
        return self.flush()

    def send_close(self, code: int | None = 1000, reason: str = "") -> list[Frame]:
        proto = self._proto()
        proto.send_close(code, reason)
        frames = self.flush()
        if proto.close_handshake_done:
            self._closing_handshake_progress()
        else:
            self._arm_close_timer()
        return frames

    def send_frame(self, spec: FrameSpec) -> list[Frame]:
        self._proto().send_frame(spec)
        return self.flush()

    def send_raw(self, data: bytes) -> None:
        proto = self._proto()
        offset = proto.bytes_sent
        proto.send_raw(data)
        self.flush()
        self.publish(RawBytesSent(self.now(), bytes(data), offset))

    async def close(self, code: int | None = 1000, reason: str = "") -> None:
        """Run the closing handshake and wait (bounded) for the TCP connection to end."""
        proto = self.protocol
        if proto is None:
            self.abort()
            return
        if (
            proto.close_sent is None
            and self.transport is not None
            and not self.transport.is_closing()
        ):
            self.send_close(code, reason)
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), self.close_timeout * 2)
        except TimeoutError:
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        else:
            self._finish()

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
