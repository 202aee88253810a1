"""The Ping / Pong and Close tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inspector.gui.compose.control import CLOSE_CODES
from inspector.gui.compose.pane import ComposePane

pytestmark = pytest.mark.gui

Level = Callable[[Any], str]


def test_close_reason_counts_utf8_bytes_and_warns_past_123(pane: ComposePane, level: Level) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CLOSE)
    tab = pane.close_tab
    tab.reason.setText("é" * 61)  # 122 bytes in 61 characters
    assert tab.counter.text() == "122 / 123 bytes"
    assert level(tab.counter) == "muted"
    assert tab.warning.isHidden()
    assert pane._current_valid()

    tab.reason.setText("é" * 61 + "ab")  # 124 bytes
    assert tab.counter.text() == "124 / 123 bytes"
    assert level(tab.counter) == "error"
    assert not tab.warning.isHidden()
    assert "1 byte(s) too long" in tab.warning.text()
    assert not pane._current_valid()


def test_close_code_combo(pane: ComposePane, level: Level) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CLOSE)
    tab = pane.close_tab
    assert tab.code() == 1000
    tab.code_box.setEditText("4001 my app's code")
    assert tab.code() == 4001
    assert "Private use" in tab.meaning.text()
    tab.code_box.setEditText("1005")
    assert "may not be sent on the wire" in tab.warning.text()
    assert pane._current_valid()  # allowed on purpose, with a warning
    tab.code_box.setEditText("nonsense")
    assert level(tab.meaning) == "error"
    assert "fix the close code" in tab.warning.text()
    assert not pane._current_valid()
    tab.code_box.setCurrentIndex(tab.code_box.count() - 1)  # (no code)
    assert tab.code() is None
    tab.reason.setText("why")
    assert "a reason needs a code" in tab.warning.text()
    assert not pane._current_valid()


def test_close_code_choices_say_which_must_not_be_sent() -> None:
    names = dict(CLOSE_CODES)
    assert names[1000] == "Normal closure"
    assert names[1005].endswith("(must not be sent)")
    assert not names[1011].endswith("(must not be sent)")
    assert names[None].startswith("(no code")


def test_ping_payload_limit(pane: ComposePane, level: Level) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CONTROL)
    tab = pane.ping
    tab.payload_edit.setText("x" * 125)
    assert tab.info.text() == "125 / 125 bytes"
    tab.payload_edit.setText("x" * 126)
    assert level(tab.info) == "error"
    assert not pane._current_valid()
    tab.format.setCurrentIndex(tab.HEX)
    tab.payload_edit.setText("01 02 0")
    assert "odd number" in tab.info.text()
    tab.pong_radio.setChecked(True)
    assert pane.send_button.text() == "Send pong"


def test_the_ping_tab_says_what_comes_of_a_ping_and_of_a_pong(pane: ComposePane) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CONTROL)
    tab = pane.ping
    assert "comes back in the pong" in tab.hint.text()
    tab.pong_radio.setChecked(True)
    assert "comes back" not in tab.hint.text() and "one-way heartbeat" in tab.hint.text()
    tab.ping_radio.setChecked(True)
    assert "comes back in the pong" in tab.hint.text()


def test_the_ping_tabs_controls_are_named_after_the_kind_chosen(pane: ComposePane) -> None:
    tab = pane.ping
    assert tab.format.accessibleName() == "Ping payload format"
    tab.pong_radio.setChecked(True)
    assert tab.format.accessibleName() == "Pong payload format"
    assert tab.info.accessibleName() == "Pong payload size"
