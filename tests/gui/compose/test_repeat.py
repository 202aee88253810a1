"""Repeated sends from the compose pane (inspector.gui.compose.repeat): the plan of
each tick, and the control driven by its accessible names over a live connection to
our echo server."""

from __future__ import annotations

from typing import Any

import pytest
from _gui_support import by_name
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QPushButton, QSpinBox

from inspector.capture.events import Direction
from inspector.gui.compose.repeat import BURST, RepeatPlan
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.protocol.constants import Opcode

pytestmark = pytest.mark.gui


def test_a_plan_as_fast_as_possible_goes_in_bursts() -> None:
    plan = RepeatPlan(0, 250)
    batches = []
    while not plan.done:
        n = plan.batch()
        batches.append(n)
        plan.sent += n
    assert batches == [BURST, BURST, 50]
    assert plan.batch() == 0 and plan.progress() == "sent 250 of 250"


def test_a_paced_plan_sends_one_per_tick_until_stopped() -> None:
    plan = RepeatPlan(0.5, None)
    assert plan.batch() == 1 and not plan.done
    plan.sent = 7
    assert plan.progress() == "sent 7, every 0.5 s until stopped"


def test_as_fast_as_possible_forever_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a number of times"):
        RepeatPlan(0, None)


def _texts_sent(panel: SessionPanel) -> int:
    store = panel.controller.store
    assert store is not None
    return sum(
        1
        for row in range(len(store))
        if store.direction(row) is Direction.OUT and store.opcode(row) == Opcode.TEXT
    )


def _open_panel(window: MainWindow, url: str, arun: Any, until: Any) -> SessionPanel:
    window.show()
    panel = window.current_panel()
    assert panel is not None

    async def opened() -> None:
        panel.connect_to(url)
        await until(lambda: panel.controller.is_open, 5, "open")

    arun(opened(), 10)
    panel.compose.tabs.setCurrentIndex(panel.compose.TAB_TEXT)
    panel.compose.text_edit.setPlainText("tick")
    return panel


def test_repeat_n_times_as_fast_as_possible(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, qtbot: Any
) -> None:
    panel = _open_panel(window, echo_server.url, arun, until)
    compose = panel.compose
    by_name(compose, QDoubleSpinBox, "Repeat every").setValue(0)
    by_name(compose, QSpinBox, "Repeat how many times").setValue(250)
    button = by_name(compose, QPushButton, "Repeat")

    async def scenario() -> None:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        await until(lambda: not compose.repeat.running, 5, "the repeat to end")
        await until(lambda: panel.stats.frames_in >= 250, 5, "the echoes")

    arun(scenario(), 15)
    assert _texts_sent(panel) == 250
    assert by_name(compose, QLabel, "Repeat progress").text() == "sent 250 of 250 (done)"


def test_repeat_every_interval_until_stopped(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, qtbot: Any
) -> None:
    panel = _open_panel(window, echo_server.url, arun, until)
    compose = panel.compose
    by_name(compose, QDoubleSpinBox, "Repeat every").setValue(0.05)
    by_name(compose, QSpinBox, "Repeat how many times").setValue(0)  # until stopped
    button = by_name(compose, QPushButton, "Repeat")

    async def scenario() -> None:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert compose.repeat.running and button.text() == "Stop"
        assert not compose.repeat.every_spin.isEnabled()
        await until(lambda: _texts_sent(panel) >= 3, 5, "three paced sends")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert not compose.repeat.running

    arun(scenario(), 15)
    sent = _texts_sent(panel)
    assert compose.repeat.status.text().endswith("until stopped (stopped)")
    assert compose.repeat.status.text().startswith(f"sent {sent}, ")


def test_a_close_frame_sent_meanwhile_ends_the_repeat_not_as_a_failure(
    window: MainWindow, silent_server: str, arun: Any, until: Any
) -> None:
    """The peer never answers the close, so the TCP connection stays up and the next
    text is refused by the protocol: that ends the repeat, it is no failed send (the
    race behind a rare failure of the test below)."""
    panel = _open_panel(window, silent_server, arun, until)
    compose = panel.compose
    # Faster than the controller's tick, which brings the CLOSING state a tick late.
    compose.repeat.every_spin.setValue(0.01)
    compose.repeat.count_spin.setValue(0)

    async def scenario() -> None:
        assert compose.repeat.start()
        await until(lambda: _texts_sent(panel) >= 2, 5, "two paced sends")
        assert panel.controller.send_close(1000, "enough")
        assert panel.controller.can_send_frames  # the TCP connection is still up
        await until(lambda: not compose.repeat.running, 5, "the repeat to stop")

    arun(scenario(), 15)
    assert compose.repeat.status.text().endswith("(the connection ended)")
    panel.controller.abort()  # the peer would never answer the close


def test_repeat_stops_when_the_connection_ends(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = _open_panel(window, echo_server.url, arun, until)
    compose = panel.compose
    compose.repeat.every_spin.setValue(0.05)
    compose.repeat.count_spin.setValue(0)

    async def scenario() -> None:
        assert compose.repeat.start()
        await until(lambda: _texts_sent(panel) >= 2, 5, "two paced sends")
        panel.controller.close_connection()
        await until(lambda: not compose.repeat.running, 5, "the repeat to stop")

    arun(scenario(), 15)
    assert compose.repeat.status.text().endswith("(the connection ended)")
    assert not compose.repeat.start()  # nothing to send on
    assert compose.repeat.status.text() == "connect first"
