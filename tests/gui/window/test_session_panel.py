"""A connection tab over its life: connecting again never throws a capture away,
the server's leniency is said, and the notes and states read right. Real
connections to our EchoServer on loopback; every wait is bounded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _gui_support import ask_on_quit, journals, opened, state, unsaved_prompt

from inspector.capture.events import ConnectionState
from inspector.capture.naming import capture_title
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel

pytestmark = pytest.mark.gui


def test_connecting_again_keeps_the_old_capture_in_a_tab_of_its_own(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, _private_data: Path
) -> None:
    window.show()
    panel = window.current_panel()
    assert panel is not None
    c = panel.controller

    async def scenario() -> None:
        await opened(panel, echo_server.url, until)
        assert c.send_text("keep me", compress=False)
        await until(lambda: panel.stats.frames_in >= 1, 5, "the echo")
        old = c.store
        assert old is not None and len(old) == 2
        assert len(journals(_private_data)) == 1

        # The same tab connects again (typed URL + Return): nothing is lost.
        panel.bar.set_url(echo_server.url)
        panel.bar._on_return()
        assert window.tabs.count() == 2
        kept = window.tabs.widget(window.tabs.indexOf(panel) + 1)
        assert isinstance(kept, SessionPanel) and kept is not panel
        assert window.current_panel() is panel  # the new connection stays in front
        assert kept.controller.store is old and c.store is not old
        assert kept.title == capture_title(old.session.url, old.session.started_unix)
        await until(lambda: state(panel) is ConnectionState.OPEN, 5, "open again")
        # The old connection was closed in its own tab, cleanly.
        await until(lambda: state(kept) is ConnectionState.CLOSED, 5, "the old one closed")
        assert kept.bar.state is not None and kept.bar.state.clean
        assert old.frame(0).payload == b"keep me" and len(old) >= 3  # + the close frames
        assert kept.timeline.model.rowCount() >= 2
        # Both journals are on disk: the old one stays until saved or discarded.
        assert len(journals(_private_data)) == 2
        assert window.captures.is_unsaved(kept)

    arun(scenario(), 20)
    # Quit asks about the kept capture; discarding it deletes its journal.
    quits = ask_on_quit(window)

    async def quit_and_discard() -> None:
        window.request_quit()
        prompt = await unsaved_prompt(window, until)
        assert prompt is not None and "keep me" not in prompt.text()
        assert kept_title in prompt.informativeText() or kept_title in prompt.text()
        prompt.answer("discard")
        await until(lambda: bool(quits), 3, "the quit")

    kept_panel = window.tabs.widget(1)
    assert isinstance(kept_panel, SessionPanel)
    kept_title = kept_panel.title
    arun(quit_and_discard(), 10)
    window.quit_handler = None
    assert not kept_panel.controller.journal


def test_connecting_again_without_frames_keeps_no_tab(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await opened(panel, echo_server.url, until)
        first = panel.controller.store
        panel.connect_to(echo_server.url)
        assert state(panel) is ConnectionState.CONNECTING  # at once, not at the next tick
        await until(lambda: panel.controller.is_open, 5, "open again")
        assert panel.controller.store is not first

    arun(scenario(), 15)
    assert window.tabs.count() == 1  # nothing worth a tab: no frame was exchanged


def test_our_lenient_echo_server_is_named_in_the_notes_line(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await opened(panel, echo_server.url, until)

    arun(scenario(), 10)
    assert not panel.notes_banner.isHidden()
    assert "observe mode" in panel.notes_banner.text()
    assert "ws-inspector serve --strict" in panel.notes_banner.text()


def test_an_independent_server_gets_no_such_note(
    window: MainWindow, ws_server: str, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await opened(panel, ws_server, until)

    arun(scenario(), 10)
    assert panel.notes_banner.isHidden()


def test_return_while_the_previous_connection_is_closing_connects_and_keeps_it(
    window: MainWindow, silent_server: str, echo_server: Any, arun: Any, until: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    c = panel.controller

    async def scenario() -> None:
        await opened(panel, silent_server, until)
        assert c.send_text("unanswered", compress=False)
        c.close_connection()  # the peer never answers: the closing handshake hangs
        await until(lambda: state(panel) is ConnectionState.CLOSING, 5, "closing")
        old = c.store
        panel.bar.set_url(echo_server.url)
        panel.bar._on_return()  # Return in the URL field: not ignored
        await until(lambda: c.is_open, 5, "the new connection")
        assert c.url == echo_server.url and c.store is not old
        kept = window.tabs.widget(window.tabs.indexOf(panel) + 1)
        assert isinstance(kept, SessionPanel) and kept.controller.store is old
        assert state(kept) in (ConnectionState.CLOSING, ConnectionState.CLOSED)

    arun(scenario(), 15)


def test_the_handshake_and_rtt_pages_are_built_when_first_shown(window: MainWindow) -> None:
    from inspector.gui.handshake.pane import HandshakePane
    from inspector.gui.window.rtt_pane import RttPane

    window.show()
    panel = window.current_panel()
    assert panel is not None
    tabs = panel.side_tabs
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert titles == ["Frame detail", "Handshake", "RTT"]
    assert panel.findChild(HandshakePane) is None and panel.findChild(RttPane) is None

    tabs.setCurrentIndex(2)  # the user opens the RTT tab
    rtt = tabs.currentWidget()
    assert isinstance(rtt, RttPane) and rtt is panel.rtt
    assert panel.findChild(HandshakePane) is None  # not shown, not built
    assert [tabs.tabText(i) for i in range(tabs.count())] == titles

    tabs.setCurrentIndex(1)
    assert isinstance(tabs.currentWidget(), HandshakePane)
    assert tabs.currentWidget() is panel.handshake
    assert [tabs.tabText(i) for i in range(tabs.count())] == titles
    assert tabs.indexOf(panel.rtt) == 2


def test_the_first_handshake_builds_its_page_and_fills_it(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    from inspector.gui.handshake.pane import HandshakePane

    window.show()
    panel = window.current_panel()
    assert panel is not None
    assert panel.findChild(HandshakePane) is None

    async def scenario() -> None:
        await opened(panel, echo_server.url, until)

    arun(scenario(), 10)
    pane = panel.findChild(HandshakePane)
    assert pane is not None and pane is panel.handshake
    assert panel.side_tabs.indexOf(pane) == 1
    assert panel.side_tabs.currentWidget() is panel.detail  # the user's tab stays in front
    assert "No handshake yet" not in pane.status_label.text()
    # The RTT page, built later, starts from the tab's capture.
    assert panel.rtt.series.store is panel.controller.store is not None
