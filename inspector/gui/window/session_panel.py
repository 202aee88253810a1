"""One connection tab: connection bar, error banner, timeline | detail/handshake,
and the compose pane at the bottom."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...protocol.constants import ConnectionState
from ..compose.pane import ComposePane
from ..detail.view import FrameDetailView
from ..options.defaults import default_options_later, save_default_options
from ..session.controller import SessionController, SessionStats, check_url, server_note
from ..timeline import TimelineView
from ..widgets.pages import CurrentPageHeight
from .connection_bar import ConnectionBar, state_text
from .error_banner import ErrorBanner
from .notes_banner import NotesBanner

if TYPE_CHECKING:
    import asyncio

    # The data model loads with the first connection or capture.
    from ...capture.events import HandshakeCaptured, StateChanged
    from ...capture.store import CaptureStore
    from ..handshake.pane import HandshakePane
    from ..options.dialog import OptionsDialog
    from ..session.controller import ConnectOptions
    from .rtt_pane import RttPane

__all__ = ["ErrorBanner", "SessionPanel"]  # ErrorBanner re-exported for older imports

COMPOSE_HEIGHT = 200
SPLITTER_KEYS = {
    "main": "panel/verticalSplitter",
    "top": "panel/horizontalSplitter",
}


class SessionPanel(QWidget):
    """Everything about one connection. ``titleChanged`` and ``statsChanged`` let the
    window update the tab title and status bar."""

    titleChanged = Signal(str)
    statsChanged = Signal(SessionStats)
    stateChanged = Signal(object)  # StateChanged
    #: About to connect again while holding a capture with frames: whoever listens
    #: (the window's capture manager) takes the capture into a tab of its own.
    captureToKeep = Signal()

    def __init__(
        self, options: ConnectOptions | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sessionPanel")
        self.setAccessibleName("Connection")
        self.controller = SessionController(self)
        if options is not None:
            self.controller.options = options
        else:  # the defaults saved now, made into options when first needed
            self.controller.make_options = default_options_later()
        self._options_dialog: OptionsDialog | None = None
        self._stats = SessionStats()
        #: A name for the tab of a capture shown from memory (a probe case, a HAR entry)
        #: or kept when its tab connected again.
        self.title_override: str | None = None
        #: What the notes line says about the server (our lenient echo server).
        self._server_note: str | None = None

        self.bar = ConnectionBar(self)
        self.banner = ErrorBanner(self)
        #: What the session's notes say about its capture (HAR import, recovery...).
        self.notes_banner = NotesBanner(self)
        self.timeline = TimelineView(parent=self)
        self.detail = FrameDetailView(self)
        self.compose = ComposePane(self.controller, self)

        self.side_tabs = QTabWidget(self)
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.setAccessibleName("Frame detail and handshake")
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(self.detail, "Frame detail")
        # The Handshake and RTT pages are built when first shown or used (the first
        # connection's handshake builds its page): the first screen shows neither.
        self._handshake: HandshakePane | None = None
        self._rtt: RttPane | None = None
        self._swapping = False
        self._handshake_slot = self._placeholder("handshakePlaceholder", "Handshake")
        self._rtt_slot = self._placeholder("rttPlaceholder", "RTT")
        self.side_tabs.currentChanged.connect(self._build_shown_page)
        # One scrollbar: the side (which scrolls in a small window) is as tall as
        # the page shown needs.
        self._side_height = CurrentPageHeight(self.side_tabs)

        # The detail pages need ~300 px of height; in a small window (1024x640 with
        # banners shown) they scroll instead of pushing the window taller.
        self.side_scroll = QScrollArea(self)
        self.side_scroll.setObjectName("sideScroll")
        self.side_scroll.setAccessibleName("Frame detail and handshake")
        self.side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.side_scroll.setWidgetResizable(True)
        self.side_scroll.setWidget(self.side_tabs)

        self.top_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.top_splitter.setObjectName("topSplitter")
        self.top_splitter.addWidget(self.timeline)
        self.top_splitter.addWidget(self.side_scroll)
        self.top_splitter.setStretchFactor(0, 3)
        self.top_splitter.setStretchFactor(1, 2)
        self.top_splitter.setChildrenCollapsible(False)

        self.main_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.compose)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setStretchFactor(1, 0)
        self.main_splitter.setCollapsible(0, False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.bar)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(6, 0, 6, 0)
        banner_row.addWidget(self.banner)
        layout.addLayout(banner_row)
        notes_row = QHBoxLayout()
        notes_row.setContentsMargins(6, 0, 6, 0)
        notes_row.addWidget(self.notes_banner)
        layout.addLayout(notes_row)
        layout.addWidget(self.main_splitter, 1)

        self._restore_splitters()

        c = self.controller
        c.storeChanged.connect(self._on_store)
        c.captureUpdated.connect(self._on_capture)
        c.stateChanged.connect(self._on_state)
        c.handshakeCaptured.connect(self._on_handshake)
        c.errorOccurred.connect(self._on_error)
        c.statsChanged.connect(self._on_stats)
        c.reconnectDue.connect(lambda _attempt: self.connect_to(c.url or None))
        self.bar.connectRequested.connect(self.connect_to)
        self.bar.disconnectRequested.connect(self.close_connection)
        self.bar.optionsRequested.connect(self.open_options)
        self.banner.tlsOptionsRequested.connect(self.open_tls_options)
        self.banner.trustRequested.connect(self.trust_certificate)
        self.timeline.frameSelected.connect(self._on_frame_selected)
        self.detail.frameRequested.connect(self._on_frame_requested)
        self.main_splitter.splitterMoved.connect(self._save_splitters)
        self.top_splitter.splitterMoved.connect(self._save_splitters)

    # ------------------------------------------------------ side pages
    def _placeholder(self, name: str, title: str) -> QWidget:
        slot = QWidget(self.side_tabs)
        slot.setObjectName(name)
        self.side_tabs.addTab(slot, title)
        return slot

    @property
    def handshake(self) -> HandshakePane:
        """The Handshake page (built on first use)."""
        if self._handshake is None:
            from ..handshake.pane import HandshakePane

            self._handshake = HandshakePane(self)
            self._swap_in(self._handshake_slot, self._handshake)
        return self._handshake

    @property
    def rtt(self) -> RttPane:
        """The RTT page (built on first use, with the tab's capture)."""
        if self._rtt is None:
            from .rtt_pane import RttPane

            self._rtt = RttPane(self)
            self._rtt.set_store(self.controller.store)
            self._swap_in(self._rtt_slot, self._rtt)
        return self._rtt

    def _swap_in(self, slot: QWidget, page: QWidget) -> None:
        tabs = self.side_tabs
        index = tabs.indexOf(slot)
        if index < 0:
            return
        current = tabs.currentIndex() == index
        self._swapping = True  # removing the current tab selects another one
        try:
            title = tabs.tabText(index)
            tabs.removeTab(index)
            tabs.insertTab(index, page, title)
            if current:
                tabs.setCurrentIndex(index)
        finally:
            self._swapping = False
        slot.deleteLater()
        self._side_height.fit()

    def _build_shown_page(self, index: int) -> None:
        if self._swapping:
            return
        widget = self.side_tabs.widget(index)
        if widget is self._handshake_slot:
            self.handshake  # noqa: B018 - builds it
        elif widget is self._rtt_slot:
            self.rtt  # noqa: B018 - builds it

    # ---------------------------------------------------------- splitters
    def _restore_splitters(self) -> None:
        settings = QSettings()
        main = settings.value(SPLITTER_KEYS["main"])
        top = settings.value(SPLITTER_KEYS["top"])
        self._default_sizes = not (
            isinstance(main, QByteArray) and self.main_splitter.restoreState(main)
        )
        if not (isinstance(top, QByteArray) and self.top_splitter.restoreState(top)):
            self.top_splitter.setSizes([760, 500])

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._default_sizes:
            # Only now is the height known: give the compose pane a fixed share and
            # the timeline the rest.
            self._default_sizes = False
            total = sum(self.main_splitter.sizes())
            compose = min(COMPOSE_HEIGHT, total // 3)
            self.main_splitter.setSizes([total - compose, compose])

    def _save_splitters(self, *_: object) -> None:
        settings = QSettings()
        settings.setValue(SPLITTER_KEYS["main"], self.main_splitter.saveState())
        settings.setValue(SPLITTER_KEYS["top"], self.top_splitter.saveState())

    # ------------------------------------------------------------- title
    @property
    def title(self) -> str:
        if self.title_override:
            return self.title_override
        if self.controller.read_only and self.controller.source_path:
            return "📄 " + os.path.basename(self.controller.source_path)
        url = self.controller.url or self.bar.url
        if not url:
            return "New connection"
        try:
            parts = urlsplit(url)
            host = parts.netloc or url
            path = parts.path if parts.path not in ("", "/") else ""
        except ValueError:
            return url[:40]
        text = host + path
        return text if len(text) <= 40 else text[:39] + "…"

    @property
    def stats(self) -> SessionStats:
        return self._stats

    # ----------------------------------------------------------- actions
    def connect_to(
        self, url: str | None = None, *, once: ConnectOptions | None = None
    ) -> asyncio.Task[None] | None:
        """Connect to ``url`` (default: the bar's); a bad URL shows in the banner
        without starting anything (and returns None). ``once``: options for this
        attempt only. Returns the attempt's task."""
        url = (url if url is not None else self.bar.url).strip()
        if url != self.bar.url:
            self.bar.set_url(url)
        problem = check_url(url)
        if problem is not None:
            self.banner.show_error("url", problem)
            self.bar.focus_url()
            return None
        store = self.controller.store
        if store is not None and len(store) and not self.controller.read_only:
            # A capture is never thrown away: it moves to a tab of its own first.
            self.captureToKeep.emit()
        self.title_override = None
        self.banner.clear()
        self.bar.set_source(None)
        self.bar.remember_url(url)
        if self._handshake is not None:
            self._handshake.clear()
        self.detail.clear()
        task = self.controller.connect_to(url, once, once=once is not None)
        # Connecting from now on: the bar must not show the previous connection's
        # state until the engine's first event arrives (a tick later).
        from ...capture.events import StateChanged

        self.bar.set_state(StateChanged(0.0, ConnectionState.CONNECTING))
        self.titleChanged.emit(self.title)
        return task

    async def open_capture(self, path: str) -> bool:
        """Show the capture file ``path`` in this tab, read-only."""
        self.banner.clear()
        if self._handshake is not None:
            self._handshake.clear()
        self.detail.clear()
        result = await self.controller.open_capture(path)
        if result is None:
            return False
        self.bar.set_url(self.controller.url)
        self.bar.set_source(os.path.basename(path))
        self.titleChanged.emit(self.title)
        return True

    def save_capture(self, path: str) -> int:
        """Write this tab's capture to ``path``; raises OSError."""
        return self.controller.save_capture(path)

    def close_connection(self) -> None:
        self.controller.close_connection()

    def open_options(self) -> None:
        """Show the options dialog (window-modal, via open(): never exec())."""
        if self._options_dialog is not None:
            self._options_dialog.raise_()
            return
        from ..options.dialog import OptionsDialog  # loads with its first opening

        dialog = OptionsDialog(self.controller.options, self)
        dialog.set_reconnect_policy(self.controller.reconnect)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._options_accepted(dialog))
        dialog.finished.connect(self._options_closed)
        self._options_dialog = dialog
        dialog.open()

    def open_tls_options(self) -> None:
        """The options dialog, on its TLS tab (the banner's way out of a bad cert)."""
        self.open_options()
        dialog = self._options_dialog
        if dialog is not None:
            tabs = dialog.tabs
            for i in range(tabs.count()):
                if tabs.tabText(i).replace("&", "") == "TLS":
                    tabs.setCurrentIndex(i)

    def trust_certificate(self, sha256: str) -> asyncio.Task[None] | None:
        """Connect again accepting exactly the certificate with this fingerprint, for
        this connection only (the tab's options keep verifying)."""
        import dataclasses

        o = self.controller.options
        pinned = dataclasses.replace(o, tls=dataclasses.replace(o.tls, pinned_sha256=sha256))
        return self.connect_to(self.controller.url or None, once=pinned)

    def _options_accepted(self, dialog: OptionsDialog) -> None:
        self.controller.options = dialog.options()
        self.controller.reconnect = dialog.reconnect_policy()
        if dialog.defaults_check.isChecked():
            save_default_options(self.controller.options)
        self.bar.options_button.setToolTip(self._options_summary())

    def _options_closed(self, *_: object) -> None:
        self._options_dialog = None

    def _options_summary(self) -> str:
        o = self.controller.options
        parts = []
        if o.headers:
            parts.append(f"{len(o.headers)} extra header(s)")
        if o.subprotocols:
            parts.append("subprotocols: " + ", ".join(o.subprotocols))
        parts.append("deflate on" if o.deflate else "deflate off")
        if o.tls.insecure:
            parts.append("TLS verification OFF")
        if o.strict:
            parts.append("strict")
        return "Options: " + "; ".join(parts)

    def focus_url(self) -> None:
        self.bar.focus_url()

    def focus_filter(self) -> None:
        self.timeline.focus_filter()

    def shutdown(self) -> None:
        """The tab is closing: stop listening and drop the connection."""
        self.controller.detach()

    async def aclose(self, timeout: float = 2.0, *, quitting: bool = False) -> None:
        await self.controller.aclose(timeout, quitting=quitting)

    # ------------------------------------------------------------ events
    def _on_store(self, store: CaptureStore) -> None:
        self.timeline.set_store(store)
        if self._rtt is not None:
            self._rtt.set_store(store)
        self.detail.clear()
        self._server_note = None
        self.notes_banner.show_notes(store.session.notes)

    def _on_capture(self, frames: int) -> None:
        # What showing a tick costs beyond this handler: the table's repaint (none
        # while the tab is not on screen).
        self.controller.render_cost = (
            self.timeline.paint_seconds if self.timeline.isVisible() else 0.0
        )
        self.timeline.refresh()

    def _on_state(self, event: StateChanged) -> None:
        self.bar.set_state(event)
        self.stateChanged.emit(event)
        self.titleChanged.emit(self.title)
        if (
            event.state is ConnectionState.CLOSED
            and event.clean is False
            and event.code is not None
            and self.banner.isHidden()
        ):
            # An abnormal end after the connection was open that no error explained.
            detail = f": {event.detail}" if event.detail else ""
            self.banner.show_error("close", state_text(event) + detail, fatal=False)

    def _on_handshake(self, event: HandshakeCaptured) -> None:
        self.handshake.show_handshake(event)
        note = server_note(event)
        store = self.controller.store
        if note is not None and note != self._server_note and store is not None:
            self._server_note = note
            self.notes_banner.show_notes((*store.session.notes, note))

    def _on_error(self, step: str, message: str, fatal: bool) -> None:
        if step == "send":
            return  # shown next to the Send button
        certificate = self.controller.rejected_certificate if step == "tls" else None
        self.banner.show_error(step, message, fatal=fatal, certificate=certificate)
        if certificate is not None:
            self.handshake.show_rejected_certificate(certificate, message)
        if step == "handshake" or certificate is not None:
            self.side_tabs.setCurrentWidget(self.handshake)

    def _on_stats(self, stats: SessionStats) -> None:
        self._stats = stats
        if self._rtt is not None:
            self._rtt.refresh()
        self.statsChanged.emit(stats)

    def _on_frame_selected(self, row: int) -> None:
        store = self.controller.store
        if row < 0 or store is None:
            self.detail.clear()
            return
        self.detail.show_frame(store, row)
        self.side_tabs.setCurrentWidget(self.detail)

    def _on_frame_requested(self, row: int) -> None:
        # A frame of the message was clicked in the detail pane's Message tab: select
        # it in the timeline, or show it on its own when the filter hides it there.
        if not self.timeline.select_store_row(row):
            self._on_frame_selected(row)
