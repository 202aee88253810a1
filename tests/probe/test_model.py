"""The case language's own rules: the order of grades and of case ids."""

from __future__ import annotations

from inspector.probe import Grade
from inspector.probe.model import case_key


def test_grades_are_ordered_from_best_to_worst() -> None:
    order = sorted(Grade, key=lambda g: g.severity)
    assert order == [Grade.PASSED, Grade.INFO, Grade.NON_STRICT, Grade.FAILED]
    # What "fail on non-strict" means: non-strict or worse.
    assert [g for g in Grade if g.at_least(Grade.NON_STRICT)] == [Grade.NON_STRICT, Grade.FAILED]
    assert [g for g in Grade if g.at_least(Grade.FAILED)] == [Grade.FAILED]
    assert all(g.at_least(Grade.PASSED) for g in Grade)
    assert not Grade.INFO.at_least(Grade.NON_STRICT)
    # The words are the window's and the reports': the values, read back by Grade().
    assert [g.value for g in Grade] == ["passed", "non-strict", "failed", "info"]
    assert Grade("non-strict") is Grade.NON_STRICT


def test_case_ids_sort_naturally() -> None:
    ids = ["1.1.10", "12.1.1", "6.21.2", "1.1.2", "6.4.1", "2.10", "2.9", "7.1.1"]
    assert sorted(ids, key=case_key) == [
        "1.1.2",
        "1.1.10",
        "2.9",
        "2.10",
        "6.4.1",
        "6.21.2",
        "7.1.1",
        "12.1.1",
    ]
