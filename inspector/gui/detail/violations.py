"""The Violations tab: each rule the frame breaks, with its RFC section linked. A
rule we broke on purpose, in a frame we crafted and sent, says so."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QTextBrowser, QWidget

from ...protocol.violations import Violation
from ...views.frame_fields import DELIBERATE_MARK, VIOLATION_MARK
from ..timeline.icons import deliberate_color
from ..widgets import theme
from .common import esc

__all__ = ["ViolationsTab"]


class ViolationsTab(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("violationsList")
        self.setAccessibleName("Violations")
        self.setOpenExternalLinks(True)
        self.setReadOnly(True)

    def show_violations(self, violations: Sequence[Violation]) -> None:
        if not violations:
            self.setHtml("<p><i>This frame breaks no rule.</i></p>")
            return
        th = theme.current(self.palette())
        red = th.violation.name()
        teal = deliberate_color(th).name()
        items = []
        for v in violations:
            rule = v.rule
            where = f" at byte {v.offset:,}" if v.offset is not None else ""
            if v.deliberate:
                mark = f"<span style='color:{teal}'>{DELIBERATE_MARK} sent on purpose</span>"
                consequence = (
                    "We crafted and sent this frame breaking the rule on purpose; a peer "
                    f"that follows the RFC fails the connection with close code "
                    f"{rule.close_code}."
                )
            else:
                mark = f"<span style='color:{red}'>{VIOLATION_MARK}</span>"
                consequence = f"Close code when failing: {rule.close_code}."
            items.append(
                f"<li><p>{mark} "
                f"<a href='{esc(rule.url)}'>{esc(rule.rfc)}</a> "
                f"<code>{esc(rule.slug)}</code>{where}<br>"
                f"<b>{esc(v.message)}</b><br>"
                f"<span>Rule: {esc(rule.summary)}. {consequence}</span></p></li>"
            )
        self.setHtml("<ul>" + "".join(items) + "</ul>")
