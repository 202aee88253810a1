"""Compose and send: text, binary, an application format (MessagePack, CBOR,
Socket.IO, STOMP, GraphQL), ping/pong, close, a hand-crafted frame, raw bytes.

The pane holds one tab per kind of thing to send (each in its own module), the Send
button and its status line, and the history of what was sent. Ctrl+Enter sends what
the current tab holds; double-click a history entry (or press Resend) to send it
again.

Only the Text page is built with the pane: each other page (and its module) is
built the first time it is shown or anything asks for it (``pane.binary``,
:meth:`ComposePane.page`), so the window's first screen builds one page of seven.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...protocol.constants import ConnectionState
from ..session.controller import SessionController
from ..widgets.naming import named
from .entries import HistoryEntry
from .history import HistoryBox
from .repeat import RepeatControl
from .tab import ComposeTab, show
from .text import TextTab

if TYPE_CHECKING:
    from ...capture.events import StateChanged
    from ...library.items import LibraryItem
    from .binary import BinaryTab
    from .control import CloseTab, PingTab
    from .format import FormatTab
    from .frame import FrameTab
    from .raw import RawTab

__all__ = ["ComposePane"]


def _scrolled(page: QWidget) -> QScrollArea:
    """``page`` in a frameless scroll area, so that its many controls do not force a
    minimum size on the whole window."""
    area = QScrollArea()
    area.setObjectName(page.objectName() + "Scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(page)
    return area


def _build_page(index: int, session: SessionController) -> ComposeTab:
    """The page at ``index`` (one of :attr:`ComposePane.TITLES`), its module imported
    with it."""
    if index == ComposePane.TAB_BINARY:
        from .binary import BinaryTab

        return BinaryTab(session)
    if index == ComposePane.TAB_FORMAT:
        from .format import FormatTab

        return FormatTab(session)
    if index in (ComposePane.TAB_CONTROL, ComposePane.TAB_CLOSE):
        from .control import CloseTab, PingTab

        return PingTab(session) if index == ComposePane.TAB_CONTROL else CloseTab(session)
    if index == ComposePane.TAB_FRAME:
        from .frame import FrameTab

        return FrameTab(session)
    if index == ComposePane.TAB_RAW:
        from .raw import RawTab

        return RawTab(session)
    return TextTab(session)


class ComposePane(QWidget):
    """Send anything, valid or not, through a :class:`SessionController`.

    ``sent(label)`` is emitted after each successful send.
    """

    sent = Signal(str)
    #: Save to library… was pressed (the window's library takes what the tab holds).
    saveToLibraryRequested = Signal()

    TAB_TEXT, TAB_BINARY, TAB_FORMAT, TAB_CONTROL, TAB_CLOSE, TAB_FRAME, TAB_RAW = range(7)
    TITLES = ("Text", "Binary", "Format", "Ping / Pong", "Close", "Frame (advanced)", "Raw bytes")

    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composePane")
        self.setAccessibleName("Compose")
        self.session = session

        self.text = TextTab(session)
        # Each tab's place: the page itself once built, until then an empty holder
        # that the page goes into when it is first shown or asked for.
        self._built: list[ComposeTab | None] = [None] * len(self.TITLES)
        self._holders: list[QWidget] = []
        self.tabs = QTabWidget(self)
        named(self.tabs, "composeTabs", "Message kind")
        self.tabs.setDocumentMode(True)
        for index, title in enumerate(self.TITLES):
            holder = QWidget()
            holder.setObjectName(f"composePage{index}")
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            self._holders.append(holder)
            self.tabs.addTab(holder, title)
        self._place(self.TAB_TEXT, self.text)
        self.tabs.currentChanged.connect(self._on_current)

        self.send_button = QPushButton("Send", self)
        named(self.send_button, "sendButton", "Send", "Send (Ctrl+Enter)")
        self.send_button.setAutoDefault(False)
        self.send_button.clicked.connect(self.send_current)
        self.save_button = QPushButton("Save to library…", self)
        named(
            self.save_button,
            "saveToLibraryButton",
            "Save to library",
            "Keep what this tab holds in the message library",
        )
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.saveToLibraryRequested)
        self.status_label = QLabel(self)
        named(self.status_label, "composeStatus", "Send status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A line of its own, wrapped: beside the buttons a narrow window (1024 px
        # with the Library dock open) left it no width at all. Hidden until there is
        # something to say, so that it takes no room from the editor before.
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.status_label.hide()

        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(4)
        lv.addWidget(self.tabs, 1)
        lv.addWidget(self.status_label)
        row = QHBoxLayout()
        row.addStretch(1)
        self.repeat = RepeatControl(session, lambda: self.current_page().entry(), self)
        row.addWidget(self.repeat)
        row.addWidget(self.save_button)
        row.addWidget(self.send_button)
        lv.addLayout(row)

        self.history = HistoryBox(self)
        self.history.resendRequested.connect(self._run)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("composeSplitter")
        splitter.addWidget(left)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 260])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(splitter)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self.send_current)
        session.stateChanged.connect(self._on_state)
        session.errorOccurred.connect(self._on_error)
        self._update_send()

    # ---------------------------------------------------------------- pages
    def _place(self, index: int, page: ComposeTab) -> None:
        self._built[index] = page
        holder = self._holders[index]
        widget = _scrolled(page) if index == self.TAB_FRAME else page
        layout = holder.layout()
        assert layout is not None
        layout.addWidget(widget)
        page.changed.connect(self._update_send)
        # Also catch Ctrl+Enter on the editors themselves: a QShortcut fires only in
        # the active window, a key event filter wherever the key press arrives.
        for editor in page.editors():
            editor.installEventFilter(self)

    def page(self, index: int) -> ComposeTab:
        """The page at ``index`` (``TAB_*``), built now if it was not yet."""
        built = self._built[index]
        if built is not None:
            return built
        page = _build_page(index, self.session)
        self._place(index, page)
        if self.session.state is ConnectionState.OPEN:  # as if it had just opened
            page.session_opened()
        return page

    @property
    def pages(self) -> list[ComposeTab]:
        """Every page, each built now if it was not yet."""
        return [self.page(i) for i in range(len(self.TITLES))]

    def built_pages(self) -> list[ComposeTab]:
        """The pages built so far (the others hold nothing yet)."""
        return [p for p in self._built if p is not None]

    # Each page by its name, built on first use.
    @property
    def binary(self) -> BinaryTab:
        return cast("BinaryTab", self.page(self.TAB_BINARY))

    @property
    def format(self) -> FormatTab:
        return cast("FormatTab", self.page(self.TAB_FORMAT))

    @property
    def ping(self) -> PingTab:
        return cast("PingTab", self.page(self.TAB_CONTROL))

    @property
    def close_tab(self) -> CloseTab:
        return cast("CloseTab", self.page(self.TAB_CLOSE))

    @property
    def frame(self) -> FrameTab:
        return cast("FrameTab", self.page(self.TAB_FRAME))

    @property
    def raw(self) -> RawTab:
        return cast("RawTab", self.page(self.TAB_RAW))

    def _on_current(self, index: int) -> None:
        if index >= 0:
            self.page(index)
        self._update_send()

    # The window's Compose action focuses the text editor.
    @property
    def text_edit(self) -> QPlainTextEdit:
        return self.text.edit

    # ---------------------------------------------------------------- events
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark: colour again
            for label in self.findChildren(QLabel):
                level = label.property("level")
                if level:
                    show(label, label.text(), str(level))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.send_current()
                return True
        return super().eventFilter(watched, event)

    def _on_state(self, event: StateChanged) -> None:
        if event.state is ConnectionState.OPEN:
            for page in self.built_pages():  # the others learn it when built
                page.session_opened()
        self._update_send()

    def _on_error(self, step: str, message: str, fatal: bool) -> None:
        if step == "send":
            self._say(message, "error")

    def _say(self, text: str, level: str) -> None:
        show(self.status_label, text, level)
        self.status_label.setVisible(bool(text))

    # ---------------------------------------------------------------- sending
    def current_page(self) -> ComposeTab:
        return self.page(self.tabs.currentIndex())

    def _current_valid(self) -> bool:
        return self.current_page().valid()

    def _update_send(self, *_: object) -> None:
        if not hasattr(self, "send_button"):
            return  # still building
        label = self.current_page().send_label()
        self.send_button.setText(label)
        connected = self.session.can_send_frames
        self.send_button.setEnabled(connected and self._current_valid())
        self.send_button.setToolTip(
            f"{label} (Ctrl+Enter)" if connected else "Connect first: nothing to send on"
        )

    def send_current(self) -> bool:
        """Send what the current tab holds (Ctrl+Enter). True when it was sent."""
        if not self.send_button.isEnabled():
            if not self.session.can_send_frames:
                self._say("Not connected: connect first.", "error")
            return False
        try:
            entry = self.current_page().entry()
        except ValueError as exc:
            self._say(str(exc), "error")
            return False
        return self._run(entry)

    def send_entry(self, kind: str, label: str, action: Callable[[], bool]) -> bool:
        """Run ``action`` (a send through the controller) and, when it succeeds, list
        it in the history under ``label`` so it can be sent again."""
        return self._run(HistoryEntry(kind, label, action))

    def resend_selected(self) -> bool:
        """Send the selected history entry again; True when it was sent."""
        entry = self.history.selected()
        return entry is not None and self._run(entry)

    def _run(self, entry: HistoryEntry) -> bool:
        if not entry.action():
            return False
        self._say(f"Sent {entry.label}", "muted")
        self.history.add(entry)
        self.sent.emit(entry.label)
        if entry.kind == "close":
            self._update_send()
        return True

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        """The editors of the pages built so far."""
        return [e for page in self.built_pages() for e in page.editors()]

    # ---------------------------------------------------------------- library
    def load_item(self, item: LibraryItem) -> None:
        """Fill the tab that sends ``item`` (made current), ready to send."""
        from .drafts import load_item  # with the library's model: on first use

        load_item(self, item)
        self.current_page().editors()[0].setFocus()
        self._say(f"Loaded {item.name}: edit it, then Send", "muted")

    def draft_item(self) -> LibraryItem:
        """What the current tab holds as a library item; ValueError says why not."""
        from .drafts import draft_item

        return draft_item(self)
