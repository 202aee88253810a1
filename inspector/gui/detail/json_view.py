"""The payload as JSON: parsed, pretty-printed (capped) and highlighted; offered only
for a payload that parses as JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtGui import QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ..widgets import theme
from .common import plain_edit
from .payload_views import Payload

__all__ = ["JSON_CAP", "JSON_TEXT_CAP", "JsonHighlighter", "JsonPayloadView", "looks_like_json"]

#: Characters of pretty-printed JSON shown (and highlighted).
JSON_TEXT_CAP = 256 * 1024
#: Largest payload the JSON tab parses and pretty-prints.
JSON_CAP = 2 * 1024 * 1024


class JsonHighlighter(QSyntaxHighlighter):
    """Colours pretty-printed JSON: keys, strings, numbers, true/false/null."""

    _TOKEN = re.compile(
        r'(?P<str>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?'
        r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
        r"|(?P<kw>\btrue\b|\bfalse\b|\bnull\b)"
    )

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self._make_formats()

    def update_theme(self) -> None:
        """Colour the document again with the current palette's colours."""
        self._make_formats()
        self.rehighlight()

    def _make_formats(self) -> None:
        th = theme.current()
        for name, color in (
            ("key", th.json_key),
            ("str", th.json_string),
            ("num", th.json_number),
            ("kw", th.json_keyword),
        ):
            fmt = QTextCharFormat()
            fmt.setForeground(color)
            if name == "key":
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats[name] = fmt

    def highlightBlock(self, text: str) -> None:
        if len(text) > 20000:  # a monster line: leave it plain rather than stall
            return
        for m in self._TOKEN.finditer(text):
            if m.group("str") is not None:
                kind = "key" if m.group("colon") else "str"
                self.setFormat(m.start("str"), len(m.group("str")), self._formats[kind])
            elif m.group("num") is not None:
                self.setFormat(m.start(), m.end() - m.start(), self._formats["num"])
            else:
                self.setFormat(m.start(), m.end() - m.start(), self._formats["kw"])


def looks_like_json(data: bytes) -> bool:
    """An object or an array: what JSON messages are (a bare number or string is
    more often not meant as JSON)."""
    head = data[:64].lstrip()
    return head[:1] in (b"{", b"[")


class JsonPayloadView:
    title = "JSON"

    def __init__(self, name: str, parent: QWidget) -> None:
        self.page = QWidget(parent)
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.notice = QLabel(self.page)
        self.notice.setObjectName(f"{name}JsonNotice")
        self.notice.setAccessibleName("JSON size notice")
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice)
        self.edit = plain_edit(self.page, f"{name}Json", "Payload as JSON")
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.edit, 1)
        self.highlighter = JsonHighlighter(self.edit.document())
        self._value: Any = None
        self._parsed: bytes | None = None
        self.clear()

    @property
    def widget(self) -> QWidget:
        return self.page

    def accepts(self, payload: Payload) -> bool:
        data = payload.data
        self._parsed = None
        if not data or len(data) > JSON_CAP or not looks_like_json(data):
            return False
        try:
            self._value = json.loads(data)
        except (ValueError, RecursionError):
            return False
        self._parsed = data
        return True

    def load(self, payload: Payload) -> None:
        if self._parsed is not payload.data and not self.accepts(payload):
            self.clear()
            return
        text = json.dumps(self._value, indent=2, ensure_ascii=False)
        cut = len(text) > JSON_TEXT_CAP
        if cut:
            shown = text[: text.rfind("\n", 0, JSON_TEXT_CAP) + 1 or JSON_TEXT_CAP]
            self.notice.setText(
                f"Showing the first {shown.count(chr(10)):,} of {text.count(chr(10)) + 1:,} "
                "lines of the pretty-printed JSON."
            )
            text = shown
        self.notice.setVisible(cut)
        self.edit.setPlainText(text)

    def clear(self) -> None:
        self.edit.clear()
        self.notice.setVisible(False)
