"""Copy out of the timeline: a context menu on its rows.

:func:`install_copy_menu` gives a session panel's ``timeline.table`` a context menu:
the frame's payload as text, hex or base64; the reassembled message (inflated, its
fragments joined) the same three ways; and "Copy as ws-inspector capture command", a
shell command line that makes the same connection again, quoted with
:func:`shlex.join`. What is copied is built without Qt
(:mod:`inspector.views.copyout`, :func:`~inspector.engine.options.capture_command`);
this menu only offers it. It opens with ``popup()``, never ``exec()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu

from ...protocol.constants import Opcode
from ...views.copyout import PayloadFormat, encode_payload, message_payload
from ..session.command import connection_command

if TYPE_CHECKING:
    from ...capture.store import CaptureStore
    from ..window.session_panel import SessionPanel

__all__ = ["CopyMenu", "install_copy_menu"]


#: Where "Edit and resend" sends a row again: this tab's connection (""), a new
#: connection to the same URL ("new", for a tab that cannot send), or through the
#: proxy toward the "server" or the "client".
RESEND_SIDES = ("", "new", "server", "client")


class CopyMenu(QObject):
    """The timeline's context menu for one session panel.

    ``editRequested(row, as_frame, side)``: "Edit and resend" on store ``row`` (its
    message, or the frame itself) toward ``side`` (see :data:`RESEND_SIDES`); the
    window's library opens it, ready to send. :attr:`resend_sides` says which sides
    the menu offers (none: no "Edit and resend" entries)."""

    editRequested = Signal(int, bool, str)

    def __init__(self, panel: SessionPanel) -> None:
        super().__init__(panel)
        self.setObjectName("copyMenu")
        self.panel = panel
        self.resend_sides: Callable[[], Sequence[str]] = lambda: ()
        table = panel.timeline.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_menu)
        self.menu: QMenu | None = None
        # Ctrl+C on the table copies the selected frame's payload as text.
        copy = QAction("Copy payload as text", table)
        copy.setObjectName("copyPayloadShortcut")
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(
            lambda *_: self.copy_payload(self.panel.timeline.selected_store_row(), "text")
        )
        table.addAction(copy)

    # ----------------------------------------------------------- what is copied
    def _row_at(self, pos: QPoint) -> int:
        index = self.panel.timeline.table.indexAt(pos)
        return self.panel.timeline.model.store_row(index.row()) if index.isValid() else -1

    def _valid(self, row: int) -> CaptureStore | None:
        store = self.panel.controller.store
        if store is None or not 0 <= row < len(store):
            return None
        return store

    def _url(self) -> str:
        return self.panel.controller.url or self.panel.bar.url

    def copy_payload(self, row: int, fmt: PayloadFormat | str) -> str | None:
        """Copy the payload of the frame at store ``row`` (unmasked) to the
        clipboard; returns what was copied (None: no such frame)."""
        store = self._valid(row)
        if store is None:
            return None
        return _to_clipboard(encode_payload(store.frame(row).payload, fmt))

    def copy_message(self, row: int, fmt: PayloadFormat | str) -> str | None:
        """Copy the reassembled message that the frame at ``row`` belongs to."""
        store = self._valid(row)
        if store is None:
            return None
        return _to_clipboard(encode_payload(message_payload(store, row), fmt))

    def command(self) -> str:
        """The capture command of this tab's connection, quoted for a POSIX shell."""
        import shlex

        return shlex.join(connection_command(self.panel.controller, self._url()))

    def copy_command(self) -> str | None:
        if not self._url():
            return None
        return _to_clipboard(self.command())

    # ------------------------------------------------------------------ menu
    def build_menu(self, row: int) -> QMenu:
        """The menu for the frame at store ``row`` (-1: no frame under the cursor)."""
        from ...capture.events import Direction  # with the first menu, not the window

        menu = QMenu(self.panel.timeline.table)
        menu.setObjectName("timelineContextMenu")
        menu.setAccessibleName("Copy")
        store = self._valid(row)
        opcode = store.opcode(row) if store is not None else -1
        is_data = opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)
        for fmt in PayloadFormat:
            act = menu.addAction(f"Copy payload as {fmt}")
            act.setObjectName(f"copyPayload{fmt.capitalize()}")
            act.setEnabled(store is not None)
            act.triggered.connect(lambda *_, f=fmt: self.copy_payload(row, f))
        sub = menu.addMenu("Copy reassembled message")
        sub.setObjectName("copyMessageMenu")
        sub.setEnabled(store is not None and is_data)
        sub.setToolTip("The whole message: fragments joined, inflated if it was compressed")
        for fmt in PayloadFormat:
            act = sub.addAction(f"as {fmt}")
            act.setObjectName(f"copyMessage{fmt.capitalize()}")
            act.triggered.connect(lambda *_, f=fmt: self.copy_message(row, f))
        mark = menu.addAction("Reconnects replay only the messages sent before this one")
        mark.setObjectName("markPreamble")
        mark.setEnabled(store is not None and is_data and store.direction(row) is Direction.OUT)
        mark.triggered.connect(lambda *_: self.panel.controller.mark_preamble(row))
        sides = self.resend_sides()
        if sides:
            menu.addSeparator()
        for side in sides:
            self._add_resend(menu, row, side, enabled=store is not None)
        menu.addSeparator()
        menu.addMenu(self.panel.timeline.payload_view_menu(menu))
        menu.addSeparator()
        cmd = menu.addAction("Copy as ws-inspector capture command")
        cmd.setObjectName("copyCaptureCommand")
        cmd.setEnabled(bool(self._url()))
        cmd.triggered.connect(lambda *_: self.copy_command())
        return menu

    def _add_resend(self, menu: QMenu, row: int, side: str, *, enabled: bool) -> None:
        if side in ("server", "client"):
            labels = [(f"Edit and resend toward the {side}…", False)]
        else:
            where = " in a new connection" if side == "new" else ""
            labels = [
                (f"Edit and resend{where}", False),
                (f"Edit and resend as a crafted frame{where}", True),
            ]
        for text, as_frame in labels:
            act = menu.addAction(text)
            act.setObjectName(f"editResend{'Frame' if as_frame else ''}{side.capitalize()}")
            act.setEnabled(enabled)
            act.setToolTip("Open it in the compose pane, ready to send (nothing is sent yet)")
            act.triggered.connect(lambda *_, f=as_frame, s=side: self.editRequested.emit(row, f, s))

    def _on_menu(self, pos: QPoint) -> None:
        row = self._row_at(pos)
        if self.menu is not None:
            self.menu.deleteLater()
        menu = self.build_menu(row)
        self.menu = menu
        viewport = self.panel.timeline.table.viewport()
        menu.popup(viewport.mapToGlobal(pos))  # never exec(): no nested event loop


def _to_clipboard(text: str) -> str:
    QGuiApplication.clipboard().setText(text)
    return text


def install_copy_menu(panel: SessionPanel) -> CopyMenu:
    """Give ``panel``'s timeline the copy context menu; returns it (also kept as
    ``panel.copy_menu``)."""
    menu = CopyMenu(panel)
    panel.copy_menu = menu  # type: ignore[attr-defined]
    return menu
