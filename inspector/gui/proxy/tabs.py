"""The proxy in the main window: File > New proxy…, the proxy tabs, and each
proxied connection opened as a session tab (read-only, followed live).

:class:`ProxyTabs` (``window.proxies``) is all the window needs: it owns the
dialog, adds a :class:`ProxyView` per proxy started, and opens a connection through
the path of file tabs (:func:`~inspector.gui.captures.tabs.open_store_tab`), so
that the timeline, detail and handshake panes, saving and HAR export work as for
any capture.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    from ..window.main_window import MainWindow
    from .dialog import NewProxyDialog
    from .view import ProxyView

__all__ = ["ProxyTabs", "label_sides"]

NEW_PROXY_SHORTCUT = "Ctrl+Shift+P"
_VIEW_MODULE = f"{__package__}.view"


def label_sides(panel: SessionPanel) -> None:
    """A proxy's capture has no "us": its two directions are the client's and the
    server's, and the filter buttons say so."""
    bar = panel.timeline.filter_bar
    bar.out_button.setText("↑ Client→server")
    bar.out_button.setToolTip("Show the frames the client sent to the server")
    bar.out_button.setAccessibleName("Show client to server frames")
    bar.in_button.setText("↓ Server→client")
    bar.in_button.setToolTip("Show the frames the server sent to the client")
    bar.in_button.setAccessibleName("Show server to client frames")


class ProxyTabs(QObject):
    """The window's proxies."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("proxyTabs")
        self.window = window
        #: The New proxy dialog while it is open (tests fill it in).
        self.dialog: NewProxyDialog | None = None
        self.action = QAction("New &proxy…", window)
        self.action.setObjectName("newProxyAction")
        self.action.setShortcut(QKeySequence(NEW_PROXY_SHORTCUT))
        tip = "Start a proxy between your own client and server, and see both sides"
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)
        self.action.triggered.connect(lambda *_: self.choose())
        window.addAction(self.action)
        #: Session tabs already showing a proxied connection, by (view, conn id).
        self._opened: weakref.WeakValueDictionary[tuple[int, int], SessionPanel] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[bool]] = set()

    def add_to(self, menu: QMenu, before: QAction | None = None) -> None:
        if before is not None:
            menu.insertAction(before, self.action)
        else:
            menu.addAction(self.action)

    def views(self) -> list[ProxyView]:
        # The proxy's modules (the engine's proxy, its CA's cryptography) load with
        # the first proxy started: until then there is no proxy tab.
        view_module = sys.modules.get(_VIEW_MODULE)
        if view_module is None:
            return []
        tabs = self.window.tabs
        cls = view_module.ProxyView
        return [w for i in range(tabs.count()) if isinstance(w := tabs.widget(i), cls)]

    # ------------------------------------------------------------ starting
    def choose(self) -> NewProxyDialog:
        """Show the New proxy dialog (non-modal; a second call raises it)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        from .dialog import NewProxyDialog

        dialog = NewProxyDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._accepted(dialog))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()  # never exec(): it would nest an event loop under qasync
        return dialog

    def _accepted(self, dialog: NewProxyDialog) -> None:
        host, port = dialog.listen_address()
        self.start(host, port, dialog)

    def start(self, host: str, port: int, dialog: NewProxyDialog) -> ProxyView | None:
        """A proxy tab for the dialog's settings, listening as soon as it can."""
        from ..session.proxy import ConnectError, ProxyRunner
        from .view import ProxyView

        try:
            runner = ProxyRunner(
                host, port, dialog.options(), journal_dir=self.window.captures.journal_dir
            )
        except (ConnectError, ValueError) as exc:
            message = exc.message if isinstance(exc, ConnectError) else str(exc)
            self.window.show_error(f"cannot start the proxy: {message}")
            return None
        view = ProxyView(runner, self.window.tabs)
        index = self.window.tabs.addTab(view, view.title)
        self.window.tabs.setTabToolTip(index, "A proxy: its connections, live")
        self.window.tabs.setCurrentIndex(index)
        view.titleChanged.connect(lambda title, v=view: self._retitle(v, title))
        view.connectionActivated.connect(lambda conn_id, v=view: self.open_connection(v, conn_id))
        task = view.start()

        def started(_task: asyncio.Task[bool]) -> None:
            self._retitle(view, view.title)

        task.add_done_callback(started)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return view

    def _retitle(self, view: ProxyView, title: str) -> None:
        with contextlib.suppress(RuntimeError):  # the tab may be gone already
            index = self.window.tabs.indexOf(view)
            if index >= 0:
                self.window.tabs.setTabText(index, title)

    # ----------------------------------------------------- connection tabs
    def open_connection(self, view: ProxyView, conn_id: int) -> SessionPanel | None:
        """Show connection ``conn_id`` of ``view``'s proxy in a session tab (the one
        already showing it, if any), following it while it runs."""
        key = (id(view), conn_id)
        panel = self._opened.get(key)
        if panel is not None and self.window.tabs.indexOf(panel) >= 0:
            self.window.tabs.setCurrentWidget(panel)
            return panel
        conn = view.runner.connection(conn_id)
        if conn is None or conn.store is None:
            self.window.show_error(f"proxied connection {conn_id} is no longer kept")
            return None
        from ..captures.tabs import open_store_tab
        from ..session.proxy import follow_connection, handshake_legs

        path = conn.path if not conn.tunnel else f"tunnel {conn.path}"
        name = f"⇄ #{conn_id} {path or conn.url}"
        if len(name) > 40:
            name = name[:39] + "…"
        panel = open_store_tab(self.window, conn.store, name, kind="proxy", badge=f"#{conn_id}")
        label_sides(panel)
        panel.handshake.legs.show_legs(handshake_legs(conn.store))
        follow_connection(panel.controller, conn)
        self._opened[key] = panel
        return panel

    def connection_of(self, panel: SessionPanel) -> tuple[ProxyView, int] | None:
        """The proxy tab and connection id that ``panel`` shows, if it shows one (so
        that a frame can be sent again toward either side with the proxy's inject)."""
        views = {id(v): v for v in self.views()}
        for (view_id, conn_id), shown in list(self._opened.items()):
            if shown is panel and view_id in views:
                return views[view_id], conn_id
        return None

    # ------------------------------------------------------------- closing
    async def aclose(self, timeout: float = 2.0) -> None:
        for view in self.views():
            await view.aclose(timeout)
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def shutdown(self) -> None:
        for view in self.views():
            view.shutdown()
