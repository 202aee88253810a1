"""The bar on top of a session: URL (with history), Connect/Disconnect, state, Options."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from ...protocol.constants import ConnectionState, close_code_meaning
from ..widgets import theme

if TYPE_CHECKING:
    from ...capture.events import StateChanged

__all__ = ["ConnectionBar", "state_color", "state_text"]

HISTORY_KEY = "connection/urlHistory"
HISTORY_MAX = 25
DEFAULT_URL_HINT = "ws://127.0.0.1:8765/  or  wss://example.org/socket"


def state_text(event: StateChanged | None) -> str:
    """Short words for the badge: ``open``, ``closed 1000 (Normal closure) "bye"``."""
    if event is None:
        return "not connected"
    state = event.state
    if state is ConnectionState.CONNECTING:
        return "connecting…"
    if state is ConnectionState.OPEN:
        return "open"
    if state is ConnectionState.CLOSING:
        return "closing…"
    if event.code is None:
        text = "closed"
    else:
        meaning = close_code_meaning(event.code).split(":")[0]
        text = f"closed {event.code} ({meaning})"
    if event.clean is False and event.code is None:
        # An end that opened would have a close code (1006 at worst): this attempt
        # never got a connection.
        return "failed"
    if event.reason:
        text += f" “{event.reason}”"
    return text


def state_color(event: StateChanged | None) -> str:
    """A palette-derived colour name for the state, readable on light and dark."""
    t = theme.current()
    if event is None:
        return t.muted.name()
    if event.state is ConnectionState.OPEN:
        return t.incoming.name()
    if event.state in (ConnectionState.CONNECTING, ConnectionState.CLOSING):
        return t.control.name()
    if event.clean is False and event.code != 1000:
        return t.violation.name()
    # A clean end, or one the capture does not describe (clean is None: a HAR import).
    return t.muted.name()


def _stored_urls() -> list[str]:
    """The URL history from QSettings (a one-element list comes back as a str)."""
    value = QSettings().value(HISTORY_KEY, [])
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(u) for u in value if u]
    return []


class ConnectionBar(QWidget):
    """URL field, Connect/Disconnect, state badge and Options button.

    Emits :attr:`connectRequested` with the URL (Return or Ctrl+Return in the field in
    any state, or the button while not connected), :attr:`disconnectRequested` (the
    button while connecting or connected) and :attr:`optionsRequested`. Remembered
    URLs are suggested in a list, never completed inline.
    """

    connectRequested = Signal(str)
    disconnectRequested = Signal()
    optionsRequested = Signal()
    checkRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBar")
        self._state: StateChanged | None = None
        self._source: str | None = None
        self._source_kind = "file"
        self._return_seen = False

        self.url_combo = QComboBox(self)
        self.url_combo.setObjectName("urlField")
        self.url_combo.setAccessibleName("WebSocket URL")
        self.url_combo.setEditable(True)
        self.url_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.url_combo.setMaxVisibleItems(15)
        self.url_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.url_combo.setMinimumContentsLength(30)
        self.url_combo.setToolTip(
            "WebSocket URL (ws:// or wss://). Return connects; the list keeps recent URLs."
        )
        completer = self.url_combo.completer()
        if completer is not None:
            # Inline completion would turn "ws://" + Return into the last URL used:
            # suggestions appear in a list, taken only when one is chosen.
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
        line = self.url_combo.lineEdit()
        assert line is not None
        line.setPlaceholderText(DEFAULT_URL_HINT)
        line.setClearButtonEnabled(True)
        line.returnPressed.connect(self._on_return)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(keys), self.url_combo)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self._on_return)

        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setAccessibleName("Connect")
        self.connect_button.setDefault(False)
        self.connect_button.setAutoDefault(False)
        self.connect_button.clicked.connect(self._on_button)

        self.state_badge = QLabel(self)
        self.state_badge.setObjectName("stateBadge")
        self.state_badge.setAccessibleName("Connection state")
        self.state_badge.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_badge.setMinimumWidth(90)

        self.options_button = QToolButton(self)
        self.options_button.setObjectName("optionsButton")
        self.options_button.setAccessibleName("Connection options")
        self.options_button.setText("Options…")
        self.options_button.setToolTip(
            "Headers, subprotocols, compression, TLS, timeouts and limits"
        )
        self.options_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.options_button.clicked.connect(self.optionsRequested)

        self.check_button = QToolButton(self)
        self.check_button.setObjectName("checkServerButton")
        self.check_button.setAccessibleName("Check server")
        self.check_button.setText("Check…")
        self.check_button.setToolTip(
            "Check the server at this URL against RFC 6455: a battery of cases, each on "
            "its own connection (Ctrl+Shift+K)"
        )
        self.check_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.check_button.clicked.connect(self.checkRequested)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(6)
        url_label = QLabel("&URL", self)
        url_label.setBuddy(self.url_combo)
        layout.addWidget(url_label)
        layout.addWidget(self.url_combo, 1)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.options_button)
        layout.addWidget(self.check_button)
        layout.addWidget(self.state_badge)

        self.load_history()
        self.url_combo.setCurrentIndex(-1)
        self.url_combo.setEditText("")
        self.set_state(None)

    # ------------------------------------------------------------------ URL
    @property
    def url(self) -> str:
        return self.url_combo.currentText().strip()

    def set_url(self, url: str) -> None:
        self.url_combo.setEditText(url)

    def focus_url(self) -> None:
        self.url_combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        line = self.url_combo.lineEdit()
        if line is not None:
            line.selectAll()

    def load_history(self) -> None:
        urls = _stored_urls()
        current = self.url_combo.currentText()
        self.url_combo.clear()
        self.url_combo.addItems(urls)
        self.url_combo.setEditText(current)

    def history(self) -> list[str]:
        return [self.url_combo.itemText(i) for i in range(self.url_combo.count())]

    def remember_url(self, url: str) -> None:
        """Put ``url`` first in the history (kept in QSettings for the next start)."""
        url = url.strip()
        if not url:
            return
        urls = [url, *[u for u in _stored_urls() if u != url]][:HISTORY_MAX]
        QSettings().setValue(HISTORY_KEY, urls)
        self.url_combo.blockSignals(True)
        self.url_combo.clear()
        self.url_combo.addItems(urls)
        self.url_combo.setCurrentIndex(0)
        self.url_combo.blockSignals(False)

    # ---------------------------------------------------------------- state
    @property
    def state(self) -> StateChanged | None:
        return self._state

    @property
    def active(self) -> bool:
        """Connecting, open or closing: the button disconnects."""
        return (
            self._source is None
            and self._state is not None
            and self._state.state is not ConnectionState.CLOSED
        )

    def set_source(self, name: str | None, kind: str = "file") -> None:
        """Mark the session as a capture loaded from file ``name`` (None: live);
        ``kind`` is the badge's first word (``file``, ``probe``, ``recovered``...)."""
        self._source = name
        self._source_kind = kind
        self.set_state(self._state)

    def set_state(self, event: StateChanged | None) -> None:
        self._state = event
        text = state_text(event)
        # A file or a recovered capture is not a live connection: never the "open"
        # colour, whatever state its capture ended in.
        color = state_color(event if self._source is None else None)
        if self._source is not None:
            text = f"{self._source_kind} {self._source}" + (
                f" — {text}" if event is not None else ""
            )
        self.state_badge.setText(f"● {text}")
        self.state_badge.setStyleSheet(f"QLabel#stateBadge {{ color: {color}; font-weight: 600; }}")
        tip = text
        if event is not None and event.detail:
            tip += f"\n{event.detail}"
        self.state_badge.setToolTip(tip)
        self.state_badge.setAccessibleDescription(text)
        state = event.state if event is not None and self._source is None else None
        if state is ConnectionState.CONNECTING:
            label, tip = "Cancel", "Stop connecting"
        elif state is ConnectionState.OPEN:
            label, tip = "Disconnect", "Close the connection (close frame 1000)"
        elif state is ConnectionState.CLOSING:
            label, tip = "Abort", "Drop the TCP connection now"
        elif self._source is not None and self._source_kind == "proxy":
            # The URL is the upstream's: what starts here is a connection of ours.
            label = "Connect directly"
            tip = (
                "Open a connection of our own to the URL, in this tab: not through the "
                "proxy (the proxied connection stays in the proxy's list)"
            )
        else:
            label, tip = "Connect", "Connect to the URL (Return)"
        self.connect_button.setText(label)
        self.connect_button.setAccessibleName(label)
        self.connect_button.setToolTip(tip)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark
            self.set_state(self._state)

    # -------------------------------------------------------------- actions
    def _on_return(self) -> None:
        # Return always means "connect to what is typed", even while a connection is
        # open or closing: the session panel keeps the old capture in a tab. An
        # editable combo box delivers one Return to its line edit twice: one
        # connection per key press.
        if self._return_seen:
            return
        self._return_seen = True
        QTimer.singleShot(0, self, self._return_done)
        self.connectRequested.emit(self.url)

    def _return_done(self) -> None:
        self._return_seen = False

    def _on_button(self) -> None:
        if self.active:
            self.disconnectRequested.emit()
        else:
            self.connectRequested.emit(self.url)
