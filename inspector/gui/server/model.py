"""The server tab's table: one row per client, updated in batches.

:class:`ServerClientsModel` takes the runner's coalesced ticks
(:meth:`ServerClientsModel.apply`: new rows in one insert, changed rows in one
``dataChanged`` over their span), never one update per frame. What a cell says is
worked out by :func:`cell_text`, which knows no Qt.
"""

from __future__ import annotations

from ...views.text import escape_control, format_bytes, shorten
from ..session.server import ClientRow
from ..widgets.live_rows import LiveRowsModel

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
_NUMERIC = frozenset({0, 5, 6})
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


class ServerClientsModel(LiveRowsModel[ClientRow]):
    """The clients of one server run, in the order they came."""

    COLUMNS = COLUMNS
    NUMERIC = _NUMERIC

    def cell(self, row: ClientRow, column: int) -> str:
        return cell_text(row, column)

    def tooltip(self, row: ClientRow) -> str:
        return (
            f"{escape_control(row.client)} → {escape_control(row.path or '?')}: "
            "double-click to open"
        )
