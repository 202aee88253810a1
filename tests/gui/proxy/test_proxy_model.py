"""The proxy tab's table: batches in, one insert and one change per batch out, and
what the cells say (tunnels as tunnels, peer text escaped)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.gui.proxy.model import COLUMNS, ProxyConnectionsModel, cell_text
from inspector.gui.session.proxy import ConnectionRow

pytestmark = pytest.mark.gui


def _row(conn: int, **changes: Any) -> ConnectionRow:
    values: dict[str, Any] = {
        "conn": conn,
        "client": f"127.0.0.1:{50000 + conn}",
        "path": f"/chat/{conn}",
        "state": "open",
        "frames": 0,
        "bytes": 0,
        "tunnel": False,
    }
    values.update(changes)
    return ConnectionRow(**values)


def test_cells() -> None:
    row = _row(3, frames=12345, bytes=2048)
    assert [cell_text(row, c) for c in range(len(COLUMNS))] == [
        "3",
        "127.0.0.1:50003",
        "/chat/3",
        "open",
        "12,345",
        "2.0 KiB",
    ]
    tunnel = _row(4, path="bank.example.com:443", tunnel=True, bytes=10)
    assert cell_text(tunnel, 2) == "⇄ tunnel to bank.example.com:443"
    assert cell_text(tunnel, 3) == "tunnel open"
    assert cell_text(tunnel, 4) == "—"
    hostile = _row(5, path="/a\x1b[31mred\x07")
    assert "\x1b" not in cell_text(hostile, 2) and "\x07" not in cell_text(hostile, 2)
    with pytest.raises(IndexError):
        cell_text(row, len(COLUMNS))


def test_batches_insert_once_and_change_once(qtmodeltester: Any) -> None:
    model = ProxyConnectionsModel()
    qtmodeltester.check(model)
    inserted: list[tuple[int, int]] = []
    changed: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))

    model.apply([_row(1), _row(2), _row(3)], [])
    assert inserted == [(0, 2)] and changed == []
    model.apply([_row(4)], [_row(1, frames=10), _row(3, frames=7, state="closed")])
    assert inserted == [(0, 2), (3, 3)]
    assert changed == [(0, 2)]  # one signal over the rows that changed
    assert model.row(0).frames == 10 and model.row(2).state == "closed"
    model.apply([], [_row(2)])  # nothing new in it: no signal
    assert changed == [(0, 2)]
    model.apply([_row(1, frames=11)], [])  # a row already shown comes as a change
    assert model.rowCount() == 4 and model.row(0).frames == 11
    assert model.row_of(4) == 3 and model.row_of(99) == -1
    assert model.inserts == 2 and model.changes == 2
    index = model.index(3, 0)
    assert model.data(index, ProxyConnectionsModel.ConnIdRole) == 4
    assert model.data(model.index(0, 4), Qt.ItemDataRole.TextAlignmentRole) is not None
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Bytes"
    qtmodeltester.check(model)
    model.reset_rows([_row(9)])
    assert model.rowCount() == 1 and model.row_of(9) == 0
