"""Copy out of the timeline: a context menu on its rows.

:func:`install_copy_menu` gives a session panel's ``timeline.table`` a context menu:
the frame's payload as text, hex or base64; the reassembled message (inflated, its
fragments joined) the same three ways; and "Copy as ws-inspector capture command", a
shell command line that makes the same connection again (URL, ``-H`` headers,
``--subprotocol``, ``--no-deflate``, ``--origin``, ``--insecure``, ``--cacert``...),
quoted with :func:`shlex.join`. The menu opens with ``popup()``, never ``exec()``.
"""

from __future__ import annotations

import base64
import shlex
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu

from ...capture.events import Direction
from ...capture.store import CaptureStore
from ...protocol.constants import Opcode
from ..session.controller import ConnectOptions, TlsOptions

if TYPE_CHECKING:
    from ..window.session_panel import SessionPanel

__all__ = [
    "CopyMenu",
    "capture_command",
    "encode_payload",
    "install_copy_menu",
    "message_payload",
    "options_from_handshake",
]

FORMATS = ("text", "hex", "base64")
#: Request headers the client makes itself: never repeated as ``-H``.
_OWN_HEADERS = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "origin",
        "content-length",
        "user-agent",
    }
)


def encode_payload(data: bytes, fmt: str) -> str:
    """``data`` as ``text`` (UTF-8, undecodable bytes as U+FFFD), ``hex`` (spaced
    pairs) or ``base64``."""
    if fmt == "hex":
        return data.hex(" ")
    if fmt == "base64":
        return base64.b64encode(data).decode("ascii")
    return data.decode("utf-8", errors="replace")


def message_payload(store: CaptureStore, row: int) -> bytes:
    """The data of the message the frame at ``row`` belongs to, reassembled and
    inflated when the capture holds it; else its frames' payloads joined (an
    unfinished or uncompressed message; a control frame's own payload)."""
    rows = list(store.message_frames(row))
    message = store.message_for(rows[-1])
    if message is not None:
        return message.data
    return b"".join(store.frame(r).payload for r in rows)


def capture_command(url: str, options: ConnectOptions | None = None) -> str:
    """A shell command line that makes the same connection with the command-line
    tool: ``ws-inspector capture URL -H 'Name: value' ...`` (POSIX shell quoting)."""
    o = options or ConnectOptions()
    args = ["ws-inspector", "capture", url]
    for name, value in o.headers:
        args += ["-H", f"{name}: {value}"]
    for proto in o.subprotocols:
        args += ["--subprotocol", proto]
    if not o.deflate:
        args.append("--no-deflate")
    if o.origin:
        args += ["--origin", o.origin]
    tls = o.tls
    if tls.insecure:
        args.append("--insecure")
    if tls.cafile:
        args += ["--cacert", tls.cafile]
    if tls.certfile:
        args += ["--cert", tls.certfile]
    if tls.keyfile:
        args += ["--key", tls.keyfile]
    if o.open_timeout != ConnectOptions().open_timeout:
        args += ["--timeout", f"{o.open_timeout:g}"]
    if o.strict:
        args.append("--strict")
    if not o.auto_pong:
        args.append("--no-auto-pong")
    return shlex.join(args)


def options_from_handshake(store: CaptureStore) -> ConnectOptions:
    """What a capture's opening request says about how it connected: its extra
    headers, offered subprotocols, Origin, and whether permessage-deflate was
    offered (for a capture read from a file, whose options are not known)."""
    handshake = store.handshake(Direction.OUT)
    if handshake is None:
        return ConnectOptions()
    headers: list[tuple[str, str]] = []
    protocols: list[str] = []
    origin: str | None = None
    deflate = False
    for name, value in handshake.headers:
        low = name.lower()
        if low == "sec-websocket-protocol":
            protocols += [p.strip() for p in value.split(",") if p.strip()]
        elif low == "sec-websocket-extensions":
            deflate = deflate or "permessage-deflate" in value.lower()
        elif low == "origin":
            origin = value
        elif low not in _OWN_HEADERS:
            headers.append((name, value))
    return ConnectOptions(
        headers=tuple(headers),
        subprotocols=tuple(protocols),
        deflate=deflate,
        origin=origin,
        tls=TlsOptions(),
    )


class CopyMenu(QObject):
    """The timeline's context menu for one session panel."""

    def __init__(self, panel: SessionPanel) -> None:
        super().__init__(panel)
        self.setObjectName("copyMenu")
        self.panel = panel
        table = panel.timeline.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_menu)
        self.menu: QMenu | None = None
        # Ctrl+C on the table copies the selected frame's payload as text.
        copy = QAction("Copy payload as text", table)
        copy.setObjectName("copyPayloadShortcut")
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(lambda *_: self.copy_payload(self._selected_row(), "text"))
        table.addAction(copy)

    # ----------------------------------------------------------- what is copied
    def _store(self) -> CaptureStore | None:
        return self.panel.controller.store

    def _selected_row(self) -> int:
        return self.panel.timeline.selected_store_row()

    def _row_at(self, pos: QPoint) -> int:
        table = self.panel.timeline.table
        index = table.indexAt(pos)
        if not index.isValid():
            return -1
        return self.panel.timeline.model.store_row(index.row())

    def _valid(self, row: int) -> CaptureStore | None:
        store = self._store()
        if store is None or not 0 <= row < len(store):
            return None
        return store

    def copy_payload(self, row: int, fmt: str) -> str | None:
        """Copy the payload of the frame at store ``row`` (unmasked) to the
        clipboard; returns what was copied (None: no such frame)."""
        store = self._valid(row)
        if store is None:
            return None
        return _to_clipboard(encode_payload(store.frame(row).payload, fmt))

    def copy_message(self, row: int, fmt: str) -> str | None:
        """Copy the reassembled message that the frame at ``row`` belongs to."""
        store = self._valid(row)
        if store is None:
            return None
        return _to_clipboard(encode_payload(message_payload(store, row), fmt))

    def command(self) -> str:
        """The capture command of this tab's connection: its configured options for a
        live tab, what the captured request says for a capture read from a file."""
        c = self.panel.controller
        url = c.url or self.panel.bar.url
        store = c.store
        if c.read_only and store is not None:
            return capture_command(url, options_from_handshake(store))
        return capture_command(url, c.options)

    def copy_command(self) -> str | None:
        url = self.panel.controller.url or self.panel.bar.url
        if not url:
            return None
        return _to_clipboard(self.command())

    # ------------------------------------------------------------------ menu
    def build_menu(self, row: int) -> QMenu:
        """The menu for the frame at store ``row`` (-1: no frame under the cursor)."""
        table = self.panel.timeline.table
        menu = QMenu(table)
        menu.setObjectName("timelineContextMenu")
        menu.setAccessibleName("Copy")
        store = self._valid(row)
        opcode = store.opcode(row) if store is not None else -1
        is_data = opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)
        for fmt in FORMATS:
            act = menu.addAction(f"Copy payload as {fmt}")
            act.setObjectName(f"copyPayload{fmt.capitalize()}")
            act.setEnabled(store is not None)
            act.triggered.connect(lambda *_, f=fmt: self.copy_payload(row, f))
        sub = menu.addMenu("Copy reassembled message")
        sub.setObjectName("copyMessageMenu")
        sub.setEnabled(store is not None and is_data)
        sub.setToolTip("The whole message: fragments joined, inflated if it was compressed")
        for fmt in FORMATS:
            act = sub.addAction(f"as {fmt}")
            act.setObjectName(f"copyMessage{fmt.capitalize()}")
            act.triggered.connect(lambda *_, f=fmt: self.copy_message(row, f))
        mark = menu.addAction("Reconnects replay only the messages sent before this one")
        mark.setObjectName("markPreamble")
        mark.setEnabled(store is not None and is_data and store.direction(row) is Direction.OUT)
        mark.triggered.connect(lambda *_: self.panel.controller.mark_preamble(row))
        menu.addSeparator()
        menu.addMenu(self.panel.timeline.payload_view_menu(menu))
        menu.addSeparator()
        cmd = menu.addAction("Copy as ws-inspector capture command")
        cmd.setObjectName("copyCaptureCommand")
        cmd.setEnabled(bool(self.panel.controller.url or self.panel.bar.url))
        cmd.triggered.connect(lambda *_: self.copy_command())
        return menu

    def _on_menu(self, pos: QPoint) -> None:
        row = self._row_at(pos)
        if self.menu is not None:
            self.menu.deleteLater()
        menu = self.build_menu(row)
        self.menu = menu
        viewport = self.panel.timeline.table.viewport()
        menu.popup(viewport.mapToGlobal(pos))  # never exec(): no nested event loop


def _to_clipboard(text: str) -> str:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(text)
    return text


def install_copy_menu(panel: SessionPanel) -> CopyMenu:
    """Give ``panel``'s timeline the copy context menu; returns it (also kept as
    ``panel.copy_menu``)."""
    menu = CopyMenu(panel)
    panel.copy_menu = menu  # type: ignore[attr-defined]
    return menu
