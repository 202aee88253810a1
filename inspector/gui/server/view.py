"""The server tab (:class:`~inspector.gui.live.view.LiveView`): how it answers, an
Echo switch, and a compose pane that sends to every open client."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..compose.pane import ComposePane
from ..live.view import LiveView
from ..session.server import (
    BroadcastController,
    HandshakeAction,
    ServerOptions,
    ServerRunner,
)
from ..widgets.naming import named
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


class ServerView(LiveView):
    """One server run in a tab, with a compose pane that sends to every open client."""

    PREFIX = "server"
    WHAT = "server"
    NOUN = "client"
    MODE_NAME = "Server"
    MARK = "⇆"
    STOP_TIP = "Stop listening; open clients get a close frame 1001"
    LEGEND = (
        "Each client records both sides: ↑ what we sent and ↓ what it sent. "
        "Double-click a client (or press Enter) to open it and reply to it alone."
    )
    TABLE = "Connected clients"
    WIDEST = (
        "9999",
        "[::ffff:127.0.0.1]:65535",
        "",
        "Subprotocol__",
        "refused 999",
        "9,999,999",
        "999.9 MiB",
    )

    #: The user asks to change how the server answers (the window opens the dialog).
    answersRequested = Signal()

    def __init__(self, runner: ServerRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, ServerClientsModel(), parent)
        self.runner: ServerRunner = runner
        self.model.setParent(self)
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
        self.add_to_top(self.echo_check, self.answers_button)
        self.answers_label = QLabel(describe_options(runner.options), self)
        named(self.answers_label, "serverAnswers", "How the server answers")
        self.answers_label.setWordWrap(True)
        self.answers_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        #: Sends to every open client.
        self.broadcast = BroadcastController(runner, self)
        self.compose = ComposePane(self.broadcast, self)
        self.compose.setAccessibleName("Compose to all clients")
        self.compose_box = QGroupBox("Send to all open clients", self)
        named(self.compose_box, "serverComposeBox", "Send to all open clients")
        box_layout = QVBoxLayout(self.compose_box)
        box_layout.setContentsMargins(4, 4, 4, 4)
        box_layout.addWidget(self.compose)

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
        layout = self.main_layout
        layout.addWidget(self.answers_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)

        runner.openClientsChanged.connect(lambda _n: self._show_status())
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

    def open_count(self) -> int:
        return len(self.runner.open_clients())

    # ------------------------------------------------------------- actions
    def shutdown(self) -> None:
        """The tab is closing: stop following the clients."""
        self.broadcast.detach()
        super().shutdown()

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

    def _show_status(self) -> None:
        super()._show_status()
        open_now = self.open_count()
        self.compose_box.setTitle(
            f"Send to all open clients ({open_now})" if open_now else "Send to all open clients"
        )
