"""The header field table under the bit figure: field, bits, meaning, and the rules
a field breaks. A rich-text table in a wrapping label: the meaning column wraps in a
narrow pane instead of running off its right edge, and long bit strings (a key, a
64-bit length) wrap between their bytes."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ...views.frame_fields import BitField, describe_fields, field_table
from ..timeline.icons import deliberate_color
from ..widgets import theme
from .common import esc, make_label

__all__ = ["make_field_table", "show_fields"]


def make_field_table(parent: QWidget) -> QLabel:
    label = make_label(parent, "headerFields", "Header fields", rich=True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def show_fields(label: QLabel, fields: Sequence[BitField]) -> None:
    """Fill ``label`` with the table of ``fields`` (empty: nothing)."""
    if not fields:
        label.clear()
        label.setAccessibleDescription("")
        return
    th = theme.current(label.palette())
    mono = esc(theme.monospace_font().family())
    red = th.violation.name()
    teal = deliberate_color(th).name()
    muted = th.muted.name()
    rows = []
    for f, row in zip(fields, field_table(fields), strict=True):
        rows.append(
            f"<tr><td style='padding-right:10px'><b>{esc(row.name)}</b></td>"
            f"<td style='padding-right:10px; font-family:\"{mono}\"'>{esc(row.bits)}</td>"
            f"<td>{esc(row.meaning)}</td></tr>"
        )
        for v, line in zip(f.violations, row.problems, strict=True):
            color = teal if v.deliberate else red
            rows.append(f"<tr><td></td><td colspan='2' style='color:{color}'>{esc(line)}</td></tr>")
    label.setText(
        f"<table cellspacing='0' cellpadding='1' style='color:{th.text.name()}'>"
        f"<tr><td style='color:{muted}'>field</td><td style='color:{muted}'>bits</td>"
        f"<td style='color:{muted}'>meaning</td></tr>" + "".join(rows) + "</table>"
    )
    label.setAccessibleDescription(describe_fields(fields))
