"""Saving a check-up: JSON Lines (one object per case) or the self-contained HTML
page, through the probe's report functions."""

from __future__ import annotations

from ...probe import ProbeReport
from ...probe.report import json_lines, render_html

__all__ = ["write_html_report", "write_json_lines"]


def write_json_lines(report: ProbeReport, path: str) -> int:
    """Write one JSON object per case; returns how many. Raises OSError."""
    lines = list(json_lines(report))
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    return len(lines)


def write_html_report(report: ProbeReport, path: str) -> None:
    """Write the HTML report. Raises OSError."""
    text = render_html(report)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
