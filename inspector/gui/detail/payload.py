"""A payload in tabs, one per way of showing it (:mod:`.payload_views`): hex, text,
JSON. Only the tabs that can show the payload are offered; a tab is filled when it
is shown."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Slot
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ...views.conversation import Conversation
from ...views.text import format_bytes
from .common import SELECTABLE
from .decoded_view import RENDER_CAP, DecodedPayloadView
from .json_view import JsonPayloadView
from .payload_views import HexPayloadView, Payload, PayloadView
from .text_view import TextPayloadView

__all__ = ["PayloadPane"]


class PayloadPane(QWidget):
    """A payload as Hex (virtualized), Text (capped, "Load all" for the rest) and
    JSON (pretty-printed and highlighted; only when the payload parses as JSON).

    The Text and JSON tabs are filled when first shown, so selecting frames with the
    Hex tab open costs nothing per byte.
    """

    def __init__(
        self, name: str, parent: QWidget | None = None, *, decoded_first: bool = False
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self._name = name
        self._payload = Payload(b"")
        self._loaded: set[int] = set()
        self._views: list[PayloadView] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.info = QLabel(self)
        self.info.setObjectName(f"{name}Info")
        self.info.setAccessibleName("Payload size")
        self.info.setTextInteractionFlags(SELECTABLE)
        self.info.setWordWrap(True)
        layout.addWidget(self.info)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName(f"{name}Tabs")
        self.tabs.setAccessibleName("Payload views")
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)

        self._hex = HexPayloadView(name, self.tabs)
        self._text = TextPayloadView(name, self.tabs)
        self._json = JsonPayloadView(name, self.tabs)
        self._decoded = DecodedPayloadView(name, self.tabs)
        for view in (self._hex, self._text, self._json, self._decoded):
            self.add_view(view)
        self._decoded_first = decoded_first
        self.decoded = self._decoded
        # The parts tests and the rest of the window reach for by name.
        self.hex_view = self._hex.hex_view
        self.text_page = self._text.page
        self.text_edit = self._text.edit
        self.text_notice = self._text.notice
        self.load_all_button = self._text.load_all_button
        self.json_page = self._json.page
        self.json_edit = self._json.edit
        self.json_notice = self._json.notice
        self._highlighter = self._json.highlighter
        self.tabs.currentChanged.connect(self._load_current)
        # Once the user picks a tab, a new payload keeps it (while it is offered).
        self._user_picked = False
        self.tabs.tabBarClicked.connect(self._on_tab_clicked)
        self.set_payload(b"")

    def add_view(self, view: PayloadView) -> int:
        """Offer ``view`` as one more tab; returns its index."""
        self._views.append(view)
        return self.tabs.addTab(view.widget, view.title)

    @property
    def views(self) -> tuple[PayloadView, ...]:
        return tuple(self._views)

    # ------------------------------------------------------------------ data
    def set_payload(
        self, data: bytes, *, is_text: bool = False, declared: int | None = None, note: str = ""
    ) -> None:
        """Show ``data``. ``is_text``: decode as UTF-8 with replacement characters
        even where it does not decode cleanly (a text frame, or a fragment of one).
        ``declared``: the size the frame announced, when more than was kept."""
        payload = self._payload = Payload(data, is_text)
        # Forget the old payload everywhere before a tab is hidden: hiding the
        # current tab makes another one current, which loads it at once, and it
        # must load this payload, not be cleared after (the Text tab stayed blank).
        self._loaded.clear()
        for view in self._views:
            view.clear()
        offered = [view.accepts(payload) for view in self._views]
        tabs = self.tabs
        tabs.blockSignals(True)
        try:
            for i, shown in enumerate(offered):
                tabs.setTabVisible(i, shown)
            # The Decoded tab comes first, until the user picks another; a tab no
            # longer offered gives way to it (to Hex for a payload too big for it).
            decoded = self._views.index(self._decoded)
            prefer = decoded if offered[decoded] and len(data) <= RENDER_CAP else 0
            if self._decoded_first and not self._user_picked:
                tabs.setCurrentIndex(prefer)
            elif not tabs.isTabVisible(tabs.currentIndex()):
                tabs.setCurrentIndex(prefer if self._decoded_first else 0)
        finally:
            tabs.blockSignals(False)
        info = format_bytes(len(data)) if data else "empty"
        if declared is not None and declared > len(data):
            info = f"{format_bytes(len(data))} kept of {declared:,} bytes declared"
        if note:
            info += " \u00b7 " + note
        self.info.setText(info)
        self._load_current(tabs.currentIndex())

    def data(self) -> bytes:
        return self._payload.data

    def set_source(self, conversation: Conversation | None, row: int = -1) -> None:
        """Where the Decoded tab reads the payload from (the next :meth:`set_payload`
        offers it): ``row`` of ``conversation``; None: no Decoded tab."""
        self._decoded.set_source(conversation, row)

    @property
    def has_decoded(self) -> bool:
        return self.tabs.isTabVisible(self._views.index(self._decoded))

    @Slot(int)
    def _on_tab_clicked(self, index: int) -> None:
        self._user_picked = True

    @property
    def has_text(self) -> bool:
        return self.tabs.isTabVisible(self._views.index(self._text))

    @property
    def has_json(self) -> bool:
        return self.tabs.isTabVisible(self._views.index(self._json))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        json_view = getattr(self, "_json", None)  # (None while being built)
        if event.type() == QEvent.Type.PaletteChange and json_view is not None:
            json_view.highlighter.update_theme()  # light <-> dark

    @Slot(int)
    def _load_current(self, index: int) -> None:
        if 0 <= index < len(self._views) and index not in self._loaded:
            self._loaded.add(index)
            self._views[index].load(self._payload)

    def ensure_loaded(self) -> None:
        """Fill every offered tab now (they are otherwise filled when shown)."""
        for i in range(len(self._views)):
            if self.tabs.isTabVisible(i):
                self._load_current(i)

    @Slot()
    def load_all_text(self) -> None:
        """Decode and show the payload as text, up to the most the Text tab takes."""
        self._text.load_all()
