"""The server tab: where it listens (copyable), how it answers, an Echo switch, a
Stop button, its clients live, and a compose pane that sends to every open client.
Double-click (or Enter on) a client to open it as a session tab
(:attr:`ServerView.clientActivated`)."""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..compose.pane import ComposePane
from ..proxy.view import ConnectionTable
from ..session.server import (
    BroadcastController,
    ClientRow,
    HandshakeAction,
    ServerOptions,
    ServerRunner,
)
from ..session.support import spawn
from ..widgets import theme
from ..widgets.naming import named
from ..window.error_banner import ErrorBanner
from .model import ServerClientsModel

__all__ = ["ServerView", "describe_options"]

#: The compose pane's share of the tab's height at first, in pixels (at most a half).
COMPOSE_HEIGHT = 230


def describe_options(options: ServerOptions) -> str:
    """One line saying how the server answers and behaves."""
    d = options.handshake
    if d.action is HandshakeAction.REJECT:
        answer = f"rejects every handshake with {d.status}"
    else:
        parts = []
        if d.force_subprotocol:
            parts.append(f"subprotocol {d.force_subprotocol} (forced)")
        elif d.subprotocols:
            parts.append("subprotocols " + ", ".join(d.subprotocols))
        parts.append("permessage-deflate" if d.deflate else "no compression")
        if d.headers:
            parts.append(f"{len(d.headers)} extra header{'s' if len(d.headers) > 1 else ''}")
        answer = "accepts (" + "; ".join(parts) + ")"
        if d.action is HandshakeAction.CLOSE:
            code = d.close_code if d.close_code is not None else "no code"
            answer += f", then closes at once with {code}"
    if d.delay:
        answer += f", after {d.delay:g} s"
    if d.action is HandshakeAction.ACCEPT:
        if options.manual:
            answer += " · manual replies only"
        else:
            answer += " · echo on" if options.echo else " · echo off"
        if options.on_connect:
            answer += " · a message on connect"
    answer += " · strict" if options.strict else " · observe mode"
    return "Answers: " + answer


class ServerView(QWidget):
    """One server run in a tab. ``clientActivated(conn_id)`` asks for a session tab;
    ``titleChanged(str)`` for the tab's title."""

    clientActivated = Signal(int)
    titleChanged = Signal(str)
    #: The user asks to change how the server answers (the window opens the dialog).
    answersRequested = Signal()

    def __init__(self, runner: ServerRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "serverView", "Server")
        self.runner = runner
        runner.setParent(self)
        self._stop_task: asyncio.Task[None] | None = None

        self.mode_label = QLabel("Server", self)
        named(self.mode_label, "serverMode", "Server")
        font = self.mode_label.font()
        font.setBold(True)
        self.mode_label.setFont(font)
        self.url_edit = QLineEdit(self)
        named(self.url_edit, "serverUrl", "Listening URL", "Where clients connect (select to copy)")
        self.url_edit.setReadOnly(True)
        self.url_edit.setFont(theme.monospace_font())
        self.copy_button = QToolButton(self)
        named(self.copy_button, "serverCopyUrl", "Copy the listening URL")
        self.copy_button.setText("Copy")
        self.copy_button.clicked.connect(self.copy_url)
        self.echo_check = QCheckBox("Echo", self)
        named(
            self.echo_check,
            "serverEchoSwitch",
            "Echo messages",
            "Send every message back to its client (open clients too, from now on)",
        )
        self.echo_check.setChecked(runner.options.echo)
        self.echo_check.setEnabled(not runner.options.manual)
        self.echo_check.toggled.connect(self._on_echo)
        self.answers_button = QPushButton("Answers…", self)
        named(
            self.answers_button,
            "serverChangeAnswers",
            "Change how the server answers",
            "Accept, reject, delay or close the next clients' handshakes another way",
        )
        self.answers_button.clicked.connect(lambda *_: self.answersRequested.emit())
        self.forget_button = QPushButton("Clear closed", self)
        named(
            self.forget_button,
            "serverForgetClosed",
            "Clear closed clients",
            "Remove the closed clients and their captures from this list (tabs already "
            "showing one keep it)",
        )
        self.forget_button.clicked.connect(self.forget_closed)
        self.stop_button = QPushButton("Stop", self)
        named(
            self.stop_button,
            "serverStop",
            "Stop the server",
            "Stop listening; open clients get a close frame 1001",
        )
        self.stop_button.clicked.connect(self.stop)
        self.answers_label = QLabel(describe_options(runner.options), self)
        named(self.answers_label, "serverAnswers", "How the server answers")
        self.answers_label.setWordWrap(True)
        self.answers_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = ErrorBanner(self)
        self.legend = QLabel(
            "Each client records both sides: ↑ what we sent and ↓ what it sent. "
            "Double-click a client (or press Enter) to open it and reply to it alone.",
            self,
        )
        named(self.legend, "serverLegend", "How to read the server tab")
        self.legend.setWordWrap(True)
        self.status_label = QLabel(self)
        named(self.status_label, "serverStatus", "Server status")

        self.model = ServerClientsModel(self)
        self.table = ConnectionTable(self)
        named(self.table, "serverClients", "Connected clients")
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
        # Widths for the longest text each column takes (the contents change live:
        # fitting them would make the columns jump while frames come).
        metrics = self.table.fontMetrics()
        for column, widest in enumerate(
            (
                "9999",
                "[::ffff:127.0.0.1]:65535",
                "",
                "Subprotocol__",
                "refused 999",
                "9,999,999",
                "999.9 MiB",
            )
        ):
            if widest:
                header.resizeSection(column, metrics.horizontalAdvance(widest) + 18)
        self.table.activatedRow.connect(self._on_activated)

        #: Sends to every open client.
        self.broadcast = BroadcastController(runner, self)
        self.compose = ComposePane(self.broadcast, self)
        self.compose.setAccessibleName("Compose to all clients")
        self.compose_box = QGroupBox("Send to all open clients", self)
        named(self.compose_box, "serverComposeBox", "Send to all open clients")
        box_layout = QVBoxLayout(self.compose_box)
        box_layout.setContentsMargins(4, 4, 4, 4)
        box_layout.addWidget(self.compose)

        top = QHBoxLayout()
        top.addWidget(self.mode_label)
        top.addWidget(self.url_edit, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.echo_check)
        top.addWidget(self.answers_button)
        top.addWidget(self.forget_button)
        top.addWidget(self.stop_button)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.legend)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.status_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("serverSplitter")
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.compose_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.answers_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)

        runner.rowsUpdated.connect(self._on_rows)
        runner.runningChanged.connect(self._on_running)
        runner.failed.connect(self._on_failed)
        runner.openClientsChanged.connect(lambda _n: self._show_status())
        self.stop_button.setEnabled(runner.running)
        self._sized = False
        self._show_header()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # Only now is the height known: the clients get what compose leaves.
            self._sized = True
            total = sum(self.splitter.sizes())
            compose = min(COMPOSE_HEIGHT, total // 2)
            self.splitter.setSizes([total - compose, compose])

    # ------------------------------------------------------------- reading
    @property
    def title(self) -> str:
        where = f"{self.runner.server.host}:{self.runner.server.port}"
        return f"⇆ server {where}" + ("" if self.runner.running else " (stopped)")

    @property
    def running(self) -> bool:
        return self.runner.running

    # ------------------------------------------------------------- actions
    def start(self) -> asyncio.Task[bool]:
        return spawn(self.runner.start(), "starting the server")

    def stop(self) -> asyncio.Task[None] | None:
        """Stop listening (open clients are closed with 1001); the tab stays."""
        if not self.runner.running:
            return None
        self.stop_button.setEnabled(False)
        self.status_label.setText("Stopping: closing the open clients…")
        self._stop_task = spawn(self.runner.stop(), "stopping the server")
        return self._stop_task

    def copy_url(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.runner.url)
        self.url_edit.selectAll()

    def forget_closed(self) -> list[int]:
        """Drop the closed clients from the list and let go of their captures."""
        gone = set(self.runner.forget_closed())
        if gone:
            rows = (self.model.row(i) for i in range(self.model.rowCount()))
            self.model.reset_rows([r for r in rows if r.conn not in gone])
            self._show_status()
        return sorted(gone)

    def conn_id_at(self, row: int) -> int:
        return self.model.row(row).conn

    def shutdown(self) -> None:
        """The tab is closing: stop following the clients."""
        self.broadcast.detach()
        self.runner.detach()

    async def aclose(self, timeout: float = 2.0) -> None:
        """Stop the server and let go of it, waiting at most ``timeout``."""
        task = self.stop() or self._stop_task
        if task is not None and not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), timeout)
        self.shutdown()

    def set_options(self, options: ServerOptions) -> None:
        """Answer and behave so from now on (the next clients; echo for all)."""
        self.runner.set_options(options)
        with QSignalBlocker(self.echo_check):
            self.echo_check.setChecked(options.echo)
        self.echo_check.setEnabled(not options.manual)
        self.answers_label.setText(describe_options(options))

    # -------------------------------------------------------------- events
    def _on_echo(self, on: bool) -> None:
        self.runner.set_echo(on)
        self.answers_label.setText(describe_options(self.runner.options))

    def _on_activated(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.clientActivated.emit(self.conn_id_at(row))

    def _on_rows(self, new: list[ClientRow], changed: list[ClientRow]) -> None:
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
        rows = [self.model.row(i) for i in range(self.model.rowCount())]
        open_now = len(self.runner.open_clients())
        state = "listening" if self.runner.running else "stopped"
        self.status_label.setText(
            f"{state} · {len(rows):,} client{'s' if len(rows) != 1 else ''}, {open_now:,} open"
        )
        self.compose_box.setTitle(
            f"Send to all open clients ({open_now})" if open_now else "Send to all open clients"
        )
