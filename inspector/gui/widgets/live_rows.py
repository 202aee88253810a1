"""A table of live connections (a proxy's, a server's clients), updated in batches.

:class:`LiveRowsModel` takes a runner's coalesced ticks (:meth:`LiveRowsModel.apply`:
new rows in one insert, changed rows in one ``dataChanged`` over their span), never
one update per frame. A subclass names its columns and says what a cell and a row's
tooltip read (Qt-free functions of the row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = ["LiveRowsModel"]


class _Row(Protocol):
    @property
    def conn(self) -> int: ...


R = TypeVar("R", bound=_Row)


class LiveRowsModel(QAbstractTableModel, Generic[R]):
    """Rows keyed by their ``conn`` number, in the order they came."""

    ConnIdRole = Qt.ItemDataRole.UserRole + 1
    #: (title, tooltip) of each column, and the columns aligned right.
    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    NUMERIC: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []
        self._index: dict[int, int] = {}  # conn number -> row
        #: How many times rows were inserted / changed (tests: batches, not frames).
        self.inserts = 0
        self.changes = 0

    def cell(self, row: R, column: int) -> str:
        raise NotImplementedError

    def tooltip(self, row: R) -> str:
        raise NotImplementedError

    # ----------------------------------------------------------- reading
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def row(self, index: int) -> R:
        return self._rows[index]

    def row_of(self, conn_id: int) -> int:
        """The row of connection ``conn_id``, or -1."""
        return self._index.get(conn_id, -1)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.ConnIdRole:
            return row.conn
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.COLUMNS[section][1]
        return None

    # ---------------------------------------------------------- updating
    def apply(self, new: Sequence[R], changed: Sequence[R]) -> None:
        """One tick of the runner: ``new`` rows appended in one insert, ``changed``
        rows replaced with one ``dataChanged`` over the rows they span."""
        fresh = [r for r in new if r.conn not in self._index]
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for r in fresh:
                self._index[r.conn] = len(self._rows)
                self._rows.append(r)
            self.endInsertRows()
            self.inserts += 1
        touched = []
        for r in (*new, *changed):
            at = self._index.get(r.conn)
            if at is not None and self._rows[at] != r:
                self._rows[at] = r
                touched.append(at)
        if touched:
            self.dataChanged.emit(
                self.index(min(touched), 0), self.index(max(touched), len(self.COLUMNS) - 1)
            )
            self.changes += 1

    def reset_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._index = {r.conn: i for i, r in enumerate(self._rows)}
        self.endResetModel()
