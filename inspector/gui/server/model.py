"""The server tab's table: one row per client, updated in batches.

:class:`ServerClientsModel` takes the runner's coalesced ticks
(:meth:`ServerClientsModel.apply`: new rows in one insert, changed rows in one
``dataChanged`` over their span), never one update per frame. What a cell says is
worked out by :func:`cell_text`, which knows no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ...views.text import escape_control, format_bytes, shorten
from ..session.server import ClientRow

__all__ = ["COLUMNS", "ServerClientsModel", "cell_text"]

#: (title, tooltip) of each column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("#", "The client's number in this server run"),
    ("Client", "The client's address"),
    ("Path", "The path and query the client asked for"),
    ("Subprotocol", "The subprotocol agreed in the 101 (— for none)"),
    ("State", "Connecting, open, closing, closed, or refused with a status"),
    ("Frames", "Frames both ways (the client's and ours)"),
    ("Bytes", "Bytes on the wire both ways, after the handshake"),
)
_NUMERIC = {0, 5, 6}
_MAX_PATH = 120


def cell_text(row: ClientRow, column: int) -> str:
    """The text of ``column`` for ``row`` (peer-controlled text escaped)."""
    if column == 0:
        return str(row.conn)
    if column == 1:
        return escape_control(row.client)
    if column == 2:
        return shorten(escape_control(row.path or "—"), _MAX_PATH)
    if column == 3:
        return escape_control(row.subprotocol) if row.subprotocol else "—"
    if column == 4:
        return row.state
    if column == 5:
        return f"{row.frames:,}"
    if column == 6:
        return format_bytes(row.bytes)
    raise IndexError(column)


class ServerClientsModel(QAbstractTableModel):
    """The clients of one server run, in the order they came."""

    ConnIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ClientRow] = []
        self._index: dict[int, int] = {}  # client number -> row
        #: How many times rows were inserted / changed (tests: batches, not frames).
        self.inserts = 0
        self.changes = 0

    # ----------------------------------------------------------- reading
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def row(self, index: int) -> ClientRow:
        return self._rows[index]

    def row_of(self, conn_id: int) -> int:
        """The row of client ``conn_id``, or -1."""
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
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{escape_control(row.client)} → {escape_control(row.path or '?')}: "
                "double-click to open"
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
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
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][1]
        return None

    # ---------------------------------------------------------- updating
    def apply(self, new: Sequence[ClientRow], changed: Sequence[ClientRow]) -> None:
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
                self.index(min(touched), 0), self.index(max(touched), len(COLUMNS) - 1)
            )
            self.changes += 1

    def reset_rows(self, rows: Sequence[ClientRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._index = {r.conn: i for i, r in enumerate(self._rows)}
        self.endResetModel()
