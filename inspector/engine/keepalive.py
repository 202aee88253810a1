"""Time on one connection: periodic pings with a deadline for their pongs, and pongs
answered late (the pong policy's delay).

A :class:`Timekeeper` belongs to one :class:`~inspector.engine.connection.Connection`,
which makes it when first needed and stops it when it ends: every timer it set is
cancelled then, so that nothing fires on a closed connection.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..capture.events import ConnectionState, ErrorStep
from ..protocol.constants import Opcode
from ..protocol.frames import FrameBatch
from ..protocol.violations import LocalProtocolError
from ..views.text import escape_control

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Timekeeper", "format_ping"]


def format_ping(payload: bytes) -> str:
    """A ping payload in a sentence: quoted text when it is UTF-8, else hex."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.hex(" ")
    return repr(escape_control(text)) if text else "(empty)"


class Timekeeper:
    """The timed parts of one connection, which it holds weakly: a closed connection
    is in no reference cycle (it is freed without waiting for the garbage collector)."""

    def __init__(self, conn: Connection) -> None:
        self._ref = weakref.ref(conn)
        self._timers: set[asyncio.TimerHandle] = set()
        self.keepalive: asyncio.Task[None] | None = None
        self._counter = 0
        #: The keepalive pings' one payload when the user chose it, and when a pong to
        #: it last came: with one payload for every ping, a pong names no single ping.
        self._payload = b""
        self._answered = -1.0

    # ------------------------------------------------------------- keepalive
    def start_keepalive(
        self,
        interval: float,
        *,
        timeout: float | None = None,
        payload: bytes = b"",
        fail_late: bool = True,
    ) -> None:
        """Ping every ``interval`` seconds; each pong gives an RTT sample.

        ``payload`` is every ping's payload (empty: ``ka-1``, ``ka-2``... so that each
        pong names its ping). With ``timeout``, a ping unanswered that long is late: a
        fatal timeout error that fails the connection when ``fail_late``, else a note
        in the capture, and the pings go on (a late pong still gives its RTT).
        """
        if len(payload) > 125:
            raise LocalProtocolError("a ping payload is at most 125 bytes")
        if interval and interval > 0 and self.keepalive is None:
            self._payload = payload
            self.keepalive = asyncio.get_running_loop().create_task(
                self._keepalive_loop(interval, timeout, fail_late)
            )

    async def _keepalive_loop(
        self, interval: float, timeout: float | None, fail_late: bool
    ) -> None:
        # No reference to the connection across the sleep: it holds none of us.
        while True:
            await asyncio.sleep(interval)
            if not self._ping(timeout, fail_late):
                return

    def _ping(self, timeout: float | None, fail_late: bool) -> bool:
        """Send the next keepalive ping; False once the connection no longer takes one."""
        conn = self._ref()
        if conn is None or conn.protocol is None:
            return False
        proto = conn.protocol
        if proto.state is not ConnectionState.OPEN or proto.close_sent is not None:
            return False
        self._counter += 1
        ping = self._payload or b"ka-" + str(self._counter).encode()
        conn.send_ping(ping)
        sent = conn.ping_sent_at(ping)
        if timeout is not None and timeout > 0 and sent is not None:
            self._later(timeout, self._deadline, ping, sent, timeout, fail_late)
        return True

    def answered(self, payload: bytes | memoryview, t: float) -> None:
        """A pong to one of our pings came at ``t``."""
        if self._payload and payload == self._payload:
            self._answered = t

    def _deadline(self, payload: bytes, sent: float, timeout: float, fail_late: bool) -> None:
        conn = self._ref()
        if conn is None or conn.closed.done() or conn.ping_sent_at(payload) is None:
            return  # answered (the only ping with this payload, or the latest)
        if payload == self._payload and self._answered >= sent:
            return  # a pong to the one payload came since this ping
        what = f"no pong to our ping {format_ping(payload)} within {timeout:g} s"
        if not fail_late or conn.close_sent:
            conn.record_error(ErrorStep.TIMEOUT, what, fatal=False)
        else:
            conn.give_up(what + ": the connection is failed", "no pong in time")

    # ------------------------------------------------------------ late pongs
    def delay_pongs(self, batch: FrameBatch, delay: float) -> None:
        """Answer the pings of ``batch`` in ``delay`` seconds (the protocol's
        automatic pong is off)."""
        for i in range(len(batch)):
            if batch.b0(i) & 0x0F == Opcode.PING:
                self._later(delay, self._late_pong, bytes(batch.payloads[i][:125]))

    def _late_pong(self, payload: bytes) -> None:
        conn = self._ref()
        if conn is None:
            return
        proto = conn.protocol
        # What the automatic pong checks when the ping arrives, checked when it is due:
        # no pong once either close frame is on its way or the connection failed.
        if (
            proto is None
            or conn.writing_failed
            or conn.is_closing
            or proto.close_sent is not None
            or proto.close_received is not None
            or proto.failure is not None
        ):
            return
        conn.send_pong(payload)

    # ---------------------------------------------------------------- timers
    def _later(self, delay: float, callback: Callable[..., None], *args: Any) -> None:
        """``callback(*args)`` in ``delay`` seconds, unless the connection ends first."""

        def fire() -> None:
            self._timers.discard(handle)
            callback(*args)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)

    @property
    def pending(self) -> int:
        """Timers set and not yet fired."""
        return len(self._timers)

    def stop(self) -> None:
        if self.keepalive is not None:
            self.keepalive.cancel()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
