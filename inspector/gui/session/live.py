"""What the proxy's and the server's runners share: a listening engine object on the
running (qasync) loop whose connections the GUI sees in coalesced batches.

A connection's listener only marks it changed (it is called per socket read in a
flood, so it keeps nothing per frame); a Qt timer (:attr:`LiveRunner.TICK_MS`) emits
one :attr:`~LiveRunner.rowsUpdated` with the new and the changed rows. The open
connections are looked at on every tick too (a proxy's tunnel moves bytes without a
single capture event). Each connection of the run is journaled until the tab lets go
of it, so that a crash loses no capture.

A subclass (:class:`~.proxy.ProxyRunner`, :class:`~.server.ServerRunner`) makes its
engine object, hands each new connection to :meth:`LiveRunner._add`, and says what
a row of one reads (:meth:`LiveRunner._row`) and what else it lets go of.
"""

from __future__ import annotations

import contextlib
import logging
from typing import ClassVar, Generic, Protocol, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from ...engine.journal import Journal, Journaled
from .controller import spawn

__all__ = ["LiveRunner"]

log = logging.getLogger("inspector.gui.session.live")


class _Listening(Protocol):
    """The engine object a runner runs: our server, or the proxy."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def url(self) -> str: ...

    async def start(self) -> object: ...

    async def close(self) -> None: ...


class _Row(Protocol):
    @property
    def closed(self) -> bool: ...


S = TypeVar("S", bound=_Listening)
C = TypeVar("C", bound=Journaled)
R = TypeVar("R", bound=_Row)


class LiveRunner(QObject, Generic[S, C, R]):
    """One run of a listening engine object for the GUI.

    ``rowsUpdated(new, changed)``: lists of rows, at most once per tick;
    ``runningChanged(bool)``; ``failed(str)``: it could not start listening.
    """

    TICK_MS = 150
    #: What runs, in words for task names and logs ("the proxy").
    WHAT: ClassVar[str] = ""

    rowsUpdated = Signal(list, list)
    runningChanged = Signal(bool)
    failed = Signal(str)

    def __init__(
        self, server: S, *, journal_dir: str | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.server = server
        self.journal_dir = journal_dir
        self.running = False
        self.error = ""
        self._detached = False
        #: Every connection of this run by number, closed ones too (their captures
        #: stay viewable) until :meth:`forget_closed`.
        self._conns: dict[int, C] = {}
        self._new: list[int] = []
        self._dirty: set[int] = set()
        self._open: set[int] = set()
        self._shown: dict[int, R] = {}
        self._journals: dict[int, Journal] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self.tick)
        #: How many ticks emitted rowsUpdated (tests and diagnostics).
        self.batches = 0

    # ---------------------------------------------------- what differs
    def _row(self, n: int, conn: C) -> R:
        raise NotImplementedError

    async def _listen(self) -> None:
        """Start listening; OSError or ValueError when it cannot."""
        await self.server.start()

    def _release(self, n: int, conn: C) -> None:
        """Connection ``n`` is forgotten: let go of what the subclass keeps of it."""

    def _unhook(self) -> None:
        """The tab is going away: the engine must call nothing of this object."""

    def _ticked(self) -> None:
        """After each tick: what else the subclass tells the GUI."""

    # ------------------------------------------------------------ reading
    @property
    def url(self) -> str:
        return self.server.url

    def rows(self) -> list[R]:
        return [self._row(n, c) for n, c in self._conns.items()]

    # --------------------------------------------------------- start, stop
    async def start(self) -> bool:
        """Listen; False (and :attr:`failed`) when the address cannot be used."""
        try:
            await self._listen()
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
        """Stop listening; the open connections get a close frame 1001 (going away)."""
        if not self.running:
            return
        self.running = False
        await self.server.close()
        if self._detached:
            return  # the tab went away meanwhile (maybe deleted): nothing to tell
        self.tick()
        self._timer.stop()
        self.runningChanged.emit(False)

    def detach(self) -> None:
        """The tab is going away: stop listening to the connections and delete their
        journals (kept until now: a crash loses no capture of this run)."""
        self._detached = True
        self._unhook()
        self._timer.stop()
        for journal in self._journals.values():
            journal.close(keep=False)
        self._journals.clear()
        self._new.clear()
        self._open.clear()
        if self.running:
            # Closed by the tab going away: the engine stops on its own, nothing of
            # this object (about to be deleted) is touched afterwards.
            self.running = False
            with contextlib.suppress(RuntimeError):  # no event loop any more
                spawn(self.server.close(), f"stopping {self.WHAT}")

    def forget_closed(self) -> list[int]:
        """Let go of every closed connection's capture (a tab already showing one
        keeps its own); returns their numbers."""
        gone = [n for n, c in self._conns.items() if c.closed.done()]
        for n in gone:
            self._release(n, self._conns.pop(n))
            journal = self._journals.pop(n, None)
            if journal is not None:
                journal.close(keep=False)
            self._shown.pop(n, None)
            self._dirty.discard(n)
            self._open.discard(n)
        self._new = [n for n in self._new if n in self._conns]
        return gone

    # ------------------------------------------------------------- events
    def _add(self, n: int, conn: C) -> None:
        """A new connection ``n``: listed at the next tick, journaled from now on."""
        self._conns[n] = conn
        self._new.append(n)
        self._open.add(n)
        if self.journal_dir is not None:
            try:
                self._journals[n] = Journal(conn, directory=self.journal_dir)
            except OSError as exc:
                log.warning("%s: connection %d is not journaled: %s", self.WHAT, n, exc)

    def tick(self) -> None:
        """Hand the GUI what changed since the last tick, in one signal."""
        new_rows = []
        for n in self._new:
            row = self._row(n, self._conns[n])
            self._shown[n] = row
            new_rows.append(row)
            self._dirty.discard(n)
        self._new.clear()
        look = self._dirty | self._open
        self._dirty.clear()
        changed = []
        for n in sorted(look):
            conn = self._conns.get(n)
            if conn is None or n not in self._shown:
                continue
            row = self._row(n, conn)
            if row != self._shown[n]:
                self._shown[n] = row
                changed.append(row)
            if row.closed:
                self._open.discard(n)
        if new_rows or changed:
            self.batches += 1
            self.rowsUpdated.emit(new_rows, changed)
        self._ticked()
