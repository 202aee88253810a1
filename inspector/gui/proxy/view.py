"""The proxy tab: where it listens (copyable), its mode and CA, a Stop button, and
its connections, live. Double-click (or Enter on) a connection to open it as a
session tab (:attr:`ProxyView.connectionActivated`)."""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session.proxy import ConnectionRow, ProxyRunner
from ..session.support import spawn
from ..widgets import theme
from ..widgets.naming import named
from ..window.error_banner import ErrorBanner
from .controls import ControlsPane
from .model import ProxyConnectionsModel

__all__ = ["ConnectionTable", "ProxyView"]


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


class ProxyView(QWidget):
    """One proxy run in a tab. ``connectionActivated(conn_id)`` asks for a session
    tab; ``titleChanged(str)`` for the tab's title."""

    connectionActivated = Signal(int)
    titleChanged = Signal(str)

    def __init__(self, runner: ProxyRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "proxyView", "Proxy")
        self.runner = runner
        runner.setParent(self)
        self._stop_task: asyncio.Task[None] | None = None

        self.mode_label = QLabel(self)
        named(self.mode_label, "proxyMode", "Proxy mode")
        font = self.mode_label.font()
        font.setBold(True)
        self.mode_label.setFont(font)
        self.url_edit = QLineEdit(self)
        named(self.url_edit, "proxyUrl", "Listening URL", "Where clients connect (select to copy)")
        self.url_edit.setReadOnly(True)
        self.url_edit.setFont(theme.monospace_font())
        self.copy_button = QToolButton(self)
        named(self.copy_button, "proxyCopyUrl", "Copy the listening URL")
        self.copy_button.setText("Copy")
        self.copy_button.clicked.connect(self.copy_url)
        self.stop_button = QPushButton("Stop", self)
        named(
            self.stop_button,
            "proxyStop",
            "Stop the proxy",
            "Stop listening; open connections get a close frame 1001 on both sides",
        )
        self.stop_button.clicked.connect(self.stop)
        self.forget_button = QPushButton("Clear closed", self)
        named(
            self.forget_button,
            "proxyForgetClosed",
            "Clear closed connections",
            "Remove the closed connections and their captures from this list (tabs "
            "already showing one keep it)",
        )
        self.forget_button.clicked.connect(self.forget_closed)
        self.ca_label = QLabel(self)
        named(self.ca_label, "proxyCa", "CA certificate")
        self.ca_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ca_label.setWordWrap(True)
        self.status_label = QLabel(self)
        named(self.status_label, "proxyStatus", "Proxy status")
        self.legend = QLabel(
            "Each connection records both sides: ↑ client→server and ↓ server→client. "
            "Double-click a connection (or press Enter) to open it.",
            self,
        )
        named(self.legend, "proxyLegend", "How to read the proxy tab")
        self.legend.setWordWrap(True)
        self.banner = ErrorBanner(self)

        self.model = ProxyConnectionsModel(self)
        self.table = ConnectionTable(self)
        named(self.table, "proxyConnections", "Proxied connections")
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
        # Widths for the longest text each column takes (its contents change live:
        # fitting them to the contents would make the columns jump while frames come).
        metrics = self.table.fontMetrics()
        for column, widest in enumerate(
            ("9999", "[::ffff:127.0.0.1]:65535", "", "tunnel connecting", "9,999,999", "999.9 MiB")
        ):
            if widest:
                header.resizeSection(column, metrics.horizontalAdvance(widest) + 18)
        self.table.activatedRow.connect(self._on_activated)

        top = QHBoxLayout()
        top.addWidget(self.mode_label)
        top.addWidget(self.url_edit, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.forget_button)
        top.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.ca_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.legend)
        self.controls = ControlsPane(runner, self.selected_conn, self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        named(self.splitter, "proxySplitter", "Connections and controls")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.controls)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status_label)

        runner.rowsUpdated.connect(self._on_rows)
        runner.runningChanged.connect(self._on_running)
        runner.failed.connect(self._on_failed)
        self.stop_button.setEnabled(runner.running)
        self._show_header()

    # ------------------------------------------------------------- reading
    @property
    def title(self) -> str:
        where = f"{self.runner.server.host}:{self.runner.server.port}"
        return f"⇄ proxy {where}" + ("" if self.runner.running else " (stopped)")

    @property
    def running(self) -> bool:
        return self.runner.running

    # ------------------------------------------------------------- actions
    def start(self) -> asyncio.Task[bool]:
        return spawn(self.runner.start(), "starting the proxy")

    def stop(self) -> asyncio.Task[None] | None:
        """Stop listening (open connections are closed with 1001); the tab stays."""
        if not self.runner.running:
            return None
        self.stop_button.setEnabled(False)
        self.status_label.setText("Stopping: closing the open connections…")
        self._stop_task = spawn(self.runner.stop(), "stopping the proxy")
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
            rows = (self.model.row(i) for i in range(self.model.rowCount()))
            self.model.reset_rows([r for r in rows if r.conn not in gone])
            self._show_status()
        return sorted(gone)

    def conn_id_at(self, row: int) -> int:
        return self.model.row(row).conn

    def selected_conn(self) -> int | None:
        """The connection selected in the list; the only open one when none is."""
        index = self.table.currentIndex()
        if index.isValid():
            return self.conn_id_at(index.row())
        rows = [self.model.row(i) for i in range(self.model.rowCount())]
        open_now = [r.conn for r in rows if not r.closed]
        return open_now[0] if len(open_now) == 1 else None

    def shutdown(self) -> None:
        """The tab is closing: stop following the connections."""
        self.runner.detach()

    async def aclose(self, timeout: float = 2.0) -> None:
        """Stop the proxy and let go of it, waiting at most ``timeout``: a stop that
        takes longer (a peer slow to answer the close frame) goes on by itself."""
        task = self.stop() or self._stop_task
        if task is not None and not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout)
        self.runner.detach()

    # -------------------------------------------------------------- events
    def _on_activated(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.connectionActivated.emit(self.conn_id_at(row))

    def _on_rows(self, new: list[ConnectionRow], changed: list[ConnectionRow]) -> None:
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
        upstream = r.server.options.upstream
        if r.mode == "reverse":
            self.mode_label.setText("Reverse proxy")
            self.mode_label.setToolTip(f"every connection goes to {upstream}")
        else:
            self.mode_label.setText("Forward proxy")
            self.mode_label.setToolTip("an HTTP proxy: configure the client to use it")
        self.url_edit.setText(r.url if r.running or r.server.port else "")
        if r.mode == "reverse":
            self.ca_label.setText(f"Clients connect to {r.url}… and are sent on to {upstream}")
        else:
            ca = r.ca_path if r.running else None
            excluded = ", ".join(r.server.options.exclude) or "none"
            self.ca_label.setText(
                f"HTTP proxy at {r.url.replace('ws://', 'http://', 1)} · CA: {ca or '—'} · "
                f"excluded hosts: {excluded}"
            )
        self._show_status()

    def _show_status(self) -> None:
        rows = [self.model.row(i) for i in range(self.model.rowCount())]
        open_now = sum(not r.closed for r in rows)
        state = "listening" if self.runner.running else "stopped"
        self.status_label.setText(
            f"{state} · {len(rows):,} connection{'s' if len(rows) != 1 else ''}, {open_now:,} open"
        )
