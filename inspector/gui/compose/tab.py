"""What every compose tab is: a page that describes one thing to send.

A tab says what its Send button is called (:meth:`ComposeTab.send_label`), whether
what it holds can be sent (:meth:`ComposeTab.valid`) and what sending it does
(:meth:`ComposeTab.entry`, a :class:`~.entries.HistoryEntry`), and emits
``changed`` whenever any of that may have changed. The pane does the rest.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from ..session.controller import SessionController
from ..widgets import theme
from ..widgets.naming import named
from .entries import HistoryEntry

__all__ = ["ComposeTab", "info_label", "show"]


def show(label: QLabel, text: str, level: str = "") -> None:
    """Show ``text`` in ``label`` at ``level`` ("" normal, "muted", "warn", "error").
    The level is kept as the label's ``level`` property, so the pane can colour it
    again when the palette changes."""
    t = theme.current()
    color = {
        "": "",
        "muted": t.muted.name(),
        "warn": t.control.name(),
        "error": t.violation.name(),
    }[level]
    label.setText(text)
    label.setProperty("level", level)
    label.setStyleSheet(f"color: {color};" if color else "")


def info_label(parent: QWidget, name: str, accessible: str) -> QLabel:
    label = QLabel(parent)
    named(label, name, accessible)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class ComposeTab(QWidget):
    """A compose page; subclasses fill in the four methods below."""

    #: What the tab holds (or its Send label) may have changed.
    changed = Signal()

    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session

    def send_label(self) -> str:
        return "Send"

    def valid(self) -> bool:
        """True when :meth:`entry` would not raise."""
        try:
            self.entry()
        except ValueError:
            return False
        return True

    def entry(self) -> HistoryEntry:
        """What Send would send; ``ValueError`` says why it cannot be sent."""
        raise NotImplementedError

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        """The editors on which Ctrl+Enter sends."""
        return []

    def session_opened(self) -> None:
        """The connection is open: what it negotiated is known."""
