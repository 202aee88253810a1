"""The Masking tab: how the key turned the bytes on the wire into the payload."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from ...views.frame_fields import MaskRow, masking_rows, masking_table
from .common import make_label, plain_edit

__all__ = ["MASK_ROWS", "MaskingTab"]

#: Bytes shown in the masking table.
MASK_ROWS = 256


class MaskingTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskingPage")
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        self.key_label = make_label(self, "maskKey", "Masking key", mono=True)
        v.addWidget(self.key_label)
        self.explain = make_label(self, "maskExplanation", "How masking works", rich=True)
        self.explain.setText(
            "A client masks every payload byte it sends (RFC 6455 \u00a75.3): byte <i>i</i> "
            "on the wire is the payload byte XOR key byte <i>i</i> mod 4. XOR undoes "
            "itself, so the receiver applies the same key to get the payload back. "
            "Masking is not encryption (the key travels in the header): it stops a "
            "browser page from writing predictable bytes that could poison a proxy's cache."
        )
        v.addWidget(self.explain)
        self.table = plain_edit(self, "maskTable", "Masked and unmasked bytes")
        self.table.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        v.addWidget(self.table, 1)
        #: (offset, byte on the wire, key byte, unmasked byte) of the table.
        self.rows: list[MaskRow] = []

    def show_masking(self, payload: bytes, key: bytes) -> None:
        self.rows = masking_rows(payload, key, MASK_ROWS)
        self.key_label.setText(
            f"Masking key: {key.hex(' ')}   (k0={key[0]:02x} k1={key[1]:02x} "
            f"k2={key[2]:02x} k3={key[3]:02x})"
        )
        self.table.setPlainText(masking_table(self.rows, len(payload)))

    def clear(self) -> None:
        self.rows = []
        self.table.clear()
