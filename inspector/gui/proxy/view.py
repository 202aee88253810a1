"""The proxy tab (:class:`~inspector.gui.live.view.LiveView`): its mode and CA, and
under its connections the proxy's controls (pause, breakpoints, rules, held items)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

from ..live.view import LiveView
from ..session.proxy import ProxyRunner
from ..widgets.naming import named
from .controls import ControlsPane
from .model import ProxyConnectionsModel

__all__ = ["ProxyView"]


class ProxyView(LiveView):
    """One proxy run in a tab."""

    PREFIX = "proxy"
    WHAT = "proxy"
    NOUN = "connection"
    MODE_NAME = "Proxy mode"
    MARK = "⇄"
    STOP_TIP = "Stop listening; open connections get a close frame 1001 on both sides"
    LEGEND = (
        "Each connection records both sides: ↑ client→server and ↓ server→client. "
        "Double-click a connection (or press Enter) to open it."
    )
    TABLE = "Proxied connections"
    WIDEST = ("9999", "[::ffff:127.0.0.1]:65535", "", "tunnel connecting", "9,999,999", "999.9 MiB")

    def __init__(self, runner: ProxyRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, ProxyConnectionsModel(), parent)
        self.runner: ProxyRunner = runner
        self.model.setParent(self)
        self.mode_label.setText("")
        self.ca_label = QLabel(self)
        named(self.ca_label, "proxyCa", "CA certificate")
        self.ca_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ca_label.setWordWrap(True)

        layout = self.main_layout
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
        self._show_header()

    def _show_header(self) -> None:
        r = self.runner
        upstream = r.server.options.upstream
        if r.mode == "reverse":
            self.mode_label.setText("Reverse proxy")
            self.mode_label.setToolTip(f"every connection goes to {upstream}")
            self.ca_label.setText(f"Clients connect to {r.url}… and are sent on to {upstream}")
        else:
            self.mode_label.setText("Forward proxy")
            self.mode_label.setToolTip("an HTTP proxy: configure the client to use it")
            ca = r.ca_path if r.running else None
            excluded = ", ".join(r.server.options.exclude) or "none"
            self.ca_label.setText(
                f"HTTP proxy at {r.url.replace('ws://', 'http://', 1)} · CA: {ca or '—'} · "
                f"excluded hosts: {excluded}"
            )
        super()._show_header()
