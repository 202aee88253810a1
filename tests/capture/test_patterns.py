"""Tests of inspector.capture.patterns: which regular expressions can run over the
payload arena at once, which row by row in place, which only payload by payload."""

from __future__ import annotations

import pytest

from inspector.capture.patterns import MATCH, ROWS, SCAN, Plan, literal_of, plan


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (rb"a+(b|c){2}[^x]", Plan(SCAN, rb"a+(b|c){2}[^x]")),
        (rb"(a)\1", Plan(SCAN, rb"(a)\1")),
        (rb"(?m)a.b", Plan(SCAN, rb"(?m)a.b")),
        (rb"ab$", Plan(ROWS, rb"ab$")),
        (rb"x\Z", Plan(ROWS, rb"x\Z")),
        (rb"[a]{1,2}(?=c)", Plan(ROWS, rb"[a]{1,2}(?=c)")),
        (rb"(x|y$)+", Plan(ROWS, rb"(x|y$)+")),
        (rb"^ab", Plan(MATCH, rb"ab")),
        (rb"\Aab$", Plan(MATCH, rb"ab$")),
        (rb"^", Plan(MATCH, rb"")),
        (rb"(?m)\Aab", None),  # inline flags before the anchor
        (rb"(?m)^ab", None),  # ^ after any newline
        (rb"^a|b", None),  # the anchor binds to one branch
        (rb"a^b", None),
        (rb"^a^", None),
        (rb"\bab", None),
        (rb"ab\B", None),
        (rb"(x|(?:y\b))+", None),
        (rb"(?<=a)b", None),
        (rb"(?<!a)b", None),
        (rb"(?=(?<=a))b", None),
        (rb"(", None),
    ],
)
def test_plan(pattern: bytes, expected: Plan | None) -> None:
    assert plan(pattern) == expected


def test_literal_patterns_are_found_as_literals() -> None:
    assert literal_of(rb"alert") == (b"alert", False)
    assert literal_of(rb"a\.b") == (b"a.b", False)
    assert literal_of(rb"ab[c]") == (b"abc", False)
    assert literal_of(rb"(?i)ALERT") == (b"ALERT", True)
    assert literal_of(rb"a.b") is None and literal_of(rb"ab+") is None
    assert literal_of(rb"(?L)ab") is None
    assert literal_of(rb"(") is None
