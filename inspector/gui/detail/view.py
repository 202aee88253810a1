"""The frame detail pane: every bit of one frame, explained.

:class:`FrameDetailView` shows the frame at a store row in tabs: the header laid out
like the figure in RFC 6455 section 5.2 with this frame's bits, how masking turned
the wire bytes into the payload, the payload as hex / text / JSON, a close frame's
code and reason, the message a fragment belongs to, and the rules the frame breaks.
Everything is read-only and selectable; nothing here is proportional to the
payload's size except what the user explicitly asks to load.

Until the first frame is shown the pane shows only its hint: the tabs (and their
modules) are built with the first frame, or the first time anything reaches for a
part of them (``view.tabs``, ``view.bits``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...protocol.constants import Opcode
from ..timeline.icons import deliberate_color
from ..widgets import theme
from ..widgets.pages import CurrentPageHeight
from .summary import SummaryLine, summary_html

if TYPE_CHECKING:
    # The data model and the payload views load with the first frame shown.
    from ...capture.store import CaptureStore
    from ...protocol.events import Message
    from ...protocol.frames import Frame
    from ...views.frame_fields import MaskRow
    from ...views.registry import Registry
    from .bits import HeaderBitsWidget
    from .close import CloseTab
    from .header_tab import HeaderTab
    from .masking import MaskingTab
    from .message import MessageTab
    from .payload import PayloadPane
    from .violations import ViolationsTab

__all__ = ["EMPTY_HINT", "FrameDetailView"]

EMPTY_HINT = (
    "No frame selected.\n\nSelect a frame in the timeline to see its header bit by bit, "
    "its payload as hex, text or JSON, the message it belongs to and any rule it breaks."
)

#: The parts built with the tabs (:meth:`FrameDetailView._build_tabs`): reaching for
#: any of them builds them.
_TAB_PARTS = frozenset(
    {
        "tabs",
        "header_tab",
        "masking_tab",
        "payload",
        "close_tab",
        "message_tab",
        "violations_view",
        "bits",
        "header_hex",
        "header_text",
        "_header_scroll",
        "mask_key_label",
        "mask_explain",
        "mask_table",
        "close_labels",
        "message_info",
        "message_frames",
        "message_payload",
    }
)


class FrameDetailView(QWidget):
    """Everything about the frame at one store row.

    ``frameRequested(int)`` asks for another store row to be selected (a frame
    clicked in the Message tab's list).
    """

    frameRequested = Signal(int)

    TAB_HEADER, TAB_MASKING, TAB_PAYLOAD, TAB_CLOSE, TAB_MESSAGE, TAB_VIOLATIONS = range(6)
    TAB_NAMES = ("Header", "Masking", "Payload", "Close", "Message", "Violations")

    # Built with the tabs (see _TAB_PARTS); declared here for the type checker only.
    tabs: QTabWidget
    header_tab: HeaderTab
    masking_tab: MaskingTab
    payload: PayloadPane
    close_tab: CloseTab
    message_tab: MessageTab
    violations_view: ViolationsTab
    bits: HeaderBitsWidget
    header_hex: QLabel
    header_text: QLabel
    _header_scroll: QScrollArea
    mask_key_label: QLabel
    mask_explain: QLabel
    mask_table: QPlainTextEdit
    close_labels: dict[str, QLabel]
    message_info: QLabel
    message_frames: QListWidget
    message_payload: PayloadPane
    _tabs_built = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("frameDetail")
        self.setAccessibleName("Frame detail")
        self._store: CaptureStore | None = None
        self._row = -1
        self.frame: Frame | None = None
        #: The payload views the Decoded tabs use (None: the default registry).
        self.registry: Registry | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.summary = SummaryLine(self)
        layout.addWidget(self.summary)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("detailStack")
        layout.addWidget(self.stack, 1)

        self.empty = QLabel(EMPTY_HINT, self.stack)
        self.empty.setObjectName("detailEmpty")
        self.empty.setAccessibleName("No frame selected")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setMargin(24)
        self.stack.addWidget(self.empty)

        self._style_empty()
        self.clear()

    def __getattr__(self, name: str) -> Any:
        # Only for names not set yet: the tabs' parts, built on first use.
        if name in _TAB_PARTS and not self._tabs_built:
            self._build_tabs()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _build_tabs(self) -> None:
        from .close import CloseTab
        from .header_tab import HeaderTab
        from .masking import MaskingTab
        from .message import MessageTab
        from .payload import PayloadPane
        from .violations import ViolationsTab

        self._tabs_built = True
        self.tabs = QTabWidget(self.stack)
        self.tabs.setObjectName("detailTabs")
        self.tabs.setAccessibleName("Frame detail sections")
        self.tabs.setUsesScrollButtons(True)
        self.stack.addWidget(self.tabs)

        self.header_tab = HeaderTab(self.tabs)
        self.tabs.addTab(self.header_tab, "Header")
        self.masking_tab = MaskingTab(self.tabs)
        self.tabs.addTab(self.masking_tab, "Masking")
        self.payload = PayloadPane("payload", self.tabs, decoded_first=True)
        self.tabs.addTab(self.payload, "Payload")
        self.close_tab = CloseTab(self.tabs)
        self.tabs.addTab(self.close_tab, "Close")
        self.message_tab = MessageTab(self.tabs)
        self.message_tab.frameRequested.connect(self.frameRequested)
        self.tabs.addTab(self.message_tab, "Message")
        self.violations_view = ViolationsTab(self.tabs)
        self.tabs.addTab(self.violations_view, "Violations")
        # The Message page's splitter is the tallest: the Header page, shown most,
        # need not make the side scroll (beside its own scrollbar) for it.
        self._height = CurrentPageHeight(self.tabs)

        # The parts, by the names tests and tools use.
        self.bits = self.header_tab.bits
        self.header_hex = self.header_tab.header_hex
        self.header_text = self.header_tab.header_text
        self._header_scroll = self.header_tab
        self.mask_key_label = self.masking_tab.key_label
        self.mask_explain = self.masking_tab.explain
        self.mask_table = self.masking_tab.table
        self.close_labels = self.close_tab.labels
        self.message_info = self.message_tab.info
        self.message_frames = self.message_tab.frames
        self.message_payload = self.message_tab.payload
        self._clear_tabs()

    # ------------------------------------------------------------ public API
    @property
    def row(self) -> int:
        return self._row

    @property
    def message(self) -> Message | None:
        return self.message_tab.message

    @property
    def message_rows(self) -> list[int]:
        return self.message_tab.rows

    @property
    def masking_rows(self) -> list[MaskRow]:
        return self.masking_tab.rows

    @property
    def close_fields(self) -> dict[str, str]:
        return self.close_tab.fields

    def visible_tabs(self) -> list[str]:
        return [self.TAB_NAMES[i] for i in range(self.tabs.count()) if self.tabs.isTabVisible(i)]

    def tab_visible(self, name: str) -> bool:
        return self.tabs.isTabVisible(self.TAB_NAMES.index(name))

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(self.TAB_NAMES.index(name))

    def clear(self) -> None:
        self._store = None
        self._row = -1
        self.frame = None
        self.summary.setText("")
        if self._tabs_built:
            self._clear_tabs()
        self.stack.setCurrentWidget(self.empty)

    def _clear_tabs(self) -> None:
        self.masking_tab.clear()
        self.close_tab.clear()
        self.message_tab.clear()
        self.header_tab.show_frame(None)
        self.payload.set_payload(b"")
        for i in range(1, self.tabs.count()):
            self.tabs.setTabVisible(i, i == self.TAB_PAYLOAD)
        self.tabs.setTabVisible(self.TAB_HEADER, True)

    def show_frame(self, store: CaptureStore, row: int) -> None:
        """Show the frame at ``row`` of ``store`` (a negative row: :meth:`clear`)."""
        from ...views.conversation import conversation_for
        from ...views.frame_fields import frame_summary, is_text_kind, message_kind

        if row < 0 or row >= len(store):
            self.clear()
            return
        current = self.TAB_NAMES[self.tabs.currentIndex()]
        self._store = store
        self._row = row
        frame = self.frame = store.frame(row)
        op = frame.opcode
        kind = message_kind(store, row)
        self.summary.setText(summary_html(frame_summary(store, row), self))
        self.header_tab.show_frame(frame)

        key = frame.mask_key
        self.tabs.setTabVisible(self.TAB_MASKING, key is not None)
        if key is not None:
            self.masking_tab.show_masking(frame.payload, key)
        else:
            self.masking_tab.clear()

        note = ""
        if kind.compressed:
            note = "compressed with permessage-deflate; the Message tab shows it inflated"
        elif frame.truncated:
            note = "over the frame size limit: the payload was not kept"
        conv = conversation_for(store, self.registry)
        whole = store.message_frames(row)
        # The Decoded tab shows a whole payload: a frame that is one, or the last
        # frame of a message the capture holds (shown reassembled and inflated).
        if (len(whole) == 1 and not kind.compressed) or row in store.messages:
            self.payload.set_source(conv, row)
        else:
            self.payload.set_source(None)
        if op == Opcode.CLOSE:
            self.payload.set_payload(frame.payload, is_text=False, declared=frame.length)
        else:
            self.payload.set_payload(
                frame.payload, is_text=is_text_kind(kind, op), declared=frame.length, note=note
            )

        self.tabs.setTabVisible(self.TAB_CLOSE, op == Opcode.CLOSE)
        if op == Opcode.CLOSE:
            self.close_tab.show_close(frame)
        else:
            self.close_tab.clear()

        shown = self.message_tab.show_message(store, row, kind.compressed, conv)
        self.tabs.setTabVisible(self.TAB_MESSAGE, shown)

        found = frame.violations
        self.tabs.setTabVisible(self.TAB_VIOLATIONS, bool(found))
        self.tabs.setTabText(
            self.TAB_VIOLATIONS, f"Violations ({len(found)})" if found else "Violations"
        )
        self._colour_violations_tab()
        self.violations_view.show_violations(found)

        index = self.TAB_NAMES.index(current)
        if not self.tabs.isTabVisible(index):
            index = self.TAB_HEADER
        self.tabs.setCurrentIndex(index)
        self.stack.setCurrentWidget(self.tabs)
        self.header_tab.relayout()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "empty"):
            self._style_empty()
            if self.frame is not None:
                self._recolour()  # light <-> dark

    # -------------------------------------------------------------- colours
    def _colour_violations_tab(self) -> None:
        if not self._tabs_built:
            return
        th = theme.current(self.palette())
        found = self.frame.violations if self.frame is not None else ()
        ours = bool(found) and all(v.deliberate for v in found)
        self.tabs.tabBar().setTabTextColor(
            self.TAB_VIOLATIONS, deliberate_color(th) if ours else th.violation
        )

    def _style_empty(self) -> None:
        self.empty.setStyleSheet(f"color: {theme.current(self.palette()).muted.name()};")

    def _recolour(self) -> None:
        """Colour what :meth:`show_frame` coloured again, from the current palette."""
        from ...views.frame_fields import frame_summary

        store, frame, row = self._store, self.frame, self._row
        if store is None or frame is None:
            return
        self.summary.setText(summary_html(frame_summary(store, row), self))
        self._colour_violations_tab()
        self.violations_view.show_violations(frame.violations)
        self.header_tab.recolour()
        if frame.opcode == Opcode.CLOSE:
            self.close_tab.show_close(frame)
