"""The check-up's results as Qt models: a table of the results as they arrive, and
the filtered, sorted view of it the table shows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from ...probe import CASES, CATEGORIES, CaseResult, Grade
from ...protocol.constants import describe_close
from .grades import GRADE_HELP

__all__ = [
    "COL_CATEGORY",
    "COL_CLOSE",
    "COL_GRADE",
    "COL_ID",
    "COL_OBSERVED",
    "COL_TIME",
    "COL_TITLE",
    "HEADERS",
    "RESULT_ROLE",
    "SORT_ROLE",
    "ProbeFilterModel",
    "ProbeResultsModel",
    "close_words",
]

RESULT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_HAS_FILTER_CHANGE = hasattr(QSortFilterProxyModel, "beginFilterChange")
_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}
#: Sort keys are ints (Qt compares them itself): the case order of CASES.
_CASE_ORDER = {case.id: i for i, case in enumerate(CASES)}

COL_ID, COL_CATEGORY, COL_TITLE, COL_GRADE, COL_CLOSE, COL_TIME, COL_OBSERVED = range(7)
HEADERS = ("Case", "Category", "Title", "Grade", "Close", "Time", "Observed")


def close_words(code: int | None, reason: str | None = None) -> str:
    """The server's close frame in words, or that there was none."""
    return "no close frame" if code is None else describe_close(code, reason)


class ProbeResultsModel(QAbstractTableModel):
    """The results in arrival order; rows are only ever appended (or all cleared)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseResult] = []
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)

    @property
    def results(self) -> list[CaseResult]:
        return self._rows

    def add(self, batch: Sequence[CaseResult]) -> None:
        if not batch:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self._rows.extend(batch)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def result(self, row: int) -> CaseResult:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == _DISPLAY:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_GRADE:
                return "\n".join(f"{g.value}: {GRADE_HELP[g]}" for g in Grade)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == _DISPLAY:
            return self._display(r, col)
        if role == RESULT_ROLE:
            return r
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_GRADE:
                return f"{r.grade.value}: {GRADE_HELP[r.grade]}"
            if col == COL_CLOSE:
                return close_words(r.close_code, r.close_reason)
            if col in (COL_TITLE, COL_OBSERVED):
                return f"{r.title}\n\nExpected: {r.expected}\n\nObserved: {r.observed}"
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_CLOSE, COL_TIME):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and col == COL_ID:
            return self._mono
        return None

    @staticmethod
    def _display(r: CaseResult, col: int) -> str:
        if col == COL_ID:
            return r.id
        if col == COL_CATEGORY:
            return r.category
        if col == COL_TITLE:
            return r.title
        if col == COL_GRADE:
            return r.grade.value
        if col == COL_CLOSE:
            return "—" if r.close_code is None else str(r.close_code)
        if col == COL_TIME:
            return f"{r.duration:.2f} s"
        return r.observed

    @staticmethod
    def _sort_key(r: CaseResult, col: int) -> Any:
        order = _CASE_ORDER.get(r.id, len(_CASE_ORDER))
        if col == COL_CATEGORY:
            return _CATEGORY_ORDER.get(r.category, len(CATEGORIES)) * 10_000 + order
        if col == COL_TITLE:
            return r.title.lower()
        if col == COL_GRADE:
            return r.grade.severity * 10_000 + order
        if col == COL_CLOSE:
            return -1 if r.close_code is None else r.close_code
        if col == COL_TIME:
            return r.duration
        if col == COL_OBSERVED:
            return r.observed.lower()
        return order


class ProbeFilterModel(QSortFilterProxyModel):
    """Shows the results of one category (or all), of the ticked grades, whose id,
    title or observed behaviour contains the search text; sorted (case order by
    default) as results arrive."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._category: str | None = None
        self._grades: set[Grade] = set(Grade)
        self._text = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def category(self) -> str | None:
        return self._category

    @property
    def grades(self) -> frozenset[Grade]:
        return frozenset(self._grades)

    def set_category(self, category: str | None) -> None:
        self._change(lambda: setattr(self, "_category", category or None))

    def set_grades(self, grades: Iterable[Grade]) -> None:
        wanted = set(grades)
        self._change(lambda: setattr(self, "_grades", wanted))

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "_text", text.strip().lower()))

    def _change(self, apply: Callable[[], None]) -> None:
        if _HAS_FILTER_CHANGE:  # Qt 6.9 and later
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        model = self.sourceModel()
        if not isinstance(model, ProbeResultsModel):
            return True
        r = model.result(source_row)
        if self._category is not None and r.category != self._category:
            return False
        if r.grade not in self._grades:
            return False
        if self._text:
            t = self._text
            return t in r.id.lower() or t in r.title.lower() or t in r.observed.lower()
        return True

    def result(self, row: int) -> CaseResult:
        value = self.index(row, 0).data(RESULT_ROLE)
        assert isinstance(value, CaseResult)
        return value

    def visible_results(self) -> list[CaseResult]:
        return [self.result(row) for row in range(self.rowCount())]
