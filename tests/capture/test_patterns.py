"""Tests of inspector.capture.patterns: which regular expressions can run over the
payload arena at once, which row by row in place, which only payload by payload."""

from __future__ import annotations

import pytest

from inspector.capture.patterns import MATCH, ROWS, SCAN, Plan, literal_of, plan, required_literal


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


@pytest.mark.parametrize(
    ("pattern", "ignore_case", "regex", "expected"),
    [
        (rb"\bALERT", False, True, (b"ALERT", False)),
        (rb"^\{.*ALERT", True, True, (b"ALERT", True)),
        (rb"AL\bERT$", False, True, (b"ALERT", False)),
        (rb"(?i)ab\d", False, True, (b"ab", True)),
        (rb"a{2}bc", False, True, (b"bc", False)),
        (rb"x(ab)y", False, True, None),
        (rb"ab|cd", False, True, None),
        (rb"a.b", False, True, None),
        (rb"(?L)ab", False, True, None),
        (b"a.b+", False, False, (b"a.b+", False)),  # not a regex: all literal
        # Matched as text: ignoring case only ASCII without Unicode case partners
        # (k also matches the Kelvin sign, s the long s, i the dotless i).
        ("grüße", True, False, (b"gr", True)),
        ("grüßen", False, False, ("grüßen".encode(), False)),
        ("Köln-Süd", True, False, (b"ln-", True)),
        ("\ufffdab", False, False, (b"ab", False)),
        ("ßkiß", True, False, None),
    ],
)
def test_required_literal(
    pattern: str | bytes, ignore_case: bool, regex: bool, expected: tuple[bytes, bool] | None
) -> None:
    assert required_literal(pattern, ignore_case=ignore_case, regex=regex) == expected
