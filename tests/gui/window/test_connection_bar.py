"""The connection bar: the URL field's completion, Return in every state, the
state words."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from inspector.capture.events import ConnectionState, StateChanged
from inspector.gui.window.connection_bar import HISTORY_KEY, ConnectionBar, state_text

pytestmark = pytest.mark.gui


def _bar(qtbot: Any) -> ConnectionBar:
    QSettings().setValue(HISTORY_KEY, ["ws://127.0.0.1:4242/previous", "wss://other.example/"])
    bar = ConnectionBar()
    qtbot.addWidget(bar)
    bar.show()
    return bar


def test_typing_a_prefix_of_a_remembered_url_then_return_connects_to_what_was_typed(
    qtbot: Any,
) -> None:
    bar = _bar(qtbot)
    asked: list[str] = []
    bar.connectRequested.connect(asked.append)
    line = bar.url_combo.lineEdit()
    assert line is not None
    line.setFocus()
    qtbot.keyClicks(line, "ws://")
    assert line.text() == "ws://"  # no inline completion into the previous URL
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert asked == ["ws://"]


def test_return_is_never_ignored_while_a_connection_is_closing_or_open(qtbot: Any) -> None:
    bar = _bar(qtbot)
    asked: list[str] = []
    bar.connectRequested.connect(asked.append)
    line = bar.url_combo.lineEdit()
    assert line is not None
    for state in (ConnectionState.CLOSING, ConnectionState.OPEN):
        bar.set_state(StateChanged(1.0, state))
        bar.set_url("ws://127.0.0.1:4243/next")
        qtbot.keyClick(line, Qt.Key.Key_Return)
        qtbot.wait(5)  # one key press at a time
    assert asked == ["ws://127.0.0.1:4243/next"] * 2


def test_an_attempt_that_never_opened_failed_rather_than_closed_unclean() -> None:
    never = StateChanged(1.0, ConnectionState.CLOSED, clean=False, detail="refused")
    assert state_text(never) == "failed"
    dropped = StateChanged(1.0, ConnectionState.CLOSED, code=1006, clean=False)
    assert state_text(dropped).startswith("closed 1006")
    clean = StateChanged(1.0, ConnectionState.CLOSED, code=1000, reason="bye", clean=True)
    assert state_text(clean) == "closed 1000 (Normal closure) “bye”"


def test_a_proxied_connections_tab_says_connect_goes_around_the_proxy(qtbot: Any) -> None:
    # The tab follows a connection the proxy carries; its URL is the upstream's, so
    # connecting from it opens a connection of ours, not one through the proxy.
    bar = _bar(qtbot)
    bar.set_source("#3", "proxy")
    bar.set_state(StateChanged(1.0, ConnectionState.OPEN))
    assert bar.connect_button.text() == "Connect directly"
    assert "not through the proxy" in bar.connect_button.toolTip()
    bar.set_source("capture.jsonl", "file")
    assert bar.connect_button.text() == "Connect"
    bar.set_source(None)
    bar.set_state(StateChanged(1.0, ConnectionState.OPEN))
    assert bar.connect_button.text() == "Disconnect"
