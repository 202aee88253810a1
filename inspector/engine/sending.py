"""What a :class:`~inspector.engine.connection.Connection` sends, and how it reaches
the socket: the first write of an event-loop turn goes out at once, later ones of the
same turn (and everything sent while a read is handled) in one write at its end, so
that the kernel can coalesce a burst (measured: 153k TCP segments for 200k small
messages before, and one ``send`` per message). Frames sent are recorded in the
capture store's columns, in bulk at the end of the turn when nobody else listens.

The common send, a whole plain text or binary message once the turn's burst has
begun, is :meth:`SendingSide.send_text` (or ``send_binary``) and one protocol call,
``Protocol.send_plain_into``: it frames the message straight into the burst and keeps
its header, payload, offset and time in the connection's
:class:`~inspector.protocol.sending.SentColumns`, added to the store in bulk
(``add_sent_columns``); whether the protocol's state allows it is one flag, not nine
checks. Two Python calls and ~200 bytecodes a send (there were three calls and ~250,
nine calls before that). Columns, not the Frame records: holding 10k Frame tuples a
turn set the garbage collector off every 700 sends (and a full collection every
50k), where a turn of columns holds no container objects. Anything else
(compression, fragments, crafted frames, control frames, a listener of frames or
messages) takes :meth:`SendingSide.flush`, which records whatever is held first, so
that the store keeps the order of the wire.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    FramesCaptured,
    RawBytesSent,
)
from ..protocol.connection import Protocol
from ..protocol.events import Message
from ..protocol.frames import Frame, FrameSpec
from ..protocol.sending import SentColumns
from ..protocol.violations import LocalProtocolError

_now = time.monotonic

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..capture.store import CaptureStore

__all__ = ["SendingSide"]

log = logging.getLogger("inspector.engine.connection")

#: Bytes held for the end of an event-loop turn before they are written anyway.
_BURST_LIMIT = 256 * 1024
#: Chunks smaller than this are joined into one write; larger ones are written alone.
_JOIN_LIMIT = 64 * 1024


class SendingSide:
    """The sending half of :class:`~inspector.engine.connection.Connection`, which owns
    these attributes, the listeners and the closing handshake."""

    state: ConnectionState
    store: CaptureStore | None
    transport: asyncio.Transport | None
    protocol: Protocol | None
    closed: asyncio.Future[None]
    close_timeout: float
    _t0: float
    _burst: list[bytes] | None
    #: The burst is written once the protocol's bytes_sent reaches this.
    _burst_end: int
    _burst_scheduled: bool
    _receiving: bool
    _frame_listeners: list[Callable[[CaptureEvent], None]]
    _sent_store: CaptureStore | None
    _held: SentColumns
    _pings: dict[bytes, float]
    _write_failed: bool
    _paused: bool
    _drain_waiter: asyncio.Future[None] | None
    #: Sent frames may wait for the end of the turn to be recorded: the store listens,
    #: nobody else listens to frames, writing has not failed (see send_text).
    _hold_sent: bool

    if TYPE_CHECKING:

        def now(self) -> float: ...
        def publish(self, event: CaptureEvent) -> None: ...
        def _publish_message(self, t: float, direction: Direction, message: Message) -> None: ...
        def set_state(
            self,
            state: ConnectionState,
            *,
            code: int | None = None,
            reason: str | None = None,
            clean: bool | None = None,
            detail: str = "",
        ) -> None: ...
        def _closing_handshake_progress(self) -> None: ...
        def _arm_close_timer(self) -> None: ...
        def _finish(self) -> None: ...

    def flush(self) -> list[Frame]:
        """Write what the protocol queued and publish records of it."""
        proto = self.protocol
        if proto is None:
            return []
        data = proto.data_to_send()
        sent = proto.events_sent()
        if not sent and not data:
            return []
        if self._write_failed:
            log.debug("%d frames not sent: writing failed already", len(sent))
            return []
        if data:
            burst = self._burst
            if burst and len(data) <= 2:  # mid-turn, one frame: _write's common case
                burst += data
                if proto.bytes_sent >= self._burst_end:
                    self.write_pending()
            else:
                self._write(data)
        t = time.monotonic() - self._t0
        if len(sent) == 1 and type(sent[0]) is Frame:  # the common case: one frame
            frame = sent[0]
            store = self._sent_store
            if store is not None:
                if (
                    self._hold_sent
                    and self._burst is not None
                    and (frame[2][0] & 0x8F) in (0x81, 0x82)
                    and not frame[4]
                ):
                    # A whole data message without violations, mid-turn: held for
                    # one bulk add at the turn's end, as send_plain_into's are.
                    if not self._held.headers:
                        store.hold(self._record_sent)
                    self._held.append(frame, t)  # type: ignore[arg-type]
                else:
                    if self._held.headers:
                        self._record_sent()
                    try:
                        store.add_sent(t, frame)  # type: ignore[arg-type]
                    except Exception:  # a broken capture must not break the connection
                        log.exception("the capture failed on frames sent")
            if self._frame_listeners:
                self._publish_sent(t, sent)  # type: ignore[arg-type]
            if frame.header[0] == 0x89:  # a ping of ours: its pong gives the RTT
                self._pings[frame.payload] = t
            if proto.close_sent is not None and self.state is ConnectionState.OPEN:
                self._close_sent_progress(proto)
            return sent  # type: ignore[return-value]
        frames = [e for e in sent if type(e) is Frame]
        messages = [e for e in sent if type(e) is Message]
        if frames:
            store = self._sent_store
            if store is not None:
                self._record_sent()
                try:
                    store.add_frames(t, Direction.OUT, frames)
                except Exception:  # a broken capture must not break the connection
                    log.exception("the capture failed on frames sent")
            if self._frame_listeners:
                self._publish_sent(t, frames)
            for frame in frames:
                if frame.header[0] == 0x89:  # a ping of ours: its pong gives the RTT
                    self._pings[frame.payload] = t
        for message in messages:
            self._publish_message(t, Direction.OUT, message)
        if proto.close_sent is not None and self.state is ConnectionState.OPEN:
            self._close_sent_progress(proto)
        return frames

    def _publish_sent(self, t: float, frames: list[Frame]) -> None:
        event = FramesCaptured(t, Direction.OUT, frames)
        for listener in self._frame_listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the connection
                log.exception("capture listener %r failed on FramesCaptured", listener)

    def _close_sent_progress(self, proto: Protocol) -> None:
        self.set_state(ConnectionState.CLOSING)
        if proto.close_handshake_done:
            self._closing_handshake_progress()

    def _write(self, data: list[bytes]) -> None:
        """Write at once the first time in an event-loop turn (a lone message waits
        for nothing); join the writes that follow in the same turn into one socket
        write at its end, and those made while a read is handled into one write when
        it is. One ``send`` per message, with the peer woken for each, was the
        largest cost of sending a flood of small messages (issue 13)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        burst = self._burst
        if burst is None:
            self._burst_end = self._bytes_sent() + _BURST_LIMIT
            if self._receiving:  # written when the read is handled (buffer_updated)
                self._burst = list(data)
                return
            self._burst = []
            self._burst_scheduled = True
            self.closed.get_loop().call_soon(self._end_burst)
            self._write_now(transport, data)
            return
        burst.extend(data)
        if self._bytes_sent() >= self._burst_end:
            self.write_pending()

    def _bytes_sent(self) -> int:
        proto = self.protocol
        return proto.bytes_sent if proto is not None else 0

    @staticmethod
    def _write_now(transport: asyncio.Transport, data: list[bytes]) -> None:
        if len(data) == 1:
            transport.write(data[0])
        elif len(data) == 2 and len(data[1]) < _JOIN_LIMIT:  # one frame: header, payload
            transport.write(data[0] + data[1])
        elif max(map(len, data)) < _JOIN_LIMIT:
            transport.writelines(data)  # joined: one socket write
        else:
            # A large payload is written as it is, not copied to be joined.
            run: list[bytes] = []
            for chunk in data:
                if len(chunk) < _JOIN_LIMIT:
                    run.append(chunk)
                    continue
                if run:
                    transport.writelines(run)
                    run = []
                transport.write(chunk)
            if run:
                transport.writelines(run)

    def _record_sent(self) -> None:
        """Add the sent frames held back to the store, as columns: whole data
        messages without violations (whatever is recorded otherwise records these
        first), so that their records need not be taken apart again."""
        held = self._held
        if not held.headers:
            return
        self._held = SentColumns()
        store = self.store
        if store is None:
            return
        store.hold(None)
        try:
            store.add_sent_columns(held.t, held.seq0, held.offsets, held.headers, held.payloads)
        except Exception:  # a broken capture must not break the connection
            log.exception("the capture failed on frames sent")

    def write_pending(self) -> None:
        """Hand the writes held for the end of this event-loop turn to the transport
        now (before closing it, or to measure its buffer)."""
        if self._held.headers:
            self._record_sent()
        burst = self._burst
        if burst:
            self._burst = []
            proto = self.protocol
            if proto is not None:
                self._burst_end = proto.bytes_sent + _BURST_LIMIT
            transport = self.transport
            if transport is not None and not transport.is_closing():
                self._write_now(transport, burst)

    def _end_burst(self) -> None:
        self.write_pending()
        self._burst = None
        self._burst_scheduled = False

    # ---------------------------------------------------------- flow control
    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    @property
    def writing_paused(self) -> bool:
        """The transport's write buffer is over its high-water mark: :meth:`drain`
        would wait. A sending loop checks this and awaits drain() only then, instead
        of a coroutine per message."""
        return self._paused

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark (or until
        the connection ends). Several callers may wait at once."""
        if self._paused and self.transport is not None and not self.transport.is_closing():
            if self._drain_waiter is None or self._drain_waiter.done():
                self._drain_waiter = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._drain_waiter)

    def _proto(self) -> Protocol:
        if self.protocol is None:
            raise LocalProtocolError("the connection is not open")
        return self.protocol

    def send_text(
        self, text: str, *, fragments: int = 1, compress: bool | None = None
    ) -> list[Frame]:
        proto = self.protocol
        if proto is None:
            raise LocalProtocolError("the connection is not open")
        burst = self._burst
        if burst is None and self._receiving:
            burst = self._begin_read_burst(proto)
        if burst is not None and fragments == 1 and self._hold_sent:
            # The common send, all of it (see the module's docstring).
            held = self._held
            if held.headers:  # a flood's: held with those before
                frame = proto.send_plain_into(0x81, text.encode(), burst, held, _now() - self._t0)
            else:
                frame = self._send_first_plain(proto, 0x81, text.encode(), burst)
            if frame is not None:
                if proto.bytes_sent >= self._burst_end:
                    self.write_pending()
                return [frame]
        proto.send_text(text, fragments=fragments, compress=compress)
        return self.flush()

    def send_binary(
        self, data: bytes, *, fragments: int = 1, compress: bool | None = None
    ) -> list[Frame]:
        proto = self.protocol
        if proto is None:
            raise LocalProtocolError("the connection is not open")
        burst = self._burst
        if burst is None and self._receiving:
            burst = self._begin_read_burst(proto)
        if burst is not None and fragments == 1 and self._hold_sent:
            held = self._held
            if held.headers:
                frame = proto.send_plain_into(0x82, bytes(data), burst, held, _now() - self._t0)
            else:
                frame = self._send_first_plain(proto, 0x82, bytes(data), burst)
            if frame is not None:
                if proto.bytes_sent >= self._burst_end:
                    self.write_pending()
                return [frame]
        proto.send_binary(data, fragments=fragments, compress=compress)
        return self.flush()

    def _begin_read_burst(self, proto: Protocol) -> list[bytes]:
        """The burst of writes a read makes (sends from on_message, an echo server's
        echoes, pongs), written when the read is handled (buffer_updated): its first
        send can take the fast path too, as later ones of a turn do."""
        burst: list[bytes] = []
        self._burst = burst
        self._burst_end = proto.bytes_sent + _BURST_LIMIT
        return burst

    def _send_first_plain(
        self, proto: Protocol, b0: int, payload: bytes, burst: list[bytes]
    ) -> Frame | None:
        """:meth:`send_text`'s fast path when nothing is held yet. The first answer
        to a read, often its only one (a round trip), goes to the store at once, which
        costs less than holding one frame; otherwise the store is told that frames
        are held (:meth:`CaptureStore.hold`), so that it adds them before anyone
        reads it or adds to it."""
        store = self._sent_store
        assert store is not None  # _hold_sent says so
        t = _now() - self._t0
        if self._receiving and not burst:
            frame = proto.send_plain_into(b0, payload, burst, None, t)
            if frame is not None:
                try:
                    store.add_sent(t, frame)
                except Exception:  # a broken capture must not break the connection
                    log.exception("the capture failed on frames sent")
            return frame
        store.hold(self._record_sent)
        return proto.send_plain_into(b0, payload, burst, self._held, t)

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
