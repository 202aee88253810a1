"""The proxy in the window: the GUI's adapter over :mod:`inspector.engine.proxy`.

:class:`ProxyRunner` starts and stops a :class:`~inspector.engine.proxy.ProxyServer`
on the running (qasync) loop and tells the GUI about its connections in coalesced
batches, as every live runner does (:mod:`.live`): each connection's listener only
marks it changed. It adds the proxy's controls (pause, breakpoints, rules, the held
items in :attr:`~ProxyRunner.heldChanged`, injection).

:func:`follow_connection` makes a tab's :class:`SessionController`, once it shows a
proxied connection's store read-only (the path of file tabs,
:meth:`SessionController.show_store`), follow that connection live through the
controller's own drain, until the tab shows something else or goes away.

No other GUI module imports the engine: the option types and the CA export are
re-exported from here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ...capture.events import CaptureEvent, ConnectionState, HandshakeCaptured
from ...capture.store import CaptureStore
from ...engine.options import ConnectError, TlsOptions
from ...engine.proxy import (
    BreakFilter,
    Controls,
    HeldItem,
    LocalCA,
    ProxiedConnection,
    ProxyOptions,
    ProxyServer,
    default_ca_dir,
)
from ...engine.proxy.rules import parse_rule_lines
from ...protocol.constants import Role
from ...protocol.frames import FrameSpec
from ...views.text import escape_control, shorten
from .controller import SessionController
from .live import LiveRunner

__all__ = [
    "BreakFilter",
    "ConnectError",
    "ConnectionRow",
    "HeldRow",
    "ProxiedConnection",
    "ProxyOptions",
    "ProxyRunner",
    "TlsOptions",
    "default_ca_path",
    "export_ca",
    "follow_connection",
    "handshake_legs",
]


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    """What the proxy tab lists for one connection (:meth:`ProxiedConnection.info`)."""

    conn: int
    client: str
    path: str
    state: str
    frames: int
    bytes: int
    tunnel: bool

    @property
    def closed(self) -> bool:
        return self.state == ConnectionState.CLOSED.value


@dataclass(frozen=True, slots=True)
class HeldRow:
    """What the Held list shows of one held item (and what Edit starts from)."""

    item_id: int
    conn: int
    from_client: bool
    opcode: int
    payload: bytes
    fin: bool
    rsv: tuple[bool, bool, bool]
    since: float  # time.monotonic() when it was held
    reason: str
    queued: int  # frames/messages waiting behind it
    queued_bytes: int
    full: bool  # the queue reached its limit
    editable: bool  # not a compressed message

    @property
    def direction(self) -> str:
        return "client → server" if self.from_client else "server → client"

    @property
    def summary(self) -> str:
        """One line of the payload, escaped (it is the peer's text)."""
        text = self.payload.decode("utf-8", "replace") if self.opcode != 2 else ""
        if self.opcode == 2:
            text = self.payload[:48].hex(" ")
        return escape_control(shorten(text, 120))


def _held_row(item: HeldItem) -> HeldRow:
    unit = item.unit
    first = unit.frames[0] if unit.frames else None
    count, size = item.queued
    return HeldRow(
        item.item_id,
        item.conn_id,
        unit.side.value == "out",
        unit.opcode,
        unit.payload,
        True if first is None else first.fin,
        (False, False, False) if first is None else (first.rsv1, first.rsv2, first.rsv3),
        item.since,
        item.reason,
        count,
        size,
        item.pipe.full,
        item.editable,
    )


def default_ca_path() -> str:
    """Where the proxy's CA lives unless another folder is chosen."""
    return str(default_ca_dir())


def export_ca(ca_dir: str | None, path: str | os.PathLike[str]) -> Path:
    """Write the CA certificate of ``ca_dir`` (default folder: None; made there on
    first use) to ``path`` as PEM; returns the CA's own certificate file. Raises
    OSError or ValueError (a key that cannot be read)."""
    ca = LocalCA(ca_dir or None)
    ca.export(path)
    return ca.cert_path


def handshake_legs(store: CaptureStore) -> list[HandshakeCaptured]:
    """Every handshake half of a proxy's capture, in order (the store's
    :meth:`~CaptureStore.handshake` keeps only the last one per direction)."""
    return [e for e in store.events if isinstance(e, HandshakeCaptured)]


class ProxyRunner(LiveRunner[ProxyServer, ProxiedConnection, ConnectionRow]):
    """One proxy run for the GUI (:class:`~.live.LiveRunner`: ``rowsUpdated`` with
    :class:`ConnectionRow` lists, ``runningChanged``, ``failed``), and its controls.
    """

    WHAT = "the proxy"

    #: The held items changed (list of HeldRow), at most once per tick.
    heldChanged = Signal(list)

    def __init__(
        self,
        host: str,
        port: int,
        options: ProxyOptions,
        *,
        journal_dir: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        # A bad upstream URL raises ConnectError here, before anything listens.
        server = ProxyServer(host, port, options)
        super().__init__(server, journal_dir=journal_dir, parent=parent)
        self.setObjectName("proxyRunner")
        self._listeners: dict[int, Callable[[CaptureEvent], None]] = {}
        self._controls_version = -1
        server.on_connection = self._on_connection

    # ------------------------------------------------------------ reading
    @property
    def mode(self) -> str:
        return self.server.mode

    @property
    def ca_path(self) -> str | None:
        """The CA certificate a forward proxy intercepts with (None in reverse mode)."""
        return str(self.server.ca.cert_path) if self.server.options.forward else None

    def connection(self, conn_id: int) -> ProxiedConnection | None:
        return self._conns.get(conn_id)

    def _row(self, n: int, conn: ProxiedConnection) -> ConnectionRow:
        return ConnectionRow(**conn.info())

    # ------------------------------------------------------------ controls
    @property
    def controls(self) -> Controls:
        return self.server.controls

    def held_rows(self) -> list[HeldRow]:
        return [_held_row(i) for i in sorted(self.controls.held.values(), key=_item_key)]

    def set_pause_all(self, on: bool) -> None:
        self.controls.set_pause_all(on)
        self._held_tick()

    def set_intercept(self, on: bool) -> None:
        self.controls.set_intercept(on)

    def set_breakpoints(self, filters: list[BreakFilter]) -> None:
        self.controls.set_breakpoints(filters)
        self._held_tick()

    def set_rules_text(self, text: str) -> list[str]:
        """Apply the rules written in ``text`` (one a line); returns them as understood.
        ValueError (naming the line) leaves the rules in force as they were."""
        rules = parse_rule_lines(text)
        self.controls.set_rules(rules)
        return rules.describe()

    def forward(self, item_id: int) -> None:
        self.controls.forward(item_id)
        self._held_tick()

    def drop(self, item_id: int) -> None:
        self.controls.drop(item_id)
        self._held_tick()

    def edit(self, item_id: int, specs: list[FrameSpec]) -> None:
        self.controls.edit(item_id, specs)
        self._held_tick()

    def answer(self, item_id: int, specs: list[FrameSpec]) -> None:
        self.controls.answer(item_id, specs)
        self._held_tick()

    def inject(self, conn_id: int, to_server: bool, specs: list[FrameSpec]) -> None:
        """Frames toward the server (masked, as the client sends) or the client.
        RuntimeError when that connection is not open."""
        conn = self.server.connections.get(conn_id)
        if conn is None:
            raise RuntimeError(f"connection {conn_id} is gone")
        conn.inject(Role.SERVER if to_server else Role.CLIENT, specs)

    def _ticked(self) -> None:
        self._held_tick()

    def _held_tick(self) -> None:
        """The held items, when they changed since the last look."""
        version = self.controls.version
        if version != self._controls_version:
            self._controls_version = version
            self.heldChanged.emit(self.held_rows())

    # --------------------------------------------------------- the run
    async def _listen(self) -> None:
        await self.server.start()
        if self.server.options.forward:
            _ = self.server.ca  # made now, so that its path can be shown and trusted

    def _unhook(self) -> None:
        self.server.on_connection = None
        for conn_id, listener in self._listeners.items():
            conn = self._conns.get(conn_id)
            if conn is not None:
                conn.unsubscribe(listener)
        self._listeners.clear()

    def _release(self, n: int, conn: ProxiedConnection) -> None:
        listener = self._listeners.pop(n, None)
        if listener is not None:
            conn.unsubscribe(listener)
        self.server.forget(n)

    def _on_connection(self, conn: ProxiedConnection) -> None:
        conn_id = conn.conn_id
        dirty = self._dirty

        def listen(_event: CaptureEvent) -> None:
            dirty.add(conn_id)

        conn.subscribe(listen, messages=False)
        self._listeners[conn_id] = listen
        self._add(conn_id, conn)


def _item_key(item: HeldItem) -> int:
    return item.item_id


class _Follower(QObject):
    """Feeds one proxied connection's events into a read-only controller's drain."""

    def __init__(self, controller: SessionController, conn: ProxiedConnection) -> None:
        super().__init__(controller)
        self.setObjectName("proxiedFollower")
        self.conn = conn
        self.store = conn.store
        # The controller's own listener: it counts frames and arms its tick.
        listener = controller._on_event
        self._listener = listener
        conn.subscribe(listener, messages=False)
        controller.storeChanged.connect(self._on_store)
        # Its C++ side may go first (the tab is deleted): nothing may call it then.
        controller.destroyed.connect(lambda *_: conn.unsubscribe(listener))

    def _on_store(self, store: object) -> None:
        if store is not self.store:
            self.stop()

    def stop(self) -> None:
        self.conn.unsubscribe(self._listener)


def follow_connection(controller: SessionController, conn: ProxiedConnection) -> None:
    """Make ``controller``, which shows ``conn``'s store read-only
    (:meth:`SessionController.show_store`, as a file tab does), follow ``conn``
    live: its frames, handshakes, errors and state arrive through the controller's
    signals, a few per tick, as for a connection of its own; saving writes the
    whole capture. It stops when the controller shows another store."""
    if conn.store is None or controller.store is not conn.store:
        raise ValueError(f"the controller does not show proxied connection {conn.conn_id}")
    if not conn.closed.done():
        _Follower(controller, conn)
