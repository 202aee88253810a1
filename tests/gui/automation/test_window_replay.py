"""Replay against… in the real window: a saved capture opened from its file and
replayed from the dialog (found by accessible names) against our echo server (no
difference) and against a websockets server that answers differently (the panel
lists the differences, each linked to its rows in the replay and in the capture)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _gui_support import by_name, click, record
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QPushButton, QRadioButton

from inspector.capture.formats.jsonl import write_jsonl
from inspector.gui.automation.replay_dialog import ReplayDialog
from inspector.gui.automation.replay_panel import ReplayPanel
from inspector.gui.window.session_panel import SessionPanel

pytestmark = pytest.mark.gui


def _open_saved_capture(arun: Callable[..., Any], window: Any, url: str, path: Path) -> Any:
    store = arun(record(url))
    write_jsonl(store, str(path))
    assert arun(window.open_capture(str(path)))
    panel = window.current_panel()
    assert panel is not None and panel.controller.read_only
    return panel


async def _replay_from_dialog(
    qtbot: Any, window: Any, url: str | None = None, timing: str = "As fast as possible"
) -> ReplayDialog:
    """Fill the dialog in and click Replay (inside the loop: the tab connects)."""
    window.replay_action.trigger()
    dialog = window.automation().replays.dialog
    assert isinstance(dialog, ReplayDialog) and not dialog.isHidden()
    if url is not None:
        by_name(dialog, QLineEdit, "Replay URL").setText(url)
    combo = by_name(dialog, QComboBox, "Replay timing")
    combo.setCurrentIndex(combo.findText(timing))
    click(qtbot, by_name(dialog, QPushButton, "Start the replay"))
    return dialog


def _data(panel: Any) -> bytes:
    """The message whose frame is selected in ``panel``'s timeline (inflated)."""
    store = panel.controller.store
    row = panel.timeline.selected_store_row()
    captured = store.messages.get(row)
    return bytes(captured.message.data if captured is not None else store.payloads[row])


def _finished(window: Any) -> bool:
    return not window.automation().replays.replays


def test_replay_a_saved_capture_against_our_server(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    source = _open_saved_capture(arun, window, echo_server.url, tmp_path / "talk.jsonl")
    window.replay_action.trigger()
    dialog = window.automation().replays.dialog
    assert isinstance(dialog, ReplayDialog)
    # The capture's URL is offered; four steps: three messages and the close.
    assert by_name(dialog, QLineEdit, "Replay URL").text() == echo_server.url
    assert "4 steps" in by_name(dialog, QLabel, "About this replay").text()
    dialog.reject()

    arun(_replay_from_dialog(qtbot, window))
    replay = window.current_panel()
    assert isinstance(replay, SessionPanel) and replay is not source
    assert window.tabs.tabText(window.tabs.currentIndex()).startswith("↻")
    arun(until(lambda: _finished(window), what="the replay to finish"))
    panel = replay.findChild(ReplayPanel, "replayPanel")
    assert panel is not None and not panel.isHidden()
    headline = by_name(replay, QLabel, "Replay status").text()
    assert "4 of 4 sent" in headline and "the same as the capture's" in headline
    assert panel.differences() == []
    store = replay.controller.store
    assert store is not None and not replay.controller.read_only
    assert replay.bar.url == echo_server.url


def test_replay_against_a_server_that_answers_differently(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    shouting_server: str,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    source = _open_saved_capture(arun, window, echo_server.url, tmp_path / "talk.jsonl")
    # The close waits this long for the answer that never comes (the CLI's --wait 0.2).
    window.automation().replays.answer_wait = 0.2
    arun(_replay_from_dialog(qtbot, window, shouting_server))
    replay = window.current_panel()
    arun(until(lambda: _finished(window), what="the replay to finish"))
    panel = replay.findChild(ReplayPanel, "replayPanel")
    assert "3 differences" in by_name(replay, QLabel, "Replay status").text()
    lines = panel.differences()
    assert [line.split(":")[0] for line in lines] == [
        "Missing",
        "Different payload",
        "Different close",
    ]
    assert "'HOW ARE YOU'" in lines[1]
    differences = by_name(replay, QListWidget, "Differences from the capture")

    # A different payload: its row in the replay...
    item = differences.item(1)
    qtbot.mouseClick(
        differences.viewport(),
        Qt.MouseButton.LeftButton,
        pos=differences.visualItemRect(item).center(),
    )
    assert window.current_panel() is replay
    assert _data(replay) == b"HOW ARE YOU"
    # ... and in the capture's tab.
    click(qtbot, by_name(replay, QPushButton, "Show the captured frame"))
    assert window.current_panel() is source
    assert _data(source) == b"how are you"

    # A missing answer has no row in the replay: activating it shows the capture's.
    window.tabs.setCurrentWidget(replay)
    differences.setCurrentRow(0)
    assert not by_name(replay, QPushButton, "Show the received frame").isEnabled()
    qtbot.mouseClick(
        differences.viewport(),
        Qt.MouseButton.LeftButton,
        pos=differences.visualItemRect(differences.item(0)).center(),
    )
    assert window.current_panel() is source
    assert _data(source) == b"hello"


def test_the_capture_of_an_open_connection_is_not_replayed(
    loop: Any, arun: Callable[..., Any], window: Any, echo_server: Any, until: Callable[..., Any]
) -> None:
    panel = window.current_panel()

    async def connect() -> None:
        await panel.connect_to(echo_server.url)

    arun(connect())
    assert panel.controller.is_open
    window.replay_action.trigger()
    assert window.automation().replays.dialog is None
    assert "still open" in window.error_label.text()
    # Closed, the same tab's capture can be replayed.
    panel.close_connection()
    arun(until(lambda: not panel.controller.can_send_frames, what="the close"))
    window.replay_action.trigger()
    dialog = window.automation().replays.dialog
    assert isinstance(dialog, ReplayDialog)
    assert by_name(dialog, QLineEdit, "Replay URL").text() == echo_server.url
    dialog.reject()


def test_a_bad_url_is_refused_in_the_dialog(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    tmp_path: Path,
) -> None:
    _open_saved_capture(arun, window, echo_server.url, tmp_path / "talk.jsonl")
    tabs = window.tabs.count()
    dialog = arun(_replay_from_dialog(qtbot, window, "http//nowhere"))
    assert not dialog.isHidden()
    assert by_name(dialog, QLabel, "Replay problem").text()
    assert window.tabs.count() == tabs
    dialog.reject()


def test_the_tab_menu_offers_the_replay_of_a_capture_tab(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    echo_server: Any,
    tmp_path: Path,
) -> None:
    source = _open_saved_capture(arun, window, echo_server.url, tmp_path / "talk.jsonl")
    empty = window.new_session()
    menu = window.build_tab_menu(window.tabs.indexOf(empty))
    replay = menu.findChild(QAction, "tabReplayAction")
    assert replay is not None and not replay.isEnabled()
    assert "nothing to replay" in replay.toolTip()

    menu = window.build_tab_menu(window.tabs.indexOf(source))
    replay = menu.findChild(QAction, "tabReplayAction")
    assert replay is not None and replay.isEnabled()
    replay.trigger()  # from the tab that is not the current one
    dialog = window.automation().replays.dialog
    assert isinstance(dialog, ReplayDialog) and not dialog.isHidden()
    assert dialog.windowTitle() == "Replay against…"
    intro = dialog.findChild(QLabel, "replayIntro")
    assert intro is not None and "talk.jsonl" in intro.text()
    dialog.reject()


def test_exact_frames_are_replayed_from_the_dialog(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    source = _open_saved_capture(arun, window, echo_server.url, tmp_path / "talk.jsonl")
    captured = source.controller.store
    sent = [row for row in range(len(captured)) if captured.dir[row] == 0]
    window.replay_action.trigger()
    dialog = window.automation().replays.dialog
    notes = by_name(dialog, QLabel, "About this replay")
    assert notes.text().startswith("4 steps to send")
    by_name(dialog, QRadioButton, "Send the exact frames").setChecked(True)
    assert notes.text().startswith(f"{len(sent)} frames to send")

    async def start() -> None:
        click(qtbot, by_name(dialog, QPushButton, "Start the replay"))
        await until(lambda: _finished(window), what="the replay to finish")

    arun(start())
    replay = window.current_panel()
    assert replay.findChild(ReplayPanel, "replayPanel").differences() == []
    store = replay.controller.store
    again = [row for row in range(len(store)) if store.dir[row] == 0]
    # Header bits and mask keys as captured: the very frames, sent again.
    assert [store.mask_key[r] for r in again] == [captured.mask_key[r] for r in sent]
    assert [store.b0[r] for r in again] == [captured.b0[r] for r in sent]


def test_closing_the_replay_tab_ends_the_replay(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    _open_saved_capture(arun, window, echo_server.url, tmp_path / "talk.jsonl")
    # The captured gaps a thousand times over: the replay is still running when the
    # tab closes.
    arun(_replay_from_dialog(qtbot, window, timing="Original spacing"))
    replay = window.current_panel()
    job = window.automation().replays.jobs()[0]
    job.scale = 1000.0
    arun(until(lambda: job.conn.is_open, what="the replay to connect"))
    window.close_tab(window.tabs.indexOf(replay), confirmed=True)
    outcome = arun(job.task)
    assert outcome.opened and outcome.sent < outcome.steps
    assert _finished(window)
    assert job.conn.final_state is not None
