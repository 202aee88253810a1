"""The error banner of a session tab: what failed and at which step of connecting."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QWidget

from ..session.controller import step_name
from ..widgets import theme
from ..widgets.banner import DismissibleBanner

__all__ = ["ErrorBanner"]


class ErrorBanner(DismissibleBanner):
    """A dismissible line saying what failed, at which step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "errorBanner",
            accessible="Error",
            text_accessible="Error message",
            close_accessible="Dismiss error",
            parent=parent,
        )
        self.step = ""
        self.message = ""
        self._fatal = True

    def show_error(self, step: str, message: str, *, fatal: bool = True) -> None:
        self.step, self.message, self._fatal = step, message, fatal
        self._render()
        self.show()

    def _render(self) -> None:
        """Word and colour the banner from the current palette (visibility unchanged:
        a dismissed banner stays dismissed when the palette changes)."""
        step, message, fatal = self.step, self.message, self._fatal
        t = theme.current()
        color = t.violation if fatal else t.control
        title = "Failed" if fatal else "Warning"
        where = step_name(step)
        self.label.setText(
            f'<b style="color:{color.name()}">{title} at step “{html.escape(where)}”:</b> '
            f"{html.escape(message)}"
        )
        self.setAccessibleDescription(f"{title} at step {where}: {message}")
        self._style(color, 0.14)

    def _has_content(self) -> bool:
        return bool(self.message)

    def _restyle(self) -> None:
        self._render()

    def clear(self) -> None:
        self.step = self.message = ""
        self.label.clear()
        self.hide()
