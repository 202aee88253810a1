"""What the proxy's and the server's tabs share: where it listens (copyable), Clear
closed and Stop buttons, the failure banner, a legend, the live table of its
connections and a status line. Double-click (or Enter on) a row to open that
connection as a session tab (:attr:`LiveView.connectionActivated`).

A subclass (:class:`~inspector.gui.proxy.view.ProxyView`,
:class:`~inspector.gui.server.view.ServerView`) names its controls (``PREFIX``),
says what it runs and lists (``WHAT``, ``NOUN``), adds its own controls to
:attr:`LiveView.top` and lays out the rest of the tab under it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session.live import LiveRunner
from ..session.support import spawn
from ..widgets import theme
from ..widgets.live_rows import LiveRowsModel
from ..widgets.naming import named
from ..window.error_banner import ErrorBanner

__all__ = ["ConnectionTable", "LiveView"]


class ConnectionTable(QTableView):
    """The connections; Enter opens the current one, as a double-click does."""

    activatedRow = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doubleClicked.connect(lambda index: self.activatedRow.emit(index.row()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activatedRow.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class LiveView(QWidget):
    """One run of a listening runner in a tab. ``connectionActivated(conn_id)`` asks
    for a session tab; ``titleChanged(str)`` for the tab's title."""

    connectionActivated = Signal(int)
    titleChanged = Signal(str)

    #: The start of every control's object name ("proxy": proxyUrl, proxyStop...).
    PREFIX: ClassVar[str] = ""
    #: What runs ("proxy") and what it lists ("connection"), in words.
    WHAT: ClassVar[str] = ""
    NOUN: ClassVar[str] = ""
    #: The mode label's accessible name.
    MODE_NAME: ClassVar[str] = ""
    #: The tab title's mark, before the address.
    MARK: ClassVar[str] = ""
    #: The Stop button's tooltip: what the open connections are sent.
    STOP_TIP: ClassVar[str] = ""
    LEGEND: ClassVar[str] = ""
    #: The table's accessible name.
    TABLE: ClassVar[str] = ""
    #: The longest text of each column ("" for the one that stretches): fixed
    #: widths, since the contents change live and fitting them would make the
    #: columns jump while frames come.
    WIDEST: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        runner: LiveRunner[Any, Any, Any],
        model: LiveRowsModel[Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        p, what, noun = self.PREFIX, self.WHAT, self.NOUN
        named(self, f"{p}View", what.capitalize())
        self.runner = runner
        runner.setParent(self)
        self._stop_task: asyncio.Task[None] | None = None

        self.mode_label = QLabel(what.capitalize(), self)
        named(self.mode_label, f"{p}Mode", self.MODE_NAME)
        font = self.mode_label.font()
        font.setBold(True)
        self.mode_label.setFont(font)
        self.url_edit = QLineEdit(self)
        named(self.url_edit, f"{p}Url", "Listening URL", "Where clients connect (select to copy)")
        self.url_edit.setReadOnly(True)
        self.url_edit.setFont(theme.monospace_font())
        self.copy_button = QToolButton(self)
        named(self.copy_button, f"{p}CopyUrl", "Copy the listening URL")
        self.copy_button.setText("Copy")
        self.copy_button.clicked.connect(self.copy_url)
        self.forget_button = QPushButton("Clear closed", self)
        named(
            self.forget_button,
            f"{p}ForgetClosed",
            f"Clear closed {noun}s",
            f"Remove the closed {noun}s and their captures from this list (tabs "
            "already showing one keep it)",
        )
        self.forget_button.clicked.connect(self.forget_closed)
        self.stop_button = QPushButton("Stop", self)
        named(self.stop_button, f"{p}Stop", f"Stop the {what}", self.STOP_TIP)
        self.stop_button.clicked.connect(self.stop)
        self.banner = ErrorBanner(self)
        self.legend = QLabel(self.LEGEND, self)
        named(self.legend, f"{p}Legend", f"How to read the {what} tab")
        self.legend.setWordWrap(True)
        self.status_label = QLabel(self)
        named(self.status_label, f"{p}Status", f"{what.capitalize()} status")

        self.model = model
        self.table = ConnectionTable(self)
        named(self.table, f"{p}{'Connections' if noun == 'connection' else 'Clients'}", self.TABLE)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        for column, widest in enumerate(self.WIDEST):
            if widest:
                header.resizeSection(column, metrics.horizontalAdvance(widest) + 18)
        self.table.activatedRow.connect(self._on_activated)

        #: The row of controls at the top; a subclass inserts its own before Clear
        #: closed (:meth:`add_to_top`).
        self.top = QHBoxLayout()
        self.top.addWidget(self.mode_label)
        self.top.addWidget(self.url_edit, 1)
        self.top.addWidget(self.copy_button)
        self.top.addWidget(self.forget_button)
        self.top.addWidget(self.stop_button)
        self.main_layout = QVBoxLayout(self)
        self.main_layout.setContentsMargins(8, 6, 8, 6)
        self.main_layout.addLayout(self.top)

        runner.rowsUpdated.connect(self._on_rows)
        runner.runningChanged.connect(self._on_running)
        runner.failed.connect(self._on_failed)
        self.stop_button.setEnabled(runner.running)

    def add_to_top(self, *widgets: QWidget) -> None:
        """Controls of the subclass's own, after Copy."""
        at = self.top.indexOf(self.forget_button)
        for offset, widget in enumerate(widgets):
            self.top.insertWidget(at + offset, widget)

    # ------------------------------------------------------------- reading
    @property
    def title(self) -> str:
        where = f"{self.runner.server.host}:{self.runner.server.port}"
        return f"{self.MARK} {self.WHAT} {where}" + ("" if self.runner.running else " (stopped)")

    @property
    def running(self) -> bool:
        return self.runner.running

    def conn_id_at(self, row: int) -> int:
        return int(self.model.row(row).conn)

    def selected_conn(self) -> int | None:
        """The connection selected in the list; the only open one when none is."""
        index = self.table.currentIndex()
        if index.isValid():
            return self.conn_id_at(index.row())
        open_now = [r.conn for r in self._rows() if not r.closed]
        return int(open_now[0]) if len(open_now) == 1 else None

    def _rows(self) -> list[Any]:
        return [self.model.row(i) for i in range(self.model.rowCount())]

    def open_count(self) -> int:
        """How many of the listed connections are open."""
        return sum(not r.closed for r in self._rows())

    # ------------------------------------------------------------- actions
    def start(self) -> asyncio.Task[bool]:
        return spawn(self.runner.start(), f"starting the {self.WHAT}")

    def stop(self) -> asyncio.Task[None] | None:
        """Stop listening (open connections are closed with 1001); the tab stays."""
        if not self.runner.running:
            return None
        self.stop_button.setEnabled(False)
        self.status_label.setText(f"Stopping: closing the open {self.NOUN}s…")
        self._stop_task = spawn(self.runner.stop(), f"stopping the {self.WHAT}")
        return self._stop_task

    def copy_url(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.runner.url)
        self.url_edit.selectAll()

    def forget_closed(self) -> list[int]:
        """Drop the closed connections from the list and let go of their captures."""
        gone = set(self.runner.forget_closed())
        if gone:
            self.model.reset_rows([r for r in self._rows() if r.conn not in gone])
            self._show_status()
        return sorted(gone)

    def shutdown(self) -> None:
        """The tab is closing: stop following the connections."""
        self.runner.detach()

    async def aclose(self, timeout: float = 2.0) -> None:
        """Stop and let go of the runner, waiting at most ``timeout``: a stop that
        takes longer (a peer slow to answer the close frame) goes on by itself."""
        task = self.stop() or self._stop_task
        if task is not None and not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout)
        self.shutdown()

    # -------------------------------------------------------------- events
    def _on_activated(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.connectionActivated.emit(self.conn_id_at(row))

    def _on_rows(self, new: list[Any], changed: list[Any]) -> None:
        self.model.apply(new, changed)
        self._show_status()

    def _on_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.stop_button.setText("Stop" if running else "Stopped")
        self._show_header()
        self.titleChanged.emit(self.title)

    def _on_failed(self, message: str) -> None:
        self.banner.show_error("listen", message)
        self.stop_button.setText("Not running")
        self._show_header()
        self.titleChanged.emit(self.title)

    def _show_header(self) -> None:
        r = self.runner
        self.url_edit.setText(r.url if r.running or r.server.port else "")
        self._show_status()

    def _show_status(self) -> None:
        count = self.model.rowCount()
        state = "listening" if self.runner.running else "stopped"
        self.status_label.setText(
            f"{state} · {count:,} {self.NOUN}{'s' if count != 1 else ''}, "
            f"{self.open_count():,} open"
        )
