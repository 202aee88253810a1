"""The bar of filters above the timeline: directions, kinds, ping/pong, violations,
and the payload search. It wraps onto a second line in a narrow window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from ..widgets import theme
from .filters import KINDS
from .flow import FlowLayout

__all__ = ["FilterBar", "tool_button"]

_SEARCH_TIP = (
    "Find frames whose payload (or reassembled message) contains this text; name a "
    "decoded field to search it alone: event:chat, topic:sensors/1, method:getUser, "
    "destination:/queue/a, operation:OnMessage"
)


def tool_button(
    parent: QWidget, name: str, text: str, accessible: str, tip: str, checkable: bool = True
) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setAccessibleName(accessible)
    button.setToolTip(tip)
    button.setCheckable(checkable)
    button.setAutoRaise(False)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class _FilterLineEdit(QLineEdit):
    """The search field; Escape clears it."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class FilterBar(QWidget):
    """The filter controls. ``changed()`` says the filter the controls describe
    (:meth:`criteria`) changed: at once for buttons and Return, after a short pause
    for typing."""

    changed = Signal()

    SEARCH_DEBOUNCE_MS = 150

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineFilterBar")
        flow = FlowLayout(self, spacing=4)
        flow.setContentsMargins(4, 4, 4, 4)

        self.out_button = tool_button(
            self, "filterOut", "\u2191 Out", "Show sent frames", "Show frames we sent"
        )
        self.in_button = tool_button(
            self, "filterIn", "\u2193 In", "Show received frames", "Show frames the peer sent"
        )
        for b in (self.out_button, self.in_button):
            b.setChecked(True)
            flow.addWidget(b)

        self.kinds_button = tool_button(
            self,
            "filterKinds",
            "Kinds",
            "Frame kinds to show",
            "Choose the frame kinds shown",
            checkable=False,
        )
        self.kinds_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.kinds_button)
        menu.setObjectName("filterKindsMenu")
        menu.setAccessibleName("Frame kinds")
        self.kind_actions: dict[str, QAction] = {}
        for kind, label in (
            ("text", "Text"),
            ("binary", "Binary"),
            ("continuation", "Continuation"),
            ("control", "Control (close, ping, pong)"),
            ("reserved", "Reserved opcodes"),
        ):
            action = menu.addAction(label)
            action.setObjectName(f"kind_{kind}")
            action.setCheckable(True)
            action.setChecked(True)
            self.kind_actions[kind] = action
        self.kinds_button.setMenu(menu)
        flow.addWidget(self.kinds_button)

        self.ping_button = tool_button(
            self,
            "filterHidePingPong",
            "Hide ping/pong",
            "Hide ping and pong frames",
            "Hide PING and PONG frames",
        )
        flow.addWidget(self.ping_button)
        self.violations_button = tool_button(
            self,
            "filterViolations",
            "\u26a0 Violations only",
            "Show only violations",
            "Show only frames that break a rule: the peer's (\u26a0) and the ones we sent "
            "breaking a rule on purpose (\u2691)",
        )
        flow.addWidget(self.violations_button)

        # The search field and its two options stay on one line together.
        search = QWidget(self)
        search.setObjectName("filterSearchGroup")
        row = QHBoxLayout(search)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.search_edit = _FilterLineEdit(search)
        self.search_edit.setObjectName("filterSearch")
        self.search_edit.setAccessibleName("Search payloads")
        self.search_edit.setPlaceholderText("Search payloads\u2026")
        self.search_edit.setClearButtonEnabled(True)
        for clear in self.search_edit.findChildren(QToolButton):
            clear.setObjectName("filterSearchClear")
            clear.setAccessibleName("Clear the search")
        self.search_edit.setToolTip(_SEARCH_TIP)
        self.search_edit.setMinimumWidth(110)
        self.search_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.regex_button = tool_button(
            search,
            "filterRegex",
            ".*",
            "Regular expression",
            "Treat the search as a regular expression",
        )
        self.case_button = tool_button(
            search, "filterCase", "Aa", "Match case", "Match upper and lower case exactly"
        )
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.regex_button)
        row.addWidget(self.case_button)
        search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Wide enough to type in when it shares a line; the line wraps first.
        search.setMinimumWidth(
            110 + self.regex_button.sizeHint().width() + self.case_button.sizeHint().width() + 4
        )
        self._search_group = search
        flow.addWidget(search)

        self._debounce = QTimer(self)
        self._debounce.setObjectName("filterDebounce")
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.SEARCH_DEBOUNCE_MS)

        for b in self.toggles():
            b.toggled.connect(self._emit_now)
        for action in self.kind_actions.values():
            action.toggled.connect(self._emit_now)
            action.toggled.connect(self._update_kinds_label)
        self.search_edit.textChanged.connect(self._debounce.start)
        self.search_edit.returnPressed.connect(self._emit_now)
        self._debounce.timeout.connect(self._emit_now)
        self._style_toggles()

    def toggles(self) -> tuple[QToolButton, ...]:
        return (
            self.out_button,
            self.in_button,
            self.ping_button,
            self.violations_button,
            self.regex_button,
            self.case_button,
        )

    def criteria(self) -> dict[str, Any]:
        """The filter the controls describe, as :meth:`FrameTableModel.set_filter`
        takes it."""
        from ...capture.events import Direction

        dirs = [
            d
            for d, b in ((Direction.OUT, self.out_button), (Direction.IN, self.in_button))
            if b.isChecked()
        ]
        kinds = [k for k, a in self.kind_actions.items() if a.isChecked()]
        return {
            "dirs": None if len(dirs) == 2 else dirs,
            "kinds": None if len(kinds) == len(KINDS) else kinds,
            "hide_ping_pong": self.ping_button.isChecked(),
            "violations_only": self.violations_button.isChecked(),
            "search": self.search_edit.text(),
            "regex": self.regex_button.isChecked(),
            "case": self.case_button.isChecked(),
        }

    def show_error(self, message: str) -> None:
        """Mark the search field invalid (``message`` says why), or valid again."""
        if message:
            red = theme.current(self.palette()).violation.name()
            self.search_edit.setStyleSheet(f"QLineEdit {{ border: 2px solid {red}; }}")
            self.search_edit.setToolTip(message)
        else:
            self.search_edit.setStyleSheet("")
            self.search_edit.setToolTip(_SEARCH_TIP)
        self.search_edit.setProperty("invalid", bool(message))

    @Slot()
    def apply_now(self) -> None:
        """Apply what is typed now, without waiting for the pause."""
        self._emit_now()

    @Slot()
    def _emit_now(self) -> None:
        self._debounce.stop()
        self.changed.emit()

    @Slot()
    def _update_kinds_label(self) -> None:
        n = sum(a.isChecked() for a in self.kind_actions.values())
        self.kinds_button.setText("Kinds" if n == len(self.kind_actions) else f"Kinds ({n})")
        # Fewer kinds than all is a filter in force: mark it like a pressed button.
        self.kinds_button.setProperty("narrowed", n < len(self.kind_actions))
        style = self.kinds_button.style()
        style.unpolish(self.kinds_button)
        style.polish(self.kinds_button)

    def _style_toggles(self) -> None:
        """A pressed filter button is filled with the highlight colour and outlined:
        the style's own pressed look is a shade apart from the unpressed one."""
        pal = self.palette()
        hl = pal.color(pal.ColorRole.Highlight)
        fill = theme.blend(pal.color(pal.ColorRole.Button), hl, 0.35)
        text = pal.color(pal.ColorRole.ButtonText)
        rule = (
            f"border: 1px solid {hl.name()}; border-radius: 3px; "
            f"background-color: {fill.name()}; color: {text.name()}; padding: 2px 5px;"
        )
        sheet = f'QToolButton:checked, QToolButton[narrowed="true"] {{ {rule} }}'
        if sheet != self.styleSheet():  # (setting it sends a palette change again)
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._style_toggles()
