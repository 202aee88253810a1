"""The proxy in the main window: File > New proxy…, the proxy tabs, and each
proxied connection opened as a session tab (read-only, followed live).

:class:`ProxyTabs` (``window.proxies``) is all the window needs: it owns the
dialog, adds a :class:`ProxyView` per proxy started, and opens a connection through
the path of file tabs (:func:`~inspector.gui.captures.tabs.open_store_tab`), so
that the timeline, detail and handshake panes, saving and HAR export work as for
any capture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..live.tabs import LiveTabs, name_directions, tab_name
from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    from ..window.main_window import MainWindow
    from .dialog import NewProxyDialog
    from .view import ProxyView

__all__ = ["ProxyTabs", "label_sides"]

NEW_PROXY_SHORTCUT = "Ctrl+Shift+P"


def label_sides(panel: SessionPanel) -> None:
    """A proxy's capture has no "us": its two directions are the client's and the
    server's, and the filter buttons say so."""
    name_directions(
        panel,
        (
            "↑ Client→server",
            "Show the frames the client sent to the server",
            "Show client to server frames",
        ),
        (
            "↓ Server→client",
            "Show the frames the server sent to the client",
            "Show server to client frames",
        ),
    )


class ProxyTabs(LiveTabs):
    """The window's proxies."""

    VIEW_MODULE = f"{__package__}.view"
    VIEW_CLASS = "ProxyView"
    TAB_TIP = "A proxy: its connections, live"

    def __init__(self, window: MainWindow) -> None:
        super().__init__(
            window,
            name="proxyTabs",
            text="New &proxy…",
            action="newProxyAction",
            shortcut=NEW_PROXY_SHORTCUT,
            tip="Start a proxy between your own client and server, and see both sides",
        )
        self.dialog: NewProxyDialog | None = None

    def views(self) -> list[ProxyView]:
        return super().views()

    # ------------------------------------------------------------ starting
    def choose(self) -> NewProxyDialog:
        """Show the New proxy dialog (non-modal; a second call raises it)."""
        dialog: NewProxyDialog = super().choose()
        return dialog

    def _new_dialog(self) -> NewProxyDialog:
        from .dialog import NewProxyDialog

        return NewProxyDialog(self.window)

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
        self._add_view(view)
        return view

    def _activated(self, view: ProxyView, conn_id: int) -> None:
        self.open_connection(view, conn_id)

    # ----------------------------------------------------- connection tabs
    def open_connection(self, view: ProxyView, conn_id: int) -> SessionPanel | None:
        """Show connection ``conn_id`` of ``view``'s proxy in a session tab (the one
        already showing it, if any), following it while it runs."""
        panel = self._shown(view, conn_id)
        if panel is not None:
            return panel
        conn = view.runner.connection(conn_id)
        if conn is None or conn.store is None:
            self.window.show_error(f"proxied connection {conn_id} is no longer kept")
            return None
        from ..captures.tabs import open_store_tab
        from ..session.proxy import follow_connection, handshake_legs

        path = conn.path if not conn.tunnel else f"tunnel {conn.path}"
        name = tab_name("⇄", conn_id, path or conn.url)
        panel = open_store_tab(self.window, conn.store, name, kind="proxy", badge=f"#{conn_id}")
        label_sides(panel)
        panel.handshake.legs.show_legs(handshake_legs(conn.store))
        follow_connection(panel.controller, conn)
        self._opened[(id(view), conn_id)] = panel
        return panel

    def connection_of(self, panel: SessionPanel) -> tuple[ProxyView, int] | None:
        """The proxy tab and connection id that ``panel`` shows, if it shows one (so
        that a frame can be sent again toward either side with the proxy's inject)."""
        views = {id(v): v for v in self.views()}
        for (view_id, conn_id), shown in list(self._opened.items()):
            if shown is panel and view_id in views:
                return views[view_id], conn_id
        return None
