"""The controller on its own: batches of results as typed signals, and the errors it
explains before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.gui.probe import ProbeController
from inspector.probe import CaseResult, Grade

pytestmark = pytest.mark.gui


def test_a_run_hands_over_batches_in_case_order(
    qapp: Any, echo_server: Any, arun: Any, until: Any
) -> None:
    controller = ProbeController()
    batches: list[list[CaseResult]] = []
    outcomes: list[str] = []
    started: list[int] = []
    controller.started.connect(started.append)
    controller.resultsAdded.connect(batches.append)
    controller.finished.connect(outcomes.append)

    async def scenario() -> None:
        task = controller.start(echo_server.url, ["pings"], concurrency=4)
        assert task is not None and controller.running
        await until(lambda: outcomes, 15, "the check to finish")

    arun(scenario(), 20)
    assert started == [16] and outcomes == ["done"] and not controller.running
    assert all(isinstance(b, list) and b for b in batches)
    got = [r for batch in batches for r in batch]
    assert len(got) == 16 and all(isinstance(r, CaseResult) for r in got)
    report = controller.current_report()
    assert [r.id for r in report][:3] == ["2.1", "2.2", "2.3"]
    assert report.by_id("2.1").grade is Grade.PASSED


def test_what_cannot_start_is_said_at_once(qapp: Any) -> None:
    controller = ProbeController()
    outcomes: list[str] = []
    controller.finished.connect(outcomes.append)
    assert controller.start("http://127.0.0.1:9/", ["pings"]) is None
    assert outcomes == ["error"] and "ws://" in controller.message
    assert controller.start("ws://127.0.0.1:9/", []) is None
    assert controller.message == "no category chosen: tick at least one"
