"""The probe's results for people and programs: a text table, JSON Lines, an HTML page.

The HTML report is one self-contained file (inline CSS and a few lines of inline
JavaScript to filter by category, grade and text); it loads nothing from anywhere.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Iterator, Sequence

from .model import CATEGORIES, Grade
from .results import CaseResult, ProbeReport

__all__ = ["format_table", "json_lines", "render_html", "write_html"]

#: The grade words of the window, so that a table and the window say the same.
_MARK = {grade: grade.value for grade in Grade}


def format_table(results: Iterable[CaseResult], *, verbose: bool = False) -> str:
    """One line per case (id, grade, category, title, and the server's close code
    when it was not 1000); the observed behaviour under every case that did not pass
    (the expected and observed behaviour under every case with ``verbose``)."""
    rows = list(results)
    if not rows:
        return ""
    id_w = max(len(r.id) for r in rows)
    grade_w = max(len(_MARK[g]) for g in Grade)
    cat_w = max(len(r.category) for r in rows)
    lines = []
    for r in rows:
        # The code of the server's close frame, unless it was a plain 1000.
        close = f" [{r.close_code}]" if r.close_code not in (None, 1000) else ""
        lines.append(
            f"{r.id:<{id_w}}  {_MARK[r.grade]:<{grade_w}}  {r.category:<{cat_w}}  {r.title}{close}"
        )
        if verbose or r.grade is not Grade.PASSED:
            indent = " " * (id_w + 2)
            if verbose:
                lines.append(f"{indent}expected: {r.expected}")
            lines.append(f"{indent}observed: {r.observed}")
    return "\n".join(lines)


def json_lines(results: Iterable[CaseResult]) -> Iterator[str]:
    """One JSON object per case, without the trailing newline."""
    for r in results:
        yield json.dumps(r.to_json(), ensure_ascii=False)


_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #1d2125; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
.meta { color: #555; margin-bottom: 1em; }
.meta code { background: #f2f3f5; padding: 0 .3em; border-radius: 3px; }
.counts span { display: inline-block; margin-right: .8em; font-weight: 600; }
.controls { margin: 1em 0; display: flex; gap: 1.2em; flex-wrap: wrap; align-items: center; }
.controls label { cursor: pointer; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35em .5em;
         border-bottom: 1px solid #e3e5e8; }
th { background: #f6f7f9; position: sticky; top: 0; }
td.id { white-space: nowrap; font-family: ui-monospace, monospace; }
td.num { text-align: right; white-space: nowrap; font-family: ui-monospace, monospace; }
.g { display: inline-block; min-width: 5.5em; text-align: center; border-radius: 3px;
     padding: 0 .4em; font-weight: 600; color: #fff; }
.passed { background: #2f8a3e; } .non-strict { background: #b7791f; }
.failed { background: #c53030; } .info { background: #4a6fa5; }
.expected { color: #555; }
tr.hidden { display: none; }
"""

_JS = """
function applyFilter() {
  var cat = document.getElementById('cat').value;
  var text = document.getElementById('q').value.toLowerCase();
  var grades = {};
  document.querySelectorAll('input.grade').forEach(function (b) { grades[b.value] = b.checked; });
  var shown = 0;
  document.querySelectorAll('#cases tbody tr').forEach(function (tr) {
    var ok = (cat === '' || tr.dataset.category === cat) && grades[tr.dataset.grade] &&
             (text === '' || tr.textContent.toLowerCase().indexOf(text) >= 0);
    tr.classList.toggle('hidden', !ok);
    if (ok) shown++;
  });
  document.getElementById('shown').textContent = shown;
}
document.querySelectorAll('#cat, #q, input.grade').forEach(function (el) {
  el.addEventListener('input', applyFilter);
  el.addEventListener('change', applyFilter);
});
applyFilter();
"""


def render_html(report: ProbeReport, *, title: str = "WebSocket server check-up") -> str:
    """The report as one self-contained HTML page."""
    e = html.escape
    results: Sequence[CaseResult] = report.results
    counts = report.counts()
    categories = [c for c in CATEGORIES if any(r.category == c for r in results)]
    meta = [f"Server: <code>{e(report.url)}</code>"]
    if report.server:
        meta.append(f"says it is <code>{e(report.server)}</code>")
    meta.append(
        "permessage-deflate: "
        + (f"<code>{e(report.extensions)}</code>" if report.extensions else "not negotiated")
    )
    meta.append(f"started {e(report.started_at)}, ran {report.duration:.1f} s")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}: {e(report.url)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<div class="meta">{"; ".join(meta)}</div>',
    ]
    if report.note:
        out.append(f'<p class="meta"><b>Note:</b> {e(report.note)}</p>')
    if report.unreachable:
        out.append(
            f'<p class="meta"><b>The server became unreachable during the run:</b> '
            f"{e(report.unreachable)}</p>"
        )
    out.append(f'<div class="counts"><span>{e(report.summary())}</span></div>')
    out.append('<div class="controls"><label>Category <select id="cat">')
    out.append('<option value="">all</option>')
    for c in categories:
        n = sum(1 for r in results if r.category == c)
        out.append(f'<option value="{e(c)}">{e(c)} ({n})</option>')
    out.append("</select></label>")
    for g in Grade:
        out.append(
            f'<label><input type="checkbox" class="grade" value="{g.value}" checked> '
            f'<span class="g {g.value}">{g.value}</span> {counts[g]}</label>'
        )
    out.append(
        '<label>Search <input id="q" type="search" placeholder="id, title, code..."></label>'
        '<span><span id="shown"></span> shown</span></div>'
    )
    out.append(
        '<table id="cases"><thead><tr><th>Case</th><th>Grade</th><th>Category</th>'
        "<th>Title</th><th>Expected</th><th>Observed</th><th>Close</th><th>Time</th>"
        "</tr></thead><tbody>"
    )
    for r in results:
        close = "" if r.close_code is None else str(r.close_code)
        out.append(
            f'<tr data-category="{e(r.category)}" data-grade="{r.grade.value}">'
            f'<td class="id">{e(r.id)}</td>'
            f'<td><span class="g {r.grade.value}">{r.grade.value}</span></td>'
            f"<td>{e(r.category)}</td><td>{e(r.title)}</td>"
            f'<td class="expected">{e(r.expected)}</td><td>{e(r.observed)}</td>'
            f'<td class="num">{close}</td><td class="num">{r.duration:.2f} s</td></tr>'
        )
    out.append("</tbody></table>")
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"


def write_html(report: ProbeReport, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_html(report))
