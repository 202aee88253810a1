"""The server's seat in the window: the GUI's adapter over :mod:`inspector.engine.server`.

:class:`ServerRunner` starts and stops an :class:`~inspector.engine.server.EchoServer`
(with the user's :class:`ServerOptions`) on the running (qasync) loop, numbers its
clients and tells the GUI about them in coalesced batches: the server's listener only
marks a client changed (it is called per socket read, per message in a flood, so it
keeps nothing per frame), and a Qt timer (:attr:`ServerRunner.TICK_MS`) emits one
:attr:`~ServerRunner.rowsUpdated` with the new and the changed rows.

:func:`show_client` makes a tab's :class:`SessionController` drive one client's
connection, as its own: the timeline, handshake pane and compose pane work on it, and
what the compose pane sends goes to that client. :class:`BroadcastController` is a
controller whose sends go to every open client ("to all", from the server tab).

No other GUI module imports the engine: the option types are re-exported from here.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QTimer, Signal

from ...capture.events import CaptureEvent, ConnectionState, Direction, StateChanged
from ...engine.connection import Connection
from ...engine.journal import Journal
from ...engine.options import parse_listen_address
from ...engine.server import EchoServer, HandshakeAction, HandshakeDecision, ServerOptions
from ...protocol.constants import CloseCode
from ...protocol.frames import FrameSpec
from ...protocol.violations import LocalProtocolError
from .controller import SessionController, spawn

__all__ = [
    "LEAVE_AS_SERVER",
    "BroadcastController",
    "ClientRow",
    "HandshakeAction",
    "HandshakeDecision",
    "ServerOptions",
    "ServerRunner",
    "parse_listen_address",
    "show_client",
]

log = logging.getLogger("inspector.gui.session.server")

#: Our server ending one client (its tab closed) while it goes on serving the
#: others: a normal closure. 1001 "going away" would tell the client the whole
#: server is leaving, which is what stopping the server sends.
LEAVE_AS_SERVER = (int(CloseCode.NORMAL_CLOSURE), "closed by the server")


@dataclass(frozen=True, slots=True)
class ClientRow:
    """What the server tab lists for one client."""

    conn: int
    client: str  # its address, HOST:PORT
    path: str  # the path and query it asked for ("" before its request came)
    subprotocol: str | None  # the one agreed in the 101
    state: str  # a ConnectionState value, or "refused STATUS"
    frames: int  # both directions
    bytes: int  # on the wire, both directions, after the handshake

    @property
    def closed(self) -> bool:
        return self.state == ConnectionState.CLOSED.value or self.state.startswith("refused")


def _address(conn: Connection) -> str:
    peer = conn.transport.get_extra_info("peername") if conn.transport is not None else None
    if not isinstance(peer, tuple) or len(peer) < 2:
        return "?"
    host, port = peer[0], peer[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def _row(conn_id: int, address: str, conn: Connection) -> ClientRow:
    store = conn.store
    path = ""
    subprotocol = None
    state = conn.state.value
    frames = 0
    if store is not None:
        request = store.handshake(Direction.IN)
        if request is not None:
            parts = request.start_line.split(" ")
            path = parts[1] if len(parts) > 2 else ""
        response = store.handshake(Direction.OUT)
        if response is not None:
            subprotocol = response.subprotocol
            status = response.start_line.split(" ")[1:2]
            if status and status[0] != "101":
                state = f"refused {status[0]}"
        frames = store.counters(Direction.IN).frames + store.counters(Direction.OUT).frames
    proto = conn.protocol
    wire = proto.bytes_received + proto.bytes_sent if proto is not None else 0
    return ClientRow(conn_id, address, path, subprotocol, state, frames, wire)


class ServerRunner(QObject):
    """One server run for the GUI.

    ``rowsUpdated(new, changed)``: lists of :class:`ClientRow`, at most once per
    tick; ``openClientsChanged(int)``: how many clients can be sent to;
    ``runningChanged(bool)``; ``failed(str)``: the server could not start.
    """

    TICK_MS = 150

    rowsUpdated = Signal(list, list)
    openClientsChanged = Signal(int)
    runningChanged = Signal(bool)
    failed = Signal(str)

    def __init__(
        self,
        host: str,
        port: int,
        options: ServerOptions,
        *,
        journal_dir: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("serverRunner")
        self.server = EchoServer(host, port, options=options, keep_captures=True)
        self.server.on_event = self._on_event
        self.journal_dir = journal_dir
        self.running = False
        self.error = ""
        self._detached = False
        self._numbers = itertools.count(1)
        self._ids: dict[int, int] = {}  # id(connection) -> client number
        #: Every client of this run, closed ones too (their captures stay viewable)
        #: until :meth:`forget_closed`.
        self._clients: dict[int, Connection] = {}
        self._addresses: dict[int, str] = {}
        self._new: list[int] = []
        self._dirty: set[int] = set()
        self._open: set[int] = set()
        self._shown: dict[int, ClientRow] = {}
        self._journals: dict[int, Journal] = {}
        self._open_count = 0
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self.tick)
        #: How many ticks emitted rowsUpdated (tests and diagnostics).
        self.batches = 0

    # ------------------------------------------------------------ reading
    @property
    def url(self) -> str:
        return self.server.url

    @property
    def options(self) -> ServerOptions:
        return self.server.options

    def client(self, conn_id: int) -> Connection | None:
        return self._clients.get(conn_id)

    def rows(self) -> list[ClientRow]:
        return [_row(n, self._addresses[n], c) for n, c in self._clients.items()]

    def open_clients(self) -> list[tuple[int, Connection]]:
        """The clients a message can be sent to now, by number."""
        return [
            (n, c)
            for n, c in self._clients.items()
            if c.state is ConnectionState.OPEN and c.is_open and not c.close_sent
        ]

    def set_echo(self, on: bool) -> None:
        """Echo (or not) from now on, on the open connections too."""
        self.server.set_echo(on)

    def set_decision(self, decision: HandshakeDecision) -> None:
        """How the next clients' handshakes are answered."""
        self.server.options = replace(self.server.options, handshake=decision)

    def set_options(self, options: ServerOptions) -> None:
        """Answer and behave so from now on: the next clients follow all of it, the
        open ones its echo switch."""
        self.server.options = options
        self.server.set_echo(options.echo)

    # --------------------------------------------------------- start, stop
    async def start(self) -> bool:
        """Listen; False (and :attr:`failed`) when the address cannot be used."""
        try:
            await self.server.start()
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.error = f"cannot listen on {self.server.host}:{self.server.port}: {reason}"
            self.failed.emit(self.error)
            return False
        self.running = True
        self._timer.start()
        self.runningChanged.emit(True)
        return True

    async def stop(self) -> None:
        """Stop listening; open clients get a close frame 1001."""
        if not self.running:
            return
        self.running = False
        await self.server.close()
        if self._detached:
            return  # the tab went away meanwhile: nothing of it is touched
        self.tick()
        self._timer.stop()
        self.runningChanged.emit(False)

    def detach(self) -> None:
        """The tab is going away: stop listening to the clients and delete their
        journals (kept until now: a crash loses no capture of this run)."""
        self._detached = True
        self.server.on_event = None
        self._timer.stop()
        for journal in self._journals.values():
            journal.close(keep=False)
        self._journals.clear()
        self._new.clear()
        self._open.clear()
        if self.running:
            # The engine stops on its own; nothing of this object is touched after.
            self.running = False
            with contextlib.suppress(RuntimeError):  # no event loop any more
                spawn(self.server.close(), "stopping the server")

    def forget_closed(self) -> list[int]:
        """Let go of every closed client's capture (a tab already showing one keeps
        it); returns their numbers."""
        gone = [n for n, c in self._clients.items() if c.closed.done()]
        for n in gone:
            conn = self._clients.pop(n)
            self._ids.pop(id(conn), None)
            self._addresses.pop(n, None)
            self._shown.pop(n, None)
            self._dirty.discard(n)
            self._open.discard(n)
            journal = self._journals.pop(n, None)
            if journal is not None:
                journal.close(keep=False)
        self._new = [n for n in self._new if n in self._clients]
        return gone

    # ------------------------------------------------------------- events
    def _on_event(self, conn: Connection, event: CaptureEvent) -> None:
        n = self._ids.get(id(conn))
        if n is not None:
            self._dirty.add(n)
            return
        n = next(self._numbers)
        self._ids[id(conn)] = n
        self._clients[n] = conn
        self._addresses[n] = _address(conn)
        self._new.append(n)
        self._open.add(n)
        if self.journal_dir is not None:
            try:
                self._journals[n] = Journal(conn, directory=self.journal_dir)
            except OSError as exc:
                log.warning("client %d is not journaled: %s", n, exc)

    def tick(self) -> None:
        """Hand the GUI what changed since the last tick, in one signal."""
        new_rows = []
        for n in self._new:
            row = _row(n, self._addresses[n], self._clients[n])
            self._shown[n] = row
            new_rows.append(row)
            self._dirty.discard(n)
        self._new.clear()
        look = self._dirty | self._open
        self._dirty.clear()
        changed = []
        for n in sorted(look):
            conn = self._clients.get(n)
            if conn is None or n not in self._shown:
                continue
            row = _row(n, self._addresses[n], conn)
            if row != self._shown[n]:
                self._shown[n] = row
                changed.append(row)
            if row.closed:
                self._open.discard(n)
        if new_rows or changed:
            self.batches += 1
            self.rowsUpdated.emit(new_rows, changed)
        count = len(self.open_clients())
        if count != self._open_count:
            self._open_count = count
            self.openClientsChanged.emit(count)


def show_client(controller: SessionController, conn: Connection) -> None:
    """Make ``controller`` drive ``conn``, a client's connection to our server, as
    its own connection: its events arrive through the controller's signals (a few per
    tick), the compose pane's sends go to this client, Disconnect closes it."""
    if conn.store is None:
        raise ValueError("the server keeps no capture of this client")
    controller._drop_connection()
    controller.close_journal()  # the server's run journals its clients itself
    controller._loaded = None
    controller.source_path = None
    controller.url = conn.url
    controller._conn = conn
    controller.leave_close = LEAVE_AS_SERVER
    conn.subscribe(controller._on_event, messages=False)
    controller._show_current()


class BroadcastController(SessionController):
    """A compose pane's controller that sends to every open client of a server.

    It shows no capture: each client's tab records what it was sent. Its
    :attr:`stateChanged` says OPEN while at least one client can be sent to."""

    def __init__(self, runner: ServerRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("broadcastController")
        self.runner = runner
        runner.openClientsChanged.connect(self._on_count)

    @property
    def is_open(self) -> bool:
        return bool(self.runner.open_clients())

    @property
    def can_send_frames(self) -> bool:
        return self.is_open

    @property
    def deflate_negotiated(self) -> bool:
        return any(c.deflate_negotiated for _, c in self.runner.open_clients())

    def _on_count(self, count: int) -> None:
        state = ConnectionState.OPEN if count else ConnectionState.CLOSED
        self.stateChanged.emit(StateChanged(0.0, state))

    def _each(self, what: str, act: Callable[[Connection], object]) -> bool:
        targets = self.runner.open_clients()
        if not targets:
            self.errorOccurred.emit("send", f"cannot send {what}: no client is connected", False)
            return False
        failed = []
        for n, conn in targets:
            try:
                act(conn)
            except (LocalProtocolError, ValueError, OSError) as exc:
                failed.append(f"#{n}: {exc}")
        if failed:
            sent = len(targets) - len(failed)
            self.errorOccurred.emit(
                "send",
                f"{what} reached {sent} of {len(targets)} clients; " + "; ".join(failed),
                False,
            )
        return len(failed) < len(targets)

    def send_text(self, text: str, *, fragments: int = 1, compress: bool | None = None) -> bool:
        return self._each(
            "a text message", lambda c: c.send_text(text, fragments=fragments, compress=compress)
        )

    def send_binary(self, data: bytes, *, fragments: int = 1, compress: bool | None = None) -> bool:
        return self._each(
            "a binary message",
            lambda c: c.send_binary(data, fragments=fragments, compress=compress),
        )

    def send_ping(self, payload: bytes = b"") -> bool:
        return self._each("a ping", lambda c: c.send_ping(payload))

    def send_pong(self, payload: bytes = b"") -> bool:
        return self._each("a pong", lambda c: c.send_pong(payload))

    def send_close(self, code: int | None = 1000, reason: str = "") -> bool:
        return self._each("a close frame", lambda c: c.send_close(code, reason))

    def send_frames(self, specs: Sequence[FrameSpec]) -> bool:
        def send_all(conn: Connection) -> None:
            for spec in specs:
                conn.send_frame(spec)

        return self._each("a crafted frame", send_all)

    def send_raw(self, data: bytes) -> bool:
        return self._each("raw bytes", lambda c: c.send_raw(data))
