"""Tools > Scripts… in the real window against our echo server: a script that
answers a message (its log lines on the Script page), one that raises (the banner,
the traceback under Details…, the connection alive), one that sleeps (reported as
slow), Detach, new connections, and a script that cannot be loaded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _gui_support import by_name, click
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton

from inspector.automation.messages import messages_of
from inspector.gui.automation.script_views import ScriptBanner, ScriptLogView
from inspector.gui.automation.scripts_dialog import ScriptsDialog
from inspector.protocol.constants import Role

pytestmark = pytest.mark.gui

SCRIPT = """
import time

def on_message(conn, message):
    text = message.text
    if text == "question":
        conn.send_text("answer: " + text)
        conn.log("answered", text)
    elif text == "raise":
        {}["missing"]
    elif text == "sleep":
        time.sleep(0.3)
"""


def _answers(panel: Any) -> list[bytes]:
    return [m.data for m in messages_of(panel.controller.store, Role.SERVER)]


def _script(tmp_path: Path, text: str = SCRIPT, name: str = "answer.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


async def _connected(window: Any, url: str) -> Any:
    panel = window.current_panel()
    await panel.connect_to(url)
    assert panel.controller.is_open
    return panel


def _dialog(window: Any, path: str, *, follow: bool = False) -> ScriptsDialog:
    window.scripts_action.trigger()
    dialog = window.automation().scripts_dialog
    assert isinstance(dialog, ScriptsDialog) and not dialog.isHidden()
    by_name(dialog, QLineEdit, "Script file").setText(path)
    by_name(dialog, QCheckBox, "Attach to new connections").setChecked(follow)
    return dialog


def test_a_script_answers_raises_and_sleeps_and_the_connection_goes_on(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    window.automation().scripts.slow_after = 0.1
    path = _script(tmp_path)

    async def main() -> None:
        panel = await _connected(window, echo_server.url)
        dialog = _dialog(window, path)
        click(qtbot, by_name(dialog, QPushButton, "Attach the script"))
        status = by_name(dialog, QLabel, "Script status").text()
        assert "answer.py is attached to" in status and "on 1 connection" in status

        panel.controller.send_text("question")
        await until(lambda: b"answer: question" in _answers(panel), what="the answer")
        page = panel.findChild(ScriptLogView, "scriptLogView")
        assert page is not None
        await until(lambda: "answered question" in page.lines(), what="the log line")
        assert panel.side_tabs.indexOf(page) >= 0

        panel.controller.send_text("raise")
        banner = panel.findChild(ScriptBanner, "scriptBanner")
        assert banner is not None
        await until(lambda: not banner.isHidden(), what="the banner")
        assert "on_message raised KeyError" in banner.text()
        assert "the connection goes on" in banner.label.text()
        click(qtbot, by_name(banner, QPushButton, "Show the traceback"))
        assert banner.box is not None
        assert "line 10, in on_message" in banner.box.detailedText()
        assert path in banner.box.detailedText()
        banner.box.close()

        panel.controller.send_text("sleep")
        await until(lambda: "Slow script hook" in banner.label.text(), what="the slow report")
        panel.controller.send_text("still here")
        await until(lambda: b"still here" in _answers(panel), what="the echo after")
        assert panel.controller.is_open

        # The Script page: every report, the selected one's traceback below.
        click(qtbot, by_name(banner, QPushButton, "Show the script's log"))
        assert panel.side_tabs.currentWidget() is page
        assert any("error: on_message raised KeyError" in line for line in page.lines())
        assert any(line.startswith("slow: on_message") for line in page.lines())
        entry = by_name(page, QPlainTextEdit, "Script log entry")
        assert entry.toPlainText().startswith("slow: on_message")  # the banner's, selected
        page.list.setCurrentRow(next(i for i, x in enumerate(page.lines()) if "KeyError" in x))
        assert 'File "' + path + '", line 10' in entry.toPlainText()

        # Detached: no more answers, the connection open.
        click(qtbot, by_name(dialog, QPushButton, "Detach the script"))
        assert "No script is attached" in by_name(dialog, QLabel, "Script status").text()
        before = _answers(panel).count(b"answer: question")
        panel.controller.send_text("question")
        await until(lambda: _answers(panel).count(b"question") == 2, what="the echo")
        await asyncio.sleep(0.05)
        assert _answers(panel).count(b"answer: question") == before
        assert panel.controller.is_open

    arun(main(), timeout=20)


def test_a_script_attaches_to_connections_started_later(
    loop: Any,
    arun: Callable[..., Any],
    window: Any,
    qtbot: Any,
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = _script(tmp_path)

    async def main() -> None:
        dialog = _dialog(window, path, follow=True)
        click(qtbot, by_name(dialog, QPushButton, "Attach the script"))
        assert (
            "attaches to every connection started later"
            in by_name(dialog, QLabel, "Script status").text()
        )
        panel = window.new_session()
        await _connected(window, echo_server.url)
        panel.controller.send_text("question")
        await until(lambda: b"answer: question" in _answers(panel), what="the answer")
        assert len(window.automation().scripts.attached()) == 1

    arun(main())


def test_without_a_live_connection_the_script_must_follow_new_ones(
    loop: Any, arun: Callable[..., Any], window: Any, qtbot: Any, tmp_path: Path
) -> None:
    async def main() -> None:
        dialog = _dialog(window, _script(tmp_path))
        assert not dialog.attach()
        assert "no live connection" in by_name(dialog, QLabel, "Script status").text()
        assert window.automation().scripts.script is None

    arun(main())


def test_a_script_that_cannot_be_loaded_says_why_with_its_traceback(
    loop: Any, arun: Callable[..., Any], window: Any, echo_server: Any, tmp_path: Path
) -> None:
    broken = _script(tmp_path, "import nowhere_to_be_found\n", "broken.py")

    async def main() -> None:
        await _connected(window, echo_server.url)
        dialog = _dialog(window, broken)
        assert not dialog.attach()
        assert (
            "raised ModuleNotFoundError when loaded"
            in by_name(dialog, QLabel, "Script status").text()
        )
        problem = by_name(dialog, QPlainTextEdit, "Script problem")
        assert not problem.isHidden() and "nowhere_to_be_found" in problem.toPlainText()
        assert window.automation().scripts.script is None

    arun(main())
