"""Small builders the detail pane's tabs share."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from ..widgets import theme

__all__ = ["SELECTABLE", "esc", "make_label", "plain_edit"]

SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | (
    Qt.TextInteractionFlag.TextSelectableByKeyboard
)


#: What ``html.escape(text, quote=True)`` replaces, in one pass (the html package
#: loads its table of every named entity: ~1.6 ms of the window's start).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def esc(text: str) -> str:
    """``text`` safe inside rich text (a peer wrote much of what we show)."""
    return text.translate(_ESCAPES)


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
