"""Helpers the GUI tests share (tests/gui is on the import path through its
conftest, as the folders are not packages): find a control by its accessible name,
click it where a user would, and record a real session to replay.

The fixtures they go with (real peers on loopback) are in tests/gui/conftest.py."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QRadioButton, QWidget

from inspector.automation.messages import messages_of
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.protocol.constants import Role

__all__ = ["by_name", "click", "record"]

W = TypeVar("W", bound=QWidget)


def by_name(root: QWidget, kind: type[W], accessible: str) -> W:
    """The one ``kind`` widget under ``root`` whose accessible name is ``accessible``
    (shown or not)."""
    found = [w for w in root.findChildren(kind) if w.accessibleName() == accessible]
    assert len(found) == 1, f"{len(found)} {kind.__name__} named {accessible!r}"
    return found[0]


def click(qtbot: Any, button: QAbstractButton) -> None:
    """Click ``button`` with the mouse. A radio button or check box takes clicks on
    its indicator and text only, at its left; a push button anywhere."""
    if isinstance(button, (QCheckBox, QRadioButton)):
        at = QPoint(6, button.height() // 2)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=at)
    else:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


async def record(url: str) -> CaptureStore:
    """A real session with ``url``: two texts and a binary answered, then our close."""
    conn = await connect(url)
    conn.send_text("hello")
    conn.send_binary(b"\x00\x01\x02")
    conn.send_text("how are you")
    for _ in range(200):
        assert conn.store is not None
        if len(messages_of(conn.store, Role.SERVER)) >= 3:
            break
        await asyncio.sleep(0.01)
    await conn.close(4000, "done")
    assert conn.store is not None
    return conn.store
