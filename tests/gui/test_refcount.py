"""Regression guard for the PySide6 6.12.0 + CPython 3.11 crash.

PySide6 6.12.0 drops one reference to ``None`` on each ``beginInsertRows`` /
``endInsertRows`` pair, each ``QTimer.singleShot`` callback and each qasync callback;
on CPython 3.11 the count reaches zero after a few thousand and the process aborts
with ``Fatal Python error: none_dealloc``. The project pins PySide6 < 6.12 on 3.11;
this test fails if a PySide6 with the bug is ever installed there. On 3.12+ ``None``
is immortal (PEP 683) and its reference count means nothing.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

import pytest
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QTimer

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        sys.version_info >= (3, 12),
        reason="None is immortal on Python 3.12+ (PEP 683): its refcount does not move",
    ),
]

INSERTS = 3000
TIMERS = 300
CALLBACKS = 400
#: With the bug the count falls by INSERTS + TIMERS + CALLBACKS (3,700); without it
#: it only wobbles with whatever else the interpreter does.
TOLERANCE = 100


class _Model(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.n

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        return None

    def append(self) -> None:
        self.beginInsertRows(QModelIndex(), self.n, self.n)
        self.n += 1
        self.endInsertRows()


def _none_refs() -> int:
    gc.collect()
    return sys.getrefcount(None)


def test_none_keeps_its_references(loop: Any) -> None:
    model = _Model()
    fired = {"timers": 0, "callbacks": 0}

    def on_timer() -> None:
        fired["timers"] += 1

    def on_callback() -> None:
        fired["callbacks"] += 1

    async def drive() -> None:
        for _ in range(TIMERS):
            QTimer.singleShot(0, on_timer)
        for _ in range(CALLBACKS):
            asyncio.get_running_loop().call_soon(on_callback)
        while fired["timers"] < TIMERS or fired["callbacks"] < CALLBACKS:
            await asyncio.sleep(0.005)

    # Warm up once so caches and lazily created objects do not count.
    model.append()
    loop.run_until_complete(asyncio.sleep(0))

    before = _none_refs()
    for _ in range(INSERTS):
        model.append()
    loop.run_until_complete(asyncio.wait_for(drive(), 10))
    after = _none_refs()

    assert model.n == INSERTS + 1
    assert fired == {"timers": TIMERS, "callbacks": CALLBACKS}
    assert before - after < TOLERANCE, (
        f"sys.getrefcount(None) fell by {before - after} over {INSERTS} row inserts, "
        f"{TIMERS} QTimer.singleShot and {CALLBACKS} qasync callbacks: this PySide6 "
        "has the 6.12.0 reference leak on None and will crash with none_dealloc"
    )
