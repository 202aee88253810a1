"""The proxy tab's table: one row per proxied connection, updated in batches.

:class:`ProxyConnectionsModel` takes the runner's coalesced ticks
(:meth:`ProxyConnectionsModel.apply`: new rows in one insert, changed rows in one
``dataChanged`` over their span), never one update per frame. What a cell says is
worked out by :func:`cell_text`, which knows no Qt.
"""

from __future__ import annotations

from ...views.text import escape_control, format_bytes, shorten
from ..session.proxy import ConnectionRow
from ..widgets.live_rows import LiveRowsModel

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
_NUMERIC = frozenset({0, 4, 5})
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


class ProxyConnectionsModel(LiveRowsModel[ConnectionRow]):
    """The connections of one proxy run, in the order they came."""

    COLUMNS = COLUMNS
    NUMERIC = _NUMERIC

    def cell(self, row: ConnectionRow, column: int) -> str:
        return cell_text(row, column)

    def tooltip(self, row: ConnectionRow) -> str:
        if row.tunnel:
            return "An opaque tunnel (the host is excluded from interception): bytes only"
        return f"{escape_control(row.client)} → {escape_control(row.path)}: double-click to open"
