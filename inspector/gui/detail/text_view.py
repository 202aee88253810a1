"""The payload as text: decoded as UTF-8, capped (a "Load all" button for the rest),
wrapped so that one long line does not stall Qt."""

from __future__ import annotations

import codecs

from PySide6.QtCore import Slot
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...views.text import format_bytes
from .common import plain_edit
from .payload_views import Payload

__all__ = ["LONG_LINE", "TEXT_CAP", "TEXT_MAX", "TextPayloadView", "reads_as_text"]

#: Bytes decoded into the Text tab before the user asks for more (~0.1-0.2 s to lay out).
TEXT_CAP = 256 * 1024
#: The most "Load all" decodes; past that the Hex tab is the way to read a payload.
TEXT_MAX = 16 * 1024 * 1024
#: Lines longer than this are wrapped anywhere: word-boundary wrapping of a long line
#: with no break opportunity is quadratic in Qt (measured: 2 s for 256 KiB).
LONG_LINE = 8 * 1024

_WHITESPACE = {9: None, 10: None, 13: None}


def reads_as_text(payload: Payload) -> bool:
    """A text frame's payload reads as text; binary data only when it is UTF-8 with
    no control characters but tab, line feed and carriage return."""
    data = payload.data
    if not data:
        return False
    if payload.is_text:
        return True
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(
            data[:TEXT_CAP], final=len(data) <= TEXT_CAP
        )
    except UnicodeDecodeError:
        return False
    return text.translate(_WHITESPACE).isprintable()


class TextPayloadView:
    title = "Text"

    def __init__(self, name: str, parent: QWidget) -> None:
        self.page = QWidget(parent)
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        notice_row = QHBoxLayout()
        self.notice = QLabel(self.page)
        self.notice.setObjectName(f"{name}TextNotice")
        self.notice.setAccessibleName("Text size notice")
        self.notice.setWordWrap(True)
        self.load_all_button = QPushButton("Load all", self.page)
        self.load_all_button.setObjectName(f"{name}LoadAll")
        self.load_all_button.setAccessibleName("Load the whole text")
        self.load_all_button.clicked.connect(self.load_all)
        notice_row.addWidget(self.notice, 1)
        notice_row.addWidget(self.load_all_button)
        layout.addLayout(notice_row)
        self.edit = plain_edit(self.page, f"{name}Text", "Payload as text")
        layout.addWidget(self.edit, 1)
        self._data = b""
        self.clear()

    @property
    def widget(self) -> QWidget:
        return self.page

    def accepts(self, payload: Payload) -> bool:
        return reads_as_text(payload)

    def load(self, payload: Payload) -> None:
        self._data = payload.data
        self._fill(TEXT_CAP)

    def clear(self) -> None:
        self._data = b""
        self.edit.clear()
        self.notice.setVisible(False)
        self.load_all_button.setVisible(False)

    @Slot()
    def load_all(self) -> None:
        """Decode and show the payload, up to :data:`TEXT_MAX` (the user asked)."""
        self._fill(TEXT_MAX)

    def _fill(self, cap: int) -> None:
        data = self._data
        head = data[:cap]
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text = decoder.decode(head, final=len(head) == len(data))
        longest = max(map(len, text.split("\n")), default=0)
        self.edit.setWordWrapMode(
            QTextOption.WrapMode.WrapAnywhere
            if longest > LONG_LINE
            else QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
        )
        self.edit.setPlainText(text)
        cut = len(head) < len(data)
        shown, total = format_bytes(len(head)), format_bytes(len(data))
        if cut and cap >= TEXT_MAX:
            notice = f"Showing the first {shown} of {total}; the Hex tab shows all of it."
        elif cut:
            notice = f"Showing the first {shown} of {total}."
        else:
            notice = ""
        self.notice.setText(notice)
        self.notice.setVisible(cut)
        self.load_all_button.setVisible(cut and cap < TEXT_MAX)
        more = min(len(data), TEXT_MAX)
        self.load_all_button.setText(
            f"Load all {format_bytes(more)}" if more == len(data) else f"Load {format_bytes(more)}"
        )
