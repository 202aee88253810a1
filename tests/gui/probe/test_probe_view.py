"""The "Check server" tab from the real window, against real servers on loopback:
our EchoServer and an independent one (the websockets library). Every wait is
bounded."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.capture.events import Direction
from inspector.gui.probe import ProbeView
from inspector.gui.window.main_window import MainWindow
from inspector.gui.window.session_panel import SessionPanel
from inspector.probe import Grade, run_probe
from inspector.protocol.constants import Opcode

pytestmark = pytest.mark.gui


def _open_check(window: MainWindow, url: str) -> ProbeView:
    window.show()  # laid out for real: clicks land on the buttons
    panel = window.current_panel()
    assert panel is not None
    panel.bar.set_url(url)
    window.check_server_action.trigger()  # Tools > Check server… (Ctrl+Shift+K)
    view = window.tabs.currentWidget()
    assert isinstance(view, ProbeView)
    assert view.url == url
    return view


def _grades(results: Any) -> dict[str, Grade]:
    return {r.id: r.grade for r in results}


def _show_only(view: ProbeView, *grades: Grade) -> None:
    for grade, button in view.grade_buttons.items():
        button.setChecked(grade in grades)


def _shown_ids(view: ProbeView) -> list[str]:
    return [r.id for r in view.proxy.visible_results()]


def _other_tasks() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


def test_check_our_echo_server(
    window: MainWindow,
    echo_server: Any,
    arun: Any,
    until: Any,
    qtbot: Any,
    qtmodeltester: Any,
    tmp_path: Any,
) -> None:
    view = _open_check(window, echo_server.url)
    assert window.tabs.count() == 2
    assert view.title.startswith("Check 127.0.0.1:")
    view.set_categories(["pings", "close"])
    qtmodeltester.check(view.model)

    async def scenario() -> None:
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
        assert view.running
        assert not view.run_button.isEnabled() and view.stop_button.isEnabled()
        await until(lambda: view.controller.outcome == "done", 15, "the check to finish")
        c = view.controller
        assert len(c.results) == 16 + 39 == view.model.rowCount()
        assert view.progress.value() == view.progress.maximum() == 55
        # Coalesced: far fewer ticks (model inserts) than results.
        assert c.ticks < len(c.results)

        # The same grades as the engine's run_probe on the same cases.
        direct = await run_probe(echo_server.url, ["pings", "close"], keep_captures=False)
        assert _grades(c.results) == _grades(direct)
        mine = _grades(c.results)
        for case_id in ("2.1", "2.5", "2.12", "2.16", "7.1.3", "7.3.3", "7.7.1", "7.9.1"):
            assert mine[case_id] is direct.by_id(case_id).grade, case_id
        assert mine["2.1"] is Grade.PASSED and mine["7.7.1"] is Grade.PASSED
        # Our echo server is lenient on purpose: it answers a 126-byte ping.
        assert mine["2.5"] is Grade.FAILED
        assert view.summary_text().startswith(direct.summary())
        # Our echo server in observe mode: lenient on purpose, and the summary says so.
        assert "observe mode" in view.summary_text()
        assert "ws-inspector serve --strict" in view.summary_label.text()
        # Case order by default, whatever order the results came in.
        assert _shown_ids(view)[:3] == ["2.1", "2.2", "2.3"]

    arun(scenario(), 25)
    qtmodeltester.check(view.proxy)

    # Filters: grade, category, text; the counts on the grade buttons.
    failed = {r.id for r in view.controller.results if r.grade is Grade.FAILED}
    assert view.grade_buttons[Grade.FAILED].text() == f"failed {len(failed)}"
    _show_only(view, Grade.FAILED)
    assert set(_shown_ids(view)) == failed
    view.category_filter.setCurrentIndex(view.category_filter.findData("pings"))
    assert set(_shown_ids(view)) == {i for i in failed if i.startswith("2.")}
    assert "2.5" in _shown_ids(view)
    _show_only(view, *Grade)
    assert len(_shown_ids(view)) == 16
    view.search_edit.setText("unsolicited pong")
    assert set(_shown_ids(view)) == {"2.7", "2.8", "2.9", "2.12"}
    view.search_edit.clear()
    view.category_filter.setCurrentIndex(0)
    assert len(_shown_ids(view)) == 55
    assert "55" in view.shown_label.text()

    # Detail: expected vs observed in words.
    assert view.select_case("2.5")
    result = view.selected_result()
    assert result is not None and result.id == "2.5"
    text = view.detail.toPlainText()
    assert "Expected:" in text and "Observed:" in text
    assert result.expected[:40] in text and result.observed[:40] in text
    assert "failed" in text
    # The selection survives a filter that keeps it.
    _show_only(view, Grade.FAILED)
    selected = view.selected_result()
    assert selected is not None and selected.id == "2.5"
    _show_only(view, *Grade)

    # Open capture: a read-only tab with the case's frames.
    tabs_before = window.tabs.count()
    assert view.open_capture_button.isEnabled()
    qtbot.mouseClick(view.open_capture_button, Qt.MouseButton.LeftButton)
    assert window.tabs.count() == tabs_before + 1
    panel = window.current_panel()
    assert isinstance(panel, SessionPanel)
    assert panel.controller.read_only
    assert panel.title == "case 2.5"
    assert "probe case 2.5" in panel.bar.state_badge.text()
    store = panel.controller.store
    assert store is result.store and store is not None
    assert panel.timeline.model.rowCount() == len(store) > 0
    opcodes = {(store.direction(r), store.opcode(r)) for r in range(len(store))}
    assert (Direction.OUT, Opcode.PING) in opcodes
    assert panel.handshake.request is not None
    assert not panel.compose.send_button.isEnabled()

    # Exports through the probe package's report functions.
    window.tabs.setCurrentWidget(view)
    jpath, hpath = tmp_path / "check.jsonl", tmp_path / "check.html"
    assert view.export_json(str(jpath))
    rows = [json.loads(line) for line in jpath.read_text().splitlines()]
    assert len(rows) == 55 and rows[0]["id"] == "2.1"
    assert {r["id"]: r["grade"] for r in rows}["2.5"] == "failed"
    assert view.export_html(str(hpath))
    page = hpath.read_text()
    assert page.startswith("<!DOCTYPE html>") and "2.12" in page
    assert "Exported" in view.summary_text()

    # Closing the check tab (Ctrl+W) leaves the others.
    count = window.tabs.count()
    window.close_tab_action.trigger()
    assert window.tabs.count() == count - 1
    assert not window.probe_views()


def test_check_the_websockets_server(
    window: MainWindow, ws_server: str, arun: Any, until: Any, qtbot: Any
) -> None:
    view = _open_check(window, ws_server)
    view.set_categories(["reserved-bits"])

    async def scenario() -> None:
        task = view.run()
        assert task is not None
        await asyncio.wait_for(asyncio.shield(task), 10)
        assert view.controller.outcome == "done"
        direct = await run_probe(ws_server, ["reserved-bits"], keep_captures=False)
        assert _grades(view.controller.results) == _grades(direct)
        mine = {r.id: r for r in view.controller.results}
        assert mine["3.1.1"].grade is Grade.PASSED and mine["3.1.1"].close_code == 1002
        assert mine["3.4.1"].grade is Grade.NON_STRICT
        assert view.summary_text().startswith("32 cases: 25 passed, 7 non-strict, 0 failed")

    arun(scenario(), 20)
    _show_only(view, Grade.NON_STRICT)
    assert _shown_ids(view) == ["3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5", "3.4.6", "3.4.7"]
    # The close code column sorts numerically; the grade column by grade.
    _show_only(view, *Grade)
    view.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    assert view.proxy.result(0).grade is Grade.PASSED
    assert view.proxy.result(view.proxy.rowCount() - 1).grade is Grade.NON_STRICT


def test_stop_cancels_cleanly(
    window: MainWindow, echo_server: Any, arun: Any, until: Any, qtbot: Any
) -> None:
    view = _open_check(window, echo_server.url)
    view.set_categories(["utf8"])
    view.concurrency_spin.setValue(2)

    async def scenario() -> None:
        before = _other_tasks()  # the test's own wait_for and the server's
        task = view.run()
        assert task is not None
        await until(lambda: len(view.controller.results) >= 4, 10, "a few results")
        qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
        await until(lambda: task.done(), 3, "the battery to stop")
        assert task.cancelled()
        assert view.controller.outcome == "stopped"
        assert not view.running and view.run_button.isEnabled()
        assert not view.stop_button.isEnabled()
        n = len(view.controller.results)
        assert 4 <= n < 123 and view.model.rowCount() == n
        assert view.summary_text().startswith(f"Stopped after {n} of 123 cases")
        # Every connection of the battery is gone: no task is left behind.
        await until(lambda: not _other_tasks() - before, 3, "no pending tasks")
        assert view.export_json_button.isEnabled()  # a partial report can be saved

    arun(scenario(), 20)


def test_unreachable_server_and_bad_url_are_explained(
    window: MainWindow, arun: Any, until: Any, qtbot: Any
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    view = _open_check(window, f"ws://127.0.0.1:{port}/")
    view.set_categories(["pings"])

    async def scenario() -> None:
        view.run()
        await until(lambda: view.controller.outcome == "error", 5, "the error")

    arun(scenario(), 10)
    assert "cannot reach" in view.summary_text() and "refused" in view.summary_text()
    assert view.model.rowCount() == 0 and view.run_button.isEnabled()

    view.url_edit.setText("http://example.org/")
    assert view.run() is None
    assert "ws://" in view.summary_text()
    view.url_edit.setText(f"ws://127.0.0.1:{port}/")
    qtbot.mouseClick(view.none_button, Qt.MouseButton.LeftButton)
    assert not view.selected_categories() and not view.run_button.isEnabled()
    qtbot.mouseClick(view.all_button, Qt.MouseButton.LeftButton)
    assert len(view.selected_categories()) == 9


def test_check_button_and_names(window: MainWindow, qtbot: Any) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QGroupBox,
        QLineEdit,
        QProgressBar,
        QTabBar,
        QTableView,
        QTextBrowser,
        QWidget,
    )

    window.show()
    panel = window.current_panel()
    assert panel is not None
    panel.bar.set_url("ws://127.0.0.1:9/x")
    qtbot.mouseClick(panel.bar.check_button, Qt.MouseButton.LeftButton)
    view = window.tabs.currentWidget()
    assert isinstance(view, ProbeView) and view.url == "ws://127.0.0.1:9/x"
    assert window.current_panel() is None
    # The same URL again: the idle check tab is reused.
    window.tabs.setCurrentWidget(panel)
    window.check_server(panel)
    assert window.tabs.currentWidget() is view and len(window.probe_views()) == 1
    assert window.check_server_action.shortcut().toString() == "Ctrl+Shift+K"
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Tools" in menus

    kinds = (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QTableView,
        QProgressBar,
        QTextBrowser,
        QGroupBox,
    )
    missing = []
    for w in view.findChildren(QWidget):
        if not isinstance(w, kinds):
            continue
        parent = w.parentWidget()
        if isinstance(parent, QComboBox | QAbstractSpinBox | QTabBar | QLineEdit):
            continue
        if w.objectName().startswith("qt_") or (
            parent is not None and parent.objectName().startswith("qt_")
        ):
            continue
        if not w.objectName() or not w.accessibleName():
            missing.append(f"{type(w).__name__} {w.objectName()!r}")
    assert not missing, missing


def test_closing_a_running_check_tab_stops_it(
    window: MainWindow, echo_server: Any, arun: Any, until: Any
) -> None:
    view = _open_check(window, echo_server.url)
    view.set_categories(["utf8"])
    view.concurrency_spin.setValue(2)

    async def scenario() -> None:
        task = view.run()
        assert task is not None
        await until(lambda: len(view.controller.results) >= 2, 10, "a few results")
        window.close_tab(window.tabs.indexOf(view))  # while it runs
        assert not window.probe_views()
        await until(lambda: task.done(), 3, "the battery to stop")
        await asyncio.sleep(0.1)  # the view is deleted; nothing may reach it now

    arun(scenario(), 15)


def test_before_a_run_the_summary_and_progress_count_the_ticked_cases(qtbot: Any) -> None:
    from inspector.probe import CASES

    view = ProbeView("ws://127.0.0.1:9/")
    qtbot.addWidget(view)
    assert view.summary_text().startswith(f"{len(CASES)} cases ticked")
    assert (view.progress.value(), view.progress.maximum()) == (0, len(CASES))
    view.set_categories(["pings", "limits"])
    n = sum(1 for case in CASES if case.category in ("pings", "limits"))
    assert view.summary_text().startswith(f"{n} cases ticked")
    assert view.progress.maximum() == n
    qtbot.mouseClick(view.none_button, Qt.MouseButton.LeftButton)
    assert view.summary_text().startswith("0 cases ticked")
