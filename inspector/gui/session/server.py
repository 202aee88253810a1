"""The server's seat in the window: the GUI's adapter over :mod:`inspector.engine.server`.

:class:`ServerRunner` starts and stops an :class:`~inspector.engine.server.EchoServer`
(with the user's :class:`ServerOptions`) on the running (qasync) loop, numbers its
clients and tells the GUI about them in coalesced batches, as every live runner does
(:mod:`.live`): the server's listener only marks a client changed.

:func:`show_client` makes a tab's :class:`SessionController` drive one client's
connection, as its own: the timeline, handshake pane and compose pane work on it, and
what the compose pane sends goes to that client. :class:`BroadcastController` is a
controller whose sends go to every open client ("to all", from the server tab).

No other GUI module imports the engine: the option types are re-exported from here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from ...capture.events import CaptureEvent, ConnectionState, Direction, StateChanged
from ...engine.connection import Connection
from ...engine.server import EchoServer, HandshakeAction, HandshakeDecision, ServerOptions
from ...protocol.constants import CloseCode
from ...protocol.frames import FrameSpec
from ...protocol.violations import LocalProtocolError
from .controller import SessionController
from .live import LiveRunner
from .support import SessionStats

__all__ = [
    "LEAVE_AS_SERVER",
    "QUIT_AS_SERVER",
    "BroadcastController",
    "ClientRow",
    "HandshakeAction",
    "HandshakeDecision",
    "ServerOptions",
    "ServerRunner",
    "show_client",
]

#: Our server ending one client (its tab closed) while it goes on serving the
#: others: a normal closure. 1001 "going away" would tell the client the whole
#: server is leaving, which is what stopping the server sends.
LEAVE_AS_SERVER = (int(CloseCode.NORMAL_CLOSURE), "closed by the server")
#: Quitting the application stops the server: each client is told it is going away,
#: as the engine's server says it when it stops.
QUIT_AS_SERVER = (int(CloseCode.GOING_AWAY), "server shutting down")


@dataclass(frozen=True, slots=True)
class ClientRow:
    """What the server tab lists for one client."""

    conn: int
    client: str  # its address, HOST:PORT
    path: str  # the path and query it asked for ("" before its request came)
    subprotocol: str | None  # the one agreed in the 101
    state: str  # a ConnectionState value, or "refused STATUS"
    frames_in: int  # the client's
    frames_out: int  # ours, to the client
    bytes_in: int  # on the wire, after the handshake
    bytes_out: int

    @property
    def frames(self) -> int:
        """Both directions."""
        return self.frames_in + self.frames_out

    @property
    def bytes(self) -> int:
        """On the wire, both directions, after the handshake."""
        return self.bytes_in + self.bytes_out

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
    frames_in = frames_out = 0
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
        frames_in = store.counters(Direction.IN).frames
        frames_out = store.counters(Direction.OUT).frames
    proto = conn.protocol
    bytes_in, bytes_out = (proto.bytes_received, proto.bytes_sent) if proto is not None else (0, 0)
    return ClientRow(
        conn_id, address, path, subprotocol, state, frames_in, frames_out, bytes_in, bytes_out
    )


class ServerRunner(LiveRunner[EchoServer, Connection, ClientRow]):
    """One server run for the GUI (:class:`~.live.LiveRunner`: ``rowsUpdated`` with
    :class:`ClientRow` lists, ``runningChanged``, ``failed``), its clients numbered
    from 1; ``openClientsChanged(int)``: how many clients can be sent to;
    ``totalsChanged(SessionStats)``: the frames and bytes each way over every client
    of the run (:meth:`totals`), at most once per tick.
    """

    WHAT = "the server"

    openClientsChanged = Signal(int)
    totalsChanged = Signal(SessionStats)

    def __init__(
        self,
        host: str,
        port: int,
        options: ServerOptions,
        *,
        journal_dir: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        server = EchoServer(host, port, options=options, keep_captures=True)
        super().__init__(server, journal_dir=journal_dir, parent=parent)
        self.setObjectName("serverRunner")
        self._numbers = itertools.count(1)
        self._ids: dict[int, int] = {}  # id(connection) -> client number
        self._addresses: dict[int, str] = {}
        self._open_count = 0
        #: The totals of the clients let go of (:meth:`forget_closed`): the run's
        #: totals do not go down when the list is cleared.
        self._forgotten = SessionStats()
        self._totals = SessionStats(clients=0)
        self._totals_batch = 0
        server.on_event = self._on_event

    # ------------------------------------------------------------ reading
    @property
    def options(self) -> ServerOptions:
        return self.server.options

    def client(self, conn_id: int) -> Connection | None:
        return self._conns.get(conn_id)

    def _row(self, n: int, conn: Connection) -> ClientRow:
        return _row(n, self._addresses[n], conn)

    def open_clients(self) -> list[tuple[int, Connection]]:
        """The clients a message can be sent to now, by number."""
        return [
            (n, c)
            for n, c in self._conns.items()
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

    # --------------------------------------------------------- the run
    def _unhook(self) -> None:
        self.server.on_event = None

    def totals(self) -> SessionStats:
        """Frames and bytes each way over every client of this run (as of the last
        tick), and how many clients are connected now."""
        return self._totals

    def _release(self, n: int, conn: Connection) -> None:
        self._ids.pop(id(conn), None)
        self._addresses.pop(n, None)
        row = self._shown.get(n)
        if row is not None:
            self._forgotten = _added(self._forgotten, row)

    def _on_event(self, conn: Connection, event: CaptureEvent) -> None:
        n = self._ids.get(id(conn))
        if n is not None:
            self._dirty.add(n)
            return
        n = next(self._numbers)
        self._ids[id(conn)] = n
        self._addresses[n] = _address(conn)
        self._add(n, conn)

    def _ticked(self) -> None:
        count = len(self.open_clients())
        if count != self._open_count:
            self._open_count = count
            self.openClientsChanged.emit(count)
        if self.batches == self._totals_batch and count == self._totals.clients:
            return  # no row changed: nor did their sum
        self._totals_batch = self.batches
        totals = self._forgotten
        for row in self._shown.values():
            totals = _added(totals, row)
        totals = totals._replace(clients=count)
        if totals != self._totals:
            self._totals = totals
            self.totalsChanged.emit(totals)


def _added(totals: SessionStats, row: ClientRow) -> SessionStats:
    """``totals`` with ``row``'s frames and bytes added (ours went out)."""
    return SessionStats(
        frames_out=totals.frames_out + row.frames_out,
        frames_in=totals.frames_in + row.frames_in,
        bytes_out=totals.bytes_out + row.bytes_out,
        bytes_in=totals.bytes_in + row.bytes_in,
    )


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
    controller.quit_close = QUIT_AS_SERVER
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
