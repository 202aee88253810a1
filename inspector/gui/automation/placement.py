"""Where the automation widgets go in a session tab."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ..window.session_panel import SessionPanel

__all__ = ["add_to_panel"]


def add_to_panel(panel: SessionPanel, widget: QWidget) -> None:
    """Put ``widget`` in ``panel`` under its banners, above the timeline (with the
    banners' margins)."""
    layout = panel.layout()
    assert isinstance(layout, QVBoxLayout)
    row = QHBoxLayout()
    row.setContentsMargins(6, 0, 6, 0)
    row.addWidget(widget)
    layout.insertLayout(layout.indexOf(panel.main_splitter), row)
