"""The compose pane on live sessions: what the tabs preview is what goes on the wire,
the Binary tab compresses like the Text tab, and a frame we break on purpose is
shown as sent on purpose, and found by "Violations only"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.capture.events import ConnectionState, Direction
from inspector.capture.store import CaptureStore
from inspector.gui.compose.frame import FrameTab
from inspector.gui.compose.pane import ComposePane
from inspector.gui.timeline.icons import deliberate_tint
from inspector.gui.widgets import theme
from inspector.gui.window.main_window import MainWindow
from inspector.protocol.constants import Opcode
from inspector.protocol.violations import Rule

pytestmark = pytest.mark.gui

Until = Callable[..., Awaitable[None]]
SetFrame = Callable[..., FrameTab]
MakePane = Callable[[], ComposePane]


def test_send_is_disabled_while_not_connected(pane: ComposePane) -> None:
    pane.text_edit.setPlainText("hi")
    assert not pane.send_button.isEnabled()
    assert not pane.send_current()
    assert "connect first" in pane.status_label.text().lower()
    for index, label in [(pane.TAB_BINARY, "Send binary"), (pane.TAB_RAW, "Send bytes")]:
        pane.tabs.setCurrentIndex(index)
        assert pane.send_button.text() == label


def test_pages_are_built_when_first_shown_or_asked_for(pane: ComposePane) -> None:
    assert pane.built_pages() == [pane.text]
    assert pane.tabs.count() == len(pane.TITLES)
    assert [pane.tabs.tabText(i) for i in range(pane.tabs.count())] == list(pane.TITLES)
    pane.tabs.setCurrentIndex(pane.TAB_CLOSE)
    assert pane.built_pages() == [pane.text, pane.close_tab]
    assert pane.send_button.text() == pane.close_tab.send_label()
    raw = pane.raw  # asked for by name: built, not shown
    assert pane.tabs.currentIndex() == pane.TAB_CLOSE
    assert pane.built_pages() == [pane.text, pane.close_tab, raw]
    assert pane.raw is raw  # built once
    holder = pane.tabs.widget(pane.TAB_RAW)
    assert holder is not None and holder.isAncestorOf(raw)  # in its tab
    assert len(pane.pages) == len(pane.TITLES) == len(pane.built_pages())


def _sent_rows(store: CaptureStore) -> list[int]:
    return [r for r in range(len(store)) if store.direction(r) is Direction.OUT]


def test_crafted_frames_go_on_the_wire_as_previewed(
    qtbot: Any,
    make_pane: MakePane,
    echo_server: Any,
    arun: Any,
    until: Until,
    set_frame: SetFrame,
) -> None:
    pane = make_pane()
    controller = pane.session

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
        await until(pane.send_button.isEnabled, 2, "Send enabled once open")
        store = controller.store
        assert store is not None

        # One frame, Ctrl+Enter in the payload editor.
        tab = set_frame(pane, payload="crafted!")
        preview = tab.preview_bytes()
        qtbot.keyClick(tab.payload_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        # Three fragments of a text message, sent with the button, each with its key.
        set_frame(pane, payload="in three parts", fragments=3)
        preview += tab.preview_bytes()
        qtbot.mouseClick(pane.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: store.counters(Direction.IN).frames >= 2, 3, "echoes")

        sent = _sent_rows(store)
        assert len(sent) == 4
        on_wire = b"".join(store.header(r) + bytes(store.frame(r).masked_payload) for r in sent)
        assert on_wire == preview
        assert len({store.header(r)[-4:] for r in sent[1:]}) == 3  # one key per fragment
        received = []
        for r in range(len(store)):
            if store.direction(r) is Direction.IN:
                message = store.message_for(r)
                received.append(message.data if message is not None else store.frame(r).payload)
        assert b"crafted!" in received
        assert pane.history.list.count() == 2
        assert pane.history.list.item(0).text().startswith("FRAME ×3")

        # Raw bytes: an unmasked TEXT frame, which the server reports as a violation.
        pane.tabs.setCurrentIndex(pane.TAB_RAW)
        pane.raw.edit.setPlainText("81 02 68 69")
        assert pane.send_current()
        assert pane.history.list.item(0).text().startswith("RAW  4 B")

        # Resend from the history: the crafted fragments again.
        pane.history.list.setCurrentRow(1)
        assert pane.resend_selected()
        assert pane.history.list.item(0).text().startswith("FRAME ×3")

        controller.close_connection()
        await until(lambda: not pane.send_button.isEnabled(), 5, "Send disabled once closed")
        assert controller.state is ConnectionState.CLOSED

    arun(scenario(), 15)
    controller.detach()


def test_binary_compress_box_follows_deflate(
    make_pane: MakePane, echo_server: Any, arun: Any, until: Until
) -> None:
    pane = make_pane()
    controller = pane.session
    data = b"compress me " * 20

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
        assert controller.deflate_negotiated
        await until(pane.send_button.isEnabled, 2, "Send enabled once open")
        store = controller.store
        assert store is not None
        pane.tabs.setCurrentIndex(pane.TAB_BINARY)
        pane.binary.edit.setPlainText(data.hex())
        assert pane.binary.compress.isEnabled() and pane.binary.compress.isChecked()
        assert pane.send_current()
        assert pane.history.list.item(0).text().endswith("deflate")
        pane.binary.compress.setChecked(False)
        pane.binary.fragments.setValue(2)
        assert pane.send_current()
        await until(lambda: store.counters(Direction.IN).frames >= 3, 3, "echoes")
        first, *split = _sent_rows(store)
        assert store.frame(first).header[0] == 0xC0 | Opcode.BINARY  # FIN + RSV1
        message = store.message_for(first)
        assert message is not None and message.data == data and message.compressed
        assert [store.frame(r).header[0] for r in split] == [Opcode.BINARY, 0x80]
        assert b"".join(store.frame(r).payload for r in split) == data
        assert store.frame(split[0]).header[-4:] != store.frame(split[1]).header[-4:]
        controller.close_connection()
        await until(lambda: controller.state is ConnectionState.CLOSED, 5, "closed")

    arun(scenario(), 15)
    controller.detach()


def test_a_frame_broken_on_purpose_is_shown_as_ours(
    window: MainWindow, echo_server: Any, arun: Any, until: Until, set_frame: SetFrame
) -> None:
    """Issue 9 item 13: an RSV2 frame crafted in the window is marked "sent on
    purpose" (not as the peer's violation), and "Violations only" shows it."""
    panel = window.current_panel()
    assert panel is not None
    pane = panel.compose

    async def scenario() -> int:
        panel.connect_to(echo_server.url)
        await until(lambda: panel.controller.state is ConnectionState.OPEN, 5, "open")
        await until(pane.send_button.isEnabled, 2, "Send enabled once open")
        store = panel.controller.store
        assert store is not None
        pane.text.edit.setPlainText("an ordinary message first")
        pane.tabs.setCurrentIndex(pane.TAB_TEXT)
        assert pane.send_current()
        set_frame(pane, payload="rsv2 on purpose", rsv=(False, True, False))
        assert "RSV bit without an extension" in pane.frame.preview.notes.text()
        assert pane.send_current()
        await until(lambda: len(_sent_rows(store)) >= 2, 3, "sent")
        await until(lambda: panel.timeline.model.rowCount() >= 3, 3, "rows shown")
        return _sent_rows(store)[-1]

    row = arun(scenario(), 15)
    store = panel.controller.store
    assert store is not None
    found = store.violations[row]
    assert found and all(v.deliberate for v in found)
    assert [v.rule for v in found] == [Rule.RESERVED_BIT]

    # The sent row: its own tint and icon, worded as sent on purpose.
    model = panel.timeline.model
    view_row = next(i for i in range(model.rowCount()) if model.store_row(i) == row)
    index = model.index(view_row, 0)
    brush = model.data(index, Qt.ItemDataRole.BackgroundRole)
    th = theme.current()
    assert brush.color() == deliberate_tint(th) and brush.color() != th.violation
    assert model.data(index, Qt.ItemDataRole.DecorationRole) is not None
    tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "sent on purpose" in tooltip and "violation" not in tooltip.split("\n")[0]
    assert "broken on purpose" in model.data(index, Qt.ItemDataRole.AccessibleTextRole)

    # "Violations only" keeps it (and only rows with violations).
    panel.timeline.violations_button.setChecked(True)
    panel.timeline.apply_filter_now()
    shown = [model.store_row(i) for i in range(model.rowCount())]
    assert row in shown
    assert all(r in store.violations for r in shown)
    panel.timeline.violations_button.setChecked(False)

    # Closed here, so that nothing of the connection is left pending for a later test.
    async def close() -> None:
        panel.controller.close_connection()
        await until(lambda: panel.controller.state is ConnectionState.CLOSED, 5, "closed")

    arun(close(), 10)


def test_the_status_stays_readable_in_a_narrow_window_with_the_library_open(
    window: MainWindow, qtbot: Any, echo_server: Any, arun: Any, until: Until
) -> None:
    """At 1024 px with the Library dock open the buttons took the whole row and
    left the status beside them a few pixels: it has a line of its own now."""
    window.show()
    qtbot.waitExposed(window)
    window.library.show()
    window.resize(1024, 640)
    panel = window.current_panel()
    assert panel is not None
    pane = panel.compose
    status = pane.status_label

    async def scenario() -> None:
        panel.connect_to(echo_server.url)
        await until(pane.send_button.isEnabled, 5, "Send enabled once open")
        pane.text_edit.setPlainText('{"op": "subscribe", "channel": "ticker.BTC-USD"}')
        assert pane.send_current()
        await until(lambda: status.isVisible() and status.width() > 0, 2, "the status shown")

    arun(scenario())
    text = status.text()
    assert text.startswith("Sent TEXT")
    assert status.width() >= status.fontMetrics().horizontalAdvance(text)
    # A long error (as the controller reports a failed send) wraps within the pane
    # instead of running out of it.
    long = "cannot send a text message: " + "the connection is closing, " * 6
    pane.session.errorOccurred.emit("send", long, False)
    qtbot.waitUntil(lambda: status.height() >= 2 * status.fontMetrics().height(), timeout=2000)
    assert status.text() == long and status.width() <= pane.width()
