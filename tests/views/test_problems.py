"""A file's reading problems in one line."""

from __future__ import annotations

from inspector.views.problems import problems_text


def test_problems_are_listed_up_to_a_limit() -> None:
    assert problems_text([]) == ""
    assert problems_text(["line 1: bad"]) == "line 1: bad"
    five = [f"line {i}: bad" for i in range(5)]
    assert problems_text(five) == "line 0: bad; line 1: bad; line 2: bad (and 2 more)"
    assert problems_text(five, limit=5) == "; ".join(five)
