"""The RTT pane over a live session with keepalive pings to our echo server."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inspector.gui.window.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_the_rtt_pane_follows_the_keepalive_pings(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    window.show()
    panel = window.current_panel()
    assert panel is not None
    pane = panel.rtt
    assert panel.side_tabs.indexOf(pane) >= 0
    assert "No round trips measured yet" in pane.summary.text()

    async def scenario() -> None:
        c = panel.controller
        c.options = replace(c.options, keepalive_interval=0.05)
        panel.connect_to(echo_server.url)
        await until(lambda: len(pane.series.points) >= 3, 5, "three RTT samples shown")
        assert pane.summary.text().startswith(f"{len(pane.series.points)} samples · last ")
        panel.side_tabs.setCurrentWidget(pane)
        image = pane.plot.grab()
        assert not image.isNull()

    arun(scenario(), 15)
    # A new connection starts a new series.
    first = pane.series.store
    arun(_reconnect(panel, echo_server.url, until), 10)
    assert pane.series.store is not first


async def _reconnect(panel: Any, url: str, until: Any) -> None:
    panel.connect_to(url)
    await until(lambda: panel.controller.is_open, 5, "open again")
