"""Helpers the GUI tests share (tests/gui is on the import path through its
conftest, as the folders are not packages): find a control by its accessible name,
click it where a user would, record a real session to replay, and follow a
connection tab (its state, its journals, the unsaved-capture question).

The fixtures they go with (real peers on loopback) are in tests/gui/conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QRadioButton, QWidget

from inspector.automation.messages import messages_of
from inspector.capture.events import ConnectionState
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.gui.captures.dialogs import UnsavedPrompt
from inspector.gui.window.session_panel import SessionPanel
from inspector.protocol.constants import Role

__all__ = [
    "ask_on_quit",
    "by_name",
    "click",
    "focus_chain",
    "journals",
    "opened",
    "record",
    "state",
    "two_tabs_asking",
    "unsaved_prompt",
]

Until = Callable[..., Awaitable[None]]

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


def focus_chain(window: QWidget) -> list[str]:
    """The object names of the controls Tab visits in ``window`` (shown), in order,
    from the first: Qt's focus chain with what Tab skips (hidden, disabled or not
    taking Tab focus) left out."""
    names: list[str] = []
    widget = window.nextInFocusChain()
    for _ in range(500):  # a dialog has far fewer widgets: the chain is a ring
        if widget is None or widget is window:
            break
        if (
            widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisibleTo(window)
            and widget.isEnabled()
            and widget.focusProxy() is None
        ):
            parent = widget.parentWidget()
            # A spin box's line edit stands for the spin box.
            owner = parent if parent is not None and parent.focusProxy() is widget else widget
            names.append(owner.objectName())
        widget = widget.nextInFocusChain()
    return names


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


def state(panel: SessionPanel) -> ConnectionState | None:
    """The state ``panel``'s connection bar shows (None before any connection)."""
    event = panel.bar.state
    return event.state if event is not None else None


def journals(data: Path) -> list[Path]:
    """The journals in the private data folder ``data``, by name."""
    folder = data / "journal"
    return sorted(folder.glob("*.jsonl")) if folder.exists() else []


async def opened(panel: SessionPanel, url: str, until: Until) -> None:
    """Connect ``panel`` to ``url`` as the bar does and wait until it is open."""
    panel.connect_to(url)
    await until(lambda: state(panel) is ConnectionState.OPEN, 5, "open")


def ask_on_quit(window: Any) -> list[bool]:
    """Make ``window`` ask about unsaved captures; the list it returns gets an entry
    when the window quits (instead of quitting the application)."""
    window.captures.policy = "ask"
    quits: list[bool] = []
    window.quit_handler = lambda: quits.append(True)
    return quits


def two_tabs_asking(window: Any) -> tuple[SessionPanel, SessionPanel, list[bool]]:
    """``window`` shown with two connection tabs, asking about unsaved captures: the
    first tab, the second, and the quits (as from ``ask_on_quit``)."""
    window.show()
    quits = ask_on_quit(window)
    first = window.current_panel()
    assert isinstance(first, SessionPanel)
    return first, window.new_session(), quits


async def unsaved_prompt(window: Any, until: Until) -> UnsavedPrompt:
    """The unsaved-capture question, once ``window`` asks it."""
    await until(lambda: window.captures.prompt is not None, 2, "the question")
    prompt = window.captures.prompt
    assert isinstance(prompt, UnsavedPrompt)
    return prompt
