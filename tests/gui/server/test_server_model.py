"""The server tab's table: batches in, one insert and one change per batch out, and
what the cells say (no subprotocol as a dash, peer text escaped)."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.gui.server.model import COLUMNS, ServerClientsModel, cell_text
from inspector.gui.session.server import ClientRow

pytestmark = pytest.mark.gui


def _row(conn: int, **changes: Any) -> ClientRow:
    values: dict[str, Any] = {
        "conn": conn,
        "client": f"127.0.0.1:{50000 + conn}",
        "path": f"/chat/{conn}",
        "subprotocol": "chat",
        "state": "open",
        "frames_in": 0,
        "frames_out": 0,
        "bytes_in": 0,
        "bytes_out": 0,
    }
    values.update(changes)
    return ClientRow(**values)


def test_cells() -> None:
    row = _row(3, frames_in=12000, frames_out=345, bytes_in=2000, bytes_out=48)
    assert [cell_text(row, c) for c in range(len(COLUMNS))] == [
        "3",
        "127.0.0.1:50003",
        "/chat/3",
        "chat",
        "open",
        "12,345",
        "2.0 KiB",
    ]
    assert cell_text(_row(4, subprotocol=None), 3) == "—"
    assert cell_text(_row(4, path=""), 2) == "—"
    hostile = _row(5, path="/a\x1b[31mred\x07", subprotocol="x\x1b]0;t\x07")
    for column in (2, 3):
        assert "\x1b" not in cell_text(hostile, column)
        assert "\x07" not in cell_text(hostile, column)
    with pytest.raises(IndexError):
        cell_text(row, len(COLUMNS))


def test_refused_and_closed_rows_are_closed() -> None:
    assert _row(1, state="refused 403").closed
    assert _row(1, state="closed").closed
    assert not _row(1, state="open").closed and not _row(1, state="connecting").closed


def test_batches_insert_once_and_change_once(qtmodeltester: Any) -> None:
    model = ServerClientsModel()
    qtmodeltester.check(model)
    inserted: list[tuple[int, int]] = []
    changed: list[tuple[int, int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row(), b.column())))

    model.apply([_row(1), _row(2), _row(3)], [])
    assert inserted == [(0, 2)] and changed == []
    model.apply([], [_row(1, frames_in=5), _row(3, bytes_out=10)])
    # One change over the rows it spans, up to the last column (the bytes).
    assert changed == [(0, 2, len(COLUMNS) - 1)]
    assert model.row(0).frames == 5 and model.row(2).bytes == 10
    model.apply([], [_row(2)])  # the same as shown: nothing to repaint
    assert len(changed) == 1
    model.apply([_row(4), _row(1, frames_in=5)], [])  # a known one among the new
    assert inserted == [(0, 2), (3, 3)] and model.rowCount() == 4
    assert (model.inserts, model.changes) == (2, 1)
    assert model.row_of(4) == 3 and model.row_of(99) == -1
    assert model.data(model.index(0, 0), model.ConnIdRole) == 1

    model.reset_rows([_row(2), _row(4)])
    assert model.rowCount() == 2 and model.row_of(4) == 1
    qtmodeltester.check(model)
