"""The results table's models without a server: results made by hand, in any order."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.gui.probe import ProbeFilterModel, ProbeResultsModel
from inspector.gui.probe.model import COL_CLOSE, COL_GRADE, COL_ID, SORT_ROLE
from inspector.probe import CaseResult, Grade

pytestmark = pytest.mark.gui


def result(case_id: str, grade: Grade, close: int | None = 1000, **kw: Any) -> CaseResult:
    category = {"2": "pings", "6": "utf8", "7": "close"}[case_id.split(".")[0]]
    return CaseResult(case_id, category, f"case {case_id}", grade, "e", "o", close, **kw)


RESULTS = [
    result("6.21.2", Grade.FAILED, None),
    result("2.10", Grade.NON_STRICT, 1002),
    result("6.4.1", Grade.INFO, 1007),
    result("2.9", Grade.PASSED),
    result("7.9.4", Grade.PASSED, 1002, close_reason="bad \x1b]0;x\x07 code"),
]


def shown(proxy: ProbeFilterModel) -> list[str]:
    return [r.id for r in proxy.visible_results()]


def test_rows_are_appended_and_shown_in_case_order(qtmodeltester: Any) -> None:
    model = ProbeResultsModel()
    proxy = ProbeFilterModel()
    proxy.setSourceModel(model)
    proxy.sort(COL_ID, Qt.SortOrder.AscendingOrder)
    model.add(RESULTS[:2])
    model.add(RESULTS[2:])
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    assert [r.id for r in model.results] == [r.id for r in RESULTS]  # arrival order
    assert shown(proxy) == ["2.9", "2.10", "6.4.1", "6.21.2", "7.9.4"]
    # The grade column sorts from best to worst, then in case order.
    proxy.sort(COL_GRADE, Qt.SortOrder.AscendingOrder)
    assert shown(proxy) == ["2.9", "7.9.4", "6.4.1", "2.10", "6.21.2"]
    proxy.sort(COL_CLOSE, Qt.SortOrder.AscendingOrder)
    assert shown(proxy)[0] == "6.21.2"  # no close frame first
    assert isinstance(proxy.index(0, COL_CLOSE).data(SORT_ROLE), int)


def test_filters_and_words() -> None:
    model = ProbeResultsModel()
    proxy = ProbeFilterModel()
    proxy.setSourceModel(model)
    model.add(RESULTS)
    proxy.sort(COL_ID, Qt.SortOrder.AscendingOrder)
    proxy.set_grades([Grade.FAILED, Grade.NON_STRICT])
    assert shown(proxy) == ["2.10", "6.21.2"]
    proxy.set_category("utf8")
    assert shown(proxy) == ["6.21.2"]
    proxy.set_category(None)
    proxy.set_grades(Grade)
    proxy.set_text("6.4")
    assert shown(proxy) == ["6.4.1"]
    proxy.set_text("")
    row = shown(proxy).index("7.9.4")
    grade = proxy.index(row, COL_GRADE)
    assert grade.data() == "passed"  # the probe's grade words
    assert grade.data(Qt.ItemDataRole.ToolTipRole).startswith("passed: the behaviour the RFC")
    tip = proxy.index(row, COL_CLOSE).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("1002 (protocol error)") and "\x1b" not in tip
    none = proxy.index(shown(proxy).index("6.21.2"), COL_CLOSE)
    assert none.data() == "—" and none.data(Qt.ItemDataRole.ToolTipRole) == "no close frame"
    model.clear()
    assert proxy.rowCount() == 0
