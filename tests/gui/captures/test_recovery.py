"""Recovery in the real window: journals left over are offered, opened read-only,
discarded or left for later; the warning that a session did not finish is shown
once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.capture.formats.journal import RECOVERED_NOTE, JournalWriter, find_recoverable
from inspector.gui.window.main_window import MainWindow
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui


def _crashed_journal(capture: Any, folder: Path, n: int = 5) -> Path:
    """A journal written the way a live session writes it, cut off before its end
    line (the process was killed)."""
    cap = capture()
    for i in range(n):
        cap.receive(FrameSpec(Opcode.TEXT, f"before the crash {i}".encode()))
    writer = JournalWriter.create(folder, cap.store.session)
    writer.replay(cap.store)
    writer.flush()
    writer.abandon()  # no end line
    return writer.path


def test_recovery_is_offered_and_opens_read_only(
    make_window: Callable[[], MainWindow],
    capture: Any,
    arun: Any,
    qtbot: Any,
    _private_data: Path,
) -> None:
    path = _crashed_journal(capture, _private_data / "journal")
    window = make_window()
    window.show()
    banner = window.captures.banner
    assert not banner.isHidden()
    assert "did not finish" in banner.label.text() and "127.0.0.1:9" in banner.label.text()

    qtbot.mouseClick(banner.recover_button, Qt.MouseButton.LeftButton)
    arun(_wait_tasks(window), 10)
    assert banner.isHidden()
    panel = window.current_panel()
    assert panel is not None and panel.controller.read_only
    assert window.tabs.count() == 1  # the empty first tab was used
    assert panel.title == "Recovered 127.0.0.1:9"
    assert "recovered" in panel.bar.state_badge.text()
    store = panel.controller.store
    assert store is not None and len(store) == 5
    assert store.frame(4).payload == b"before the crash 4"
    assert RECOVERED_NOTE in panel.notes_banner.text()
    # The warning is shown once: in the notes line, not again in the error banner.
    assert panel.banner.isHidden()
    # Not saved anywhere yet: closing it asks; saving it retires the journal.
    assert window.captures.is_unsaved(panel)
    assert window.save_capture(str(_private_data / "kept.jsonl"), panel)
    assert not path.exists()
    assert not window.captures.is_unsaved(panel)


def test_recovery_discard_and_later(
    make_window: Callable[[], MainWindow], capture: Any, qtbot: Any, _private_data: Path
) -> None:
    folder = _private_data / "journal"
    first = _crashed_journal(capture, folder)
    window = make_window()
    window.show()
    # Later: hidden now, offered again by the next window.
    qtbot.mouseClick(window.captures.banner.later_button, Qt.MouseButton.LeftButton)
    assert window.captures.banner.isHidden() and first.exists()
    again = make_window()
    again.show()
    assert not again.captures.banner.isHidden()
    qtbot.mouseClick(again.captures.banner.discard_button, Qt.MouseButton.LeftButton)
    assert not first.exists() and not find_recoverable(directory=folder)
    assert again.captures.banner.isHidden()
    assert make_window().captures.banner.isHidden()


async def _wait_tasks(window: MainWindow) -> None:
    tasks = [*window.captures._tasks, *window.captures.recovery.tasks]
    if tasks:
        await asyncio.wait(tasks, timeout=5)
