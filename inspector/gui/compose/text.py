"""The Text tab: a text message, optionally in fragments and compressed."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..session.controller import SessionController
from ..widgets.naming import named
from .entries import HistoryEntry, text_info, text_label
from .tab import ComposeTab, info_label, show

__all__ = ["TextTab", "compress_box", "fragments_box"]

MAX_FRAGMENTS = 1000


def fragments_box(parent: QWidget, name: str, accessible: str) -> QSpinBox:
    box = QSpinBox(parent)
    named(box, name, accessible)
    box.setRange(1, MAX_FRAGMENTS)
    box.setToolTip(
        "Split the message into this many frames (RFC 6455 §5.4), each masked with its own key"
    )
    return box


def compress_box(parent: QWidget, name: str, accessible: str) -> QCheckBox:
    box = QCheckBox("Compress", parent)
    named(box, name, accessible)
    box.setChecked(True)
    box.setToolTip("Use permessage-deflate when it was negotiated")
    return box


class TextTab(ComposeTab):
    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("textTab")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        self.edit = QPlainTextEdit(self)
        named(self.edit, "textEdit", "Text message")
        self.edit.setPlaceholderText(
            'Type a text message, e.g. {"type": "ping"} — Ctrl+Enter sends'
        )
        self.edit.setTabChangesFocus(True)
        layout.addWidget(self.edit, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Fragments:", self))
        self.fragments = fragments_box(self, "textFragments", "Text fragments")
        row.addWidget(self.fragments)
        self.compress = compress_box(self, "textCompress", "Compress text message")
        row.addWidget(self.compress)
        self.format_json_button = QPushButton("Format JSON", self)
        named(self.format_json_button, "formatJsonButton", "Format JSON")
        self.format_json_button.clicked.connect(self.format_json)
        row.addWidget(self.format_json_button)
        self.info = info_label(self, "textInfo", "Text message size")
        row.addWidget(self.info, 1)
        layout.addLayout(row)
        self.edit.textChanged.connect(self._update)
        self.fragments.valueChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        show(self.info, text_info(self.edit.toPlainText(), self.fragments.value()), "muted")
        self.changed.emit()

    def format_json(self) -> None:
        import json

        try:
            value = json.loads(self.edit.toPlainText())
        except ValueError as exc:
            show(self.info, f"not valid JSON: {exc}", "error")
            return
        self.edit.setPlainText(json.dumps(value, indent=2, ensure_ascii=False))

    def send_label(self) -> str:
        return "Send text"

    def valid(self) -> bool:
        return True

    def entry(self) -> HistoryEntry:
        s = self.session
        text = self.edit.toPlainText()
        n = self.fragments.value()
        compress = None if self.compress.isChecked() else False
        return HistoryEntry(
            "text",
            text_label(text, n),
            lambda: s.send_text(text, fragments=n, compress=compress),
        )

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [self.edit]

    def session_opened(self) -> None:
        self.compress.setEnabled(self.session.deflate_negotiated)
