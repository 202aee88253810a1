"""The check-up pane's words: the summary line and the selected case's detail, as
rich text for Qt labels, with the same line in plain words for accessibility and
tests. Pure functions of the results: no widget is involved."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...probe import CaseResult, Grade, ProbeReport
from ...probe.case import Case
from ...views.text import escape_control
from .grades import GRADE_COLORS, GRADE_HELP
from .model import close_words

__all__ = ["EMPTY_DETAIL", "Summary", "count_grades", "detail_html", "summary"]

#: The detail pane before a case is selected.
EMPTY_DETAIL = (
    "<p style='color:gray'>Select a case to see what a conforming server does and what "
    "this one did. Double-click a case (or <b>Open capture</b>) to see every frame of "
    "its connection.</p>"
)


@dataclass(frozen=True, slots=True)
class Summary:
    """The summary line: ``rich`` for the label, ``plain`` for people who cannot see
    it (the label's accessible description)."""

    rich: str
    plain: str


def count_grades(results: Iterable[CaseResult]) -> dict[Grade, int]:
    counts = dict.fromkeys(Grade, 0)
    for r in results:
        counts[r.grade] += 1
    return counts


def _peer(text: str) -> str:
    """Peer-controlled text (a Server header, a reason) for rich text."""
    return html.escape(escape_control(text))


def summary(
    results: Sequence[CaseResult],
    *,
    colors: dict[Grade, str],
    running: bool,
    outcome: str,
    total: int,
    ticked: int,
    report: ProbeReport | None = None,
    message: str = "",
    extra: str = "",
    error: bool = False,
) -> Summary:
    """The summary for the state of a check: under way (``running``), finished with
    ``outcome`` "done", "stopped" or "error" (``message`` says why), or not run yet
    (``ticked`` cases chosen). ``extra`` is a line below (an error when ``error``)."""
    counts = count_grades(results)
    red = colors[Grade.FAILED]
    parts = ", ".join(
        f'<span style="color:{colors[g]}; font-weight:600">{counts[g]} {g.value}</span>'
        for g in Grade
    )
    plain_parts = ", ".join(f"{counts[g]} {g.value}" for g in Grade)
    n = len(results)
    cases = f"{n} case{'' if n == 1 else 's'}"
    lines: list[str] = []
    if running:
        head, plain = f"<b>{n} of {total} cases</b>: {parts} …", f"{n} of {total}: "
    elif outcome == "done":
        head, plain = f"<b>{cases}</b>: {parts}", f"{cases}: "
        if report is not None:
            head += f" in {report.duration:.1f} s"
            if report.server:
                head += f" · server says {_peer(report.server)}"
            if report.unreachable:
                head += (
                    f' · <span style="color:{red}">'
                    f"the server became unreachable: {html.escape(report.unreachable)}</span>"
                )
            if report.note:
                note = report.note[:1].upper() + report.note[1:]
                shown = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(note))
                lines.append(f'<span style="color:{colors[Grade.NON_STRICT]}">{shown}.</span>')
                plain_parts += f". {note}."
    elif outcome == "stopped":
        head = f"<b>Stopped after {n} of {total} cases</b>: {parts}"
        plain = f"Stopped after {n} of {total} cases: "
    elif outcome == "error":
        head = f'<span style="color:{red}"><b>{html.escape(message)}</b></span>'
        plain = message + " "
        if n:
            head += f" — {parts}"
        else:
            plain_parts = ""
    else:
        head = (
            f"{ticked} cases ticked. The server must echo every text and binary message; "
            "each case opens its own connection."
        )
        plain, plain_parts = head, ""
    if extra:
        color = red if error else "palette(text)"
        lines.append(f'<span style="color:{color}">{html.escape(extra)}</span>')
    rich = "<br>".join([head, *lines])
    return Summary(rich, (plain + plain_parts + " " + extra).strip())


def detail_html(result: CaseResult, case: Case | None) -> str:
    """Expected against observed behaviour of one case, with what its grade means."""
    e = html.escape
    help_text = GRADE_HELP[result.grade]
    badge = (
        f'<span style="background:{GRADE_COLORS[result.grade]}; color:white; '
        f'font-weight:600">&nbsp;{e(result.grade.value)}&nbsp;</span>'
    )
    meta = [e(result.category)]
    if case is not None and case.rfc:
        meta.append(e(case.rfc))
    meta.append(f"close frame: {_peer(close_words(result.close_code, result.close_reason))}")
    meta.append(f"{result.duration:.2f} s")
    if result.store is not None:
        meta.append(f"{len(result.store)} frames captured")
    return (
        f"<p><b>{e(result.id)}</b> — {e(result.title)}<br>{badge}&nbsp; "
        f"<span style='color:gray'>{' · '.join(meta)}</span></p>"
        f"<p><b>Expected:</b> {e(result.expected)}</p>"
        f"<p><b>Observed:</b> {_peer(result.observed)}</p>"
        f"<p style='color:gray'>{e(help_text[:1].upper() + help_text[1:])}.</p>"
    )
