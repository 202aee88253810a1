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
    assert lines[0].split() == ["1.1", "ok", "framing", "A", "<b>"]  # 1000: not shown
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
