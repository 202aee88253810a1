"""A dismissible line with what a session's notes say about its capture.

A session carries notes when its capture is not a plain live recording: imported
from a HAR file (messages, not frames: no frame bits, masks or control frames),
recovered from the journal of a session that did not finish, converted from another
tool's output. The session panel shows them above the timeline, in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ..detail.common import esc
from ..widgets import theme
from ..widgets.banner import DismissibleBanner

__all__ = ["NotesBanner"]


class NotesBanner(DismissibleBanner):
    """Shows the notes of the session in the tab (hidden when there are none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "notesBanner",
            accessible="About this capture",
            text_accessible="Notes about this capture",
            close_accessible="Dismiss the notes",
            parent=parent,
        )
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.notes: tuple[str, ...] = ()

    def show_notes(self, notes: Sequence[str]) -> None:
        """Show ``notes`` (one line each); hide the banner when there are none."""
        self.notes = tuple(n for n in notes if n)
        if not self.notes:
            self.label.clear()
            self.hide()
            return
        self._restyle()
        lines = "<br>".join(
            f"{esc(n[:1].upper() + n[1:])}{'' if n.endswith('.') else '.'}" for n in self.notes
        )
        self.label.setText(f"<b>About this capture:</b> {lines}")
        self.setAccessibleDescription(" ".join(self.notes))
        self.show()

    def text(self) -> str:
        return " ".join(self.notes)

    def _has_content(self) -> bool:
        return bool(self.notes)

    def _restyle(self) -> None:
        self._style(theme.current().outgoing, 0.10)
