"""The case registry: large, unique, described; selecting cases by category and id."""

from __future__ import annotations

from collections import Counter

import pytest

from inspector.probe import CASES, CATEGORIES, select_cases
from inspector.probe.cases import Echo, Fail
from inspector.probe.model import case_key


def test_registry_is_large_unique_and_described() -> None:
    assert len(CASES) > 300
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)
    per_category = Counter(c.category for c in CASES)
    assert set(per_category) == set(CATEGORIES)
    assert per_category["utf8"] > 100 and per_category["close"] >= 35
    for case in CASES:
        assert case.title and case.expected and case.rfc and case.steps, case.id
    by_id = {c.id: c for c in CASES}
    # Every valid close code is echoed, every invalid one answered with 1002.
    closes = [c for c in CASES if c.category == "close"]
    for code in (1000, 1003, 1014, 3000, 4999):
        assert any(c.title == f"Close with valid code {code}" for c in closes)
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        assert any(c.title == f"Close with invalid code {code}" for c in closes)
    assert "1002" in by_id["7.9.4"].expected
    # Lengths in every form, text and binary.
    framing_titles = " ".join(c.title for c in CASES if c.id.startswith(("1.1.", "1.2.")))
    for size in ("0 bytes", "125 bytes", "126 bytes", "65535 bytes", "64 KiB", "16 MiB"):
        assert f"Text message of {size}" in framing_titles
        assert f"Binary message of {size}" in framing_titles
    assert isinstance(by_id["6.3.1"].expect, Fail) and by_id["6.3.1"].expect.codes == (1007,)
    assert isinstance(by_id["6.5.1"].expect, Echo)
    assert "1007" in by_id["6.3.1"].expected and "non-strict" in by_id["1.5.1"].expected


def test_select_cases() -> None:
    assert {c.category for c in select_cases(["pings", "close"])} == {"pings", "close"}
    assert [c.id for c in select_cases(ids=["6.4"])] == ["6.4.1", "6.4.2", "6.4.3", "6.4.4"]
    assert [c.id for c in select_cases(["utf8"], ["2.1", "6.1.1"])] == ["6.1.1"]
    with pytest.raises(ValueError, match="unknown category 'nope'"):
        select_cases(["nope"])
    with pytest.raises(ValueError, match="no case"):
        select_cases(ids=["99.1"])


# ------------------------------------------------------------------- graded batteries


def test_cases_are_in_case_order() -> None:
    """The natural order of the ids (6.5.1 before 6.5.2, 7.1.1 before 7.7.1), which is
    also the order of the categories: what every listing shows."""
    ids = [case.id for case in CASES]
    assert ids == sorted(ids, key=case_key)
    assert ids.index("6.5.1") < ids.index("6.5.2") and ids.index("7.1.1") < ids.index("7.7.1")
    categories = list(dict.fromkeys(case.category for case in CASES))
    assert categories == list(CATEGORIES)
    assert [c.id for c in select_cases(["close"])][:3] == ["7.1.1", "7.1.2", "7.1.3"]
