"""Names on widgets: the object name tests and style sheets use, and the accessible
name screen readers say (every interactive control in the window has both)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

__all__ = ["named"]


def named(widget: QWidget, name: str, accessible: str, tip: str = "") -> None:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    if tip:
        widget.setToolTip(tip)
