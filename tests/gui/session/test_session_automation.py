"""The GUI's automation adapter against real peers on loopback: a capture replayed
on a session controller (our echo server, a websockets server that answers
differently, a stopped replay), and a script's hooks on a controller's live
connection (answering, raising, sleeping, detached, ended with the connection)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _gui_support import record

from inspector.automation.messages import messages_of
from inspector.capture.events import Direction
from inspector.capture.store import CaptureStore
from inspector.gui.session.automation import (
    ConnectionHooks,
    DifferenceKind,
    HookReport,
    ReportKind,
    Script,
    live_connection,
    plan_replay,
    start_replay,
)
from inspector.gui.session.controller import SessionController
from inspector.protocol.constants import Role

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------------ replay
def test_replay_against_our_server_finds_no_difference(
    loop: Any, arun: Callable[..., Any], echo_server: Any
) -> None:
    captured = arun(record(echo_server.url))
    controller = SessionController()
    plan = plan_replay(captured)
    job = start_replay(controller, echo_server.url, captured, plan, 0.0, compare=True)
    outcome = arun(job.task)
    assert outcome.opened and outcome.reason == ""
    assert outcome.sent == outcome.steps == len(plan.steps) == 4
    assert outcome.compared and outcome.differences == []
    # The replay is the controller's own capture, like any connection of a tab.
    assert controller.store is job.store and job.store is not None
    sent = [m.data for m in messages_of(job.store, Role.CLIENT)]
    assert sent == [b"hello", b"\x00\x01\x02", b"how are you"]
    assert job.conn.final_state is not None and job.conn.final_state.code == 4000


def test_replay_lists_how_a_different_server_answers(
    loop: Any, arun: Callable[..., Any], echo_server: Any, shouting_server: str
) -> None:
    captured = arun(record(echo_server.url))
    controller = SessionController()
    job = start_replay(
        controller, shouting_server, captured, plan_replay(captured), 0.0, compare=True
    )
    outcome = arun(job.task)
    kinds = [d.kind for d in outcome.differences]
    assert kinds == [DifferenceKind.MISSING, DifferenceKind.PAYLOAD, DifferenceKind.CLOSE]
    missing, payload, _close = outcome.differences
    assert missing.index == 1 and missing.captured == "text 'hello'"
    # The captured third answer is the replay's second: both numbers are kept.
    assert (payload.index, payload.replayed_index) == (3, 2)
    assert payload.replayed == "text 'HOW ARE YOU'"


def test_a_stopped_replay_sends_nothing_more_and_closes(
    loop: Any, arun: Callable[..., Any], echo_server: Any, until: Callable[..., Any]
) -> None:
    captured = arun(record(echo_server.url))
    plan = plan_replay(captured)
    # Everything after the first step an hour later: only Stop ends it.
    plan.steps[1:] = [dataclasses.replace(s, t=3600.0) for s in plan.steps[1:]]
    controller = SessionController()
    job = start_replay(controller, echo_server.url, captured, plan, 1.0, compare=False)

    async def main() -> Any:
        await until(lambda: job.store is not None and len(job.store) >= 1, what="the first step")
        assert job.running
        job.stop()
        assert job.task is not None
        return await job.task

    outcome = arun(main())
    assert outcome.stopped and not outcome.compared
    assert outcome.sent < outcome.steps
    assert job.conn.final_state is not None and job.conn.final_state.code == 1000
    assert job.store is not None
    assert [m.data for m in messages_of(job.store, Role.CLIENT)] == [b"hello"]


def test_a_replay_that_cannot_connect_says_why(loop: Any, arun: Callable[..., Any]) -> None:
    captured = CaptureStore(dataclasses.replace(_closed_session_info()))
    controller = SessionController()
    job = start_replay(
        controller, "ws://127.0.0.1:9/", captured, plan_replay(captured), 0.0, compare=True
    )
    outcome = arun(job.task)
    assert not outcome.opened and outcome.sent == 0
    assert outcome.reason  # the engine's words: refused


def _closed_session_info() -> Any:
    from inspector.capture.events import SessionInfo, SessionRole

    return SessionInfo(
        url="ws://127.0.0.1:9/",
        role=SessionRole.CLIENT,
        started_at="2024-05-01T12:00:00+00:00",
        started_unix=1714564800.0,
    )


# ------------------------------------------------------------------------- hooks
SCRIPT = """
import time

def on_message(conn, message):
    text = message.text
    if text == "question":
        conn.send_text("answer: " + text)
        conn.log("answered", text)
    elif text == "raise":
        1 / 0
    elif text == "sleep":
        time.sleep(0.3)
"""


def _live(arun: Callable[..., Any], url: str) -> SessionController:
    controller = SessionController()
    arun(controller.connect_to(url))
    assert controller.is_open
    return controller


def _answers(controller: SessionController) -> list[bytes]:
    assert controller.store is not None
    return [m.data for m in messages_of(controller.store, Role.SERVER)]


def test_hooks_answer_raise_and_sleep_without_killing_the_connection(
    loop: Any,
    arun: Callable[..., Any],
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "answer.py"
    path.write_text(SCRIPT)
    controller = _live(arun, echo_server.url)
    conn = live_connection(controller)
    assert conn is not None
    reports: list[HookReport] = []
    hooks = ConnectionHooks(Script.load(path), conn, reports.append, slow_after=0.1)

    async def main() -> None:
        controller.send_text("question")
        # The echo, then the hook's answer to the echoed question, then its echo.
        await until(lambda: b"answer: question" in _answers(controller), what="the answer")
        controller.send_text("raise")
        await until(lambda: any(r.kind is ReportKind.ERROR for r in reports), what="the error")
        controller.send_text("sleep")
        await until(lambda: any(r.kind is ReportKind.SLOW for r in reports), what="slow")
        controller.send_text("still here")
        await until(lambda: b"still here" in _answers(controller), what="the echo after")

    arun(main())
    error = next(r for r in reports if r.kind is ReportKind.ERROR)
    assert error.hook == "on_message" and "ZeroDivisionError" in error.text
    assert str(path) in error.detail and "1 / 0" in error.detail
    slow = next(r for r in reports if r.kind is ReportKind.SLOW)
    assert slow.hook == "on_message"
    assert [r.text for r in reports if r.kind is ReportKind.LOG] == ["answered question"]
    assert controller.is_open and hooks.errors == 1 and hooks.slow >= 1
    arun(hooks.aclose())


def test_detached_hooks_are_no_longer_called_and_the_connection_goes_on(
    loop: Any,
    arun: Callable[..., Any],
    echo_server: Any,
    until: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "answer.py"
    path.write_text(SCRIPT)
    controller = _live(arun, echo_server.url)
    conn = live_connection(controller)
    assert conn is not None
    before = conn.on_message  # the session's own (the Engine.IO answerer), if any
    hooks = ConnectionHooks(Script.load(path), conn, lambda _r: None)
    assert conn.on_message is not None
    hooks.detach()
    assert conn.on_message == before and hooks.ended

    async def main() -> None:
        controller.send_text("question")
        controller.send_text("after")
        await until(lambda: b"after" in _answers(controller), what="the echoes")
        await asyncio.sleep(0.05)

    arun(main())
    assert _answers(controller) == [b"question", b"after"]
    assert controller.is_open


def test_hooks_end_with_their_connection(
    loop: Any, arun: Callable[..., Any], echo_server: Any, until: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "closing.py"
    path.write_text("seen = []\ndef on_close(conn, code, reason):\n    seen.append(code)\n")
    controller = _live(arun, echo_server.url)
    conn = live_connection(controller)
    assert conn is not None
    script = Script.load(path)
    hooks = ConnectionHooks(script, conn, lambda _r: None)
    ended: list[ConnectionHooks] = []
    hooks.on_end = ended.append

    async def main() -> None:
        controller.close_connection(1000)
        await until(lambda: hooks.ended, what="the hooks to end")
        await asyncio.sleep(0.05)

    arun(main())
    assert ended == [hooks] and script.module.seen == [1000]
    assert live_connection(controller) is None
    assert hooks.runner._watchdog is None  # the watchdog thread was stopped
    assert controller.store is not None
    assert controller.store.counters(Direction.IN).frames >= 1
