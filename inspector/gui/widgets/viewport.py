"""A scroll area's viewport made in Python, set up as Qt makes its own.

PySide6 wraps a widget Qt made (the one ``viewport()`` returns) by looking for its
most derived class among every QWidget subclass it binds, and with its lazy types
that creates them all, with their enums, the first time: ~10 ms of the window's
start (measured by benchmarks/bench_startup.py). A widget made in Python has its
wrapper already, so ``viewport()`` costs nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

__all__ = ["VIEWPORT_NAME", "plain_viewport"]

#: The name Qt gives its own viewports (style sheets may refer to it).
VIEWPORT_NAME = "qt_scrollarea_viewport"


def plain_viewport(area: QAbstractScrollArea) -> QWidget:
    """A widget for ``area.setViewport()`` with what Qt's own viewport has: its
    name, the Base background it fills, and touch events (QAbstractScrollArea
    takes those for scrolling)."""
    viewport = QWidget(area)
    viewport.setObjectName(VIEWPORT_NAME)
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(True)
    viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
    return viewport
