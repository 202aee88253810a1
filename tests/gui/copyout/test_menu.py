"""The timeline's copy menu: what it offers for a row, and what Ctrl+C copies."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

from inspector.gui.window.main_window import MainWindow
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui


def _actions(menu: QMenu) -> dict[str, QAction]:
    return {a.objectName(): a for a in menu.findChildren(QAction) if a.objectName()}


def test_what_the_menu_offers_and_copies(window: MainWindow, capture: Callable[..., Any]) -> None:
    c = capture()
    c.receive(
        FrameSpec(Opcode.TEXT, b"par", fin=False),
        FrameSpec(Opcode.PING, b"\x00\xff"),
        FrameSpec(Opcode.CONT, b"ts"),
    )
    panel = window.current_panel()
    assert panel is not None
    panel.controller.show_store(c.store, "loaded.jsonl")
    menu = panel.copy_menu  # type: ignore[attr-defined]
    clipboard = QApplication.clipboard()
    ping = next(r for r in range(len(c.store)) if c.store.opcode(r) == Opcode.PING)

    on_ping = menu.build_menu(ping)
    acts = _actions(on_ping)
    assert on_ping.findChild(QMenu, "copyMessageMenu").isEnabled() is False  # not a message
    acts["copyPayloadBase64"].trigger()
    assert clipboard.text() == "AP8="
    on_text = menu.build_menu(0)
    assert on_text.findChild(QMenu, "copyMessageMenu").isEnabled()
    _actions(on_text)["copyMessageText"].trigger()
    assert clipboard.text() == "parts"

    nowhere = _actions(menu.build_menu(-1))
    assert not nowhere["copyPayloadText"].isEnabled()
    assert menu.copy_payload(len(c.store) + 5, "text") is None
    nowhere["copyCaptureCommand"].trigger()
    assert shlex.split(clipboard.text())[:3] == ["ws-inspector", "capture", c.store.session.url]

    # Ctrl+C copies the selected frame's payload as text.
    assert panel.timeline.select_store_row(0)
    shortcut = panel.timeline.table.findChild(QAction, "copyPayloadShortcut")
    assert shortcut is not None
    shortcut.trigger()
    assert clipboard.text() == "par"
