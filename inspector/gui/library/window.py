"""The window's message library: a dock beside the tabs (View > Library), "Save to
library…" from any compose pane, and "Edit and resend" from any timeline.

One library for the whole window, kept in the data folder: what it sends goes to the
current tab's connection. Edit and resend opens the row in the compose pane of its
own tab when that tab can send; in a tab that cannot (a capture file) in a new tab
connecting to the same URL; in a proxy's connection tab, in the proxy's inject
dialog, toward the side chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from ...protocol.constants import Opcode

if TYPE_CHECKING:
    from ...library.items import LibraryItem
    from ...library.store import Library
    from ..compose.pane import ComposePane
    from ..proxy.frame_dialog import FrameDialog
    from ..window.main_window import MainWindow
    from ..window.session_panel import SessionPanel
    from .panel import LibraryPanel

__all__ = ["WindowLibrary"]

DOCK_WIDTH = 340


class WindowLibrary(QObject):
    """``window.library``: the dock (``dock``), its panel (``panel``), the library."""

    def __init__(self, window: MainWindow, library: Library | None = None) -> None:
        super().__init__(window)
        self.setObjectName("windowLibrary")
        self.window = window
        # The library (its file, its model's modules) and the dock's panel load on
        # first use: the window starts without them (~20 ms and ~6 MiB, measured).
        self._library = library
        self._problem: str | None = None
        self._panel: LibraryPanel | None = None
        self.dock = QDockWidget("Library", window)
        self.dock.setObjectName("libraryDock")  # saveState() keys docks by name
        self.dock.setAccessibleName("Message library")
        self.dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()  # shown from View > Library, or by Save to library
        # The panel is built when the dock is first shown (or asked for): the window
        # starts without it (~10 ms and ~6 MiB of a start, measured).
        self.dock.visibilityChanged.connect(self._on_visibility)
        self.action: QAction = self.dock.toggleViewAction()
        self.action.setText("&Library")
        self.action.setObjectName("libraryAction")
        self.action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.action.setStatusTip("Saved messages: send one to the current connection")
        self._sized = False
        #: The proxy inject dialog open now, if any.
        self.inject_dialog: FrameDialog | None = None

    @property
    def library(self) -> Library:
        """The library in the data folder, opened on first use (a file that cannot be
        read is moved aside; the panel says so)."""
        if self._library is None:
            from ...library.store import Library

            opened = Library.open()
            if opened.problem:
                aside = f" (the file was moved to {opened.moved_to})" if opened.moved_to else ""
                self._problem = f"The library could not be read: {opened.problem}{aside}"
            self._library = opened.library
        return self._library

    @property
    def panel(self) -> LibraryPanel:
        """The dock's content, built on first use."""
        if self._panel is None:
            from .panel import LibraryPanel

            library = self.library  # first: opening it may leave a problem to say
            panel = LibraryPanel(library, self.current_compose)
            panel.loadRequested.connect(self.load_into_current)
            if self._problem:
                panel.say(self._problem, "error")
            self._panel = panel
            self.dock.setWidget(panel)
        return self._panel

    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.panel  # noqa: B018 - builds it

    def add_to(self, menu: QMenu) -> None:
        menu.addAction(self.action)

    def show(self) -> None:
        first = self.dock.isHidden() and not self._sized
        self.dock.show()
        self.dock.raise_()
        if first:
            # Under a third of the window, so the timeline keeps its room at 1024.
            self._sized = True
            width = min(DOCK_WIDTH, self.window.width() * 3 // 10)
            self.window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)

    # ------------------------------------------------------------------ tabs
    def current_compose(self) -> ComposePane | None:
        panel = self.window.current_panel()
        return panel.compose if panel is not None else None

    def attach(self, panel: SessionPanel) -> None:
        """Wire a new tab: its Save to library button, its timeline's Edit and resend."""
        panel.compose.saveToLibraryRequested.connect(lambda p=panel: self.save_from(p))
        menu = panel.copy_menu  # type: ignore[attr-defined]
        menu.resend_sides = lambda p=panel: self._sides(p)
        menu.editRequested.connect(
            lambda row, as_frame, side, p=panel: self.edit_and_resend(p, row, as_frame, side)
        )

    def _sides(self, panel: SessionPanel) -> tuple[str, ...]:
        if panel.controller.store is None:
            return ()
        if self.window.proxies.connection_of(panel) is not None:
            return ("server", "client")
        if panel.controller.read_only:
            return ("new",) if panel.controller.url else ()
        return ("",)

    def save_from(self, panel: SessionPanel) -> None:
        try:
            draft = panel.compose.draft_item()
        except ValueError as exc:
            self.show()
            self.panel.say(f"Nothing to save: {exc}", "error")
            return
        self.show()
        self.panel.save_new(draft)

    def load_into_current(self, item: LibraryItem) -> None:
        pane = self.current_compose()
        if pane is not None:
            pane.load_item(item)

    # ------------------------------------------------------- edit and resend
    def edit_and_resend(
        self, panel: SessionPanel, row: int, as_frame: bool, side: str
    ) -> SessionPanel | FrameDialog | None:
        """Open store ``row`` of ``panel`` ready to send again (see the module's
        docstring); returns the tab or the dialog it was opened in."""
        store = panel.controller.store
        if store is None:
            return None
        try:
            from ...library.capture_rows import item_from_row

            item = item_from_row(store, row, as_frame=as_frame)
        except IndexError:
            return None
        if side in ("server", "client"):
            return self._inject(panel, item, store.frame(row).opcode, side == "server")
        target = panel
        if side == "new":
            url = panel.controller.url
            target = self.window.new_session(url)
        target.compose.load_item(item)
        self.window.tabs.setCurrentWidget(target)
        return target

    def _inject(
        self, panel: SessionPanel, item: LibraryItem, opcode: int, to_server: bool
    ) -> FrameDialog | None:
        found = self.window.proxies.connection_of(panel)
        if found is None:
            return None
        from ..proxy.frame_dialog import FrameDialog  # with the proxy: on first use

        view, conn_id = found
        payload = item.data if item.data is not None else (item.text or "").encode()
        if item.close_code is not None and opcode == Opcode.CLOSE:
            payload = item.close_code.to_bytes(2, "big") + payload
        bits = item.bits
        dialog = FrameDialog(
            "inject",
            payload=payload,
            opcode=bits.opcode if bits is not None else opcode,
            fin=bits.fin if bits is not None else True,
            rsv=(bits.rsv1, bits.rsv2, bits.rsv3) if bits is not None else (False,) * 3,
            note=f"Connection {conn_id}: {item.name}",
            parent=panel,
        )
        dialog.side.setCurrentIndex(0 if to_server else 1)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def send(spec: object) -> None:
            try:
                view.runner.inject(conn_id, dialog.to_server, [spec])  # type: ignore[list-item]
            except RuntimeError as exc:
                self.window.show_error(str(exc))

        dialog.framed.connect(send)
        self.inject_dialog = dialog
        dialog.open()
        return dialog
