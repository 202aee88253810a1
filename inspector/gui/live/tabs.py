"""What the window's proxies and servers share (``window.proxies``,
``window.servers``): the File menu's action, its non-modal New… dialog, a tab per
run (a :class:`~.view.LiveView`) and the session tabs opened from its rows.

Loaded with the window: nothing here imports a view, a dialog or the engine; a
subclass imports its own on first use.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu

from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    import asyncio

    from ..window.main_window import MainWindow
    from .view import LiveView

__all__ = ["LiveTabs", "name_directions", "tab_name"]

#: The longest title of a connection's session tab, in characters.
TAB_NAME_LIMIT = 40


def tab_name(mark: str, conn_id: int, what: str) -> str:
    """A connection's session tab title: ``⇄ #3 /path``, cut to fit."""
    name = f"{mark} #{conn_id} {what}"
    return name if len(name) <= TAB_NAME_LIMIT else name[: TAB_NAME_LIMIT - 1] + "…"


def name_directions(
    panel: SessionPanel, out: tuple[str, str, str], incoming: tuple[str, str, str]
) -> None:
    """Say what the timeline's ↑ and ↓ filter buttons show from this seat: each
    (text, tooltip, accessible name)."""
    bar = panel.timeline.filter_bar
    for button, (text, tip, name) in ((bar.out_button, out), (bar.in_button, incoming)):
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(name)


class LiveTabs(QObject):
    """The window's runs of one kind (proxies, servers)."""

    #: The module and class of the kind's tab, loaded with its first run.
    VIEW_MODULE: ClassVar[str] = ""
    VIEW_CLASS: ClassVar[str] = ""
    #: The tooltip of a run's tab.
    TAB_TIP: ClassVar[str] = ""

    def __init__(
        self, window: MainWindow, *, name: str, text: str, action: str, shortcut: str, tip: str
    ) -> None:
        super().__init__(window)
        self.setObjectName(name)
        self.window = window
        #: The New… dialog while it is open (tests fill it in).
        self.dialog: Any = None
        self.action = QAction(text, window)
        self.action.setObjectName(action)
        self.action.setShortcut(QKeySequence(shortcut))
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)
        self.action.triggered.connect(lambda *_: self.choose())
        window.addAction(self.action)
        #: Session tabs already showing a connection, by (view, conn id).
        self._opened: weakref.WeakValueDictionary[tuple[int, int], SessionPanel] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[bool]] = set()

    def add_to(self, menu: QMenu, before: QAction | None = None) -> None:
        if before is not None:
            menu.insertAction(before, self.action)
        else:
            menu.addAction(self.action)

    def views(self) -> list[Any]:
        # The kind's modules (the engine's proxy or server) load with its first run:
        # until then there is no such tab.
        module = sys.modules.get(self.VIEW_MODULE)
        if module is None:
            return []
        tabs = self.window.tabs
        cls = getattr(module, self.VIEW_CLASS)
        return [w for i in range(tabs.count()) if isinstance(w := tabs.widget(i), cls)]

    # ------------------------------------------------------------ starting
    def _new_dialog(self) -> QDialog:
        raise NotImplementedError

    def _accepted(self, dialog: Any) -> None:
        raise NotImplementedError

    def choose(self) -> Any:
        """Show the New… dialog (non-modal; a second call raises it)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = self._new_dialog()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._accepted(dialog))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()  # never exec(): it would nest an event loop under qasync
        return dialog

    def _add_view(self, view: LiveView) -> None:
        """Show ``view`` in a tab of its own, listening as soon as it can."""
        index = self.window.tabs.addTab(view, view.title)
        self.window.tabs.setTabToolTip(index, self.TAB_TIP)
        self.window.tabs.setCurrentIndex(index)
        view.titleChanged.connect(lambda title, v=view: self._retitle(v, title))
        view.connectionActivated.connect(lambda conn_id, v=view: self._activated(v, conn_id))
        task = view.start()
        task.add_done_callback(lambda _t: self._retitle(view, view.title))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _activated(self, view: Any, conn_id: int) -> None:
        raise NotImplementedError

    def _retitle(self, view: LiveView, title: str) -> None:
        with contextlib.suppress(RuntimeError):  # the tab may be gone already
            index = self.window.tabs.indexOf(view)
            if index >= 0:
                self.window.tabs.setTabText(index, title)

    # ----------------------------------------------------- connection tabs
    def _shown(self, view: LiveView, conn_id: int) -> SessionPanel | None:
        """The session tab already showing ``conn_id`` of ``view``, made current."""
        panel = self._opened.get((id(view), conn_id))
        if panel is not None and self.window.tabs.indexOf(panel) >= 0:
            self.window.tabs.setCurrentWidget(panel)
            return panel
        return None

    # ------------------------------------------------------------- closing
    async def aclose(self, timeout: float = 2.0) -> None:
        import asyncio

        for view in self.views():
            await view.aclose(timeout)
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def shutdown(self) -> None:
        for view in self.views():
            view.shutdown()
