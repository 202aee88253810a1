"""A tab widget as tall as the page it shows needs, not as its tallest page does.

A QTabWidget's minimum height is the largest of its pages' minimums, shown or not.
In a small window the pages live in a scroll area sized to that minimum, so a page
that scrolls by itself (the handshake's overview, the frame header's drawing) got a
second scrollbar beside the scroll area's, on account of a page not even shown.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QSizePolicy, QTabWidget, QWidget

__all__ = ["CurrentPageHeight"]


class CurrentPageHeight(QObject):
    """Keeps ``tabs``' minimum height to its current page's: the pages not shown get
    an Ignored vertical size policy (which takes a widget out of its stack's minimum),
    and the page shown its own back. Call :meth:`fit` after inserting a page."""

    def __init__(self, tabs: QTabWidget) -> None:
        super().__init__(tabs)
        self.tabs = tabs
        #: Each hidden page's own vertical policy.
        self._own: weakref.WeakKeyDictionary[QWidget, QSizePolicy.Policy] = (
            weakref.WeakKeyDictionary()
        )
        tabs.currentChanged.connect(lambda _i: self.fit())
        self.fit()

    def fit(self) -> None:
        tabs = self.tabs
        current = tabs.currentWidget()
        ignored = QSizePolicy.Policy.Ignored
        for i in range(tabs.count()):
            page = tabs.widget(i)
            if page is None:
                continue
            policy = page.sizePolicy()
            if page is current:
                own = self._own.pop(page, None)
                if own is None:
                    continue
                policy.setVerticalPolicy(own)
            elif page in self._own or policy.verticalPolicy() is ignored:
                continue
            else:
                self._own[page] = policy.verticalPolicy()
                policy.setVerticalPolicy(ignored)
            page.setSizePolicy(policy)
        tabs.updateGeometry()
