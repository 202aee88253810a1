"""The pane's words without widgets: the summary line and a case's detail."""

from __future__ import annotations

import pytest

from inspector.gui.probe import GRADE_COLORS
from inspector.gui.probe.text import EMPTY_DETAIL, Summary, detail_html, summary
from inspector.probe import CASES, CaseResult, Grade, ProbeReport

pytestmark = pytest.mark.gui

COLORS = {g: f"#00000{i}" for i, g in enumerate(Grade)}
RESULTS = (
    CaseResult("2.1", "pings", "Ping", Grade.PASSED, "pong", "answered the ping", 1000),
    CaseResult("2.5", "pings", "Big ping", Grade.FAILED, "fail", "answered it", None),
)


def report(server: str | None) -> ProbeReport:
    return ProbeReport("ws://127.0.0.1:1/", RESULTS, "2025-01-01T00:00:00+00:00", 1.25, server)


def test_before_during_and_after_a_run() -> None:
    before = summary((), colors=COLORS, running=False, outcome="", total=0, ticked=16)
    assert before.plain.startswith("16 cases ticked. The server must echo")
    during = summary(RESULTS[:1], colors=COLORS, running=True, outcome="", total=16, ticked=16)
    assert during.plain == "1 of 16: 1 passed, 0 non-strict, 0 failed, 0 info"
    assert f"color:{COLORS[Grade.PASSED]}" in during.rich
    done = summary(
        RESULTS,
        colors=COLORS,
        running=False,
        outcome="done",
        total=2,
        ticked=16,
        report=report("nginx \x1b]0;owned\x07"),
    )
    assert done.plain == "2 cases: 1 passed, 0 non-strict, 1 failed, 0 info"
    assert "in 1.2 s" in done.rich and "\x1b" not in done.rich and "\\e]0;owned" in done.rich
    stopped = summary(RESULTS, colors=COLORS, running=False, outcome="stopped", total=9, ticked=9)
    assert stopped.plain.startswith("Stopped after 2 of 9 cases: 1 passed")
    error = summary(
        (), colors=COLORS, running=False, outcome="error", total=0, ticked=9, message="no <b>"
    )
    assert "no &lt;b&gt;" in error.rich and error.plain == "no <b>"
    extra = summary((), colors=COLORS, running=False, outcome="", total=0, ticked=1, extra="x")
    assert extra.rich.endswith('<span style="color:palette(text)">x</span>')


def test_the_summary_says_when_the_server_is_our_lenient_one() -> None:
    def done(server: str) -> Summary:
        return summary(
            RESULTS,
            colors=COLORS,
            running=False,
            outcome="done",
            total=2,
            ticked=2,
            report=report(server),
        )

    lenient = done("ws-inspector/0.1.0 (observe)")
    assert lenient.plain.startswith("2 cases: 1 passed")
    assert "observe mode" in lenient.plain and "ws-inspector serve --strict" in lenient.rich
    strict = done("ws-inspector/0.1.0 (strict)")
    assert "serve --strict" not in strict.rich


def test_the_detail_of_a_case() -> None:
    case = next(c for c in CASES if c.id == "2.5")
    result = CaseResult(
        "2.5", "pings", case.title, Grade.FAILED, case.expected, "said '<x>'", 1002, "r\x07"
    )
    page = detail_html(result, case)
    assert GRADE_COLORS[Grade.FAILED] in page and case.rfc in page
    assert "&lt;x&gt;" in page and "\x07" not in page
    assert "1002 (protocol error)" in page and "Expected:" in page
    assert "Select a case" in EMPTY_DETAIL
