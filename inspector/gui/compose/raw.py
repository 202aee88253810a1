"""The Raw bytes tab: bytes written to the socket as they are, with no framing."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from ...protocol.crafting import parse_hex
from ..session.controller import SessionController
from ..widgets import theme
from ..widgets.naming import named
from .entries import HistoryEntry, byte_count, raw_label
from .tab import ComposeTab, info_label, show

__all__ = ["RawTab"]


class RawTab(ComposeTab):
    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("rawTab")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        self.edit = QPlainTextEdit(self)
        named(self.edit, "rawEdit", "Raw bytes in hex")
        self.edit.setFont(theme.monospace_font())
        self.edit.setPlaceholderText(
            "Bytes written to the socket as they are, no framing: e.g. 81 05 48 65 6c 6c 6f "
            "(an unmasked TEXT frame)"
        )
        self.edit.setTabChangesFocus(True)
        layout.addWidget(self.edit, 1)
        self.info = info_label(self, "rawInfo", "Raw bytes size")
        layout.addWidget(self.info)
        self.edit.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        try:
            data = parse_hex(self.edit.toPlainText())
        except ValueError as exc:
            show(self.info, str(exc), "error")
        else:
            show(
                self.info,
                f"{byte_count(len(data))}, written to the socket without framing",
                "muted",
            )
        self.changed.emit()

    def send_label(self) -> str:
        return "Send bytes"

    def entry(self) -> HistoryEntry:
        s = self.session
        data = parse_hex(self.edit.toPlainText())
        if not data:
            raise ValueError("type the bytes to write, in hex")
        return HistoryEntry("raw", raw_label(data), lambda: s.send_raw(data))

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [self.edit]
