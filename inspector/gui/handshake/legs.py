"""The four halves of a proxied opening handshake, side by side in order: what the
client sent, what the proxy sent upstream, what the server answered, and what went
back to the client. A plain client's handshake has no legs: the tab stays hidden.

:func:`leg_order` and :func:`leg_text` are Qt-free; :class:`HandshakeLegs` adds
itself as a tab of the handshake pane.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from ...capture.events import Direction, HandshakeCaptured, HandshakeLeg
from ...views.text import escape_control
from ..widgets import theme
from ..widgets.naming import named

__all__ = ["LEGS", "HandshakeLegs", "leg_order", "leg_text"]

#: (leg, direction, tab title, accessible name), in the order they happen.
LEGS: tuple[tuple[HandshakeLeg, Direction, str, str], ...] = (
    (HandshakeLeg.CLIENT, Direction.OUT, "1 Client → proxy", "The client's request"),
    (HandshakeLeg.UPSTREAM, Direction.OUT, "2 Proxy → server", "The proxy's upstream request"),
    (HandshakeLeg.UPSTREAM, Direction.IN, "3 Server → proxy", "The server's response"),
    (HandshakeLeg.CLIENT, Direction.IN, "4 Proxy → client", "The response to the client"),
)


def leg_order(event: HandshakeCaptured) -> int | None:
    """Which of the four halves ``event`` is (0-3), or None (not a proxy's)."""
    for i, (leg, direction, _, _) in enumerate(LEGS):
        if event.leg is leg and event.dir is direction:
            return i
    return None


def _text(raw: bytes) -> str:
    head, sep, body = raw.decode("latin-1").partition("\r\n\r\n")
    text = head.replace("\r\n", "\n") + ("\n\n" + body if sep and body else "")
    return escape_control(text, keep_newlines=True)


def leg_text(event: HandshakeCaptured) -> str:
    """The half as it crossed its connection (control characters escaped), after
    the exchange with the user's own proxy that came first, if any."""
    parts = []
    via = event.via
    if via is not None:
        parts.append(f"# through the {via.kind} proxy {via.address} to {via.target}")
        if via.request:
            parts.append(_text(via.request))
        if via.response:
            parts.append(_text(via.response))
    parts.append(_text(event.raw) if event.raw else "(nothing was sent)")
    return "\n".join(parts)


class HandshakeLegs(QWidget):
    """The four legs, one tab each, in ``tabs`` (a tab named "Proxy legs")."""

    TITLE = "Proxy legs"

    def __init__(self, tabs: QTabWidget) -> None:
        super().__init__()
        named(self, "handshakeLegs", "Handshake legs through the proxy")
        self._tabs = tabs
        self.events: list[HandshakeCaptured | None] = [None] * len(LEGS)
        self.summary = QLabel(self)
        named(self.summary, "handshakeLegsSummary", "What the proxy changed")
        self.summary.setWordWrap(True)
        self.views: list[QPlainTextEdit] = []
        self.leg_tabs = QTabWidget(self)
        named(self.leg_tabs, "handshakeLegTabs", "The four handshake halves")
        self.leg_tabs.setDocumentMode(True)
        for i, (_, _, title, accessible) in enumerate(LEGS):
            view = QPlainTextEdit(self)
            named(view, f"handshakeLeg{i + 1}", accessible)
            view.setReadOnly(True)
            view.setFont(theme.monospace_font())
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            view.setPlaceholderText("(not yet)")
            self.views.append(view)
            self.leg_tabs.addTab(view, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.leg_tabs, 1)
        self._index = tabs.addTab(self, self.TITLE)
        tabs.setTabVisible(self._index, False)

    def clear(self) -> None:
        self.events = [None] * len(LEGS)
        for view in self.views:
            view.clear()
        self.summary.clear()
        self._tabs.setTabVisible(self._tabs.indexOf(self), False)

    def add(self, event: HandshakeCaptured) -> None:
        """Show ``event`` in its leg's tab (a half of no leg is left to the pane)."""
        i = leg_order(event)
        if i is None:
            return
        self.events[i] = event
        self.views[i].setPlainText(leg_text(event))
        self._tabs.setTabVisible(self._tabs.indexOf(self), True)
        self.summary.setText(self._summary())

    def show_legs(self, events: Iterable[HandshakeCaptured]) -> None:
        self.clear()
        for event in events:
            self.add(event)

    def _summary(self) -> str:
        seen = sum(e is not None for e in self.events)
        request, upstream = self.events[0], self.events[1]
        words = f"{seen} of 4 halves seen."
        if request is not None and upstream is not None:
            sent = {n.lower() for n, _ in request.headers}
            passed = {n.lower() for n, _ in upstream.headers}
            dropped = sorted(sent - passed)
            if dropped:
                words += " Not passed upstream (hop-by-hop): " + ", ".join(dropped) + "."
            words += " Host and hop-by-hop headers adjusted; everything else as the client sent it."
        return words
