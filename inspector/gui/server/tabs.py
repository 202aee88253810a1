"""The server in the main window: File > New server…, the server tabs, and each
client opened as a live session tab of its own, right after its server's tab.

:class:`ServerTabs` (``window.servers``) is all the window needs: it owns the
dialog, adds a :class:`ServerView` per server started, and opens a client in a new
:class:`SessionPanel` whose controller drives that client's connection
(:func:`~inspector.gui.session.server.show_client`): the timeline, the handshake
pane (the client's request and our answer) and the compose pane, which replies to
that client alone.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from ...protocol.constants import ConnectionState
from ..live.tabs import LiveTabs, name_directions, tab_name
from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...capture.events import StateChanged
    from ..session.server import ServerRunner
    from ..session.support import SessionStats
    from ..window.main_window import MainWindow
    from .dialog import NewServerDialog
    from .view import ServerView

__all__ = ["ServerTabs", "as_client_tab"]

NEW_SERVER_SHORTCUT = "Ctrl+Shift+N"


def as_client_tab(panel: SessionPanel, name: str) -> None:
    """A client's tab: "us" is the server, and the bar cannot connect anywhere (the
    client came to us); Disconnect closes the client's connection."""
    name_directions(
        panel,
        (
            "↑ To the client",
            "Show the frames we (the server) sent to the client",
            "Show frames sent to the client",
        ),
        ("↓ From the client", "Show the frames the client sent", "Show frames from the client"),
    )
    panel.bar.url_combo.setEnabled(False)
    panel.bar.url_combo.setToolTip("The URL this client asked for")
    panel.bar.check_button.setEnabled(False)
    panel.bar.options_button.setEnabled(False)
    panel.title_override = name
    # The request came in and our response went out; nor is the note on our own
    # lenient server of any use to the one running it.
    from ..handshake.summary import SERVER_SEAT  # the handshake page loads on first use

    panel.handshake.set_seat(SERVER_SEAT)
    panel.controller.handshakeCaptured.disconnect(panel._on_handshake)
    panel.controller.handshakeCaptured.connect(panel.handshake.show_handshake)

    def on_state(event: StateChanged) -> None:
        # Once it ended the client's tab is a record: it cannot connect again.
        panel.bar.connect_button.setEnabled(event.state is not ConnectionState.CLOSED)

    panel.stateChanged.connect(on_state)


class ServerTabs(LiveTabs):
    """The window's servers."""

    VIEW_MODULE = f"{__package__}.view"
    VIEW_CLASS = "ServerView"
    TAB_TIP = "A server: its clients, live"

    def __init__(self, window: MainWindow) -> None:
        super().__init__(
            window,
            name="serverTabs",
            text="New &server…",
            action="newServerAction",
            shortcut=NEW_SERVER_SHORTCUT,
            tip="Listen for your own client: each one that connects opens as a tab you reply from",
        )
        self.dialog: NewServerDialog | None = None
        #: The dialogs changing a running server's answers, by id of its view.
        self._editing: dict[int, NewServerDialog] = {}

    def views(self) -> list[ServerView]:
        return super().views()

    # ------------------------------------------------------------ starting
    def choose(self) -> NewServerDialog:
        """Show the New server dialog (non-modal; a second call raises it)."""
        dialog: NewServerDialog = super().choose()
        return dialog

    def _new_dialog(self) -> NewServerDialog:
        from .dialog import NewServerDialog

        return NewServerDialog(self.window)

    def _accepted(self, dialog: NewServerDialog) -> None:
        from ..session.server import ServerRunner

        host, port = dialog.listen_address()
        runner = ServerRunner(
            host, port, dialog.options(), journal_dir=self.window.captures.journal_dir
        )
        self.start(runner)

    def start(self, runner: ServerRunner) -> ServerView:
        """A server tab for ``runner``, listening as soon as it can."""
        from .view import ServerView

        view = ServerView(runner, self.window.tabs)
        view.answersRequested.connect(lambda v=view: self.change_answers(v))
        runner.totalsChanged.connect(lambda _s, v=view: self._totals_changed(v))
        self._add_view(view)
        return view

    def totals(self, widget: QWidget | None) -> SessionStats | None:
        """What the status bar shows for ``widget`` when it is a server's tab: the
        totals over its clients (None for any other tab)."""
        if widget is None or widget not in self.views():
            return None
        view: ServerView = widget  # type: ignore[assignment]
        return view.runner.totals()

    def _totals_changed(self, view: ServerView) -> None:
        if self.window.tabs.currentWidget() is view:
            self.window.show_stats(view.runner.totals())

    def _activated(self, view: ServerView, conn_id: int) -> None:
        self.open_client(view, conn_id)

    def change_answers(self, view: ServerView) -> NewServerDialog:
        """Show how ``view``'s server answers, to change it for the next clients
        (non-modal; one such dialog per server tab)."""
        dialog = self._editing.get(id(view))
        if dialog is not None:
            dialog.raise_()
            return dialog
        where = f"{view.runner.server.host}:{view.runner.server.port}"
        from .dialog import NewServerDialog

        dialog = NewServerDialog(self.window, editing=view.runner.options, listen=where)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._apply(view, dialog))
        dialog.finished.connect(lambda _r: self._editing.pop(id(view), None))
        self._editing[id(view)] = dialog
        dialog.open()
        return dialog

    @staticmethod
    def _apply(view: ServerView, dialog: NewServerDialog) -> None:
        with contextlib.suppress(RuntimeError):  # the server's tab was closed meanwhile
            view.set_options(dialog.options())

    # ---------------------------------------------------------- client tabs
    def _insert_at(self, view: ServerView) -> int:
        """Right after the server's tab and the client tabs already open from it."""
        tabs = self.window.tabs
        at = tabs.indexOf(view) + 1
        mine = {id(p) for (v, _), p in self._opened.items() if v == id(view)}
        while at < tabs.count() and id(tabs.widget(at)) in mine:
            at += 1
        return at

    def open_client(self, view: ServerView, conn_id: int) -> SessionPanel | None:
        """Show client ``conn_id`` of ``view``'s server in a session tab (the one
        already showing it, if any), live: replies from its compose pane go to it."""
        panel = self._shown(view, conn_id)
        if panel is not None:
            return panel
        conn = view.runner.client(conn_id)
        if conn is None or conn.store is None:
            self.window.show_error(f"client {conn_id} is no longer kept")
            return None
        row = (
            view.model.row(view.model.row_of(conn_id)) if view.model.row_of(conn_id) >= 0 else None
        )
        path = row.path if row is not None and row.path else conn.url
        name = tab_name("⇆", conn_id, path)
        panel = self.window.new_session(index=self._insert_at(view))
        as_client_tab(panel, name)
        from ..session.server import show_client

        show_client(panel.controller, conn)
        panel.bar.set_url(conn.url)
        panel.titleChanged.emit(panel.title)
        self._opened[(id(view), conn_id)] = panel
        return panel
