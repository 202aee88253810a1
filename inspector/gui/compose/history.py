"""The history of what was sent: newest first, double-click or Resend to send again."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..widgets import theme
from ..widgets.naming import named
from .entries import HistoryEntry

__all__ = ["HISTORY_MAX", "HistoryBox"]

HISTORY_MAX = 200


class HistoryBox(QGroupBox):
    """``resendRequested(entry)`` asks for ``entry`` to be sent again."""

    resendRequested = Signal(HistoryEntry)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sent", parent)
        self.setObjectName("historyBox")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget(self)
        named(self.list, "historyList", "Sent history", "Double-click to send again")
        self.list.setFont(theme.monospace_font(-1))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemDoubleClicked.connect(self._resend_item)
        self.list.currentRowChanged.connect(lambda _: self._update_buttons())
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.resend_button = QPushButton("Resend", self)
        named(self.resend_button, "resendButton", "Resend")
        self.resend_button.clicked.connect(self.resend_selected)
        self.clear_button = QPushButton("Clear", self)
        named(self.clear_button, "clearHistoryButton", "Clear history")
        self.clear_button.clicked.connect(self.clear)
        row.addWidget(self.resend_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        layout.addLayout(row)
        self._update_buttons()

    def add(self, entry: HistoryEntry) -> None:
        """List ``entry`` first (and select it); the oldest go past :data:`HISTORY_MAX`."""
        item = QListWidgetItem(entry.label)
        item.setData(Qt.ItemDataRole.UserRole, entry)
        item.setToolTip(entry.label)
        self.list.insertItem(0, item)
        while self.list.count() > HISTORY_MAX:
            self.list.takeItem(self.list.count() - 1)
        self.list.setCurrentRow(0)
        self._update_buttons()

    def clear(self) -> None:
        self.list.clear()
        self._update_buttons()

    def selected(self) -> HistoryEntry | None:
        item = self.list.currentItem()
        entry = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return entry if isinstance(entry, HistoryEntry) else None

    def resend_selected(self) -> bool:
        """Ask for the selected entry to be sent again; False when none is selected."""
        entry = self.selected()
        if entry is None:
            return False
        self.resendRequested.emit(entry)
        return True

    def _resend_item(self, item: QListWidgetItem) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(entry, HistoryEntry):
            self.resendRequested.emit(entry)

    def _update_buttons(self) -> None:
        self.resend_button.setEnabled(self.list.currentItem() is not None)
        self.clear_button.setEnabled(self.list.count() > 0)
