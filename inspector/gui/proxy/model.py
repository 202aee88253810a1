"""The proxy tab's table: one row per proxied connection, updated in batches.

:class:`ProxyConnectionsModel` takes the runner's coalesced ticks
(:meth:`ProxyConnectionsModel.apply`: new rows in one insert, changed rows in one
``dataChanged`` over their span), never one update per frame. What a cell says is
worked out by :func:`cell_text`, which knows no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ...views.text import escape_control, format_bytes, shorten
from ..session.proxy import ConnectionRow

__all__ = ["COLUMNS", "ProxyConnectionsModel", "cell_text"]

#: (title, tooltip) of each column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("#", "The connection's number in this proxy run"),
    ("Client", "The client's address"),
    ("Path", "The path and query the client asked for (a tunnel: the host it reached)"),
    ("State", "Connecting, open, closing or closed"),
    ("Frames", "Frames seen, both sides (client→server and server→client)"),
    ("Bytes", "Bytes relayed, both directions"),
)
_NUMERIC = {0, 4, 5}
_MAX_PATH = 120


def cell_text(row: ConnectionRow, column: int) -> str:
    """The text of ``column`` for ``row`` (peer-controlled text escaped)."""
    if column == 0:
        return str(row.conn)
    if column == 1:
        return escape_control(row.client)
    if column == 2:
        path = shorten(escape_control(row.path or "—"), _MAX_PATH)
        return f"⇄ tunnel to {path}" if row.tunnel else path
    if column == 3:
        return ("tunnel " if row.tunnel else "") + row.state
    if column == 4:
        return "—" if row.tunnel else f"{row.frames:,}"
    if column == 5:
        return format_bytes(row.bytes)
    raise IndexError(column)


class ProxyConnectionsModel(QAbstractTableModel):
    """The connections of one proxy run, in the order they came."""

    ConnIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ConnectionRow] = []
        self._index: dict[int, int] = {}  # connection id -> row
        #: How many times rows were inserted / changed (tests: batches, not frames).
        self.inserts = 0
        self.changes = 0

    # ----------------------------------------------------------- reading
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def row(self, index: int) -> ConnectionRow:
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
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.tunnel:
                return "An opaque tunnel (the host is excluded from interception): bytes only"
            return (
                f"{escape_control(row.client)} → {escape_control(row.path)}: double-click to open"
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
    def apply(self, new: Sequence[ConnectionRow], changed: Sequence[ConnectionRow]) -> None:
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

    def reset_rows(self, rows: Sequence[ConnectionRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._index = {r.conn: i for i, r in enumerate(self._rows)}
        self.endResetModel()
