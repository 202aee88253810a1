"""How the window shows a grade: the badge colours, the words on the window's
background, and what each grade means. The grade words themselves are the probe's
(:class:`inspector.probe.Grade` values), the same in the window and every report."""

from __future__ import annotations

from ...probe import Grade
from ..widgets import theme

__all__ = ["GRADE_COLORS", "GRADE_HELP", "word_colors"]

#: Badge colours: white text is readable on each, on light and dark palettes alike.
GRADE_COLORS: dict[Grade, str] = {
    Grade.PASSED: "#2f8a3e",
    Grade.NON_STRICT: "#b7791f",
    Grade.FAILED: "#c53030",
    Grade.INFO: "#6b7280",
}
GRADE_HELP: dict[Grade, str] = {
    Grade.PASSED: "the behaviour the RFC requires (or recommends) was observed",
    Grade.NON_STRICT: "allowed, but not the best behaviour (e.g. a TCP drop instead of a "
    "close frame with the right code)",
    Grade.FAILED: "the server broke a MUST of the RFC",
    Grade.INFO: "no right answer: what the server did is worth knowing",
}


def word_colors() -> dict[Grade, str]:
    """Grade colours for words on the window's background, from the palette's theme:
    the badge colours are made for white text and are too dark on a dark palette
    (the failed red: 2.6:1 on a near-black window)."""
    t = theme.current()
    return {
        Grade.PASSED: t.incoming.name(),
        Grade.NON_STRICT: t.control.name(),
        Grade.FAILED: t.violation.name(),
        Grade.INFO: t.muted.name(),
    }
