"""Captures in the real window: save and reopen, HAR export and import, damaged and
foreign files, journals and recovery, the unsaved-capture question, copy-out. Real
connections to our EchoServer on loopback; every wait is bounded."""

from __future__ import annotations

import asyncio
import base64
import shlex
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from _gui_support import journals, opened, two_tabs_asking, unsaved_prompt
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from inspector.capture.events import Direction
from inspector.capture.formats.har import WITHHELD, write_har
from inspector.capture.formats.journal import find_recoverable
from inspector.gui.captures.dialogs import UnsavedPrompt
from inspector.gui.session.controller import TlsOptions
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec

pytestmark = pytest.mark.gui

SECRET = "Bearer s3cret-t0ken"


async def _session(
    panel: SessionPanel, url: str, until: Callable[..., Any], *, frames_in: int = 5
) -> None:
    """Connect and exchange: a text in 3 fragments, a binary message, a ping."""
    await opened(panel, url, until)
    c = panel.controller
    assert c.send_text("héllo wörld, in pieces", fragments=3, compress=False)
    assert c.send_binary(bytes(range(16)), compress=False)
    assert c.send_ping(b"are you there")
    await until(lambda: panel.stats.frames_in >= frames_in, 5, "echoes")


def _rows(panel: SessionPanel) -> list[tuple[Direction, int, bytes]]:
    store = panel.controller.store
    assert store is not None
    return [
        (store.direction(r), store.opcode(r), store.frame(r).payload) for r in range(len(store))
    ]


# ----------------------------------------------------------------- save and reopen
def test_save_then_reopen_with_every_pane_working(
    window: MainWindow,
    echo_server: Any,
    arun: Any,
    until: Any,
    tmp_path: Path,
    _private_data: Path,
) -> None:
    panel = window.current_panel()
    assert panel is not None
    path = str(tmp_path / "session.jsonl")

    async def scenario() -> SessionPanel:
        await _session(panel, echo_server.url, until)
        # The live session is journaled as it runs.
        assert panel.controller.journal is not None
        journal = panel.controller.journal.path
        assert journal.parent == _private_data / "journal" and journal.exists()
        assert window.captures.is_unsaved(panel)
        assert window.save_capture(path)
        assert not window.captures.is_unsaved(panel)
        opened = await window.open_capture(path)
        loaded = window.current_panel()
        assert loaded is not None and loaded is not panel
        assert opened, loaded.banner.message
        return loaded

    loaded = arun(scenario(), 15)
    assert loaded.controller.read_only and loaded.title == "📄 session.jsonl"
    assert _rows(loaded) == _rows(panel)
    assert not window.captures.is_unsaved(loaded)  # it is the file
    # Timeline, detail, message, handshake panes and the status bar.
    store = loaded.controller.store
    assert store is not None
    assert loaded.timeline.model.rowCount() == len(store) == 10
    first_text_in = next(
        r
        for r in range(len(store))
        if store.direction(r) is Direction.IN and store.opcode(r) == Opcode.TEXT
    )
    assert loaded.timeline.select_store_row(first_text_in)
    assert loaded.detail.row == first_text_in and loaded.detail.frame is not None
    assert loaded.detail.message is not None
    assert loaded.detail.message.data == "héllo wörld, in pieces".encode()
    assert loaded.handshake.accept_result.accessibleDescription() == "match"
    assert "↓ 5 frames" in window.in_label.text()
    assert not loaded.compose.send_button.isEnabled()
    # A plain live capture has no notes of its own; the window's line says that the
    # server was our lenient echo server.
    assert [n for n in loaded.notes_banner.notes if "observe mode" not in n] == []


# ----------------------------------------------------------------------------- HAR
def test_har_export_then_import(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, tmp_path: Path, qtbot: Any
) -> None:
    panel = window.current_panel()
    assert panel is not None
    panel.controller.options = replace(
        panel.controller.options,
        headers=(("Authorization", SECRET), ("X-Trace", "abc")),
    )
    plain, secret = tmp_path / "plain.har", tmp_path / "secret.har"

    arun(_session(panel, echo_server.url, until), 15)

    # File > Export HAR…: secrets are left out unless the box is ticked.
    window.export_har_action.trigger()
    dialog = window.captures.export_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.secrets_check.isChecked()
    assert dialog.secrets_check.text() == "Include secrets (Cookie, Authorization...)"
    dialog.path_edit.setText(str(plain))
    dialog.buttons.accepted.emit()
    assert plain.exists()
    text = plain.read_text()
    assert SECRET not in text and WITHHELD in text and "abc" in text
    dialog = window.captures.choose_har_export()
    assert dialog is not None
    dialog.path_edit.setText(str(secret))
    qtbot.mouseClick(dialog.secrets_check, Qt.MouseButton.LeftButton)
    assert dialog.secrets_check.isChecked()
    dialog.buttons.accepted.emit()
    assert SECRET in secret.read_text()

    # File > Open takes .har: one read-only tab per WebSocket entry, with the notes.
    store = panel.controller.store
    assert store is not None
    two = tmp_path / "two.har"
    write_har([store, store], str(two))
    before = window.tabs.count()
    assert arun(window.open_capture(str(two)), 10)
    assert window.tabs.count() == before + 2
    tabs = [window.tabs.widget(i) for i in range(before, before + 2)]
    assert [window.tabs.tabText(i) for i in range(before, before + 2)] == [
        "📄 two.har #1",
        "📄 two.har #2",
    ]
    har_tab = tabs[0]
    assert isinstance(har_tab, SessionPanel) and har_tab.controller.read_only
    har_store = har_tab.controller.store
    assert har_store is not None and har_store.session.source == "har"
    # Messages only: 2 text/binary out, 2 echoed back; no ping, pong or fragments.
    ops = [(har_store.direction(r), har_store.opcode(r)) for r in range(len(har_store))]
    assert sorted(op for _, op in ops) == [Opcode.TEXT, Opcode.TEXT, Opcode.BINARY, Opcode.BINARY]
    assert har_tab.timeline.model.rowCount() == 4
    assert har_store.frame(0).payload == "héllo wörld, in pieces".encode()
    # The session panel says plainly what a HAR file does not hold.
    notes = har_tab.notes_banner
    assert not notes.isHidden()
    assert "not frames" in notes.text() and "control frames" in notes.text()
    assert "masking keys" in notes.text()


# ------------------------------------------------------------ damaged and foreign
def test_damaged_capture_opens_as_far_as_readable(
    window: MainWindow, capture: Any, arun: Any, tmp_path: Path
) -> None:
    from inspector.capture.formats.jsonl import write_jsonl

    cap = capture()
    for i in range(20):
        cap.receive(FrameSpec(Opcode.TEXT, f"message {i}".encode()))
    whole = tmp_path / "whole.jsonl"
    write_jsonl(cap.store, str(whole))
    lines = whole.read_text().splitlines(keepends=True)

    # Cut short in the middle of a line (the program stopped while saving).
    cut = tmp_path / "cut.jsonl"
    data = "".join(lines[:12])
    cut.write_text(data + lines[12][: len(lines[12]) // 2])
    assert arun(window.open_capture(str(cut)), 10)
    panel = window.current_panel()
    assert panel is not None and panel.controller.read_only
    store = panel.controller.store
    assert store is not None and 0 < len(store) < 20
    assert not panel.banner.isHidden() and panel.banner.step == "open"
    assert "line" in panel.banner.message and "cut.jsonl" in panel.banner.message

    # A garbled line in the middle: what comes before it loads; the banner says where
    # reading stopped.
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines[:5]) + "{not json at all\n" + "".join(lines[6:]))
    assert arun(window.open_capture(str(bad)), 10)
    panel = window.current_panel()
    assert panel is not None
    store = panel.controller.store
    assert store is not None and len(store) == 4  # lines 2-5
    assert "line 6" in panel.banner.message and "stopped" in panel.banner.message
    assert panel.timeline.model.rowCount() == 4


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.jsonl", b"just some notes\nnothing else\n", "not a ws-inspector capture"),
        ("image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 4, "cannot open"),
        ("empty.jsonl", b"", "cannot open"),
        ("page.har", b"<html><body>hello</body></html>", "not a HAR file"),
        ("other.har", b'{"log": {"entries": [{"request": {"url": "http://x/"}}]}}', "WebSocket"),
    ],
)
def test_what_is_not_a_capture_is_refused_clearly(
    window: MainWindow, arun: Any, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert not arun(window.open_capture(str(path)), 10)
    panel = window.current_panel()
    assert panel is not None
    assert not panel.banner.isHidden() and panel.banner.step == "open"
    assert words in panel.banner.message and name in panel.banner.message
    assert "Traceback" not in panel.banner.message
    assert panel.controller.store is None  # nothing half-shown


# ------------------------------------------------------------- unsaved captures
def test_closing_or_quitting_asks_about_an_unsaved_capture(
    window: MainWindow,
    echo_server: Any,
    arun: Any,
    until: Any,
    tmp_path: Path,
    _private_data: Path,
) -> None:
    first, second, quits = two_tabs_asking(window)

    async def prompt() -> UnsavedPrompt:
        box = await unsaved_prompt(window, until)
        assert box is not None and box.isVisible()
        return box

    async def scenario() -> None:
        await _session(first, echo_server.url, until)
        await _session(second, echo_server.url, until)
        found = journals(_private_data)
        assert len(found) == 2

        # Close a tab: asked; Cancel keeps it; Discard closes it and its journal.
        window.close_tab(window.tabs.indexOf(second))
        box = await prompt()
        assert "was not saved" in box.text()
        assert window.tabs.indexOf(second) >= 0
        box.answer("cancel")
        await until(lambda: window.captures.prompt is None, 2, "prompt gone")
        assert window.tabs.indexOf(second) >= 0
        window.close_tab(window.tabs.indexOf(second))
        (await prompt()).answer("discard")
        await until(lambda: window.tabs.indexOf(second) < 0, 2, "the tab to close")
        await until(lambda: not window._closing_tasks, 5, "tab closed")
        assert len(journals(_private_data)) == 1

        # Quit: asked again; Save opens a file dialog; the capture is saved, then quit.
        window.request_quit()
        (await prompt()).answer("save")
        await until(lambda: window.captures.save_dialog is not None, 2, "the save dialog")
        dialog = window.captures.save_dialog
        assert dialog is not None
        target = tmp_path / "quit-save.jsonl"
        dialog.setDirectory(str(tmp_path))
        name_edit = dialog.findChild(QLineEdit, "fileNameEdit")  # Qt's own dialog
        assert name_edit is not None
        name_edit.setText(target.name)  # as typed
        dialog.accept()
        await until(lambda: bool(quits), 3, "the quit")
        assert target.exists() and not window.captures.is_unsaved(first)

    arun(scenario(), 20)
    window.quit_handler = None


def test_unsaved_policy_keep_leaves_the_journal_for_recovery(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, _private_data: Path
) -> None:
    window.captures.policy = "keep"
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        await _session(panel, echo_server.url, until)
        window.close_tab(window.tabs.indexOf(panel))  # no question: the policy answers
        await until(lambda: not window._closing_tasks, 5, "tab closed")

    arun(scenario(), 15)
    found = find_recoverable(directory=_private_data / "journal")
    assert len(found) == 1 and found[0].finished  # ended, not saved: still offered
    assert found[0].session is not None and found[0].session.url == echo_server.url


def test_save_all_asks_once_then_offers_each_capture_its_own_name(
    window: MainWindow,
    echo_server: Any,
    arun: Any,
    until: Any,
    tmp_path: Path,
    _private_data: Path,
) -> None:
    first, second, quits = two_tabs_asking(window)

    async def scenario() -> None:
        await _session(first, echo_server.url, until)
        await _session(second, echo_server.url, until)
        window.request_quit()
        prompt = await unsaved_prompt(window, until)
        assert prompt is not None and prompt.text() == "2 captures were not saved."
        prompt.answer("save-all")
        names: list[str] = []
        for panel in (first, second):
            await until(lambda: window.captures.save_dialog is not None, 2, "a save dialog")
            dialog = window.captures.save_dialog
            assert dialog is not None
            assert window.current_panel() is panel  # the tab being saved is in front
            suggested = Path(dialog.selectedFiles()[0]).name
            assert suggested.startswith("127.0.0.1_") and suggested.endswith(".jsonl")
            names.append(f"{len(names)}-{suggested}")
            dialog.setDirectory(str(tmp_path))
            name_edit = dialog.findChild(QLineEdit, "fileNameEdit")
            assert name_edit is not None
            name_edit.setText(names[-1])
            dialog.accept()
            await until(lambda d=dialog: window.captures.save_dialog is not d, 2, "the next one")
        await until(lambda: bool(quits), 3, "the quit")
        assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == sorted(names)
        assert not window.captures.unsaved([first, second])

    arun(scenario(), 20)
    window.quit_handler = None


# --------------------------------------------------------------------- copy-out
def test_copy_out_of_the_timeline(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, tmp_path: Path
) -> None:
    panel = window.current_panel()
    assert panel is not None
    panel.controller.options = replace(
        panel.controller.options,
        headers=(("Authorization", 'Bearer it\'s "quoted"'), ("X-Empty", "")),
        subprotocols=("chat",),
        deflate=False,
        origin="https://example.org",
        tls=TlsOptions(cafile="/tmp/my ca.pem", insecure=True),
    )
    arun(_session(panel, echo_server.url, until), 15)
    store = panel.controller.store
    assert store is not None
    menu = panel.copy_menu  # type: ignore[attr-defined]
    clipboard = QApplication.clipboard()

    fragments = [
        r
        for r in range(len(store))
        if store.direction(r) is Direction.IN and store.opcode(r) in (Opcode.TEXT, Opcode.CONT)
    ]
    assert len(fragments) == 3
    first = fragments[0]
    piece = store.frame(first).payload
    built = menu.build_menu(first)
    actions = {a.objectName(): a for a in built.findChildren(type(built.actions()[0]))}
    actions["copyPayloadText"].trigger()
    assert clipboard.text() == piece.decode("utf-8", "replace")
    actions["copyPayloadHex"].trigger()
    assert clipboard.text() == piece.hex(" ")
    actions["copyPayloadBase64"].trigger()
    assert base64.b64decode(clipboard.text()) == piece
    # The reassembled message, from any of its fragments.
    actions["copyMessageText"].trigger()
    assert clipboard.text() == "héllo wörld, in pieces"
    menu.build_menu(fragments[1]).findChild(type(built.actions()[0]), "copyMessageHex").trigger()
    assert bytes.fromhex(clipboard.text()) == "héllo wörld, in pieces".encode()
    binary = next(r for r in range(len(store)) if store.opcode(r) == Opcode.BINARY)
    assert menu.copy_payload(binary, "hex") == bytes(range(16)).hex(" ")

    # The command line that reproduces the connection, quoted for a POSIX shell.
    actions["copyCaptureCommand"].trigger()
    command = clipboard.text()
    assert shlex.split(command) == [
        "ws-inspector",
        "capture",
        echo_server.url,
        "-H",
        'Authorization: Bearer it\'s "quoted"',
        "-H",
        "X-Empty: ",
        "--subprotocol",
        "chat",
        "--no-deflate",
        "--origin",
        "https://example.org",
        "--insecure",
        "--cacert",
        "/tmp/my ca.pem",
    ]

    # The menu itself: right-click on a row pops it up (popup(), not exec()).
    table = panel.timeline.table
    rect = table.visualRect(panel.timeline.model.index(0, 0))
    table.customContextMenuRequested.emit(QPoint(rect.center()))
    assert menu.menu is not None and menu.menu.isVisible()
    menu.menu.close()

    # From a capture read from a file, the command comes from the captured request.
    path = tmp_path / "copy.jsonl"
    assert window.save_capture(str(path), panel)
    assert arun(window.open_capture(str(path)), 10)
    loaded = window.current_panel()
    assert loaded is not None and loaded.controller.read_only
    args = shlex.split(loaded.copy_menu.command())  # type: ignore[attr-defined]
    assert args[:3] == ["ws-inspector", "capture", echo_server.url]
    assert 'Authorization: Bearer it\'s "quoted"' in args and "--no-deflate" in args
    assert args[args.index("--subprotocol") + 1] == "chat"
    assert args[args.index("--origin") + 1] == "https://example.org"


# ------------------------------------------------------------ the application
def test_the_app_quit_path_asks_then_quits_and_ctrl_c_keeps_the_journal(
    qapp: Any, _private_data: Path
) -> None:
    from inspector import app as app_module

    seen: dict[str, Any] = {}

    async def ask_then_discard(window: MainWindow) -> None:
        window.captures.policy = "ask"
        panel = window.current_panel()
        assert panel is not None and window.captures.is_unsaved(panel)  # the demo traffic
        seen["journals"] = len(journals(_private_data))
        window.quit_action.trigger()  # File > Quit
        await wait_for(lambda: window.captures.prompt is not None)
        seen["still_up"] = window.isVisible()
        prompt = window.captures.prompt
        assert prompt is not None
        prompt.answer("discard")

    try:
        assert app_module.main(["--demo"], on_ready=ask_then_discard, quit_after_ms=15_000) == 0
    finally:
        asyncio.set_event_loop(None)
    assert seen == {"journals": 1, "still_up": True}
    assert not journals(_private_data)  # discarded: nothing to recover

    async def interrupted(window: MainWindow) -> None:
        window.captures.policy = "ask"
        assert window.quit_handler is not None
        window.quit_handler()  # what Ctrl+C does: no question asked

    try:
        assert app_module.main(["--demo"], on_ready=interrupted, quit_after_ms=15_000) == 0
    finally:
        asyncio.set_event_loop(None)
    found = find_recoverable(directory=_private_data / "journal")
    assert len(found) == 1 and found[0].finished  # offered at the next start


async def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_capture_widgets_have_names(window: MainWindow) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget

    from inspector.gui.captures.dialogs import HarExportDialog

    panel = window.current_panel()
    assert panel is not None
    roots = [HarExportDialog(), window.captures.banner, panel.notes_banner]
    missing = []
    for root in roots:
        for w in root.findChildren(QWidget):
            if not isinstance(w, QAbstractButton | QLineEdit):
                continue
            if not w.objectName() or not w.accessibleName():
                missing.append(f"{type(w).__name__} {w.objectName()!r}")
    assert not missing, missing
    names = [a.objectName() for a in window.findChildren(type(window.export_har_action))]
    assert "exportHarAction" in names and "checkServerAction" in names
    assert window.export_har_action.shortcut().toString() == "Ctrl+Shift+E"
