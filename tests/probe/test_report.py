"""The probe's results for people and programs: the text table, JSON Lines, HTML."""

from __future__ import annotations

import json
import re

from inspector.probe import CaseResult, Grade, ProbeReport
from inspector.probe.report import format_table, json_lines, render_html


def test_report_formats() -> None:
    results = (
        CaseResult("1.1", "framing", "A <b>", Grade.PASSED, "echo", "echoed", 1000, None, 0.01),
        CaseResult("6.3", "utf8", "Bad", Grade.FAILED, "fail with 1007", "echoed it", None),
        CaseResult("7.9", "close", "Code 0", Grade.NON_STRICT, "1002", "answered 0", 0),
    )
    report = ProbeReport("ws://127.0.0.1:1/", results, "2025-01-01T00:00:00+00:00", 1.5)
    assert report.summary() == "3 cases: 1 passed, 1 non-strict, 1 failed, 0 info"
    table = format_table(report)
    lines = table.splitlines()
    assert lines[0].split() == ["1.1", "passed", "framing", "A", "<b>"]  # 1000: not shown
    assert "observed: echoed it" in table and "observed: echoed\n" not in table + "\n"
    assert lines[-2].endswith("Code 0 [0]") and lines[-1].endswith("observed: answered 0")
    records = [json.loads(line) for line in json_lines(report)]
    assert [r["grade"] for r in records] == ["passed", "failed", "non-strict"]
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<script>" in page
    assert "A &lt;b&gt;" in page and "A <b>" not in page
    assert 'data-grade="non-strict"' in page and 'value="utf8"' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # self-contained


# ----------------------------------------------------------------------------- the CLI


def test_reports_list_cases_in_case_order_with_the_windows_grade_words() -> None:
    results = tuple(
        CaseResult(case_id, "utf8", f"case {case_id}", grade, "e", "o")
        for case_id, grade in (
            ("6.10.1", Grade.FAILED),
            ("6.2.1", Grade.NON_STRICT),
            ("6.2.10", Grade.INFO),
            ("6.2.2", Grade.PASSED),
        )
    )
    report = ProbeReport("ws://127.0.0.1:1/", results, "2025-01-01T00:00:00+00:00", 1.0)
    assert [r.id for r in report] == ["6.2.1", "6.2.2", "6.2.10", "6.10.1"]
    table = format_table(report)
    rows = [line.split()[:2] for line in table.splitlines() if not line.startswith(" ")]
    assert rows == [
        ["6.2.1", "non-strict"],
        ["6.2.2", "passed"],
        ["6.2.10", "info"],
        ["6.10.1", "failed"],
    ]
    assert [json.loads(line)["id"] for line in json_lines(report)][-1] == "6.10.1"
    page = render_html(report)
    assert page.index(">6.2.10<") < page.index(">6.10.1<")
    assert report.worst() is Grade.FAILED


def test_the_reports_say_when_the_server_is_our_lenient_one() -> None:
    results = (CaseResult("2.5", "pings", "Ping of 126", Grade.FAILED, "fail", "answered"),)
    started = "2025-01-01T00:00:00+00:00"
    ours = ProbeReport(
        "ws://127.0.0.1:1/", results, started, 1.0, server="ws-inspector/0.1.0 (observe)"
    )
    assert ours.note is not None and "ws-inspector serve --strict" in ours.note
    assert "ws-inspector serve --strict" in render_html(ours)
    for other in ("ws-inspector/0.1.0 (strict)", "Python/3.11 websockets/13.1", None):
        report = ProbeReport("ws://127.0.0.1:1/", results, started, 1.0, server=other)
        assert report.note is None and "serve --strict" not in render_html(report)
