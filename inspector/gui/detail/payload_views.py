"""The ways the payload pane can show a payload, one tab each: what a view must
offer (:class:`PayloadView`) and the hex view, the first of them.

A view says whether it can show a payload (:meth:`PayloadView.accepts`, cheap: it is
asked for every frame selected) and fills its widget only when its tab is shown
(:meth:`PayloadView.load`), so selecting frames with another tab open costs nothing
per byte. Adding a way to show payloads is one class and one
:meth:`~.payload.PayloadPane.add_view`.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from PySide6.QtWidgets import QWidget

from .hexview import HexView

__all__ = ["HexPayloadView", "Payload", "PayloadView"]


class Payload(NamedTuple):
    """What the pane shows: the bytes, and whether they are text by their frame
    (decode as UTF-8 with replacement characters even where they do not decode
    cleanly: a text frame, or a fragment of one)."""

    data: bytes
    is_text: bool = False


class PayloadView(Protocol):
    """One tab of the payload pane."""

    @property
    def title(self) -> str: ...

    @property
    def widget(self) -> QWidget: ...

    def accepts(self, payload: Payload) -> bool:
        """Whether the tab is offered for ``payload``."""
        ...

    def load(self, payload: Payload) -> None:
        """Show ``payload`` (its tab is shown)."""
        ...

    def clear(self) -> None:
        """Forget what was shown (a new payload is coming)."""
        ...


class HexPayloadView:
    """Every payload, byte by byte (virtualized: any size opens at once)."""

    title = "Hex"

    def __init__(self, name: str, parent: QWidget) -> None:
        self.hex_view = HexView(parent)
        self.hex_view.setObjectName(f"{name}Hex")
        self.hex_view.setAccessibleName("Payload as hex")

    @property
    def widget(self) -> QWidget:
        return self.hex_view

    def accepts(self, payload: Payload) -> bool:
        return True

    def load(self, payload: Payload) -> None:
        self.hex_view.set_data(payload.data)

    def clear(self) -> None:
        self.hex_view.clear()
