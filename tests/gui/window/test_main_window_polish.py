"""The window's edges: bytes on the wire in the status bar, a quit that says it is
closing, one question for several tabs, names and dots, the smallest usable size.
Real connections to our EchoServer on loopback; every wait is bounded."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from _gui_support import journals, opened, state, two_tabs_asking, unsaved_prompt

from inspector.capture.events import ConnectionState
from inspector.capture.naming import suggested_file_name
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui


async def _open_with_frames(panel: SessionPanel, url: str, until: Any) -> None:
    await opened(panel, url, until)
    assert panel.controller.send_text("hello", compress=False)
    await until(lambda: panel.stats.frames_in >= 1, 5, "the echo")


def test_the_status_bar_counts_bytes_on_the_wire_not_declared_lengths(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await opened(panel, echo_server.url, until)
        lie = FrameSpec(Opcode.TEXT, b"123456789", declared_length=100)
        assert panel.controller.send_frames([lie])
        await until(lambda: panel.stats.frames_out == 1, 5, "the frame counted")

    arun(scenario(), 10)
    # A masked header of 6 bytes and the 9 bytes sent; the header declares 100.
    assert panel.stats.bytes_out == 15
    assert window.out_label.text() == "↑ 1 frames · 15 B"


def test_a_quit_that_waits_for_close_handshakes_says_so_at_once(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    second = window.new_session()

    async def scenario() -> None:
        await _open_with_frames(panel, echo_server.url, until)
        await _open_with_frames(second, echo_server.url, until)
        closing = asyncio.ensure_future(window.aclose_all(2.0))
        await asyncio.sleep(0)
        assert window.closing_label.isVisibleTo(window)
        assert window.closing_label.text().startswith("Closing 2 connections…")
        central = window.centralWidget()
        assert central is not None and not central.isEnabled()
        await asyncio.wait_for(closing, 4)  # bounded

    arun(scenario(), 15)


def test_one_question_for_several_unsaved_tabs_and_discard_all(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, _private_data: Path
) -> None:
    first, second, quits = two_tabs_asking(window)

    async def scenario() -> None:
        await _open_with_frames(first, echo_server.url, until)
        await _open_with_frames(second, echo_server.url, until)
        assert len(journals(_private_data)) == 2
        window.request_quit()
        prompt = await unsaved_prompt(window, until)
        assert prompt.text() == "2 captures were not saved."
        names = {b.objectName() for b in prompt.buttons()}
        assert {"unsavedSaveAll", "unsavedDiscardAll", "unsavedCancel"} <= names
        prompt.answer("discard-all")
        await until(lambda: bool(quits), 3, "the quit")
        assert window.captures.prompt is None  # asked once, not once per tab

    arun(scenario(), 20)
    window.quit_handler = None
    arun(window.aclose_all(2.0), 10)  # what the application does next
    window.close_now()
    assert not journals(_private_data)


def test_quit_deletes_the_journals_of_sessions_that_held_nothing(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, _private_data: Path
) -> None:
    window.captures.policy = "keep"  # unsaved captures stay for recovery
    full = window.current_panel()
    assert full is not None
    refused = window.new_session()
    window.new_session()  # never connected

    async def scenario() -> None:
        await _open_with_frames(full, echo_server.url, until)
        refused.connect_to("ws://127.0.0.1:9/")
        await until(lambda: state(refused) is ConnectionState.CLOSED, 5, "refused")
        assert len(journals(_private_data)) == 2
        await window.aclose_all(2.0)

    arun(scenario(), 15)
    window.close_now()
    kept = journals(_private_data)
    assert len(kept) == 1 and "127.0.0.1_9-" not in kept[0].name
    assert refused.bar.state_badge.text() == "● failed"


def test_saving_suggests_a_name_and_counts_frames(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, tmp_path: Path
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await _open_with_frames(panel, echo_server.url, until)

    arun(scenario(), 10)
    store = panel.controller.store
    assert store is not None
    window.choose_capture_to_save()
    dialog = window._dialog
    assert dialog is not None and dialog.objectName() == "saveCaptureDialog"
    expected = suggested_file_name(store.session.url, store.session.started_unix)
    assert [os.path.basename(f) for f in dialog.selectedFiles()] == [expected]
    dialog.close()
    path = tmp_path / expected
    assert window.save_capture(str(path), panel)
    assert window.statusBar().currentMessage() == f"Saved 2 frames to {path}"


def test_file_tabs_show_no_open_dot(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, tmp_path: Path
) -> None:
    from inspector.gui.window.connection_bar import state_color
    from inspector.gui.window.main_window import _dot_icon

    panel = window.current_panel()
    assert panel is not None
    path = tmp_path / "open-still.jsonl"

    async def scenario() -> None:
        await _open_with_frames(panel, echo_server.url, until)
        assert window.save_capture(str(path), panel)  # saved while open
        assert await window.open_capture(str(path))

    arun(scenario(), 10)
    loaded = window.current_panel()
    assert loaded is not None and loaded.controller.read_only
    index = window.tabs.indexOf(loaded)
    icon = window.tabs.tabIcon(index).pixmap(12, 12).toImage()
    muted = _dot_icon(state_color(None)).pixmap(12, 12).toImage()
    assert icon == muted


def test_the_window_fits_1024_by_640(window: MainWindow) -> None:
    window.check_server()
    panel = window.new_session()
    # Every banner a tab can show at once, and the recovery offer above the tabs.
    panel.banner.show_error("tcp", "connection refused: nothing is listening on port 9")
    panel.notes_banner.show_notes(["recovered from the journal of a session that did not finish"])
    window.captures.banner.label.setText("Captures to recover: 2 ended without being saved.")
    window.captures.banner.show()
    window.show()
    window.tabs.setCurrentWidget(panel)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 640
    window.resize(1024, 640)
    window.show()
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        page = window.tabs.widget(i)
        assert page is not None and page.minimumSizeHint().width() <= 1024
    assert window.width() == 1024 and window.height() == 640


def test_a_quit_facing_a_peer_that_never_answers_the_close_is_bounded(
    window: MainWindow, silent_server: str, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await opened(panel, silent_server, until)
        store = panel.controller.store
        assert store is not None
        closing = asyncio.ensure_future(window.aclose_all(0.5))
        await asyncio.sleep(0)
        assert window.closing_label.text().startswith("Closing 1 connection…")
        await asyncio.wait_for(closing, 3)  # the wait is bounded: the peer never answers
        state = store.state
        assert state is not None and state.state is ConnectionState.CLOSED
        assert not state.clean

    arun(scenario(), 10)
