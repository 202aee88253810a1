"""Light <-> dark while the window is up (the platform changes the application palette
when the user switches the theme): what was coloured for the old palette is coloured
again, so no dark red on near-black or light tint under light text is left behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Capture
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from inspector.capture.events import Direction, HandshakeCaptured, SessionInfo, SessionRole
from inspector.capture.formats.journal import RecoverableJournal
from inspector.gui.captures.recovery import RecoveryBanner
from inspector.gui.compose.pane import ComposePane
from inspector.gui.detail import FrameDetailView
from inspector.gui.handshake.pane import HandshakePane
from inspector.gui.probe import ProbeView
from inspector.gui.session.controller import SessionController
from inspector.gui.widgets import theme
from inspector.gui.window.session_panel import ErrorBanner
from inspector.probe import Grade
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui

DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e0e0e0",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.Text: "#e0e0e0",
    QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e0e0e0",
}


@pytest.fixture
def go_dark(qapp: QApplication) -> Iterator[Callable[[], theme.Theme]]:
    """``go_dark()`` gives the application a dark palette and returns its theme; the
    palette is put back at teardown."""
    original = QPalette(qapp.palette())

    def switch() -> theme.Theme:
        dark = QPalette(original)
        for role, color in DARK.items():
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                dark.setColor(group, role, QColor(color))
        qapp.setPalette(dark)
        QApplication.processEvents()
        t = theme.current()
        assert t.dark
        return t

    yield switch
    qapp.setPalette(original)
    QApplication.processEvents()


def test_colours_follow_a_switch_to_dark(
    qtbot: Any, capture: Callable[..., Capture], go_dark: Callable[[], theme.Theme]
) -> None:
    light = theme.current()
    assert not light.dark

    c = capture()
    c.receive(FrameSpec(1, b'{"masked": true}', mask=True, mask_key=b"\x01\x02\x03\x04"))
    detail = FrameDetailView()
    qtbot.addWidget(detail)
    detail.show_frame(c.store, 0)
    detail.show_tab("Payload")
    assert detail.payload.has_json

    compose = ComposePane(SessionController())
    qtbot.addWidget(compose)
    compose.ping.payload_edit.setText("x" * 130)  # over 125 bytes: an error, in red

    handshake = HandshakePane()
    qtbot.addWidget(handshake)
    handshake.set_response(
        HandshakeCaptured(0.0, Direction.IN, b"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK", ())
    )
    handshake.halves.setCurrentIndex(2)  # the user looks at the request

    error = ErrorBanner()
    qtbot.addWidget(error)
    error.show_error("tcp", "refused")

    recovery = RecoveryBanner()
    qtbot.addWidget(recovery)
    session = SessionInfo("ws://127.0.0.1:9/", SessionRole.CLIENT, "2024-05-01T12:00:00+00:00", 0.0)
    recovery.show_journals([RecoverableJournal(Path("x.jsonl"), session, 10, 0.0)])

    probe = ProbeView("http://127.0.0.1:9/")
    qtbot.addWidget(probe)
    assert probe.run() is None  # not a WebSocket URL: the summary says so, in red

    for widget in (detail, compose, handshake, error, recovery, probe):
        widget.show()
    assert light.violation.name() in detail.summary.text()
    assert light.violation.name() in probe.summary_label.text()
    assert light.violation.name() in compose.ping.info.styleSheet()

    dark = go_dark()
    assert dark.violation != light.violation and dark.incoming != light.incoming
    # The detail pane: its summary line, the Violations tab's title, the JSON colours.
    assert dark.incoming.name() in detail.summary.text()
    assert dark.violation.name() in detail.summary.text()
    assert light.violation.name() not in detail.summary.text()
    violations_tab = detail.tabs.tabBar().tabTextColor(FrameDetailView.TAB_VIOLATIONS)
    assert violations_tab == dark.violation
    key_format = detail.payload._highlighter._formats["key"]
    assert key_format.foreground().color() == dark.json_key
    # The compose pane's words (an error, a hint).
    assert dark.violation.name() in compose.ping.info.styleSheet()
    assert all(
        light.muted.name() not in label.styleSheet()
        for label in compose.findChildren(type(compose.ping.info))
    )
    # The handshake pane, on the tab the user had open.
    assert dark.violation.name() in handshake.status_label.text()
    assert handshake.halves.currentIndex() == 2
    # The check tab's words (the badges keep their colours: white text on them).
    assert dark.violation.name() in probe.summary_label.text()
    assert dark.incoming.name() in probe.grade_buttons[Grade.PASSED].styleSheet()
    # The banners' tints.
    assert dark.violation.name() in error.styleSheet()
    assert theme.blend(dark.base, dark.control, 0.14).name() in recovery.styleSheet()
