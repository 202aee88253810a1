"""The one narrow interface between the GUI and the engine.

:class:`SessionController` owns one engine connection and its capture store. The
engine publishes capture events synchronously and, in a flood, hundreds of
thousands of frames per second; the controller's listener counts the frames and
keeps the rare events (it does not take the per-message events at all). A
single-shot Qt timer (:attr:`SessionController.TICK_MS`) hands the GUI a handful of
signals per tick: one :attr:`captureUpdated` (the timeline refreshes once), one
:attr:`statsChanged`, and the rare handshake, error and state events. Never one
signal per frame. In a flood, ticks are shown only as often as what showing them
costs allows (:attr:`SessionController.RENDER_BUDGET`), the end of a flood is shown
at once, and no full garbage collection runs while it lasts.

No other GUI module imports :mod:`inspector.engine` (except the probe tab's
controller, :mod:`inspector.gui.probe`); the option types are re-exported from
here. With :attr:`SessionController.journal_dir` set, every live connection is
journaled to disk as it runs (:class:`~inspector.engine.journal.Journal`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from ...lazy import lazy_exports
from ...protocol.constants import CloseCode, ConnectionState, Opcode
from ...views.problems import problems_text
from .support import FloodGc, SessionStats, check_url, server_note, spawn

if TYPE_CHECKING:
    import asyncio

    # The capture's events and store, the engine's options and the reconnecting load
    # with the first connection or capture (or the options dialog), not with the
    # window's first screen, which shows an empty tab.
    from ...capture.events import CaptureEvent, PeerCertificate, StateChanged

    # The capture format loads with the first capture opened or saved.
    from ...capture.formats.jsonl import LoadResult
    from ...capture.store import CaptureStore
    from ...capture.wire import WireCounter

    # The engine's client loads with the first connection, not with the window.
    from ...engine.connection import Connection
    from ...engine.journal import Journal
    from ...engine.options import ConnectError, ConnectOptions, TlsOptions
    from ...engine.reconnect import Backoff, ReconnectPolicy
    from ...protocol.frames import FrameSpec
    from .reconnect import Reconnecting

__all__ = [
    "LEAVE_AS_CLIENT",
    "Backoff",
    "ConnectError",
    "ConnectOptions",
    "ReconnectPolicy",
    "SessionController",
    "SessionStats",
    "TlsOptions",
    "check_url",
    "server_note",
    "spawn",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Backoff": "...engine.reconnect",
        "ConnectError": "...engine.options",
        "ConnectOptions": "...engine.options",
        "ReconnectPolicy": "...engine.reconnect",
        "TlsOptions": "...engine.options",
    },
)

log = logging.getLogger(__name__)

#: Bytes per socket read: a smaller read hands the GUI fewer frames per tick
#: (measured: p99 tick lateness 40 -> 15 ms in a flood with 32 KiB instead of 256 KiB).
GUI_READ_SIZE = 32 * 1024
#: A client whose tab closes is leaving, as a browser navigating away does.
LEAVE_AS_CLIENT = (int(CloseCode.GOING_AWAY), "client going away")


def builtin_options() -> ConnectOptions:
    """The options of a connection nobody chose options for."""
    from ...engine.options import ConnectOptions

    return ConnectOptions(read_size=GUI_READ_SIZE)


@cache
def _counted_kinds() -> tuple[type, type]:
    """The event types :meth:`SessionController._on_event` tells apart, imported once
    (the engine calls it per socket read; an import in the call costs ~3 us in the
    window, whose PySide6 hooks every import)."""
    from ...capture.events import FramesCaptured, MessageCaptured

    return FramesCaptured, MessageCaptured


class SessionController(QObject):
    """One connection (live) and its capture, seen by the GUI through signals.

    Signals (all emitted from the drain tick, a few per tick at most):

    ``storeChanged(store)``
        a new connection and capture store was started (also emitted at once by
        :meth:`connect_to`, so a view can show the attempt from its first event);
    ``captureUpdated(int)``
        new events were captured since the last tick; the int is how many frames;
    ``stateChanged(StateChanged)``, ``handshakeCaptured(HandshakeCaptured)``
        as the engine reported them;
    ``errorOccurred(step, message, fatal)``
        a failure in a step (url, dns, tcp, tls, handshake, timeout, read, protocol,
        close, send...), worded by the engine for a person;
    ``statsChanged(SessionStats)``
        frame and byte counters, last RTT;
    ``reconnectDue(int)``
        with :attr:`reconnect` set, the connection dropped and the pause before
        attempt N is over: whoever owns the tab connects again (keeping the capture,
        as any new connection does); once open, the preamble is replayed.
    """

    TICK_MS = 40
    #: In a flood (over :attr:`FLOOD_RATE` frames/s), the share of the time the GUI
    #: may spend showing ticks: a tick that costs ``c`` seconds to show (the signal
    #: handlers plus :attr:`render_cost`) is followed by ``c / RENDER_BUDGET``
    #: seconds, at most :attr:`MAX_HOLD_MS`, in which frames are counted, not shown.
    #: Measured: a repaint of a visible timeline costs 4-6 ms, so 25 shows a second
    #: took 15-20% of the time from the engine.
    RENDER_BUDGET = 0.05
    FLOOD_RATE = 20_000
    MAX_HOLD_MS = 250

    # Signal(object): the signal's type is documentation only, and the capture's
    # types load with the first connection.
    storeChanged = Signal(object)  # CaptureStore
    captureUpdated = Signal(int)
    stateChanged = Signal(object)  # StateChanged
    handshakeCaptured = Signal(object)  # HandshakeCaptured
    errorOccurred = Signal(str, str, bool)
    statsChanged = Signal(SessionStats)
    reconnectDue = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionController")
        self._conn: Connection | None = None
        #: A capture loaded from a file (read-only), when there is no connection.
        self._loaded: CaptureStore | None = None
        self.source_path: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._close_task: asyncio.Task[None] | None = None
        #: Events for the next tick, except frames (counted) and messages (not needed:
        #: the store has them), which come one or more per frame in a flood.
        self._pending: list[CaptureEvent] = []
        self._pending_frames = 0
        self._armed = False  # something arrived since the last tick; the timer runs
        self._unshown = 0  # frames counted in held-back ticks (a flood), not shown yet
        self._shown_at = 0.0  # perf_counter of the last tick that was shown
        self._hold_until = 0.0  # in a flood: no tick is shown before this
        self._flooding = False  # counted in FloodGc
        #: Seconds the views need to show a tick beyond their signal handlers (their
        #: repaint, which Qt does later); set by the view that knows it.
        self.render_cost = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._rtt: float | None = None
        self.url = ""
        self._options: ConnectOptions | None = None
        #: What makes :attr:`options` when they are first needed.
        self.make_options: Callable[[], ConnectOptions] = builtin_options
        #: How many drain ticks emitted captureUpdated (for tests and diagnostics).
        self.ticks = 0
        #: Where live connections are journaled (None: not journaled); the window sets it.
        self.journal_dir: str | None = None
        #: The journal of the current live connection, and why there is none.
        self.journal: Journal | None = None
        #: The server's certificate when the last attempt failed on it (TLS step).
        self.rejected_certificate: PeerCertificate | None = None
        self.journal_error = ""
        self._wire: WireCounter | None = None
        #: Reconnect when the connection drops (None: never); the store row of the
        #: first message that is not part of the preamble (None: all are).
        self.reconnect: ReconnectPolicy | None = None
        #: The close frame sent when the tab (or the window) goes away with the
        #: connection open: a client leaving is 1001; the server seat says otherwise.
        self.leave_close: tuple[int, str] = LEAVE_AS_CLIENT
        #: The close frame sent when the application quits (for a client the same).
        self.quit_close: tuple[int, str] = LEAVE_AS_CLIENT
        self.preamble_mark: int | None = None
        self._reconnecting: Reconnecting | None = None
        self._attempt_due = False  # the next connect_to is attempt N, not the user's
        self._pause: asyncio.Task[None] | None = None

    # --------------------------------------------------------------- reading
    @property
    def options(self) -> ConnectOptions:
        """The options of the next connection (made by :attr:`make_options` when
        first needed: the engine's option types load then, not with the window)."""
        if self._options is None:
            self._options = self.make_options()
        return self._options

    @options.setter
    def options(self, options: ConnectOptions) -> None:
        self._options = options

    @property
    def store(self) -> CaptureStore | None:
        if self._conn is not None:
            return self._conn.store
        return self._loaded

    @property
    def read_only(self) -> bool:
        """The session is a capture loaded from a file."""
        return self._conn is None and self._loaded is not None

    @property
    def state(self) -> ConnectionState | None:
        """The engine's state of the current connection (None before the first)."""
        return self._conn.state if self._conn is not None else None

    @property
    def is_open(self) -> bool:
        """Open, and no close frame sent yet: messages can be sent."""
        conn = self._conn
        return conn is not None and conn.state is ConnectionState.OPEN and not conn.close_sent

    @property
    def is_closing(self) -> bool:
        """The connection is ending: its closing handshake is under way."""
        conn = self._conn
        return conn is not None and conn.state is ConnectionState.CLOSING

    @property
    def can_send_frames(self) -> bool:
        """A frame can be written: the handshake is done and the TCP connection is up
        (even after a close frame: an inspector may break that rule on purpose)."""
        conn = self._conn
        return conn is not None and conn.is_open

    @property
    def deflate_negotiated(self) -> bool:
        conn = self._conn
        return conn is not None and conn.deflate_negotiated

    @property
    def busy(self) -> bool:
        """A connection attempt is under way."""
        return self._task is not None and not self._task.done()

    def stats(self) -> SessionStats:
        store = self.store
        if store is None:
            return SessionStats(rtt=self._rtt, state=self.state)
        from ...capture.events import Direction
        from ...capture.wire import WireCounter

        if self._wire is None or self._wire.store is not store:
            self._wire = WireCounter(store)
        return SessionStats(
            frames_out=store.counters(Direction.OUT).frames,
            frames_in=store.counters(Direction.IN).frames,
            bytes_out=self._wire.bytes(Direction.OUT),
            bytes_in=self._wire.bytes(Direction.IN),
            rtt=self._rtt,
            state=self.state,
        )

    # ------------------------------------------------------------ connecting
    def connect_to(
        self, url: str, options: ConnectOptions | None = None, *, once: bool = False
    ) -> asyncio.Task[None]:
        """Start connecting to ``url`` (dropping any current connection). Failures
        arrive as :attr:`errorOccurred` with the step; the capture of a failed
        attempt stays in :attr:`store`, and a certificate that was rejected in
        :attr:`rejected_certificate`. ``options`` become the tab's options, unless
        ``once`` (a certificate pinned for this connection only). Returns the task
        (done when the attempt is)."""
        if options is not None and not once:
            self.options = options
        chosen = options if options is not None else self.options
        self.rejected_certificate = None
        self._cancel_pause()
        if self._attempt_due:
            self._attempt_due = False
        else:  # the user's own connection: attempts, mark and preamble start over
            self.preamble_mark = None
            if self.reconnect:
                from .reconnect import Reconnecting

                self._reconnecting = Reconnecting(self.reconnect)
            else:
                self._reconnecting = None
        self._drop_connection()
        self._loaded = None
        self.source_path = None
        self.url = url.strip()
        self._rtt = None
        from ...engine.client import new_client_connection
        from .engineio import EngineIOPongs

        conn = new_client_connection(self.url, chosen)
        conn.subscribe(self._on_event, messages=False)
        if chosen.engineio_pongs:
            conn.on_message = EngineIOPongs(conn)
        self._start_journal(conn)
        self._conn = conn
        self.storeChanged.emit(conn.store)
        task = spawn(self._run_connect(conn, self.url, chosen), "connecting")
        self._task = task
        return task

    async def _run_connect(self, conn: Connection, url: str, options: ConnectOptions) -> None:
        from ...engine.client import connect
        from ...engine.options import ConnectError
        from ...protocol.violations import LocalProtocolError

        try:
            await connect(url, options, connection=conn)
        except ConnectError as exc:
            # The engine recorded the error in the capture; the drain reports it, after
            # this (it runs on a timer), so the certificate is there to go with it.
            log.info("connecting to %s failed at %s: %s", url, exc.step, exc.message)
            self.rejected_certificate = exc.certificate
        except (OSError, ValueError, LocalProtocolError) as exc:
            log.exception("connecting to %s failed unexpectedly", url)
            conn.record_error("connect", f"unexpected error: {exc}")
            conn.abort()

    def close_connection(self, code: int | None = 1000, reason: str = "") -> None:
        """Cancel an attempt, start the closing handshake, or (when already closing)
        drop the TCP connection."""
        conn = self._conn
        self._cancel_pause()
        self._reconnecting = None  # the user ended it: no further attempt
        if conn is None:
            return
        if self.busy:
            assert self._task is not None
            self._task.cancel()
            return
        if conn.state is ConnectionState.OPEN and not conn.close_sent:
            self._close_task = spawn(conn.close(code, reason), "closing")
            return
        if conn.state is not ConnectionState.CLOSED:
            conn.abort()

    def abort(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._conn is not None:
            self._conn.abort()

    async def aclose(self, timeout: float = 2.0, *, quitting: bool = False) -> None:
        """Close the connection with a bounded wait (application quit, tab close)."""
        import asyncio

        from ...protocol.violations import LocalProtocolError

        self._cancel_pause()
        self._reconnecting = None
        conn = self._conn
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout)
        if conn is None:
            return
        if conn.state is not ConnectionState.CLOSED:
            try:
                if conn.is_open and not conn.close_sent:
                    conn.send_close(*(self.quit_close if quitting else self.leave_close))
                await asyncio.wait_for(conn.wait_closed(), timeout)
            except (TimeoutError, LocalProtocolError, OSError):
                conn.abort()
        if self._close_task is not None and not self._close_task.done():
            self._close_task.cancel()
        self.drain()

    def detach(self) -> None:
        """Stop listening (the owning widget is going away); aborts the connection."""
        self._cancel_pause()
        self._reconnecting = None
        self._drop_connection()
        self._timer.stop()
        self._pending.clear()
        self._pending_frames = 0
        self._unshown = 0
        self._armed = False
        self._set_flooding(False)

    def hand_over(self, other: SessionController) -> None:
        """Move the connection, its capture and its journal to ``other`` (a tab that
        keeps the capture when this one connects again), which closes it (close
        frame 1000) if it is still open. This controller is left with nothing."""
        conn = self._conn
        if conn is None:
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        conn.unsubscribe(self._on_event)
        self._timer.stop()
        self._pending.clear()
        self._pending_frames = 0
        self._unshown = 0
        self._armed = False
        self._set_flooding(False)
        other.detach()
        other.close_journal()
        other.options = self.options
        other.url = self.url
        other._rtt = self._rtt
        other._loaded = None
        other.source_path = None
        other._conn = conn
        other.journal, self.journal = self.journal, None
        self._conn = None
        conn.subscribe(other._on_event, messages=False)
        other._show_current()
        other.close_connection()

    def _show_current(self) -> None:
        """Tell the views everything about the current capture at once (a capture
        loaded, or handed over by another tab)."""
        store = self.store
        if store is None:
            return
        from ...capture.events import Direction, ErrorCaptured

        self.storeChanged.emit(store)
        self.captureUpdated.emit(len(store))
        for direction in (Direction.OUT, Direction.IN):
            handshake = store.handshake(direction)
            if handshake is not None:
                self.handshakeCaptured.emit(handshake)
        for event in store.events:
            if isinstance(event, ErrorCaptured):
                self.errorOccurred.emit(event.step, event.message, event.fatal)
        if store.state is not None:
            self.stateChanged.emit(store.state)
        self.statsChanged.emit(self.stats())

    def _drop_connection(self) -> None:
        conn = self._conn
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if conn is not None:
            if conn.state is not ConnectionState.CLOSED:
                conn.abort()
            conn.unsubscribe(self._on_event)
            # What it still published belongs to the old store: deliver it now.
            self.drain()
            self._set_flooding(False)
        self._conn = None

    # --------------------------------------------------------------- journal
    def _start_journal(self, conn: Connection) -> None:
        """Journal ``conn`` (the previous connection's journal is deleted: its
        capture is being replaced)."""
        self.close_journal()
        self.journal_error = ""
        if self.journal_dir is None:
            return
        try:
            from ...engine.journal import Journal

            self.journal = Journal(conn, directory=self.journal_dir)
        except OSError as exc:
            self.journal_error = f"the session is not journaled: {exc.strerror or exc}"
            log.warning("cannot journal %s: %s", conn.session.url, exc)

    def close_journal(self, *, keep: bool = False) -> None:
        """Finish the current journal; delete it unless ``keep`` (keep: the session
        stays recoverable at the next start)."""
        journal, self.journal = self.journal, None
        if journal is not None:
            journal.close(keep=keep)

    # ---------------------------------------------------------- capture files
    async def open_capture(self, path: str) -> LoadResult | None:
        """Load a capture file (read in a worker thread) and show it read-only.
        Problems go to :attr:`errorOccurred` (step ``open``); returns the result, or
        None when the file could not be read at all."""
        import asyncio

        from ...capture.formats.jsonl import CaptureFormatError, read_jsonl

        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, read_jsonl, path)
        except (OSError, CaptureFormatError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.errorOccurred.emit("open", f"cannot open {path}: {reason}", True)
            return None
        self.show_store(result.store, path)
        if result.problems:
            self.errorOccurred.emit(
                "open",
                f"{path} was read with problems: {problems_text(result.problems)}",
                not result.complete,
            )
        return result

    def show_store(self, store: CaptureStore, path: str | None = None) -> None:
        """Show ``store`` read-only (a loaded capture): no connection, nothing to send."""
        from ...capture.events import RttSample

        self._drop_connection()
        self.close_journal()
        self._loaded = store
        self.source_path = path
        self.rejected_certificate = None  # a file's TLS error comes without one
        self.url = store.session.url
        self._rtt = next((e.rtt for e in reversed(store.events) if isinstance(e, RttSample)), None)
        self._show_current()

    def save_capture(self, path: str) -> int:
        """Write the current capture to ``path`` (JSON Lines); returns how many frames
        it holds. Raises OSError."""
        store = self.store
        if store is None:
            raise OSError("there is no capture to save yet")
        self.drain()
        from ...capture.formats.jsonl import write_jsonl

        write_jsonl(store, path)
        return len(store)

    # --------------------------------------------------------------- sending
    def _send(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> bool:
        conn = self._conn
        if conn is None or conn.state is ConnectionState.CONNECTING:
            self.errorOccurred.emit("send", f"cannot send {what}: not connected", False)
            return False
        if not conn.is_open:
            self.errorOccurred.emit("send", f"cannot send {what}: the connection is closed", False)
            return False
        from ...protocol.violations import LocalProtocolError

        try:
            fn(*args, **kwargs)
        except (LocalProtocolError, ValueError, OSError) as exc:
            self.errorOccurred.emit("send", f"cannot send {what}: {exc}", False)
            return False
        return True

    def send_text(self, text: str, *, fragments: int = 1, compress: bool | None = None) -> bool:
        conn = self._conn
        return self._send(
            "a text message",
            conn.send_text if conn else None,
            text,
            fragments=fragments,
            compress=compress,
        )

    def send_binary(self, data: bytes, *, fragments: int = 1, compress: bool | None = None) -> bool:
        conn = self._conn
        return self._send(
            "a binary message",
            conn.send_binary if conn else None,
            data,
            fragments=fragments,
            compress=compress,
        )

    def send_ping(self, payload: bytes = b"") -> bool:
        conn = self._conn
        return self._send("a ping", conn.send_ping if conn else None, payload)

    def send_pong(self, payload: bytes = b"") -> bool:
        conn = self._conn
        return self._send("a pong", conn.send_pong if conn else None, payload)

    def send_close(self, code: int | None = 1000, reason: str = "") -> bool:
        conn = self._conn
        return self._send("a close frame", conn.send_close if conn else None, code, reason)

    def send_frames(self, specs: Sequence[FrameSpec]) -> bool:
        """Send hand-crafted frames, exactly as described, valid or not."""
        conn = self._conn
        if conn is None:
            return self._send("a frame", None)

        def send_all() -> None:
            for spec in specs:
                conn.send_frame(spec)

        return self._send("a crafted frame", send_all)

    def send_raw(self, data: bytes) -> bool:
        conn = self._conn
        return self._send("raw bytes", conn.send_raw if conn else None, data)

    # ---------------------------------------------------------------- events
    def _on_event(self, event: CaptureEvent) -> None:
        # Called by the engine for every event, per socket read in a flood (messages
        # are not subscribed to: the store has them). Keep nothing per frame, and arm
        # the tick only when nothing was pending.
        frames_captured, message_captured = _counted_kinds()
        kind = type(event)
        if kind is frames_captured:
            self._pending_frames += len(event)  # type: ignore[arg-type]
        elif kind is not message_captured:
            self._pending.append(event)
        if not self._armed:
            self._armed = True
            self._timer.start(self.TICK_MS)

    def _set_flooding(self, on: bool) -> None:
        if on != self._flooding:
            self._flooding = on
            if on:
                FloodGc.enter()
            else:
                FloodGc.leave()

    def _tick(self) -> None:
        if not self._armed and not self._unshown:
            # Nothing arrived since a flood's last tick: the flood is over.
            self._set_flooding(False)
            return
        now = time.perf_counter()
        if now < self._hold_until and self._pending_frames and not self._pending:
            # A flood, and the last tick shown is too recent: count the frames and
            # look again soon; a tick with no new frames (the flood is over) or with
            # anything else than frames is shown at once.
            self._unshown += self._pending_frames
            self._pending_frames = 0
            self._timer.start(self.TICK_MS // 2)
            return
        self.drain()

    def drain(self) -> None:
        """Hand the views what arrived since the last tick, now (before saving or
        exporting, so that the file and the window agree)."""
        if not self._armed and not self._unshown:
            return
        from ...capture.events import ErrorCaptured, HandshakeCaptured, RttSample, StateChanged

        start = time.perf_counter()
        self._armed = False
        events = self._pending
        frames = self._pending_frames + self._unshown
        self._pending = []
        self._pending_frames = 0
        self._unshown = 0
        rare: list[CaptureEvent] = []
        for event in events:
            kind = type(event)
            if kind is RttSample:
                self._rtt = event.rtt  # type: ignore[union-attr]
            elif kind is StateChanged or kind is HandshakeCaptured or kind is ErrorCaptured:
                rare.append(event)
        self.ticks += 1
        self.captureUpdated.emit(frames)
        for event in rare:
            if isinstance(event, HandshakeCaptured):
                self.handshakeCaptured.emit(event)
            elif isinstance(event, ErrorCaptured):
                self.errorOccurred.emit(event.step, event.message, event.fatal)
            elif isinstance(event, StateChanged):
                self.stateChanged.emit(event)
                if self._reconnecting is not None:
                    self._reconnect_on(event)
        self.statsChanged.emit(self.stats())
        end = time.perf_counter()
        flooding = frames > self.FLOOD_RATE * (start - self._shown_at)
        self._shown_at = start
        self._set_flooding(flooding)
        if flooding:
            hold = (end - start + self.render_cost) / self.RENDER_BUDGET
            self._hold_until = start + min(hold, self.MAX_HOLD_MS / 1000)
            if not self._timer.isActive():
                self._timer.start(self.TICK_MS)  # to see the flood end if nothing arrives
        else:
            self._hold_until = 0.0

    # ------------------------------------------------------------ reconnecting
    def mark_preamble(self, row: int) -> None:
        """Reconnects replay the messages sent before store ``row`` (the first one the
        user marks), not all of them."""
        if self.preamble_mark is None or row < self.preamble_mark:
            self.preamble_mark = row

    def _reconnect_on(self, event: StateChanged) -> None:
        reconnecting, conn = self._reconnecting, self._conn
        if reconnecting is None or conn is None:
            return
        if event.state is ConnectionState.OPEN:
            for message in reconnecting.opened():
                if message.opcode == Opcode.TEXT:
                    self.send_text(message.data.decode("utf-8", "replace"))
                else:
                    self.send_binary(message.data)
        elif event.state is ConnectionState.CLOSED:
            pause = reconnecting.ended(conn, self.preamble_mark)
            if pause is not None:
                self.errorOccurred.emit("reconnect", reconnecting.describe_next(pause), False)
                self._pause = spawn(self._after_pause(reconnecting.attempt, pause), "reconnect")
            elif reconnecting.gave_up:
                n = reconnecting.attempt
                why = f"the connection dropped; gave up after {n} attempts"
                self.errorOccurred.emit("reconnect", why, False)

    async def _after_pause(self, attempt: int, pause: float) -> None:
        import asyncio

        await asyncio.sleep(pause)
        self._pause = None
        self._attempt_due = True
        self.reconnectDue.emit(attempt)
        self._attempt_due = False  # nobody connected: the next connect is the user's

    def _cancel_pause(self) -> None:
        if self._pause is not None and not self._pause.done():
            self._pause.cancel()
        self._pause = None
