"""Journaling a live connection to disk while it runs (crash-safe capture).

:class:`Journal` subscribes a :class:`~inspector.capture.formats.journal.JournalWriter` to a
:class:`~inspector.engine.connection.Connection` and writes what it buffered every
``interval`` seconds (0.1 by default) from an asyncio timer, so that if the program
is killed, at most the last ~0.1 s of the session (plus the time the event loop
takes to get to the timer, a few milliseconds) is missing from the journal.

Lifecycle: the journal is created with the connection (start it before connecting to
have the handshake); when the connection closes, its end line is written but the file
stays, because the capture still lives only in memory; :meth:`Journal.close` deletes
it once the session is saved or closed by the user (``keep=True`` keeps it). Journals
of sessions that crashed are found with
:func:`~inspector.capture.formats.journal.find_recoverable`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from ..capture.budget import DEFAULT_MAX_CAPTURE_BYTES
from ..capture.events import SessionInfo
from ..capture.formats.journal import JournalWriter, journal_dir
from ..capture.store import CaptureStore
from .publishing import Listener, MessageFilter

__all__ = ["DEFAULT_INTERVAL", "Journal"]

log = logging.getLogger(__name__)

#: Seconds between writes. A kill loses at most this much of the session plus the
#: event loop's delay in running the timer (one socket read's worth, milliseconds).
DEFAULT_INTERVAL = 0.1


class Journaled(Protocol):
    """What a journal follows: a :class:`~inspector.engine.connection.Connection`, or a
    proxied connection (:class:`~inspector.engine.proxy.ProxiedConnection`)."""

    @property
    def session(self) -> SessionInfo: ...
    @property
    def store(self) -> CaptureStore | None: ...
    @property
    def closed(self) -> asyncio.Future[None]: ...

    def subscribe(
        self, listener: Listener, *, messages: MessageFilter | bool | str = ...
    ) -> None: ...

    def unsubscribe(self, listener: Listener) -> None: ...


class Journal:
    """The journal of one live connection. Create it in a running event loop.

    ``directory`` is where the journal goes (default: ``journal`` in the data folder,
    see :func:`~inspector.capture.formats.journal.data_dir`, moved by ``data_dir``). Raises
    OSError if the journal cannot be created; later write errors do not stop the
    connection: the journal stops, keeps what it wrote, and :attr:`error` says why.
    The journal keeps to the capture budget of the connection's store (the default
    budget when it has none), so that it holds what the store holds.
    """

    def __init__(
        self,
        connection: Journaled,
        *,
        directory: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        interval: float = DEFAULT_INTERVAL,
        compact: bool = True,
    ) -> None:
        if not interval > 0:
            raise ValueError("the journal interval must be a positive number of seconds")
        self.connection = connection
        self.interval = interval
        self.error: OSError | None = None
        self._loop = asyncio.get_running_loop()
        folder = Path(directory) if directory is not None else journal_dir(data_dir)
        store = connection.store
        budget = store.max_payload_bytes if store is not None else DEFAULT_MAX_CAPTURE_BYTES
        self.writer = JournalWriter.create(
            folder, connection.session, compact=compact, max_payload_bytes=budget
        )
        if store is not None and (len(store) or store.events):
            self.writer.replay(store)
        self._listening = True
        connection.subscribe(self.writer.add, messages="composite")
        self._timer: asyncio.TimerHandle | None = self._loop.call_later(interval, self._tick)
        connection.closed.add_done_callback(self._on_closed)

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def finished(self) -> bool:
        """The end line is written (the connection ended)."""
        return self.writer.finished

    def _tick(self) -> None:
        self._timer = None
        try:
            self.writer.flush()
        except OSError as exc:
            self._fail(exc)
            return
        if not self.writer.finished and not self.writer.closed:
            self._timer = self._loop.call_later(self.interval, self._tick)

    def _on_closed(self, _future: Any) -> None:
        self.finish()

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._listening:
            self._listening = False
            self.connection.unsubscribe(self.writer.add)

    def flush(self) -> None:
        """Write what is buffered now (the timer does this every interval)."""
        if self.writer.closed:
            return
        try:
            self.writer.flush()
        except OSError as exc:
            self._fail(exc)

    def finish(self) -> None:
        """The connection ended: write the end line (called by itself when the
        connection closes). The file stays until :meth:`close`."""
        self._stop()
        if self.writer.closed:
            return
        try:
            self.writer.finish()
        except OSError as exc:
            self._fail(exc)

    def close(self, *, keep: bool = False) -> None:
        """The session was saved, or closed by the user: finish the journal and
        delete it (unless ``keep``). A journal that could not be finished is kept."""
        self._stop()
        if self.writer.closed:
            return
        try:
            self.writer.close(keep=keep)
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.error = exc
        log.warning("journal %s stopped: %s", self.writer.path, exc)
        self._stop()
        self.writer.abandon()
