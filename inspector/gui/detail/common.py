"""Small builders the detail pane's tabs share."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from ..widgets import theme

__all__ = ["SELECTABLE", "esc", "make_label", "plain_edit"]

SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | (
    Qt.TextInteractionFlag.TextSelectableByKeyboard
)


def esc(text: str) -> str:
    """``text`` safe inside rich text (a peer wrote much of what we show)."""
    return html.escape(text, quote=True)


def make_label(
    parent: QWidget, name: str, accessible: str, *, mono: bool = False, rich: bool = False
) -> QLabel:
    """A selectable, word-wrapping label; plain text unless ``rich`` (so that text a
    peer controls is never read as markup)."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setTextInteractionFlags(SELECTABLE)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if mono:
        label.setFont(theme.monospace_font())
    return label


def plain_edit(parent: QWidget, name: str, accessible: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setReadOnly(True)
    edit.setTextInteractionFlags(SELECTABLE)
    edit.setFont(theme.monospace_font())
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    edit.setUndoRedoEnabled(False)
    return edit
