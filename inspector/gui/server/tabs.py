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

import asyncio
import contextlib
import sys
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ...capture.events import ConnectionState, StateChanged
from ..handshake.summary import SERVER_SEAT
from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    from ..session.server import ServerRunner
    from ..window.main_window import MainWindow
    from .dialog import NewServerDialog
    from .view import ServerView

__all__ = ["ServerTabs", "as_client_tab"]

NEW_SERVER_SHORTCUT = "Ctrl+Shift+N"


def as_client_tab(panel: SessionPanel, name: str) -> None:
    """A client's tab: "us" is the server, and the bar cannot connect anywhere (the
    client came to us); Disconnect closes the client's connection."""
    bar = panel.timeline.filter_bar
    bar.out_button.setText("↑ To the client")
    bar.out_button.setToolTip("Show the frames we (the server) sent to the client")
    bar.out_button.setAccessibleName("Show frames sent to the client")
    bar.in_button.setText("↓ From the client")
    bar.in_button.setToolTip("Show the frames the client sent")
    bar.in_button.setAccessibleName("Show frames from the client")
    panel.bar.url_combo.setEnabled(False)
    panel.bar.url_combo.setToolTip("The URL this client asked for")
    panel.bar.check_button.setEnabled(False)
    panel.bar.options_button.setEnabled(False)
    panel.title_override = name
    # The request came in and our response went out; nor is the note on our own
    # lenient server of any use to the one running it.
    panel.handshake.set_seat(SERVER_SEAT)
    panel.controller.handshakeCaptured.disconnect(panel._on_handshake)
    panel.controller.handshakeCaptured.connect(panel.handshake.show_handshake)

    def on_state(event: StateChanged) -> None:
        # Once it ended the client's tab is a record: it cannot connect again.
        panel.bar.connect_button.setEnabled(event.state is not ConnectionState.CLOSED)

    panel.stateChanged.connect(on_state)


class ServerTabs(QObject):
    """The window's servers."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("serverTabs")
        self.window = window
        #: The New server dialog while it is open (tests fill it in).
        self.dialog: NewServerDialog | None = None
        self.action = QAction("New &server…", window)
        self.action.setObjectName("newServerAction")
        self.action.setShortcut(QKeySequence(NEW_SERVER_SHORTCUT))
        tip = "Listen for your own client: each one that connects opens as a tab you reply from"
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)
        self.action.triggered.connect(lambda *_: self.choose())
        window.addAction(self.action)
        #: Session tabs already showing a client, by (view, client number).
        self._opened: weakref.WeakValueDictionary[tuple[int, int], SessionPanel] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[bool]] = set()
        #: The dialogs changing a running server's answers, by id of its view.
        self._editing: dict[int, NewServerDialog] = {}

    def add_to(self, menu: QMenu, before: QAction | None = None) -> None:
        if before is not None:
            menu.insertAction(before, self.action)
        else:
            menu.addAction(self.action)

    def views(self) -> list[ServerView]:
        # No server tab exists before its module is loaded (with the first server):
        # the window starts without the engine's server code.
        module = sys.modules.get("inspector.gui.server.view")
        if module is None:
            return []
        tabs = self.window.tabs
        cls = module.ServerView
        return [w for i in range(tabs.count()) if isinstance(w := tabs.widget(i), cls)]

    # ------------------------------------------------------------ starting
    def choose(self) -> NewServerDialog:
        """Show the New server dialog (non-modal; a second call raises it)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        from .dialog import NewServerDialog

        dialog = NewServerDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._accepted(dialog))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()  # never exec(): it would nest an event loop under qasync
        return dialog

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
        index = self.window.tabs.addTab(view, view.title)
        self.window.tabs.setTabToolTip(index, "A server: its clients, live")
        self.window.tabs.setCurrentIndex(index)
        view.titleChanged.connect(lambda title, v=view: self._retitle(v, title))
        view.connectionActivated.connect(lambda conn_id, v=view: self.open_client(v, conn_id))
        view.answersRequested.connect(lambda v=view: self.change_answers(v))
        task = view.start()
        task.add_done_callback(lambda _t: self._retitle(view, view.title))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return view

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

    def _retitle(self, view: ServerView, title: str) -> None:
        with contextlib.suppress(RuntimeError):  # the tab may be gone already
            index = self.window.tabs.indexOf(view)
            if index >= 0:
                self.window.tabs.setTabText(index, title)

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
        key = (id(view), conn_id)
        panel = self._opened.get(key)
        if panel is not None and self.window.tabs.indexOf(panel) >= 0:
            self.window.tabs.setCurrentWidget(panel)
            return panel
        conn = view.runner.client(conn_id)
        if conn is None or conn.store is None:
            self.window.show_error(f"client {conn_id} is no longer kept")
            return None
        row = (
            view.model.row(view.model.row_of(conn_id)) if view.model.row_of(conn_id) >= 0 else None
        )
        path = row.path if row is not None and row.path else conn.url
        name = f"⇆ #{conn_id} {path}"
        if len(name) > 40:
            name = name[:39] + "…"
        panel = self.window.new_session(index=self._insert_at(view))
        as_client_tab(panel, name)
        from ..session.server import show_client

        show_client(panel.controller, conn)
        panel.bar.set_url(conn.url)
        panel.titleChanged.emit(panel.title)
        self._opened[key] = panel
        return panel

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
